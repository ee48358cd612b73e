import { checkServerIdentity as tlsCheckServerIdentity, type PeerCertificate } from 'node:tls';
import { LRUCache } from 'lru-cache';
import { abortable } from '../../core/abort.js';
import { ConfigError } from '../../core/errors.js';
import { exportsOf, peerMissing } from '../../core/optional-peer.js';
import { createProvider, providerOptions, type TokenProvider, type TokenProviderOptions, type TokenSource } from '../../core/provider.js';
import { tokenStore } from '../../core/store.js';
import { describe, requireBareHost, requireObject, requirePort, requireString } from '../../core/validation.js';
import { withSdkRefreshBefore } from '../refresh-ahead.js';
import { cloudSqlUser } from './users.js';

/**
 * The OAuth2 scope of Cloud SQL IAM database logins: a token with it is the
 * password.
 *
 * @example
 * ```ts
 * import { GoogleAuth } from 'google-auth-library';
 * import { GCP_SQL_LOGIN_SCOPE } from 'dbtoken/gcp';
 * const auth = new GoogleAuth({ scopes: [GCP_SQL_LOGIN_SCOPE] });
 * ```
 */
export const GCP_SQL_LOGIN_SCOPE = 'https://www.googleapis.com/auth/sqlservice.login';

/**
 * What {@link gcpCloudSqlToken} needs of `google-auth-library`'s `GoogleAuth`
 * (an instance of it fits).
 *
 * @example
 * ```ts
 * import { GoogleAuth } from 'google-auth-library';
 * const auth: GcpAuth = new GoogleAuth({ scopes: [GCP_SQL_LOGIN_SCOPE] });
 * ```
 */
export interface GcpAuth {
  /** The client of the credentials found (a key, a user's ADC, the metadata server). */
  getClient(): Promise<GcpAuthClient>;
  /** The credentials' service account email, when they have one (a key, the metadata server). */
  getCredentials(): Promise<{
    /** The service account's email. */
    client_email?: string | null | undefined;
  }>;
}

/**
 * The part of a `google-auth-library` client {@link gcpCloudSqlToken} uses.
 *
 * @example
 * ```ts
 * const client: GcpAuthClient = await new GoogleAuth({ scopes: [GCP_SQL_LOGIN_SCOPE] }).getClient();
 * ```
 */
export interface GcpAuthClient {
  /** An access token, refreshed by the client when it has expired. */
  getAccessToken(): Promise<{
    /** The access token. */
    token?: string | null | undefined;
  }>;
  /** The client's credentials: `expiry_date` (ms since the epoch) is the token's expiry. */
  credentials?:
    | {
        /** When the token expires, in ms since the epoch. */
        expiry_date?: number | null | undefined;
      }
    | undefined;
  /** Asks Google's tokeninfo endpoint about a token (a user's email). */
  getTokenInfo?(accessToken: string): Promise<{
    /** The principal's email, when the token carries the email scope. */
    email?: string | undefined;
  }>;
}

/**
 * Options of {@link gcpCloudSqlToken}.
 *
 * @example
 * ```ts
 * const config: GcpCloudSqlTokenConfig = { engine: 'postgres', hostname: '10.20.0.3' };
 * const token = gcpCloudSqlToken(config); // as the service account of the metadata server
 * ```
 */
export interface GcpCloudSqlTokenConfig {
  /** The Cloud SQL engine: it decides the database user's name (see `username`) and the default port. */
  engine: 'postgres' | 'mysql';
  /**
   * A `GoogleAuth` made with `scopes: [GCP_SQL_LOGIN_SCOPE]`, or
   * `{ keyFile }`: a service account key file. Default: application default
   * credentials (`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth
   * application-default login`, then the metadata server on GCE, Cloud Run,
   * GKE and Cloud Functions).
   */
  auth?:
    | GcpAuth
    | {
        /** The path of a service account key file. */
        keyFile: string;
      }
    | undefined;
  /**
   * The database user. Default: Cloud SQL's name for the principal. On
   * PostgreSQL, a service account's email without `.gserviceaccount.com`,
   * and a user's whole email; on MySQL, the part before `@`. The principal
   * is learnt on the first `getToken()` (from the credentials, else from
   * Google's tokeninfo endpoint).
   */
  username?: string | undefined;
  /** The instance's address (its IP, or a DNS name): pools dial it when they give no host. */
  hostname?: string | undefined;
  /** The port. Default: 5432 for PostgreSQL, 3306 for MySQL. */
  port?: number | undefined;
}

/** The I/O a Cloud SQL token source uses; tests swap it. */
export interface GcpCloudSqlDeps {
  /** Makes the auth when none is given, or from a key file. */
  newAuth(keyFile: string | undefined): Promise<GcpAuth>;
  /** Real time (ms). */
  now(): number;
  /** The provider's clock (ms), in which `expiresAt` is expressed. */
  clock(): number;
}

/** `google-auth-library`'s GoogleAuth, loaded when first needed (an optional peer). */
async function loadGoogleAuth(keyFile: string | undefined): Promise<GcpAuth> {
  let mod: { GoogleAuth: new (o: object) => GcpAuth };
  try {
    mod = exportsOf((await import('google-auth-library')) as typeof mod & { default?: typeof mod });
  } catch (err) {
    throw peerMissing(err, 'google-auth-library', 'auth', 'needs', 'or pass auth');
  }
  return new mod.GoogleAuth({ scopes: [GCP_SQL_LOGIN_SCOPE], ...(keyFile !== undefined ? { keyFile } : {}) });
}

const defaultDeps: GcpCloudSqlDeps = {
  newAuth: loadGoogleAuth,
  now: () => Date.now(),
  clock: () => Date.now(),
};

/** A {@link GcpCloudSqlTokenConfig} after validation. */
export interface ResolvedGcpCloudSqlConfig {
  readonly engine: 'postgres' | 'mysql';
  readonly auth: GcpAuth | undefined;
  readonly keyFile: string | undefined;
  readonly username: string | undefined;
  readonly hostname: string | undefined;
  readonly port: number;
}

function isAuth(value: unknown): value is GcpAuth {
  const v = value as { getClient?: unknown; getCredentials?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.getClient === 'function' && typeof v.getCredentials === 'function';
}

/** Checks a {@link GcpCloudSqlTokenConfig}; throws a {@link ConfigError} naming the field. */
export function validateGcpCloudSqlConfig(config: unknown): ResolvedGcpCloudSqlConfig {
  const c = requireObject('config', config, "{ engine: 'postgres' | 'mysql', auth?, username?, hostname?, port? }") as unknown as GcpCloudSqlTokenConfig;
  if (c.engine !== 'postgres' && c.engine !== 'mysql') {
    throw new ConfigError('engine', `must be 'postgres' or 'mysql', got ${describe(c.engine)}`, "pass engine: 'postgres' or engine: 'mysql': Cloud SQL names the database user differently for each");
  }
  let auth: GcpAuth | undefined;
  let keyFile: string | undefined;
  if (c.auth !== undefined) {
    if (isAuth(c.auth)) auth = c.auth;
    else if (typeof c.auth === 'object' && c.auth !== null && Object.keys(c.auth).length === 1 && 'keyFile' in c.auth) keyFile = requireString('auth.keyFile', c.auth.keyFile, 'the path of a service account key file');
    else throw new ConfigError('auth', `must be a GoogleAuth or { keyFile }, got ${describe(c.auth)}`, 'pass new GoogleAuth({ scopes: [GCP_SQL_LOGIN_SCOPE] }), { keyFile: "key.json" }, or leave it out for application default credentials');
  }
  const username = c.username === undefined ? undefined : requireString('username', c.username, 'the database user, such as orders-api@my-project.iam');
  if (username !== undefined && (/[\0\s]/.test(username) || username.length > 128)) {
    throw new ConfigError('username', 'must be a user name without spaces or NUL, at most 128 characters', "pass the name Cloud SQL gives the principal (PostgreSQL: the service account's email without .gserviceaccount.com)");
  }
  if (username !== undefined && c.engine === 'postgres' && username.endsWith('.gserviceaccount.com')) {
    throw new ConfigError('username', `ends with .gserviceaccount.com, which Cloud SQL for PostgreSQL drops from a service account's user name`, `pass "${username.slice(0, -'.gserviceaccount.com'.length)}", or leave username out`);
  }
  if (username !== undefined && c.engine === 'mysql' && username.includes('@')) {
    throw new ConfigError('username', 'holds an @: Cloud SQL for MySQL names an IAM user by the part of its email before the @', `pass "${username.slice(0, username.indexOf('@'))}", or leave username out`);
  }
  let hostname: string | undefined;
  if (c.hostname !== undefined) {
    hostname = requireBareHost('hostname', c.hostname, "the instance's IP address or DNS name", "pass the instance's IP address (an instance connection name such as project:region:instance is not one), and the port in `port`");
  }
  const port = c.port === undefined ? (c.engine === 'postgres' ? 5432 : 3306) : requirePort('port', c.port);
  return { engine: c.engine, auth, keyFile, username, hostname, port };
}

/** The identity a Cloud SQL token stands for, as a store key. */
export function gcpCloudSqlCacheKey(c: ResolvedGcpCloudSqlConfig): string {
  const auth = c.auth !== undefined ? `auth:${tokenStore().idOf(c.auth)}` : c.keyFile !== undefined ? ['keyFile', c.keyFile] : 'adc';
  return JSON.stringify(['gcp-cloud-sql', c.engine, auth, c.username ?? null]);
}

/**
 * The principals' emails, by identity (cache key): learnt by whichever
 * provider fetched the identity's token, and read by every provider of it,
 * since they share the token and only one of them fetches it.
 */
const principals = new LRUCache<string, string>({ max: 1024 });

/** Where a Cloud SQL source keeps the principal's email it learns: under its identity's key. */
export interface GcpPrincipal {
  readonly key: string;
}

/** The email a Cloud SQL source learnt for `principal`, if it has. */
export function gcpPrincipalEmail(principal: GcpPrincipal): string | undefined {
  return principals.get(principal.key);
}

/**
 * The token source behind {@link gcpCloudSqlToken}: an access token from the
 * auth's client, its `expiry_date` carried over to the provider's clock. On
 * the first fetch without a `username`, it learns the principal's email into
 * `principal`: the credentials' `client_email`, else (a user's own ADC)
 * Google's tokeninfo answer.
 */
export function gcpCloudSqlSource(c: ResolvedGcpCloudSqlConfig, principal: GcpPrincipal, deps: Partial<GcpCloudSqlDeps> = {}): TokenSource {
  const d: GcpCloudSqlDeps = { ...defaultDeps, ...deps };
  let made: Promise<GcpAuth> | undefined;
  const authOf = (): Promise<GcpAuth> => {
    if (c.auth !== undefined) return Promise.resolve(c.auth);
    if (made !== undefined) return made;
    // A failure forgets this GoogleAuth only if it is still the current one.
    const making: Promise<GcpAuth> = d.newAuth(c.keyFile).catch((err: unknown) => {
      if (made === making) made = undefined;
      throw err;
    });
    return (made = making);
  };
  return async ({ signal }) => {
    const authNow = authOf();
    try {
      const auth = await abortable(authNow, signal);
      const client = await abortable(auth.getClient(), signal);
      const askedAt = d.clock();
      const realAskedAt = d.now();
      const { token } = await abortable(client.getAccessToken(), signal);
      if (typeof token !== 'string' || token === '') throw new Error('google-auth-library returned no access token');
      const expiry = client.credentials?.expiry_date;
      if (typeof expiry !== 'number' || !Number.isFinite(expiry)) throw new Error('google-auth-library returned an access token without expiry_date');
      if (c.username === undefined && !principals.has(principal.key)) {
        const email = await principalEmail(auth, client, token, signal);
        if (email !== undefined) principals.set(principal.key, email);
      }
      return { token, expiresAt: new Date(askedAt + (expiry - realAskedAt)) };
    } catch (err) {
      // google-auth-library's clients join a token request in flight and never give one up (the
      // metadata server's has no timeout on Google Cloud). A fetch abandoned while waiting on one
      // leaves the GoogleAuth dbtoken made, so that the next fetch asks anew rather than joining it.
      if (signal.aborted && made === authNow) made = undefined;
      throw err;
    }
  };
}

/**
 * The principal's email: the credentials' `client_email` (a key, the
 * metadata server), else tokeninfo's (a user's own ADC). `undefined` when
 * both answer without one; a failure of either (a network blip) fails the
 * fetch, to be retried, so that it is not taken for credentials without an
 * email.
 */
async function principalEmail(auth: GcpAuth, client: GcpAuthClient, token: string, signal: AbortSignal): Promise<string | undefined> {
  let failure: unknown;
  try {
    const { client_email } = await abortable(auth.getCredentials(), signal);
    if (typeof client_email === 'string' && client_email !== '') return client_email;
  } catch (err) {
    if (signal.aborted) throw err;
    failure = err;
  }
  if (typeof client.getTokenInfo === 'function') {
    const info = await abortable(client.getTokenInfo(token), signal);
    if (typeof info.email === 'string' && info.email !== '') return info.email;
  }
  if (failure !== undefined) throw failure;
  return undefined;
}

/**
 * A provider of Cloud SQL IAM database-authentication tokens (manual IAM
 * login: an OAuth2 access token with scope {@link GCP_SQL_LOGIN_SCOPE} is
 * the password, over TLS) for Cloud SQL for PostgreSQL and MySQL, from
 * `google-auth-library`: application default credentials, a service account
 * key, or the metadata server on GCE, Cloud Run and GKE. Cached, and
 * refreshed ahead of expiry; with `refresh: 'on-demand'` no timer runs,
 * which suits Cloud Run's throttled CPU.
 *
 * Without `username`, the user follows Cloud SQL's conventions and is read
 * on the first `getToken()` (which `createIamPool` waits for): PostgreSQL
 * drops `.gserviceaccount.com` from a service account's email and keeps a
 * user's whole email; MySQL keeps the part before `@`.
 *
 * Cloud SQL's server certificate names the instance (`project:instance`),
 * not its IP address: check it with {@link cloudSqlServerIdentity}.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { gcpCloudSqlToken, cloudSqlServerIdentity } from 'dbtoken/gcp';
 * const token = gcpCloudSqlToken({ engine: 'postgres', hostname: '10.20.0.3' });
 * const pool = await createIamPool({
 *   driver: 'pg', token, database: 'orders',
 *   ssl: { ca: serverCaPem, checkServerIdentity: cloudSqlServerIdentity('my-project:europe-west1:orders') },
 * });
 * ```
 */
export function gcpCloudSqlToken(config: GcpCloudSqlTokenConfig, options?: TokenProviderOptions): TokenProvider {
  return gcpCloudSqlTokenWith(config, options);
}

/** {@link gcpCloudSqlToken} with its I/O swappable, for tests. */
export function gcpCloudSqlTokenWith(config: GcpCloudSqlTokenConfig, options?: TokenProviderOptions, deps: Partial<GcpCloudSqlDeps> = {}): TokenProvider {
  const c = validateGcpCloudSqlConfig(config);
  const { opts, clock } = providerOptions(options);
  const cacheKey = opts.cacheKey ?? gcpCloudSqlCacheKey(c);
  const principal: GcpPrincipal = { key: cacheKey };
  const source = gcpCloudSqlSource(c, principal, { clock, ...deps });
  const target = { ...(c.hostname !== undefined ? { host: c.hostname, port: c.port } : {}), ...(c.username !== undefined ? { user: c.username } : {}) };
  return createProvider(
    source,
    { cacheKey, target, ...withSdkRefreshBefore(opts) },
    {
      label: `gcp:${c.hostname ?? ''}/${c.username ?? '(principal)'}`,
      userFromToken:
        c.username === undefined
          ? () => {
              const email = principals.get(principal.key);
              if (email === undefined) {
                throw new ConfigError(
                  'username',
                  "is needed: the credentials name no email (no client_email, and tokeninfo gave none), so Cloud SQL's user name for them is unknown",
                  'pass username, or use credentials of a service account or a user whose token carries the email scope',
                );
              }
              return cloudSqlUser(email, c.engine);
            }
          : undefined,
    },
  );
}

/**
 * A `checkServerIdentity` for TLS connections to a Cloud SQL instance by its
 * IP address: Cloud SQL's server certificate is signed by the instance's own
 * CA and names the instance (`CN=<project>:<instance>`), not the address.
 * It accepts a certificate naming `instance` (an instance connection name,
 * `project:region:instance`, or `project:instance`), and otherwise checks
 * the host name as Node does (for a certificate issued for a DNS name). The
 * chain is still checked against the `ca` you give (the instance's server
 * CA, from `gcloud sql instances describe`).
 *
 * @example
 * ```ts
 * const ssl = { ca: serverCaPem, checkServerIdentity: cloudSqlServerIdentity('my-project:europe-west1:orders') };
 * const pool = await createIamPool({ driver: 'pg', token, host: '10.20.0.3', database: 'orders', ssl });
 * ```
 */
export function cloudSqlServerIdentity(instance: string): (host: string, cert: PeerCertificate) => Error | undefined {
  const parts = typeof instance === 'string' ? instance.split(':') : [];
  if (parts.length < 2 || parts.length > 4 || parts.some((p) => !/^[a-z0-9][a-z0-9.-]*$/i.test(p))) {
    throw new ConfigError('instance', `must be an instance connection name such as my-project:europe-west1:orders, got ${describe(instance)}`, "pass the instance's connection name, from gcloud sql instances describe");
  }
  // project:instance, project:region:instance, or a domain-scoped project's example.com:project:region:instance.
  const project = parts.length === 4 ? `${parts[0]}:${parts[1]}` : parts[0];
  const expected = `${project}:${parts[parts.length - 1]}`.toLowerCase();
  return (host, cert) => {
    const cn = cert?.subject?.CN;
    // Exactly one CN, naming the instance (project and instance ids are lower case).
    if (typeof cn === 'string' && cn.toLowerCase() === expected) return undefined;
    const byHost = tlsCheckServerIdentity(host, cert);
    if (byHost === undefined) return undefined;
    const shown = Array.isArray(cn) ? cn.join(', ') : (cn ?? '');
    return new Error(`the server's certificate names ${JSON.stringify(shown)}, not the Cloud SQL instance ${expected}, nor ${host}`);
  };
}
