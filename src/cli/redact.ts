/**
 * Takes secrets out of text the CLI prints to stderr: the exact tokens, keys
 * and credentials it knows about, and anything shaped like one (a server or
 * an SDK may echo a token back inside an error message).
 */

const REDACTED = '[redacted]';

const PATTERNS: readonly (readonly [RegExp, (match: string) => string])[] = [
  // PEM keys, also cut off ones.
  [/-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g, () => '[redacted key]'],
  // RDS IAM tokens (<host>:<port>/?Action=connect&DBUser=...&X-Amz-Signature=...) and DSQL's (<host>/?Action=DbConnect&...).
  [/[^\s"'`<>()[\]{}]*[?&]Action=(?:connect|DbConnect|DbConnectAdmin)&[^\s"'`<>()[\]{}]*/g, () => '[redacted token]'],
  // Any SigV4 query parameter that is or leads to a secret.
  [/(X-Amz-(?:Signature|Security-Token|Credential))=[^\s&"'`]*/gi, (m) => `${m.slice(0, m.indexOf('='))}=${REDACTED}`],
  // JWTs: OCI db-tokens, security tokens, resource-principal tokens, Entra ID access tokens.
  [/eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){1,2}/g, () => '[redacted token]'],
  // Google OAuth2 access tokens (Cloud SQL IAM logins) and refresh tokens.
  [/\b(?:ya29|1\/\/)[.A-Za-z0-9_-]{16,}/g, () => '[redacted token]'],
  // Long mixed-case base64 runs: secret access keys, session tokens, signatures. OCIDs and hex digests stay.
  [/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}/g, (m) => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m) ? REDACTED : m)],
];

/** `text` with each known secret (and its URL-encoded form) and every token-shaped string replaced. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  const known = new Set<string>();
  for (const s of secrets) {
    if (s.length < 8) continue; // too short to tell from ordinary words
    known.add(s);
    known.add(encodeURIComponent(s));
  }
  let out = text;
  for (const s of [...known].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace);
  return out;
}

/** The secrets one CLI run has seen, for {@link redact}. */
export class SecretSet implements Iterable<string> {
  readonly #secrets = new Set<string>();

  add(...values: (string | undefined)[]): void {
    for (const v of values) if (v !== undefined && v !== '') this.#secrets.add(v);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.#secrets.values();
  }
}
