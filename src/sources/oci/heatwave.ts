import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { jwtExpiry, MalformedJwtError } from '../../core/jwt.js';
import { expandHome, parseOciConfig, resolveOciProfile, type ResolvedOciProfile } from './config-file.js';
import { createProvider, sourceEvidence, type TokenProvider, type TokenProviderOptions, type TokenSource } from '../../core/provider.js';
import { optionalString, requireObject } from '../../core/validation.js';

/**
 * Options of {@link heatwaveOciToken}.
 *
 * @example
 * ```ts
 * const config: HeatwaveOciTokenConfig = { configFile: '~/.oci/config', profile: 'heatwave' };
 * const token = heatwaveOciToken(config);
 * ```
 */
export interface HeatwaveOciTokenConfig {
  /** The OCI config file. Default `~/.oci/config`. A leading `~` means the home directory. */
  configFile?: string | undefined;
  /** The profile in it. Default `DEFAULT`. */
  profile?: string | undefined;
}

/**
 * The security token file must be smaller than this, as the MySQL client requires.
 *
 * @example
 * ```ts
 * import { MAX_SECURITY_TOKEN_BYTES } from 'dbtoken/oci';
 * MAX_SECURITY_TOKEN_BYTES; // 10240
 * if (statSync(tokenFile).size >= MAX_SECURITY_TOKEN_BYTES) throw new Error('the MySQL client would refuse this token file');
 * ```
 */
export const MAX_SECURITY_TOKEN_BYTES = 10 * 1024;

/**
 * An API-key-only profile never expires: this date stands for "never".
 *
 * @example
 * ```ts
 * import { heatwaveOciToken, NEVER } from 'dbtoken/oci';
 * const t = await heatwaveOciToken({ profile: 'apikey-only' }).getToken();
 * t.expiresAt.getTime() === NEVER.getTime(); // true: no security_token_file, the login never expires
 * ```
 */
export const NEVER = new Date(8.64e15);

const FINGERPRINT = /^[0-9a-f]{2}(?::[0-9a-f]{2}){15}$/i;

interface Material {
  token: string;
  expiresAt: Date;
  privateKey: string;
  fingerprint: string;
  tokenFile: string | undefined;
}

function where(p: ResolvedOciProfile, key?: string): string {
  const line = key !== undefined ? p.entries[key]?.line ?? p.line : p.line;
  return `${p.file}:${line}`;
}

/** The file reads a HeatWave source makes; tests swap them. */
export interface HeatwaveDeps {
  /** Reads a whole file. */
  readFile(path: string): Buffer;
  /** The provider's clock (ms), against which a security token's `exp` is checked. */
  clock(): number;
}

/**
 * Reads a file a profile names. Its path is a value of the config file, so
 * neither the message nor a cause shows it (Node's own message does): the
 * config file's line points to it.
 */
function readFile(deps: HeatwaveDeps, path: string, field: string, at: string): Buffer {
  try {
    return deps.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(field, `${at}: ${field} cannot be read (${code})`, 'check the path in the OCI config file and that this user may read it');
  }
}

function loadKey(deps: HeatwaveDeps, profile: ResolvedOciProfile, configDir: string, home: string): KeyObject {
  const entry = profile.entries.key_file;
  if (entry === undefined || entry.value === '') {
    throw new ConfigError('key_file', `${where(profile)}: profile [${profile.name}] has no key_file; add key_file = <path to the API signing key (PEM)>`);
  }
  const path = resolve(configDir, expandHome(entry.value, home));
  const pem = readFile(deps, path, 'key_file', where(profile, 'key_file'));
  const passphrase = profile.entries.pass_phrase?.value;
  const text = pem.toString('latin1');
  const encrypted = text.includes('ENCRYPTED PRIVATE KEY') || text.includes('Proc-Type: 4,ENCRYPTED');
  if (encrypted && !passphrase) {
    throw new ConfigError('pass_phrase', `${where(profile, 'key_file')}: key_file is an encrypted key and profile [${profile.name}] has no pass_phrase; add pass_phrase = <passphrase>`);
  }
  try {
    return createPrivateKey(passphrase ? { key: pem, passphrase } : { key: pem });
  } catch (err) {
    if (encrypted) {
      throw new ConfigError('pass_phrase', `${where(profile, 'pass_phrase')}: pass_phrase does not decrypt key_file`, 'correct pass_phrase in the profile', { cause: err });
    }
    throw new ConfigError('key_file', `${where(profile, 'key_file')}: key_file is not a PEM private key`, 'point key_file at the API signing key (PEM) that `oci setup config` made', { cause: err });
  }
}

function loadToken(deps: HeatwaveDeps, profile: ResolvedOciProfile, configDir: string, home: string): { token: string; expiresAt: Date; file: string | undefined } {
  const entry = profile.entries.security_token_file;
  if (entry === undefined || entry.value === '') return { token: '', expiresAt: NEVER, file: undefined };
  const at = where(profile, 'security_token_file');
  const file = resolve(configDir, expandHome(entry.value, home));
  const raw = readFile(deps, file, 'security_token_file', at);
  if (raw.length >= MAX_SECURITY_TOKEN_BYTES) {
    throw new ConfigError('security_token_file', `${at}: security_token_file is ${raw.length} bytes; it must be under 10 KB`);
  }
  const token = raw.toString('utf8').trim();
  let expiresAt: Date;
  try {
    expiresAt = jwtExpiry(token);
  } catch (err) {
    if (!(err instanceof MalformedJwtError)) throw err;
    throw new ConfigError('security_token_file', `${at}: security_token_file does not hold a security token (${err.message}); run \`oci session authenticate --profile ${profile.name}\``);
  }
  if (expiresAt.getTime() <= deps.clock()) {
    throw new ConfigError(
      'security_token_file',
      `${at}: the security token in security_token_file expired at ${expiresAt.toISOString()}; run \`oci session refresh --profile ${profile.name}\` (or \`oci session authenticate\`)`,
    );
  }
  return { token, expiresAt, file };
}

function loadMaterial(deps: HeatwaveDeps, configFile: string, profileName: string): Material {
  const home = homedir();
  let text: string;
  try {
    text = deps.readFile(configFile).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('configFile', `the OCI config file ${configFile} cannot be read (${code})`, 'create it with `oci setup config`, or pass configFile', { cause: err });
  }
  const profile = resolveOciProfile(parseOciConfig(text, configFile), profileName, configFile);
  const configDir = dirname(configFile);
  const fingerprint = profile.entries.fingerprint?.value ?? '';
  if (fingerprint === '') {
    throw new ConfigError('fingerprint', `${where(profile)}: profile [${profile.name}] has no fingerprint; add fingerprint = <the API key's fingerprint, aa:bb:...>`);
  }
  if (!FINGERPRINT.test(fingerprint)) {
    throw new ConfigError('fingerprint', `${where(profile, 'fingerprint')}: fingerprint must be 16 colon-separated hex pairs (aa:bb:...:ff), as the OCI console shows it`);
  }
  const key = loadKey(deps, profile, configDir, home);
  const { token, expiresAt, file } = loadToken(deps, profile, configDir, home);
  return {
    token,
    expiresAt,
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint: fingerprint.toLowerCase(),
    tokenFile: file,
  };
}

/** What {@link heatwaveSource} returns besides the source. */
export interface HeatwaveSource {
  readonly source: TokenSource;
  /** The security token file, when the profile has one. */
  readonly tokenFile: string | undefined;
  /**
   * Reads the files again now: the material is kept for the next fetch and
   * returned, or the reason it cannot be read is thrown (the previous
   * material, if any, is then left as it was).
   */
  reload(): void;
}

/**
 * The token source behind {@link heatwaveOciToken}: the profile's key,
 * fingerprint and security token, read now (so that a broken profile fails
 * at once, naming the file and line) and again on every later fetch.
 */
export function heatwaveSource(configFile: string, profile: string, deps: Partial<HeatwaveDeps> = {}): HeatwaveSource {
  const d: HeatwaveDeps = { readFile: (path) => readFileSync(path), clock: () => Date.now(), ...deps };
  const first = loadMaterial(d, configFile, profile);
  let pending: Material | undefined = first;
  return {
    source: async () => {
      const m = pending ?? loadMaterial(d, configFile, profile);
      pending = undefined;
      return m;
    },
    tokenFile: first.tokenFile,
    reload() {
      pending = loadMaterial(d, configFile, profile);
    },
  };
}

/** What identifies one version of a file: its modification time and size, or why it cannot be read. */
function fileVersion(file: string): string {
  try {
    const st = statSync(file);
    return `${st.mtimeMs}:${st.size}`;
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/**
 * Watches `file`'s directory (`oci session refresh` may replace the file)
 * and calls `check` on any event about it. Returns undefined where the
 * platform cannot watch; `check` also runs on every connection, so a new
 * token is picked up where a watcher reports nothing.
 */
function watchTokenFile(file: string, check: () => void): FSWatcher | undefined {
  try {
    const watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name.toString() === basename(file)) check();
    });
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}

/**
 * The signing material for MySQL HeatWave's OCI IAM login (the
 * `authentication_oci_client` plugin), read from an OCI config profile:
 * `key_file` and `fingerprint`, plus `security_token_file` when the profile
 * has one (`oci session authenticate`; the token lasts 1 hour and
 * `oci session refresh` extends it).
 *
 * The returned `DbToken` carries the security token (`''` for an API-key-only
 * profile), `expiresAt` from the token's `exp` claim (an API-key-only profile
 * never expires), the key as PKCS#8 PEM in `privateKey`, and `fingerprint`.
 * The files are checked now, so a broken profile fails here with a
 * {@link ConfigError} naming the file and line. When the token file changes,
 * as `oci session refresh` or `oci session authenticate` do, the next
 * connection uses the new token at once, even after failed fetches. A token
 * file that goes missing or cannot be read (while it is being replaced, say)
 * does not discard a cached token that is still valid: `status()` reports
 * the problem. Changes are seen by a file watcher and, where a mount reports
 * none, by comparing the file's modification time and size on each
 * connection. The watcher never keeps the process alive, and goes with the
 * provider when it is closed or collected.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { heatwaveOciToken } from 'dbtoken/oci';
 * const pool = await createIamPool({
 *   driver: 'mysql2',
 *   token: heatwaveOciToken({ profile: 'heatwave' }),
 *   host: '10.0.1.12', user: 'app', ssl: { ca },
 * });
 * ```
 */
export function heatwaveOciToken(config: HeatwaveOciTokenConfig = {}, options?: TokenProviderOptions): TokenProvider {
  const c = requireObject('config', config, '{ configFile?, profile? }') as HeatwaveOciTokenConfig;
  const configFileOpt = optionalString('configFile', c.configFile, 'the path of an OCI config file');
  const profile = optionalString('profile', c.profile, 'the name of a profile in the OCI config file') ?? 'DEFAULT';
  const raw = expandHome(configFileOpt ?? '~/.oci/config', homedir());
  const configFile = isAbsolute(raw) ? raw : resolve(raw);
  const opts = options === undefined ? {} : (requireObject('options', options, 'TokenProviderOptions') as TokenProviderOptions);
  const clock = (): number => (typeof opts.clock === 'function' ? opts.clock() : Date.now());
  const h = heatwaveSource(configFile, profile, { clock });

  // The watcher holds the provider weakly: a provider dropped without close() is still collected.
  let ref: WeakRef<TokenProvider> | undefined;
  const tokenFile = h.tokenFile;
  let seen = tokenFile === undefined ? '' : fileVersion(tokenFile);
  /** A new version of the token file is new evidence, if it holds a usable token; otherwise a problem to report. */
  const check = (): void => {
    if (tokenFile === undefined) return;
    const version = fileVersion(tokenFile);
    if (version === seen) return;
    seen = version;
    const p = ref?.deref();
    try {
      h.reload();
    } catch (problem) {
      if (p !== undefined) sourceEvidence(p, { problem });
      return;
    }
    if (p !== undefined) sourceEvidence(p, { changed: true });
  };
  const watcher = tokenFile === undefined ? undefined : watchTokenFile(tokenFile, check);
  const provider = createProvider(
    h.source,
    { cacheKey: JSON.stringify(['heatwave', configFile, profile]), ...opts },
    { label: `heatwave:${profile}`, onRelease: () => watcher?.close(), beforeGetToken: tokenFile === undefined ? undefined : () => void check() },
  );
  ref = new WeakRef(provider);
  return provider;
}
