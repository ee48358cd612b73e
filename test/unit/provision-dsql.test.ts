import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { dsqlConnectPolicy, dsqlRole } from 'dbtoken/provision';
import { anyValue, embeddedSecret, expectNoSecret, longString, nearly, typedOutcome } from '../helpers/hostile.js';

/**
 * dsqlRole and dsqlConnectPolicy: the documented forms for good input, and a
 * ConfigError naming the field for bad input.
 */

const ARN = 'arn:aws:iam::111122223333:role/app-service';
const CLUSTER = 'abcdefghijklmnopqrstuvwxyz';
const CLUSTER_ARN = `arn:aws:dsql:us-east-1:111122223333:cluster/${CLUSTER}`;

/** Runs `fn`, expects a ConfigError, returns it. */
function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but the builder accepted the input');
}

const policy = (action: string, resource: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [action], Resource: [resource] }] });

describe('dsqlRole: CREATE ROLE ... WITH LOGIN and AWS IAM GRANT, the role quoted as PostgreSQL identifiers are', () => {
  it.each([
    ['an IAM role', { role: 'app', arn: ARN }, ['CREATE ROLE "app" WITH LOGIN;', `AWS IAM GRANT "app" TO '${ARN}';`]],
    [
      'an IAM user',
      { role: 'reporting', arn: 'arn:aws:iam::111122223333:user/jane.doe@example.com' },
      ['CREATE ROLE "reporting" WITH LOGIN;', "AWS IAM GRANT \"reporting\" TO 'arn:aws:iam::111122223333:user/jane.doe@example.com';"],
    ],
    [
      'a role with a path, in GovCloud',
      { role: 'app', arn: 'arn:aws-us-gov:iam::111122223333:role/service/app+worker' },
      ['CREATE ROLE "app" WITH LOGIN;', "AWS IAM GRANT \"app\" TO 'arn:aws-us-gov:iam::111122223333:role/service/app+worker';"],
    ],
    [
      'a China partition role, a name keeping its case',
      { role: 'AppReader', arn: 'arn:aws-cn:iam::111122223333:role/reader' },
      ['CREATE ROLE "AppReader" WITH LOGIN;', "AWS IAM GRANT \"AppReader\" TO 'arn:aws-cn:iam::111122223333:role/reader';"],
    ],
    [
      'a hostile role name is one quoted identifier, " doubled',
      { role: 'x";DROP', arn: ARN },
      ['CREATE ROLE "x"";DROP" WITH LOGIN;', `AWS IAM GRANT "x"";DROP" TO '${ARN}';`],
    ],
    ['a role of 63 bytes', { role: 'r'.repeat(63), arn: ARN }, [`CREATE ROLE "${'r'.repeat(63)}" WITH LOGIN;`, `AWS IAM GRANT "${'r'.repeat(63)}" TO '${ARN}';`]],
  ])('%s', (_name, options, expected) => {
    expect(dsqlRole(options)).toEqual(expected);
  });

  it.each([
    ['no options', () => dsqlRole(undefined as never), 'options', /must be an object/],
    ['no role', () => dsqlRole({ arn: ARN } as never), 'role', /is required/],
    ['an empty role', () => dsqlRole({ role: '', arn: ARN }), 'role', /is required/],
    ['a role that is not a string', () => dsqlRole({ role: 42 as never, arn: ARN }), 'role', /is required/],
    ['a role with a space (no token names it)', () => dsqlRole({ role: 'app reader', arn: ARN }), 'role', /white space/],
    ['a role with a line break', () => dsqlRole({ role: 'app\n', arn: ARN }), 'role', /white space/],
    ['a role with NUL', () => dsqlRole({ role: 'a\0b', arn: ARN }), 'role', /NUL/],
    ['a role PostgreSQL would truncate', () => dsqlRole({ role: 'r'.repeat(64), arn: ARN }), 'role', /63 bytes/],
    ['the admin role', () => dsqlRole({ role: 'admin', arn: ARN }), 'role', /DbConnectAdmin/],
    ['a pg_ role', () => dsqlRole({ role: 'pg_app', arn: ARN }), 'role', /reserves/],
    ['no ARN', () => dsqlRole({ role: 'app' } as never), 'arn', /is required/],
    ['an ARN that is not one', () => dsqlRole({ role: 'app', arn: 'app-service' }), 'arn', /not the ARN of an IAM role or user/],
    ['an STS assumed-role session', () => dsqlRole({ role: 'app', arn: 'arn:aws:sts::111122223333:assumed-role/app-service/lambda' }), 'arn', /STS session/],
    ['a group ARN', () => dsqlRole({ role: 'app', arn: 'arn:aws:iam::111122223333:group/devs' }), 'arn', /role or user/],
    ['an account of 11 digits', () => dsqlRole({ role: 'app', arn: 'arn:aws:iam::11112222333:role/app' }), 'arn', /12-digit/],
    ['a wildcard', () => dsqlRole({ role: 'app', arn: 'arn:aws:iam::111122223333:role/*' }), 'arn', /not the ARN/],
    ['a quote that would close the string', () => dsqlRole({ role: 'app', arn: "arn:aws:iam::111122223333:role/x'; DROP ROLE app; --" }), 'arn', /not the ARN/],
    ['a name longer than IAM allows', () => dsqlRole({ role: 'app', arn: `arn:aws:iam::111122223333:role/${'n'.repeat(65)}` }), 'arn', /at most 64/],
    ['white space around the ARN', () => dsqlRole({ role: 'app', arn: ` ${ARN}` }), 'arn', /not the ARN/],
  ])('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});

describe('dsqlConnectPolicy: dsql:DbConnect (or DbConnectAdmin) on one cluster', () => {
  it.each([
    ['by id, region and account', { clusterId: CLUSTER, region: 'us-east-1', account: '111122223333' }, policy('dsql:DbConnect', CLUSTER_ARN)],
    ['by ARN', { clusterArn: CLUSTER_ARN }, policy('dsql:DbConnect', CLUSTER_ARN)],
    ['admin, by ARN', { clusterArn: CLUSTER_ARN, admin: true }, policy('dsql:DbConnectAdmin', CLUSTER_ARN)],
    ['admin: false is DbConnect', { clusterArn: CLUSTER_ARN, admin: false }, policy('dsql:DbConnect', CLUSTER_ARN)],
    ['an account given as a number', { clusterId: CLUSTER, region: 'eu-west-1', account: 111122223333 as never }, policy('dsql:DbConnect', `arn:aws:dsql:eu-west-1:111122223333:cluster/${CLUSTER}`)],
    ['the partition follows the region', { clusterId: CLUSTER, region: 'us-gov-west-1', account: '011122223333', admin: true }, policy('dsql:DbConnectAdmin', `arn:aws-us-gov:dsql:us-gov-west-1:011122223333:cluster/${CLUSTER}`)],
  ])('%s', (_name, options, expected) => {
    expect(dsqlConnectPolicy(options)).toEqual(expected);
  });

  it.each([
    ['no options', () => dsqlConnectPolicy(null as never), 'options', /must be an object/],
    ['nothing naming the cluster', () => dsqlConnectPolicy({}), 'clusterId', /is required/],
    ['a cluster id that is the endpoint', () => dsqlConnectPolicy({ clusterId: `${CLUSTER}.dsql.us-east-1.on.aws`, region: 'us-east-1', account: '111122223333' }), 'clusterId', /endpoint, not its id/],
    ['a cluster id in upper case', () => dsqlConnectPolicy({ clusterId: CLUSTER.toUpperCase(), region: 'us-east-1', account: '111122223333' }), 'clusterId', /not a DSQL cluster id/],
    ['a cluster id with a wildcard', () => dsqlConnectPolicy({ clusterId: '*', region: 'us-east-1', account: '111122223333' }), 'clusterId', /not a DSQL cluster id/],
    ['no region', () => dsqlConnectPolicy({ clusterId: CLUSTER, account: '111122223333' }), 'region', /is required/],
    ['a region misspelled', () => dsqlConnectPolicy({ clusterId: CLUSTER, region: 'useast1', account: '111122223333' }), 'region', /not an AWS region/],
    ['no account', () => dsqlConnectPolicy({ clusterId: CLUSTER, region: 'us-east-1' }), 'account', /is required/],
    ['an account of 11 digits', () => dsqlConnectPolicy({ clusterId: CLUSTER, region: 'us-east-1', account: '11112222333' }), 'account', /12-digit/],
    ['a cluster ARN that is an RDS one', () => dsqlConnectPolicy({ clusterArn: 'arn:aws:rds:us-east-1:111122223333:cluster:mydb' }), 'clusterArn', /not a DSQL cluster ARN/],
    ['a cluster ARN with a bad region', () => dsqlConnectPolicy({ clusterArn: `arn:aws:dsql:moon:111122223333:cluster/${CLUSTER}` }), 'clusterArn', /not an AWS region/],
    ['a cluster ARN with a wildcard id', () => dsqlConnectPolicy({ clusterArn: 'arn:aws:dsql:us-east-1:111122223333:cluster/*' }), 'clusterArn', /not a DSQL cluster id/],
    ['a cluster ARN in the wrong partition', () => dsqlConnectPolicy({ clusterArn: `arn:aws:dsql:cn-north-1:111122223333:cluster/${CLUSTER}` }), 'clusterArn', /partition/],
    ['a cluster ARN and a cluster id', () => dsqlConnectPolicy({ clusterArn: CLUSTER_ARN, clusterId: CLUSTER }), 'clusterId', /together with clusterArn/],
    ['a cluster ARN and a region', () => dsqlConnectPolicy({ clusterArn: CLUSTER_ARN, region: 'us-east-1' }), 'region', /together with clusterArn/],
    ['admin that is not a boolean', () => dsqlConnectPolicy({ clusterArn: CLUSTER_ARN, admin: 'yes' as never }), 'admin', /true or false/],
  ])('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});

// Properties, as test/unit/provision.properties.test.ts states them for the other builders: for any
// options, the documented form or a ConfigError naming the option; fast on long input; no secret
// put in a text option by mistake shown in a message.

const RUNS = { numRuns: 400 };
const PG_IDENT = /"(?:[^"]|"")*"/g;
const options = (shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 9, arbitrary: fc.record(shape, { requiredKeys: [] }) }, { weight: 1, arbitrary: anyValue });
const roleName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_$#]{0,15}$/), fc.stringMatching(/^[A-Za-z0-9_%$#@".-]{1,20}$/), fc.string({ minLength: 1, maxLength: 12 }));
const iamArn = fc
  .tuple(fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'), fc.stringMatching(/^\d{12}$/), fc.constantFrom('role', 'user'), fc.constantFrom('', 'service/', 'a/b/'), fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{1,64}$/))
  .map(([partition, account, kind, path, n]) => `arn:${partition}:iam::${account}:${kind}/${path}${n}`);
const region = fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'eu-isoe-west-1');
const clusterId = fc.stringMatching(/^[a-z0-9]{26}$/);
const account = fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constant(111122223333));

interface Spec {
  name: string;
  build: (o: unknown) => unknown;
  options: fc.Arbitrary<unknown>;
  fields: RegExp;
  check: (out: any, o: any) => void;
  valid: Record<string, unknown>;
  texts: string[];
}

const SPECS: Spec[] = [
  {
    name: 'dsqlRole',
    build: (o) => dsqlRole(o as never),
    options: options({ role: nearly(roleName), arn: nearly(iamArn) }),
    fields: /^(options|role|arn)$/,
    check: (out: string[], o) => {
      const ident = `"${String(o.role).replaceAll('"', '""')}"`;
      expect(out).toEqual([`CREATE ROLE ${ident} WITH LOGIN;`, `AWS IAM GRANT ${ident} TO '${o.arn}';`]);
      // With the role cut out, one statement of keywords; the ARN holds no quote, backslash or white space.
      expect(out[1]!.replace(PG_IDENT, '<>')).toMatch(/^AWS IAM GRANT <> TO 'arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[A-Za-z0-9_+=,.@/-]+';$/);
      expect(o.role).not.toMatch(/[\s\0]/);
      expect(o.role).not.toBe('admin');
    },
    valid: { role: 'app', arn: 'arn:aws:iam::111122223333:role/app' },
    texts: ['role', 'arn'],
  },
  {
    name: 'dsqlConnectPolicy',
    build: (o) => dsqlConnectPolicy(o as never),
    options: fc.oneof(
      options({ clusterId: nearly(clusterId), region: nearly(region), account: nearly(account), admin: fc.oneof(fc.boolean(), anyValue) }),
      options({ clusterArn: nearly(fc.tuple(region, clusterId).map(([r, id]) => `arn:${r.startsWith('cn-') ? 'aws-cn' : r.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'}:dsql:${r}:111122223333:cluster/${id}`)), region: fc.constantFrom(undefined, 'us-east-1'), admin: fc.boolean() }),
    ),
    fields: /^(options|clusterArn|clusterId|region|account|admin)$/,
    check: (out, o) => {
      expect(out.Version).toBe('2012-10-17');
      expect(out.Statement).toHaveLength(1);
      const [st] = out.Statement;
      expect(st.Effect).toBe('Allow');
      expect(st.Action).toEqual([o.admin === true ? 'dsql:DbConnectAdmin' : 'dsql:DbConnect']);
      // One cluster, by its exact ARN: no wildcard, no policy variable.
      expect(st.Resource).toHaveLength(1);
      expect(st.Resource[0]).toMatch(/^arn:aws(-[a-z-]+)?:dsql:[a-z0-9-]+:\d{12}:cluster\/[a-z0-9]+$/);
      if (o.clusterArn !== undefined) expect(st.Resource[0]).toBe(o.clusterArn);
      else expect(st.Resource[0]).toMatch(new RegExp(`:dsql:${o.region}:${o.account}:cluster/${o.clusterId}$`));
    },
    valid: { clusterId: 'abcdefghijklmnopqrstuvwxyz', region: 'us-east-1', account: '111122223333' },
    texts: ['clusterId', 'region', 'account'],
  },
];

function withText(valid: Record<string, unknown>, path: string, text: string): Record<string, unknown> {
  return { ...valid, [path]: text };
}

describe.each(SPECS)('$name, for any options', (b) => {
  it('returns its documented form or throws a ConfigError naming the option', () => {
    fc.assert(
      fc.property(b.options, (o) => {
        const out = typedOutcome(() => b.build(o), b.fields);
        if ('value' in out) b.check(out.value, o);
      }),
      RUNS,
    );
  });

  it('stays fast on long input in every text option (the test timeout is the bound)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...b.texts), longString, (path, text) => {
        typedOutcome(() => b.build(withText(b.valid, path, text)), b.fields);
      }),
      { numRuns: 60 },
    );
  });

  it('never shows a token or key put in a text option by mistake', () => {
    fc.assert(
      fc.property(fc.constantFrom(...b.texts), embeddedSecret, (path, s) => {
        expectNoSecret(typedOutcome(() => b.build(withText(b.valid, path, s.text)), b.fields), s.secret);
      }),
      RUNS,
    );
  });

  it('valid options build', () => {
    expect(typedOutcome(() => b.build(b.valid), b.fields)).toHaveProperty('value');
  });
});
