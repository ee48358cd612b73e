/**
 * Internal: the statements a HeatWave emulator session answers, as pure functions of the SQL text and the
 * session's state. A session answers what clients send around a login: `SELECT` of `USER()`,
 * `CURRENT_USER()` (and their kin), integer literals and `@@system` variables; `SET` of session
 * variables, `SET NAMES` and `SET CHARACTER SET` (what MySQL Connector/Python, libmysqlclient and
 * Connector/J send after connecting); `BEGIN`, `START TRANSACTION`, `COMMIT` and `ROLLBACK`; and
 * `SHOW STATUS LIKE 'Ssl_cipher'`. Refusals carry MySQL's own error numbers, SQLSTATEs and texts. It is
 * not a SQL engine: there are no tables. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { SERVER_STATUS_AUTOCOMMIT, SERVER_STATUS_IN_TRANS, SERVER_VERSION, type ColumnSpec } from './wire.js';

/** An error as MySQL reports it in an ERR packet. @internal */
export interface SqlError {
  code: number;
  sqlState: string;
  message: string;
}

/** A system variable's value: a number (booleans are 0 or 1, as `SELECT @@autocommit` shows them), text, or NULL. @internal */
export type VariableValue = number | string | null;

/** What a session knows, given to and returned by {@link runStatement}; never changed in place. @internal */
export interface SessionState {
  /** `USER()`: the login name and the client's address. */
  readonly user: string;
  /** `CURRENT_USER()`: the account the login mapped to. */
  readonly currentUser: string;
  /** The TLS cipher, or `''` for a plain-text session. */
  readonly cipher: string;
  /** The session values of the system variables set so far, by lower-case name; the rest have their defaults. */
  readonly variables: Readonly<Record<string, VariableValue>>;
  /** Whether `BEGIN` or `START TRANSACTION` opened a transaction that is still open. */
  readonly inTransaction: boolean;
}

/** How a statement is answered: OK, one row, or an error. @internal */
export type StatementReply =
  | { kind: 'ok' }
  | { kind: 'rows'; columns: ColumnSpec[]; row: (string | null)[] }
  | { kind: 'error'; error: SqlError };

/** A new session, with every variable at its default. @internal */
export function newSession(who: { user: string; currentUser: string; cipher: string }): SessionState {
  return { user: who.user, currentUser: who.currentUser, cipher: who.cipher, variables: {}, inTransaction: false };
}

/** The server status flags that OK and EOF packets carry for this session (autocommit, in transaction). @internal */
export function sessionStatus(session: SessionState): number {
  return (valueIn(session.variables, 'autocommit') === 1 ? SERVER_STATUS_AUTOCOMMIT : 0) | (session.inTransaction ? SERVER_STATUS_IN_TRANS : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// MySQL's errors (texts as in the MySQL 8.4 server error reference).

const PARSE_HINT =
  "the HeatWave emulator answers only SELECT of USER(), CURRENT_USER(), integers and @@variables; SET of session variables, SET NAMES and SET CHARACTER SET; BEGIN, START TRANSACTION, COMMIT and ROLLBACK; and SHOW STATUS LIKE 'Ssl_cipher'";

const er = {
  parse: (): SqlError => ({ code: 1064, sqlState: '42000', message: `You have an error in your SQL syntax; ${PARSE_HINT}` }),
  unknownVariable: (name: string): SqlError => ({ code: 1193, sqlState: 'HY000', message: `Unknown system variable '${name}'` }),
  wrongValue: (name: string, value: string): SqlError => ({ code: 1231, sqlState: '42000', message: `Variable '${name}' can't be set to the value of '${value}'` }),
  wrongType: (name: string): SqlError => ({ code: 1232, sqlState: '42000', message: `Incorrect argument type to variable '${name}'` }),
  needsPrivilege: (): SqlError => ({
    code: 1227,
    sqlState: '42000',
    message: 'Access denied; you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation',
  }),
  globalOnly: (name: string): SqlError => ({ code: 1229, sqlState: 'HY000', message: `Variable '${name}' is a GLOBAL variable and should be set with SET GLOBAL` }),
  isGlobal: (name: string): SqlError => ({ code: 1238, sqlState: 'HY000', message: `Variable '${name}' is a GLOBAL variable` }),
  readOnly: (name: string): SqlError => ({ code: 1238, sqlState: 'HY000', message: `Variable '${name}' is a read only variable` }),
  sessionReadOnly: (name: string): SqlError => ({ code: 1621, sqlState: 'HY000', message: `SESSION variable '${name}' is read-only. Use SET GLOBAL to assign the value` }),
  unknownCharset: (name: string): SqlError => ({ code: 1115, sqlState: '42000', message: `Unknown character set: '${name}'` }),
  unknownCollation: (name: string): SqlError => ({ code: 1273, sqlState: 'HY000', message: `Unknown collation: '${name}'` }),
  collationMismatch: (collation: string, charset: string): SqlError => ({
    code: 1253,
    sqlState: '42000',
    message: `COLLATION '${collation}' is not valid for CHARACTER SET '${charset}'`,
  }),
  unknownTimeZone: (name: string): SqlError => ({ code: 1298, sqlState: 'HY000', message: `Unknown or incorrect time zone: '${name}'` }),
};

// ---------------------------------------------------------------------------------------------------------------
// Character sets, collations, SQL modes.

/** The character sets a client is likely to name, each with its default collation first. */
const CHARSETS: Readonly<Record<string, readonly string[]>> = {
  utf8mb4: [
    'utf8mb4_0900_ai_ci',
    'utf8mb4_0900_as_ci',
    'utf8mb4_0900_as_cs',
    'utf8mb4_0900_bin',
    'utf8mb4_bin',
    'utf8mb4_general_ci',
    'utf8mb4_unicode_ci',
    'utf8mb4_unicode_520_ci',
  ],
  utf8mb3: ['utf8mb3_general_ci', 'utf8mb3_bin', 'utf8mb3_unicode_ci', 'utf8mb3_unicode_520_ci'],
  latin1: ['latin1_swedish_ci', 'latin1_bin', 'latin1_general_ci', 'latin1_general_cs'],
  ascii: ['ascii_general_ci', 'ascii_bin'],
  binary: ['binary'],
};

/** A character set's name as MySQL 8.4 shows it (`utf8` is `utf8mb3`), or `undefined` when unknown. */
function charsetName(given: string): string | undefined {
  const name = given.toLowerCase();
  const canonical = name === 'utf8' ? 'utf8mb3' : name;
  return Object.hasOwn(CHARSETS, canonical) ? canonical : undefined;
}

/** A collation's name as MySQL 8.4 shows it, with its character set, or `undefined` when unknown. */
function collationInfo(given: string): { name: string; charset: string } | undefined {
  const lower = given.toLowerCase();
  const name = lower.startsWith('utf8_') ? `utf8mb3_${lower.slice(5)}` : lower;
  for (const [charset, collations] of Object.entries(CHARSETS)) {
    if (collations.includes(name)) return { name, charset };
  }
  return undefined;
}

/** SQL mode names in MySQL's bit order, which is the order `@@sql_mode` lists them in. */
const SQL_MODES = [
  'REAL_AS_FLOAT',
  'PIPES_AS_CONCAT',
  'ANSI_QUOTES',
  'IGNORE_SPACE',
  'ONLY_FULL_GROUP_BY',
  'NO_UNSIGNED_SUBTRACTION',
  'NO_DIR_IN_CREATE',
  'ANSI',
  'NO_AUTO_VALUE_ON_ZERO',
  'NO_BACKSLASH_ESCAPES',
  'STRICT_TRANS_TABLES',
  'STRICT_ALL_TABLES',
  'NO_ZERO_IN_DATE',
  'NO_ZERO_DATE',
  'ALLOW_INVALID_DATES',
  'ERROR_FOR_DIVISION_BY_ZERO',
  'TRADITIONAL',
  'HIGH_NOT_PRECEDENCE',
  'NO_ENGINE_SUBSTITUTION',
  'PAD_CHAR_TO_FULL_LENGTH',
  'TIME_TRUNCATE_FRACTIONAL',
] as const;

/** The modes that a combination mode turns on along with itself. */
const SQL_MODE_COMBINATIONS: Readonly<Record<string, readonly string[]>> = {
  ANSI: ['REAL_AS_FLOAT', 'PIPES_AS_CONCAT', 'ANSI_QUOTES', 'IGNORE_SPACE', 'ONLY_FULL_GROUP_BY'],
  TRADITIONAL: ['STRICT_TRANS_TABLES', 'STRICT_ALL_TABLES', 'NO_ZERO_IN_DATE', 'NO_ZERO_DATE', 'ERROR_FOR_DIVISION_BY_ZERO', 'NO_ENGINE_SUBSTITUTION'],
};

/** `@@sql_mode` for a comma-separated list of mode names, or `undefined` when one is not a mode. */
export function normalizeSqlMode(given: string): string | undefined {
  const on = new Set<string>();
  for (const part of given.split(',')) {
    const mode = part.trim().toUpperCase();
    if (mode === '') continue;
    if (!(SQL_MODES as readonly string[]).includes(mode)) return undefined;
    on.add(mode);
    for (const implied of SQL_MODE_COMBINATIONS[mode] ?? []) on.add(implied);
  }
  return SQL_MODES.filter((m) => on.has(m)).join(',');
}

/**
 * `@@time_zone` for a value: `SYSTEM`, an offset from `-13:59` to `+14:00` (written back as `±HH:MM`), or a
 * named zone (HeatWave has the time zone tables loaded); `undefined` when it is none of them.
 */
export function normalizeTimeZone(given: string): string | undefined {
  if (given.toUpperCase() === 'SYSTEM') return 'SYSTEM';
  const offset = /^([+-])(\d{1,2}):(\d{2})$/.exec(given);
  if (offset) {
    const [, sign, h, m] = offset as unknown as [string, string, string, string];
    const minutes = Number(h) * 60 + Number(m);
    if (Number(m) > 59 || (sign === '+' ? minutes > 14 * 60 : minutes > 13 * 60 + 59)) return undefined;
    return `${sign}${h.padStart(2, '0')}:${m}`;
  }
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(given)) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: given });
    return given;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// System variables.

type VariableKind = 'boolean' | 'integer' | 'charset' | 'collation' | 'sql_mode' | 'time_zone' | 'isolation' | 'text';

/**
 * Where a variable can be set: `session` (SET and SET SESSION; SET GLOBAL needs a privilege), `global` (only
 * SET GLOBAL), `session-read-only` (the session copy cannot be set), `read-only` (not at all).
 */
type VariableScope = 'session' | 'global' | 'session-read-only' | 'read-only';

interface VariableSpec {
  kind: VariableKind;
  value: VariableValue;
  scope: VariableScope;
  min?: number;
  max?: number;
  nullable?: boolean;
  /** A variable whose value goes with this one: the collation of a character set, or the other way round. */
  pairedWith?: string;
}

/**
 * The variables clients read or set around a login, with MySQL 8.4's defaults as a HeatWave DB system shows
 * them. Connector/J reads most of them in one SELECT when it connects.
 */
const VARIABLES: Readonly<Record<string, VariableSpec>> = {
  autocommit: { kind: 'boolean', value: 1, scope: 'session' },
  auto_increment_increment: { kind: 'integer', value: 1, scope: 'session', min: 1, max: 65535 },
  auto_increment_offset: { kind: 'integer', value: 1, scope: 'session', min: 1, max: 65535 },
  character_set_client: { kind: 'charset', value: 'utf8mb4', scope: 'session' },
  character_set_connection: { kind: 'charset', value: 'utf8mb4', scope: 'session', pairedWith: 'collation_connection' },
  character_set_database: { kind: 'charset', value: 'utf8mb4', scope: 'session', pairedWith: 'collation_database' },
  character_set_results: { kind: 'charset', value: 'utf8mb4', scope: 'session', nullable: true },
  character_set_server: { kind: 'charset', value: 'utf8mb4', scope: 'session', pairedWith: 'collation_server' },
  collation_connection: { kind: 'collation', value: 'utf8mb4_0900_ai_ci', scope: 'session', pairedWith: 'character_set_connection' },
  collation_database: { kind: 'collation', value: 'utf8mb4_0900_ai_ci', scope: 'session', pairedWith: 'character_set_database' },
  collation_server: { kind: 'collation', value: 'utf8mb4_0900_ai_ci', scope: 'session', pairedWith: 'character_set_server' },
  foreign_key_checks: { kind: 'boolean', value: 1, scope: 'session' },
  group_concat_max_len: { kind: 'integer', value: 1024, scope: 'session', min: 4 },
  init_connect: { kind: 'text', value: '', scope: 'global' },
  interactive_timeout: { kind: 'integer', value: 28800, scope: 'session', min: 1, max: 31536000 },
  license: { kind: 'text', value: 'Commercial', scope: 'read-only' },
  lower_case_table_names: { kind: 'integer', value: 0, scope: 'read-only' },
  max_allowed_packet: { kind: 'integer', value: 67108864, scope: 'session-read-only' },
  max_execution_time: { kind: 'integer', value: 0, scope: 'session', min: 0 },
  net_read_timeout: { kind: 'integer', value: 30, scope: 'session', min: 1 },
  net_write_timeout: { kind: 'integer', value: 60, scope: 'session', min: 1 },
  performance_schema: { kind: 'boolean', value: 1, scope: 'read-only' },
  sql_mode: {
    kind: 'sql_mode',
    value: 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
    scope: 'session',
  },
  sql_safe_updates: { kind: 'boolean', value: 0, scope: 'session' },
  system_time_zone: { kind: 'text', value: 'UTC', scope: 'read-only' },
  time_zone: { kind: 'time_zone', value: 'SYSTEM', scope: 'session' },
  transaction_isolation: { kind: 'isolation', value: 'REPEATABLE-READ', scope: 'session' },
  transaction_read_only: { kind: 'boolean', value: 0, scope: 'session' },
  unique_checks: { kind: 'boolean', value: 1, scope: 'session' },
  version: { kind: 'text', value: SERVER_VERSION, scope: 'read-only' },
  version_comment: { kind: 'text', value: 'MySQL Enterprise - Cloud', scope: 'read-only' },
  wait_timeout: { kind: 'integer', value: 28800, scope: 'session', min: 1, max: 31536000 },
};

const ISOLATION_LEVELS = ['READ-UNCOMMITTED', 'READ-COMMITTED', 'REPEATABLE-READ', 'SERIALIZABLE'];

function spec(name: string): VariableSpec | undefined {
  return Object.hasOwn(VARIABLES, name) ? VARIABLES[name] : undefined;
}

/** A variable's session value: the one set, else its default. */
function valueIn(variables: Readonly<Record<string, VariableValue>>, name: string): VariableValue {
  return Object.hasOwn(variables, name) ? variables[name]! : (spec(name)?.value ?? null);
}

type Scope = 'session' | 'global' | 'default';

/** `SELECT @@[scope.]name`: the value, or MySQL's error. */
function readVariable(session: SessionState, given: string, scope: Scope): { value: VariableValue; kind: VariableKind } | SqlError {
  const name = given.toLowerCase();
  const s = spec(name);
  if (!s) return er.unknownVariable(given);
  if (scope === 'session' && s.scope === 'global') return er.isGlobal(name);
  return { value: scope === 'global' || s.scope === 'global' ? s.value : valueIn(session.variables, name), kind: s.kind };
}

/** A value on the right of `SET name =`. */
type SetValue =
  | { kind: 'number'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'word'; text: string }
  | { kind: 'default' }
  | { kind: 'null' };

function shown(v: SetValue): string {
  return v.kind === 'default' ? 'DEFAULT' : v.kind === 'null' ? 'NULL' : v.text;
}

/** The value a variable of `s` takes for `v`, or MySQL's error. Pure; `DEFAULT` is the global default. */
function coerce(name: string, s: VariableSpec, v: SetValue): VariableValue | SqlError {
  if (v.kind === 'default') return s.value;
  if (v.kind === 'null') return s.nullable ? null : er.wrongValue(name, 'NULL');
  switch (s.kind) {
    case 'boolean': {
      if (v.kind === 'number') return v.text === '0' || v.text === '1' ? Number(v.text) : er.wrongValue(name, v.text);
      const word = v.text.toUpperCase();
      if (word === 'ON' || word === 'TRUE') return 1;
      if (word === 'OFF' || word === 'FALSE') return 0;
      return er.wrongValue(name, v.text);
    }
    case 'integer': {
      if (v.kind !== 'number' || !/^-?\d+$/.test(v.text)) return er.wrongType(name);
      // MySQL clamps an out-of-range value to the nearest bound (with a warning).
      let n = Number(v.text);
      if (s.min !== undefined && n < s.min) n = s.min;
      if (s.max !== undefined && n > s.max) n = s.max;
      return n;
    }
    case 'charset': {
      if (v.kind === 'number') return er.wrongType(name);
      return charsetName(v.text) ?? er.unknownCharset(v.text);
    }
    case 'collation': {
      if (v.kind === 'number') return er.wrongType(name);
      return collationInfo(v.text)?.name ?? er.unknownCollation(v.text);
    }
    case 'sql_mode': {
      if (v.kind === 'number') return er.wrongType(name);
      return normalizeSqlMode(v.text) ?? er.wrongValue(name, v.text);
    }
    case 'time_zone': {
      if (v.kind === 'number') return er.wrongType(name);
      return normalizeTimeZone(v.text) ?? er.unknownTimeZone(v.text);
    }
    case 'isolation': {
      const level = v.text.toUpperCase();
      return ISOLATION_LEVELS.includes(level) ? level : er.wrongValue(name, v.text);
    }
    case 'text':
      return er.wrongValue(name, shown(v));
  }
}

/** One assignment of `SET`, applied to `variables` in place (the caller works on a copy). */
function assign(variables: Record<string, VariableValue>, given: string, scope: Scope, v: SetValue): SqlError | undefined {
  const name = given.toLowerCase();
  const s = spec(name);
  if (!s) return er.unknownVariable(given);
  if (s.scope === 'read-only') return er.readOnly(name);
  if (scope === 'global') return er.needsPrivilege();
  if (s.scope === 'global') return er.globalOnly(name);
  if (s.scope === 'session-read-only') return er.sessionReadOnly(name);
  const value = coerce(name, s, v);
  if (value !== null && typeof value === 'object') return value;
  variables[name] = value;
  // A character set and its collation go together: setting one sets the other to match.
  if (s.pairedWith !== undefined && typeof value === 'string') {
    variables[s.pairedWith] = s.kind === 'charset' ? CHARSETS[value]![0]! : collationInfo(value)!.charset;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'word'; text: string; upper: string; start: number; end: number }
  | { kind: 'ident'; text: string; start: number; end: number } // a `quoted identifier`
  | { kind: 'string'; text: string; start: number; end: number } // 'text' or "text", quotes and escapes undone
  | { kind: 'number'; text: string; start: number; end: number }
  | { kind: 'sysvar'; scope: Scope | 'persist'; name: string; start: number; end: number } // @@[scope.]name
  | { kind: 'uservar'; start: number; end: number } // @name
  | { kind: 'symbol'; text: string; start: number; end: number };

const ESCAPES: Readonly<Record<string, string>> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_' };
const NAME = /[A-Za-z0-9_$]/;

/** The tokens of one statement, or `undefined` for an unterminated string, identifier or comment. */
function tokenize(sql: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (sql.startsWith('-- ', i) || sql.startsWith('--\t', i) || ch === '#') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
      continue;
    }
    const start = i;
    if (ch === "'" || ch === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) return undefined;
        const c = sql[i]!;
        if (c === '\\' && i + 1 < sql.length) {
          const next = sql[i + 1]!;
          text += ESCAPES[next] ?? next;
          i += 2;
        } else if (c === ch && sql[i + 1] === ch) {
          text += ch;
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else {
          text += c;
          i++;
        }
      }
      tokens.push({ kind: 'string', text, start, end: i });
    } else if (ch === '`') {
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) return undefined;
        if (sql[i] === '`' && sql[i + 1] === '`') {
          text += '`';
          i += 2;
        } else if (sql[i] === '`') {
          i++;
          break;
        } else {
          text += sql[i++];
        }
      }
      tokens.push({ kind: 'ident', text, start, end: i });
    } else if (sql.startsWith('@@', i)) {
      i += 2;
      while (i < sql.length && NAME.test(sql[i]!)) i++;
      let first = sql.slice(start + 2, i);
      let scope: Scope | 'persist' = 'default';
      if (sql[i] === '.' && /^(global|session|local|persist|persist_only)$/i.test(first)) {
        const low = first.toLowerCase();
        scope = low === 'local' ? 'session' : low === 'persist_only' ? 'persist' : (low as Scope | 'persist');
        const nameStart = ++i;
        while (i < sql.length && NAME.test(sql[i]!)) i++;
        first = sql.slice(nameStart, i);
      }
      tokens.push({ kind: 'sysvar', scope, name: first, start, end: i });
    } else if (ch === '@') {
      i++;
      while (i < sql.length && NAME.test(sql[i]!)) i++;
      tokens.push({ kind: 'uservar', start, end: i });
    } else if (/\d/.test(ch)) {
      while (i < sql.length && /[\d.]/.test(sql[i]!)) i++;
      if (i < sql.length && NAME.test(sql[i]!)) {
        // An identifier may start with digits (`1abc`); the emulator has no use for one.
        while (i < sql.length && NAME.test(sql[i]!)) i++;
        tokens.push({ kind: 'word', text: sql.slice(start, i), upper: sql.slice(start, i).toUpperCase(), start, end: i });
      } else {
        tokens.push({ kind: 'number', text: sql.slice(start, i), start, end: i });
      }
    } else if (NAME.test(ch)) {
      while (i < sql.length && NAME.test(sql[i]!)) i++;
      const text = sql.slice(start, i);
      tokens.push({ kind: 'word', text, upper: text.toUpperCase(), start, end: i });
    } else if (sql.startsWith(':=', i)) {
      i += 2;
      tokens.push({ kind: 'symbol', text: ':=', start, end: i });
    } else {
      i++;
      tokens.push({ kind: 'symbol', text: ch, start, end: i });
    }
  }
  return tokens;
}

/** Reads tokens one at a time; `undefined` past the end. */
class Tokens {
  private pos = 0;
  constructor(private readonly list: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.list[this.pos + offset];
  }

  next(): Token | undefined {
    return this.list[this.pos++];
  }

  /** Takes the next token if it is the keyword `word`. */
  keyword(word: string): boolean {
    const t = this.peek();
    if (t?.kind === 'word' && t.upper === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Takes the next token if it is the symbol `text`. */
  symbol(text: string): boolean {
    const t = this.peek();
    if (t?.kind === 'symbol' && t.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Whether only an optional `;` is left. */
  atEnd(): boolean {
    this.symbol(';');
    return this.pos >= this.list.length;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

/**
 * Runs one statement: the reply to send and the session after it. Never throws; anything the emulator does
 * not understand is ERR 1064.
 *
 * @internal
 */
export function runStatement(sql: string, session: SessionState): { reply: StatementReply; session: SessionState } {
  const tokens = tokenize(sql);
  const parse = (): { reply: StatementReply; session: SessionState } => ({ reply: { kind: 'error', error: er.parse() }, session });
  if (!tokens || tokens.length === 0) return parse();
  const t = new Tokens(tokens);
  const ok = (next: SessionState = session) => ({ reply: { kind: 'ok' } as const, session: next });
  if (t.keyword('SELECT')) return { reply: select(sql, t, session) ?? { kind: 'error', error: er.parse() }, session };
  if (t.keyword('SET')) return set(t, session) ?? parse();
  if (t.keyword('SHOW')) return { reply: show(t, session) ?? { kind: 'error', error: er.parse() }, session };
  if (t.keyword('BEGIN')) {
    t.keyword('WORK');
    return t.atEnd() ? ok({ ...session, inTransaction: true }) : parse();
  }
  if (t.keyword('START')) {
    if (!t.keyword('TRANSACTION')) return parse();
    // Optional characteristics, comma-separated: READ ONLY | READ WRITE | WITH CONSISTENT SNAPSHOT.
    // `undefined`: none here; false: one begun but malformed.
    const characteristic = (): boolean | undefined => {
      if (t.keyword('READ')) return t.keyword('ONLY') || t.keyword('WRITE');
      if (t.keyword('WITH')) return t.keyword('CONSISTENT') && t.keyword('SNAPSHOT');
      return undefined;
    };
    const first = characteristic();
    if (first === false) return parse();
    if (first) {
      while (t.symbol(',')) if (characteristic() !== true) return parse();
    }
    return t.atEnd() ? ok({ ...session, inTransaction: true }) : parse();
  }
  if (t.keyword('COMMIT') || t.keyword('ROLLBACK')) {
    t.keyword('WORK');
    return t.atEnd() ? ok({ ...session, inTransaction: false }) : parse();
  }
  return parse();
}

/** `SHOW [SESSION] STATUS LIKE 'Ssl_cipher'`: how a client asks whether its session is encrypted ('' when not). */
function show(t: Tokens, session: SessionState): StatementReply | undefined {
  if (!t.keyword('SESSION')) t.keyword('LOCAL');
  if (!t.keyword('STATUS') || !t.keyword('LIKE')) return undefined;
  const pattern = t.next();
  if (pattern?.kind !== 'string' || pattern.text.toLowerCase() !== 'ssl_cipher' || !t.atEnd()) return undefined;
  return {
    kind: 'rows',
    columns: [
      { name: 'Variable_name', kind: 'string', length: 64 * 4 },
      { name: 'Value', kind: 'string', length: 1024 * 4 },
    ],
    row: ['Ssl_cipher', session.cipher],
  };
}

const USER_FUNCTIONS = new Set(['USER', 'SESSION_USER', 'SYSTEM_USER', 'CURRENT_USER']);
/**
 * MySQL 8.4's reserved words that a statement of the emulator's kind could meet where an alias may
 * stand: MySQL answers 1064 to them unquoted (`AS current_user`), and takes them quoted (`AS \`current_user\``).
 */
const RESERVED = new Set(
  (
    'accessible add all alter and as asc by call case check column condition constraint create cross current_date current_time ' +
    'current_timestamp current_user database databases default delete desc distinct div drop else exists false for from function ' +
    'grant group having if in index inner insert interval into is join key keys left like limit localtime localtimestamp match ' +
    'mod not null on or order outer primary range rank read references regexp rename replace require return revoke right row ' +
    'rows schema schemas select set show system table then to true union unique update usage use using utc_date utc_time ' +
    'utc_timestamp values when where with write xor'
  )
    .toUpperCase()
    .split(' '),
);

/** `SELECT item, …`, one row; an item is a user function, an integer or a system variable, with an optional alias. */
function select(sql: string, t: Tokens, session: SessionState): StatementReply | undefined {
  const columns: ColumnSpec[] = [];
  const row: (string | null)[] = [];
  do {
    const first = t.peek();
    if (!first) return undefined;
    let end: number;
    let column: ColumnSpec;
    let value: string | null;
    if (first.kind === 'word' && USER_FUNCTIONS.has(first.upper)) {
      t.next();
      end = first.end;
      if (t.symbol('(')) {
        const close = t.next();
        if (close?.kind !== 'symbol' || close.text !== ')') return undefined;
        end = close.end;
      } else if (first.upper !== 'CURRENT_USER') {
        return undefined;
      }
      value = first.upper === 'CURRENT_USER' ? session.currentUser : session.user;
      column = { name: '', kind: 'string', length: 288 * 4 };
    } else if (first.kind === 'number' || (first.kind === 'symbol' && (first.text === '-' || first.text === '+'))) {
      t.next();
      const digits = first.kind === 'number' ? first : t.next();
      if (digits?.kind !== 'number' || !/^\d+$/.test(digits.text)) return undefined;
      end = digits.end;
      value = BigInt(`${first.kind === 'symbol' ? first.text : ''}${digits.text}`).toString();
      column = { name: '', kind: 'integer', length: value.length };
    } else if (first.kind === 'sysvar' && first.scope !== 'persist' && first.name !== '') {
      t.next();
      end = first.end;
      const read = readVariable(session, first.name, first.scope);
      if ('code' in read) return { kind: 'error', error: read };
      const numeric = read.kind === 'boolean' || read.kind === 'integer';
      value = read.value === null ? null : String(read.value);
      column = numeric ? { name: '', kind: 'integer', length: 21, nullable: true } : { name: '', kind: 'string', length: 1024 * 4, nullable: true };
    } else {
      return undefined;
    }
    // The column is named after the alias, else after the item as written.
    let name = sql.slice(first.start, end);
    const explicit = t.keyword('AS');
    const alias = t.peek();
    if (alias?.kind === 'string' || alias?.kind === 'ident' || (alias?.kind === 'word' && !RESERVED.has(alias.upper))) {
      t.next();
      name = alias.text;
    } else if (explicit) {
      return undefined;
    }
    columns.push({ ...column, name });
    row.push(value);
  } while (t.symbol(','));
  return t.atEnd() ? { kind: 'rows', columns, row } : undefined;
}

/** The value after `=` in SET. */
function setValue(t: Tokens): SetValue | undefined {
  const v = t.next();
  if (!v) return undefined;
  if (v.kind === 'string') return { kind: 'string', text: v.text };
  if (v.kind === 'ident') return { kind: 'word', text: v.text };
  if (v.kind === 'number') return { kind: 'number', text: v.text };
  if (v.kind === 'symbol' && v.text === '-') {
    const n = t.next();
    return n?.kind === 'number' ? { kind: 'number', text: `-${n.text}` } : undefined;
  }
  if (v.kind === 'word') {
    if (v.upper === 'DEFAULT') return { kind: 'default' };
    if (v.upper === 'NULL') return { kind: 'null' };
    return { kind: 'word', text: v.text };
  }
  return undefined;
}

/** A character set or collation name after NAMES, CHARACTER SET or COLLATE: a word, a string, or DEFAULT. */
function charsetWord(t: Tokens): string | { default: true } | undefined {
  const v = t.next();
  if (v?.kind === 'word' && v.upper === 'DEFAULT') return { default: true };
  if (v?.kind === 'word' || v?.kind === 'string' || v?.kind === 'ident') return v.text;
  return undefined;
}

/** `SET TRANSACTION`, `SET PASSWORD`, `SET ROLE`…: statements of their own, which the emulator does not take. */
const OTHER_SET_STATEMENTS = new Set(['TRANSACTION', 'PASSWORD', 'ROLE', 'DEFAULT', 'RESOURCE']);

/**
 * `SET` with a comma-separated list of `[GLOBAL|SESSION|LOCAL|PERSIST] name = value`, `@@[scope.]name = value`,
 * `NAMES cs [COLLATE c]` and `CHARACTER SET cs`. All or nothing, as in MySQL. `undefined` for a syntax error.
 */
function set(t: Tokens, session: SessionState): { reply: StatementReply; session: SessionState } | undefined {
  const variables: Record<string, VariableValue> = { ...session.variables };
  const fail = (error: SqlError) => ({ reply: { kind: 'error', error } as StatementReply, session });
  do {
    if (t.keyword('NAMES')) {
      const cs = charsetWord(t);
      if (cs === undefined) return undefined;
      const charset = typeof cs === 'string' ? charsetName(cs) : 'utf8mb4';
      if (charset === undefined) return fail(er.unknownCharset(cs as string));
      let collation = CHARSETS[charset]![0]!;
      if (t.keyword('COLLATE')) {
        const c = charsetWord(t);
        if (c === undefined) return undefined;
        if (typeof c === 'string') {
          const info = collationInfo(c);
          if (!info) return fail(er.unknownCollation(c));
          if (info.charset !== charset) return fail(er.collationMismatch(info.name, charset));
          collation = info.name;
        }
      }
      Object.assign(variables, { character_set_client: charset, character_set_results: charset, character_set_connection: charset, collation_connection: collation });
      continue;
    }
    if (t.keyword('CHARSET') || (isWord(t.peek(), 'CHARACTER') && isWord(t.peek(1), 'SET') && t.keyword('CHARACTER') && t.keyword('SET'))) {
      const cs = charsetWord(t);
      if (cs === undefined) return undefined;
      const charset = typeof cs === 'string' ? charsetName(cs) : 'utf8mb4';
      if (charset === undefined) return fail(er.unknownCharset(cs as string));
      Object.assign(variables, {
        character_set_client: charset,
        character_set_results: charset,
        character_set_connection: valueIn(variables, 'character_set_database'),
        collation_connection: valueIn(variables, 'collation_database'),
      });
      continue;
    }
    let scope: Scope = 'default';
    let name: string;
    const first = t.next();
    if (first?.kind === 'sysvar') {
      if (first.name === '') return undefined;
      scope = first.scope === 'persist' ? 'global' : first.scope;
      name = first.name;
    } else if (first?.kind === 'word') {
      const word = first.upper;
      if (word === 'GLOBAL' || word === 'PERSIST' || word === 'PERSIST_ONLY' || word === 'SESSION' || word === 'LOCAL') {
        scope = word === 'SESSION' || word === 'LOCAL' ? 'session' : 'global';
        const n = t.next();
        if (n?.kind !== 'word' && n?.kind !== 'ident') return undefined;
        // `SET SESSION TRANSACTION ISOLATION LEVEL …` is another statement, which the emulator does not take.
        if (n.kind === 'word' && n.upper === 'TRANSACTION') return undefined;
        name = n.text;
      } else if (OTHER_SET_STATEMENTS.has(word)) {
        return undefined;
      } else {
        name = first.text;
      }
    } else if (first?.kind === 'ident') {
      name = first.text;
    } else {
      return undefined;
    }
    if (!t.symbol('=') && !t.symbol(':=')) return undefined;
    const value = setValue(t);
    if (!value) return undefined;
    const error = assign(variables, name, scope, value);
    if (error) return fail(error);
  } while (t.symbol(','));
  if (!t.atEnd()) return undefined;
  // Turning autocommit on commits the open transaction.
  const committed = session.inTransaction && valueIn(variables, 'autocommit') === 1 && valueIn(session.variables, 'autocommit') === 0;
  return { reply: { kind: 'ok' }, session: { ...session, variables, inTransaction: session.inTransaction && !committed } };
}

function isWord(token: Token | undefined, upper: string): boolean {
  return token?.kind === 'word' && token.upper === upper;
}
