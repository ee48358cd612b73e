import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiLowerCase, rdsSignedHosts, rdsSigningHost, withHostAsTyped } from '../../../src/sources/aws/rds-host.js';

const RUNS = { numRuns: 300 };

describe('asciiLowerCase', () => {
  it.each([
    ['MyDB.Example.COM', 'mydb.example.com'],
    ['127.0.0.1', '127.0.0.1'],
    ['db-1.abc123.us-east-1.rds.amazonaws.com', 'db-1.abc123.us-east-1.rds.amazonaws.com'],
    ['db.\u212Aube.example', 'db.\u212Aube.example'], // KELVIN SIGN: toLowerCase() makes it k
    ['DB.\u0130NTERNAL', 'db.\u0130nternal'], // DOTTED CAPITAL I: toLowerCase() makes it i and a combining dot
    ['\u017F\u0131\uFB01', '\u017F\u0131\uFB01'], // long s, dotless i, the ligature fi
    ['\uFF2B\uFF4B', '\uFF2B\uFF4B'], // fullwidth K and k
    ['\u041A\u03A3\u00C5', '\u041A\u03A3\u00C5'], // Cyrillic K, Greek Sigma, A with ring
  ])('%j -> %j', (input, folded) => {
    expect(asciiLowerCase(input)).toBe(folded);
  });

  it('changes A-Z to a-z and every other UTF-16 unit not at all', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const folded = asciiLowerCase(s);
        expect(folded).toHaveLength(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          expect(folded.charCodeAt(i)).toBe(c >= 0x41 && c <= 0x5a ? c + 32 : c);
        }
      }),
      RUNS,
    );
  });

  it('is toLowerCase() on ASCII text', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(ascii, (s) => {
        expect(asciiLowerCase(s)).toBe(s.toLowerCase());
      }),
      RUNS,
    );
  });
});

describe('rdsSigningHost', () => {
  it.each([
    ['MyDB.abc123.us-east-1.rds.amazonaws.com', 5432, 'mydb.abc123.us-east-1.rds.amazonaws.com:5432'],
    ['127.0.0.1', 3306, '127.0.0.1:3306'],
    ['db.\u212Aube.example', 5432, 'db.\u212Aube.example:5432'],
  ])('%s:%i is signed as %s', (host, port, signed) => {
    expect(rdsSigningHost(host, port)).toBe(signed);
  });
});

describe('rdsSignedHosts', () => {
  it.each([
    ['MyDB.Example:5432', ['mydb.example:5432']],
    ['MyDB.Example:443', ['mydb.example:443', 'mydb.example']],
    ['db.example:4430', ['db.example:4430']],
    ['db.example:1443', ['db.example:1443']],
    ['db.\u212Aube.example:443', ['db.\u212Aube.example:443', 'db.\u212Aube.example']],
  ])('%s may be signed as %j', (hostPort, hosts) => {
    expect(rdsSignedHosts(hostPort)).toEqual(hosts);
  });
});

describe('withHostAsTyped', () => {
  const q = 'Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Signature=ab12&X-Amz-SignedHeaders=host';

  it.each([
    ['signed over the lower-case host', `mydb.example:5432/?${q}`, 'MyDB.Example', `MyDB.Example:5432/?${q}`],
    ['a lower-case host', `db.example:5432/?${q}`, 'db.example', `db.example:5432/?${q}`],
    ['signed for another host: left as it is', `other.example:5432/?${q}`, 'MyDB.Example', `other.example:5432/?${q}`],
    ['signed for another port: left as it is', `mydb.example:5433/?${q}`, 'MyDB.Example', `mydb.example:5433/?${q}`],
    ['a lookalike host: left as it is', `db.kube.example:5432/?${q}`, 'db.\u212Aube.example', `db.kube.example:5432/?${q}`],
    ['not a token', 'token-from-signer-1', 'MyDB.Example', 'token-from-signer-1'],
  ])('%s', (_n, token, hostname, printed) => {
    expect(withHostAsTyped(token, hostname, 5432)).toBe(printed);
  });

  it.each([
    ['a DSQL token, signed for the host alone', `abc.dsql.us-east-1.on.aws/?Action=DbConnect&${q}`, 'ABC.dsql.us-east-1.on.aws', `ABC.dsql.us-east-1.on.aws/?Action=DbConnect&${q}`],
    ['a DSQL token for another host: left as it is', `xyz.dsql.us-east-1.on.aws/?Action=DbConnect`, 'ABC.dsql.us-east-1.on.aws', `xyz.dsql.us-east-1.on.aws/?Action=DbConnect`],
    ['a token with a port, when none is expected: left as it is', `abc.example:5432/?${q}`, 'ABC.example', `abc.example:5432/?${q}`],
  ])('without a port: %s', (_n, token, hostname, printed) => {
    expect(withHostAsTyped(token, hostname)).toBe(printed);
  });

  it('changes nothing but the case of the host part', () => {
    const host = fc.array(fc.constantFrom('a', 'B', 'c', 'D', '1', '-', '.'), { minLength: 1, maxLength: 20 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(host, fc.stringMatching(/^[A-Za-z0-9%&=._~-]{0,40}$/), (hostname, rest) => {
        const printed = withHostAsTyped(`${asciiLowerCase(hostname)}:5432/?${rest}`, hostname, 5432);
        expect(printed).toBe(`${hostname}:5432/?${rest}`);
      }),
      RUNS,
    );
  });
});
