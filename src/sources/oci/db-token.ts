import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { jwtExpiry } from '../../core/jwt.js';
import { expandHome, nodeSdkRefusedLine, parseOciConfig, resolveOciProfile } from './config-file.js';
import { identityDataPlaneEndpoint, isOciRegion } from './region.js';
import { parseOciScope } from './scope.js';
import { OciTokenWorker, type OciTokenClient, type WorkerAuth } from './worker.js';
import { createProvider, type TokenProvider, type TokenProviderOptions, type TokenSource } from '../../core/provider.js';
import { DEFAULT_FETCH_TIMEOUT_MS } from '../../core/policy.js';
import { describe, optionalString, requireObject } from '../../core/validation.js';
import { OCI_AUTH_TYPES, type OciAuth } from './auth.js';

export type { OciAuth } from './auth.js';

/**
 * Options of {@link ociDbToken}.
 *
 * @example
 * ```ts
 * const config: OciDbTokenConfig = {
 *   scope: ociScope.compartment('ocid1.compartment.oc1..aaaaaaaaexample'),
 *   region: 'eu-frankfurt-1',
 *   auth: { type: 'instance_principal' },
 * };
 * const token = ociDbToken(config);
 * ```
 */
export interface OciDbTokenConfig {
  /**
   * What the token opens: a URN such as `urn:oracle:db::id::*` (your own
   * tenancy), or one from `ociScope.tenancy()`, `.compartment()`,
   * `.database()` or `.path()` (`urn:oracle:db::path::`, by name). For
   * cross-tenancy access, name the database's tenancy (or a compartment or
   * database in it).
   */
  scope: string;
  /**
   * The region whose Identity Data Plane issues the token
   * (`https://auth.<region>.<realm domain>`), for example the database's
   * region when it is not your home region. Default: the region of the auth
   * method (the profile's `region`, the instance's, the function's).
   */
  region?: string | undefined;
  /** How to authenticate to IAM. Default `{ type: 'api_key' }` with `~/.oci/config` and `DEFAULT`. */
  auth?: OciAuth | undefined;
  /**
   * Overrides the base URL (default `https://auth.<region>.<realm domain>`);
   * the request still goes to `/v1/actions/generateScopedAccessToken` under
   * it. `{region}` in it is replaced by the region. Plain `http://` is
   * allowed for `127.0.0.1`, `localhost` and `[::1]` (local emulators) only.
   */
  endpoint?: string | undefined;
  /** RSA key size of the proof-of-possession key pair. 2048 (default), 3072 or 4096. */
  keySize?: 2048 | 3072 | 4096 | undefined;
}

/**
 * The lifetime OCI gives db-tokens.
 *
 * @example
 * ```ts
 * import { ociDbToken, ociScope, OCI_DB_TOKEN_LIFETIME_MS } from 'dbtoken/oci';
 * OCI_DB_TOKEN_LIFETIME_MS; // 3600000 (1 hour)
 * const token = ociDbToken({ scope: ociScope.all() }, { refreshBefore: OCI_DB_TOKEN_LIFETIME_MS / 4 });
 * ```
 */
export const OCI_DB_TOKEN_LIFETIME_MS = 60 * 60_000;

const KEY_SIZES = [2048, 3072, 4096] as const;
const LOCAL_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i;

function validateAuth(value: unknown): OciAuth {
  if (value === undefined) return { type: 'api_key' };
  const a = requireObject('auth', value, `{ type: ${OCI_AUTH_TYPES.map((t) => `'${t}'`).join(' | ')}, ... }`);
  if (typeof a.type !== 'string' || !(OCI_AUTH_TYPES as readonly string[]).includes(a.type)) {
    throw new ConfigError('auth.type', `must be one of ${OCI_AUTH_TYPES.map((t) => `'${t}'`).join(', ')}, got ${typeof a.type === 'string' ? `'${a.type}'` : describe(a.type)}`, "pick the auth type that matches where the code runs, such as { type: 'api_key' }");
  }
  if (a.type === 'api_key' || a.type === 'security_token') {
    optionalString('auth.configFile', a.configFile, 'the path of an OCI config file');
    optionalString('auth.profile', a.profile, 'a profile name in the OCI config file');
  } else {
    for (const k of Object.keys(a)) {
      if (k !== 'type') throw new ConfigError(`auth.${k}`, `is not an option of auth type '${a.type}'`, `drop auth.${k}`);
    }
  }
  return a as unknown as OciAuth;
}

/** Checks a config-file profile now, so that a broken one fails with its file and line before any call. */
function checkProfile(auth: Extract<OciAuth, { type: 'api_key' | 'security_token' }>, needRegion: boolean): { file: string; profile: string } {
  const raw = expandHome(auth.configFile ?? '~/.oci/config', homedir());
  const file = isAbsolute(raw) ? raw : resolve(raw);
  const profile = auth.profile ?? 'DEFAULT';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('auth.configFile', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'create it with `oci setup config` or pass auth.configFile', { cause: err });
  }
  const p = resolveOciProfile(parseOciConfig(text, file), profile, file);
  const refused = nodeSdkRefusedLine(text);
  if (refused !== undefined) throw new ConfigError('configFile', `${file}:${refused.line}: ${refused.problem}`, refused.fix);
  const needed = auth.type === 'api_key' ? ['user', 'tenancy', 'fingerprint', 'key_file'] : ['security_token_file', 'key_file'];
  if (needRegion) needed.push('region');
  for (const k of needed) {
    if (!p.entries[k]?.value) {
      const fix =
        k === 'region'
          ? `add region to profile [${profile}], or pass region to ociDbToken`
          : auth.type === 'security_token'
            ? `run \`oci session authenticate --profile-name ${profile}\``
            : `add ${k} to profile [${profile}] (\`oci setup config\` writes it)`;
      throw new ConfigError(`auth.${k === 'region' ? 'region' : 'profile'}`, `${file}:${p.line}: profile [${profile}] has no ${k}`, fix);
    }
  }
  return { file, profile };
}

/** 4xx answers from IAM other than throttling will not get better by retrying. */
function markPermanent(err: unknown): unknown {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && status !== 409 && status !== 429) {
    Object.defineProperty(err, 'retryable', { value: false, configurable: true });
  }
  return err;
}


/** An {@link OciDbTokenConfig} after validation, with config paths resolved. */
export interface ResolvedOciDbConfig {
  readonly scope: string;
  /** The Identity Data Plane base URL; `undefined` for the auth method's own region. */
  readonly endpoint: string | undefined;
  readonly auth: WorkerAuth;
  readonly keySize: number;
}

/** Checks an {@link OciDbTokenConfig} (and the config file it names); throws a {@link ConfigError} naming the field. */
export function validateOciDbConfig(config: unknown): ResolvedOciDbConfig {
  const c = requireObject('config', config, '{ scope, region?, auth?, endpoint?, keySize? }') as unknown as OciDbTokenConfig;
  const scope = c.scope?.trim?.() ?? c.scope;
  parseOciScope(scope);
  const region = optionalString('region', c.region, 'an OCI region such as us-ashburn-1');
  if (region !== undefined && !isOciRegion(region)) {
    throw new ConfigError('region', `"${region}" is not an OCI region id`, 'pass a region id such as us-ashburn-1 or eu-frankfurt-1');
  }
  const endpoint = optionalString('endpoint', c.endpoint, 'a base URL such as https://auth.us-ashburn-1.oraclecloud.com');
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint.replace('{region}', 'region'));
    } catch {
      throw new ConfigError('endpoint', `"${endpoint}" is not a URL`, 'pass a base URL such as https://auth.us-ashburn-1.oraclecloud.com');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HTTP.test(endpoint))) {
      throw new ConfigError('endpoint', 'must be https:// (plain http:// only for 127.0.0.1, localhost or [::1]): IAM credentials would travel in the clear', 'use an https:// URL');
    }
    if (endpoint.includes('{region}') && region === undefined) {
      throw new ConfigError('region', 'is required when endpoint contains {region}', 'pass region, or write the region into endpoint');
    }
  }
  const keySize = c.keySize ?? 2048;
  if (!(KEY_SIZES as readonly number[]).includes(keySize)) {
    throw new ConfigError('keySize', `must be 2048, 3072 or 4096, got ${describe(keySize)}`, 'leave it out for 2048');
  }
  const auth = validateAuth(c.auth);
  const files = auth.type === 'api_key' || auth.type === 'security_token' ? checkProfile(auth, region === undefined && endpoint === undefined) : undefined;
  const base = endpoint !== undefined ? endpoint.replace('{region}', region ?? '') : region !== undefined ? identityDataPlaneEndpoint(region) : undefined;
  return {
    scope,
    endpoint: base?.replace(/\/+$/, ''),
    auth: files ? { type: auth.type, file: files.file, profile: files.profile } : { type: auth.type },
    keySize,
  };
}

/** The identity an OCI db-token stands for, as a store key (a JSON array: no field can spill into another). */
export function ociDbCacheKey(c: ResolvedOciDbConfig): string {
  return JSON.stringify(['oci-db', c.scope, c.endpoint ?? 'auth-region', c.auth.type, c.auth.file ?? null, c.auth.profile ?? null, c.keySize]);
}

/** The I/O an OCI db-token source uses; tests swap it. */
export interface OciDbDeps {
  /** Reaches IAM. Default: the SDK in a worker thread, with a one-minute deadline per call. */
  readonly client: OciTokenClient;
}

/** How long one IAM call may take inside the worker: the fetch's deadline, and never more than a minute. */
const MAX_IAM_CALL_MS = 60_000;

/**
 * The token source behind {@link ociDbToken}: one `generateScopedAccessToken`
 * call per fetch, abandoned when the fetch's `signal` aborts. `expiresAt` is
 * the token's `exp`; an IAM refusal other than throttling is marked as not
 * worth retrying.
 */
export function ociDbSource(c: ResolvedOciDbConfig, deps: Partial<OciDbDeps> = {}): TokenSource {
  const client = deps.client ?? new OciTokenWorker({ auth: c.auth, endpoint: c.endpoint, keySize: c.keySize, requestTimeoutMs: MAX_IAM_CALL_MS });
  return async ({ signal }) => {
    try {
      const { token, privateKey } = await client.generateScopedAccessToken(c.scope, signal);
      return { token, expiresAt: jwtExpiry(token), privateKey };
    } catch (err) {
      throw markPermanent(err);
    }
  };
}

/**
 * A provider of OCI IAM db-tokens for Oracle Autonomous Database and the
 * other OCI database services: it calls the Identity Data Plane's
 * `generateScopedAccessToken` (through `oci-common` and
 * `oci-identitydataplane`) with a fresh RSA key pair, and caches the token
 * (1 hour) with the usual refresh ahead.
 *
 * The SDK runs in a worker thread, started on the first fetch: loading it,
 * signing requests and parsing replies never run on your event loop, and the
 * worker never keeps the process alive. Each IAM call has a deadline
 * (`fetchTimeout`, at most a minute); a call no caller waits for any more
 * is abandoned.
 *
 * - Each `DbToken` carries the token (a JWT; `expiresAt` is its `exp`) and
 *   the PKCS#8 `privateKey` of the key pair it was issued for.
 * - Key pairs are generated off the event loop (in the worker), and the
 *   next one is made while the current token is in use, so a refresh never
 *   waits for one.
 * - `region` picks the Identity Data Plane of the database's region for
 *   cross-region access; the scope names the database's tenancy for
 *   cross-tenancy access.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { ociDbToken, ociScope } from 'dbtoken/oci';
 * const token = ociDbToken({
 *   scope: ociScope.compartment('ocid1.compartment.oc1..aaaaaaaaexample'),
 *   auth: { type: 'resource_principal' },
 * });
 * const pool = await createIamPool({ driver: 'oracledb', token, connectString: 'tcps://adb.us-ashburn-1.oraclecloud.com:1522/abc_high.adb.oraclecloud.com' });
 * ```
 */
export function ociDbToken(config: OciDbTokenConfig, options?: TokenProviderOptions): TokenProvider {
  const c = validateOciDbConfig(config);
  const opts = options === undefined ? {} : (requireObject('options', options, 'TokenProviderOptions') as TokenProviderOptions);
  const fetchTimeout = typeof opts.fetchTimeout === 'number' && opts.fetchTimeout >= 0 ? opts.fetchTimeout : DEFAULT_FETCH_TIMEOUT_MS;
  const client = new OciTokenWorker({
    auth: c.auth,
    endpoint: c.endpoint,
    keySize: c.keySize,
    requestTimeoutMs: fetchTimeout > 0 ? Math.min(fetchTimeout, MAX_IAM_CALL_MS) : MAX_IAM_CALL_MS,
  });
  return createProvider(ociDbSource(c, { client }), { cacheKey: ociDbCacheKey(c), lifetime: OCI_DB_TOKEN_LIFETIME_MS, ...opts }, { label: c.scope, onRelease: () => client.close() });
}
