import { describe, expect, it } from 'vitest';
import { oracleGlobalRole, oracleGlobalUser } from 'dbtoken/provision';
import { Catalog, type IamPrincipal } from '../../../src/testing/oracle/catalog.js';
import { decodeOracleNumber, encodeOracleNumber } from '../../../src/testing/oracle/wire.js';
import { numberLiteral, OraError, parseAdminStatement, parseIamMapping, parseSessionStatement, splitStatements } from '../../../src/testing/oracle/sql.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
const OTHER = 'ocid1.tenancy.oc1..aaaaother';

/** The ORA number a call throws. */
function oraOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OraError);
    return (err as OraError).errorNum;
  }
  return undefined;
}

describe('IAM mappings', () => {
  it.each([
    ['IAM_GROUP_NAME=db_users', { kind: 'group', name: 'db_users' }],
    ['iam_group_name = sales_domain/db_sales', { kind: 'group', name: 'db_sales', domain: 'sales_domain' }],
    [`IAM_GROUP_NAME=${OTHER}:partners`, { kind: 'group', name: 'partners', tenancy: OTHER }],
    [`IAM_GROUP_NAME=${OTHER}:sales_domain/partners`, { kind: 'group', name: 'partners', tenancy: OTHER, domain: 'sales_domain' }],
    ['IAM_PRINCIPAL_NAME=peter.fitch@example.com', { kind: 'principal-name', name: 'peter.fitch@example.com' }],
    [`IAM_PRINCIPAL_NAME=${OTHER}:peter`, { kind: 'principal-name', name: 'peter', tenancy: OTHER }],
    ['IAM_PRINCIPAL_OCID=ocid1.instance.oc1.iad.aaaavm', { kind: 'principal-ocid', ocid: 'ocid1.instance.oc1.iad.aaaavm' }],
  ])('%s', (text, expected) => {
    expect(parseIamMapping(text)).toMatchObject(expected);
  });

  it.each(['IAM_GROUP_NAME=', 'IAM_ROLE=x', 'IAM_GROUP_NAME=/x', 'IAM_PRINCIPAL_OCID=alice', 'IAM_GROUP_NAME=d/'])('refuses %s', (text) => {
    expect(oraOf(() => parseIamMapping(text))).toBe(922);
  });
});

describe('provisioning statements', () => {
  it('reads what `dbtoken sql oracle` prints, quoted identifiers and all', () => {
    const user = oracleGlobalUser({ user: 'sales_app', iamGroup: 'db_sales', domain: 'sales_domain', tenancy: OTHER, roles: ['DWROLE'], privileges: ['CREATE TABLE'] });
    expect(user.map(parseAdminStatement)).toEqual([
      { kind: 'create-user', user: 'SALES_APP', mapping: { kind: 'group', name: 'db_sales', domain: 'sales_domain', tenancy: OTHER, text: `IAM_GROUP_NAME=${OTHER}:sales_domain/db_sales` } },
      { kind: 'grant', items: ['CREATE SESSION', 'CREATE TABLE'], grantees: ['SALES_APP'] },
      { kind: 'grant', items: ['DWROLE'], grantees: ['SALES_APP'] },
    ]);
    const role = oracleGlobalRole({ role: 'export-role', iamGroup: 'Exporters', roles: ['connect'] });
    expect(role.map(parseAdminStatement)).toEqual([
      { kind: 'create-role', role: 'export-role', mapping: { kind: 'group', name: 'Exporters', text: 'IAM_GROUP_NAME=Exporters' } },
      { kind: 'grant', items: ['CONNECT'], grantees: ['export-role'] },
    ]);
  });

  it('reads the other statements, in any letter case', () => {
    expect(parseAdminStatement('create role plain')).toEqual({ kind: 'create-role', role: 'PLAIN' });
    expect(parseAdminStatement('revoke create session from app;')).toEqual({ kind: 'revoke', items: ['CREATE SESSION'], grantees: ['APP'] });
    expect(parseAdminStatement('DROP USER app CASCADE')).toEqual({ kind: 'drop-user', user: 'APP' });
    expect(parseAdminStatement('drop role "r"')).toEqual({ kind: 'drop-role', role: 'r' });
    expect(parseAdminStatement("CREATE USER x IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=x' DEFAULT TABLESPACE data QUOTA UNLIMITED ON data")).toMatchObject({ kind: 'create-user', user: 'X' });
  });

  it.each([
    ['another kind of statement', 'CREATE TABLE t (x number)', 900],
    ['a password user', "CREATE USER u IDENTIFIED BY 'secret'", 900],
    ['GLOBALLY without AS', 'CREATE USER u IDENTIFIED GLOBALLY', 905],
    ['an object privilege', 'GRANT SELECT ON t TO u', 942],
    ['an unterminated quote', "CREATE USER u IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x", 1756],
    ['trailing words', 'DROP USER u NOW', 933],
  ])('refuses %s with Oracle\'s error', (_n, sql, ora) => {
    expect(oraOf(() => parseAdminStatement(sql))).toBe(ora);
  });

  it('splits a script at semicolons outside quotes, dropping comments, blanks and SQL*Plus slashes', () => {
    expect(splitStatements("-- setup\nCREATE USER a IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x;y';\n/\n\nGRANT CREATE SESSION TO a;")).toEqual([
      "CREATE USER a IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x;y'",
      'GRANT CREATE SESSION TO a',
    ]);
  });
});

describe('session statements', () => {
  it('the identity query of the Database Tools guide, with the names Oracle gives its columns', () => {
    const s = parseSessionStatement(
      "select sys_context('userenv','current_schema'), sys_context('USERENV', 'Authentication_Method') method, -12.5 n, 'x' \"Lit\", user, 1 from dual",
    );
    expect(s).toEqual({
      kind: 'select',
      items: [
        { expression: { kind: 'sys-context', namespace: 'USERENV', attribute: 'CURRENT_SCHEMA', length: 256 }, name: "SYS_CONTEXT('USERENV','CURRENT_SCHEMA')" },
        { expression: { kind: 'sys-context', namespace: 'USERENV', attribute: 'AUTHENTICATION_METHOD', length: 256 }, name: 'METHOD' },
        { expression: { kind: 'number', value: '-12.5' }, name: 'N' },
        { expression: { kind: 'string', value: 'x' }, name: 'Lit' },
        { expression: { kind: 'user' }, name: 'USER' },
        { expression: { kind: 'number', value: '1' }, name: '1' },
      ],
    });
  });

  it("SYS_CONTEXT's length argument, ignored outside 1..4000 as Oracle ignores it", () => {
    const length = (sql: string) => ((parseSessionStatement(sql) as { items: { expression: { length?: number } }[] }).items[0]!.expression.length);
    expect(length("select sys_context('userenv', 'session_user', 30) from dual")).toBe(30);
    expect(length("select sys_context('userenv', 'session_user', 5000) from dual")).toBe(256);
  });

  it('DUAL and SYS.DUAL, * and DUMMY, and (as in 23ai) no FROM at all', () => {
    expect(parseSessionStatement('SELECT * FROM sys.dual;')).toEqual({ kind: 'select', items: [{ expression: { kind: 'dummy' }, name: 'DUMMY' }] });
    expect(parseSessionStatement('select dbtimezone, 0.50 as half')).toMatchObject({ items: [{ expression: { kind: 'dbtimezone' } }, { expression: { kind: 'number', value: '0.5' }, name: 'HALF' }] });
  });

  it('ALTER SESSION, COMMIT and ROLLBACK are accepted as no-ops', () => {
    expect(parseSessionStatement("alter session set time_zone = 'UTC'")).toEqual({ kind: 'no-op', verb: 'ALTER SESSION' });
    expect(parseSessionStatement('commit work')).toEqual({ kind: 'no-op', verb: 'COMMIT' });
  });

  it.each([
    ['a table', 'select * from employees', 942],
    ['a table even with expressions the emulator does not know', 'select salary from hr.employees', 942],
    ['an unknown column of DUAL', 'select salary from dual', 904],
    ['DML', "insert into t values (1)", 900],
    ['PL/SQL', 'begin null; end;', 900],
    ['a missing expression', 'select from dual', 936],
    ['a WHERE clause', 'select 1 from dual where 1 = 1', 933],
  ])('refuses %s with Oracle\'s error', (_n, sql, ora) => {
    expect(oraOf(() => parseSessionStatement(sql))).toBe(ora);
  });
});

describe('number literals: the value Oracle NUMBER keeps', () => {
  it.each([
    ['1', '1'],
    ['-12.50', '-12.5'],
    ['.5', '0.5'],
    ['007', '7'],
    ['0.000', '0'],
    ['1e3', '1000'],
    ['1.5E-3', '0.0015'],
    ['-2.5e+2', '-250'],
    ['1e100', `1${'0'.repeat(100)}`],
    ['1e-130', `0.${'0'.repeat(129)}1`],
    ['9.99e125', `999${'0'.repeat(123)}`],
    // Past NUMBER's 20 base-100 digits the rest is rounded off, half away from zero: 40 digits when the
    // first pair is full, 39 when the first digit stands alone.
    ['1234567890123456789012345678901234567890123', '1234567890123456789012345678901234567890000'],
    ['12345678901234567890123456789012345678951', '12345678901234567890123456789012345679000'],
    ['0.12345678901234567890123456789012345678906', '0.1234567890123456789012345678901234567891'],
    ['-99999999999999999999999999999999999999999', '-100000000000000000000000000000000000000000'],
    ['1e-131', '0'],
    // An exponent past what a double holds: a zero, not an overflow.
    [`1e-${'9'.repeat(400)}`, '0'],
    ['0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001', '0'],
  ])('%s is %s', (literal, value) => {
    const kept = numberLiteral(literal);
    expect(kept).toBe(value);
    // Whatever it keeps, the wire can carry, and carries back unchanged.
    expect(decodeOracleNumber(encodeOracleNumber(kept))).toBe(kept);
  });

  it.each([
    ['1e126', 1426],
    ['-1e126', 1426],
    ['9.999999999999999999999999999999999999999999e125', 1426],
    ['1e999999999999999999999', 1426],
    ['e5', 1722],
    ['.', 1722],
    ['1e', 1722],
  ])('%s: ORA-%d', (literal, ora) => {
    expect(oraOf(() => numberLiteral(literal))).toBe(ora);
  });

  it('a select list keeps them so', () => {
    expect(parseSessionStatement('select 1e100 big, -1.5e-3 from dual')).toMatchObject({
      items: [
        { expression: { kind: 'number', value: `1${'0'.repeat(100)}` }, name: 'BIG' },
        { expression: { kind: 'number', value: '-0.0015' }, name: '-1.5E-3' },
      ],
    });
  });
});

describe('string literals', () => {
  it('up to 4,000 bytes; a longer one is ORA-01704, counted in bytes, not characters', () => {
    expect(parseSessionStatement(`select '${'x'.repeat(4000)}' from dual`)).toMatchObject({ items: [{ expression: { kind: 'string', value: 'x'.repeat(4000) } }] });
    expect(oraOf(() => parseSessionStatement(`select '${'x'.repeat(4001)}' from dual`))).toBe(1704);
    expect(oraOf(() => parseSessionStatement(`select '${'é'.repeat(2001)}' from dual`))).toBe(1704);
  });
});

describe('the catalog: who a principal logs in as', () => {
  const alice: IamPrincipal = { ocid: 'ocid1.user.oc1..alice', tenancy: TENANCY, name: 'Alice', groups: [{ name: 'db_users' }, { name: 'db_sales', domain: 'sales_domain' }] };
  const catalog = (script: string): Catalog => {
    const c = new Catalog(TENANCY);
    for (const s of splitStatements(script)) c.apply(parseAdminStatement(s));
    return c;
  };

  it('a group of the Default domain, named without a domain; group names in any case', () => {
    const c = catalog("CREATE USER shared IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=DB_USERS'; GRANT CREATE SESSION TO shared");
    expect(c.resolve(alice)).toEqual({ user: 'SHARED', mapping: expect.objectContaining({ kind: 'group' }), exclusive: false, globalRoles: [], canCreateSession: true });
  });

  it('a group of a named domain needs the domain; the Default domain can be named too', () => {
    expect(catalog("CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_sales'").resolve(alice)).toBeUndefined();
    expect(catalog("CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=sales_domain/db_sales'").resolve(alice)?.user).toBe('S');
    expect(catalog("CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=Default/db_users'").resolve(alice)?.user).toBe('S');
  });

  it('an exclusive mapping wins over a shared one, whichever came first', () => {
    const c = catalog(`
      CREATE USER shared IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users';
      CREATE USER mine IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=alice';
    `);
    expect(c.resolve(alice)).toMatchObject({ user: 'MINE', exclusive: true, canCreateSession: false });
    expect(catalog(`CREATE USER byocid IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_OCID=${alice.ocid}'`).resolve(alice)?.user).toBe('BYOCID');
  });

  it('cross-tenancy: a mapping without a tenancy means the database\'s; one with a tenancy only that tenancy', () => {
    const visitor: IamPrincipal = { ...alice, tenancy: OTHER };
    expect(catalog("CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'").resolve(visitor)).toBeUndefined();
    expect(catalog(`CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${OTHER}:db_users'`).resolve(visitor)?.user).toBe('S');
    expect(catalog(`CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=${OTHER}:db_users'`).resolve(alice)).toBeUndefined();
    expect(catalog(`CREATE USER s IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=${OTHER}:alice'`).resolve(visitor)?.user).toBe('S');
  });

  it('CREATE SESSION through a role, a role of a role, or a global role of the principal\'s group', () => {
    const base = "CREATE USER u IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users';";
    expect(catalog(`${base} GRANT connect TO u`).resolve(alice)?.canCreateSession).toBe(true);
    expect(catalog(`${base} CREATE ROLE inner; GRANT CREATE SESSION TO inner; CREATE ROLE outer; GRANT inner TO outer; GRANT outer TO u`).resolve(alice)?.canCreateSession).toBe(true);
    const viaGlobal = catalog(`${base} CREATE ROLE g IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=sales_domain/db_sales'; GRANT CREATE SESSION TO g`).resolve(alice);
    expect(viaGlobal).toMatchObject({ globalRoles: ['G'], canCreateSession: true });
    expect(catalog(`${base} GRANT CREATE SESSION TO u; REVOKE CREATE SESSION FROM u`).resolve(alice)?.canCreateSession).toBe(false);
    expect(catalog(`${base} GRANT CREATE SESSION TO u; DROP USER u`).resolve(alice)).toBeUndefined();
  });

  it('a dynamic group maps an instance or resource principal, which has no name', () => {
    const fn: IamPrincipal = { ocid: 'ocid1.fnfunc.oc1.iad.fn', tenancy: TENANCY, groups: [{ name: 'adb_functions' }] };
    expect(catalog("CREATE USER f IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=adb_functions'").resolve(fn)?.user).toBe('F');
    expect(catalog("CREATE USER f IDENTIFIED GLOBALLY AS 'IAM_PRINCIPAL_NAME=adb_functions'").resolve(fn)).toBeUndefined();
  });

  it.each([
    ['a user that exists', "CREATE USER u IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x'; CREATE USER U IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=y'", 1920],
    ['a role named like a user', "CREATE USER u IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x'; CREATE ROLE u", 1921],
    ['a user named like a predefined role', "CREATE USER dwrole IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x'", 1920],
    ['a grant to nobody', 'GRANT CREATE SESSION TO ghost', 1917],
    ['a role that does not exist', "CREATE USER u IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x'; GRANT ghost_role TO u", 1919],
    ['dropping a user that does not exist', 'DROP USER ghost', 1918],
    ['dropping a role that does not exist', 'DROP ROLE ghost', 1919],
    ['a circular role grant', 'CREATE ROLE a; CREATE ROLE b; GRANT a TO b; GRANT b TO a', 1934],
    ['revoking what was not granted', "CREATE USER u IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=x'; REVOKE CREATE SESSION FROM u", 1952],
  ])('refuses %s as Oracle does', (_n, script, ora) => {
    expect(oraOf(() => catalog(script))).toBe(ora);
  });
});
