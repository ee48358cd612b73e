import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAwsRegion, rdsRegionFromHostname, resolveRdsRegion } from '../../src/sources/aws/region.js';
import { anyValue, embeddedSecret, expectNoSecret, hostileString, longString, nearly, typedOutcome } from '../helpers/hostile.js';

// Property tests for AWS region inference. Each function either answers or
// throws a ConfigError naming `region`; none takes super-linear time on long
// input (the test timeout is the bound); no message shows a secret.

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
const region = fc.tuple(fc.stringMatching(/^[a-z]{2}$/), fc.array(fc.stringMatching(/^[a-z]{1,9}$/), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 20 })).map(
  ([area, words, n]) => `${area}-${words.join('-')}-${n}`,
);
const domain = fc.constantFrom('amazonaws.com', 'amazonaws.com.cn', 'c2s.ic.gov', 'sc2s.sgov.gov', 'cloud.adc-e.uk', 'csp.hci.ic.gov');
/** An RDS endpoint: names, the region, `rds`, a partition's domain; any case, maybe a trailing dot. */
const endpoint = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), region, domain, fc.boolean(), fc.boolean())
  .map(([names, r, d, upper, dot]) => {
    const host = `${names.join('.')}.${r}.rds.${d}${dot ? '.' : ''}`;
    return { host: upper ? host.toUpperCase() : host, region: r };
  });

const RUNS = { numRuns: 300 };
/** No AWS_* variables and no AWS config file: the hostname or the option must give the region. */
const NO_ENV = {};
const NO_FILES = (): boolean => false;

describe('rdsRegionFromHostname', () => {
  it('never throws; answers undefined or a region that is in the hostname', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, longString, anyValue, endpoint.map((e) => e.host)), (host) => {
        const r = rdsRegionFromHostname(host as string);
        if (r === undefined) return;
        expect(isAwsRegion(r)).toBe(true);
        expect((host as string).toLowerCase()).toContain(`.${r}.rds.`);
      }),
      RUNS,
    );
  });

  it('finds the region of every RDS endpoint shape, in any case', () => {
    fc.assert(
      fc.property(endpoint, ({ host, region: r }) => {
        expect(rdsRegionFromHostname(host)).toBe(r);
        expect(rdsRegionFromHostname(` ${host}\n`)).toBe(r);
      }),
      RUNS,
    );
  });

  it('an endpoint with hostile text spliced in is not read as another region', () => {
    fc.assert(
      fc.property(endpoint, hostileString, fc.nat(), ({ host, region: r }, junk, at) => {
        const i = at % (host.length + 1);
        const found = rdsRegionFromHostname(host.slice(0, i) + junk + host.slice(i));
        if (found !== undefined) expect(isAwsRegion(found)).toBe(true);
        // Junk that a hostname cannot hold breaks the match; it never yields another region.
        if (/[^A-Za-z0-9.-]/.test(junk)) expect([undefined, r]).toContain(found);
      }),
      RUNS,
    );
  });
});

describe('isAwsRegion', () => {
  it('never throws, and says true exactly for the region shape', () => {
    fc.assert(
      fc.property(fc.oneof(region, hostileString, longString, anyValue), (value) => {
        const yes = isAwsRegion(value as string);
        expect(yes).toBe(typeof value === 'string' && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value));
      }),
      RUNS,
    );
  });
});

describe('resolveRdsRegion', () => {
  it('returns a region or throws a ConfigError on region, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(undefined), nearly(region)), fc.oneof(endpoint.map((e) => e.host), hostileString, longString, anyValue), (r, host) => {
        const out = typedOutcome(() => resolveRdsRegion(r, host as string, NO_ENV, NO_FILES).region, /^region$/);
        if ('value' in out) {
          expect(isAwsRegion(out.value)).toBe(true);
          if (r !== undefined) expect(out.value).toBe(r);
        }
      }),
      RUNS,
    );
  });

  it('never shows a token or key given as the region or the hostname', () => {
    fc.assert(
      fc.property(embeddedSecret, fc.boolean(), (s, asRegion) => {
        const out = asRegion ? typedOutcome(() => resolveRdsRegion(s.text, 'db.example.com', NO_ENV, NO_FILES), /^region$/) : typedOutcome(() => resolveRdsRegion(undefined, s.text, NO_ENV, NO_FILES), /^region$/);
        expect('error' in out).toBe(true);
        expectNoSecret(out, s.secret);
      }),
      RUNS,
    );
  });

  it('never shows a token or key put in AWS_REGION or AWS_DEFAULT_REGION by mistake', () => {
    fc.assert(
      fc.property(embeddedSecret, fc.constantFrom('AWS_REGION', 'AWS_DEFAULT_REGION'), (s, name) => {
        const out = typedOutcome(() => resolveRdsRegion(undefined, '127.0.0.1', { [name]: s.text }, NO_FILES), /^region$/);
        expect('error' in out).toBe(true);
        expectNoSecret(out, s.secret);
      }),
      RUNS,
    );
  });

  it('still shows what a user reads back: a lower-case region or hostname', () => {
    expect(() => resolveRdsRegion('moon-1', 'x', NO_ENV, NO_FILES)).toThrow('region: "moon-1" is not an AWS region name');
    expect(() => resolveRdsRegion(undefined, '127.0.0.1', NO_ENV, NO_FILES)).toThrow('cannot be inferred from hostname "127.0.0.1" (not an RDS endpoint)');
  });
});

describe('regressions found by the properties', () => {
  it('a hostname given as something other than a string is not an RDS endpoint (was a TypeError from .trim())', () => {
    expect(rdsRegionFromHostname(undefined as never)).toBeUndefined();
    expect(rdsRegionFromHostname(42 as never)).toBeUndefined();
    expect(() => resolveRdsRegion(undefined, null as never, NO_ENV, NO_FILES)).toThrow(/region: cannot be inferred from hostname null/);
  });

  it('isAwsRegion of a symbol is false (was a TypeError from RegExp.test)', () => {
    expect(isAwsRegion(Symbol('us-east-1') as never)).toBe(false);
  });

  it('a secret access key given as the region is not echoed (was echoed in full)', () => {
    const key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    expect(() => resolveRdsRegion(key, 'db.example.com', NO_ENV, NO_FILES)).toThrow('region: (a 40-character string, not shown) is not an AWS region name');
  });

  it('an RDS token given as the hostname is not echoed (was echoed in full)', () => {
    const token = 'db.example.com:5432/?Action=connect&DBUser=app&X-Amz-Signature=0123456789abcdef0123456789abcdef';
    let message = '';
    try {
      resolveRdsRegion(undefined, token, NO_ENV, NO_FILES);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^region: cannot be inferred from hostname \(a \d+-character string, not shown\)/);
    expect(message).not.toContain('X-Amz-Signature');
  });

  it('a region with a newline is not written into the message raw (was a second log line)', () => {
    expect(() => resolveRdsRegion('us-east-1\nERROR forged', 'x', NO_ENV, NO_FILES)).toThrow(/^region: \(a 22-character string, not shown\) is not an AWS region name/);
  });
});
