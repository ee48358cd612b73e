import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { identityDataPlaneEndpoint, isOciRegion, ociScope, parseOciScope, parseOcid } from 'dbtoken/oci';

const TEN = 'ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq';
const TEN_B = 'ocid1.tenancy.oc1..aaaaaaaabbbbtenancyb0000000000000000000000000000000000000000';
const COMP = 'ocid1.compartment.oc1..aaaaaaaacompartment0000000000000000000000000000000000000000';
const ADB = 'ocid1.autonomousdatabase.oc1.iad.anuwcljrautonomousdatabase000000000000000000000000000';
const DB = 'ocid1.database.oc1.phx.abyhqljrdatabase000000000000000000000000000000000000000000';
const GOV_ADB = 'ocid1.autonomousdatabase.oc3.us-gov-ashburn-1.anuwcljrgovernment0000000000000000000000';

describe('parseOcid', () => {
  it.each([
    [TEN, { type: 'tenancy', realm: 'oc1', region: '' }],
    [ADB, { type: 'autonomousdatabase', realm: 'oc1', region: 'iad' }],
    [GOV_ADB, { type: 'autonomousdatabase', realm: 'oc3', region: 'us-gov-ashburn-1' }],
    ['ocid1.user.oc1..aaaaaaaauser', { type: 'user', realm: 'oc1', region: '' }],
  ])('%s', (ocid, parts) => {
    expect(parseOcid(ocid)).toMatchObject(parts);
  });
  it.each(['', 'ocid2.tenancy.oc1..aaaaaaaa', 'ocid1.tenancy..aaaaaaaa', 'ocid1.Tenancy.oc1..aaaaaaaa', 'ocid1.tenancy.oc1..short', 'ocid1.tenancy.ocx..aaaaaaaaaa', 'urn:oracle:db::id::*'])(
    'refuses %j',
    (s) => {
      expect(parseOcid(s)).toBeUndefined();
    },
  );
});

describe('ociScope', () => {
  it.each([
    ['all', () => ociScope.all(), 'urn:oracle:db::id::*'],
    ['tenancy', () => ociScope.tenancy(TEN), `urn:oracle:db::id::${TEN}`],
    ['another tenancy (cross-tenancy)', () => ociScope.tenancy(TEN_B), `urn:oracle:db::id::${TEN_B}`],
    ['compartment', () => ociScope.compartment(COMP), `urn:oracle:db::id::${COMP}`],
    ['root compartment (the tenancy)', () => ociScope.compartment(TEN), `urn:oracle:db::id::${TEN}`],
    ['autonomous database', () => ociScope.database(COMP, ADB), `urn:oracle:db::id::${COMP}::${ADB}`],
    ['DBaaS database', () => ociScope.database(COMP, DB), `urn:oracle:db::id::${COMP}::${DB}`],
  ])('%s', (_n, make, urn) => {
    expect(make()).toBe(urn);
    expect(() => parseOciScope(urn)).not.toThrow();
  });

  it.each([
    ['a compartment OCID given as tenancy', () => ociScope.tenancy(COMP), 'scope.tenancy', /OCID of a compartment, but a tenancy OCID/],
    ['a database OCID given as compartment', () => ociScope.compartment(ADB), 'scope.compartment', /OCID of a autonomousdatabase/],
    ['a malformed OCID', () => ociScope.tenancy('ocid1.tenancy.oc1.aaaa'), 'scope.tenancy', /is not an OCID/],
    ['an empty tenancy', () => ociScope.tenancy(''), 'scope.tenancy', /is required/],
    ['a user OCID as database', () => ociScope.database(COMP, 'ocid1.user.oc1..aaaaaaaauser'), 'scope.database', /a database OCID/],
    ['parts from different realms', () => ociScope.database(COMP, GOV_ADB), 'scope.database', /realm oc3 but the compartment is in realm oc1/],
  ])('refuses %s', (_n, make, field, message) => {
    let err: unknown;
    try {
      make();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).toMatch(message);
  });
});

describe('ociScope.path', () => {
  it.each([
    ['a tenancy', { tenancy: 'acme' }, 'urn:oracle:db::path::acme'],
    ['a compartment', { tenancy: 'acme', compartment: 'sales' }, 'urn:oracle:db::path::acme:sales'],
    ['a nested compartment', { tenancy: 'acme', compartment: 'sales:eu-west' }, 'urn:oracle:db::path::acme:sales:eu-west'],
    ['a database in a compartment', { tenancy: 'acme', compartment: 'sales', database: ADB }, `urn:oracle:db::path::acme:sales::${ADB}`],
    ['a database in the root compartment', { tenancy: 'acme', database: DB }, `urn:oracle:db::path::acme::${DB}`],
    ['names as the console shows them', { tenancy: 'OracleCustomer1', compartment: 'Prod_DBs.v2' }, 'urn:oracle:db::path::OracleCustomer1:Prod_DBs.v2'],
    ['parts with white space around them', { tenancy: ' acme ', compartment: 'sales\n', database: ` ${ADB}` }, `urn:oracle:db::path::acme:sales::${ADB}`],
    ['a government-realm database', { tenancy: 'agency', database: GOV_ADB }, `urn:oracle:db::path::agency::${GOV_ADB}`],
  ])('%s', (_n, parts, urn) => {
    expect(ociScope.path(parts)).toBe(urn);
    expect(ociScope.path(parseOciScope(urn) as Parameters<typeof ociScope.path>[0])).toBe(urn);
  });

  it.each([
    ['no tenancy', { compartment: 'sales' }, 'scope.tenancy', /is required: the tenancy's name/],
    ['a tenancy OCID', { tenancy: TEN }, 'scope.tenancy', /is an OCID, but a path scope names the tenancy by its name/],
    ['a tenancy name with a dot', { tenancy: 'acme.corp' }, 'scope.tenancy', /"acme.corp" is not a tenancy name/],
    ['a tenancy name with a colon', { tenancy: 'acme:sales' }, 'scope.tenancy', /is not a tenancy name/],
    ['a tenancy name of 101 characters', { tenancy: 'a'.repeat(101) }, 'scope.tenancy', /is not a tenancy name \(up to 100/],
    ['a compartment OCID', { tenancy: 'acme', compartment: COMP }, 'scope.compartment', /is an OCID, but a path scope names the compartment by its name/],
    ['an empty compartment', { tenancy: 'acme', compartment: '' }, 'scope.compartment', /is empty/],
    ['an empty name in a compartment path', { tenancy: 'acme', compartment: 'sales::eu' }, 'scope.compartment', /has an empty name in its compartment path/],
    ['a compartment name with a space', { tenancy: 'acme', compartment: 'sales team' }, 'scope.compartment', /is not a compartment name/],
    ['a compartment name of 101 characters', { tenancy: 'acme', compartment: 'c'.repeat(101) }, 'scope.compartment', /is not a compartment name/],
    ['a database name instead of its OCID', { tenancy: 'acme', database: 'mydb' }, 'scope.database', /"mydb" is not an OCID/],
    ['a compartment OCID as the database', { tenancy: 'acme', database: COMP }, 'scope.database', /a database OCID/],
    ['no parts at all', null, 'scope', /is not \{ tenancy, compartment\?, database\? \}/],
  ])('refuses %s', (_n, parts, field, message) => {
    let err: unknown;
    try {
      ociScope.path(parts as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).toMatch(message);
  });
});

describe('parseOciScope', () => {
  it.each([
    ['urn:oracle:db::id::*', { kind: 'all' }],
    [`urn:oracle:db::id::${TEN}`, { kind: 'tenancy', ocid: TEN }],
    [`urn:oracle:db::id::${COMP}`, { kind: 'compartment', ocid: COMP }],
    [`urn:oracle:db::id::${COMP}::${ADB}`, { kind: 'database', compartment: COMP, database: ADB }],
    ['urn:oracle:db::path::acme', { kind: 'path', tenancy: 'acme' }],
    ['urn:oracle:db::path::acme:sales', { kind: 'path', tenancy: 'acme', compartment: 'sales' }],
    ['urn:oracle:db::path::acme:sales:eu', { kind: 'path', tenancy: 'acme', compartment: 'sales:eu' }],
    [`urn:oracle:db::path::acme:sales::${ADB}`, { kind: 'path', tenancy: 'acme', compartment: 'sales', database: ADB }],
    [`urn:oracle:db::path::acme::${ADB}`, { kind: 'path', tenancy: 'acme', database: ADB }],
  ])('%s', (urn, parsed) => {
    expect(parseOciScope(urn)).toEqual(parsed);
  });
  it.each([
    ['not a string', 42, /is required/],
    ['another URN scheme', 'urn:oracle:other::id::*', /does not start with urn:oracle:db::id:: or urn:oracle:db::path::/],
    ['a path without a tenancy', 'urn:oracle:db::path::', /scope.tenancy: is required/],
    ['a path with * for the tenancy', 'urn:oracle:db::path::*', /scope.tenancy: "\*" is not a tenancy name/],
    ['a path naming the tenancy by OCID', `urn:oracle:db::path::${TEN}`, /scope.tenancy: .* is an OCID/],
    ['a path naming the compartment by OCID', `urn:oracle:db::path::acme:${COMP}`, /scope.compartment: .* is an OCID/],
    ['a path with ":" and no compartment', 'urn:oracle:db::path::acme:', /scope.compartment: is empty/],
    ['a path with an empty nested name', 'urn:oracle:db::path::acme:sales:', /scope.compartment: has an empty name/],
    ['a path with "::" and no database', 'urn:oracle:db::path::acme:sales::', /scope.database: is required/],
    ['a path with a compartment OCID as database', `urn:oracle:db::path::acme::${COMP}`, /scope.database: .*a database OCID/],
    ['a path with three parts', `urn:oracle:db::path::acme::${ADB}::${ADB}`, /has 3 parts after urn:oracle:db::path::/],
    ['a path with white space', 'urn:oracle:db::path::acme: sales', /has white space inside/],
    ['the id prefix with names', 'urn:oracle:db::id::acme:sales', /is not an OCID/],
    ['a wildcard with more', 'urn:oracle:db::id::*::x', /is not an OCID/],
    ['three parts', `urn:oracle:db::id::${COMP}::${ADB}::${ADB}`, /has 3 parts/],
    ['a database directly', `urn:oracle:db::id::${ADB}`, /a tenancy or compartment OCID/],
    ['the database before the compartment', `urn:oracle:db::id::${ADB}::${COMP}`, /compartment/],
  ])('refuses %s', (_n, urn, message) => {
    expect(() => parseOciScope(urn)).toThrow(message);
  });
});

describe('identityDataPlaneEndpoint', () => {
  it.each([
    ['us-ashburn-1', 'https://auth.us-ashburn-1.oraclecloud.com'],
    ['eu-frankfurt-1', 'https://auth.eu-frankfurt-1.oraclecloud.com'],
    ['us-gov-ashburn-1', 'https://auth.us-gov-ashburn-1.oraclegovcloud.com'],
    ['uk-gov-london-1', 'https://auth.uk-gov-london-1.oraclegovcloud.uk'],
    ['eu-frankfurt-2', 'https://auth.eu-frankfurt-2.oraclecloud.eu'],
    ['ap-chiyoda-1', 'https://auth.ap-chiyoda-1.oraclecloud8.com'],
    ['eu-dcc-milan-2', 'https://auth.eu-dcc-milan-2.oraclecloud14.com'],
    ['xx-newregion-9', 'https://auth.xx-newregion-9.oraclecloud.com'],
  ])('%s -> %s', (region, url) => {
    expect(isOciRegion(region)).toBe(true);
    expect(identityDataPlaneEndpoint(region)).toBe(url);
  });
  it.each(['', 'us_ashburn_1', 'ashburn', 'US-ASHBURN-1', 'us-ashburn'])('%j is not a region', (r) => {
    expect(isOciRegion(r)).toBe(false);
  });
});

