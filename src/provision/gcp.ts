import { ConfigError } from '../core/errors.js';
import { describe, requireObject } from '../core/validation.js';
import { cloudSqlUser, isServiceAccountEmail } from '../sources/gcp/users.js';
import { mysqlGrantStatements, type MysqlGrant } from './mysql.js';
import { mysqlAccount, optionalList, pgIdent, quoted, requireText } from './quote.js';

/*
 * Documented forms produced here (Cloud SQL, "Manage users with IAM database
 * authentication", and "Grant roles to an IAM principal"):
 *
 *   gcloud sql users create <user> --instance=<instance> --type=cloud_iam_user
 *   gcloud sql users create <service account> --instance=<instance> --type=cloud_iam_service_account
 *
 * where, on PostgreSQL, a service account is named without its
 * .gserviceaccount.com suffix (Cloud SQL refuses the full email there);
 * then, in the database, GRANT ... TO the user Cloud SQL made; and
 *
 *   gcloud projects add-iam-policy-binding <project> --member=user:<email> --role=roles/cloudsql.instanceUser
 *   gcloud projects add-iam-policy-binding <project> --member=serviceAccount:<email> --role=roles/cloudsql.instanceUser
 *
 * with roles/cloudsql.client as well for logins through the Cloud SQL Auth
 * Proxy or a Cloud SQL connector.
 */

/**
 * One `gcloud` command as its argument vector, `gcloud` first: run it with
 * `execFile('gcloud', command.slice(1))`, or join it with spaces for a shell
 * (every argument is checked to hold nothing a shell would read specially,
 * but an email's apostrophe, which the caller must quote).
 *
 * @example
 * ```ts
 * const command: GcloudCommand = ['gcloud', 'sql', 'users', 'create', 'ada@example.com', '--instance=orders', '--type=cloud_iam_user'];
 * ```
 */
export type GcloudCommand = readonly string[];

/** A Google account or service account email, in the characters Google allows: no quote but `'`, no space, no shell syntax. */
const EMAIL = /^[a-z0-9._+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i;
/** Cloud SQL instance ids: a lower-case letter, then letters, digits and hyphens, not ending in one. */
const INSTANCE_ID = /^[a-z](?:[a-z0-9-]{0,96}[a-z0-9])?$/;
/** Project ids: 6 to 30 lower-case letters, digits and hyphens; an older domain-scoped one is `example.com:my-project`. */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]{0,62}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A region, such as europe-west1. */
const REGION = /^[a-z]+(?:-[a-z]+)*[0-9]+$/;

/** The principal kinds IAM database authentication knows. */
const KINDS = ['user', 'service_account'] as const;

/** A Google principal's email, checked; the kind it is (a service account by its domain, unless `kind` says otherwise). */
function principal(field: string, value: unknown, kindValue: unknown): { email: string; kind: 'user' | 'service_account' } {
  const email = requireText(field, value, "the principal's email, such as ada@example.com or orders-api@my-project.iam.gserviceaccount.com");
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new ConfigError(field, `${quoted(email)} is not an email Cloud SQL can name (letters, digits and . _ + ' - before the @, a domain after it)`, "give the Google account's or service account's email");
  }
  if (kindValue !== undefined && !(KINDS as readonly unknown[]).includes(kindValue)) {
    throw new ConfigError('kind', `must be 'user' or 'service_account', got ${typeof kindValue === 'string' ? quoted(kindValue) : describe(kindValue)}`, 'leave it out: a service account is told by its .gserviceaccount.com domain');
  }
  const isSa = isServiceAccountEmail(email);
  const kind = (kindValue as 'user' | 'service_account' | undefined) ?? (isSa ? 'service_account' : 'user');
  if ((kind === 'service_account') !== isSa) {
    throw new ConfigError(
      'kind',
      kind === 'service_account' ? `is 'service_account', but ${quoted(email)} is not a service account's email (…@….gserviceaccount.com)` : `is 'user', but ${quoted(email)} is a service account's email`,
      'leave it out: it follows from the email',
    );
  }
  return { email: email.toLowerCase(), kind };
}

/** An instance id, or a connection name `project:region:instance` (its project then goes to `--project`). */
function instanceOf(value: unknown): { instance: string; project: string | undefined } {
  const text = requireText('instance', value, "the Cloud SQL instance's id, such as orders, or its connection name, such as my-project:europe-west1:orders");
  const fix = 'give the instance id (gcloud sql instances list shows it), or its connection name project:region:instance';
  if (INSTANCE_ID.test(text)) return { instance: text, project: undefined };
  const parts = text.split(':');
  // project:region:instance, or a domain-scoped project's example.com:project:region:instance.
  if (parts.length === 3 || parts.length === 4) {
    const instance = parts.at(-1)!;
    const region = parts.at(-2)!;
    const project = parts.slice(0, -2).join(':');
    if (INSTANCE_ID.test(instance) && REGION.test(region) && PROJECT_ID.test(project)) return { instance, project };
  }
  throw new ConfigError('instance', `${quoted(text)} is not a Cloud SQL instance id (lower-case letters, digits and hyphens) nor a connection name project:region:instance`, fix);
}

/**
 * Options of {@link cloudSqlIamUser}.
 *
 * @example
 * ```ts
 * const options: CloudSqlIamUserOptions = {
 *   email: 'orders-api@my-project.iam.gserviceaccount.com',
 *   engine: 'postgres',
 *   instance: 'my-project:europe-west1:orders',
 *   roles: ['app_readwrite'],
 * };
 * ```
 */
export interface CloudSqlIamUserOptions {
  /** The Google account's or service account's email. */
  email: string;
  /** The instance's engine: it decides the database user's name (see `cloudSqlUser` of `dbtoken/gcp`). */
  engine: 'postgres' | 'mysql';
  /** The instance id (`orders`), or its connection name (`my-project:europe-west1:orders`), which adds `--project`. */
  instance: string;
  /** `'user'` or `'service_account'`. Default: from the email (a `….gserviceaccount.com` domain is a service account's). */
  kind?: 'user' | 'service_account' | undefined;
  /** PostgreSQL only: existing roles to grant the user, such as `app_readwrite` or `pg_read_all_data`. */
  roles?: readonly string[] | undefined;
  /** MySQL only: privileges to grant the user, as for `rdsMysqlUser`. */
  grants?: readonly MysqlGrant[] | undefined;
}

/**
 * What {@link cloudSqlIamUser} returns: the `gcloud` command that adds the
 * principal to the instance, the database user it gets, and the GRANT
 * statements to run in the database afterwards.
 *
 * @example
 * ```ts
 * const { command, user, statements }: CloudSqlIamUser = cloudSqlIamUser({ email: 'ada@example.com', engine: 'mysql', instance: 'orders' });
 * ```
 */
export interface CloudSqlIamUser {
  /** `gcloud sql users create ...`, as an argument vector. */
  readonly command: GcloudCommand;
  /** The database user Cloud SQL makes, which tokens log in as (`cloudSqlUser(email, engine)`). */
  readonly user: string;
  /** `GRANT ... TO <user>;` statements, one per role or grant; empty without any. */
  readonly statements: readonly string[];
}

/**
 * Adding a Google principal to a Cloud SQL instance for IAM database
 * authentication: the `gcloud sql users create ... --type=cloud_iam_user`
 * (or `cloud_iam_service_account`) command, the database user Cloud SQL
 * then makes (`cloudSqlUser(email, engine)`: on PostgreSQL a service
 * account without `.gserviceaccount.com`, which is also the name the
 * command gives; on MySQL the part before the `@`), and GRANT statements
 * for it (PostgreSQL roles, or MySQL grants to `'<user>'@'%'`), to run in
 * the database afterwards. A new IAM user holds no privileges of its own.
 * The principal also needs `roles/cloudsql.instanceUser`
 * ({@link gcpInstanceUserBinding}), and the instance the
 * `cloudsql.iam_authentication` flag.
 *
 * Throws a `ConfigError` naming the option for an email Cloud SQL cannot
 * name, a `kind` that contradicts it, an instance that is neither an id
 * nor a connection name, an engine other than postgres or mysql, roles on
 * MySQL or grants on PostgreSQL, or a user name too long for the engine.
 *
 * @example
 * ```ts
 * import { cloudSqlIamUser } from 'dbtoken/provision';
 * cloudSqlIamUser({ email: 'orders-api@my-project.iam.gserviceaccount.com', engine: 'postgres', instance: 'orders', roles: ['app_readwrite'] });
 * // { command: ['gcloud', 'sql', 'users', 'create', 'orders-api@my-project.iam', '--instance=orders', '--type=cloud_iam_service_account'],
 * //   user: 'orders-api@my-project.iam',
 * //   statements: ['GRANT "app_readwrite" TO "orders-api@my-project.iam";'] }
 * ```
 */
export function cloudSqlIamUser(options: CloudSqlIamUserOptions): CloudSqlIamUser {
  const o = requireObject('options', options, "{ email, engine: 'postgres' | 'mysql', instance, kind?, roles?, grants? }");
  if (o.engine !== 'postgres' && o.engine !== 'mysql') {
    throw new ConfigError('engine', `must be 'postgres' or 'mysql', got ${typeof o.engine === 'string' ? quoted(o.engine) : describe(o.engine)}`, 'Cloud SQL names an IAM user differently for each');
  }
  const engine = o.engine;
  const { email, kind } = principal('email', o.email, o.kind);
  const { instance, project } = instanceOf(o.instance);
  const user = cloudSqlUser(email, engine);
  // PostgreSQL: a service account is added under its user name; otherwise by its email.
  const name = engine === 'postgres' ? user : email;
  const command = ['gcloud', 'sql', 'users', 'create', name, `--instance=${instance}`, `--type=${kind === 'user' ? 'cloud_iam_user' : 'cloud_iam_service_account'}`, ...(project !== undefined ? [`--project=${project}`] : [])];
  let statements: string[];
  if (engine === 'postgres') {
    if (o.grants !== undefined) throw new ConfigError('grants', 'are MySQL grants, but the engine is postgres', 'grant PostgreSQL roles with roles, such as roles: [\'app_readwrite\']');
    const ident = pgIdent('email', user, 'the principal\'s email');
    const roles = optionalList('roles', o.roles, "role names such as ['app_readwrite']").map((r, i) => pgIdent(`roles[${i}]`, r, 'a role name, such as app_readwrite'));
    statements = [...new Set(roles)].map((r) => `GRANT ${r} TO ${ident};`);
  } else {
    if (o.roles !== undefined) throw new ConfigError('roles', 'are PostgreSQL roles, but the engine is mysql', "grant MySQL privileges with grants, such as grants: [{ privileges: ['SELECT'], on: 'orders.*' }]");
    const account = mysqlAccount('email', user, 'host', undefined);
    statements = mysqlGrantStatements('grants', o.grants, account);
  }
  return { command, user, statements };
}

/**
 * Options of {@link gcpInstanceUserBinding}.
 *
 * @example
 * ```ts
 * const options: GcpInstanceUserBindingOptions = { project: 'my-project', member: 'orders-api@my-project.iam.gserviceaccount.com' };
 * ```
 */
export interface GcpInstanceUserBindingOptions {
  /** The project that holds the Cloud SQL instance. */
  project: string;
  /** The email of the Google account or service account that logs in. */
  member: string;
  /** `'user'` or `'service_account'`. Default: from the email (a `….gserviceaccount.com` domain is a service account's). */
  kind?: 'user' | 'service_account' | undefined;
  /**
   * `true` when the principal connects through the Cloud SQL Auth Proxy or
   * a Cloud SQL connector, which also need `roles/cloudsql.client`. Not
   * needed for a direct connection to the instance's IP. Default `false`.
   */
  connector?: boolean | undefined;
}

/**
 * The `gcloud projects add-iam-policy-binding` command that grants a Google
 * account or service account `roles/cloudsql.instanceUser`, the role Cloud
 * SQL checks at each IAM database login, on the instance's project; with
 * `connector: true`, a second one for `roles/cloudsql.client`, which the
 * Cloud SQL Auth Proxy and the Cloud SQL connectors need. The principal is
 * also added to the instance ({@link cloudSqlIamUser}).
 *
 * Throws a `ConfigError` naming the option for a project that is not a
 * project id, an email Cloud SQL cannot name, a `kind` that contradicts it,
 * or a `connector` that is not a boolean.
 *
 * @example
 * ```ts
 * import { gcpInstanceUserBinding } from 'dbtoken/provision';
 * gcpInstanceUserBinding({ project: 'my-project', member: 'orders-api@my-project.iam.gserviceaccount.com' });
 * // [['gcloud', 'projects', 'add-iam-policy-binding', 'my-project',
 * //   '--member=serviceAccount:orders-api@my-project.iam.gserviceaccount.com', '--role=roles/cloudsql.instanceUser']]
 * ```
 */
export function gcpInstanceUserBinding(options: GcpInstanceUserBindingOptions): GcloudCommand[] {
  const o = requireObject('options', options, '{ project, member, kind?, connector? }');
  const project = requireText('project', o.project, 'the project id, such as my-project');
  if (!PROJECT_ID.test(project)) {
    const fromConnection = project.split(':').length >= 3;
    throw new ConfigError(
      'project',
      `${quoted(project)} is not a project id (6 to 30 lower-case letters, digits and hyphens, starting with a letter)`,
      fromConnection ? 'give the project part of the connection name alone' : 'give the project id (not its name or number): gcloud projects list shows it',
    );
  }
  const { email, kind } = principal('member', o.member, o.kind);
  if (o.connector !== undefined && typeof o.connector !== 'boolean') {
    throw new ConfigError('connector', `must be true or false, got ${describe(o.connector)}`, 'pass connector: true when connecting through the Cloud SQL Auth Proxy or a connector');
  }
  const member = `--member=${kind === 'user' ? 'user' : 'serviceAccount'}:${email}`;
  const binding = (role: string): GcloudCommand => ['gcloud', 'projects', 'add-iam-policy-binding', project, member, `--role=${role}`];
  return [binding('roles/cloudsql.instanceUser'), ...(o.connector === true ? [binding('roles/cloudsql.client')] : [])];
}
