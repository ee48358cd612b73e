import { awsPartition, isAwsRegion } from '../sources/aws/region.js';
import { ConfigError } from '../core/errors.js';
import { requireObject } from '../core/validation.js';
import { quoted, requireText } from './quote.js';

/*
 * Documented form produced here (Amazon RDS / Aurora User Guide, "Creating and
 * using an IAM policy for IAM database access", and the RDS Proxy pages):
 *
 *   { "Version": "2012-10-17",
 *     "Statement": [{ "Effect": "Allow", "Action": ["rds-db:connect"],
 *                     "Resource": ["arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<db user>"] }] }
 *
 * The resource id is the instance's DbiResourceId (db-...), the cluster's
 * DbClusterResourceId (cluster-...) or the proxy's id (prx-...), not its name.
 */

/**
 * Options of {@link rdsConnectPolicy}.
 *
 * @example
 * ```ts
 * const options: RdsConnectPolicyOptions = {
 *   region: 'us-east-2',
 *   account: '111122223333',
 *   resourceId: 'db-ABCDEFGHIJKL01234',
 *   user: 'app',
 * };
 * ```
 */
export interface RdsConnectPolicyOptions {
  /** The database's region, such as `us-east-2`. The partition (`aws`, `aws-cn`, `aws-us-gov`, ...) follows from it. */
  region: string;
  /** The 12-digit AWS account id that owns the database. */
  account: string;
  /**
   * The resource id: `db-...` (an instance's DbiResourceId), `cluster-...`
   * (an Aurora cluster's DbClusterResourceId) or `prx-...` (an RDS Proxy).
   * `aws rds describe-db-instances --query 'DBInstances[].DbiResourceId'` prints it.
   */
  resourceId: string;
  /** The database user, or several; the IAM token's user must be one of them. */
  user: string | readonly string[];
}

/**
 * An AWS IAM policy document, as returned by {@link rdsConnectPolicy}; `JSON.stringify` it for the console or CLI.
 *
 * @example
 * ```ts
 * const policy: AwsIamPolicy = rdsConnectPolicy({ region: 'us-east-2', account: '111122223333', resourceId: 'db-ABCDEFGHIJKL01234', user: 'app' });
 * console.log(JSON.stringify(policy, null, 2));
 * ```
 */
export interface AwsIamPolicy {
  /** The policy language version, `2012-10-17`. */
  readonly Version: '2012-10-17';
  /** One `Allow` statement. */
  readonly Statement: readonly {
    /** Always `Allow`. */
    readonly Effect: 'Allow';
    /** `['rds-db:connect']`. */
    readonly Action: readonly string[];
    /** One `arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>/<user>` per user. */
    readonly Resource: readonly string[];
  }[];
}

const ACCOUNT = /^\d{12}$/;
const RESOURCE_ID = /^(?:db|cluster|prx)-[A-Za-z0-9]+$/;
/** Characters a database user name may have in the ARN: no IAM wildcards (* ?), no / or :, no white space. */
const USER = /^[A-Za-z0-9_.@$#+=,-]+$/;

/**
 * The IAM policy that lets a role or user connect as the given database
 * users with IAM tokens (`rds-db:connect`). Attach it to the Lambda role,
 * ECS task role or user that runs `awsRdsToken()`.
 *
 * Throws a {@link ConfigError} naming the option for a malformed region, an
 * account that is not 12 digits, a resource id that is an instance name
 * rather than its `db-`/`cluster-`/`prx-` id, or a user name with IAM
 * wildcards or separators.
 *
 * @example
 * ```ts
 * import { rdsConnectPolicy } from 'dbtoken/provision';
 * rdsConnectPolicy({ region: 'us-east-2', account: '111122223333', resourceId: 'db-ABCDEFGHIJKL01234', user: 'app' });
 * // { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['rds-db:connect'],
 * //   Resource: ['arn:aws:rds-db:us-east-2:111122223333:dbuser:db-ABCDEFGHIJKL01234/app'] }] }
 * ```
 */
export function rdsConnectPolicy(options: RdsConnectPolicyOptions): AwsIamPolicy {
  const o = requireObject('options', options, '{ region, account, resourceId, user }');
  const region = requireText('region', o.region, 'the database\'s AWS region, such as us-east-1');
  if (!isAwsRegion(region)) throw new ConfigError('region', `${quoted(region)} is not an AWS region name`, 'write it like us-east-1');
  const account = typeof o.account === 'number' ? String(o.account) : requireText('account', o.account, 'the 12-digit AWS account id');
  if (!ACCOUNT.test(account)) {
    throw new ConfigError('account', `${quoted(account)} is not a 12-digit AWS account id`, "pass the account id as a string of 12 digits (leading zeros count), such as '111122223333'");
  }
  const resourceId = requireText('resourceId', o.resourceId, 'the database\'s resource id, such as db-ABCDEFGHIJKL01234');
  if (!RESOURCE_ID.test(resourceId)) {
    throw new ConfigError(
      'resourceId',
      `${quoted(resourceId)} is not a resource id`,
      "use the DbiResourceId (db-...), DbClusterResourceId (cluster-...) or proxy id (prx-...), not the instance name; aws rds describe-db-instances --query 'DBInstances[].DbiResourceId' prints it",
    );
  }
  // Array.from: a hole is checked (and refused) like any other entry, not skipped by map.
  const users = typeof o.user === 'string' || o.user === undefined ? [o.user] : Array.isArray(o.user) ? Array.from(o.user) : o.user;
  if (!Array.isArray(users) || users.length === 0) {
    throw new ConfigError('user', 'is required', 'give the database user name, or an array of them');
  }
  const resources = users.map((u, i) => {
    const field = Array.isArray(o.user) ? `user[${i}]` : 'user';
    const user = requireText(field, u, 'the database user name the token is made for, such as app');
    if (!USER.test(user) || Buffer.byteLength(user) > 63) {
      throw new ConfigError(
        field,
        `${quoted(user)} cannot go into the ARN: a database user name there is at most 63 letters, digits and _ . @ $ # + = , - (no IAM wildcards * ?, no / or :)`,
        'give the exact user name, or write a wildcard policy by hand if you mean one',
      );
    }
    return `arn:${awsPartition(region)}:rds-db:${region}:${account}:dbuser:${resourceId}/${user}`;
  });
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['rds-db:connect'], Resource: [...new Set(resources)] }],
  };
}
