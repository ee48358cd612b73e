import { abortable } from '../../core/abort.js';
import { ConfigError } from '../../core/errors.js';
import { jwtPayload } from '../../core/jwt.js';
import { exportsOf, peerMissing } from '../../core/optional-peer.js';
import { createProvider, providerOptions, type TokenProvider, type TokenProviderOptions, type TokenSource } from '../../core/provider.js';
import { tokenStore } from '../../core/store.js';
import type { DbToken } from '../../core/token.js';
import { describe, requireBareHost, requireObject, requirePort, requireString } from '../../core/validation.js';
import { withSdkRefreshBefore } from '../refresh-ahead.js';

/**
 * The scope of Azure Database for PostgreSQL and MySQL flexible servers'
 * Entra ID logins: the token is the password.
 *
 * @example
 * ```ts
 * import { AZURE_DATABASE_SCOPE } from 'dbtoken/azure';
 * const { token } = await credential.getToken(AZURE_DATABASE_SCOPE); // what azureEntraToken asks for
 * ```
 */
export const AZURE_DATABASE_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

/**
 * What {@link azureEntraToken} needs of a credential: `@azure/identity`'s
 * `TokenCredential` (every credential class of it) fits.
 *
 * @example
 * ```ts
 * import { ClientSecretCredential } from '@azure/identity';
 * const credential: AzureTokenCredential = new ClientSecretCredential(tenantId, clientId, clientSecret);
 * ```
 */
export interface AzureTokenCredential {
  /** Gets an access token for the scopes; `null` when it cannot. */
  getToken(scopes: string | string[], options?: { abortSignal?: AbortSignal }): Promise<AzureAccessToken | null>;
}

/**
 * What an {@link AzureTokenCredential} answers: `@azure/identity`'s `AccessToken`.
 *
 * @example
 * ```ts
 * const answer: AzureAccessToken = { token: 'eyJ0eXAiOi...', expiresOnTimestamp: Date.now() + 3_600_000 };
 * ```
 */
export interface AzureAccessToken {
  /** The access token (a JWT). */
  token: string;
  /** When it expires, in ms since the epoch. */
  expiresOnTimestamp: number;
}


/**
 * Options of {@link azureEntraToken}.
 *
 * @example
 * ```ts
 * import { ManagedIdentityCredential } from '@azure/identity';
 * const config: AzureEntraTokenConfig = {
 *   credential: new ManagedIdentityCredential(),
 *   username: 'orders-api', // the role made for the identity with pgaadauth_create_principal
 *   hostname: 'orders.postgres.database.azure.com',
 * };
 * const token = azureEntraToken(config);
 * ```
 */
export interface AzureEntraTokenConfig {
  /**
   * Any `@azure/identity` `TokenCredential` (`ManagedIdentityCredential`,
   * `ClientSecretCredential`, `WorkloadIdentityCredential`, `AzureCliCredential`, ...).
   * Default: one `DefaultAzureCredential` per process, which covers managed
   * identity in App Service, Functions and AKS, workload identity, and a
   * developer's `az login`.
   */
  credential?: AzureTokenCredential | undefined;
  /**
   * The database user. Default: an Entra user's UPN, from the token's `upn`,
   * else `unique_name` (case-sensitive; guests carry `#EXT#`). A service
   * principal, managed identity or group logs in as the role name made for
   * it (its display name, or a name bound to its object id with
   * `pgaadauth_create_principal_with_oid` or MySQL's `CREATE AADUSER`),
   * which the token does not carry: for such a credential, `username` is
   * required, and the first `getToken()` says so.
   */
  username?: string | undefined;
  /** The server the tokens are for (`<name>.postgres.database.azure.com`): pools dial it when they give no host. */
  hostname?: string | undefined;
  /** The server's port: 5432 for PostgreSQL, 3306 for MySQL. Default: the driver's. */
  port?: number | undefined;
}

/** A `TokenCredential`: an object with `getToken(scopes, options)`. */
function isCredential(value: unknown): value is AzureTokenCredential {
  return typeof value === 'object' && value !== null && typeof (value as { getToken?: unknown }).getToken === 'function';
}

/** The I/O an Entra token source uses; tests swap it. */
export interface AzureEntraDeps {
  /** The credential to use when none is given. */
  defaultCredential(): Promise<AzureTokenCredential>;
  /** Real time (ms), to measure what is left of a token. */
  now(): number;
  /** The provider's clock (ms), in which `expiresAt` is expressed. */
  clock(): number;
}

/** The process's DefaultAzureCredential, made on first use. */
let sharedDefault: Promise<AzureTokenCredential> | undefined;

/** `@azure/identity`'s DefaultAzureCredential, loaded when first needed (an optional peer). */
async function loadDefaultCredential(): Promise<AzureTokenCredential> {
  let mod: { DefaultAzureCredential: new () => AzureTokenCredential };
  try {
    mod = exportsOf((await import('@azure/identity')) as typeof mod & { default?: typeof mod });
  } catch (err) {
    throw peerMissing(err, '@azure/identity', 'credential', 'defaults to DefaultAzureCredential from', 'or pass a credential');
  }
  return new mod.DefaultAzureCredential();
}

const defaultDeps: AzureEntraDeps = {
  defaultCredential: () =>
    (sharedDefault ??= loadDefaultCredential().catch((err: unknown) => {
      sharedDefault = undefined;
      throw err;
    })),
  now: () => Date.now(),
  clock: () => Date.now(),
};

/** An {@link AzureEntraTokenConfig} after validation. */
export interface ResolvedAzureEntraConfig {
  readonly credential: AzureTokenCredential | undefined;
  readonly username: string | undefined;
  readonly hostname: string | undefined;
  readonly port: number | undefined;
}

/** Checks an {@link AzureEntraTokenConfig}; throws a {@link ConfigError} naming the field. */
export function validateAzureEntraConfig(config: unknown): ResolvedAzureEntraConfig {
  const c = requireObject('config', config ?? {}, '{ credential?, username?, hostname?, port? }') as AzureEntraTokenConfig;
  if (c.credential !== undefined && !isCredential(c.credential)) {
    throw new ConfigError('credential', `must be a TokenCredential (an object with getToken()), got ${describe(c.credential)}`, 'pass a credential from @azure/identity, such as new ManagedIdentityCredential(), or leave it out for DefaultAzureCredential');
  }
  const username = c.username === undefined ? undefined : requireString('username', c.username, 'the database user: the UPN of an Entra user, or the role name of a service principal, managed identity or group');
  if (username !== undefined && (/[\0\r\n]/.test(username) || username.trim() !== username)) {
    throw new ConfigError('username', 'must not hold NUL, line breaks or surrounding spaces', 'pass the user exactly as the server knows it (UPNs are case-sensitive)');
  }
  let hostname: string | undefined;
  if (c.hostname !== undefined) {
    hostname = requireBareHost('hostname', c.hostname, 'the server, such as orders.postgres.database.azure.com');
  }
  const port = c.port === undefined ? undefined : requirePort('port', c.port);
  return { credential: c.credential, username, hostname, port };
}

/**
 * The database user an Entra token logs in as when the caller gave none:
 * the token's `upn`, else `unique_name`. A token of a service principal or
 * managed identity (no such claim) is a {@link ConfigError} on `username`
 * saying why: its role name is not in the token.
 */
export function entraUserOf(token: string): string {
  let claims: Record<string, unknown>;
  try {
    claims = jwtPayload(token);
  } catch {
    throw new ConfigError('username', 'is needed: the credential returned a token that is not a JWT, so no user name can be read from it', 'pass username: the database user to log in as');
  }
  for (const claim of ['upn', 'unique_name'] as const) {
    const v = claims[claim];
    if (typeof v === 'string' && v !== '') return v;
  }
  const kind = claims.idtyp === 'app' || typeof claims.appid === 'string' ? 'a service principal or managed identity' : 'a principal without a UPN';
  throw new ConfigError(
    'username',
    `is needed: the credential signs in as ${kind}, which logs in as the role name made for it (its display name, or a name bound to its object id with pgaadauth_create_principal_with_oid or CREATE AADUSER), and its token does not carry that name`,
    "pass username, such as username: 'orders-api'",
  );
}

/** The identity an Entra token stands for, as a store key. */
export function azureEntraCacheKey(c: ResolvedAzureEntraConfig): string {
  const credential = c.credential === undefined ? 'default' : `credential:${tokenStore().idOf(c.credential)}`;
  return JSON.stringify(['azure-entra', credential, c.username ?? null]);
}

/**
 * The token source behind {@link azureEntraToken}: asks the credential for
 * a token of {@link AZURE_DATABASE_SCOPE}, and carries its `expiresOnTimestamp`
 * (real time) over to the provider's clock.
 */
export function azureEntraSource(c: ResolvedAzureEntraConfig, deps: Partial<AzureEntraDeps> = {}): TokenSource {
  const d: AzureEntraDeps = { ...defaultDeps, ...deps };
  return async ({ signal }) => {
    const credential = c.credential ?? (await abortable(d.defaultCredential(), signal));
    const askedAt = d.clock();
    const realAskedAt = d.now();
    const answer: AzureAccessToken | null = await abortable(credential.getToken(AZURE_DATABASE_SCOPE, { abortSignal: signal }), signal);
    if (answer === null || typeof answer !== 'object' || typeof answer.token !== 'string' || answer.token === '') {
      throw new Error('the Azure credential returned no token for the database scope');
    }
    const expiresOn = answer.expiresOnTimestamp;
    if (typeof expiresOn !== 'number' || !Number.isFinite(expiresOn)) throw new Error('the Azure credential returned a token without expiresOnTimestamp');
    return { token: answer.token, expiresAt: new Date(askedAt + (expiresOn - realAskedAt)) };
  };
}

/**
 * A provider of Microsoft Entra ID access tokens for Azure Database for
 * PostgreSQL and Azure Database for MySQL flexible servers (the token is the
 * password, over TLS; MySQL sends it with `mysql_clear_password`), from any
 * `@azure/identity` credential, cached and refreshed 5 minutes ahead of
 * expiry, as Microsoft's samples do.
 *
 * `expiresAt` is the credential's `expiresOnTimestamp` (Entra tokens live 5
 * to 90 minutes). Without `username`, the user is an Entra user's UPN read
 * from the first token: `target.user` is known after the first
 * `getToken()`, which `createIamPool` waits for, and a service principal's
 * or managed identity's token (which carries no role name) makes that first
 * `getToken()` fail with a {@link ConfigError} on `username`.
 *
 * @example
 * ```ts
 * import { createIamPool } from 'dbtoken';
 * import { azureEntraToken } from 'dbtoken/azure';
 * import { ManagedIdentityCredential } from '@azure/identity';
 * const token = azureEntraToken({ credential: new ManagedIdentityCredential(), username: 'orders-api', hostname: 'orders.postgres.database.azure.com' });
 * const pool = await createIamPool({ driver: 'pg', token, database: 'orders', ssl: true });
 * // A developer's own login (az login), as their UPN:
 * const mine = azureEntraToken({ hostname: 'orders.postgres.database.azure.com' });
 * ```
 */
export function azureEntraToken(config?: AzureEntraTokenConfig, options?: TokenProviderOptions): TokenProvider {
  return azureEntraTokenWith(config, options);
}

/** {@link azureEntraToken} with its I/O swappable, for tests. */
export function azureEntraTokenWith(config: AzureEntraTokenConfig | undefined, options?: TokenProviderOptions, deps: Partial<AzureEntraDeps> = {}): TokenProvider {
  const c = validateAzureEntraConfig(config);
  const { opts, clock } = providerOptions(options);
  const source = azureEntraSource(c, { clock, ...deps });
  const target = { ...(c.hostname !== undefined ? { host: c.hostname } : {}), ...(c.port !== undefined ? { port: c.port } : {}), ...(c.username !== undefined ? { user: c.username } : {}) };
  return createProvider(
    source,
    { cacheKey: azureEntraCacheKey(c), target, ...withSdkRefreshBefore(opts) },
    { label: `azure:${c.hostname ?? ''}/${c.username ?? '(upn)'}`, userFromToken: c.username === undefined ? (t: DbToken) => entraUserOf(t.token) : undefined },
  );
}
