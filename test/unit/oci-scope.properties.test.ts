import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ociScope, parseOciScope, parseOcid } from 'dbtoken/oci';
import { anyValue, embeddedSecret, expectNoSecret, hostileString, longString, nearly, ocidOf, typedOutcome } from '../helpers/hostile.js';

// Property tests for OCIDs and db-token scopes. parseOcid answers or says
// undefined; the scope builders and parseOciScope return a scope or throw a
// ConfigError naming the scope field; a scope that passes is exactly what
// IAM will be sent; no message shows a secret; long input stays fast (the
// test timeout is the bound).

const tenancy = ocidOf(fc.constant('tenancy'), false);
const compartment = ocidOf(fc.constantFrom('compartment', 'tenancy'), false);
const database = ocidOf(fc.constantFrom('autonomousdatabase', 'database', 'pluggabledatabase'));
const anyOcid = ocidOf(fc.stringMatching(/^[a-z][a-z0-9]{0,20}$/));
const tenancyName = fc.stringMatching(/^[A-Za-z0-9]{1,30}$/);
const compartmentPath = fc.array(fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/), { minLength: 1, maxLength: 4 }).map((names) => names.join(':'));

const SCOPE_FIELDS = /^scope(\.tenancy|\.compartment|\.database)?$/;
const RUNS = { numRuns: 300 };

describe('parseOcid', () => {
  it('never throws; what it parses is the OCID it was given', () => {
    fc.assert(
      fc.property(fc.oneof(anyOcid, nearly(anyOcid), hostileString, longString), (value) => {
        const parsed = parseOcid(value as string);
        if (parsed === undefined) return;
        expect(typeof value).toBe('string');
        const v = value as string;
        expect(v.startsWith(`ocid1.${parsed.type}.${parsed.realm}.${parsed.region}.`)).toBe(true);
        expect(v.endsWith(`.${parsed.id}`)).toBe(true);
        // Only [a-z0-9.-]: safe inside any quoted string or statement.
        expect(v).toMatch(/^[a-z0-9.-]+$/);
      }),
      RUNS,
    );
  });

  it('parses every OCID shape', () => {
    fc.assert(
      fc.property(anyOcid, (ocid) => {
        expect(parseOcid(ocid)).toMatchObject({ type: ocid.split('.')[1], realm: ocid.split('.')[2] });
      }),
      RUNS,
    );
  });
});

describe('ociScope', () => {
  it('builds a path scope that parseOciScope reads back part for part, or throws a ConfigError on its field', () => {
    fc.assert(
      fc.property(nearly(tenancyName), fc.option(nearly(compartmentPath), { nil: undefined }), fc.option(nearly(database), { nil: undefined }), (t, c, d) => {
        const out = typedOutcome(() => ociScope.path({ tenancy: t as string, compartment: c as string | undefined, database: d as string | undefined }), SCOPE_FIELDS);
        if ('error' in out) return;
        const parsed = parseOciScope(out.value);
        expect(parsed).toEqual({
          kind: 'path',
          tenancy: (t as string).trim(),
          ...(c !== undefined ? { compartment: (c as string).trim() } : {}),
          ...(d !== undefined ? { database: (d as string).trim() } : {}),
        });
        expect(out.value).toMatch(/^urn:oracle:db::path::[A-Za-z0-9._:-]+$/);
      }),
      RUNS,
    );
  });

  it('builds a scope that parseOciScope reads back, or throws a ConfigError on its field', () => {
    fc.assert(
      fc.property(nearly(tenancy), nearly(compartment), nearly(database), fc.constantFrom('tenancy', 'compartment', 'database'), (t, c, d, kind) => {
        const build = () => (kind === 'tenancy' ? ociScope.tenancy(t as string) : kind === 'compartment' ? ociScope.compartment(c as string) : ociScope.database(c as string, d as string));
        const out = typedOutcome(build, SCOPE_FIELDS);
        if ('error' in out) return;
        const parsed = parseOciScope(out.value);
        if (parsed.kind === 'database') expect(out.value).toBe(`urn:oracle:db::id::${parsed.compartment}::${parsed.database}`);
        else if (parsed.kind !== 'all') expect(out.value).toBe(`urn:oracle:db::id::${parsed.ocid}`);
      }),
      RUNS,
    );
  });
});

describe('parseOciScope', () => {
  const scope = fc.oneof(
    fc.constant('urn:oracle:db::id::*'),
    compartment.map((c) => `urn:oracle:db::id::${c}`),
    fc.tuple(compartment, database).map(([c, d]) => `urn:oracle:db::id::${c}::${d}`),
    tenancyName.map((t) => `urn:oracle:db::path::${t}`),
    fc.tuple(tenancyName, compartmentPath).map(([t, c]) => `urn:oracle:db::path::${t}:${c}`),
    fc.tuple(tenancyName, fc.option(compartmentPath, { nil: undefined }), database).map(([t, c, d]) => `urn:oracle:db::path::${t}${c === undefined ? '' : `:${c}`}::${d}`),
  );

  it('a scope it accepts is the scope ociScope builds from its parts (what IAM is sent is what was checked)', () => {
    fc.assert(
      fc.property(fc.oneof(scope, nearly(scope), longString, anyValue), (value) => {
        const out = typedOutcome(() => parseOciScope(value), SCOPE_FIELDS);
        if ('error' in out) return;
        const p = out.value;
        const rebuilt = p.kind === 'all' ? ociScope.all() : p.kind === 'database' ? ociScope.database(p.compartment, p.database) : p.kind === 'path' ? ociScope.path(p) : ociScope[p.kind](p.ocid);
        expect(rebuilt).toBe((value as string).trim());
      }),
      RUNS,
    );
  });

  it('never shows a token or key given as the scope or inside it', () => {
    fc.assert(
      fc.property(embeddedSecret, fc.constantFrom('', 'urn:oracle:db::id::', 'urn:oracle:db::id::ocid1.compartment.oc1..aaaaaaaa::', 'urn:oracle:db::path::', 'urn:oracle:db::path::acme:', 'urn:oracle:db::path::acme::'), (s, prefix) => {
        expectNoSecret(typedOutcome(() => parseOciScope(prefix + s.text), SCOPE_FIELDS), s.secret);
        expectNoSecret(typedOutcome(() => ociScope.tenancy(s.text), SCOPE_FIELDS), s.secret);
        expectNoSecret(typedOutcome(() => ociScope.database('ocid1.compartment.oc1..aaaaaaaa', s.text), SCOPE_FIELDS), s.secret);
        expectNoSecret(typedOutcome(() => ociScope.path({ tenancy: s.text }), SCOPE_FIELDS), s.secret);
        expectNoSecret(typedOutcome(() => ociScope.path({ tenancy: 'acme', compartment: s.text }), SCOPE_FIELDS), s.secret);
        expectNoSecret(typedOutcome(() => ociScope.path({ tenancy: 'acme', database: s.text }), SCOPE_FIELDS), s.secret);
      }),
      RUNS,
    );
  });

  it('still shows what a user reads back: a lower-case URN or OCID', () => {
    expect(() => parseOciScope('urn:example:nope')).toThrow('scope: "urn:example:nope" does not start with urn:oracle:db::id:: or urn:oracle:db::path::');
    expect(() => ociScope.path({ tenancy: 'acme', compartment: 'ocid1.compartment.oc1..aaaaaaaa' })).toThrow('scope.compartment: "ocid1.compartment.oc1..aaaaaaaa" is an OCID, but a path scope names the compartment by its name');
    expect(() => ociScope.tenancy('ocid1.tenancy.oc1.aaaa')).toThrow('scope.tenancy: "ocid1.tenancy.oc1.aaaa" is not an OCID');
  });
});

describe('regressions found by the properties', () => {
  const COMP = 'ocid1.compartment.oc1..aaaaaaaacompartment';
  const ADB = 'ocid1.autonomousdatabase.oc1.iad.aaaaaaaadatabase';

  it('white space inside a scope is refused (was accepted, and sent to IAM as written)', () => {
    for (const s of [`urn:oracle:db::id:: ${COMP}`, `urn:oracle:db::id::${COMP} ::${ADB}`, `urn:oracle:db::id::${COMP}::\t${ADB}`]) {
      expect(() => parseOciScope(s)).toThrow('scope: has white space inside');
    }
    expect(parseOciScope(`  urn:oracle:db::id::${COMP}::${ADB}\n`)).toEqual({ kind: 'database', compartment: COMP, database: ADB });
  });

  it('parseOcid of something other than a string is undefined (was a TypeError for a symbol)', () => {
    expect(parseOcid(Symbol('ocid1') as never)).toBeUndefined();
    expect(parseOcid({ toString: () => 'ocid1.tenancy.oc1..aaaaaaaaexample' } as never)).toBeUndefined();
  });

  it('a JWT given as the scope is not echoed (was echoed in full)', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvY2lkMS51c2VyIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl';
    expect(() => parseOciScope(jwt)).toThrow(`scope: (a ${jwt.length}-character string, not shown) does not start with urn:oracle:db::id::`);
    expect(() => ociScope.tenancy(jwt)).toThrow(`scope.tenancy: (a ${jwt.length}-character string, not shown) is not an OCID`);
  });

  it('a scope with a newline is not written into the message raw (was a second log line)', () => {
    expect(() => parseOciScope('urn:x\nERROR forged')).toThrow(/^scope: \(a 18-character string, not shown\) does not start/);
  });

  it('the library fix is apart from the problem, so the CLI can word its own (was one sentence naming ociScope)', () => {
    const err = typedOutcome(() => parseOciScope('urn:example:nope'), SCOPE_FIELDS);
    expect(err).toMatchObject({ error: { problem: '"urn:example:nope" does not start with urn:oracle:db::id:: or urn:oracle:db::path::', fix: expect.stringContaining('ociScope.tenancy()') } });
  });
});
