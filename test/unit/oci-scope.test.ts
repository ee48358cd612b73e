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

describe('parseOciScope', () => {
  it.each([
    ['urn:oracle:db::id::*', { kind: 'all' }],
    [`urn:oracle:db::id::${TEN}`, { kind: 'tenancy', ocid: TEN }],
    [`urn:oracle:db::id::${COMP}`, { kind: 'compartment', ocid: COMP }],
    [`urn:oracle:db::id::${COMP}::${ADB}`, { kind: 'database', compartment: COMP, database: ADB }],
  ])('%s', (urn, parsed) => {
    expect(parseOciScope(urn)).toEqual(parsed);
  });
  it.each([
    ['not a string', 42, /is required/],
    ['another URN scheme', 'urn:oracle:other::id::*', /does not start with urn:oracle:db::id::/],
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

