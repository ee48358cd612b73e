import { describe, expect, it } from 'vitest';
import { cloudSqlUser } from 'dbtoken/gcp';
import { cloudSqlIamUser, gcpInstanceUserBinding } from 'dbtoken/provision';
import { refusal } from '../helpers/provision/harness.js';

/**
 * cloudSqlIamUser and gcpInstanceUserBinding: the gcloud commands Cloud SQL
 * documents, the database user Cloud SQL makes, GRANTs for it, and a
 * ConfigError naming the field for bad input.
 */

const SA = 'orders-api@my-project.iam.gserviceaccount.com';

describe('cloudSqlIamUser: gcloud sql users create, the database user, and GRANTs for it', () => {
  it.each([
    [
      'a service account on PostgreSQL: added without .gserviceaccount.com, a role granted',
      { email: SA, engine: 'postgres' as const, instance: 'orders', roles: ['app_readwrite'] },
      {
        command: ['gcloud', 'sql', 'users', 'create', 'orders-api@my-project.iam', '--instance=orders', '--type=cloud_iam_service_account'],
        user: 'orders-api@my-project.iam',
        statements: ['GRANT "app_readwrite" TO "orders-api@my-project.iam";'],
      },
    ],
    [
      'a person on PostgreSQL, in lower case, by connection name (adds --project)',
      { email: 'Ada@Example.com', engine: 'postgres' as const, instance: 'my-project:europe-west1:orders' },
      { command: ['gcloud', 'sql', 'users', 'create', 'ada@example.com', '--instance=orders', '--type=cloud_iam_user', '--project=my-project'], user: 'ada@example.com', statements: [] },
    ],
    [
      'a service account on MySQL: added by its email, the user the part before @, a grant',
      { email: SA, engine: 'mysql' as const, instance: 'orders', grants: [{ privileges: ['SELECT', 'INSERT'], on: 'app_db.*' }] },
      {
        command: ['gcloud', 'sql', 'users', 'create', SA, '--instance=orders', '--type=cloud_iam_service_account'],
        user: 'orders-api',
        statements: ["GRANT SELECT, INSERT ON `app\\_db`.* TO 'orders-api'@'%';"],
      },
    ],
    [
      'a person on MySQL, kind given, a domain-scoped project',
      { email: 'ada@example.com', engine: 'mysql' as const, instance: 'example.com:my-project:us-central1:db-1', kind: 'user' as const },
      { command: ['gcloud', 'sql', 'users', 'create', 'ada@example.com', '--instance=db-1', '--type=cloud_iam_user', '--project=example.com:my-project'], user: 'ada', statements: [] },
    ],
    [
      'a hostile role is one quoted identifier; repeated roles once',
      { email: 'ada@example.com', engine: 'postgres' as const, instance: 'orders', roles: ['x";DROP', 'x";DROP'] },
      { command: ['gcloud', 'sql', 'users', 'create', 'ada@example.com', '--instance=orders', '--type=cloud_iam_user'], user: 'ada@example.com', statements: ['GRANT "x"";DROP" TO "ada@example.com";'] },
    ],
  ])('%s', (_name, options, expected) => {
    expect(cloudSqlIamUser(options)).toEqual(expected);
  });

  it('its user is cloudSqlUser(email, engine), the name dbtoken/gcp logs in as', () => {
    for (const engine of ['postgres', 'mysql'] as const) {
      for (const email of [SA, 'Ada.Lovelace@Example.com', 'x@developer.gserviceaccount.com']) {
        expect(cloudSqlIamUser({ email, engine, instance: 'orders' }).user).toBe(cloudSqlUser(email, engine));
      }
    }
  });

  it.each([
    ['no options', () => cloudSqlIamUser(undefined as never), 'options', /must be an object/],
    ['no engine', () => cloudSqlIamUser({ email: SA, instance: 'orders' } as never), 'engine', /'postgres' or 'mysql'/],
    ['an engine misspelled', () => cloudSqlIamUser({ email: SA, instance: 'orders', engine: 'postgresql' as never }), 'engine', /got "postgresql"/],
    ['no email', () => cloudSqlIamUser({ engine: 'postgres', instance: 'orders' } as never), 'email', /is required/],
    ['an email without @', () => cloudSqlIamUser({ email: 'orders-api', engine: 'postgres', instance: 'orders' }), 'email', /not an email/],
    ['an email with a space', () => cloudSqlIamUser({ email: 'ada lovelace@example.com', engine: 'postgres', instance: 'orders' }), 'email', /not an email/],
    ['an email with shell syntax', () => cloudSqlIamUser({ email: 'ada$(id)@example.com', engine: 'postgres', instance: 'orders' }), 'email', /not an email/],
    ['an email with a line break', () => cloudSqlIamUser({ email: 'ada@example.com\n--type=builtin', engine: 'postgres', instance: 'orders' }), 'email', /not an email/],
    ['kind service_account for a person', () => cloudSqlIamUser({ email: 'ada@example.com', engine: 'postgres', instance: 'orders', kind: 'service_account' }), 'kind', /not a service account's email/],
    ['kind user for a service account', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'orders', kind: 'user' }), 'kind', /is a service account's email/],
    ['a kind that is not one', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'orders', kind: 'group' as never }), 'kind', /'user' or 'service_account'/],
    ['no instance', () => cloudSqlIamUser({ email: SA, engine: 'postgres' } as never), 'instance', /is required/],
    ['an instance in upper case', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'Orders' }), 'instance', /not a Cloud SQL instance id/],
    ['an instance with a flag in it', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'orders --type=built_in' }), 'instance', /not a Cloud SQL instance id/],
    ['a connection name with two parts', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'my-project:orders' }), 'instance', /connection name/],
    ['MySQL grants on PostgreSQL', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'orders', grants: [{ privileges: ['SELECT'], on: 'a.*' }] }), 'grants', /engine is postgres/],
    ['PostgreSQL roles on MySQL', () => cloudSqlIamUser({ email: SA, engine: 'mysql', instance: 'orders', roles: ['r'] }), 'roles', /engine is mysql/],
    ['a role with NUL', () => cloudSqlIamUser({ email: SA, engine: 'postgres', instance: 'orders', roles: ['a\0b'] }), 'roles[0]', /NUL/],
    ['a MySQL user over 32 characters', () => cloudSqlIamUser({ email: `${'a'.repeat(33)}@example.com`, engine: 'mysql', instance: 'orders' }), 'email', /at most 32/],
    ["a MySQL user with an apostrophe", () => cloudSqlIamUser({ email: "o'brien@example.com", engine: 'mysql', instance: 'orders' }), 'email', /U\+0027/],
    ['a PostgreSQL user over 63 bytes', () => cloudSqlIamUser({ email: `${'a'.repeat(60)}@example.com`, engine: 'postgres', instance: 'orders' }), 'email', /63 bytes/],
    ['a grant on everything but no privileges', () => cloudSqlIamUser({ email: SA, engine: 'mysql', instance: 'orders', grants: [{ privileges: [], on: '*.*' }] }), 'grants[0].privileges', /is empty/],
  ])('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});

describe('gcpInstanceUserBinding: roles/cloudsql.instanceUser (and roles/cloudsql.client for connectors) on the project', () => {
  const binding = (project: string, member: string, role: string) => ['gcloud', 'projects', 'add-iam-policy-binding', project, `--member=${member}`, `--role=${role}`];

  it.each([
    ['a service account', { project: 'my-project', member: SA }, [binding('my-project', `serviceAccount:${SA}`, 'roles/cloudsql.instanceUser')]],
    ['a person, in lower case', { project: 'my-project', member: 'Ada@Example.com' }, [binding('my-project', 'user:ada@example.com', 'roles/cloudsql.instanceUser')]],
    [
      'through the Auth Proxy or a connector: roles/cloudsql.client too',
      { project: 'my-project', member: SA, kind: 'service_account' as const, connector: true },
      [binding('my-project', `serviceAccount:${SA}`, 'roles/cloudsql.instanceUser'), binding('my-project', `serviceAccount:${SA}`, 'roles/cloudsql.client')],
    ],
    ['connector: false is the role alone, a domain-scoped project', { project: 'example.com:my-project', member: 'ada@example.com', connector: false }, [binding('example.com:my-project', 'user:ada@example.com', 'roles/cloudsql.instanceUser')]],
  ])('%s', (_name, options, expected) => {
    expect(gcpInstanceUserBinding(options)).toEqual(expected);
  });

  it.each([
    ['no options', () => gcpInstanceUserBinding(null as never), 'options', /must be an object/],
    ['no project', () => gcpInstanceUserBinding({ member: SA } as never), 'project', /is required/],
    ['a project name with spaces', () => gcpInstanceUserBinding({ project: 'My Project', member: SA }), 'project', /not a project id/],
    ['a project number', () => gcpInstanceUserBinding({ project: '123456789012', member: SA }), 'project', /not a project id/],
    ['a connection name as project', () => gcpInstanceUserBinding({ project: 'my-project:europe-west1:orders', member: SA }), 'project', /project part of the connection name/],
    ['a project too short', () => gcpInstanceUserBinding({ project: 'proj', member: SA }), 'project', /not a project id/],
    ['a project with a flag in it', () => gcpInstanceUserBinding({ project: 'my-project --role=roles/owner', member: SA }), 'project', /not a project id/],
    ['no member', () => gcpInstanceUserBinding({ project: 'my-project' } as never), 'member', /is required/],
    ['a member with its prefix', () => gcpInstanceUserBinding({ project: 'my-project', member: `serviceAccount:${SA}` }), 'member', /not an email/],
    ['a member with a comma (a second member)', () => gcpInstanceUserBinding({ project: 'my-project', member: `${SA},user:eve@example.com` }), 'member', /not an email/],
    ['a kind that contradicts the email', () => gcpInstanceUserBinding({ project: 'my-project', member: SA, kind: 'user' }), 'kind', /service account's email/],
    ['connector that is not a boolean', () => gcpInstanceUserBinding({ project: 'my-project', member: SA, connector: 'yes' as never }), 'connector', /true or false/],
  ])('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});
