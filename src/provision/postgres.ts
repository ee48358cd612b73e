import { requireObject } from '../core/validation.js';
import { optionalList, pgIdent } from './quote.js';

/*
 * Documented form produced here (Amazon RDS / Aurora User Guide, "Creating a
 * database account using IAM authentication", PostgreSQL):
 *
 *   CREATE USER <user>;  GRANT rds_iam TO <user>;
 *
 * written as CREATE USER "<user>" WITH LOGIN; (LOGIN is CREATE USER's default,
 * spelled out so the statement says what it is for) and GRANT rds_iam TO "<user>";
 * followed by one GRANT "<role>" TO "<user>"; per extra role.
 */

/**
 * Options of {@link rdsPostgresUser}.
 *
 * Names are double-quoted PostgreSQL identifiers, so they are case-sensitive
 * and stored exactly as given (`App` stays `App`): pass the same name to
 * `awsRdsToken({ username })`. Any character but NUL is allowed; a name over
 * 63 bytes is refused, because PostgreSQL would truncate it.
 *
 * @example
 * ```ts
 * const options: RdsPostgresUserOptions = { user: 'app', roles: ['app_readwrite'] };
 * ```
 */
export interface RdsPostgresUserOptions {
  /** The database user to create; IAM tokens are signed for this exact name. */
  user: string;
  /** Existing roles to grant the user, such as `app_readwrite` or `pg_read_all_data`. */
  roles?: readonly string[] | undefined;
}

/**
 * The statements that create an RDS or Aurora PostgreSQL user that logs in
 * with IAM tokens: the user, `rds_iam`, and any extra roles. Run them as the
 * master user. A user with `rds_iam` can no longer log in with a password.
 *
 * Throws a `ConfigError` (`field` = `user` or `roles[i]`) for an empty
 * name, a NUL character, or a name PostgreSQL would truncate.
 *
 * @example
 * ```ts
 * import { rdsPostgresUser } from 'dbtoken/provision';
 * rdsPostgresUser({ user: 'app', roles: ['app_readwrite'] });
 * // ['CREATE USER "app" WITH LOGIN;', 'GRANT rds_iam TO "app";', 'GRANT "app_readwrite" TO "app";']
 * ```
 */
export function rdsPostgresUser(options: RdsPostgresUserOptions): string[] {
  const o = requireObject('options', options, '{ user, roles? }');
  const user = pgIdent('user', o.user, 'the database user to create, such as app');
  const roles = optionalList('roles', o.roles, "role names such as ['app_readwrite']").map((r, i) =>
    pgIdent(`roles[${i}]`, r, 'a role name, such as app_readwrite'),
  );
  return [
    `CREATE USER ${user} WITH LOGIN;`,
    `GRANT rds_iam TO ${user};`,
    ...[...new Set(roles)].map((r) => `GRANT ${r} TO ${user};`),
  ];
}
