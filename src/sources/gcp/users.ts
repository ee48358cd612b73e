import { ConfigError } from '../../core/errors.js';
import { describe } from '../../core/validation.js';

/** The domain suffix of every Google service account's email (`…@<project>.iam.gserviceaccount.com`, `…@developer.gserviceaccount.com`, …). */
const SERVICE_ACCOUNT_SUFFIX = '.gserviceaccount.com';

/**
 * The database user Cloud SQL gives a Google principal under IAM database authentication, from its
 * email, as Cloud SQL names the IAM users and service accounts added to an instance:
 *
 * - **PostgreSQL**: a user's full email (`ada@example.com`); a service account's email without
 *   `.gserviceaccount.com` (`orders-api@my-project.iam`).
 * - **MySQL**: the part of the email before the `@`, for users (`ada`) and service accounts
 *   (`orders-api`) alike.
 *
 * Google emails are case-insensitive and Cloud SQL keeps IAM users in lower case, so the result is
 * lower case. A service account is any email whose domain ends with `.gserviceaccount.com`. MySQL's
 * 32-character limit on user names is not applied: Cloud SQL refuses to add such a user.
 *
 * Throws a `ConfigError` naming `email` for something that is not an email (no `@`, more than one,
 * an empty part, spaces or control characters), and naming `engine` for an engine other than
 * `'postgres'` or `'mysql'`.
 *
 * @example
 * ```ts
 * import { cloudSqlUser } from 'dbtoken/gcp';
 * cloudSqlUser('orders-api@my-project.iam.gserviceaccount.com', 'postgres'); // 'orders-api@my-project.iam'
 * cloudSqlUser('orders-api@my-project.iam.gserviceaccount.com', 'mysql'); // 'orders-api'
 * cloudSqlUser('Ada@Example.com', 'postgres'); // 'ada@example.com'
 * cloudSqlUser('ada@example.com', 'mysql'); // 'ada'
 * ```
 */
export function cloudSqlUser(email: string, engine: 'postgres' | 'mysql'): string {
  if (engine !== 'postgres' && engine !== 'mysql') {
    throw new ConfigError('engine', `must be 'postgres' or 'mysql', got ${typeof engine === 'string' ? JSON.stringify(engine) : describe(engine)}`);
  }
  if (typeof email !== 'string') throw new ConfigError('email', `must be the principal's email, got ${describe(email)}`);
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@') || at === email.length - 1) {
    throw new ConfigError('email', `must be an email with one @ between a name and a domain, got ${email === '' ? 'an empty string' : JSON.stringify(email.slice(0, 320))}`);
  }
  if (/[\s\u0000-\u001f\u007f]/.test(email)) throw new ConfigError('email', 'must not hold spaces or control characters');
  const lower = email.toLowerCase();
  const local = lower.slice(0, at);
  const domain = lower.slice(at + 1);
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    throw new ConfigError('email', `has a malformed domain: ${JSON.stringify(email.slice(at + 1, at + 256))}`);
  }
  if (engine === 'mysql') return local;
  if (isServiceAccountEmail(lower)) return lower.slice(0, -SERVICE_ACCOUNT_SUFFIX.length);
  return lower;
}

/**
 * Whether `email` is a Google service account's: its domain ends with `.gserviceaccount.com`.
 *
 * @internal
 */
export function isServiceAccountEmail(email: string): boolean {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1).toLowerCase();
  return at > 0 && domain.endsWith(SERVICE_ACCOUNT_SUFFIX) && domain.length > SERVICE_ACCOUNT_SUFFIX.length;
}
