import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { cloudSqlUser } from 'dbtoken/gcp';
import { cloudSqlIamUser, gcpInstanceUserBinding } from 'dbtoken/provision';
import { anyValue, embeddedSecret, expectNoSecret, listOf, longString, nearly, typedOutcome } from '../helpers/hostile.js';

/**
 * cloudSqlIamUser and gcpInstanceUserBinding: the gcloud commands Cloud SQL
 * documents, the database user Cloud SQL makes, GRANTs for it, and a
 * ConfigError naming the field for bad input.
 */

const SA = 'orders-api@my-project.iam.gserviceaccount.com';

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

// Properties, as test/unit/provision.properties.test.ts states them for the other builders: for any
// options, the documented form or a ConfigError naming the option; fast on long input; no secret
// put in a text option by mistake shown in a message.

const RUNS = { numRuns: 400 };
const PG_IDENT = /"(?:[^"]|"")*"/g;
const MYSQL_STRING = /'[^'\\]*'/g;
const BACKTICK = /`[^`]*`/g;
/** A gcloud argument a shell reads as one plain word (an email's apostrophe aside, which the caller quotes). */
const SHELL_WORD = /^[A-Za-z0-9@%+=:,./_'-]+$/;
const options = (shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 9, arbitrary: fc.record(shape, { requiredKeys: [] }) }, { weight: 1, arbitrary: anyValue });
const email = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{4,20}@[a-z][a-z0-9-]{4,20}\.iam\.gserviceaccount\.com$/),
  fc.stringMatching(/^[A-Za-z0-9._'+-]{1,20}@[a-z0-9-]{1,10}\.(com|org|io)$/),
);
const instance = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), fc.constantFrom('my-project:europe-west1:orders', 'example.com:my-project:us-central1:db'));
const project = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/), fc.constant('example.com:my-project'));
const kind = fc.oneof(fc.constant(undefined), nearly(fc.constantFrom('user', 'service_account')));
const roleName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_$#]{0,15}$/), fc.string({ minLength: 1, maxLength: 12 }));
const mysqlGrant = fc.record({ privileges: listOf(nearly(fc.constantFrom('SELECT', 'insert', 'ALL PRIVILEGES', 'SELECT ON'))), on: nearly(fc.constantFrom('orders.*', 'app_db.*', 'a.b', '*.*', '*')) }, { requiredKeys: [] });

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
    name: 'cloudSqlIamUser',
    build: (o) => cloudSqlIamUser(o as never),
    options: options({
      email: nearly(email),
      engine: nearly(fc.constantFrom('postgres', 'mysql')),
      instance: nearly(instance),
      kind,
      roles: fc.oneof(fc.constant(undefined), listOf(nearly(roleName))),
      grants: fc.oneof(fc.constant(undefined), fc.constant(undefined), listOf(mysqlGrant)),
    }),
    fields: /^(options|email|engine|instance|kind|roles(\[\d+\])?|grants(\[\d+\](\.(privileges(\[\d+\])?|on))?)?)$/,
    check: (out, o) => {
      const sa = /\.gserviceaccount\.com$/i.test(o.email);
      expect(out.user).toBe(cloudSqlUser(o.email, o.engine));
      expect(out.command.slice(0, 4)).toEqual(['gcloud', 'sql', 'users', 'create']);
      expect(out.command[4]).toBe(o.engine === 'postgres' ? out.user : o.email.toLowerCase());
      expect(out.command[5]).toMatch(/^--instance=[a-z][a-z0-9-]*$/);
      expect(out.command[6]).toBe(sa ? '--type=cloud_iam_service_account' : '--type=cloud_iam_user');
      expect(out.command.length).toBe(String(o.instance).includes(':') ? 8 : 7);
      for (const arg of out.command) expect(arg).toMatch(SHELL_WORD);
      for (const sql of out.statements) {
        if (o.engine === 'postgres') {
          // Role names are quoted identifiers, any character but NUL, as rdsPostgresUser writes them: the rest is keywords.
          expect(sql.replace(PG_IDENT, '<>')).toBe('GRANT <> TO <>;');
        } else {
          expect(sql).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
          expect(sql.replace(MYSQL_STRING, '<>').replace(BACKTICK, '<>')).toMatch(/^GRANT [A-Z_]+( [A-Z_]+)*(, [A-Z_]+( [A-Z_]+)*)* ON (\*\.\*|<>\.\*|<>\.<>) TO <>@<>;$/);
        }
      }
    },
    valid: { email: SA, engine: 'postgres', instance: 'orders' },
    texts: ['email', 'engine', 'instance', 'kind'],
  },
  {
    name: 'gcpInstanceUserBinding',
    build: (o) => gcpInstanceUserBinding(o as never),
    options: options({ project: nearly(project), member: nearly(email), kind, connector: fc.oneof(fc.boolean(), anyValue) }),
    fields: /^(options|project|member|kind|connector)$/,
    check: (out, o) => {
      const sa = /\.gserviceaccount\.com$/i.test(o.member);
      const member = `--member=${sa ? 'serviceAccount' : 'user'}:${o.member.toLowerCase()}`;
      const roles = o.connector === true ? ['roles/cloudsql.instanceUser', 'roles/cloudsql.client'] : ['roles/cloudsql.instanceUser'];
      expect(out).toEqual(roles.map((r) => ['gcloud', 'projects', 'add-iam-policy-binding', o.project, member, `--role=${r}`]));
      for (const arg of out.flat()) expect(arg).toMatch(SHELL_WORD);
    },
    valid: { project: 'my-project', member: SA },
    texts: ['project', 'member', 'kind'],
  },
];

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
        typedOutcome(() => b.build({ ...b.valid, [path]: text }), b.fields);
      }),
      { numRuns: 60 },
    );
  });

  it('never shows a token or key put in a text option by mistake', () => {
    fc.assert(
      fc.property(fc.constantFrom(...b.texts), embeddedSecret, (path, s) => {
        expectNoSecret(typedOutcome(() => b.build({ ...b.valid, [path]: s.text }), b.fields), s.secret);
      }),
      RUNS,
    );
  });

  it('valid options build', () => {
    expect(typedOutcome(() => b.build(b.valid), b.fields)).toHaveProperty('value');
  });
});
