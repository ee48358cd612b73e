import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSession, normalizeSqlMode, normalizeTimeZone, runStatement, sessionStatus, type SessionState, type StatementReply } from '../../../src/testing/heatwave/sql.js';
import { SERVER_STATUS_AUTOCOMMIT, SERVER_STATUS_IN_TRANS, SERVER_VERSION } from '../../../src/testing/heatwave/wire.js';

const fresh = (): SessionState => newSession({ user: 'bob@127.0.0.1', currentUser: 'dbproxy@%', cipher: 'TLS_AES_256_GCM_SHA384' });

/** Runs statements one after the other; returns the last reply and the session after all of them. */
function run(...sqls: string[]): { reply: StatementReply; session: SessionState } {
  let session = fresh();
  let reply: StatementReply = { kind: 'ok' };
  for (const sql of sqls) ({ reply, session } = runStatement(sql, session));
  return { reply, session };
}

/** The one row of a SELECT, as column name to value. */
function row(...sqls: string[]): Record<string, string | null> {
  const { reply } = run(...sqls);
  if (reply.kind !== 'rows') throw new Error(`expected rows, got ${JSON.stringify(reply)}`);
  return Object.fromEntries(reply.columns.map((c, i) => [c.name, reply.row[i]!]));
}

function error(...sqls: string[]) {
  const { reply } = run(...sqls);
  if (reply.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(reply)}`);
  return reply.error;
}

describe('what MySQL Connector/Python sends after logging in', () => {
  it('SET NAMES with COLLATE, then SET @@session.autocommit = OFF: OK, OK, and the session shows both', () => {
    let session = fresh();
    const names = runStatement("SET NAMES 'utf8mb4' COLLATE 'utf8mb4_0900_ai_ci'", session);
    expect(names.reply).toEqual({ kind: 'ok' });
    session = names.session;
    const autocommit = runStatement('SET @@session.autocommit = OFF', session);
    expect(autocommit.reply).toEqual({ kind: 'ok' });
    session = autocommit.session;
    expect(sessionStatus(session) & SERVER_STATUS_AUTOCOMMIT).toBe(0);
    expect(runStatement('SELECT @@session.autocommit', session).reply).toEqual({
      kind: 'rows',
      columns: [{ name: '@@session.autocommit', kind: 'integer', length: 21, nullable: true }],
      row: ['0'],
    });
  });

  it.each([
    ["SET NAMES 'utf8mb4' COLLATE 'utf8mb4_0900_ai_ci'", 'utf8mb4', 'utf8mb4_0900_ai_ci'],
    ['SET NAMES utf8mb4', 'utf8mb4', 'utf8mb4_0900_ai_ci'],
    ['set names UTF8MB4 collate utf8mb4_unicode_ci;', 'utf8mb4', 'utf8mb4_unicode_ci'],
    ["SET NAMES 'utf8'", 'utf8mb3', 'utf8mb3_general_ci'],
    ["SET NAMES latin1 COLLATE 'latin1_bin'", 'latin1', 'latin1_bin'],
    ['SET NAMES DEFAULT', 'utf8mb4', 'utf8mb4_0900_ai_ci'],
    ['SET NAMES `ascii` COLLATE DEFAULT', 'ascii', 'ascii_general_ci'],
  ])('%s', (sql, charset, collation) => {
    expect(
      row(
        'SET NAMES latin1',
        sql,
        'SELECT @@character_set_client, @@character_set_connection, @@character_set_results, @@collation_connection',
      ),
    ).toEqual({ '@@character_set_client': charset, '@@character_set_connection': charset, '@@character_set_results': charset, '@@collation_connection': collation });
  });

  it.each([
    ['SET NAMES klingon', { code: 1115, sqlState: '42000', message: "Unknown character set: 'klingon'" }],
    ["SET NAMES utf8mb4 COLLATE 'latin1_bin'", { code: 1253, sqlState: '42000', message: "COLLATION 'latin1_bin' is not valid for CHARACTER SET 'utf8mb4'" }],
    ['SET NAMES utf8mb4 COLLATE utf8mb4_klingon_ci', { code: 1273, sqlState: 'HY000', message: "Unknown collation: 'utf8mb4_klingon_ci'" }],
  ])('%s is refused as MySQL refuses it', (sql, err) => {
    expect(error(sql)).toEqual(err);
  });

  it('SET CHARACTER SET sets the client and results sets; the connection takes the database one', () => {
    expect(row('SET CHARACTER SET latin1', 'SELECT @@character_set_client a, @@character_set_results b, @@character_set_connection c, @@collation_connection d')).toEqual({
      a: 'latin1',
      b: 'latin1',
      c: 'utf8mb4',
      d: 'utf8mb4_0900_ai_ci',
    });
    expect(row('SET CHARSET ascii', 'SELECT @@character_set_client')).toEqual({ '@@character_set_client': 'ascii' });
  });
});

describe('SET', () => {
  it.each([
    ['SET autocommit = 0', '@@autocommit', '0'],
    ['SET autocommit=1', '@@autocommit', '1'],
    ['SET @@autocommit := OFF', '@@autocommit', '0'],
    ["SET SESSION autocommit = 'ON'", '@@autocommit', '1'],
    ['SET LOCAL autocommit = false', '@@autocommit', '0'],
    ['SET @@local.autocommit = TRUE', '@@autocommit', '1'],
    ['SET autocommit = DEFAULT', '@@autocommit', '1'],
    ["SET time_zone = '+00:00'", '@@time_zone', '+00:00'],
    ["SET time_zone = '-5:30'", '@@time_zone', '-05:30'],
    ["SET @@session.time_zone = 'UTC'", '@@time_zone', 'UTC'],
    ["SET time_zone = 'Europe/Paris'", '@@time_zone', 'Europe/Paris'],
    ["SET time_zone = 'system'", '@@time_zone', 'SYSTEM'],
    ["SET sql_mode = 'ansi_quotes,STRICT_TRANS_TABLES'", '@@sql_mode', 'ANSI_QUOTES,STRICT_TRANS_TABLES'],
    ["SET sql_mode = ''", '@@sql_mode', ''],
    ["SET sql_mode = 'TRADITIONAL'", '@@sql_mode', 'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,TRADITIONAL,NO_ENGINE_SUBSTITUTION'],
    ['SET wait_timeout = 600', '@@wait_timeout', '600'],
    ['SET wait_timeout = 0', '@@wait_timeout', '1'],
    ['SET auto_increment_increment = 70000', '@@auto_increment_increment', '65535'],
    ["SET transaction_isolation = 'read-committed'", '@@transaction_isolation', 'READ-COMMITTED'],
    ['SET character_set_results = NULL', '@@character_set_results', null],
    ['SET collation_connection = utf8mb4_bin', '@@character_set_connection', 'utf8mb4'],
    ['SET character_set_connection = latin1', '@@collation_connection', 'latin1_swedish_ci'],
    ['SET `sql_safe_updates` = 1', '@@sql_safe_updates', '1'],
    ['/* mysql-connector-j */ SET net_write_timeout = 600 -- a comment', '@@net_write_timeout', '600'],
  ])('%s', (sql, variable, value) => {
    const { reply } = run(sql);
    expect(reply).toEqual({ kind: 'ok' });
    expect(row(sql, `SELECT ${variable}`)).toEqual({ [variable]: value });
  });

  it('several assignments in one SET, NAMES among them', () => {
    expect(row("SET NAMES utf8mb4, autocommit = 0, @@session.time_zone = '+02:00'", 'SELECT @@autocommit, @@time_zone, @@character_set_client')).toEqual({
      '@@autocommit': '0',
      '@@time_zone': '+02:00',
      '@@character_set_client': 'utf8mb4',
    });
  });

  it('is all or nothing: one bad assignment leaves the session as it was', () => {
    const before = fresh();
    const { reply, session } = runStatement("SET autocommit = 0, time_zone = 'Mars/Olympus'", before);
    expect(reply).toEqual({ kind: 'error', error: { code: 1298, sqlState: 'HY000', message: "Unknown or incorrect time zone: 'Mars/Olympus'" } });
    expect(session).toBe(before);
  });

  it.each([
    ['SET no_such_thing = 1', 1193, 'HY000', "Unknown system variable 'no_such_thing'"],
    ['SET autocommit = 2', 1231, '42000', "Variable 'autocommit' can't be set to the value of '2'"],
    ["SET autocommit = 'maybe'", 1231, '42000', "Variable 'autocommit' can't be set to the value of 'maybe'"],
    ['SET autocommit = NULL', 1231, '42000', "Variable 'autocommit' can't be set to the value of 'NULL'"],
    ["SET wait_timeout = 'long'", 1232, '42000', "Incorrect argument type to variable 'wait_timeout'"],
    ['SET wait_timeout = 1.5', 1232, '42000', "Incorrect argument type to variable 'wait_timeout'"],
    ["SET sql_mode = 'NO_SUCH_MODE'", 1231, '42000', "Variable 'sql_mode' can't be set to the value of 'NO_SUCH_MODE'"],
    ["SET transaction_isolation = 'CHAOS'", 1231, '42000', "Variable 'transaction_isolation' can't be set to the value of 'CHAOS'"],
    ["SET time_zone = '+14:01'", 1298, 'HY000', "Unknown or incorrect time zone: '+14:01'"],
    ['SET character_set_client = klingon', 1115, '42000', "Unknown character set: 'klingon'"],
    ['SET collation_connection = klingon_ci', 1273, 'HY000', "Unknown collation: 'klingon_ci'"],
    ["SET version = '9'", 1238, 'HY000', "Variable 'version' is a read only variable"],
    ['SET GLOBAL version = 1', 1238, 'HY000', "Variable 'version' is a read only variable"],
    ['SET max_allowed_packet = 1024', 1621, 'HY000', "SESSION variable 'max_allowed_packet' is read-only. Use SET GLOBAL to assign the value"],
    ["SET init_connect = 'x'", 1229, 'HY000', "Variable 'init_connect' is a GLOBAL variable and should be set with SET GLOBAL"],
    [
      'SET GLOBAL autocommit = 0',
      1227,
      '42000',
      'Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation',
    ],
    [
      'SET @@persist.wait_timeout = 10',
      1227,
      '42000',
      'Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation',
    ],
  ])('%s: ERR %i', (sql, code, sqlState, message) => {
    expect(error(sql)).toEqual({ code, sqlState, message });
  });

  it.each([
    ['SET'],
    ['SET autocommit'],
    ['SET autocommit ='],
    ['SET autocommit = 0,'],
    ['SET autocommit = 0 extra'],
    ['SET @user_variable = 1'],
    ['SET @@ = 1'],
    ['SET @@global. = 1'],
    ['SET TRANSACTION ISOLATION LEVEL READ COMMITTED'],
    ['SET SESSION TRANSACTION READ ONLY'],
    ["SET NAMES 'utf8mb4' COLLATE"],
    ['SET PASSWORD = "x"'],
  ])('%s: ERR 1064', (sql) => {
    expect(error(sql)).toMatchObject({ code: 1064, sqlState: '42000' });
  });
});

describe('SELECT', () => {
  it.each([
    ['SELECT USER(), CURRENT_USER()', { 'USER()': 'bob@127.0.0.1', 'CURRENT_USER()': 'dbproxy@%' }],
    ['select user( ) as u, current_user c;', { u: 'bob@127.0.0.1', c: 'dbproxy@%' }],
    ['SELECT SESSION_USER(), SYSTEM_USER(), CURRENT_USER', { 'SESSION_USER()': 'bob@127.0.0.1', 'SYSTEM_USER()': 'bob@127.0.0.1', CURRENT_USER: 'dbproxy@%' }],
    ['SELECT 1', { 1: '1' }],
    ['SELECT -7 AS `n`, +3 "p", 0042 \'z\'', { n: '-7', p: '3', z: '42' }],
    ['SELECT 123456789012345678901234567890', { '123456789012345678901234567890': '123456789012345678901234567890' }],
    ['SELECT @@version, @@VERSION_COMMENT', { '@@version': SERVER_VERSION, '@@VERSION_COMMENT': 'MySQL Enterprise - Cloud' }],
    ['SELECT @@session.transaction_isolation AS iso, @@global.autocommit', { iso: 'REPEATABLE-READ', '@@global.autocommit': '1' }],
    ['SELECT @@init_connect, @@global.init_connect', { '@@init_connect': '', '@@global.init_connect': '' }],
    ['SELECT @@max_allowed_packet, @@lower_case_table_names, @@performance_schema', { '@@max_allowed_packet': '67108864', '@@lower_case_table_names': '0', '@@performance_schema': '1' }],
  ])('%s', (sql, expected) => {
    expect(row(sql)).toEqual(expected);
  });

  it('integers and numeric variables are integer columns; text variables and user functions are strings', () => {
    const { reply } = run('SELECT 1, @@autocommit, @@sql_mode, USER()');
    expect(reply.kind === 'rows' && reply.columns.map((c) => c.kind)).toEqual(['integer', 'integer', 'string', 'string']);
  });

  it("a session variable shows the session's value, a global one the server's default", () => {
    expect(row("SET time_zone = '+01:00'", 'SELECT @@time_zone, @@session.time_zone, @@global.time_zone')).toEqual({
      '@@time_zone': '+01:00',
      '@@session.time_zone': '+01:00',
      '@@global.time_zone': 'SYSTEM',
    });
  });

  it("Connector/J's connect-time SELECT of variables", () => {
    const sql =
      '/* mysql-connector-j-9.1.0 */SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, ' +
      '@@character_set_connection AS character_set_connection, @@character_set_results AS character_set_results, @@character_set_server AS character_set_server, ' +
      '@@collation_server AS collation_server, @@collation_connection AS collation_connection, @@init_connect AS init_connect, ' +
      '@@interactive_timeout AS interactive_timeout, @@license AS license, @@lower_case_table_names AS lower_case_table_names, ' +
      '@@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema, ' +
      '@@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone, @@transaction_isolation AS transaction_isolation, ' +
      '@@wait_timeout AS wait_timeout';
    expect(Object.keys(row(sql))).toHaveLength(19);
    expect(row(sql)).toMatchObject({ auto_increment_increment: '1', character_set_server: 'utf8mb4', license: 'Commercial', system_time_zone: 'UTC', wait_timeout: '28800' });
  });

  it.each([
    ['SELECT @@no_such_thing', 1193, 'HY000', "Unknown system variable 'no_such_thing'"],
    ['SELECT 1, @@Nope', 1193, 'HY000', "Unknown system variable 'Nope'"],
    ['SELECT @@session.init_connect', 1238, 'HY000', "Variable 'init_connect' is a GLOBAL variable"],
  ])('%s: ERR %i', (sql, code, sqlState, message) => {
    expect(error(sql)).toEqual({ code, sqlState, message });
  });

  it.each([
    ['SELECT'],
    ['SELECT * FROM mysql.user'],
    ['SELECT 1 FROM DUAL'],
    ['SELECT 1,'],
    ['SELECT 1 AS'],
    ['SELECT 1.5'],
    ['SELECT USER('],
    ['SELECT USER'],
    ['SELECT NOW()'],
    ["SELECT 'text'"],
    ['SELECT @x'],
    ['SELECT @@persist.autocommit'],
    ['SELECT @@'],
    ['SELECT @@session.'],
    ["SELECT 'unterminated"],
    ['SELECT 1 /* unterminated'],
    ['SELECT `unterminated'],
    [''],
    [' ; '],
    ['DROP TABLE t'],
  ])('%j: ERR 1064', (sql) => {
    expect(error(sql)).toEqual({ code: 1064, sqlState: '42000', message: expect.stringMatching(/^You have an error in your SQL syntax; the HeatWave emulator answers only /) });
  });
});

describe('transactions and status flags', () => {
  it.each([
    ['BEGIN', SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS],
    ['begin work;', SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS],
    ['START TRANSACTION', SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS],
    ['START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT', SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS],
    ['SET autocommit = 0', 0],
  ])('%s: OK with status %i', (sql, status) => {
    const { reply, session } = run(sql);
    expect(reply).toEqual({ kind: 'ok' });
    expect(sessionStatus(session)).toBe(status);
  });

  it.each(['COMMIT', 'ROLLBACK', 'commit work', 'ROLLBACK;'])('%s ends the transaction', (sql) => {
    const { reply, session } = run('SET autocommit = 0', 'BEGIN', sql);
    expect(reply).toEqual({ kind: 'ok' });
    expect(sessionStatus(session)).toBe(0);
  });

  it('turning autocommit back on commits the open transaction; setting it again does not', () => {
    expect(sessionStatus(run('SET autocommit = 0', 'BEGIN', 'SET autocommit = 1').session)).toBe(SERVER_STATUS_AUTOCOMMIT);
    expect(sessionStatus(run('BEGIN', 'SET autocommit = 1').session)).toBe(SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS);
  });

  it.each(['START', 'START TRANSACTION READ', 'START TRANSACTION ,', 'START TRANSACTION READ ONLY,', 'START TRANSACTION WITH SNAPSHOT', 'BEGIN NOW', 'COMMIT AND CHAIN'])('%s: ERR 1064', (sql) => {
    expect(error(sql)).toMatchObject({ code: 1064 });
  });

  it('a new session has autocommit on and no transaction', () => {
    expect(sessionStatus(fresh())).toBe(SERVER_STATUS_AUTOCOMMIT);
  });
});

describe('SHOW STATUS', () => {
  it.each(["SHOW SESSION STATUS LIKE 'Ssl_cipher'", "show status like 'ssl_cipher';", "SHOW LOCAL STATUS LIKE \"Ssl_cipher\""])('%s gives the cipher', (sql) => {
    expect(row(sql)).toEqual({ Variable_name: 'Ssl_cipher', Value: 'TLS_AES_256_GCM_SHA384' });
  });

  it.each(["SHOW STATUS LIKE 'Uptime'", 'SHOW STATUS', 'SHOW VARIABLES'])('%s: ERR 1064', (sql) => {
    expect(error(sql)).toMatchObject({ code: 1064 });
  });
});

describe('normalizeSqlMode', () => {
  it.each([
    ['', ''],
    ['strict_trans_tables', 'STRICT_TRANS_TABLES'],
    ['NO_ENGINE_SUBSTITUTION, ONLY_FULL_GROUP_BY', 'ONLY_FULL_GROUP_BY,NO_ENGINE_SUBSTITUTION'],
    ['ANSI', 'REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ONLY_FULL_GROUP_BY,ANSI'],
    ['ANSI_QUOTES,ANSI_QUOTES', 'ANSI_QUOTES'],
    ['ANSI_QUOTES,,', 'ANSI_QUOTES'],
    ['NO_SUCH_MODE', undefined],
    ['ANSI_QUOTES,NOPE', undefined],
  ])('%j -> %j', (given, expected) => {
    expect(normalizeSqlMode(given)).toBe(expected);
  });
});

describe('normalizeTimeZone', () => {
  it.each([
    ['SYSTEM', 'SYSTEM'],
    ['system', 'SYSTEM'],
    ['+00:00', '+00:00'],
    ['+0:00', '+00:00'],
    ['-13:59', '-13:59'],
    ['+14:00', '+14:00'],
    ['-14:00', undefined],
    ['+14:01', undefined],
    ['+01:60', undefined],
    ['+1', undefined],
    ['UTC', 'UTC'],
    ['America/New_York', 'America/New_York'],
    ['Mars/Olympus', undefined],
    ['', undefined],
    ['../../etc/passwd', undefined],
  ])('%j -> %j', (given, expected) => {
    expect(normalizeTimeZone(given)).toBe(expected);
  });
});

describe('never throws', () => {
  const statements = [
    "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_0900_ai_ci'",
    'SET @@session.autocommit = OFF',
    "SET sql_mode = 'ANSI', time_zone = '+01:00', character_set_results = NULL",
    "SELECT USER() AS `u`, @@session.autocommit, -1 'n', CURRENT_USER",
    "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
    'START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT',
  ];

  it('on every cut of the statements clients send: a reply, and a session only a SET or transaction statement changes', () => {
    for (const sql of statements) {
      for (let i = 0; i <= sql.length; i++) {
        const before = fresh();
        const { reply, session } = runStatement(sql.slice(0, i), before);
        expect(['ok', 'rows', 'error']).toContain(reply.kind);
        if (reply.kind !== 'ok') expect(session).toBe(before);
      }
    }
  });

  it('on any text, SQL-ish or not', () => {
    const sqlish = fc
      .array(fc.constantFrom('SELECT', 'SET', 'NAMES', '@@', '@@session.', 'autocommit', '=', ':=', ',', ';', "'", '"', '`', '/*', '*/', '-- ', '#', '\\', '(', ')', '-', '1', 'NULL', 'DEFAULT', 'GLOBAL', 'COLLATE', 'AS', ' ', '\n', '\0', '\u00e9'), { maxLength: 20 })
      .map((parts) => parts.join(' '));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), sqlish), (sql) => {
        const { reply } = runStatement(sql, fresh());
        return ['ok', 'rows', 'error'].includes(reply.kind);
      }),
      { numRuns: 2000 },
    );
  });
});
