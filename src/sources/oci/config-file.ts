import { ConfigError } from '../../core/errors.js';

/**
 * Pure parsing of OCI CLI/SDK config files (`~/.oci/config`): INI profiles,
 * `key = value` lines, `#` and `;` comments, and `DEFAULT` values inherited by
 * every other profile. No I/O: callers pass the text and the file name used
 * in messages.
 */

/** One `key = value` line. */
export interface OciConfigEntry {
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

/** One `[PROFILE]` section. */
export interface OciConfigProfile {
  /** The line of the `[PROFILE]` header. */
  readonly line: number;
  readonly entries: Readonly<Record<string, OciConfigEntry>>;
}

/** A parsed config file: its profiles by name. */
export type OciConfig = Readonly<Record<string, OciConfigProfile>>;

/**
 * The entries the OCI SDK and CLI configuration file documents, and those
 * the SDKs read besides (`key_content`, `authentication_type`,
 * `delegation_token_file`). Only these names are ever quoted in a message.
 */
export const OCI_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'user',
  'fingerprint',
  'key_file',
  'pass_phrase',
  'tenancy',
  'region',
  'security_token_file',
  'key_content',
  'authentication_type',
  'delegation_token_file',
]);

/**
 * A key as a message may show it: quoted when it is one of
 * {@link OCI_CONFIG_KEYS}, and otherwise only as "a key", so that a token
 * pasted on a line of its own (a base64 token ends in `=`) never reaches an
 * error or a log.
 */
export function keyShown(key: string): string {
  return OCI_CONFIG_KEYS.has(key) ? `"${key}"` : 'a key';
}

/**
 * Parses the text of an OCI config file. Throws a {@link ConfigError}
 * (`field` = `configFile`) naming `file:line` for a line that is neither a
 * header, a `key = value` pair, a comment nor blank; for a key outside any
 * profile; and for a key given twice in one profile. No message quotes a
 * line; a key is named only when it is a documented one ({@link keyShown}).
 */
export function parseOciConfig(text: string, file: string): OciConfig {
  const profiles: Record<string, { line: number; entries: Record<string, OciConfigEntry> }> = Object.create(null);
  let current: { line: number; entries: Record<string, OciConfigEntry> } | undefined;
  // No regular expression meets a line's content: every step here is linear in the line's length.
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#') || s.startsWith(';')) return;
    if (s.startsWith('[')) {
      const name = s.endsWith(']') ? s.slice(1, -1).trim() : '';
      if (name === '' || name.includes(']') || name.includes('[')) {
        throw new ConfigError('configFile', `${file}:${line}: malformed profile header`, 'write it as [PROFILE_NAME]');
      }
      if (profiles[name] !== undefined) {
        throw new ConfigError('configFile', `${file}:${line}: profile [${profileShown(name)}] is defined twice (first at line ${profiles[name]!.line})`, 'remove or rename one of them');
      }
      current = profiles[name] = { line, entries: Object.create(null) };
      return;
    }
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError('configFile', `${file}:${line}: expected "key = value", a [PROFILE] header or a # comment`, 'fix or remove the line');
    const key = s.slice(0, eq).trim();
    const value = s.slice(eq + 1).trim();
    if (current === undefined) throw new ConfigError('configFile', `${file}:${line}: ${keyShown(key)} comes before any [PROFILE] header`, 'put it under a [PROFILE] header, such as [DEFAULT]');
    if (current.entries[key] !== undefined) {
      throw new ConfigError('configFile', `${file}:${line}: ${keyShown(key)} is set twice in one profile (first at line ${current.entries[key]!.line})`, 'keep one of them');
    }
    current.entries[key] = { value, line };
  });
  return profiles;
}

/**
 * A profile name as a message may show it: quoted when it looks like one,
 * and otherwise only described, so that text pasted into a header by
 * mistake is not written out whole.
 */
export function profileShown(name: string): string {
  if (name.length <= 64 && /^[A-Za-z0-9_.@+ -]*$/.test(name)) return name;
  return `(a name of ${name.length} characters)`;
}

/**
 * The first line that {@link parseOciConfig} reads but the OCI SDK for
 * Node.js refuses (`ociDbToken`'s config-file auth runs that SDK): a `;`
 * comment, or a byte order mark before the first line. `undefined` when
 * there is none.
 */
export function nodeSdkRefusedLine(text: string): { line: number; problem: string; fix: string } | undefined {
  if (text.startsWith('\uFEFF')) return { line: 1, problem: 'the file starts with a byte order mark, which the OCI SDK for Node.js cannot read', fix: 'save the file as UTF-8 without a BOM' };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim().startsWith(';')) return { line: i + 1, problem: 'a comment that starts with ;, which the OCI SDK for Node.js cannot read', fix: 'start the comment with # instead' };
  }
  return undefined;
}

/** A profile with `DEFAULT` merged in, plus where it came from. */
export interface ResolvedOciProfile {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly entries: Readonly<Record<string, OciConfigEntry>>;
}

/**
 * The named profile with the `DEFAULT` profile's entries inherited. Throws a
 * {@link ConfigError} (`field` = `profile`) listing the profiles that exist.
 */
export function resolveOciProfile(config: OciConfig, name: string, file: string): ResolvedOciProfile {
  const profile = config[name];
  if (profile === undefined) {
    const names = Object.keys(config);
    throw new ConfigError(
      'profile',
      `profile [${profileShown(name)}] not found in ${file} (${names.length ? `it has ${names.map((n) => `[${profileShown(n)}]`).join(', ')}` : 'it has no profiles'})`,
      'pass profile, or create it with `oci setup config` or `oci session authenticate`',
    );
  }
  const inherited = name === 'DEFAULT' ? {} : config.DEFAULT?.entries ?? {};
  return { name, file, line: profile.line, entries: { ...inherited, ...profile.entries } };
}

/** Expands a leading `~` (alone or followed by `/`) to `home`, as the OCI tools do. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home.replace(/(.)[\/]+$/, '$1');
  if (path.startsWith('~/') || path.startsWith('~\\')) return home.replace(/[\\/]+$/, '') + path.slice(1);
  return path;
}
