import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { jwtExpiry } from './jwt.js';
import { expandHome, parseOciConfig, resolveOciProfile } from './config-file.js';
import { identityDataPlaneEndpoint, isOciRegion } from './region.js';
import { parseOciScope } from './scope.js';
import { OciTokenWorker } from './worker.js';
import { tokenProvider, type TokenProvider, type TokenProviderOptions } from '../../core/provider.js';
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
   * tenancy), or one from `ociScope.tenancy()`, `.compartment()` or
   * `.database()`. For cross-tenancy access, name the database's tenancy (or
   * a compartment or database in it).
   */
  scope: string;
  /**
   * The region whose Identity Data Plane issues the token
   * (`https://auth.<region>.<realm domain>`), for example the database's
   * region when it is not your home region. Default: the region of the auth
   * method (the profile's `region`, the instance's, the function's).
   */
  region?: string;
  /** How to authenticate to IAM. Default `{ type: 'api_key' }` with `~/.oci/config` and `DEFAULT`. */
  auth?: OciAuth;
  /**
   * Overrides the base URL (default `https://auth.<region>.<realm domain>`);
   * the request still goes to `/v1/actions/generateScopedAccessToken` under
   * it. `{region}` in it is replaced by the region. Plain `http://` is
   * allowed for `127.0.0.1`, `localhost` and `[::1]` (local emulators) only.
   */
  endpoint?: string;
  /** RSA key size of the proof-of-possession key pair. 2048 (default), 3072 or 4096. */
  keySize?: 2048 | 3072 | 4096;
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
    throw new ConfigError('auth.type', `must be one of ${OCI_AUTH_TYPES.map((t) => `'${t}'`).join(', ')}, got ${typeof a.type === 'string' ? `'${a.type}'` : describe(a.type)}`);
  }
  if (a.type === 'api_key' || a.type === 'security_token') {
    optionalString('auth.configFile', a.configFile, 'the path of an OCI config file');
    optionalString('auth.profile', a.profile, 'a profile name in the OCI config file');
  } else {
    for (const k of Object.keys(a)) {
      if (k !== 'type') throw new ConfigError(`auth.${k}`, `is not an option of auth type '${a.type}'`);
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
  const needed = auth.type === 'api_key' ? ['user', 'tenancy', 'fingerprint', 'key_file'] : ['security_token_file', 'key_file'];
  if (needRegion) needed.push('region');
  for (const k of needed) {
    if (!p.entries[k]?.value) {
      const hint = k === 'region' ? ' (or pass region to ociDbToken)' : auth.type === 'security_token' ? `; run \`oci session authenticate --profile-name ${profile}\`` : '';
      throw new ConfigError(`auth.${k === 'region' ? 'region' : 'profile'}`, `${file}:${p.line}: profile [${profile}] has no ${k}${hint}`);
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


/**
 * A provider of OCI IAM db-tokens for Oracle Autonomous Database and the
 * other OCI database services: it calls the Identity Data Plane's
 * `generateScopedAccessToken` (through `oci-common` and
 * `oci-identitydataplane`) with a fresh RSA key pair, and caches the token
 * (1 hour) with the usual refresh ahead.
 *
 * The SDK runs in a worker thread, started on the first fetch: loading it,
 * signing requests and parsing replies never run on your event loop, and the
 * worker never keeps the process alive.
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
  const c = requireObject('config', config, '{ scope, region?, auth?, endpoint?, keySize? }') as unknown as OciDbTokenConfig;
  const scope = c.scope?.trim?.() ?? c.scope;
  parseOciScope(scope);
  const region = optionalString('region', c.region, 'an OCI region such as us-ashburn-1');
  if (region !== undefined && !isOciRegion(region)) {
    throw new ConfigError('region', `"${region}" is not an OCI region id such as us-ashburn-1 or eu-frankfurt-1`);
  }
  const endpoint = optionalString('endpoint', c.endpoint, 'a base URL such as https://auth.us-ashburn-1.oraclecloud.com');
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint.replace('{region}', 'region'));
    } catch {
      throw new ConfigError('endpoint', `"${endpoint}" is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HTTP.test(endpoint))) {
      throw new ConfigError('endpoint', `must be https:// (plain http:// only for 127.0.0.1, localhost or [::1]): IAM credentials would travel in the clear`);
    }
    if (endpoint.includes('{region}') && region === undefined) {
      throw new ConfigError('region', 'is required when endpoint contains {region}');
    }
  }
  const keySize = c.keySize ?? 2048;
  if (!(KEY_SIZES as readonly number[]).includes(keySize)) {
    throw new ConfigError('keySize', `must be 2048, 3072 or 4096, got ${describe(keySize)}`);
  }
  const auth = validateAuth(c.auth);
  const files = auth.type === 'api_key' || auth.type === 'security_token' ? checkProfile(auth, region === undefined && endpoint === undefined) : undefined;
  const opts = options === undefined ? {} : (requireObject('options', options, 'TokenProviderOptions') as TokenProviderOptions);

  const base = endpoint !== undefined ? endpoint.replace('{region}', region ?? '') : region !== undefined ? identityDataPlaneEndpoint(region) : undefined;
  const worker = new OciTokenWorker(files ? { type: auth.type, file: files.file, profile: files.profile } : { type: auth.type }, base?.replace(/\/+$/, ''), keySize);

  const source = async (): Promise<{ token: string; expiresAt: Date; privateKey: string }> => {
    try {
      const { token, privateKey } = await worker.generateScopedAccessToken(scope);
      return { token, expiresAt: jwtExpiry(token), privateKey };
    } catch (err) {
      throw markPermanent(err);
    }
  };

  const identity = files ? `${auth.type}:${files.file}:${files.profile}` : auth.type;
  const provider = tokenProvider(source, {
    cacheKey: `oci-db|${scope}|${base ?? 'auth-region'}|${identity}|${keySize}`,
    lifetime: OCI_DB_TOKEN_LIFETIME_MS,
    ...opts,
  });
  return {
    ...provider,
    close() {
      provider.close();
      worker.close();
    },
  };
}
