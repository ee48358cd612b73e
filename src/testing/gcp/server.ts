import { randomBytes, randomInt, verify as verifySignature, type KeyObject } from 'node:crypto';
import { rsaKeyPair } from '../key-pairs.js';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { describe } from '../../core/validation.js';
import { GCP_SQL_LOGIN_SCOPE } from '../../sources/gcp/cloud-sql.js';
import { cloudSqlUser, isServiceAccountEmail } from '../../sources/gcp/users.js';
import { emulatorCertificates } from '../certificates.js';
import { closeServer, listen, trackSockets } from '../local-server.js';
import type { LoginVerdict } from '../verifying-server.js';

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Scopes that make tokeninfo tell the token's email, as Google's does. */
const EMAIL_SCOPES: ReadonlySet<string> = new Set(['email', 'https://www.googleapis.com/auth/userinfo.email']);
/** What `gcloud auth application-default login` asks for. */
const ADC_USER_SCOPES: readonly string[] = ['openid', 'https://www.googleapis.com/auth/userinfo.email', CLOUD_PLATFORM_SCOPE, GCP_SQL_LOGIN_SCOPE];
/** The audiences a service account's JWT-bearer assertion may name: Google's token endpoints (google-auth-library hard-codes the first). */
const GOOGLE_TOKEN_AUDIENCES: readonly string[] = ['https://oauth2.googleapis.com/token', 'https://www.googleapis.com/oauth2/v4/token', 'https://accounts.google.com/o/oauth2/token'];
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MIN_LIFETIME_MS = 60_000;
const MAX_LIFETIME_MS = 12 * 3_600_000;
const ASSERTION_SKEW_S = 300;
const MAX_BODY_BYTES = 64 * 1024;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const EMAIL = /^[^\s@\u0000-\u001f\u007f]+@[^\s@.\u0000-\u001f\u007f]+(\.[^\s@.\u0000-\u001f\u007f]+)+$/;

/**
 * Options of {@link startGcpAuthEmulator}.
 *
 * @example
 * ```ts
 * const options: GcpAuthEmulatorOptions = {
 *   project: 'dbtoken-test',
 *   serviceAccounts: ['orders-api@dbtoken-test.iam.gserviceaccount.com'],
 *   users: ['ada@example.com'],
 *   metadataServiceAccount: 'orders-api@dbtoken-test.iam.gserviceaccount.com',
 * };
 * const google = await startGcpAuthEmulator(options);
 * ```
 */
export interface GcpAuthEmulatorOptions {
  /**
   * The project id: the key files' `project_id` and the metadata server's `project/project-id`.
   * Default `'dbtoken-test'`.
   *
   * @example
   * ```ts
   * const project = 'orders-prod';
   * ```
   */
  project?: string | undefined;
  /**
   * The service accounts, by email (their domain ends with `.gserviceaccount.com`). The emulator makes
   * an RSA key for each: {@link GcpAuthEmulator.serviceAccountKey} gives its key file. Emails are kept in
   * lower case. Default none.
   *
   * @example
   * ```ts
   * const serviceAccounts = ['orders-api@dbtoken-test.iam.gserviceaccount.com'];
   * ```
   */
  serviceAccounts?: readonly string[] | undefined;
  /**
   * The Google accounts (people), by email: {@link GcpAuthEmulator.authorizedUser} gives an
   * `authorized_user` ADC file for each, as `gcloud auth application-default login` writes. Emails are
   * kept in lower case. Default none.
   *
   * @example
   * ```ts
   * const users = ['ada@example.com'];
   * ```
   */
  users?: readonly string[] | undefined;
  /**
   * The service account attached to the emulated VM: the metadata server's `default`. It must be one of
   * `serviceAccounts`. Default: the first of `serviceAccounts`; with none, the metadata server has no
   * service account and its token paths answer 404.
   *
   * @example
   * ```ts
   * const metadataServiceAccount = 'orders-api@dbtoken-test.iam.gserviceaccount.com';
   * ```
   */
  metadataServiceAccount?: string | undefined;
  /**
   * How long the access tokens it issues last, in ms: from 60,000 to 43,200,000 (12 hours).
   * Default 3,600,000 (Google's hour).
   *
   * @example
   * ```ts
   * const tokenLifetimeMs = 5 * 60_000;
   * ```
   */
  tokenLifetimeMs?: number | undefined;
  /**
   * The emulator's clock, in ms since the epoch: for the tokens' expiry (what the verifier and tokeninfo
   * check) and the JWT-bearer assertions' `iat`/`exp` (within five minutes of it). Default `Date.now`.
   * google-auth-library stamps assertions with the real clock, so move this clock by less than five
   * minutes before a service-account key asks for a token, or move it after.
   *
   * @example
   * ```ts
   * let skew = 0;
   * const now = () => Date.now() + skew; // skew = 2 * 3_600_000: every token has expired
   * ```
   */
  now?: (() => number) | undefined;
  /**
   * Aborts a start under way: what was started is closed, and the promise rejects with the signal's reason.
   *
   * @example
   * ```ts
   * const signal = AbortSignal.timeout(10_000);
   * ```
   */
  signal?: AbortSignal | undefined;
}

/**
 * A service-account key file, as the Cloud console and `gcloud iam service-accounts keys create` write
 * it. Give it to `GoogleAuth` as `credentials`, or write it to a file for `keyFilename` or
 * `GOOGLE_APPLICATION_CREDENTIALS`.
 *
 * @example
 * ```ts
 * const key: GcpServiceAccountKey = google.serviceAccountKey('orders-api@dbtoken-test.iam.gserviceaccount.com');
 * writeFileSync(keyFile, JSON.stringify(key));
 * ```
 */
export interface GcpServiceAccountKey {
  /**
   * Always `'service_account'`.
   * @example `'service_account'`
   */
  readonly type: 'service_account';
  /**
   * The emulator's project.
   * @example `'dbtoken-test'`
   */
  readonly project_id: string;
  /**
   * The key's id (40 hex digits).
   * @example `'3f1c…'`
   */
  readonly private_key_id: string;
  /**
   * The RSA private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`), whose public half the emulator checks
   * assertions with.
   * @example `'-----BEGIN PRIVATE KEY-----\n…'`
   */
  readonly private_key: string;
  /**
   * The service account's email.
   * @example `'orders-api@dbtoken-test.iam.gserviceaccount.com'`
   */
  readonly client_email: string;
  /**
   * The service account's unique id (21 digits): tokeninfo's `azp` and `aud` for its tokens.
   * @example `'104958362940192837465'`
   */
  readonly client_id: string;
  /**
   * Google's authorization endpoint, as in real key files.
   * @example `'https://accounts.google.com/o/oauth2/auth'`
   */
  readonly auth_uri: string;
  /**
   * The emulator's token endpoint (`https://127.0.0.1:<port>/token`), for clients that post to the key
   * file's `token_uri` (Python's google-auth, Go's oauth2). google-auth-library for Node ignores it and
   * posts to `https://oauth2.googleapis.com/token`, which {@link GcpAuthEmulator.googleAuthOptions}
   * redirects.
   * @example `'https://127.0.0.1:43123/token'`
   */
  readonly token_uri: string;
  /**
   * As in real key files.
   * @example `'https://www.googleapis.com/oauth2/v1/certs'`
   */
  readonly auth_provider_x509_cert_url: string;
  /**
   * As in real key files.
   * @example `'https://www.googleapis.com/robot/v1/metadata/x509/orders-api%40dbtoken-test.iam.gserviceaccount.com'`
   */
  readonly client_x509_cert_url: string;
  /**
   * Always `'googleapis.com'`.
   * @example `'googleapis.com'`
   */
  readonly universe_domain: string;
}

/**
 * An `authorized_user` ADC file, as `gcloud auth application-default login` writes it: an OAuth client
 * and a refresh token the emulator issued for one user.
 *
 * @example
 * ```ts
 * const adc: GcpAuthorizedUser = google.authorizedUser('ada@example.com');
 * writeFileSync(adcFile, JSON.stringify(adc)); // GOOGLE_APPLICATION_CREDENTIALS=adcFile
 * ```
 */
export interface GcpAuthorizedUser {
  /**
   * Always `'authorized_user'`.
   * @example `'authorized_user'`
   */
  readonly type: 'authorized_user';
  /**
   * The emulator's OAuth client id.
   * @example `'418273649501-k2j3h4g5f6d7s8a9q0w1e2r3t4y5u6i7.apps.googleusercontent.com'`
   */
  readonly client_id: string;
  /**
   * The emulator's OAuth client secret.
   * @example `'GOCSPX-…'`
   */
  readonly client_secret: string;
  /**
   * A refresh token for the user and the scopes it was granted.
   * @example `'1//0g…'`
   */
  readonly refresh_token: string;
  /**
   * Empty, as gcloud writes it.
   * @example `''`
   */
  readonly account: string;
  /**
   * Always `'googleapis.com'`.
   * @example `'googleapis.com'`
   */
  readonly universe_domain: string;
}

/**
 * Options of {@link GcpAuthEmulator.authorizedUser}.
 *
 * @example
 * ```ts
 * const adc = google.authorizedUser('ada@example.com', { scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
 * ```
 */
export interface GcpAuthorizedUserOptions {
  /**
   * The scopes the user consented to: every token refreshed with this file carries them (a refresh may
   * ask for fewer with `scope`). Default what `gcloud auth application-default login` asks for:
   * `openid`, `userinfo.email`, `cloud-platform` and `sqlservice.login`.
   *
   * @example
   * ```ts
   * const scopes = ['https://www.googleapis.com/auth/cloud-platform'];
   * ```
   */
  scopes?: readonly string[] | undefined;
}

/**
 * Options of {@link GcpAuthEmulator.issue}.
 *
 * @example
 * ```ts
 * const { accessToken } = google.issue('ada@example.com', { scopes: ['https://www.googleapis.com/auth/sqlservice.login'], expiresInMs: 60_000 });
 * ```
 */
export interface GcpIssueOptions {
  /**
   * The token's scopes. Default `['https://www.googleapis.com/auth/sqlservice.login']`.
   *
   * @example
   * ```ts
   * const scopes = ['https://www.googleapis.com/auth/cloud-platform'];
   * ```
   */
  scopes?: readonly string[] | undefined;
  /**
   * How long the token lasts from the emulator's `now`, in ms; zero or less makes a token that has
   * already expired. Default the emulator's `tokenLifetimeMs`.
   *
   * @example
   * ```ts
   * const expiresInMs = -1; // expired
   * ```
   */
  expiresInMs?: number | undefined;
}

/**
 * An access token the emulator issued, as {@link GcpAuthEmulator.issue} returns it.
 *
 * @example
 * ```ts
 * const issued: GcpIssuedToken = google.issue('ada@example.com');
 * const client = new pg.Client({ host: db.host, port: db.port, user: 'ada@example.com', password: issued.accessToken, ssl: { ca: db.ca } });
 * ```
 */
export interface GcpIssuedToken {
  /**
   * The opaque access token (`ya29.` and random characters).
   * @example `'ya29.Xk2…'`
   */
  readonly accessToken: string;
  /**
   * The principal's email.
   * @example `'ada@example.com'`
   */
  readonly email: string;
  /**
   * The token's scopes.
   * @example `['https://www.googleapis.com/auth/sqlservice.login']`
   */
  readonly scopes: readonly string[];
  /**
   * When it expires, on the emulator's clock.
   * @example `new Date('2030-01-01T01:00:00Z')`
   */
  readonly expiresAt: Date;
}

/**
 * One request as the emulator saw it, with its verdict. It never holds a token, an assertion, a
 * refresh token or a client secret.
 *
 * @example
 * ```ts
 * expect(google.requests.at(-1)).toMatchObject({
 *   server: 'oauth2', method: 'POST', path: '/token', grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
 *   principal: 'orders-api@dbtoken-test.iam.gserviceaccount.com', ok: true, status: 200,
 * });
 * ```
 */
export interface GcpAuthRequestRecord {
  /**
   * Which server answered: the metadata server (HTTP) or the OAuth2 endpoints (HTTPS: token and tokeninfo).
   * @example `'metadata'`
   */
  readonly server: 'metadata' | 'oauth2';
  /**
   * The HTTP method.
   * @example `'GET'`
   */
  readonly method: string;
  /**
   * The path, without the query string.
   * @example `'/computeMetadata/v1/instance/service-accounts/default/token'`
   */
  readonly path: string;
  /**
   * The `grant_type` of a token request.
   * @example `'refresh_token'`
   */
  readonly grantType?: string | undefined;
  /**
   * The principal's email, once known: the service account of a metadata token or an assertion, the
   * user of a refresh token, the owner of a token tokeninfo was asked about.
   * @example `'ada@example.com'`
   */
  readonly principal?: string | undefined;
  /**
   * The scopes of the token issued, or asked for when refused.
   * @example `['https://www.googleapis.com/auth/sqlservice.login']`
   */
  readonly scopes?: readonly string[] | undefined;
  /**
   * Whether the request was answered with success.
   * @example `true`
   */
  readonly ok: boolean;
  /**
   * The HTTP status answered.
   * @example `400`
   */
  readonly status: number;
  /**
   * Why it was refused: the answer's `error_description` (or the metadata server's message).
   * @example `'Invalid JWT Signature.'`
   */
  readonly reason?: string | undefined;
}

/**
 * The options {@link GcpAuthEmulator.verifier} takes.
 *
 * @example
 * ```ts
 * const verify = google.verifier({ engine: 'postgres' });
 * ```
 */
export interface GcpCloudSqlVerifierOptions {
  /**
   * The engine whose user-naming convention maps a token's principal to the user logging in (see
   * `cloudSqlUser` of `dbtoken/gcp`).
   *
   * @example
   * ```ts
   * const engine = 'mysql'; // ada@example.com logs in as ada
   * ```
   */
  engine: 'postgres' | 'mysql';
}

/**
 * What a request of the `GoogleAuth` transport looks like to {@link GcpGoogleAuthOptions}: gaxios's
 * prepared options, of which only the URL is read.
 *
 * @example
 * ```ts
 * const request: GcpTransportRequest = { url: new URL('https://oauth2.googleapis.com/token') };
 * ```
 */
export interface GcpTransportRequest {
  /**
   * Where the request goes.
   * @example `new URL('https://oauth2.googleapis.com/token')`
   */
  url: URL | string;
}

/**
 * Options for google-auth-library's `GoogleAuth` (spread them into its constructor options) that point
 * its OAuth2 traffic at the emulator: `clientOptions.transporterOptions`, the defaults of the gaxios
 * instance each auth client makes, with an `adapter` that sends every `https://*.googleapis.com` request
 * (the token endpoint `https://oauth2.googleapis.com/token`, tokeninfo) to the emulator, path and query
 * kept, and an https `agent` that trusts the emulator's CA.
 *
 * @example
 * ```ts
 * import { GoogleAuth } from 'google-auth-library';
 * const auth = new GoogleAuth({ credentials: google.serviceAccountKey(sa), scopes: [SQL_LOGIN], ...google.googleAuthOptions() });
 * ```
 */
export interface GcpGoogleAuthOptions {
  /**
   * Passed by `GoogleAuth` to every auth client it makes (JWT, UserRefreshClient, Compute).
   *
   * @example
   * ```ts
   * const { clientOptions } = google.googleAuthOptions();
   * ```
   */
  clientOptions: {
    /**
     * The gaxios defaults of each client's transporter.
     *
     * @example
     * ```ts
     * const { transporterOptions } = google.googleAuthOptions().clientOptions;
     * ```
     */
    transporterOptions: {
      /**
       * An https agent that trusts the emulator's CA (and only it). Closed by {@link GcpAuthEmulator.close}.
       * @example `new https.Agent({ ca: google.ca })`
       */
      agent: Agent;
      /**
       * A gaxios adapter that rewrites `https://*.googleapis.com/<path>` to `<oauth2Url>/<path>` and hands
       * the request to gaxios's own adapter.
       *
       * @example
       * ```ts
       * const adapter = google.googleAuthOptions().clientOptions.transporterOptions.adapter;
       * ```
       */
      adapter: <O extends GcpTransportRequest, R>(options: O, defaultAdapter: (options: O) => R) => R;
    };
  };
}

/**
 * The environment of a Compute Engine VM whose metadata server is the emulator, with nothing else for
 * Application Default Credentials to find first. Spread it into `process.env` (and restore it after)
 * or into a child process's `env`.
 *
 * @example
 * ```ts
 * const saved = { ...process.env };
 * Object.assign(process.env, google.metadataEnv);
 * try { await new GoogleAuth({ scopes: [SQL_LOGIN] }).getAccessToken(); } finally { process.env = saved; }
 * ```
 */
export type GcpMetadataEnv = {
  /**
   * The metadata server, `127.0.0.1:<port>`: gcp-metadata's (and Python's google-auth's) host override.
   * @example `'127.0.0.1:41234'`
   */
  readonly GCE_METADATA_HOST: string;
  /**
   * The same: gcp-metadata reads it before `GCE_METADATA_HOST`, so a stray one cannot win.
   * @example `'127.0.0.1:41234'`
   */
  readonly GCE_METADATA_IP: string;
  /**
   * `'assume-present'`: gcp-metadata skips its "is there a metadata server" probe, whose answer it
   * caches for the whole process, and goes straight to the emulator. Set it to `''` to have the probe
   * (`GET /computeMetadata/v1/instance`) sent to the emulator, in a process that has not probed yet.
   * @example `'assume-present'`
   */
  readonly METADATA_SERVER_DETECTION: string;
  /**
   * `''`: no key file from the environment comes before the metadata server. Override it with an ADC
   * file's path to test that file on the same hermetic environment.
   * @example `''`
   */
  readonly GOOGLE_APPLICATION_CREDENTIALS: string;
  /**
   * A folder that does not exist: no gcloud ADC file (`application_default_credentials.json`) either.
   * @example `'/tmp/dbtoken-gcp-emulator-no-gcloud-5f1e…'`
   */
  readonly CLOUDSDK_CONFIG: string;
  /**
   * The emulator's project, so that `GoogleAuth` does not run `gcloud` or ask a real metadata server
   * to find one.
   * @example `'dbtoken-test'`
   */
  readonly GOOGLE_CLOUD_PROJECT: string;
  /**
   * The same, read before `GOOGLE_CLOUD_PROJECT`.
   * @example `'dbtoken-test'`
   */
  readonly GCLOUD_PROJECT: string;
};

/**
 * A running Google auth emulator: a metadata server, OAuth2 token and tokeninfo endpoints, and a
 * verifier of the access tokens they issue for Cloud SQL logins.
 *
 * @example
 * ```ts
 * const google: GcpAuthEmulator = await startGcpAuthEmulator({ serviceAccounts: [sa] });
 * const auth = new GoogleAuth({ credentials: google.serviceAccountKey(sa), scopes: [SQL_LOGIN], ...google.googleAuthOptions() });
 * const token = await auth.getAccessToken();
 * expect(google.verifier({ engine: 'postgres' })(token!, 'orders-api@dbtoken-test.iam')).toEqual({ ok: true });
 * await google.close();
 * ```
 */
export interface GcpAuthEmulator {
  /**
   * The project id.
   * @example `'dbtoken-test'`
   */
  readonly project: string;
  /**
   * The service accounts' emails, in lower case.
   * @example `['orders-api@dbtoken-test.iam.gserviceaccount.com']`
   */
  readonly serviceAccounts: readonly string[];
  /**
   * The users' emails, in lower case.
   * @example `['ada@example.com']`
   */
  readonly users: readonly string[];
  /**
   * The metadata server's `default` service account, if it has one.
   * @example `'orders-api@dbtoken-test.iam.gserviceaccount.com'`
   */
  readonly metadataServiceAccount: string | undefined;
  /**
   * The metadata server's address, `127.0.0.1:<port>`: what `GCE_METADATA_HOST` takes.
   * @example `'127.0.0.1:41234'`
   */
  readonly metadataHost: string;
  /**
   * The metadata server's URL, `http://127.0.0.1:<port>` (plain HTTP, as on Compute Engine).
   * @example `'http://127.0.0.1:41234'`
   */
  readonly metadataUrl: string;
  /**
   * The OAuth2 endpoints' URL, `https://127.0.0.1:<port>`: `/token` and `/tokeninfo` (also
   * `/oauth2/v4/token` and `/oauth2/v3/tokeninfo`).
   * @example `'https://127.0.0.1:43123'`
   */
  readonly oauth2Url: string;
  /**
   * The PEM of the CA that signed the OAuth2 endpoints' certificate (for `127.0.0.1` and `localhost`).
   * {@link GcpAuthEmulator.googleAuthOptions} trusts it for google-auth-library; give it to other clients
   * (Python's google-auth posting to the key file's `token_uri`, curl) as their CA bundle.
   * @example `'-----BEGIN CERTIFICATE-----\n…'`
   */
  readonly ca: string;
  /**
   * See {@link GcpMetadataEnv}.
   * @example
   * ```ts
   * const child = spawn(process.execPath, ['app.js'], { env: { ...process.env, ...google.metadataEnv } });
   * ```
   */
  readonly metadataEnv: GcpMetadataEnv;
  /**
   * Every request so far, in order, each a frozen record with its verdict.
   * @example
   * ```ts
   * expect(google.requests.filter((r) => r.server === 'metadata').map((r) => r.status)).toEqual([200]);
   * ```
   */
  readonly requests: readonly GcpAuthRequestRecord[];
  /**
   * The key file of one of the service accounts (a new object each call; always the same key). Throws a
   * `ConfigError` on `email` for an email that is not one of them.
   *
   * @example
   * ```ts
   * const auth = new GoogleAuth({ credentials: google.serviceAccountKey(sa), scopes: [SQL_LOGIN], ...google.googleAuthOptions() });
   * ```
   */
  serviceAccountKey(email: string): GcpServiceAccountKey;
  /**
   * An `authorized_user` ADC file for one of the users, with a new refresh token for `scopes`. Throws a
   * `ConfigError` on `email` for an email that is not one of them.
   *
   * @example
   * ```ts
   * writeFileSync(adcFile, JSON.stringify(google.authorizedUser('ada@example.com')));
   * process.env.GOOGLE_APPLICATION_CREDENTIALS = adcFile;
   * ```
   */
  authorizedUser(email: string, options?: GcpAuthorizedUserOptions): GcpAuthorizedUser;
  /**
   * See {@link GcpGoogleAuthOptions}: a new object each call, to spread into `new GoogleAuth({ ... })`.
   *
   * @example
   * ```ts
   * const auth = new GoogleAuth({ scopes: [SQL_LOGIN], ...google.googleAuthOptions() });
   * ```
   */
  googleAuthOptions(): GcpGoogleAuthOptions;
  /**
   * Mints an access token for a service account or user without a request, as if it had asked.
   * Throws a `ConfigError` naming the bad argument.
   *
   * @example
   * ```ts
   * const expired = google.issue('ada@example.com', { expiresInMs: -1 }).accessToken;
   * ```
   */
  issue(email: string, options?: GcpIssueOptions): GcpIssuedToken;
  /**
   * A `verify` for `startVerifyingPostgres` and `startVerifyingMariaDb`, deciding as Cloud SQL does with
   * IAM database authentication: the password must be an access token this emulator issued, not
   * expired on its clock, carrying the `https://www.googleapis.com/auth/sqlservice.login` scope (Cloud
   * SQL's login scope; a `cloud-platform` token without it is refused), for the principal whose Cloud SQL
   * user (`cloudSqlUser(email, engine)`) is the user logging in. Refusal reasons never quote the token.
   *
   * @example
   * ```ts
   * const db = await startVerifyingPostgres({ users: ['app'], verify: google.verifier({ engine: 'postgres' }) });
   * await db.admin('CREATE ROLE "orders-api@dbtoken-test.iam" LOGIN IN ROLE rds_iam');
   * ```
   */
  verifier(options: GcpCloudSqlVerifierOptions): (token: string, user: string) => LoginVerdict;
  /**
   * Stops both servers, drops their open connections and the agent's, and answers nothing more;
   * resolves once closed, leaving nothing that keeps the process alive. Calling it again is harmless.
   *
   * @example
   * ```ts
   * afterAll(() => google.close());
   * ```
   */
  close(): Promise<void>;
}

interface Principal {
  readonly email: string;
  readonly kind: 'service_account' | 'user';
  /** A service account's unique id, or a user's subject id. */
  readonly id: string;
}

interface ServiceAccount extends Principal {
  readonly kind: 'service_account';
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKey: KeyObject;
}

interface AccessToken {
  readonly principal: Principal;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  /** tokeninfo's `aud`/`azp`: the OAuth client a user's token went to, a service account's own id. */
  readonly audience: string;
}

interface RefreshToken {
  readonly user: Principal;
  readonly scopes: readonly string[];
}

type MutableRecord = { -readonly [K in keyof GcpAuthRequestRecord]: GcpAuthRequestRecord[K] };

function digits(n: number): string {
  let s = String(randomInt(1, 10));
  while (s.length < n) s += String(randomInt(0, 10));
  return s;
}

function alnum(n: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  while (s.length < n) s += chars[randomInt(0, chars.length)];
  return s;
}

function emailList(field: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError(field, `must be an array of emails, got ${describe(value)}`);
  return value.map((e: unknown, i) => {
    if (typeof e !== 'string' || !EMAIL.test(e)) throw new ConfigError(`${field}[${i}]`, `must be an email, got ${typeof e === 'string' ? JSON.stringify(e.slice(0, 320)) : describe(e)}`);
    return e.toLowerCase();
  });
}

function scopeList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(field, `must be a non-empty array of OAuth2 scopes, got ${describe(value)}`);
  value.forEach((s: unknown, i) => {
    if (typeof s !== 'string' || s === '' || /[\s,]/.test(s)) throw new ConfigError(`${field}[${i}]`, `must be a scope without spaces or commas, got ${describe(s)}`);
  });
  return [...new Set(value as string[])];
}

function parseScopes(text: string | undefined | null, separator: RegExp): string[] {
  return [...new Set((text ?? '').split(separator).filter((s) => s !== ''))];
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Too large: stop keeping it, let the rest drain, and answer 413.
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The fields of a form or JSON body, as strings. */
function formFields(req: IncomingMessage, body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') fields.set(k, v);
      }
    } catch {
      // an unreadable body has no fields
    }
    return fields;
  }
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (!fields.has(k)) fields.set(k, v);
  return fields;
}

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts an emulator of Google's auth endpoints on 127.0.0.1, so that the real google-auth-library
 * obtains Cloud SQL IAM login tokens (OAuth2 access tokens) in tests, and a verifying PostgreSQL or
 * MariaDB accepts only those:
 *
 * - **A metadata server** (plain HTTP, free port), answering as Compute Engine's does: requests must
 *   carry `Metadata-Flavor: Google` (403 otherwise, and for any with `X-Forwarded-For`), answers carry
 *   it. It serves `instance/service-accounts/{default,<email>}/token` (`?scopes=a,b`: a token for just
 *   those scopes; default `cloud-platform`), `…/email`, `…/scopes`, `…/aliases`, the service account's
 *   folder (`?recursive=true` gives JSON), the listings above it (the availability probe asks for
 *   `instance`), `project/project-id`, `project/numeric-project-id` and `universe/universe-domain`.
 *   Each token request gets a new token. Point clients at it with {@link GcpAuthEmulator.metadataEnv}.
 * - **OAuth2 endpoints** (HTTPS with a CA of its own, {@link GcpAuthEmulator.ca}, free port).
 *   `POST /token` takes the JWT-bearer grant of service-account keys (the assertion must be RS256,
 *   signed by the account's key, with `iss` a known account, `aud` Google's token URL or the
 *   emulator's, `iat`/`exp` within an hour of each other and five minutes of the clock, a `scope`, and
 *   no `sub` but the account itself) and the `refresh_token` grant of `authorized_user` files (the
 *   emulator's client id and secret, in the body or HTTP Basic, and a refresh token it issued). Errors
 *   are Google's: `invalid_grant` (`Invalid JWT Signature.`, …), `invalid_client`, `invalid_scope`,
 *   `unsupported_grant_type`. `GET|POST /tokeninfo` (`access_token` in the query or body, or a Bearer
 *   header) answers `{ azp, aud, sub, scope, exp, expires_in, access_type }` for a live token it
 *   issued, with `email` and `email_verified` when the token has the `userinfo.email` (or `email`)
 *   scope, as Google's does; 400 `invalid_token` otherwise. Point google-auth-library at them with
 *   {@link GcpAuthEmulator.googleAuthOptions}.
 *
 * Access tokens are opaque (`ya29.` and 64 random characters), recorded with their principal, scopes
 * and expiry; {@link GcpAuthEmulator.verifier} checks them for Cloud SQL logins. Bad options throw a
 * `ConfigError` naming the field.
 *
 * Not emulated: ID tokens (`…/identity`, `target_audience`), impersonation (iamcredentials), workload
 * identity federation, token revocation, the metadata server's token cache and its `?recursive=true`
 * above a service account.
 *
 * @example
 * ```ts
 * import { GoogleAuth } from 'google-auth-library';
 * import { startGcpAuthEmulator } from 'dbtoken/testing';
 *
 * const SQL_LOGIN = 'https://www.googleapis.com/auth/sqlservice.login';
 * const sa = 'orders-api@dbtoken-test.iam.gserviceaccount.com';
 * const google = await startGcpAuthEmulator({ serviceAccounts: [sa], users: ['ada@example.com'] });
 * const auth = new GoogleAuth({ credentials: google.serviceAccountKey(sa), scopes: [SQL_LOGIN], ...google.googleAuthOptions() });
 * const token = await auth.getAccessToken(); // 'ya29.…', from https://127.0.0.1:<port>/token
 * google.verifier({ engine: 'postgres' })(token!, 'orders-api@dbtoken-test.iam'); // { ok: true }
 * await google.close();
 * ```
 */
export async function startGcpAuthEmulator(options: GcpAuthEmulatorOptions = {}): Promise<GcpAuthEmulator> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', `must be an object, got ${describe(options)}`);
  const project = options.project ?? 'dbtoken-test';
  if (typeof project !== 'string' || !PROJECT_ID.test(project)) {
    throw new ConfigError('project', `must be a project id: 6 to 30 lower-case letters, digits and hyphens, starting with a letter (got ${typeof project === 'string' ? JSON.stringify(project) : describe(project)})`);
  }
  const serviceAccountEmails = emailList('serviceAccounts', options.serviceAccounts);
  serviceAccountEmails.forEach((e, i) => {
    if (!isServiceAccountEmail(e)) throw new ConfigError(`serviceAccounts[${i}]`, `is ${e}, not a service account's email (…@<project>.iam.gserviceaccount.com)`, 'list Google accounts of people in users');
  });
  const userEmails = emailList('users', options.users);
  userEmails.forEach((e, i) => {
    if (isServiceAccountEmail(e)) throw new ConfigError(`users[${i}]`, `is ${e}, a service account's email`, 'list it in serviceAccounts');
  });
  const all = [...serviceAccountEmails, ...userEmails];
  const twice = all.find((e, i) => all.indexOf(e) !== i);
  if (twice !== undefined) throw new ConfigError(serviceAccountEmails.indexOf(twice) !== serviceAccountEmails.lastIndexOf(twice) ? 'serviceAccounts' : 'users', `lists ${twice} twice`);
  let metadataServiceAccount: string | undefined;
  if (options.metadataServiceAccount !== undefined) {
    const m = options.metadataServiceAccount;
    if (typeof m !== 'string' || !serviceAccountEmails.includes(m.toLowerCase())) {
      throw new ConfigError('metadataServiceAccount', `must be one of serviceAccounts, got ${typeof m === 'string' ? JSON.stringify(m.slice(0, 320)) : describe(m)}`);
    }
    metadataServiceAccount = m.toLowerCase();
  } else {
    metadataServiceAccount = serviceAccountEmails[0];
  }
  const lifetimeMs = options.tokenLifetimeMs ?? 3_600_000;
  if (typeof lifetimeMs !== 'number' || !Number.isInteger(lifetimeMs) || lifetimeMs < MIN_LIFETIME_MS || lifetimeMs > MAX_LIFETIME_MS) {
    throw new ConfigError('tokenLifetimeMs', `must be a whole number of ms from ${MIN_LIFETIME_MS} to ${MAX_LIFETIME_MS}, got ${describe(lifetimeMs)}`);
  }
  if (options.now !== undefined && typeof options.now !== 'function') throw new ConfigError('now', `must be a function returning ms since the epoch, got ${describe(options.now)}`);
  const now = options.now ?? Date.now;
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ConfigError('signal', `must be an AbortSignal, got ${describe(signal)}`);
  if (signal?.aborted) throw signal.reason;

  // The directory: a key for each service account, an id for everyone.
  const keyPairs = await Promise.all(serviceAccountEmails.map(() => rsaKeyPair(2048)));
  if (signal?.aborted) throw signal.reason;
  const principals = new Map<string, Principal>();
  serviceAccountEmails.forEach((email, i) => {
    const pair = keyPairs[i]!;
    const sa: ServiceAccount = {
      email,
      kind: 'service_account',
      id: digits(21),
      keyId: randomBytes(20).toString('hex'),
      privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: pair.publicKey,
    };
    principals.set(email, sa);
  });
  for (const email of userEmails) principals.set(email, { email, kind: 'user', id: digits(21) });
  const numericProject = digits(12);
  const oauthClient = { id: `${digits(12)}-${alnum(32)}.apps.googleusercontent.com`, secret: `GOCSPX-${randomBytes(21).toString('base64url')}` };
  const tokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshToken>();
  const requests: GcpAuthRequestRecord[] = [];
  let closed = false;

  const mint = (principal: Principal, scopes: readonly string[], audience: string, lifetime = lifetimeMs): { token: string; record: AccessToken } => {
    const token = `ya29.${randomBytes(48).toString('base64url')}`;
    const record: AccessToken = { principal, scopes: Object.freeze([...scopes]), expiresAt: now() + lifetime, audience };
    tokens.set(token, record);
    return { token, record };
  };
  const expiresIn = (t: AccessToken): number => Math.max(0, Math.floor((t.expiresAt - now()) / 1000));
  const live = (token: string | undefined): AccessToken | undefined => {
    const t = token === undefined ? undefined : tokens.get(token);
    return t !== undefined && now() < t.expiresAt ? t : undefined;
  };
  const push = (record: MutableRecord): void => {
    requests.push(Object.freeze({ ...record, ...(record.scopes ? { scopes: Object.freeze([...record.scopes]) } : {}) }));
  };

  // --- The metadata server.
  const metadata = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://metadata.google.internal');
    const path = url.pathname;
    const record: MutableRecord = { server: 'metadata', method: req.method ?? 'GET', path, ok: false, status: 0 };
    const send = (status: number, body: string | Record<string, unknown>, reason?: string): void => {
      record.status = status;
      record.ok = status === 200;
      if (reason !== undefined) record.reason = reason;
      push(record);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, {
        'metadata-flavor': 'Google',
        'content-type': typeof body === 'string' ? 'application/text' : 'application/json',
        server: 'Metadata Server for VM',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.headers['x-forwarded-for'] !== undefined) return send(403, 'Request had an X-Forwarded-For header: the metadata server refuses proxied requests.\n', 'X-Forwarded-For header');
    if (req.headers['metadata-flavor'] !== 'Google') return send(403, 'Missing Metadata-Flavor:Google header.\n', 'missing Metadata-Flavor: Google');
    if (req.method !== 'GET') return send(405, 'Method not allowed.\n', 'method not allowed');
    const rel = path.replace(/^\/computeMetadata\/v1\/?/, '');
    if (rel === path) {
      if (path === '/') return send(200, 'computeMetadata/\n');
      if (path === '/computeMetadata' || path === '/computeMetadata/') return send(200, 'v1/\n');
      return send(404, 'Not Found\n', 'no such path');
    }
    const sa = metadataServiceAccount === undefined ? undefined : principals.get(metadataServiceAccount);
    const vmScopes = [CLOUD_PLATFORM_SCOPE];
    switch (rel.replace(/\/$/, '')) {
      case '':
        return send(200, 'instance/\nproject/\nuniverse/\n');
      case 'instance':
        return send(200, 'service-accounts/\n');
      case 'instance/service-accounts':
        return send(200, sa ? `default/\n${sa.email}/\n` : '');
      case 'project':
        return send(200, 'numeric-project-id\nproject-id\n');
      case 'project/project-id':
        return send(200, project);
      case 'project/numeric-project-id':
        return send(200, numericProject);
      case 'universe':
        return send(200, 'universe-domain\n');
      case 'universe/universe-domain':
        return send(200, 'googleapis.com');
    }
    const m = /^instance\/service-accounts\/([^/]+)(?:\/([^/]*))?$/.exec(rel);
    const name = m ? decodeURIComponent(m[1]!) : undefined;
    if (!m || !sa || (name !== 'default' && name?.toLowerCase() !== sa.email)) return send(404, 'Not Found\n', 'no such path');
    record.principal = sa.email;
    switch (m[2] ?? '') {
      case '':
        if (url.searchParams.get('recursive') === 'true') return send(200, { aliases: ['default'], email: sa.email, scopes: vmScopes });
        return send(200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
      case 'aliases':
        return send(200, 'default\n');
      case 'email':
        return send(200, sa.email);
      case 'scopes':
        return send(200, `${vmScopes.join('\n')}\n`);
      case 'token': {
        const asked = parseScopes(url.searchParams.get('scopes'), /[,\s]+/);
        const scopes = asked.length > 0 ? asked : vmScopes;
        record.scopes = scopes;
        const { token, record: t } = mint(sa, scopes, sa.id);
        return send(200, { access_token: token, expires_in: expiresIn(t), token_type: 'Bearer' });
      }
      default:
        return send(404, 'Not Found\n', 'no such path');
    }
  };

  // --- The OAuth2 endpoints.
  const oauth2 = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://oauth2.googleapis.com');
    const path = url.pathname;
    const record: MutableRecord = { server: 'oauth2', method: req.method ?? 'GET', path, ok: false, status: 0 };
    const send = (status: number, body: Record<string, unknown>): void => {
      record.status = status;
      record.ok = status === 200;
      if (status !== 200) record.reason = typeof body.error_description === 'string' ? body.error_description : String(body.error);
      push(record);
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const fail = (status: number, error: string, description: string): void => send(status, { error, error_description: description });
    const isToken = path === '/token' || path === '/oauth2/v4/token';
    const isInfo = path === '/tokeninfo' || path === '/oauth2/v3/tokeninfo' || path === '/oauth2/v1/tokeninfo';
    if (!isToken && !isInfo) return fail(404, 'not_found', 'The emulator does not serve this path.');
    if (req.method !== 'POST' && !(isInfo && req.method === 'GET')) return fail(405, 'invalid_request', `Method ${req.method ?? ''} is not allowed.`);
    const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    if (body === undefined) return fail(413, 'invalid_request', 'Request body too large.');
    const fields = formFields(req, body);

    if (isInfo) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
      const token = url.searchParams.get('access_token') ?? fields.get('access_token') ?? bearer;
      const t = live(token ?? undefined);
      if (!t) return fail(400, 'invalid_token', 'Invalid Value');
      record.principal = t.principal.email;
      record.scopes = t.scopes;
      const email = t.scopes.some((s) => EMAIL_SCOPES.has(s)) ? { email: t.principal.email, email_verified: 'true' } : {};
      return send(200, {
        azp: t.audience,
        aud: t.audience,
        sub: t.principal.id,
        scope: t.scopes.join(' '),
        exp: String(Math.floor(t.expiresAt / 1000)),
        expires_in: String(expiresIn(t)),
        ...email,
        access_type: t.principal.kind === 'user' ? 'offline' : 'online',
      });
    }

    const grantType = fields.get('grant_type');
    if (grantType !== undefined) record.grantType = grantType;
    if (grantType === JWT_BEARER) {
      const assertion = fields.get('assertion');
      if (!assertion) return fail(400, 'invalid_request', 'Missing required parameter: assertion');
      const parts = assertion.split('.');
      const header = parts.length === 3 ? b64json(parts[0]!) : undefined;
      const claims = parts.length === 3 ? b64json(parts[1]!) : undefined;
      if (!header || !claims) return fail(400, 'invalid_grant', 'Invalid JWT: the assertion is not a JWT.');
      const iss = typeof claims.iss === 'string' ? claims.iss.toLowerCase() : undefined;
      if (iss !== undefined) record.principal = iss;
      const scopes = parseScopes(typeof claims.scope === 'string' ? claims.scope : undefined, /\s+/);
      if (scopes.length > 0) record.scopes = scopes;
      const sa = iss === undefined ? undefined : principals.get(iss);
      if (!sa || sa.kind !== 'service_account') return fail(400, 'invalid_grant', 'Invalid grant: account not found');
      const account = sa as ServiceAccount;
      const signed = header.alg === 'RS256' && (header.kid === undefined || header.kid === account.keyId);
      const signature = Buffer.from(parts[2]!, 'base64url');
      if (!signed || !verifySignature('sha256', Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), account.publicKey, signature)) {
        return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
      }
      const audiences = [...GOOGLE_TOKEN_AUDIENCES, `${oauth2Url}/token`, `${oauth2Url}/oauth2/v4/token`];
      if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
      const nowS = now() / 1000;
      const { iat, exp } = claims;
      if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat || exp - iat > 3600 || iat > nowS + ASSERTION_SKEW_S || exp < nowS - ASSERTION_SKEW_S) {
        return fail(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
      }
      if (claims.sub !== undefined && (typeof claims.sub !== 'string' || claims.sub.toLowerCase() !== account.email)) {
        return fail(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
      }
      if (claims.target_audience !== undefined) return fail(400, 'invalid_request', 'ID tokens (target_audience) are not emulated.');
      if (scopes.length === 0) return fail(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
      const { token, record: t } = mint(account, scopes, account.id);
      return send(200, { access_token: token, expires_in: expiresIn(t), token_type: 'Bearer' });
    }
    if (grantType === 'refresh_token') {
      let clientId = fields.get('client_id');
      let clientSecret = fields.get('client_secret');
      const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
      if (basic !== undefined && clientId === undefined) {
        const decoded = Buffer.from(basic, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          try {
            clientId = decodeURIComponent(decoded.slice(0, colon));
            clientSecret = decodeURIComponent(decoded.slice(colon + 1));
          } catch {
            return fail(401, 'invalid_client', 'The OAuth client was not found.');
          }
        }
      }
      if (!clientId) return fail(400, 'invalid_request', 'Could not determine client ID from request.');
      if (clientId !== oauthClient.id) return fail(401, 'invalid_client', 'The OAuth client was not found.');
      if (clientSecret !== oauthClient.secret) return fail(401, 'invalid_client', 'Unauthorized');
      const refreshToken = fields.get('refresh_token');
      if (!refreshToken) return fail(400, 'invalid_request', 'Missing required parameter: refresh_token');
      const grant = refreshTokens.get(refreshToken);
      if (!grant) return fail(400, 'invalid_grant', 'Bad Request');
      record.principal = grant.user.email;
      const asked = parseScopes(fields.get('scope'), /\s+/);
      const extra = asked.filter((s) => !grant.scopes.includes(s));
      if (extra.length > 0) {
        record.scopes = asked;
        return fail(400, 'invalid_scope', `Some requested scopes were invalid. {invalid=[${extra.join(', ')}]}`);
      }
      const scopes = asked.length > 0 ? asked : grant.scopes;
      record.scopes = scopes;
      const { token, record: t } = mint(grant.user, scopes, oauthClient.id);
      return send(200, { access_token: token, expires_in: expiresIn(t), scope: scopes.join(' '), token_type: 'Bearer' });
    }
    return fail(400, 'unsupported_grant_type', `Invalid grant_type: ${(grantType ?? '').slice(0, 100)}`);
  };

  const serve =
    (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      if (closed) {
        res.destroy();
        return;
      }
      handler(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal_failure', error_description: 'the emulator failed to answer' }));
        } else {
          res.destroy();
        }
      });
    };

  const certs = emulatorCertificates(['127.0.0.1', 'localhost'], 'dbtoken Google auth emulator');
  const metadataServer: Server = createHttpServer(serve(metadata));
  const oauth2Server = createHttpsServer({ key: certs.serverKey, cert: certs.serverCert, minVersion: 'TLSv1.2' }, serve(oauth2));
  const metadataSockets = trackSockets(metadataServer);
  const oauth2Sockets = trackSockets(oauth2Server);
  metadataServer.on('clientError', (_err, socket) => socket.destroy());
  oauth2Server.on('clientError', (_err, socket) => socket.destroy());
  oauth2Server.on('tlsClientError', (_err, socket) => socket.destroy());
  const agent = new Agent({ ca: certs.ca, keepAlive: false });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing) return closing;
    closed = true;
    agent.destroy();
    const stop = (server: Server, sockets: Iterable<Socket>): Promise<void> => (server.listening ? closeServer(server, sockets) : Promise.resolve());
    return (closing = Promise.all([stop(metadataServer, metadataSockets), stop(oauth2Server, oauth2Sockets)]).then(() => undefined));
  };

  let metadataPort: number;
  let oauth2Port: number;
  try {
    metadataPort = await listen(metadataServer, '127.0.0.1', 0);
    oauth2Port = await listen(oauth2Server, '127.0.0.1', 0);
    if (signal?.aborted) throw signal.reason;
  } catch (err) {
    await close();
    throw err;
  }
  const metadataHost = `127.0.0.1:${metadataPort}`;
  const oauth2Url = `https://127.0.0.1:${oauth2Port}`;

  const knownPrincipal = (email: unknown, kind?: Principal['kind']): Principal => {
    const p = typeof email === 'string' ? principals.get(email.toLowerCase()) : undefined;
    if (!p || (kind !== undefined && p.kind !== kind)) {
      const what = kind === 'service_account' ? 'one of serviceAccounts' : kind === 'user' ? 'one of users' : 'one of serviceAccounts or users';
      throw new ConfigError('email', `must be ${what}, got ${typeof email === 'string' ? JSON.stringify(email.slice(0, 320)) : describe(email)}`);
    }
    return p;
  };

  const redirect = (target: URL | string): URL => {
    const u = new URL(String(target));
    if (u.protocol === 'https:' && (u.hostname === 'googleapis.com' || u.hostname.endsWith('.googleapis.com'))) return new URL(`${u.pathname}${u.search}`, oauth2Url);
    return u;
  };

  const metadataEnv: GcpMetadataEnv = Object.freeze({
    GCE_METADATA_HOST: metadataHost,
    GCE_METADATA_IP: metadataHost,
    METADATA_SERVER_DETECTION: 'assume-present',
    GOOGLE_APPLICATION_CREDENTIALS: '',
    CLOUDSDK_CONFIG: join(tmpdir(), `dbtoken-gcp-emulator-no-gcloud-${randomBytes(8).toString('hex')}`),
    GOOGLE_CLOUD_PROJECT: project,
    GCLOUD_PROJECT: project,
  });

  return {
    project,
    serviceAccounts: Object.freeze([...serviceAccountEmails]),
    users: Object.freeze([...userEmails]),
    metadataServiceAccount,
    metadataHost,
    metadataUrl: `http://${metadataHost}`,
    oauth2Url,
    ca: certs.ca,
    metadataEnv,
    requests,
    serviceAccountKey: (email: string): GcpServiceAccountKey => {
      const sa = knownPrincipal(email, 'service_account') as ServiceAccount;
      return {
        type: 'service_account',
        project_id: project,
        private_key_id: sa.keyId,
        private_key: sa.privateKeyPem,
        client_email: sa.email,
        client_id: sa.id,
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: `${oauth2Url}/token`,
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(sa.email)}`,
        universe_domain: 'googleapis.com',
      };
    },
    authorizedUser: (email: string, o: GcpAuthorizedUserOptions = {}): GcpAuthorizedUser => {
      const user = knownPrincipal(email, 'user');
      if (typeof o !== 'object' || o === null) throw new ConfigError('options', `must be an object, got ${describe(o)}`);
      const scopes = o.scopes === undefined ? [...ADC_USER_SCOPES] : scopeList('scopes', o.scopes);
      const refreshToken = `1//0${randomBytes(48).toString('base64url')}`;
      refreshTokens.set(refreshToken, { user, scopes: Object.freeze(scopes) });
      return { type: 'authorized_user', client_id: oauthClient.id, client_secret: oauthClient.secret, refresh_token: refreshToken, account: '', universe_domain: 'googleapis.com' };
    },
    googleAuthOptions: (): GcpGoogleAuthOptions => ({
      clientOptions: {
        transporterOptions: {
          agent,
          adapter: <O extends GcpTransportRequest, R>(request: O, defaultAdapter: (request: O) => R): R => defaultAdapter({ ...request, url: redirect(request.url) } as O),
        },
      },
    }),
    issue: (email: string, o: GcpIssueOptions = {}): GcpIssuedToken => {
      const principal = knownPrincipal(email);
      if (typeof o !== 'object' || o === null) throw new ConfigError('options', `must be an object, got ${describe(o)}`);
      const scopes = o.scopes === undefined ? [GCP_SQL_LOGIN_SCOPE] : scopeList('scopes', o.scopes);
      const lifetime = o.expiresInMs ?? lifetimeMs;
      if (typeof lifetime !== 'number' || !Number.isFinite(lifetime)) throw new ConfigError('expiresInMs', `must be a finite number of ms, got ${describe(lifetime)}`);
      const { token, record } = mint(principal, scopes, principal.kind === 'user' ? oauthClient.id : principal.id, lifetime);
      return Object.freeze({ accessToken: token, email: principal.email, scopes: record.scopes, expiresAt: new Date(record.expiresAt) });
    },
    verifier: (o: GcpCloudSqlVerifierOptions) => {
      if (typeof o !== 'object' || o === null) throw new ConfigError('options', `must be an object { engine }, got ${describe(o)}`);
      const { engine } = o;
      if (engine !== 'postgres' && engine !== 'mysql') throw new ConfigError('engine', `must be 'postgres' or 'mysql', got ${typeof engine === 'string' ? JSON.stringify(engine) : describe(engine)}`);
      return (token: string, user: string): LoginVerdict => {
        const t = typeof token === 'string' ? tokens.get(token) : undefined;
        if (t === undefined) return { ok: false, reason: 'not an access token this emulator issued' };
        if (now() >= t.expiresAt) return { ok: false, reason: 'token expired' };
        if (!t.scopes.includes(GCP_SQL_LOGIN_SCOPE)) return { ok: false, reason: `token lacks the scope ${GCP_SQL_LOGIN_SCOPE}` };
        const expected = cloudSqlUser(t.principal.email, engine);
        if (expected !== user) return { ok: false, reason: `token is for the ${engine === 'postgres' ? 'PostgreSQL' : 'MySQL'} user ${JSON.stringify(expected)}, not ${JSON.stringify(String(user).slice(0, 128))}` };
        return { ok: true };
      };
    },
    close,
  };
}
