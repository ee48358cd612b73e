import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { cloudSqlUser, isServiceAccountEmail } from '../../src/sources/gcp/users.js';

describe('cloudSqlUser: the database user Cloud SQL gives a Google principal', () => {
  it.each([
    // [email, PostgreSQL user, MySQL user]
    ['orders-api@my-project.iam.gserviceaccount.com', 'orders-api@my-project.iam', 'orders-api'],
    ['ada@example.com', 'ada@example.com', 'ada'],
    // the Compute Engine default service account, and App Engine's
    ['123456789012-compute@developer.gserviceaccount.com', '123456789012-compute@developer', '123456789012-compute'],
    ['my-project@appspot.gserviceaccount.com', 'my-project@appspot', 'my-project'],
    // Google-managed service agents live under a deeper domain
    ['service-123@gcp-sa-cloud-sql.iam.gserviceaccount.com', 'service-123@gcp-sa-cloud-sql.iam', 'service-123'],
    // Google emails are case-insensitive; Cloud SQL keeps IAM users in lower case
    ['Ada.Lovelace@Example.COM', 'ada.lovelace@example.com', 'ada.lovelace'],
    ['Orders-API@My-Project.IAM.GServiceAccount.com', 'orders-api@my-project.iam', 'orders-api'],
    // plus addressing and dots are part of a user's name
    ['ada+db@example.com', 'ada+db@example.com', 'ada+db'],
    ['first.last@sub.example.co.uk', 'first.last@sub.example.co.uk', 'first.last'],
    // a domain that only looks like a service account's is a user's
    ['ada@gserviceaccount.com', 'ada@gserviceaccount.com', 'ada'],
    ['ada@notgserviceaccount.com', 'ada@notgserviceaccount.com', 'ada'],
    ['ada@example.gserviceaccount.com.evil.test', 'ada@example.gserviceaccount.com.evil.test', 'ada'],
    // a workspace account whose domain mentions iam is still a person
    ['bob@iam.example.com', 'bob@iam.example.com', 'bob'],
  ])('%s: PostgreSQL %s, MySQL %s', (email, postgres, mysql) => {
    expect(cloudSqlUser(email, 'postgres')).toBe(postgres);
    expect(cloudSqlUser(email, 'mysql')).toBe(mysql);
  });

  it.each([
    ['an empty string', ''],
    ['no @', 'ada.example.com'],
    ['two @', 'ada@b@example.com'],
    ['nothing before the @', '@example.com'],
    ['nothing after the @', 'ada@'],
    ['a space', 'ada lovelace@example.com'],
    ['a trailing newline', 'ada@example.com\n'],
    ['a NUL', 'ada\0@example.com'],
    ['a domain starting with a dot', 'ada@.example.com'],
    ['a domain ending with a dot', 'ada@example.com.'],
    ['a domain with an empty label', 'ada@example..com'],
    ['a service-account suffix and nothing else', 'sa@.gserviceaccount.com'],
  ])('refuses %s with a ConfigError on email', (_what, email) => {
    for (const engine of ['postgres', 'mysql'] as const) {
      const err = (() => {
        try {
          cloudSqlUser(email, engine);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('email');
    }
  });

  it.each([
    ['an unknown engine', 'oracle'],
    ['an engine in capitals', 'POSTGRES'],
    ['no engine', undefined],
  ])('refuses %s with a ConfigError on engine', (_what, engine) => {
    expect(() => cloudSqlUser('ada@example.com', engine as never)).toThrow(expect.objectContaining({ field: 'engine' }));
    expect(() => cloudSqlUser('ada@example.com', engine as never)).toThrow(ConfigError);
  });

  it('refuses a non-string email with a ConfigError on email', () => {
    expect(() => cloudSqlUser(42 as never, 'postgres')).toThrow(expect.objectContaining({ field: 'email' }));
    expect(() => cloudSqlUser(undefined as never, 'mysql')).toThrow(expect.objectContaining({ field: 'email' }));
  });

  it('does not quote an overlong email whole in its message', () => {
    const long = `${'a'.repeat(5000)}`;
    try {
      cloudSqlUser(long, 'postgres');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(500);
    }
  });

  it('isServiceAccountEmail tells service accounts from people', () => {
    expect(isServiceAccountEmail('orders-api@my-project.iam.gserviceaccount.com')).toBe(true);
    expect(isServiceAccountEmail('X@Developer.GSERVICEACCOUNT.COM')).toBe(true);
    expect(isServiceAccountEmail('ada@example.com')).toBe(false);
    expect(isServiceAccountEmail('ada@gserviceaccount.com')).toBe(false);
    expect(isServiceAccountEmail('@x.gserviceaccount.com')).toBe(false);
  });
});
