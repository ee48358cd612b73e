import fc from 'fast-check';
import { expect } from 'vitest';
import { ConfigError } from 'dbtoken';

/**
 * Arbitraries and checks shared by the property tests: hostile strings, secrets
 * passed by mistake where a name belongs, and the three rules every pure
 * helper keeps (a typed error or nothing, bounded time, no secret in a message).
 */

/** Characters that break quoting, lexing, logs or character-set conversion, and look-alikes of them. */
const NASTY = [
  "'", '"', '`', '\\', '\0', '\n', '\r', '\t', ';', '--', '/*', '*/', '#', '%', '_', '.', ':', '::', '/', '@', '*', '?', '=', '&', '$$', ' ',
  '\u00A0', '\u2028', '\u202E', '\u200B', '\uFEFF', '\uFF07', '\uFF02', '\uFF3C', '\uFF40', '\uD800', '\uDC00', 'é', 'ß', 'ſ', 'ı', 'İ', 'ﬀ', '😀', '\u0301',
];

/** Short words that reach the deeper checks: keywords, OCID and URN pieces, region pieces. */
const WORDS = [
  'a', 'Z', '0', '9', 'ON', 'TO', 'WITH', 'GRANT', 'SELECT', 'DROP', 'PUBLIC', 'ocid1', 'tenancy', 'compartment', 'oc1', 'urn:oracle:db::id::', 'us-east-1', 'rds',
  'amazonaws.com', 'db-', 'aaaaaaaa', 'x'.repeat(70),
];

const piece = fc.oneof(fc.constantFrom(...NASTY), fc.constantFrom(...WORDS), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }));

/** A string of hostile pieces: quotes, control characters, wildcards, keywords, look-alikes, lone surrogates. */
export const hostileString: fc.Arbitrary<string> = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));

/** Shapes that make a backtracking regular expression take super-linear time, some KB long. */
export const longString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('a', 'a.', 'a-', 'aa-a', 'a-1.', ' ', '[', '_', '%', 'é', 'Aa0', ':', '::', 'ocid1.', '-'), fc.integer({ min: 500, max: 4_000 }), fc.constantFrom('', '!', '\n', '.rds.amazonaws.co', 'x'))
  .map(([unit, n, tail]) => unit.repeat(n) + tail);

/** Any value a JavaScript caller might pass where a string belongs. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: hostileString },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 0, -1, 1.5, NaN, Infinity, true, false, 111122223333, 1e21, 10n, Symbol('s'), () => 'f', new Date(NaN)) },
  { weight: 1, arbitrary: fc.sparseArray(hostileString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.object({ maxDepth: 1 }) },
);

/** `valid` most of the time, else it with something hostile spliced in, or anything at all. */
export function nearly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: fc.tuple(valid, hostileString, fc.nat()).map(([v, h, at]) => (typeof v === 'string' ? v.slice(0, at % (v.length + 1)) + h + v.slice(at % (v.length + 1)) : v)) },
    { weight: 1, arbitrary: anyValue },
  );
}

/** A list option: valid entries, hostile ones, holes, or not a list. */
export function listOf<T>(item: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(item, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.sparseArray(item, { maxLength: 4 }) },
    { weight: 1, arbitrary: anyValue },
  );
}

const uniqueId = fc.stringMatching(/^[a-z0-9]{8,60}$/);
const realm = fc.integer({ min: 1, max: 20 }).map((n) => `oc${n}`);

/** OCIDs of the given types: `ocid1.<type>.<realm>.[region].[future.]<unique id>`. */
export function ocidOf(types: fc.Arbitrary<string>, regional = true): fc.Arbitrary<string> {
  return fc
    .tuple(types, realm, regional ? fc.constantFrom('', 'iad', 'phx', 'us-ashburn-1', 'eu-frankfurt-1') : fc.constant(''), fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }), uniqueId)
    .map(([type, r, region, future, id]) => `ocid1.${type}.${r}.${region}.${future === undefined ? '' : `${future}.`}${id}`);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';

function chars(alphabet: string, min: number, max = min): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
}

/** A secret and the part of it that must never reach a message (the rest, like `eyJ` or `AKIA`, is public shape). */
export interface Secret {
  text: string;
  secret: string;
}

/** Random secrets mix cases and digits; these always do, as real ones (nearly) always do. */
const mixed = (s: string): string => `Aa0${s}`;

/** Tokens and keys of the shapes users hold: AWS keys, RDS tokens, OCI JWTs, PEM keys. */
export const secretArb: fc.Arbitrary<Secret> = fc.oneof(
  chars(B64, 37).map((s) => ({ text: mixed(s), secret: mixed(s) })), // AWS secret access key
  chars(UPPER_DIGITS, 16).map((s) => ({ text: `AKIA${s}`, secret: s })), // AWS access key id
  chars(UPPER_DIGITS, 16).map((s) => ({ text: `ASIA${s}`, secret: s })),
  chars(B64, 200, 400).map((s) => ({ text: `IQoJb3JpZ2luX2Vj${mixed(s)}`, secret: mixed(s) })), // AWS session token
  fc.tuple(chars(B64URL, 40, 120), chars(B64URL, 43)).map(([p, sig]) => ({ text: `eyJhbGciOiJSUzI1NiJ9.${mixed(p)}.${sig}`, secret: mixed(p) })), // OCI db-token
  fc.tuple(chars(HEX, 64), chars(UPPER_DIGITS, 16)).map(([sig, key]) => ({
    text: `db.example.com:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA${key}%2F20250101%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Signature=${sig}`,
    secret: sig,
  })), // RDS IAM token
  chars(B64, 120, 200).map((s) => ({ text: `-----BEGIN PRIVATE KEY-----\n${mixed(s)}\n-----END PRIVATE KEY-----`, secret: mixed(s) })),
);

/** A secret with a little hostile text around it, as it might sit in a config value. */
export const embeddedSecret: fc.Arbitrary<Secret> = fc
  .tuple(fc.constantFrom('', ' ', 'x', "'", 'user=', '"', 'ocid1.'), secretArb, fc.constantFrom('', ' ', '\n', '.*', "'", '::x'))
  .map(([before, s, after]) => ({ text: before + s.text + after, secret: s.secret }));

/** Runs `fn`; returns its value, or the ConfigError it threw after checking its shape. Any other throw fails the test. */
export function typedOutcome<T>(fn: () => T, fields: RegExp): { value: T } | { error: ConfigError } {
  let value: T;
  try {
    value = fn();
  } catch (err) {
    expect(err, `threw ${String(err)}`).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('ERR_DBTOKEN_CONFIG');
    expect(e.field).toMatch(fields);
    expect(e.problem).not.toBe('');
    expect(e.message).toBe(e.fix ? `${e.field}: ${e.problem}; ${e.fix}` : `${e.field}: ${e.problem}`);
    // One line of plain text: nothing that splits a log line, hides text or cannot be encoded.
    expect(e.message).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
    return { error: e };
  }
  return { value };
}

/** True when `text` holds any 12-character run of `secret`. */
export function leaks(text: string, secret: string): boolean {
  for (let i = 0; i + 12 <= secret.length; i++) if (text.includes(secret.slice(i, i + 12))) return true;
  return false;
}

/** Checks that an error, if there is one, tells nothing of `secret`. */
export function expectNoSecret(outcome: { value: unknown } | { error: ConfigError }, secret: string): void {
  if (!('error' in outcome)) return;
  const { message, field, problem, fix } = outcome.error;
  for (const text of [message, field, problem, fix]) expect(leaks(text, secret), `leaked in: ${text}`).toBe(false);
}
