import { ConfigError } from '../core/errors.js';
import { parseOcid } from '../sources/oci/scope.js';
import { describe } from '../core/validation.js';

/**
 * The one place where caller-supplied names become SQL or policy text.
 *
 * - PostgreSQL identifiers are double-quoted with `"` doubled, so any name is
 *   data. Only NUL (which PostgreSQL cannot store) and names longer than 63
 *   bytes (which PostgreSQL silently truncates, so the role would no longer
 *   match the IAM token's user) are refused.
 * - MySQL account names (`'...'`) are refused rather than escaped when they
 *   hold `'`, `\`, NUL or an invisible character: whether a backslash escapes
 *   depends on the server's sql_mode, which a pure function cannot know.
 *   Database and table names (`` `...` ``) also refuse backticks. In a
 *   database-level grant (`db.*`), `_` and `%` are escaped, so the grant does
 *   not reach databases whose names merely match the pattern.
 * - Oracle identifiers and the IAM names inside `'...'` refuse `"`, `'`, NUL
 *   and invisible characters, and stay within 128 bytes. They also refuse
 *   `&`: SQL*Plus and SQLcl, where this SQL is usually run, would substitute
 *   `&name` inside the quotes.
 * - OCI policy names must be in the documented name charset.
 *
 * Characters whose compatibility form (NFKC) is a quote or backslash
 * (fullwidth `＇`, `＂`, `＼`) are refused wherever a quote is, because a
 * client or server character-set conversion can turn them into the real one.
 * Every refusal is a {@link ConfigError} naming the field. Its message shows
 * at most {@link ECHO_MAX_CHARS} characters of the value, and nothing of a
 * value shaped like a token or key.
 */

/** Control, format (zero-width, bidi overrides), line/paragraph separators and lone surrogates. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const LONE_SURROGATE = /\p{Cs}/u;

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function show(ch: string): string {
  return INVISIBLE.test(ch) ? codePoint(ch) : `${codePoint(ch)} (${ch})`;
}

/** The most characters of a caller's value that an error message shows. */
export const ECHO_MAX_CHARS = 64;

/** Tokens and keys a caller may pass by mistake where a name belongs. */
const SECRET_SHAPES: readonly RegExp[] = [
  /eyJ[A-Za-z0-9_-]{8,}/, // JWTs: OCI db-tokens and security tokens
  /-----BEGIN /, // PEM keys
  /(?:AKIA|ASIA)[A-Z0-9]{16}/, // AWS access key ids
  /X-Amz-|Action=connect/i, // RDS IAM tokens (presigned URLs)
];
/** A base64 run long enough to be a secret access key, session token or signature. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{32,}/g;

/**
 * True when `value` holds something shaped like a token or key. A base64 run
 * counts only when it mixes upper case, lower case and digits, as random
 * secrets do: OCIDs and hex digests (ids, not secrets) stay showable.
 */
export function secretShaped(value: string): boolean {
  if (SECRET_SHAPES.some((re) => re.test(value))) return true;
  for (const [run] of value.matchAll(BASE64_RUN)) {
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run)) return true;
  }
  return false;
}

/**
 * A value for an error message: in double quotes, invisible characters
 * written as U+XXXX, cut after {@link ECHO_MAX_CHARS} characters. A value
 * shaped like a token or key is not shown at all: a message may end up in a
 * log.
 */
export function quoted(value: string): string {
  const chars = [...value];
  if (secretShaped(value)) return `(a ${chars.length}-character value shaped like a token or key, not shown)`;
  let out = '';
  for (const ch of chars.slice(0, ECHO_MAX_CHARS)) out += INVISIBLE.test(ch) ? `<${codePoint(ch)}>` : ch;
  return chars.length > ECHO_MAX_CHARS ? `"${out}..." (${chars.length} characters)` : `"${out}"`;
}

/** Any value for an error message: a string {@link quoted}, anything else described by its type. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? quoted(value) : describe(value);
}

function bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** A non-empty string, or a ConfigError that says what was expected. */
export function requireText(field: string, value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(field, `is required (got ${describe(value)})`, `give ${what}`);
  }
  return value;
}

/**
 * Refuses `forbidden` characters, their NFKC lookalikes, invisible characters
 * and leading or trailing white space. `context` says where the name goes.
 */
function refuseUnsafe(field: string, value: string, forbidden: string, context: string, fix: string): void {
  let i = 0;
  for (const ch of value) {
    if (forbidden.includes(ch)) {
      throw new ConfigError(field, `contains ${show(ch)} at position ${i}, which ${context} cannot hold safely`, fix);
    }
    if (INVISIBLE.test(ch)) {
      throw new ConfigError(field, `contains the invisible or control character ${codePoint(ch)} at position ${i}`, fix);
    }
    const folded = ch.normalize('NFKC');
    if (folded !== ch && [...forbidden].some((f) => folded.includes(f))) {
      throw new ConfigError(field, `contains ${show(ch)} at position ${i}, which character-set conversion can turn into ${folded}`, fix);
    }
    i += ch.length;
  }
  if (value.trim() !== value) {
    throw new ConfigError(field, `${quoted(value)} has white space around it`, `remove it (${context} would keep it as part of the name)`);
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** PostgreSQL's NAMEDATALEN - 1: longer names are truncated by the server. */
export const PG_MAX_NAME_BYTES = 63;

/** A PostgreSQL identifier: double-quoted, `"` doubled, case kept. */
export function pgIdent(field: string, value: unknown, what: string): string {
  const name = requireText(field, value, what);
  if (name.includes('\0')) {
    throw new ConfigError(field, 'contains a NUL character, which PostgreSQL cannot store in a name', 'remove it');
  }
  if (LONE_SURROGATE.test(name)) {
    throw new ConfigError(field, 'contains a lone UTF-16 surrogate, which has no UTF-8 form', 'pass well-formed text');
  }
  if (bytes(name) > PG_MAX_NAME_BYTES) {
    throw new ConfigError(
      field,
      `is ${bytes(name)} bytes long, but PostgreSQL keeps only the first ${PG_MAX_NAME_BYTES} bytes of a name, so the role would not match the user in the IAM token`,
      'use a shorter name',
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

// --------------------------------------------------------------------- MySQL

/** MySQL's limit on the user part of an account name (5.7.8 and later). */
export const MYSQL_MAX_USER_CHARS = 32;
const MYSQL_MAX_HOST_CHARS = 255;
const MYSQL_MAX_IDENT_CHARS = 64;

function mysqlLiteral(field: string, name: string, max: number, what: string): string {
  refuseUnsafe(field, name, "'\\\0", 'a MySQL quoted string', `MySQL ${what}s are written as '...', so use a name without quotes, backslashes or control characters`);
  const chars = [...name].length;
  if (chars > max) {
    throw new ConfigError(field, `is ${chars} characters long, but a MySQL ${what} holds at most ${max}`, `use a shorter ${what}`);
  }
  return `'${name}'`;
}

/** `'user'@'host'`. The user must not be empty (the anonymous account is written by its builder). */
export function mysqlAccount(userField: string, user: unknown, hostField: string, host: unknown): string {
  const u = requireText(userField, user, 'the MySQL user name, such as app');
  const h = host === undefined ? '%' : requireText(hostField, host, "the host part of the account, such as '%' (any host) or 10.0.%");
  return `${mysqlLiteral(userField, u, MYSQL_MAX_USER_CHARS, 'user name')}@${mysqlLiteral(hostField, h, MYSQL_MAX_HOST_CHARS, 'host name')}`;
}

/** `'host'` alone, for the anonymous account `''@'host'`. */
export function mysqlHost(field: string, host: unknown): string {
  const h = host === undefined ? '%' : requireText(field, host, "the host part of the account, such as '%' (any host)");
  return mysqlLiteral(field, h, MYSQL_MAX_HOST_CHARS, 'host name');
}

/** A MySQL identifier (database or table name), backtick-quoted. */
function mysqlIdent(field: string, name: string): string {
  refuseUnsafe(field, name, "`'\\\0", 'a MySQL `quoted` identifier', 'use a database or table name without backticks, quotes, backslashes or control characters');
  if ([...name].length > MYSQL_MAX_IDENT_CHARS) {
    throw new ConfigError(field, `${quoted(name)} is longer than MySQL's ${MYSQL_MAX_IDENT_CHARS}-character identifier limit`, 'check the name: no MySQL database or table has a longer one');
  }
  return `\`${name}\``;
}

/**
 * The database of a database-level grant (`db.*`), where MySQL and MariaDB
 * read `_` and `%` as wildcards: `app_db` would also cover `appXdb`. Each is
 * escaped (`app\_db`), as MySQL documents; with `partial_revokes` on, MySQL
 * reads the escaped and the bare form alike, so the grant names exactly this
 * database either way. Only here: in `db.table` the name is already literal,
 * and an escape would name another database.
 */
function mysqlGrantDatabase(field: string, name: string): string {
  mysqlIdent(field, name);
  const escaped = name.replace(/[_%]/g, '\\$&');
  const chars = [...escaped].length;
  // The server holds the escaped form to its limit (ER_WRONG_DB_NAME).
  if (chars > MYSQL_MAX_IDENT_CHARS) {
    throw new ConfigError(
      field,
      `${quoted(name)} is ${chars} characters long once its _ and % are escaped (so that they match only themselves), over MySQL's ${MYSQL_MAX_IDENT_CHARS}-character limit`,
      "grant on its tables one by one ('<database>.<table>'), where the name needs no escaping",
    );
  }
  return `\`${escaped}\``;
}

/**
 * The target of a MySQL grant: `*.*`, `db.*` or `db.table`, identifiers
 * backtick-quoted; in `db.*`, `_` and `%` are escaped so that the grant
 * covers the named database only.
 */
export function mysqlGrantTarget(field: string, value: unknown): string {
  const on = requireText(field, value, "what the grant is on: 'orders.*', 'orders.items' or '*.*'");
  if (on === '*.*') return on;
  const parts = on.split('.');
  if (parts.length !== 2 || parts[0] === '' || parts[0] === '*' || parts[1] === '') {
    throw new ConfigError(field, `${quoted(on)} is not <database>.* or <database>.<table> (or *.*)`, "write it like 'orders.*'");
  }
  const [db, table] = parts as [string, string];
  return table === '*' ? `${mysqlGrantDatabase(field, db)}.*` : `${mysqlIdent(field, db)}.${mysqlIdent(field, table)}`;
}

// -------------------------------------------------------------------- Oracle

/** Oracle Database 12.2 and later: identifiers are at most 128 bytes. */
export const ORACLE_MAX_NAME_BYTES = 128;

/** What Oracle accepts unquoted (and then uppercases): a letter, then letters, digits, _, $ or #. */
const ORACLE_PLAIN = /^[A-Za-z][A-Za-z0-9_$#]*$/;

/**
 * An Oracle identifier, always written double-quoted. A name Oracle would
 * accept unquoted (`sales_app`) is uppercased, exactly as `CREATE USER
 * sales_app` stores it (`"SALES_APP"`); any other name (`sales-app`) is kept
 * as written and is case-sensitive, as a quoted name is in Oracle.
 */
export function oracleIdent(field: string, value: unknown, what: string): string {
  const name = requireText(field, value, what);
  refuseUnsafe(field, name, `"'\0&`, 'an Oracle "quoted" identifier', 'use a name without quotes, & or control characters (SQL*Plus and SQLcl read &name as a substitution variable, even inside quotes)');
  const stored = ORACLE_PLAIN.test(name) ? name.toUpperCase() : name;
  if (bytes(stored) > ORACLE_MAX_NAME_BYTES) {
    throw new ConfigError(field, `is ${bytes(stored)} bytes long, but Oracle names hold at most ${ORACLE_MAX_NAME_BYTES} bytes`, 'use a shorter name');
  }
  return `"${stored}"`;
}

/**
 * An IAM name (group, principal or identity domain) for the inside of
 * `'IAM_..._NAME=...'`. Besides quotes, `/` and `:` are refused: the database
 * reads them as the domain and tenancy separators.
 */
export function oracleIamName(field: string, value: unknown, what: string): string {
  const name = requireText(field, value, what);
  refuseUnsafe(
    field,
    name,
    `"'\0/:&`,
    "the mapping string 'IAM_..._NAME=...'",
    "IAM names go inside '...', '/' and ':' separate the domain and tenancy, and SQL*Plus and SQLcl read &name as a substitution variable: use a name without them, or map a principal by its OCID",
  );
  if (bytes(name) > ORACLE_MAX_NAME_BYTES) {
    throw new ConfigError(field, `is ${bytes(name)} bytes long, but at most ${ORACLE_MAX_NAME_BYTES} bytes are accepted here`, 'use the name IAM has, or map a principal by its OCID');
  }
  return name;
}

/** Words of a system privilege: `CREATE SESSION`, `SELECT ANY TABLE`, `BACKUP_ADMIN`. */
const PRIVILEGE = /^[A-Za-z][A-Za-z_]*(?: [A-Za-z][A-Za-z_]*){0,4}$/;

/**
 * A privilege name, uppercased with single spaces. Only ASCII letters, `_`
 * and spaces, and none of the words that would change the statement around
 * it. The check comes before upper-casing: `'fıle'.toUpperCase()` is `FILE`.
 */
export function privilegeName(field: string, value: unknown, reserved: readonly string[], example: string): string {
  const raw = requireText(field, value, `a privilege, such as ${example}`);
  const words = raw.trim().replace(/\s+/g, ' ');
  const p = words.toUpperCase();
  if (!PRIVILEGE.test(words)) {
    throw new ConfigError(field, `${quoted(raw)} is not a privilege name`, `use one to five words of letters and _, such as ${example}`);
  }
  const word = p.split(' ').find((w) => reserved.includes(w));
  if (word !== undefined) {
    throw new ConfigError(field, `${quoted(raw)} contains the keyword ${word}`, `give only the privilege's name, such as ${example}`);
  }
  return p;
}

/**
 * Optional array option: undefined, or an array. Holes (`[, 'x']`) come back
 * as `undefined`, so that each entry is checked: `map` would skip them and
 * leave them in the output.
 */
export function optionalList(field: string, value: unknown, hint: string): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(field, `must be an array, got ${describe(value)}`, `pass an array of ${hint}`);
  return Array.from(value);
}

// ----------------------------------------------------------------------- OCI

/** Group, dynamic group, compartment and domain names as the OCI IAM API accepts them. */
const OCI_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** A name for an OCI policy statement (letters, digits, `.`, `-`, `_`; at most 100); `fix` says what to give instead. */
export function ociName(field: string, value: unknown, what: string, fix: string): string {
  const name = requireText(field, value, what);
  if (!OCI_NAME.test(name)) {
    throw new ConfigError(field, `${quoted(name)} cannot be written in a policy statement as a name: OCI names are 1 to 100 letters, digits, '.', '-' and '_'`, fix);
  }
  return name;
}

/**
 * An OCID of one of `types`, checked with {@link parseOcid}: its shape leaves
 * only `[a-z0-9.-]`, so it is safe inside any quoted string or statement.
 */
export function requireOcidOf(field: string, value: unknown, types: readonly string[], what: string): string {
  const example = `ocid1.${types[0]}.oc1..<unique id>`;
  const ocid = requireText(field, value, `the OCID of the ${what} (${example})`);
  const copy = `copy the ${what}'s OCID from the console or CLI (${example})`;
  const parsed = parseOcid(ocid);
  if (parsed === undefined) {
    throw new ConfigError(field, `${quoted(ocid)} is not an OCID`, copy);
  }
  if (!types.includes(parsed.type)) {
    throw new ConfigError(field, `is the OCID of ${article(parsed.type)} ${parsed.type}, but the OCID of ${article(what)} ${what} (ocid1.${types.join('... or ocid1.')}...) is needed here`, copy);
  }
  return ocid;
}

/** "a" or "an" before `word` (by its first letter; right for the OCID types and names used here, where u reads "you"). */
function article(word: string): string {
  return /^[aeio]/i.test(word) ? 'an' : 'a';
}
