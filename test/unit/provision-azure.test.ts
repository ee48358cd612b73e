import { describe, expect, it } from 'vitest';
import { azureMysqlUser, azurePostgresPrincipal } from 'dbtoken/provision';
import { refusal } from '../helpers/provision/harness.js';

/**
 * azurePostgresPrincipal and azureMysqlUser: Microsoft's documented forms for
 * good input, and a ConfigError naming the field for bad input.
 */

const OID = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const CLIENT_ID = '12121212-3434-4565-8787-909090909090';

describe('azurePostgresPrincipal: pgaadauth_create_principal(_with_oid), the name a string literal', () => {
  it.each([
    ['a user by UPN', { name: 'ada@contoso.com', kind: 'user' as const }, "SELECT * FROM pgaadauth_create_principal('ada@contoso.com', false, false);"],
    ['a group by display name, admin', { name: 'DB Admins', kind: 'group' as const, admin: true }, "SELECT * FROM pgaadauth_create_principal('DB Admins', true, false);"],
    ['a service principal bound to its object id', { name: 'orders-api', kind: 'service' as const, objectId: OID }, `SELECT * FROM pgaadauth_create_principal_with_oid('orders-api', '${OID}', 'service', false, false);`],
    ['a user bound to its object id (the GUID in lower case)', { name: 'ada', kind: 'user' as const, objectId: OID.toUpperCase() }, `SELECT * FROM pgaadauth_create_principal_with_oid('ada', '${OID}', 'user', false, false);`],
    ['a group bound to its object id, admin: false', { name: 'readers', kind: 'group' as const, objectId: OID, admin: false }, `SELECT * FROM pgaadauth_create_principal_with_oid('readers', '${OID}', 'group', false, false);`],
    ["a UPN with an apostrophe: ' doubled", { name: "o'brien@contoso.com", kind: 'user' as const }, "SELECT * FROM pgaadauth_create_principal('o''brien@contoso.com', false, false);"],
    ["a hostile name stays one literal", { name: "x', true, false); DROP ROLE azure_pg_admin; --", kind: 'group' as const }, "SELECT * FROM pgaadauth_create_principal('x'', true, false); DROP ROLE azure_pg_admin; --', false, false);"],
    ["a guest's #EXT# UPN", { name: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com', kind: 'user' as const }, "SELECT * FROM pgaadauth_create_principal('bob_fabrikam.com#EXT#@contoso.onmicrosoft.com', false, false);"],
    ['a name of 63 bytes', { name: 'r'.repeat(63), kind: 'group' as const }, `SELECT * FROM pgaadauth_create_principal('${'r'.repeat(63)}', false, false);`],
  ])('%s', (_name, options, expected) => {
    expect(azurePostgresPrincipal(options)).toEqual([expected]);
  });

  it.each([
    ['no options', () => azurePostgresPrincipal(undefined as never), 'options', /must be an object/],
    ['no name', () => azurePostgresPrincipal({ kind: 'user' } as never), 'name', /is required/],
    ['an empty name', () => azurePostgresPrincipal({ name: '', kind: 'user' }), 'name', /is required/],
    ['a name that is not a string', () => azurePostgresPrincipal({ name: 7 as never, kind: 'user' }), 'name', /is required/],
    ['a name with a backslash', () => azurePostgresPrincipal({ name: 'CONTOSO\\ada', kind: 'user' }), 'name', /cannot hold safely/],
    ['a fullwidth quote', () => azurePostgresPrincipal({ name: 'ada\uFF07', kind: 'user' }), 'name', /cannot hold safely/],
    ['a fullwidth backslash', () => azurePostgresPrincipal({ name: 'a\uFF3Cb', kind: 'user' }), 'name', /cannot hold safely/],
    ['a NUL', () => azurePostgresPrincipal({ name: 'a\0b', kind: 'user' }), 'name', /invisible or control character U\+0000/],
    ['a line break', () => azurePostgresPrincipal({ name: 'ada\n', kind: 'user' }), 'name', /control character U\+000A/],
    ['a zero-width space', () => azurePostgresPrincipal({ name: 'a\u200Bda', kind: 'user' }), 'name', /U\+200B/],
    ['white space around the name', () => azurePostgresPrincipal({ name: ' ada@contoso.com', kind: 'user' }), 'name', /white space around it/],
    ['a name PostgreSQL would truncate', () => azurePostgresPrincipal({ name: 'r'.repeat(64), kind: 'group' }), 'name', /64 bytes long.*object id instead/],
    ['a bound name PostgreSQL would truncate', () => azurePostgresPrincipal({ name: 'é'.repeat(32), kind: 'service', objectId: OID }), 'name', /64 bytes long.*shorter role name/],
    ['no kind', () => azurePostgresPrincipal({ name: 'ada' } as never), 'kind', /'user', 'group' or 'service'/],
    ['a kind misspelled', () => azurePostgresPrincipal({ name: 'ada', kind: 'servicePrincipal' as never }), 'kind', /got "servicePrincipal"/],
    ['a service principal without objectId', () => azurePostgresPrincipal({ name: 'orders-api', kind: 'service' }), 'objectId', /is required for a service principal/],
    ['an objectId that is not a GUID', () => azurePostgresPrincipal({ name: 'app', kind: 'service', objectId: 'orders-api' }), 'objectId', /not a GUID/],
    ['an objectId that closes the string', () => azurePostgresPrincipal({ name: 'app', kind: 'service', objectId: `${OID}', 'user` }), 'objectId', /not a GUID/],
    ['an empty objectId', () => azurePostgresPrincipal({ name: 'app', kind: 'user', objectId: '' }), 'objectId', /is required/],
    ['admin that is not a boolean', () => azurePostgresPrincipal({ name: 'ada', kind: 'user', admin: 'yes' as never }), 'admin', /true or false/],
  ])('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});

describe('azureMysqlUser: CREATE AADUSER, and GRANTs as rdsMysqlUser writes them', () => {
  it.each([
    ['a user by UPN', { name: 'ada@contoso.com' }, ["CREATE AADUSER 'ada@contoso.com';"]],
    ['a group by name, with a grant', { name: 'Prod_DB_Readonly', grants: [{ privileges: ['SELECT'], on: 'orders.*' }] }, ["CREATE AADUSER 'Prod_DB_Readonly';", "GRANT SELECT ON `orders`.* TO 'Prod_DB_Readonly'@'%';"]],
    [
      'a managed identity bound to its client id, two grants (the GUID in lower case, _ escaped in db.*)',
      { name: 'orders-api', objectId: CLIENT_ID.toUpperCase(), grants: [{ privileges: ['select', 'INSERT'], on: 'app_db.*' }, { privileges: ['EXECUTE'], on: 'app_db.proc' }] },
      [`CREATE AADUSER 'orders-api' IDENTIFIED BY '${CLIENT_ID}';`, "GRANT SELECT, INSERT ON `app\\_db`.* TO 'orders-api'@'%';", "GRANT EXECUTE ON `app_db`.`proc` TO 'orders-api'@'%';"],
    ],
    ['a name of 32 characters', { name: 'u'.repeat(32) }, [`CREATE AADUSER '${'u'.repeat(32)}';`]],
  ])('%s', (_name, options, expected) => {
    expect(azureMysqlUser(options)).toEqual(expected);
  });

  it.each([
    ['no options', () => azureMysqlUser(null as never), 'options', /must be an object/],
    ['no name', () => azureMysqlUser({} as never), 'name', /is required/],
    ['a name with a quote', () => azureMysqlUser({ name: "o'brien@contoso.com" }), 'name', /U\+0027/],
    ['a name with a backslash', () => azureMysqlUser({ name: 'a\\b' }), 'name', /U\+005C/],
    ['a fullwidth quote', () => azureMysqlUser({ name: 'a\uFF07b' }), 'name', /character-set conversion/],
    ['a NUL', () => azureMysqlUser({ name: 'a\0' }), 'name', /U\+0000/],
    ['a line break', () => azureMysqlUser({ name: 'a\nb' }), 'name', /U\+000A/],
    ['a UPN over 32 characters: an alias is suggested', () => azureMysqlUser({ name: 'firstname.lastname@contoso.onmicrosoft.com' }), 'name', /at most 32.*AS '<alias>'/],
    ['a bound name over 32 characters', () => azureMysqlUser({ name: 'n'.repeat(33), objectId: CLIENT_ID }), 'name', /at most 32.*shorter name/],
    ['white space around the name', () => azureMysqlUser({ name: 'ada ' }), 'name', /white space/],
    ['an objectId that is not a GUID', () => azureMysqlUser({ name: 'app', objectId: '1234' }), 'objectId', /not a GUID/],
    ['an objectId that closes the string', () => azureMysqlUser({ name: 'app', objectId: "x' OR '1'='1" }), 'objectId', /not a GUID/],
    ['grants that are not a list', () => azureMysqlUser({ name: 'app', grants: 'SELECT' as never }), 'grants', /must be an array/],
    ['a grant on a wildcard database', () => azureMysqlUser({ name: 'app', grants: [{ privileges: ['SELECT'], on: '*' }] }), 'grants[0].on', /not <database>/],
    ['a grant with no privileges', () => azureMysqlUser({ name: 'app', grants: [{ privileges: [], on: 'orders.*' }] }), 'grants[0].privileges', /is empty/],
    ['a privilege with a keyword', () => azureMysqlUser({ name: 'app', grants: [{ privileges: ['SELECT ON *.* TO x'], on: 'orders.*' }] }), 'grants[0].privileges[0]', /not a privilege name|keyword/],
  ])('%s', (_name, build, field, message) => {
    const err = refusal(build);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});
