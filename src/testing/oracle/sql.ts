/**
 * Internal: the few SQL statements the Oracle Database emulator understands, as pure parsers. `admin()`
 * takes the provisioning statements of IAM integration (`CREATE USER … IDENTIFIED GLOBALLY AS '…'`,
 * `CREATE ROLE`, `GRANT`, `REVOKE`, `DROP USER`, `DROP ROLE`); sessions run `SELECT <expressions> FROM
 * DUAL`, where an expression is a number or string literal, `USER`, `DBTIMEZONE`, `SESSIONTIMEZONE` or
 * `SYS_CONTEXT('USERENV', '<attribute>')`. Anything else is refused with Oracle's own error number. It is
 * not a SQL engine. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */

/** An error as Oracle reports it: the number and `ORA-nnnnn: text`. @internal */
export class OraError extends Error {
  override name = 'OraError';
  /** The number, as node-oracledb's `errorNum`. */
  readonly errorNum: number;
  /** `ORA-nnnnn`, as node-oracledb's `code`. */
  readonly code: string;
  constructor(errorNum: number, text: string) {
    const code = `ORA-${String(errorNum).padStart(5, '0')}`;
    super(`${code}: ${text}`);
    this.errorNum = errorNum;
    this.code = code;
  }
}

/*
 * Oracle's texts for the statement errors, as the Database Error Messages reference gives them
 * (https://docs.oracle.com/error-help/db/ora-NNNNN/).
 */
const ora = {
  invalidStatement: () => new OraError(900, 'invalid SQL statement'),
  missingKeyword: () => new OraError(905, 'missing keyword'),
  invalidIdentifier: (id: string) => new OraError(904, `"${id}": invalid identifier`),
  noTable: () => new OraError(942, 'table or view does not exist'),
  notEnded: () => new OraError(933, 'SQL command not properly ended'),
  missingExpression: () => new OraError(936, 'missing expression'),
  invalidOption: () => new OraError(922, 'missing or invalid option'),
  badPrivilege: () => new OraError(990, 'missing or invalid privilege'),
  quoteNotEnded: () => new OraError(1756, 'quoted string not properly terminated'),
  notANumber: () => new OraError(1722, 'invalid number'),
  literalTooLong: () => new OraError(1704, 'string literal too long'),
  numericOverflow: () => new OraError(1426, 'numeric overflow'),
};

/** The longest string literal, in bytes (MAX_STRING_SIZE = STANDARD, as the emulator announces). */
const MAX_LITERAL_BYTES = 4000;

// ---------------------------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'word'; text: string; upper: string } // an unquoted identifier or keyword
  | { kind: 'quoted'; text: string } // a "quoted identifier"
  | { kind: 'string'; text: string } // a 'literal', quotes undone
  | { kind: 'number'; text: string }
  | { kind: 'symbol'; text: string };

/** The tokens of one statement, each with the source text it came from. Throws {@link OraError}. */
function tokenize(sql: string): { tokens: Token[]; sources: string[] } {
  const tokens: Token[] = [];
  const sources: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      continue;
    }
    const start = i;
    if (ch === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw ora.quoteNotEnded();
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      if (Buffer.byteLength(text, 'utf8') > MAX_LITERAL_BYTES) throw ora.literalTooLong();
      tokens.push({ kind: 'string', text });
    } else if (ch === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) throw ora.quoteNotEnded();
      const text = sql.slice(i + 1, end);
      if (text === '') throw new OraError(1741, 'illegal zero-length identifier');
      tokens.push({ kind: 'quoted', text });
      i = end + 1;
    } else if (/\d/.test(ch) || (ch === '.' && /\d/.test(sql[i + 1] ?? ''))) {
      const m = /^\d*\.?\d+(?:[eE][+-]?\d+)?|^\d+\.?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z]/.test(ch)) {
      const m = /^[A-Za-z][A-Za-z0-9_$#]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'word', text: m[0], upper: m[0].toUpperCase() });
      i += m[0].length;
    } else {
      tokens.push({ kind: 'symbol', text: ch });
      i++;
    }
    sources.push(sql.slice(start, i));
  }
  return { tokens, sources };
}

class Cursor {
  i = 0;
  constructor(
    readonly tokens: Token[],
    readonly sources: string[],
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  /** Whether the next tokens are these keywords (case-insensitive); consumes them if so. */
  accept(...words: string[]): boolean {
    for (const [k, w] of words.entries()) {
      const t = this.peek(k);
      if (t?.kind !== 'word' || t.upper !== w) return false;
    }
    this.i += words.length;
    return true;
  }

  expect(...words: string[]): void {
    if (!this.accept(...words)) throw ora.missingKeyword();
  }

  symbol(text: string): boolean {
    const t = this.peek();
    if (t?.kind === 'symbol' && t.text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  /** An identifier: an unquoted one in upper case, a quoted one as written. */
  identifier(): string {
    const t = this.peek();
    if (t?.kind === 'word') {
      this.i++;
      return t.upper;
    }
    if (t?.kind === 'quoted') {
      this.i++;
      return t.text;
    }
    throw ora.invalidOption();
  }

  string(): string {
    const t = this.peek();
    if (t?.kind !== 'string') throw ora.missingKeyword();
    this.i++;
    return t.text;
  }

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  end(): void {
    if (!this.done) throw ora.notEnded();
  }
}

function cursorOf(sql: string): Cursor {
  const { tokens, sources } = tokenize(sql.trim().replace(/;\s*$/, ''));
  return new Cursor(tokens, sources);
}

// ---------------------------------------------------------------------------------------------------------------
// Provisioning

/**
 * How an Oracle global user or role is mapped to OCI IAM (the text inside `IDENTIFIED GLOBALLY AS '…'`).
 * `tenancy` is given only in the cross-tenancy forms (`<tenancy ocid>:…`); `domain` only for a
 * non-default identity domain (`<domain>/…`).
 *
 * @internal
 */
export type IamMapping =
  | { kind: 'group'; name: string; domain?: string; tenancy?: string; text: string }
  | { kind: 'principal-name'; name: string; domain?: string; tenancy?: string; text: string }
  | { kind: 'principal-ocid'; ocid: string; text: string };

/** One provisioning statement, parsed. @internal */
export type AdminStatement =
  | { kind: 'create-user'; user: string; mapping: IamMapping }
  | { kind: 'create-role'; role: string; mapping?: IamMapping }
  | { kind: 'grant'; items: string[]; grantees: string[] }
  | { kind: 'revoke'; items: string[]; grantees: string[] }
  | { kind: 'drop-user'; user: string }
  | { kind: 'drop-role'; role: string };

const TENANCY_PREFIX = /^(ocid1\.tenancy\.[^:\s]+):(.+)$/;

/**
 * Reads the text of `IDENTIFIED GLOBALLY AS '…'`: `IAM_GROUP_NAME=`, `IAM_PRINCIPAL_NAME=` (each
 * `[<tenancy ocid>:][<domain>/]<name>`) or `IAM_PRINCIPAL_OCID=<ocid>`. Throws {@link OraError}.
 *
 * @internal
 */
export function parseIamMapping(text: string): IamMapping {
  const m = /^\s*(IAM_GROUP_NAME|IAM_PRINCIPAL_NAME|IAM_PRINCIPAL_OCID)\s*=\s*(.*?)\s*$/i.exec(text);
  if (!m || m[2] === '') throw ora.invalidOption();
  const key = m[1]!.toUpperCase();
  const value = m[2]!;
  if (key === 'IAM_PRINCIPAL_OCID') {
    if (!/^ocid1\.[a-z0-9]+\.[a-z0-9-]+\.[a-z0-9-]*\.\S+$/.test(value)) throw ora.invalidOption();
    return { kind: 'principal-ocid', ocid: value, text: `${key}=${value}` };
  }
  let rest = value;
  let tenancy: string | undefined;
  const t = TENANCY_PREFIX.exec(rest);
  if (t) {
    tenancy = t[1]!;
    rest = t[2]!;
  }
  let domain: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    domain = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  if (rest === '' || domain === '') throw ora.invalidOption();
  const kind = key === 'IAM_GROUP_NAME' ? 'group' : 'principal-name';
  return { kind, name: rest, ...(domain !== undefined ? { domain } : {}), ...(tenancy !== undefined ? { tenancy } : {}), text: `${key}=${value}` };
}

/** A privilege or role list of GRANT and REVOKE: `CREATE SESSION, DWROLE, "My Role"`. */
function grantItems(c: Cursor, stop: string): string[] {
  const items: string[] = [];
  for (;;) {
    const words: string[] = [];
    let quoted: string | undefined;
    while (!c.done) {
      const t = c.peek()!;
      if (t.kind === 'word' && t.upper === stop && (words.length > 0 || quoted !== undefined)) break;
      if (t.kind === 'symbol' && t.text === ',') break;
      if (t.kind === 'word') words.push(t.upper);
      else if (t.kind === 'quoted' && words.length === 0 && quoted === undefined) quoted = t.text;
      else throw ora.badPrivilege();
      c.i++;
    }
    if (quoted !== undefined && words.length > 0) throw ora.badPrivilege();
    const item = quoted ?? words.join(' ');
    if (item === '') throw ora.badPrivilege();
    // Object privileges (`SELECT ON t`) name objects the emulator does not have.
    if (words.includes('ON')) throw ora.noTable();
    items.push(item);
    if (!c.symbol(',')) return items;
  }
}

function grantees(c: Cursor): string[] {
  const out = [c.identifier()];
  while (c.symbol(',')) out.push(c.identifier());
  return out;
}

/**
 * Reads one provisioning statement (a trailing `;` is allowed). Throws {@link OraError}: ORA-00900 for a
 * statement of another kind, and the parse errors Oracle gives for a malformed one.
 *
 * @internal
 */
export function parseAdminStatement(sql: string): AdminStatement {
  const c = cursorOf(sql);
  if (c.accept('CREATE', 'USER')) {
    const user = c.identifier();
    c.expect('IDENTIFIED');
    // Password and external users cannot log in with a token; only global ones are kept.
    if (!c.accept('GLOBALLY')) throw new OraError(900, 'invalid SQL statement (the emulator keeps only users IDENTIFIED GLOBALLY AS …)');
    c.expect('AS');
    const mapping = parseIamMapping(c.string());
    skipUserClauses(c);
    return { kind: 'create-user', user, mapping };
  }
  if (c.accept('CREATE', 'ROLE')) {
    const role = c.identifier();
    let mapping: IamMapping | undefined;
    if (c.accept('IDENTIFIED', 'GLOBALLY')) {
      c.expect('AS');
      mapping = parseIamMapping(c.string());
    } else c.accept('NOT', 'IDENTIFIED');
    c.end();
    return mapping ? { kind: 'create-role', role, mapping } : { kind: 'create-role', role };
  }
  if (c.accept('GRANT')) {
    const items = grantItems(c, 'TO');
    c.expect('TO');
    const to = grantees(c);
    c.accept('WITH', 'ADMIN', 'OPTION');
    c.end();
    return { kind: 'grant', items, grantees: to };
  }
  if (c.accept('REVOKE')) {
    const items = grantItems(c, 'FROM');
    c.expect('FROM');
    const from = grantees(c);
    c.end();
    return { kind: 'revoke', items, grantees: from };
  }
  if (c.accept('DROP', 'USER')) {
    const user = c.identifier();
    c.accept('CASCADE');
    c.end();
    return { kind: 'drop-user', user };
  }
  if (c.accept('DROP', 'ROLE')) {
    const role = c.identifier();
    c.end();
    return { kind: 'drop-role', role };
  }
  throw ora.invalidStatement();
}

/** `DEFAULT TABLESPACE x`, `QUOTA … ON x`, `ACCOUNT UNLOCK`, …: accepted after CREATE USER and ignored. */
function skipUserClauses(c: Cursor): void {
  while (!c.done) {
    const t = c.peek()!;
    if (t.kind === 'symbol' && t.text !== '(' && t.text !== ')') throw ora.notEnded();
    c.i++;
  }
}

/**
 * The statements of a script: split at `;` outside quotes and comments, empty ones and SQL*Plus `/` lines
 * dropped.
 *
 * @internal
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote) {
      current += ch;
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end < 0 ? script.length : end;
      current += '\n';
      continue;
    }
    if (ch === ';') {
      out.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out.map((s) => s.replace(/^\s*\/\s*$/gm, '').trim()).filter((s) => s !== '');
}

// ---------------------------------------------------------------------------------------------------------------
// Session statements

/** One expression of a select list. @internal */
export type Expression =
  | { kind: 'number'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'user' }
  | { kind: 'dbtimezone' }
  | { kind: 'sessiontimezone' }
  /** `length`: the third argument, the most bytes returned (1..4000; 256 when absent or out of range). */
  | { kind: 'sys-context'; namespace: string; attribute: string; length: number }
  /** DUAL's one column, `DUMMY`, whose value is `X` (also what `*` selects). */
  | { kind: 'dummy' };

/** A column of a select list: the expression and the name Oracle gives it. @internal */
export interface SelectItem {
  expression: Expression;
  name: string;
}

/** A statement a session may run. @internal */
export type SessionStatement =
  | { kind: 'select'; items: SelectItem[] }
  /** `ALTER SESSION SET …`, `COMMIT`, `ROLLBACK`: accepted, nothing to return. */
  | { kind: 'no-op'; verb: string };

/** Words that end a select-list expression's alias position, or cannot be an alias. */
const RESERVED = new Set(['FROM', 'WHERE', 'AS', 'ORDER', 'GROUP', 'UNION', 'INTO']);

function expression(c: Cursor): Expression {
  const t = c.peek();
  if (!t) throw ora.missingExpression();
  if (t.kind === 'symbol' && (t.text === '-' || t.text === '+')) {
    const n = c.peek(1);
    if (n?.kind !== 'number') throw ora.missingExpression();
    c.i += 2;
    return { kind: 'number', value: numberLiteral(`${t.text === '-' ? '-' : ''}${n.text}`) };
  }
  if (t.kind === 'number') {
    c.i++;
    return { kind: 'number', value: numberLiteral(t.text) };
  }
  if (t.kind === 'string') {
    c.i++;
    return { kind: 'string', value: t.text };
  }
  if (t.kind === 'word') {
    if (RESERVED.has(t.upper)) throw ora.missingExpression();
    c.i++;
    if (t.upper === 'USER') return { kind: 'user' };
    if (t.upper === 'DBTIMEZONE') return { kind: 'dbtimezone' };
    if (t.upper === 'SESSIONTIMEZONE') return { kind: 'sessiontimezone' };
    if (t.upper === 'DUMMY') return { kind: 'dummy' };
    if (t.upper === 'SYS_CONTEXT' && c.symbol('(')) {
      const namespace = c.string();
      if (!c.symbol(',')) throw ora.missingExpression();
      const attribute = c.string();
      let length = 256;
      if (c.symbol(',')) {
        const n = c.peek();
        if (n?.kind !== 'number') throw ora.missingExpression();
        c.i++;
        // As Oracle does, a length outside 1..4000 is ignored.
        const asked = Number(n.text);
        if (Number.isInteger(asked) && asked >= 1 && asked <= 4000) length = asked;
      }
      if (!c.symbol(')')) throw ora.missingExpression();
      return { kind: 'sys-context', namespace: namespace.toUpperCase(), attribute: attribute.toUpperCase(), length };
    }
    throw ora.invalidIdentifier(t.upper);
  }
  if (t.kind === 'quoted') throw ora.invalidIdentifier(t.text);
  throw ora.missingExpression();
}

/**
 * A numeric literal's value as Oracle NUMBER holds it, as a plain decimal (`'1e3'` → `'1000'`): rounded
 * half away from zero to NUMBER's 20 base-100 digits (38 to 40 decimal digits, by where the first one
 * falls), 0 below 1E-130, and ORA-01426 from 1E126 on. Throws ORA-01722 for text that is not a number.
 *
 * @internal
 */
export function numberLiteral(text: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw ora.notANumber();
  const negative = m[1] === '-';
  const fraction = m[3] ?? '';
  // The value is digits × 10^exponent.
  let digits = `${m[2]}${fraction}`.replace(/^0+/, '');
  let exponent = Number(m[4] ?? '0') - fraction.length;
  if (digits === '') return '0';
  const trim = (): void => {
    const zeros = /0*$/.exec(digits)![0].length;
    digits = digits.slice(0, digits.length - zeros);
    exponent += zeros;
  };
  trim();
  // The power of ten of the first digit, and the lowest power 20 base-100 digits from its pair reach.
  const lead = (): number => exponent + digits.length - 1;
  const keep = lead() - (2 * Math.floor(lead() / 2) - 38) + 1;
  if (digits.length > keep) {
    const up = digits[keep]! >= '5';
    exponent += digits.length - keep;
    digits = digits.slice(0, keep);
    if (up) digits = (BigInt(digits) + 1n).toString();
    trim();
  }
  // An exponent too small for a double (-Infinity) is a zero, as any value below 1E-130 is; only a large one overflows.
  if (exponent === -Infinity || lead() < -130) return '0';
  if (!Number.isFinite(exponent) || lead() >= 126) throw ora.numericOverflow();
  let plain: string;
  if (exponent >= 0) plain = digits + '0'.repeat(exponent);
  else if (digits.length + exponent > 0) plain = `${digits.slice(0, digits.length + exponent)}.${digits.slice(digits.length + exponent)}`;
  else plain = `0.${'0'.repeat(-(digits.length + exponent))}${digits}`;
  return negative ? `-${plain}` : plain;
}

/**
 * Reads a statement a session sends. Throws {@link OraError}: ORA-00942 for a table other than DUAL
 * (the emulator has none), ORA-00904 for an expression it does not know, ORA-00900 for any other kind of
 * statement.
 *
 * @internal
 */
export function parseSessionStatement(sql: string): SessionStatement {
  const c = cursorOf(sql);
  const first = c.peek();
  if (first?.kind === 'word' && (first.upper === 'COMMIT' || first.upper === 'ROLLBACK')) {
    c.i++;
    c.accept('WORK');
    c.end();
    return { kind: 'no-op', verb: first.upper };
  }
  if (c.accept('ALTER', 'SESSION')) {
    if (!c.accept('SET')) throw ora.invalidOption();
    return { kind: 'no-op', verb: 'ALTER SESSION' };
  }
  if (!c.accept('SELECT')) throw ora.invalidStatement();
  // The table first, as Oracle resolves it before the select list.
  const fromAt = c.tokens.findIndex((t, i) => i >= c.i && t.kind === 'word' && t.upper === 'FROM');
  if (fromAt >= 0) {
    const table = new Cursor(c.tokens.slice(fromAt + 1), c.sources.slice(fromAt + 1));
    const name = table.identifier();
    const qualified = table.symbol('.') ? `${name}.${table.identifier()}` : name;
    if (qualified !== 'DUAL' && qualified !== 'SYS.DUAL') throw ora.noTable();
  }
  const items: SelectItem[] = [];
  do {
    const from = c.i;
    if (c.symbol('*')) {
      items.push({ expression: { kind: 'dummy' }, name: 'DUMMY' });
      continue;
    }
    const e = expression(c);
    const source = c.sources.slice(from, c.i);
    let name = derivedName(source);
    const alias = c.peek();
    if (c.accept('AS') || (alias && ((alias.kind === 'word' && !RESERVED.has(alias.upper)) || alias.kind === 'quoted'))) {
      name = c.identifier();
    }
    items.push({ expression: e, name });
  } while (c.symbol(','));
  // Oracle 23ai also takes a SELECT without FROM.
  if (c.accept('FROM')) {
    c.identifier();
    if (c.symbol('.')) c.identifier();
  }
  c.end();
  return { kind: 'select', items };
}

/** The name Oracle gives an expression without an alias: its text in upper case, without white space. */
function derivedName(source: string[]): string {
  return Buffer.from(source.join('').toUpperCase(), 'utf8').subarray(0, 128).toString('utf8');
}
