import { ConfigError } from '../core/errors.js';
import { describe, requireObject } from '../core/validation.js';
import { awsPartition, isAwsRegion } from '../sources/aws/region.js';
import type { AwsIamPolicy } from './aws-policy.js';
import { pgIdent, quoted, requireText } from './quote.js';

/*
 * Documented forms produced here (Amazon Aurora DSQL User Guide, "Using
 * database roles and IAM authentication" and "Generating an authentication
 * token"):
 *
 *   CREATE ROLE example WITH LOGIN;
 *   AWS IAM GRANT example TO 'arn:aws:iam::012345678912:role/example';
 *
 * written with the role double-quoted, as rdsPostgresUser quotes names; and
 *
 *   { "Version": "2012-10-17",
 *     "Statement": [{ "Effect": "Allow", "Action": ["dsql:DbConnect"],
 *                     "Resource": ["arn:aws:dsql:<region>:<account>:cluster/<cluster id>"] }] }
 *
 * with dsql:DbConnectAdmin in place of dsql:DbConnect for the admin role.
 */

/**
 * Options of {@link dsqlRole}.
 *
 * The role is a double-quoted PostgreSQL identifier, so it is case-sensitive
 * and stored exactly as given: pass the same name to
 * `awsDsqlToken({ username })`.
 *
 * @example
 * ```ts
 * const options: DsqlRoleOptions = { role: 'app', arn: 'arn:aws:iam::111122223333:role/app-service' };
 * ```
 */
export interface DsqlRoleOptions {
  /** The database role to create; DSQL tokens log in as this exact name. Not `admin`, which exists already. */
  role: string;
  /**
   * The IAM role or user whose tokens log in as `role`:
   * `arn:aws:iam::<account>:role/<name>` or `arn:aws:iam::<account>:user/<name>`
   * (a path, such as `role/service/app`, included). For a Lambda function or
   * an ECS task, its role's ARN, not the `sts` assumed-role session's.
   */
  arn: string;
}

/** A role or user ARN, its path and name in the characters IAM names use (no quotes, no wildcards). */
const IAM_ARN = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):(role|user)\/((?:[A-Za-z0-9_+=,.@-]+\/)*)([A-Za-z0-9_+=,.@-]+)$/;
/** IAM's limits: a role or user name of at most 64 characters, a path of at most 512. */
const IAM_NAME_MAX = 64;
const IAM_PATH_MAX = 512;

/** The IAM identity an `AWS IAM GRANT` maps a role to; a ConfigError on `field` for anything else. */
function iamArn(field: string, value: unknown): string {
  const arn = requireText(field, value, "the ARN of the IAM role or user that logs in, such as 'arn:aws:iam::111122223333:role/app-service'");
  const fix = "give the ARN of an IAM role or user, such as 'arn:aws:iam::111122223333:role/app-service' (aws iam get-role --role-name <name> --query Role.Arn prints it)";
  if (/^arn:aws[a-z-]*:sts::/.test(arn)) {
    throw new ConfigError(field, `${quoted(arn)} is an STS session ARN, which changes with each session`, "give the ARN of the role it assumed: arn:aws:iam::<account>:role/<name>, not arn:aws:sts::<account>:assumed-role/<name>/<session>");
  }
  const m = IAM_ARN.exec(arn);
  if (m === null) {
    throw new ConfigError(field, `${quoted(arn)} is not the ARN of an IAM role or user (arn:<partition>:iam::<12-digit account>:role/<name> or user/<name>, in letters, digits and _ + = , . @ -)`, fix);
  }
  const path = m[4]!;
  const name = m[5]!;
  if (name.length > IAM_NAME_MAX) throw new ConfigError(field, `names a ${m[3]} of ${name.length} characters, but IAM names hold at most ${IAM_NAME_MAX}`, fix);
  if (path.length + 1 > IAM_PATH_MAX) throw new ConfigError(field, `has a path of ${path.length + 1} characters, but IAM paths hold at most ${IAM_PATH_MAX}`, fix);
  return arn;
}

/** PostgreSQL reserves role names that start with pg_ (CREATE ROLE refuses them). */
const RESERVED_ROLE = /^pg_/i;

/**
 * The statements that create an Aurora DSQL database role and map it to an
 * IAM role or user: `CREATE ROLE ... WITH LOGIN` and `AWS IAM GRANT`. Run
 * them as `admin` (a `DbConnectAdmin` token). The IAM identity then logs in
 * as the role with `DbConnect` tokens (`awsDsqlToken({ username })`), once an
 * IAM policy allows it `dsql:DbConnect` on the cluster
 * ({@link dsqlConnectPolicy}). `AWS IAM REVOKE <role> FROM '<arn>'` undoes
 * the mapping.
 *
 * Throws a `ConfigError` (`field` = `role` or `arn`) for an empty role, one
 * with white space or NUL (no token could name it), over 63 bytes
 * (PostgreSQL would truncate it), `admin` or a `pg_` name; and for an ARN
 * that is not an IAM role's or user's (an STS assumed-role session, a
 * wildcard, a quote).
 *
 * @example
 * ```ts
 * import { dsqlRole } from 'dbtoken/provision';
 * dsqlRole({ role: 'app', arn: 'arn:aws:iam::111122223333:role/app-service' });
 * // ['CREATE ROLE "app" WITH LOGIN;', `AWS IAM GRANT "app" TO 'arn:aws:iam::111122223333:role/app-service';`]
 * ```
 */
export function dsqlRole(options: DsqlRoleOptions): string[] {
  const o = requireObject('options', options, '{ role, arn }');
  const role = pgIdent('role', o.role, 'the database role to create, such as app');
  const name = o.role as string;
  if (/\s/.test(name)) {
    throw new ConfigError('role', `${quoted(name)} contains white space, which a DSQL token's user name cannot hold`, 'use a role name without spaces, such as app_reader');
  }
  if (name === 'admin') {
    throw new ConfigError('role', 'is "admin", the role every DSQL cluster has', 'admin needs no mapping (it logs in with DbConnectAdmin tokens): give another name for an application role');
  }
  if (RESERVED_ROLE.test(name)) {
    throw new ConfigError('role', `${quoted(name)} starts with pg_, which PostgreSQL reserves for its own roles`, 'give a name that does not start with pg_');
  }
  const arn = iamArn('arn', o.arn);
  return [`CREATE ROLE ${role} WITH LOGIN;`, `AWS IAM GRANT ${role} TO '${arn}';`];
}

/**
 * Options of {@link dsqlConnectPolicy}: the cluster, by ARN or by its id,
 * region and account.
 *
 * @example
 * ```ts
 * const byArn: DsqlConnectPolicyOptions = { clusterArn: 'arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz' };
 * const byId: DsqlConnectPolicyOptions = { clusterId: 'abcdefghijklmnopqrstuvwxyz', region: 'us-east-1', account: '111122223333', admin: true };
 * ```
 */
export interface DsqlConnectPolicyOptions {
  /**
   * The cluster's ARN, `arn:aws:dsql:<region>:<account>:cluster/<cluster id>`
   * (`aws dsql get-cluster --identifier <id> --query arn` prints it). Give it,
   * or `clusterId`, `region` and `account`.
   */
  clusterArn?: string | undefined;
  /** The cluster id: the first label of its endpoint (`<cluster id>.dsql.<region>.on.aws`). */
  clusterId?: string | undefined;
  /** The cluster's region, such as `us-east-1`. The partition (`aws`, `aws-cn`, `aws-us-gov`, ...) follows from it. */
  region?: string | undefined;
  /** The 12-digit AWS account id that owns the cluster. */
  account?: string | undefined;
  /**
   * `true` to allow `dsql:DbConnectAdmin`, the `admin` role's logins, in
   * place of `dsql:DbConnect` (every other role). Default `false`.
   */
  admin?: boolean | undefined;
}

const ACCOUNT = /^\d{12}$/;
/** A cluster id: one lower-case DNS label of letters and digits (DSQL's are 26 long). */
const CLUSTER_ID = /^[a-z0-9]{1,63}$/;
const CLUSTER_ARN = /^arn:(aws(?:-[a-z]+)*):dsql:([^:]*):([^:]*):cluster\/(.*)$/;

function checkRegion(field: string, value: unknown): string {
  const region = requireText(field, value, "the cluster's AWS region, such as us-east-1");
  if (!isAwsRegion(region)) throw new ConfigError(field, `${quoted(region)} is not an AWS region name`, 'write it like us-east-1');
  return region;
}

function checkAccount(field: string, value: unknown): string {
  const account = typeof value === 'number' ? String(value) : requireText(field, value, 'the 12-digit AWS account id');
  if (!ACCOUNT.test(account)) {
    throw new ConfigError(field, `${quoted(account)} is not a 12-digit AWS account id`, "pass the account id as a string of 12 digits (leading zeros count), such as '111122223333'");
  }
  return account;
}

function checkClusterId(field: string, value: unknown): string {
  const id = requireText(field, value, 'the cluster id, such as abcdefghijklmnopqrstuvwxyz');
  if (!CLUSTER_ID.test(id)) {
    const endpoint = /^([a-z0-9]+)\.dsql/i.exec(id);
    throw new ConfigError(
      field,
      endpoint ? `${quoted(id)} is the cluster's endpoint, not its id` : `${quoted(id)} is not a DSQL cluster id (lower-case letters and digits, such as abcdefghijklmnopqrstuvwxyz)`,
      endpoint ? `give the first label of the endpoint, ${quoted(endpoint[1]!.toLowerCase())}` : 'give the id from `aws dsql list-clusters`, the first label of the cluster endpoint',
    );
  }
  return id;
}

/**
 * The IAM policy that lets a role or user get Aurora DSQL logins for one
 * cluster: `dsql:DbConnect` (every role but `admin`), or
 * `dsql:DbConnectAdmin` with `admin: true`. Attach it to the role or user
 * that runs `awsDsqlToken()`; a role other than `admin` also needs
 * `AWS IAM GRANT` in the database ({@link dsqlRole}).
 *
 * Throws a {@link ConfigError} naming the option for a malformed cluster
 * ARN, a cluster id that is not one (such as the endpoint), a malformed
 * region, an account that is not 12 digits, `clusterArn` given together
 * with `clusterId`, `region` or `account`, or an `admin` that is not a
 * boolean.
 *
 * @example
 * ```ts
 * import { dsqlConnectPolicy } from 'dbtoken/provision';
 * dsqlConnectPolicy({ clusterId: 'abcdefghijklmnopqrstuvwxyz', region: 'us-east-1', account: '111122223333' });
 * // { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['dsql:DbConnect'],
 * //   Resource: ['arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz'] }] }
 * dsqlConnectPolicy({ clusterArn: 'arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz', admin: true });
 * // ... Action: ['dsql:DbConnectAdmin'] ...
 * ```
 */
export function dsqlConnectPolicy(options: DsqlConnectPolicyOptions): AwsIamPolicy {
  const o = requireObject('options', options, '{ clusterArn } or { clusterId, region, account }, and admin?');
  if (o.admin !== undefined && typeof o.admin !== 'boolean') {
    throw new ConfigError('admin', `must be true or false, got ${describe(o.admin)}`, 'pass admin: true for the admin role, or leave it out');
  }
  let resource: string;
  if (o.clusterArn !== undefined) {
    const extra = (['clusterId', 'region', 'account'] as const).find((k) => o[k] !== undefined);
    if (extra !== undefined) {
      throw new ConfigError(extra, 'cannot be given together with clusterArn, which names the cluster already', `leave ${extra} out, or give clusterId, region and account instead of clusterArn`);
    }
    const arn = requireText('clusterArn', o.clusterArn, "the cluster's ARN, such as arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz");
    const m = CLUSTER_ARN.exec(arn);
    if (m === null) {
      throw new ConfigError('clusterArn', `${quoted(arn)} is not a DSQL cluster ARN (arn:aws:dsql:<region>:<account>:cluster/<cluster id>)`, 'copy it from `aws dsql get-cluster --identifier <cluster id> --query arn`');
    }
    const region = checkRegion('clusterArn', m[2]);
    checkAccount('clusterArn', m[3]);
    checkClusterId('clusterArn', m[4]);
    if (m[1] !== awsPartition(region)) {
      throw new ConfigError('clusterArn', `is in partition ${m[1]}, but region ${region} is in ${awsPartition(region)}`, `write it as arn:${awsPartition(region)}:dsql:${region}:...`);
    }
    resource = arn;
  } else {
    const clusterId = checkClusterId('clusterId', o.clusterId);
    const region = checkRegion('region', o.region);
    const account = checkAccount('account', o.account);
    resource = `arn:${awsPartition(region)}:dsql:${region}:${account}:cluster/${clusterId}`;
  }
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: [o.admin === true ? 'dsql:DbConnectAdmin' : 'dsql:DbConnect'], Resource: [resource] }],
  };
}
