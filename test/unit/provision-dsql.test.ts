import { describe, expect, it } from 'vitest';
import { dsqlConnectPolicy, dsqlRole } from 'dbtoken/provision';
import { refusal } from '../helpers/provision/harness.js';

/**
 * dsqlRole and dsqlConnectPolicy: the documented forms for good input, and a
 * ConfigError naming the field for bad input.
 */

const ARN = 'arn:aws:iam::111122223333:role/app-service';
const CLUSTER = 'abcdefghijklmnopqrstuvwxyz';
const CLUSTER_ARN = `arn:aws:dsql:us-east-1:111122223333:cluster/${CLUSTER}`;

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
