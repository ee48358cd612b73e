import fc from 'fast-check';
import { expect } from 'vitest';
import { azureMysqlUser, azurePostgresPrincipal } from 'dbtoken/provision';
import { anyValue, listOf, nearly } from '../hostile.js';
import { options, type BuilderSpec } from './harness.js';

/** Property specs of the Azure builders (see harness.ts). */

const CLIENT_ID = '12121212-3434-4565-8787-909090909090';
/** PostgreSQL string literals, ' doubled inside; MySQL ones, where ' and \ are refused. */
const PG_STRING = /'(?:[^']|'')*'/g;
const MYSQL_STRING = /'[^'\\]*'/g;
const BACKTICK = /`[^`]*`/g;
const principalName = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9.'_-]{0,12}@contoso\.com$/),
  fc.stringMatching(/^[A-Za-z0-9_ #@.'-]{1,24}$/),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const guid = fc.uuid();
const privilege = fc.constantFrom('SELECT', 'insert', 'ALL PRIVILEGES', 'EXECUTE', 'SELECT ON', 'ſelect');
const grantOn = fc.constantFrom('orders.*', 'app_db.*', 'a.b', '*.*', '*', 'a.b.c', 'app%db.*');
const mysqlGrant = fc.record({ privileges: listOf(nearly(privilege)), on: nearly(grantOn) }, { requiredKeys: [] });
const PG_STATEMENT = /^SELECT \* FROM (pgaadauth_create_principal\(<>, (true|false), false\)|pgaadauth_create_principal_with_oid\(<>, <>, <>, (true|false), false\));$/;
const MYSQL_STATEMENT = /^(CREATE AADUSER <>( IDENTIFIED BY <>)?|GRANT [A-Z_]+( [A-Z_]+)*(, [A-Z_]+( [A-Z_]+)*)* ON (\*\.\*|<>\.\*|<>\.<>) TO <>@<>);$/;

export const AZURE_BUILDERS: BuilderSpec[] = [
  {
    name: 'azurePostgresPrincipal',
    build: (o) => azurePostgresPrincipal(o as never),
    options: options({ name: nearly(principalName), kind: nearly(fc.constantFrom('user', 'group', 'service')), objectId: fc.oneof(fc.constant(undefined), nearly(guid)), admin: fc.oneof(fc.boolean(), anyValue) }),
    fields: /^(options|name|kind|objectId|admin)$/,
    check: (out: string[], o) => {
      expect(out).toHaveLength(1);
      const sql = out[0]!;
      // One statement: with the literals cut out, the function call and its flags only.
      expect(sql).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      expect(sql.replace(PG_STRING, '<>')).toMatch(PG_STATEMENT);
      // The name, read back from its literal, is the name given; no backslash for standard_conforming_strings to read.
      const literal = /\('((?:[^']|'')*)'/.exec(sql)![1]!;
      expect(literal.replaceAll("''", "'")).toBe(o.name);
      expect(o.name).not.toContain('\\');
      expect(Buffer.byteLength(o.name)).toBeLessThanOrEqual(63);
      expect(sql).toContain(`, ${o.admin === true}, false);`);
      if (o.objectId !== undefined) expect(sql).toContain(`'${String(o.objectId).toLowerCase()}', '${o.kind}'`);
      else expect(o.kind).not.toBe('service');
    },
    valid: { name: 'ada@contoso.com', kind: 'user' },
    texts: ['name', 'kind', 'objectId'],
  },
  {
    name: 'azureMysqlUser',
    build: (o) => azureMysqlUser(o as never),
    options: options({ name: nearly(principalName), objectId: fc.oneof(fc.constant(undefined), nearly(guid)), grants: fc.oneof(fc.constant(undefined), listOf(mysqlGrant)) }),
    fields: /^(options|name|objectId|grants(\[\d+\](\.(privileges(\[\d+\])?|on))?)?)$/,
    check: (out: string[], o) => {
      expect(out[0]).toBe(o.objectId === undefined ? `CREATE AADUSER '${o.name}';` : `CREATE AADUSER '${o.name}' IDENTIFIED BY '${String(o.objectId).toLowerCase()}';`);
      expect([...o.name].length).toBeLessThanOrEqual(32);
      for (const sql of out) {
        expect(sql).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
        expect(sql.replace(MYSQL_STRING, '<>').replace(BACKTICK, '<>')).toMatch(MYSQL_STATEMENT);
      }
      for (const sql of out.slice(1)) expect(sql.endsWith(` TO '${o.name}'@'%';`)).toBe(true);
    },
    valid: { name: 'orders-api', objectId: CLIENT_ID },
    texts: ['name', 'objectId'],
  },
];
