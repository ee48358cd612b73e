import { createHash, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { rsaKeyPair } from '../key-pairs.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, get as httpsGet, type Server } from 'node:https';
import { ConfigError } from '../../core/errors.js';
import { describe } from '../../core/validation.js';
import { emulatorCertificates } from '../certificates.js';
import { closeServer, listen, trackSockets } from '../local-server.js';
import { isObject } from '../security-token.js';
import { throwIfAborted } from '../system.js';
import { parseJwks, rsaSigningJwk, signJwt, type EntraJwks } from './jwt.js';
import { GUID } from '../../core/validation.js';
import { clockSkew, OSS_RDBMS_RESOURCE, roleMap, verifyEntraToken, type EntraTokenVerdict } from './verify.js';

/**
 * An app registration (service principal) of the emulated tenant, which signs in with a client secret
 * (`ClientSecretCredential`, or `EnvironmentCredential` with `AZURE_CLIENT_SECRET`).
 *
 * @example
 * ```ts
 * const app: EntraServicePrincipal = {
 *   clientId: '11111111-2222-4333-8444-555555555555',
 *   clientSecret: 'test-secret',
 *   objectId: '66666666-7777-4888-8999-aaaaaaaaaaaa',
 *   displayName: 'orders-api',
 * };
 * ```
 */
export interface EntraServicePrincipal {
  /**
   * The application (client) id, a GUID: the `appid` of its tokens.
   *
   * @example
   * ```ts
   * const clientId = '11111111-2222-4333-8444-555555555555';
   * ```
   */
  clientId: string;
  /**
   * Its client secret: the token endpoint answers `invalid_client` (AADSTS7000215) to any other.
   *
   * @example
   * ```ts
   * const clientSecret = 'test-secret';
   * ```
   */
  clientSecret: string;
  /**
   * The object id of its service principal, a GUID: the `oid` and `sub` of its tokens, and what a
   * database role is bound to. Default: a random GUID (see {@link EntraIdEmulator.servicePrincipals}).
   *
   * @example
   * ```ts
   * const objectId = '66666666-7777-4888-8999-aaaaaaaaaaaa';
   * ```
   */
  objectId?: string | undefined;
  /**
   * Its display name, put in tokens as `app_displayname`. Default none.
   *
   * @example
   * ```ts
   * const displayName = 'orders-api';
   * ```
   */
  displayName?: string | undefined;
}

/**
 * The system-assigned managed identity of the emulated App Service app.
 *
 * @example
 * ```ts
 * const identity: EntraManagedIdentity = { objectId: '99999999-8888-4777-8666-555555555555' };
 * ```
 */
export interface EntraManagedIdentity {
  /**
   * The identity's client id, a GUID: the `appid` of its tokens and the `client_id` of the endpoint's
   * answer. Default: a random GUID.
   *
   * @example
   * ```ts
   * const clientId = '12121212-3434-4565-8787-909090909090';
   * ```
   */
  clientId?: string | undefined;
  /**
   * The identity's object (principal) id, a GUID: the `oid` and `sub` of its tokens. Default: a random GUID.
   *
   * @example
   * ```ts
   * const objectId = '99999999-8888-4777-8666-555555555555';
   * ```
   */
  objectId?: string | undefined;
}

/**
 * Options of {@link startEntraIdEmulator}.
 *
 * @example
 * ```ts
 * const options: EntraIdEmulatorOptions = {
 *   servicePrincipals: [{ clientId, clientSecret: 'test-secret', objectId: appObjectId }],
 *   managedIdentity: { objectId: webAppObjectId },
 *   tokenLifetimeMs: 3_600_000,
 * };
 * const entra = await startEntraIdEmulator(options);
 * ```
 */
export interface EntraIdEmulatorOptions {
  /**
   * The tenant (directory) id, a GUID. Default: a random GUID.
   *
   * @example
   * ```ts
   * const tenantId = '72f988bf-0000-4000-8000-00000000d011';
   * ```
   */
  tenantId?: string | undefined;
  /**
   * The app registrations that may sign in with a client secret. Default none.
   *
   * @example
   * ```ts
   * const servicePrincipals = [{ clientId, clientSecret: 'test-secret' }];
   * ```
   */
  servicePrincipals?: readonly EntraServicePrincipal[] | undefined;
  /**
   * The ids of the App Service app's system-assigned managed identity, which
   * {@link EntraIdEmulator.managedIdentityEnv} gets tokens for. Default: random GUIDs.
   *
   * @example
   * ```ts
   * const managedIdentity = { objectId: webAppObjectId };
   * ```
   */
  managedIdentity?: EntraManagedIdentity | undefined;
  /**
   * How long the tokens it issues last, in ms, from 60,000 to 86,400,000. Default 3,600,000 (Microsoft
   * documents 60 to 90 minutes).
   *
   * @example
   * ```ts
   * const tokenLifetimeMs = 5 * 60_000;
   * ```
   */
  tokenLifetimeMs?: number | undefined;
  /**
   * The emulator's clock, in ms since the epoch: the `iat`, `nbf` and `exp` of the tokens, and the
   * clock of its {@link EntraIdEmulator.verifier}. Default `Date.now`. MSAL computes a token's expiry
   * from `expires_in` / `expires_on` on the real clock, so move this clock only to test the verifier.
   *
   * @example
   * ```ts
   * let skew = 0;
   * const now = () => Date.now() + skew;
   * ```
   */
  now?: (() => number) | undefined;
  /**
   * Aborts the start: the promise rejects with the signal's reason and nothing is left listening.
   *
   * @example
   * ```ts
   * const signal = AbortSignal.timeout(10_000);
   * ```
   */
  signal?: AbortSignal | undefined;
}

/**
 * Options of {@link EntraIdEmulator.issueUserToken}.
 *
 * @example
 * ```ts
 * const options: EntraUserTokenOptions = { upn: 'alice@contoso.com', name: 'Alice', expiresInMs: 10 * 60_000 };
 * ```
 */
export interface EntraUserTokenOptions {
  /**
   * The user principal name, put in the `upn` and `unique_name` claims: `alice@contoso.com`, or a guest's
   * `alice_fabrikam.com#EXT#@contoso.onmicrosoft.com`.
   *
   * @example
   * ```ts
   * const upn = 'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com';
   * ```
   */
  upn: string;
  /**
   * The user's object id, a GUID (the `oid`). Default: a random GUID, returned with the token.
   *
   * @example
   * ```ts
   * const objectId = 'a11ce000-0000-4000-8000-000000000001';
   * ```
   */
  objectId?: string | undefined;
  /**
   * The user's display name (the `name` claim). Default: the UPN's part before `@`.
   *
   * @example
   * ```ts
   * const name = 'Alice Example';
   * ```
   */
  name?: string | undefined;
  /**
   * The resource the token is for (its `aud`), with or without `/.default`. Default
   * `https://ossrdbms-aad.database.windows.net`.
   *
   * @example
   * ```ts
   * const resource = 'https://ossrdbms-aad.database.windows.net/.default';
   * ```
   */
  resource?: string | undefined;
  /**
   * How long the token lasts, in ms, from 1,000. Default: the emulator's `tokenLifetimeMs`.
   *
   * @example
   * ```ts
   * const expiresInMs = 90_000;
   * ```
   */
  expiresInMs?: number | undefined;
}

/**
 * A user's access token from {@link EntraIdEmulator.issueUserToken}: an `AccessToken` of `@azure/core-auth`,
 * and the user's object id.
 *
 * @example
 * ```ts
 * const { token, expiresOnTimestamp, objectId } = entra.issueUserToken({ upn: 'alice@contoso.com' });
 * const credential = { getToken: async () => ({ token, expiresOnTimestamp }) }; // a TokenCredential
 * ```
 */
export interface EntraUserToken {
  /**
   * The JWT.
   *
   * @example
   * ```ts
   * const password = entra.issueUserToken({ upn }).token;
   * ```
   */
  readonly token: string;
  /**
   * When it expires, in ms since the epoch (its `exp` × 1000).
   *
   * @example
   * ```ts
   * expect(user.expiresOnTimestamp).toBeGreaterThan(Date.now());
   * ```
   */
  readonly expiresOnTimestamp: number;
  /**
   * The user's object id (the token's `oid`).
   *
   * @example
   * ```ts
   * const verify = entra.verifier({ roles: { alice: user.objectId } });
   * ```
   */
  readonly objectId: string;
}

/**
 * Options of {@link EntraIdEmulator.verifier}.
 *
 * @example
 * ```ts
 * const verify = entra.verifier({ roles: { app: appObjectId }, byUpn: false });
 * ```
 */
export interface EntraVerifierOptions {
  /**
   * Roles bound to an Entra object id, role name → object id, as `pgaadauth_create_principal_with_oid()`
   * binds them: such a role logs in only with a token whose `oid` is that id. Default none.
   *
   * @example
   * ```ts
   * const roles = { app: appObjectId, webapp: webAppObjectId };
   * ```
   */
  roles?: Readonly<Record<string, string>> | undefined;
  /**
   * Let users not in `roles` log in when their name is exactly the token's `upn` or `unique_name`.
   * Default `true`.
   *
   * @example
   * ```ts
   * const byUpn = false;
   * ```
   */
  byUpn?: boolean | undefined;
  /**
   * The `aud` tokens must carry. Default `https://ossrdbms-aad.database.windows.net`, Azure Database for
   * PostgreSQL and MySQL's.
   *
   * @example
   * ```ts
   * const audience = 'https://ossrdbms-aad.database.windows.net';
   * ```
   */
  audience?: string | undefined;
  /**
   * The clock, in ms. Default: the emulator's `now`.
   *
   * @example
   * ```ts
   * const now = () => Date.now() + 2 * 3600_000;
   * ```
   */
  now?: (() => number) | undefined;
  /**
   * The clock skew allowed on `exp` and `nbf`, in ms, from 0 to 300,000. Default 300,000.
   *
   * @example
   * ```ts
   * const clockSkewMs = 0;
   * ```
   */
  clockSkewMs?: number | undefined;
}

/**
 * The login check {@link EntraIdEmulator.verifier} returns: give it to {@link startVerifyingPostgres} or
 * {@link startVerifyingMariaDb} as `verify`.
 *
 * @example
 * ```ts
 * const verify: EntraTokenVerifier = entra.verifier({ roles: { app: appObjectId } });
 * const db = await startVerifyingPostgres({ users: ['app'], verify });
 * ```
 */
export type EntraTokenVerifier = (token: string, user: string) => Promise<EntraTokenVerdict>;

/**
 * The environment of an App Service app with a managed identity, pointing at the emulator: what
 * `ManagedIdentityCredential` (through MSAL) reads to choose the App Service source.
 *
 * @example
 * ```ts
 * const env: EntraManagedIdentityEnv = entra.managedIdentityEnv;
 * // { IDENTITY_ENDPOINT: 'https://127.0.0.1:40123/msi/token', IDENTITY_HEADER: '…' }
 * ```
 */
export interface EntraManagedIdentityEnv {
  /**
   * The URL of the emulator's managed-identity endpoint.
   *
   * @example
   * ```ts
   * process.env.IDENTITY_ENDPOINT = entra.managedIdentityEnv.IDENTITY_ENDPOINT;
   * ```
   */
  readonly IDENTITY_ENDPOINT: string;
  /**
   * The secret the endpoint wants as the `X-IDENTITY-HEADER` header (random, made at start).
   *
   * @example
   * ```ts
   * process.env.IDENTITY_HEADER = entra.managedIdentityEnv.IDENTITY_HEADER;
   * ```
   */
  readonly IDENTITY_HEADER: string;
}

/**
 * One HTTP request as the emulator saw it, with its answer. It never holds a secret, a header value or a
 * token.
 *
 * @example
 * ```ts
 * expect(entra.requests.at(-1)).toMatchObject({ endpoint: 'token', clientId, ok: false, status: 401, error: 'invalid_client', errorCode: 7000215 });
 * ```
 */
export interface EntraRequestRecord {
  /**
   * The HTTP method.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.method).toBe('POST');
   * ```
   */
  readonly method: string;
  /**
   * The path, without the query string.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.path).toBe(`/${entra.tenantId}/oauth2/v2.0/token`);
   * ```
   */
  readonly path: string;
  /**
   * What was asked for: `'openid-configuration'`, `'jwks'`, `'instance-discovery'`, `'token'` (the v2.0
   * token endpoint), `'managed-identity'`, or `'unknown'` (404).
   *
   * @example
   * ```ts
   * expect(entra.requests.map((r) => r.endpoint)).toEqual(['openid-configuration', 'token']);
   * ```
   */
  readonly endpoint: 'openid-configuration' | 'jwks' | 'instance-discovery' | 'token' | 'managed-identity' | 'unknown';
  /**
   * The `grant_type` of a token request.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.grantType).toBe('client_credentials');
   * ```
   */
  readonly grantType?: string | undefined;
  /**
   * The client id of a token request, or of the managed identity that got a token.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.clientId).toBe(clientId);
   * ```
   */
  readonly clientId?: string | undefined;
  /**
   * The resource a token was asked for (the scope without `/.default`, or the `resource` parameter).
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.resource).toBe('https://ossrdbms-aad.database.windows.net');
   * ```
   */
  readonly resource?: string | undefined;
  /**
   * Whether it was answered with 200.
   *
   * @example
   * ```ts
   * expect(entra.requests.every((r) => r.ok)).toBe(true);
   * ```
   */
  readonly ok: boolean;
  /**
   * The HTTP status answered.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.status).toBe(401);
   * ```
   */
  readonly status: number;
  /**
   * The OAuth `error` of a refused token request (`invalid_client`, `unauthorized_client`,
   * `invalid_scope`, `invalid_request`, `unsupported_grant_type`), or `'unauthorized'` / `'bad_request'`
   * for the managed-identity endpoint.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.error).toBe('invalid_client');
   * ```
   */
  readonly error?: string | undefined;
  /**
   * The AADSTS number of a refused token request (7000215 for a wrong secret, 700016 for an unknown app,
   * 1002012 for a scope without `/.default`, …).
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.errorCode).toBe(700016);
   * ```
   */
  readonly errorCode?: number | undefined;
  /**
   * Why it was refused, in a fixed phrase.
   *
   * @example
   * ```ts
   * expect(entra.requests.at(-1)?.reason).toBe('wrong X-IDENTITY-HEADER');
   * ```
   */
  readonly reason?: string | undefined;
}

/**
 * A service principal the emulator knows, without its secret.
 *
 * @example
 * ```ts
 * const [app] = entra.servicePrincipals; // { clientId, objectId, displayName }
 * ```
 */
export interface EntraServicePrincipalInfo {
  /**
   * The application (client) id.
   *
   * @example
   * ```ts
   * expect(entra.servicePrincipals[0]?.clientId).toBe(clientId);
   * ```
   */
  readonly clientId: string;
  /**
   * The service principal's object id: the `oid` of its tokens.
   *
   * @example
   * ```ts
   * const verify = entra.verifier({ roles: { app: entra.servicePrincipals[0]!.objectId } });
   * ```
   */
  readonly objectId: string;
  /**
   * Its display name, if it has one.
   *
   * @example
   * ```ts
   * expect(entra.servicePrincipals[0]?.displayName).toBe('orders-api');
   * ```
   */
  readonly displayName?: string | undefined;
}

/**
 * A running {@link startEntraIdEmulator}.
 *
 * @example
 * ```ts
 * const entra: EntraIdEmulator = await startEntraIdEmulator({ servicePrincipals: [{ clientId, clientSecret }] });
 * const credential = new ClientSecretCredential(entra.tenantId, clientId, clientSecret, {
 *   authorityHost: entra.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: entra.ca },
 * });
 * await entra.close();
 * ```
 */
export interface EntraIdEmulator {
  /**
   * The authority host, `https://127.0.0.1:<port>`: the credentials' `authorityHost` option (or
   * `AZURE_AUTHORITY_HOST`).
   *
   * @example
   * ```ts
   * const options = { authorityHost: entra.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: entra.ca } };
   * ```
   */
  readonly authorityHost: string;
  /**
   * The tenant id.
   *
   * @example
   * ```ts
   * new ClientSecretCredential(entra.tenantId, clientId, clientSecret, options);
   * ```
   */
  readonly tenantId: string;
  /**
   * The issuer of its access tokens (their `iss`): `https://sts.windows.net/<tenant id>/`, as Entra's
   * v1.0 access tokens, which Azure Database for PostgreSQL and MySQL get.
   *
   * @example
   * ```ts
   * verifyEntraToken(token, { jwks: entra.jwks, issuer: entra.issuer, audience, user });
   * ```
   */
  readonly issuer: string;
  /**
   * The PEM of the CA that signed its TLS certificate (for `127.0.0.1` and `localhost`): give it to
   * `@azure/identity` as `tlsOptions: { ca }`, or through `NODE_EXTRA_CA_CERTS` (a file) to a child process.
   *
   * @example
   * ```ts
   * const tlsOptions = { ca: entra.ca };
   * ```
   */
  readonly ca: string;
  /**
   * Where its signing keys are served (`<authorityHost>/<tenant>/discovery/v2.0/keys`, the OpenID
   * configuration's `jwks_uri`).
   *
   * @example
   * ```ts
   * const jwks = await new Promise((resolve, reject) => {
   *   https.get(entra.jwksUri, { ca: entra.ca }, async (res) => {
   *     let body = '';
   *     for await (const chunk of res) body += chunk;
   *     resolve(JSON.parse(body));
   *   }).on('error', reject);
   * });
   * ```
   */
  readonly jwksUri: string;
  /**
   * The document `jwksUri` serves.
   *
   * @example
   * ```ts
   * verifyEntraToken(token, { jwks: entra.jwks, issuer: entra.issuer, audience, user });
   * ```
   */
  readonly jwks: EntraJwks;
  /**
   * The service principals, with their object ids (generated when not given), without secrets.
   *
   * @example
   * ```ts
   * const roles = { app: entra.servicePrincipals[0]!.objectId };
   * ```
   */
  readonly servicePrincipals: readonly EntraServicePrincipalInfo[];
  /**
   * The App Service system-assigned managed identity's ids (generated when not given).
   *
   * @example
   * ```ts
   * const roles = { webapp: entra.managedIdentity.objectId };
   * ```
   */
  readonly managedIdentity: {
    /** The identity's client id: the `appid` of its tokens. */
    readonly clientId: string;
    /** The identity's object id: the `oid` of its tokens. */
    readonly objectId: string;
  };
  /**
   * `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` of an App Service app whose identity this emulator serves:
   * set them in the environment of the process that makes a `ManagedIdentityCredential`.
   *
   * @example
   * ```ts
   * Object.assign(process.env, entra.managedIdentityEnv);
   * ```
   */
  readonly managedIdentityEnv: EntraManagedIdentityEnv;
  /**
   * Every HTTP request so far, in order, each a frozen record (the verifier's JWKS fetches included).
   *
   * @example
   * ```ts
   * expect(entra.requests.filter((r) => r.endpoint === 'token').map((r) => r.status)).toEqual([200, 401]);
   * ```
   */
  readonly requests: readonly EntraRequestRecord[];
  /**
   * Issues a user's access token, signed like the others: what `az login` then
   * `az account get-access-token --resource https://ossrdbms-aad.database.windows.net` (or
   * `AzureCliCredential`, or an interactive sign-in) would give, which cannot run here. Claims: `aud`,
   * `iss`, `iat`, `nbf`, `exp`, `tid`, `oid`, `sub`, `upn`, `unique_name`, `name`, `appid` (Azure CLI's),
   * `scp: 'user_impersonation'`, `amr: ['pwd']`, `idtyp: 'user'`, `ver: '1.0'`. Bad options throw a
   * {@link ConfigError} naming the field.
   *
   * @example
   * ```ts
   * const alice = entra.issueUserToken({ upn: 'alice@contoso.com' });
   * const c = new pg.Client({ ...where, user: 'alice@contoso.com', password: alice.token, ssl: { ca: db.ca } });
   * ```
   */
  issueUserToken(options: EntraUserTokenOptions): EntraUserToken;
  /**
   * A login check for {@link startVerifyingPostgres} / {@link startVerifyingMariaDb}'s `verify`: it
   * fetches the JWKS from {@link EntraIdEmulator.jwksUri} over HTTPS (trusting only {@link EntraIdEmulator.ca})
   * at its first use, keeps it (a failed fetch is tried again next time), and checks each token with
   * {@link verifyEntraToken} against it, this tenant's issuer, `audience` and the emulator's clock.
   *
   * @example
   * ```ts
   * const db = await startVerifyingPostgres({ users: ['app'], verify: entra.verifier({ roles: { app: appObjectId } }) });
   * ```
   */
  verifier(options?: EntraVerifierOptions): EntraTokenVerifier;
  /**
   * Stops listening and drops open connections; resolves once closed, leaving nothing that keeps the
   * process alive. Verifiers that already fetched the JWKS keep working. Calling it again is harmless.
   *
   * @example
   * ```ts
   * afterAll(() => entra.close());
   * ```
   */
  close(): Promise<void>;
}

/** Azure CLI's application id: the `appid` of the user tokens `az account get-access-token` gets. */
const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const MIN_LIFETIME_MS = 60_000;
const MAX_LIFETIME_MS = 86_400_000;
const MAX_BODY_BYTES = 64 * 1024;
const APP_SERVICE_API_VERSION = '2019-08-01';
const JWKS_FETCH_TIMEOUT_MS = 10_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function guidOption(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !GUID.test(value)) throw new ConfigError(field, `must be a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`);
  return value.toLowerCase();
}

/** A UPN: `local@domain`, nothing blank, no spaces or control characters (guests' `#EXT#` is fine). */
const UPN = /^[^\s@\x00-\x1f\x7f]+@[^\s@\x00-\x1f\x7f]+$/;

function resourceOf(value: string): string {
  return value.endsWith('/.default') ? value.slice(0, -'/.default'.length) : value;
}

/** Entra's `timestamp` field: `2024-05-01 12:34:56Z`. */
function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A claim-like random id (`uti`, `aio`): base64url. */
const opaque = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** The same secret, compared in constant time. */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

/** The JSON body of an HTTPS GET that trusts only `ca`; no agent, so the socket closes after it. */
function fetchJson(url: string, ca: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, agent: false, timeout: JWKS_FETCH_TIMEOUT_MS, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error('not JSON'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

interface SpEntry {
  clientId: string;
  clientSecret: string;
  objectId: string;
  displayName?: string | undefined;
}

/**
 * Starts an emulator of Microsoft Entra ID's token service over HTTPS on `127.0.0.1` (any free port, its
 * own CA), for tests that get Azure tokens with the real `@azure/identity` credentials and log in to a
 * database with them. It serves, for its one tenant:
 *
 * - `GET /<tenant>/v2.0/.well-known/openid-configuration` (and the v1.0 one, `/<tenant>/.well-known/openid-configuration`),
 *   the metadata MSAL reads before its first token request, with the issuer on the emulator's own origin;
 * - `GET /<tenant>/discovery/v2.0/keys` (also `/discovery/keys`, and under `/common/`): the JWKS;
 * - `GET /common/discovery/instance`: instance discovery, answered as Entra answers it for a custom host
 *   (MSAL itself asks `login.microsoftonline.com`, so give credentials `disableInstanceDiscovery: true`);
 * - `POST /<tenant>/oauth2/v2.0/token` with `grant_type=client_credentials`: checks `client_id` and
 *   `client_secret` (form body, or HTTP Basic) against `servicePrincipals`, and that `scope` is exactly one
 *   `<resource>/.default`. Refusals are shaped like Entra's, `{ error, error_description: 'AADSTS…',
 *   error_codes, timestamp, trace_id, correlation_id, error_uri }`: `unauthorized_client` AADSTS700016 (400)
 *   for an unknown app, `invalid_client` AADSTS7000215 (401) for a wrong secret and AADSTS7000216 for none,
 *   `invalid_scope` AADSTS1002012 (a scope without `/.default`) or AADSTS70011 (several), `invalid_request`
 *   AADSTS900144 (a missing parameter), AADSTS90002 (another tenant) or AADSTS900561 (not POST),
 *   `unsupported_grant_type` AADSTS70003. A token is `{ token_type: 'Bearer', expires_in, ext_expires_in, access_token }`;
 * - `GET /msi/token?api-version=2019-08-01&resource=<resource>` with `X-IDENTITY-HEADER`: App Service's
 *   managed-identity endpoint (see {@link EntraIdEmulator.managedIdentityEnv}), answering
 *   `{ access_token, expires_on, resource, token_type, client_id }` (`expires_on` in epoch seconds, as a
 *   string), 401 for a missing or wrong header and 400 for a bad request or another identity.
 *
 * Access tokens are Entra v1.0 access tokens, RS256 with a `kid` in the JWKS: `aud` (the resource), `iss`
 * `https://sts.windows.net/<tenant>/`, `iat`, `nbf`, `exp`, `tid`, `oid`, `sub`, `appid`, `appidacr`, `idp`,
 * `idtyp: 'app'`, `uti`, `ver: '1.0'`. {@link EntraIdEmulator.issueUserToken} makes users' tokens, and
 * {@link EntraIdEmulator.verifier} checks tokens as Azure Database for PostgreSQL and MySQL do. Bad options
 * throw a {@link ConfigError} naming the field. Nothing secret is recorded.
 *
 * @example
 * ```ts
 * import { ClientSecretCredential } from '@azure/identity';
 * import { startEntraIdEmulator, startVerifyingPostgres } from 'dbtoken/testing';
 * const entra = await startEntraIdEmulator({ servicePrincipals: [{ clientId, clientSecret: 'test-secret' }] });
 * const credential = new ClientSecretCredential(entra.tenantId, clientId, 'test-secret', {
 *   authorityHost: entra.authorityHost, // or AZURE_AUTHORITY_HOST
 *   disableInstanceDiscovery: true, // MSAL would ask login.microsoftonline.com first
 *   tlsOptions: { ca: entra.ca }, // trust the emulator's CA, for this credential only
 * });
 * const { token } = await credential.getToken('https://ossrdbms-aad.database.windows.net/.default');
 * const db = await startVerifyingPostgres({ users: ['app'], verify: entra.verifier({ roles: { app: entra.servicePrincipals[0]!.objectId } }) });
 * // pg logs in to db as app with password: token
 * await db.close();
 * await entra.close();
 * ```
 */
export async function startEntraIdEmulator(options: EntraIdEmulatorOptions = {}): Promise<EntraIdEmulator> {
  if (!isObject(options)) throw new ConfigError('options', `must be an object, got ${describe(options)}`);
  const tenantId = guidOption('tenantId', options.tenantId) ?? randomUUID();

  const spList = options.servicePrincipals ?? [];
  if (!Array.isArray(spList)) throw new ConfigError('servicePrincipals', `must be an array of { clientId, clientSecret, objectId?, displayName? }, got ${describe(spList)}`);
  const principals = new Map<string, SpEntry>();
  const objectIds = new Set<string>();
  (spList as readonly unknown[]).forEach((sp, i) => {
    const field = `servicePrincipals[${i}]`;
    if (!isObject(sp)) throw new ConfigError(field, `must be { clientId, clientSecret, objectId?, displayName? }, got ${describe(sp)}`);
    const clientId = guidOption(`${field}.clientId`, sp.clientId);
    if (clientId === undefined) throw new ConfigError(`${field}.clientId`, 'is required: the application (client) id, a GUID');
    if (principals.has(clientId)) throw new ConfigError(`${field}.clientId`, `is ${clientId}, which an earlier service principal has`);
    if (typeof sp.clientSecret !== 'string' || sp.clientSecret === '') throw new ConfigError(`${field}.clientSecret`, `must be a non-empty string, got ${describe(sp.clientSecret)}`);
    const objectId = guidOption(`${field}.objectId`, sp.objectId) ?? randomUUID();
    if (objectIds.has(objectId)) throw new ConfigError(`${field}.objectId`, `is ${objectId}, which another principal has`);
    objectIds.add(objectId);
    if (sp.displayName !== undefined && (typeof sp.displayName !== 'string' || sp.displayName === '')) {
      throw new ConfigError(`${field}.displayName`, `must be a non-empty string, got ${describe(sp.displayName)}`);
    }
    principals.set(clientId, { clientId, clientSecret: sp.clientSecret, objectId, displayName: sp.displayName as string | undefined });
  });

  const mi = options.managedIdentity ?? {};
  if (!isObject(mi)) throw new ConfigError('managedIdentity', `must be { clientId?, objectId? }, got ${describe(mi)}`);
  const managedIdentity = Object.freeze({
    clientId: guidOption('managedIdentity.clientId', mi.clientId) ?? randomUUID(),
    objectId: guidOption('managedIdentity.objectId', mi.objectId) ?? randomUUID(),
  });
  if (objectIds.has(managedIdentity.objectId)) throw new ConfigError('managedIdentity.objectId', `is ${managedIdentity.objectId}, which a service principal has`);
  if (principals.has(managedIdentity.clientId)) throw new ConfigError('managedIdentity.clientId', `is ${managedIdentity.clientId}, which a service principal has`);

  const lifetimeMs = options.tokenLifetimeMs ?? 3_600_000;
  if (typeof lifetimeMs !== 'number' || !Number.isFinite(lifetimeMs) || lifetimeMs < MIN_LIFETIME_MS || lifetimeMs > MAX_LIFETIME_MS) {
    throw new ConfigError('tokenLifetimeMs', `must be a number of ms from ${MIN_LIFETIME_MS} to ${MAX_LIFETIME_MS}, got ${describe(lifetimeMs)}`);
  }
  if (options.now !== undefined && typeof options.now !== 'function') throw new ConfigError('now', `must be a function returning ms since the epoch, got ${describe(options.now)}`);
  const now = options.now ?? Date.now;
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ConfigError('signal', `must be an AbortSignal, got ${describe(signal)}`);
  throwIfAborted(signal);

  const { privateKey: signingKey } = await rsaKeyPair(2048);
  throwIfAborted(signal);
  const jwk = rsaSigningJwk(signingKey);
  const jwks: EntraJwks = Object.freeze({ keys: Object.freeze([Object.freeze(jwk)]) });
  const certs = emulatorCertificates(['127.0.0.1', 'localhost'], 'dbtoken Entra ID emulator');
  const identityHeader = randomBytes(24).toString('base64url');
  const issuer = `https://sts.windows.net/${tenantId}/`;

  const requests: EntraRequestRecord[] = [];
  let closed = false;
  // Filled in once listening.
  let authorityHost = '';

  /** Claims every access token carries. */
  const baseClaims = (resource: string, lifetime: number): { claims: Record<string, unknown>; exp: number } => {
    const iat = Math.floor(now() / 1000);
    const exp = iat + Math.max(1, Math.floor(lifetime / 1000));
    return { claims: { aud: resource, iss: issuer, iat, nbf: iat, exp }, exp };
  };
  const sign = (claims: Record<string, unknown>): string => signJwt({ kid: jwk.kid }, claims, signingKey);

  /** An app-only token (service principal: appidacr 1; managed identity: appidacr 2). */
  const appToken = (resource: string, app: { clientId: string; objectId: string; displayName?: string | undefined }, appidacr: '1' | '2'): { token: string; exp: number } => {
    const { claims, exp } = baseClaims(resource, lifetimeMs);
    const token = sign({
      ...claims,
      aio: opaque(24),
      ...(app.displayName !== undefined ? { app_displayname: app.displayName } : {}),
      appid: app.clientId,
      appidacr,
      idp: issuer,
      idtyp: 'app',
      oid: app.objectId,
      rh: opaque(24),
      sub: app.objectId,
      tid: tenantId,
      uti: opaque(16),
      ver: '1.0',
    });
    return { token, exp };
  };

  const issueUserToken = (o: EntraUserTokenOptions): EntraUserToken => {
    if (!isObject(o)) throw new ConfigError('options', `must be { upn, objectId?, name?, resource?, expiresInMs? }, got ${describe(o)}`);
    if (typeof o.upn !== 'string' || !UPN.test(o.upn)) {
      throw new ConfigError('upn', `must be a user principal name such as alice@contoso.com (a guest's with #EXT#), got ${typeof o.upn === 'string' ? JSON.stringify(o.upn) : describe(o.upn)}`);
    }
    const objectId = guidOption('objectId', o.objectId) ?? randomUUID();
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) throw new ConfigError('name', `must be a non-empty string, got ${describe(o.name)}`);
    if (o.resource !== undefined && (typeof o.resource !== 'string' || resourceOf(o.resource) === '')) throw new ConfigError('resource', `must be a resource URI such as ${OSS_RDBMS_RESOURCE}, got ${describe(o.resource)}`);
    const lifetime = o.expiresInMs ?? lifetimeMs;
    if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime < 1000 || lifetime > MAX_LIFETIME_MS) {
      throw new ConfigError('expiresInMs', `must be a number of ms from 1000 to ${MAX_LIFETIME_MS}, got ${describe(lifetime)}`);
    }
    const resource = resourceOf(o.resource ?? OSS_RDBMS_RESOURCE);
    const { claims, exp } = baseClaims(resource, lifetime);
    const name = o.name ?? o.upn.slice(0, o.upn.lastIndexOf('@'));
    const token = sign({
      ...claims,
      acr: '1',
      aio: opaque(24),
      amr: ['pwd'],
      appid: AZURE_CLI_APP_ID,
      appidacr: '0',
      idtyp: 'user',
      ipaddr: '127.0.0.1',
      name,
      oid: objectId,
      rh: opaque(24),
      scp: 'user_impersonation',
      // Entra's `sub` for users is pairwise: per user and application.
      sub: createHash('sha256').update(`${objectId}/${AZURE_CLI_APP_ID}`).digest('base64url').slice(0, 43),
      tid: tenantId,
      unique_name: o.upn,
      upn: o.upn,
      uti: opaque(16),
      ver: '1.0',
    });
    return Object.freeze({ token, expiresOnTimestamp: exp * 1000, objectId });
  };

  // --- HTTP.

  const openIdConfiguration = (v2: boolean): Record<string, unknown> => {
    const base = `${authorityHost}/${tenantId}`;
    const common = {
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/${v2 ? 'v2.0/' : ''}keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', v2 ? 'id_token token' : 'token id_token', ...(v2 ? [] : ['token'])],
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
    return v2
      ? {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          ...common,
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          issuer: `${base}/v2.0`,
          request_uri_parameter_supported: false,
          userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          kerberos_endpoint: `${base}/kerberos`,
        }
      : {
          token_endpoint: `${base}/oauth2/token`,
          ...common,
          scopes_supported: ['openid'],
          issuer,
          microsoft_multi_refresh_token: true,
          check_session_iframe: `${base}/oauth2/checksession`,
          end_session_endpoint: `${base}/oauth2/logout`,
          userinfo_endpoint: `${base}/openid/userinfo`,
          authorization_endpoint: `${base}/oauth2/authorize`,
          device_authorization_endpoint: `${base}/oauth2/devicecode`,
          kerberos_endpoint: `${base}/kerberos`,
        };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? '';
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    const path = url.pathname;
    const record: Mutable<EntraRequestRecord> = { method, path, endpoint: 'unknown', ok: false, status: 0 };
    const traceId = randomUUID();
    const clientRequestId = String(req.headers['client-request-id'] ?? '');
    const correlationId = GUID.test(clientRequestId) ? clientRequestId.toLowerCase() : randomUUID();

    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      record.ok = status === 200;
      requests.push(Object.freeze({ ...record }));
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
        'cache-control': 'no-store, no-cache',
        pragma: 'no-cache',
        'x-ms-request-id': traceId,
        ...(GUID.test(clientRequestId) ? { 'client-request-id': clientRequestId } : {}),
        ...headers,
      });
      res.end(text);
    };
    /** An Entra error answer. */
    const refuse = (status: number, error: string, code: number, message: string, reason: string): void => {
      record.error = error;
      record.errorCode = code;
      record.reason = reason;
      const at = now();
      send(status, {
        error,
        error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${entraTimestamp(at)}`,
        error_codes: [code],
        timestamp: entraTimestamp(at),
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${authorityHost}/error?code=${code}`,
      });
    };
    /** An App Service managed-identity error answer. */
    const refuseMi = (status: number, message: string, reason: string): void => {
      record.error = status === 401 ? 'unauthorized' : 'bad_request';
      record.reason = reason;
      send(status, { statusCode: status, message, correlationId });
    };

    // The body, bounded (only the token endpoint reads it).
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    }
    if (size > MAX_BODY_BYTES) {
      record.reason = 'body too large';
      return send(413, { error: 'invalid_request', error_description: `the body is larger than ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
    }
    const body = Buffer.concat(chunks).toString('utf8');

    const segments = path.split('/').filter((s) => s !== '');
    const [first, ...rest] = segments;
    const route = rest.join('/');
    const tenantPart = first?.toLowerCase();

    // App Service managed identity.
    if (path.toLowerCase() === '/msi/token') {
      record.endpoint = 'managed-identity';
      if (method !== 'GET') return refuseMi(405, 'The managed identity endpoint takes GET.', 'not GET');
      const header = req.headers['x-identity-header'];
      if (typeof header !== 'string' || header === '') return refuseMi(401, 'The X-IDENTITY-HEADER header is missing.', 'no X-IDENTITY-HEADER');
      if (!sameSecret(header, identityHeader)) return refuseMi(401, 'The X-IDENTITY-HEADER header is not valid.', 'wrong X-IDENTITY-HEADER');
      const apiVersion = url.searchParams.get('api-version');
      if (apiVersion !== APP_SERVICE_API_VERSION) return refuseMi(400, `The api-version must be ${APP_SERVICE_API_VERSION}.`, 'wrong api-version');
      const resourceParam = url.searchParams.get('resource');
      if (resourceParam === null || resourceOf(resourceParam) === '') return refuseMi(400, 'The resource parameter is required.', 'no resource');
      const resource = resourceOf(resourceParam);
      record.resource = resource;
      const asked = [
        ['client_id', managedIdentity.clientId],
        ['object_id', managedIdentity.objectId],
        ['principal_id', managedIdentity.objectId],
      ] as const;
      for (const [param, id] of asked) {
        const v = url.searchParams.get(param);
        if (v !== null && v.toLowerCase() !== id) return refuseMi(400, 'Unable to load the proper Managed Identity.', 'not this app\'s identity');
      }
      if (url.searchParams.has('mi_res_id')) return refuseMi(400, 'Unable to load the proper Managed Identity.', 'not this app\'s identity');
      record.clientId = managedIdentity.clientId;
      const { token, exp } = appToken(resource, managedIdentity, '2');
      return send(200, { access_token: token, expires_on: String(exp), resource, token_type: 'Bearer', client_id: managedIdentity.clientId });
    }

    // Instance discovery, as Entra answers it for a host it does not know (a custom domain).
    if (tenantPart === 'common' && route === 'discovery/instance') {
      record.endpoint = 'instance-discovery';
      const host = new URL(authorityHost).host;
      return send(200, {
        tenant_discovery_endpoint: `${authorityHost}/${tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }

    // The JWKS: the tenant's, and the common one (the same key).
    if ((tenantPart === tenantId || tenantPart === 'common') && (route === 'discovery/v2.0/keys' || route === 'discovery/keys')) {
      record.endpoint = 'jwks';
      return send(200, jwks);
    }

    const v2Config = route === 'v2.0/.well-known/openid-configuration';
    const v1Config = route === '.well-known/openid-configuration';
    if (v2Config || v1Config) {
      record.endpoint = 'openid-configuration';
      if (tenantPart !== tenantId) {
        return refuse(400, 'invalid_tenant', 90002, `Tenant '${first ?? ''}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, 'unknown tenant');
      }
      return send(200, openIdConfiguration(v2Config));
    }

    if (route === 'oauth2/v2.0/token') {
      record.endpoint = 'token';
      if (method !== 'POST') return refuse(400, 'invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`, 'not POST');
      if (tenantPart !== tenantId) {
        return refuse(400, 'invalid_request', 90002, `Tenant '${first ?? ''}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`, 'unknown tenant');
      }
      const form = new URLSearchParams(body);
      let clientId = form.get('client_id') ?? undefined;
      let clientSecret = form.get('client_secret') ?? undefined;
      // client_secret_basic: `Basic base64(urlencode(id):urlencode(secret))`.
      const auth = req.headers.authorization;
      if (typeof auth === 'string' && /^basic /i.test(auth)) {
        const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          try {
            clientId ??= decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
            clientSecret ??= decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
          } catch {
            // Not percent-encoded properly: treated as absent.
          }
        }
      }
      const grantType = form.get('grant_type') ?? undefined;
      if (grantType !== undefined) record.grantType = grantType;
      if (clientId !== undefined) record.clientId = clientId;
      const missing = (p: string): void =>
        refuse(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${p}'.`, `no ${p}`);
      if (grantType === undefined || grantType === '') return missing('grant_type');
      if (grantType !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`, 'unsupported grant type');
      if (clientId === undefined || clientId === '') return missing('client_id');
      const scope = form.get('scope') ?? undefined;
      if (scope === undefined || scope.trim() === '') return missing('scope');
      const sp = principals.get(clientId.toLowerCase());
      if (!sp) {
        return refuse(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
          'unknown application',
        );
      }
      if (clientSecret === undefined || clientSecret === '') {
        return refuse(401, 'invalid_client', 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.", 'no client secret');
      }
      if (!sameSecret(clientSecret, sp.clientSecret)) {
        return refuse(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${sp.clientId}'.`,
          'wrong client secret',
        );
      }
      const scopes = scope.trim().split(/\s+/);
      if (scopes.length !== 1) {
        return refuse(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope.trim()} is not valid. static scope limit exceeded.`, 'more than one scope');
      }
      const only = scopes[0]!;
      if (!only.endsWith('/.default') || resourceOf(only) === '') {
        return refuse(400, 'invalid_scope', 1002012, `The provided value for scope ${only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`, 'scope without /.default');
      }
      const resource = resourceOf(only);
      record.resource = resource;
      const { token } = appToken(resource, sp, '1');
      const expiresIn = Math.max(1, Math.floor(lifetimeMs / 1000));
      return send(200, { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token });
    }

    record.reason = 'no such endpoint';
    return send(404, { error: 'not_found', error_description: 'The emulator does not serve this path.' });
  };

  const server: Server = createServer({ key: certs.serverKey, cert: certs.serverCert, minVersion: 'TLSv1.2' }, (req, res) => {
    if (closed) {
      res.destroy();
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: 'server_error', error_description: 'the emulator failed to answer' }));
      } else {
        res.destroy();
      }
    });
  });
  const sockets = trackSockets(server);
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('tlsClientError', (_err, socket) => socket.destroy());

  const port = await listen(server, '127.0.0.1', 0);
  if (signal?.aborted) {
    closed = true;
    await closeServer(server, sockets);
    throw signal.reason;
  }
  authorityHost = `https://127.0.0.1:${port}`;
  const jwksUri = `${authorityHost}/${tenantId}/discovery/v2.0/keys`;

  const verifier = (o: EntraVerifierOptions = {}): EntraTokenVerifier => {
    if (!isObject(o)) throw new ConfigError('options', `must be { roles?, byUpn?, audience?, now?, clockSkewMs? }, got ${describe(o)}`);
    const roles = Object.fromEntries(roleMap(o.roles));
    if (o.byUpn !== undefined && typeof o.byUpn !== 'boolean') throw new ConfigError('byUpn', `must be true or false, got ${describe(o.byUpn)}`);
    const audience = o.audience ?? OSS_RDBMS_RESOURCE;
    if (typeof audience !== 'string' || audience === '') throw new ConfigError('audience', `must be a non-empty string, got ${describe(audience)}`);
    if (o.now !== undefined && typeof o.now !== 'function') throw new ConfigError('now', `must be a function returning ms, got ${describe(o.now)}`);
    const clock = o.now ?? now;
    const skew = clockSkew(o.clockSkewMs);
    const byUpn = o.byUpn ?? true;
    let keys: Promise<EntraJwks> | undefined;
    const loadKeys = (): Promise<EntraJwks> => {
      if (keys) return keys;
      const p = fetchJson(jwksUri, certs.ca).then((doc) => {
        const parsed = parseJwks(doc);
        if (!parsed.ok) throw new Error(parsed.reason);
        return parsed.value;
      });
      keys = p;
      // A failed fetch is not kept: the next login tries again.
      p.catch(() => {
        if (keys === p) keys = undefined;
      });
      return p;
    };
    return async (token: string, user: string): Promise<EntraTokenVerdict> => {
      let fetched: EntraJwks;
      try {
        fetched = await loadKeys();
      } catch (err) {
        return { ok: false, reason: `could not fetch the JWKS from ${jwksUri}: ${(err as Error).message}` };
      }
      return verifyEntraToken(token, { jwks: fetched, audience, issuer, user, roles, byUpn, now: clock(), clockSkewMs: skew });
    };
  };

  let closing: Promise<void> | undefined;
  return {
    authorityHost,
    tenantId,
    issuer,
    ca: certs.ca,
    jwksUri,
    jwks,
    servicePrincipals: Object.freeze(
      [...principals.values()].map((p) => Object.freeze({ clientId: p.clientId, objectId: p.objectId, ...(p.displayName !== undefined ? { displayName: p.displayName } : {}) })),
    ),
    managedIdentity,
    managedIdentityEnv: Object.freeze({ IDENTITY_ENDPOINT: `${authorityHost}/msi/token`, IDENTITY_HEADER: identityHeader }),
    requests,
    issueUserToken,
    verifier,
    close: () => {
      if (closing) return closing;
      closed = true;
      return (closing = closeServer(server, sockets));
    },
  };
}
