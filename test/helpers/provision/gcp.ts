import fc from 'fast-check';
import { expect } from 'vitest';
import { cloudSqlUser } from 'dbtoken/gcp';
import { cloudSqlIamUser, gcpInstanceUserBinding } from 'dbtoken/provision';
import { anyValue, listOf, nearly } from '../hostile.js';
import { options, type BuilderSpec } from './harness.js';

/** Property specs of the Google Cloud builders (see harness.ts). */

const SA = 'orders-api@my-project.iam.gserviceaccount.com';
const PG_IDENT = /"(?:[^"]|"")*"/g;
const MYSQL_STRING = /'[^'\\]*'/g;
const BACKTICK = /`[^`]*`/g;
/** A gcloud argument a shell reads as one plain word (an email's apostrophe aside, which the caller quotes). */
const SHELL_WORD = /^[A-Za-z0-9@%+=:,./_'-]+$/;
const email = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{4,20}@[a-z][a-z0-9-]{4,20}\.iam\.gserviceaccount\.com$/),
  fc.stringMatching(/^[A-Za-z0-9._'+-]{1,20}@[a-z0-9-]{1,10}\.(com|org|io)$/),
);
const instance = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), fc.constantFrom('my-project:europe-west1:orders', 'example.com:my-project:us-central1:db'));
const project = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/), fc.constant('example.com:my-project'));
const kind = fc.oneof(fc.constant(undefined), nearly(fc.constantFrom('user', 'service_account')));
const roleName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_$#]{0,15}$/), fc.string({ minLength: 1, maxLength: 12 }));
const mysqlGrant = fc.record({ privileges: listOf(nearly(fc.constantFrom('SELECT', 'insert', 'ALL PRIVILEGES', 'SELECT ON'))), on: nearly(fc.constantFrom('orders.*', 'app_db.*', 'a.b', '*.*', '*')) }, { requiredKeys: [] });

export const GCP_BUILDERS: BuilderSpec[] = [
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
