import { parseOciScope } from '../../sources/oci/scope.js';
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  randomUUID,
  sign as signData,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ociKeyFingerprint } from '../heatwave/server.js';
import { closeServer, listen, trackSockets } from '../local-server.js';
import { STANDARD_BASE64, verifySecurityToken, type Verdict } from '../security-token.js';
import { registerIdentityInternals } from './internals.js';
import { rsaKeyPairSync } from '../key-pairs.js';
import { opcRequestId, parseActionPath, parseAuthorization, parseKeyId, parseTokenRequestBody, signingString } from './wire.js';

/**
 * One API signing key registered on an OCI IAM user of the {@link startOciIdentityEmulator} emulator.
 *
 * @example
 * ```ts
 * const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
 * const apiKey: OciIdentityApiKey = { fingerprint: ociKeyFingerprint(publicKeyPem), publicKey: publicKeyPem };
 * ```
 */
export interface OciIdentityApiKey {
  /**
   * The key's OCI fingerprint: MD5 over the DER SPKI, colon-separated lowercase hex, as in the
   * `fingerprint` line of `~/.oci/config`. It must match `publicKey` (the emulator checks at start);
   * {@link ociKeyFingerprint} computes it.
   *
   * @example
   * ```ts
   * const fingerprint = ociKeyFingerprint(publicKeyPem); // 'a1:b2:…' (16 pairs)
   * ```
   */
  fingerprint: string;
  /**
   * The public key, as PEM (SPKI `BEGIN PUBLIC KEY`, or PKCS#1 `BEGIN RSA PUBLIC KEY`). It must be RSA.
   *
   * @example
   * ```ts
   * const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
   * const apiKey = { fingerprint: ociKeyFingerprint(publicKeyPem), publicKey: publicKeyPem };
   * ```
   */
  publicKey: string;
}

/**
 * An OCI IAM user inside one tenancy: its API keys, and what databases read from the directory (its
 * name, identity domain and groups).
 *
 * @example
 * ```ts
 * const alice: OciIdentityUser = {
 *   ocid: 'ocid1.user.oc1..aaaaalice',
 *   name: 'alice@example.com',
 *   groups: ['db_users', 'sales_domain/db_sales'],
 *   apiKeys: [{ fingerprint, publicKey: publicKeyPem }],
 * };
 * // a request signed with keyId `${tenancyOcid}/ocid1.user.oc1..aaaaalice/${fingerprint}` is checked against that key
 * ```
 */
export interface OciIdentityUser {
  /**
   * The user's OCID: the middle part of an API-key `keyId` (`<tenancy>/<user>/<fingerprint>`), and the
   * `sub` of the db-tokens issued to it.
   *
   * @example
   * ```ts
   * const alice = { ocid: 'ocid1.user.oc1..aaaaalice', apiKeys: [] };
   * ```
   */
  ocid: string;
  /**
   * The user's API signing keys. A request signed with `keyId` `<tenancy>/<this user>/<fingerprint>` is
   * checked against the key with that fingerprint. Default none: a user that signs in with a session
   * token, or that is listed only for its name and groups.
   *
   * @example
   * ```ts
   * const alice = { ocid: 'ocid1.user.oc1..aaaaalice', apiKeys: [{ fingerprint, publicKey: publicKeyPem }] };
   * ```
   */
  apiKeys?: OciIdentityApiKey[] | undefined;
  /**
   * The user name, as the console shows it and as a database maps it with
   * `IAM_PRINCIPAL_NAME=[<domain>/]<name>`. Default: none, so only `IAM_PRINCIPAL_OCID=` and groups map it.
   *
   * @example
   * ```ts
   * const alice = { ocid: 'ocid1.user.oc1..aaaaalice', name: 'alice@example.com' };
   * ```
   */
  name?: string | undefined;
  /**
   * The identity domain the user lives in. Default: the tenancy's Default domain, which database mappings
   * leave unnamed.
   *
   * @example
   * ```ts
   * const peter = { ocid: 'ocid1.user.oc1..aaaapeter', name: 'peter', domain: 'sales_domain' };
   * ```
   */
  domain?: string | undefined;
  /**
   * The groups the user belongs to, by name: `'<group>'` for a group of the user's own domain, or
   * `'<domain>/<group>'`. A database maps a group with `IAM_GROUP_NAME=[<domain>/]<group>`. Default none.
   *
   * @example
   * ```ts
   * const alice = { ocid: 'ocid1.user.oc1..aaaaalice', name: 'alice', groups: ['db_users', 'sales_domain/db_sales'] };
   * ```
   */
  groups?: string[] | undefined;
}

/**
 * A dynamic group of a tenancy: the instance and resource principals (compute instances, functions, …)
 * it matches. OCI writes membership as a matching rule; here it is the list of principal OCIDs, as
 * `ANY {resource.id = '…', …}` would match them.
 *
 * @example
 * ```ts
 * const functions: OciIdentityDynamicGroup = { name: 'adb_functions', members: ['ocid1.fnfunc.oc1.iad.aaaafunction'] };
 * ```
 */
export interface OciIdentityDynamicGroup {
  /**
   * The dynamic group's name; a database maps it with `IAM_GROUP_NAME=[<domain>/]<name>`, as it maps a group.
   *
   * @example
   * ```ts
   * const group = { name: 'adb_functions', members: [functionOcid] };
   * ```
   */
  name: string;
  /**
   * The identity domain the dynamic group is defined in. Default: the Default domain.
   *
   * @example
   * ```ts
   * const group = { name: 'adb_functions', domain: 'apps_domain', members: [functionOcid] };
   * ```
   */
  domain?: string | undefined;
  /**
   * The OCIDs of the instance and resource principals it matches.
   *
   * @example
   * ```ts
   * const group = { name: 'app_servers', members: ['ocid1.instance.oc1.iad.aaaavm1', 'ocid1.instance.oc1.iad.aaaavm2'] };
   * ```
   */
  members: string[];
}

/**
 * What the IAM directory says about a principal, as a database reads it to map the principal of a
 * db-token to a global user: see {@link OciIdentityEmulator.principal}.
 *
 * @example
 * ```ts
 * const who: OciIdentityPrincipal | undefined = emulator.principal('ocid1.user.oc1..aaaaalice');
 * // { ocid: 'ocid1.user.oc1..aaaaalice', tenancy: 'ocid1.tenancy.oc1..aaaatenancy', kind: 'user',
 * //   name: 'alice', groups: [{ name: 'db_users' }, { name: 'db_sales', domain: 'sales_domain' }] }
 * ```
 */
export interface OciIdentityPrincipal {
  /**
   * The principal's OCID: a user's, or an instance's or resource's.
   *
   * @example
   * ```ts
   * expect(emulator.principal(userOcid)?.ocid).toBe(userOcid);
   * ```
   */
  readonly ocid: string;
  /**
   * The tenancy the principal lives in.
   *
   * @example
   * ```ts
   * expect(emulator.principal(userOcid)?.tenancy).toBe(tenancyOcid);
   * ```
   */
  readonly tenancy: string;
  /**
   * `'user'` for a user of {@link OciIdentityTenancy.users}; `'resource'` for a member of a dynamic group.
   *
   * @example
   * ```ts
   * expect(emulator.principal(functionOcid)?.kind).toBe('resource');
   * ```
   */
  readonly kind: 'user' | 'resource';
  /**
   * A user's name, when the directory has one.
   *
   * @example
   * ```ts
   * expect(emulator.principal(userOcid)?.name).toBe('alice');
   * ```
   */
  readonly name?: string | undefined;
  /**
   * A user's identity domain; absent for the Default domain.
   *
   * @example
   * ```ts
   * expect(emulator.principal(peterOcid)?.domain).toBe('sales_domain');
   * ```
   */
  readonly domain?: string | undefined;
  /**
   * A user's groups, or the dynamic groups an instance or resource principal belongs to, each with its
   * domain (absent for the Default domain).
   *
   * @example
   * ```ts
   * expect(emulator.principal(functionOcid)?.groups).toEqual([{ name: 'adb_functions' }]);
   * ```
   */
  readonly groups: readonly {
    /** The group's name. */
    readonly name: string;
    /** The group's identity domain; absent for the Default domain. */
    readonly domain?: string | undefined;
  }[];
}

/**
 * A tenancy the emulator's "OCI IAM" knows.
 *
 * @example
 * ```ts
 * const tenancy: OciIdentityTenancy = {
 *   ocid: 'ocid1.tenancy.oc1..aaaatenancy',
 *   users: [{ ocid: 'ocid1.user.oc1..aaaaalice', apiKeys: [{ fingerprint, publicKey: publicKeyPem }] }],
 * };
 * ```
 */
export interface OciIdentityTenancy {
  /**
   * The tenancy OCID: the first part of an API-key `keyId`, and the `tenant` claim of security tokens
   * and of the db-tokens issued for its principals.
   *
   * @example
   * ```ts
   * const tenancy = { ocid: 'ocid1.tenancy.oc1..aaaatenancy' };
   * ```
   */
  ocid: string;
  /**
   * The tenancy's users that sign with API keys. Default none: principals that only use security tokens
   * (session tokens, resource principals) need not be listed, only their tenancy.
   *
   * @example
   * ```ts
   * const tenancy = { ocid: 'ocid1.tenancy.oc1..aaaatenancy', users: [{ ocid: 'ocid1.user.oc1..aaaaalice', apiKeys: [apiKey] }] };
   * ```
   */
  users?: OciIdentityUser[] | undefined;
  /**
   * The tenancy's dynamic groups, which instance and resource principals belong to. Default none.
   *
   * @example
   * ```ts
   * const tenancy = { ocid: tenancyOcid, dynamicGroups: [{ name: 'adb_functions', members: [functionOcid] }] };
   * ```
   */
  dynamicGroups?: OciIdentityDynamicGroup[] | undefined;
}

/**
 * Who signs security tokens (UPSTs of `oci session authenticate`, resource-principal RPSTs).
 *
 * @example
 * ```ts
 * const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
 * const tokenIssuer: OciIdentityTokenIssuer = { publicKey: issuer.publicKey };
 * const emulator = await startOciIdentityEmulator({ tenancies, tokenIssuer }); // issueSecurityToken({ issuerKey: issuer.privateKey, ... })
 * ```
 */
export interface OciIdentityTokenIssuer {
  /**
   * The issuer's RSA public key (PEM or KeyObject). A request signed with `keyId` `ST$<jwt>` is accepted
   * only if this key verifies the JWT's RS256 signature.
   *
   * @example
   * ```ts
   * const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * const tokenIssuer = { publicKey: issuer.publicKey.export({ type: 'spki', format: 'pem' }) as string };
   * ```
   */
  publicKey: string | KeyObject;
}

/**
 * Options of {@link startOciIdentityEmulator}.
 *
 * @example
 * ```ts
 * const options: OciIdentityEmulatorOptions = {
 *   tenancies: [{ ocid: 'ocid1.tenancy.oc1..aaaatenancy', users: [{ ocid: 'ocid1.user.oc1..aaaaalice', apiKeys: [apiKey] }] }],
 *   tokenIssuer: { publicKey: issuer.publicKey },
 *   regions: ['us-ashburn-1', 'eu-frankfurt-1'],
 * };
 * const emulator = await startOciIdentityEmulator(options);
 * ```
 */
export interface OciIdentityEmulatorOptions {
  /**
   * The tenancies, their users and the users' API keys. Requests signed with an API key must name a
   * tenancy, user and fingerprint listed here; security tokens must carry the OCID of a tenancy listed here.
   *
   * @example
   * ```ts
   * const tenancies = [{ ocid: 'ocid1.tenancy.oc1..aaaatenancy', users: [{ ocid: 'ocid1.user.oc1..aaaaalice', apiKeys: [{ fingerprint, publicKey }] }] }];
   * ```
   */
  tenancies: OciIdentityTenancy[];
  /**
   * The key that signs security tokens. A request signed with `keyId` `ST$<jwt>` is verified like this:
   * the JWT must be RS256 and signed by this key; its `exp` must be in the future (and `nbf`, when
   * present, in the past); its `jwk` claim (an RSA public JWK, as an object or a JSON string) must verify
   * the request signature. The principal is the JWT's `sub`. The tenancy is its `tenant` claim, or
   * `res_tenant` (resource principals) when there is no `tenant`; it must be one of `tenancies`.
   * Tokens from {@link resourcePrincipalEnv} are signed by a key of the emulator's own, which it trusts
   * as well. Without `tokenIssuer`, every other request signed with a security token is refused.
   *
   * @example
   * ```ts
   * const tokenIssuer = { publicKey: issuer.publicKey };
   * ```
   */
  tokenIssuer?: OciIdentityTokenIssuer | undefined;
  /**
   * The region ids served. A request reaches a region through a path prefix,
   * `/<region>/v1/actions/generateScopedAccessToken` (what {@link OciIdentityEmulator.endpointFor} gives);
   * a request without a prefix counts as the first region; a prefix that is not listed gets 404.
   * Default `['us-ashburn-1']`.
   *
   * @example
   * ```ts
   * const regions = ['us-ashburn-1', 'eu-frankfurt-1'];
   * ```
   */
  regions?: string[] | undefined;
  /**
   * The RSA private key (PEM or KeyObject) that signs the issued db-tokens; its public key is
   * {@link OciIdentityEmulator.publicKey}. Default: an RSA-2048 key generated at start.
   *
   * @example
   * ```ts
   * const { privateKey: signingKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * ```
   */
  signingKey?: string | KeyObject | undefined;
  /**
   * How long an issued db-token lasts: its `exp` is `iat` plus this. Default 3600 (OCI's one hour).
   *
   * @example
   * ```ts
   * const tokenLifetimeSeconds = 120;
   * ```
   */
  tokenLifetimeSeconds?: number | undefined;
  /**
   * The clock, in milliseconds since the epoch: for the request's `date`/`x-date` (which must be within
   * five minutes of it), security-token expiry, and the issued tokens' `iat` and `exp`. Default `Date.now`.
   * The OCI SDK stamps requests with the real clock, so move this clock by less than five minutes when
   * the SDK is the client.
   *
   * @example
   * ```ts
   * let skew = 0;
   * const now = () => Date.now() + skew;
   * ```
   */
  now?: (() => number) | undefined;
  /**
   * An artificial delay, in milliseconds, before every answer: for benchmarks that want a network-like
   * round trip. Default 0.
   *
   * @example
   * ```ts
   * const latencyMs = 40;
   * ```
   */
  latencyMs?: number | undefined;
  /**
   * The address to listen on. Default `127.0.0.1`.
   *
   * @example
   * ```ts
   * const host = '127.0.0.1';
   * ```
   */
  host?: string | undefined;
  /**
   * The port to listen on. Default 0 (any free port).
   *
   * @example
   * ```ts
   * const port = 0;
   * ```
   */
  port?: number | undefined;
}

/**
 * One request as the emulator saw it, with its verdict. It never holds the token, the signature, the
 * authorization header or the body: only what a test needs to assert on.
 *
 * @example
 * ```ts
 * const record: OciIdentityRequestRecord | undefined = emulator.requests.at(-1);
 * expect(record).toMatchObject({
 *   method: 'POST', path: '/us-ashburn-1/v1/actions/generateScopedAccessToken', region: 'us-ashburn-1',
 *   keyIdKind: 'api_key', principal: 'ocid1.user.oc1..aaaaalice', scope: 'urn:oracle:db::id::*', ok: true, status: 200,
 * });
 * ```
 */
export interface OciIdentityRequestRecord {
  /**
   * The HTTP method.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.method).toBe('POST');
   * ```
   */
  readonly method: string;
  /**
   * The request path, without the query string.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.path).toBe('/eu-frankfurt-1/v1/actions/generateScopedAccessToken');
   * ```
   */
  readonly path: string;
  /**
   * The region the request was for: its path prefix, or the first served region when there was none.
   * Absent when the path is not `[/<region>]/v1/actions/generateScopedAccessToken`.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.region).toBe('eu-frankfurt-1');
   * ```
   */
  readonly region?: string | undefined;
  /**
   * How the request was signed, once its `keyId` was read: `'api_key'` (`<tenancy>/<user>/<fingerprint>`)
   * or `'security_token'` (`ST$<jwt>`: a session token or a resource principal).
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.keyIdKind).toBe('security_token');
   * ```
   */
  readonly keyIdKind?: 'api_key' | 'security_token' | undefined;
  /**
   * The caller's tenancy OCID, once known (from the `keyId`, or from the security token's claims).
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.tenancy).toBe('ocid1.tenancy.oc1..aaaatenancy');
   * ```
   */
  readonly tenancy?: string | undefined;
  /**
   * The caller's OCID, once known: the user of an API key, or the security token's `sub`.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.principal).toBe('ocid1.user.oc1..aaaaalice');
   * ```
   */
  readonly principal?: string | undefined;
  /**
   * The `scope` of the body, when the body was read and it had a string `scope` (even a malformed one).
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.scope).toBe('urn:oracle:db::id::*');
   * ```
   */
  readonly scope?: string | undefined;
  /**
   * The OCI fingerprint (MD5 of the DER SPKI, colon hex) of the body's `publicKey`, when it parsed as a key.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.publicKeyFingerprint).toBe(ociKeyFingerprint(sessionPublicKeyPem));
   * ```
   */
  readonly publicKeyFingerprint?: string | undefined;
  /**
   * Whether a db-token was issued.
   *
   * @example
   * ```ts
   * expect(emulator.requests.map((r) => r.ok)).toEqual([true, false]);
   * ```
   */
  readonly ok: boolean;
  /**
   * The HTTP status answered: 200, 400 (bad body), 401 (authentication), 404 (path or region),
   * 405 (method), 413 (body too large) or 500.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.status).toBe(401);
   * ```
   */
  readonly status: number;
  /**
   * Why the request was refused: a fixed phrase (the same as the error body's `message`), never quoting
   * a token, a signature or a key.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.reason).toBe('signature does not verify');
   * ```
   */
  readonly reason?: string | undefined;
  /**
   * The `opc-request-id` the emulator answered with.
   *
   * @example
   * ```ts
   * expect(emulator.requests.at(-1)?.requestId).toBe(response.opcRequestId);
   * ```
   */
  readonly requestId: string;
}

/**
 * A running OCI Identity Data Plane emulator.
 *
 * @example
 * ```ts
 * const emulator: OciIdentityEmulator = await startOciIdentityEmulator({ tenancies });
 * const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile }, endpoint: emulator.endpointFor('us-ashburn-1') });
 * await token.getToken();
 * expect(emulator.requests.at(-1)?.status).toBe(200);
 * await emulator.close();
 * ```
 */
export interface OciIdentityEmulator {
  /**
   * The base URL, without a path: `http://127.0.0.1:<port>`.
   *
   * @example
   * ```ts
   * const res = await fetch(`${emulator.url}/v1/actions/generateScopedAccessToken`, { method: 'POST' }); // 401
   * ```
   */
  readonly url: string;
  /**
   * The address it listens on.
   *
   * @example
   * ```ts
   * expect(emulator.host).toBe('127.0.0.1');
   * ```
   */
  readonly host: string;
  /**
   * The port it listens on.
   *
   * @example
   * ```ts
   * const endpoint = `http://127.0.0.1:${emulator.port}/us-ashburn-1`;
   * ```
   */
  readonly port: number;
  /**
   * The regions served, the first being the one a prefix-less request goes to.
   *
   * @example
   * ```ts
   * expect(emulator.regions).toEqual(['us-ashburn-1']);
   * ```
   */
  readonly regions: readonly string[];
  /**
   * The SPKI PEM public key of the signing key: verify issued db-tokens with it.
   *
   * @example
   * ```ts
   * const [h, p, s] = token.split('.');
   * crypto.verify('sha256', Buffer.from(`${h}.${p}`), emulator.publicKey, Buffer.from(s, 'base64url')); // true
   * ```
   */
  readonly publicKey: string;
  /**
   * Every request so far, in order, each a frozen record with its verdict.
   *
   * @example
   * ```ts
   * expect(emulator.requests.map((r) => [r.region, r.status])).toEqual([['us-ashburn-1', 200]]);
   * ```
   */
  readonly requests: readonly OciIdentityRequestRecord[];
  /**
   * The endpoint of one region, `${url}/${region}`: give it to the SDK client's `endpoint` (which appends
   * `/v1`). It does not check that the region is served, so a test can aim at an unserved one (404).
   *
   * @example
   * ```ts
   * client.endpoint = emulator.endpointFor('eu-frankfurt-1'); // http://127.0.0.1:1234/eu-frankfurt-1/v1/...
   * ```
   */
  endpointFor(region: string): string;
  /**
   * What the directory says about a principal (a user, or a member of a dynamic group), or `undefined`
   * when it lists none with that OCID: the lookup a database makes to map a db-token's `sub` to a global
   * user by name or group.
   *
   * @example
   * ```ts
   * const who = emulator.principal('ocid1.user.oc1..aaaaalice');
   * expect(who?.groups.map((g) => g.name)).toContain('db_users');
   * ```
   */
  principal(ocid: string): OciIdentityPrincipal | undefined;
  /**
   * Stops listening, drops open (keep-alive) connections and answers nothing more; resolves once the
   * server is closed, leaving nothing that keeps the process alive. Calling it again is harmless.
   *
   * @example
   * ```ts
   * await emulator.close();
   * ```
   */
  close(): Promise<void>;
}

/**
 * Options of {@link issueSecurityToken}.
 *
 * @example
 * ```ts
 * const options: OciSecurityTokenOptions = {
 *   issuerKey: issuer.privateKey, publicKey: session.publicKey,
 *   sub: 'ocid1.user.oc1..aaaaalice', tenant: 'ocid1.tenancy.oc1..aaaatenancy',
 *   exp: Math.floor(Date.now() / 1000) + 3600,
 * };
 * writeFileSync(tokenFile, issueSecurityToken(options));
 * ```
 */
export interface OciSecurityTokenOptions {
  /**
   * The issuer's RSA private key (PEM or KeyObject): the one whose public key is the emulator's
   * `tokenIssuer.publicKey`.
   *
   * @example
   * ```ts
   * const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * const issuerKey = issuer.privateKey;
   * ```
   */
  issuerKey: string | KeyObject;
  /**
   * The principal: a user OCID for a session token, a resource OCID (function, …) for a resource principal.
   *
   * @example
   * ```ts
   * const sub = 'ocid1.user.oc1..aaaaalice';
   * ```
   */
  sub: string;
  /**
   * The tenancy OCID, as the `tenant` claim. Leave it out for a resource principal and pass
   * `claims: { res_tenant }` instead, if you want to exercise that fallback.
   *
   * @example
   * ```ts
   * const tenant = 'ocid1.tenancy.oc1..aaaatenancy';
   * ```
   */
  tenant?: string | undefined;
  /**
   * Expiry, in seconds since the epoch.
   *
   * @example
   * ```ts
   * const exp = Math.floor(Date.now() / 1000) + 3600;
   * ```
   */
  exp: number;
  /**
   * The session key the token binds (its `jwk` claim): an RSA public key, or its private key (the public
   * half is taken), as PEM or KeyObject. The caller signs its requests with the private half.
   *
   * @example
   * ```ts
   * const session = generateKeyPairSync('rsa', { modulusLength: 2048 });
   * const publicKey = session.publicKey;
   * ```
   */
  publicKey: string | KeyObject;
  /**
   * Put `jwk` in the token as a JSON string, as OCI's own session tokens do, rather than as an object.
   * The emulator accepts both. Default false.
   *
   * @example
   * ```ts
   * const jwkAsString = true;
   * ```
   */
  jwkAsString?: boolean | undefined;
  /**
   * More claims, merged last (so they can also override `sub`, `tenant`, `jwk`, `iat` or `exp`):
   * for example a resource principal's `res_tenant`, `res_compartment`, `ptype`.
   *
   * @example
   * ```ts
   * const claims = { ptype: 'resource', res_tenant: tenancyOcid, res_compartment: compartmentOcid };
   * ```
   */
  claims?: Record<string, unknown> | undefined;
}

const REGION_ID = /^[A-Za-z0-9._-]+$/;
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_BODY_BYTES = 64 * 1024;
const MIN_RSA_BITS = 2048;

interface Caller {
  keyIdKind: 'api_key' | 'security_token';
  tenancy?: string | undefined;
  principal?: string | undefined;
}

type AuthVerdict = { ok: true; caller: Required<Caller> } | { ok: false; reason: string; caller?: Caller };

function base64url(bytes: Buffer | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A compact RS256 JWT. */
function signJwt(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = signData('sha256', Buffer.from(input, 'ascii'), { key, padding: constants.RSA_PKCS1_PADDING });
  return `${input}.${signature.toString('base64url')}`;
}

function rsaPublicKey(key: string | KeyObject, what: string): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  } catch {
    throw new TypeError(`${what} is not a public key (PEM or KeyObject)`);
  }
  if (k.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} must be an RSA key, not ${k.asymmetricKeyType ?? 'unknown'}`);
  return k;
}

function rsaPrivateKey(key: string | KeyObject, what: string): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch {
    throw new TypeError(`${what} is not a private key (PEM or KeyObject)`);
  }
  if (k.type !== 'private') throw new TypeError(`${what} must be a private key`);
  if (k.asymmetricKeyType !== 'rsa') throw new TypeError(`${what} must be an RSA key, not ${k.asymmetricKeyType ?? 'unknown'}`);
  return k;
}

/** Why a scope URN is malformed (the library's own rules), or `undefined` when it is fine. */
function scopeProblem(scope: string): string | undefined {
  try {
    parseOciScope(scope);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A domain as the directory keeps it: absent for the Default domain. */
function domainName(domain: unknown, what: string): string | undefined {
  if (domain === undefined) return undefined;
  if (typeof domain !== 'string' || domain === '' || domain.includes('/')) throw new TypeError(`${what} must be a domain name without "/"`);
  return domain.toLowerCase() === 'default' ? undefined : domain;
}

function groupName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('/')) throw new TypeError(`${what} must be a group name without "/"`);
  return name;
}

/** Adds a user's name, domain and groups (`<group>` in its own domain, or `<domain>/<group>`) to the directory. */
function addUser(directory: Map<string, OciIdentityPrincipal>, tenancy: string, user: OciIdentityUser): void {
  if (directory.has(user.ocid)) throw new TypeError(`the principal ${user.ocid} is listed in two tenancies`);
  if (user.name !== undefined && (typeof user.name !== 'string' || user.name === '')) throw new TypeError(`the name of ${user.ocid} must be a non-empty string`);
  const domain = domainName(user.domain, `the domain of ${user.ocid}`);
  if (user.groups !== undefined && !Array.isArray(user.groups)) throw new TypeError(`the groups of ${user.ocid} must be an array of names`);
  const groups = (user.groups ?? []).map((g) => {
    const text = String(g);
    const slash = text.indexOf('/');
    if (slash < 0) return { name: groupName(text, `a group of ${user.ocid}`), ...(domain !== undefined ? { domain } : {}) };
    const d = domainName(text.slice(0, slash), `the domain of the group ${text} of ${user.ocid}`);
    return { name: groupName(text.slice(slash + 1), `a group of ${user.ocid}`), ...(d !== undefined ? { domain: d } : {}) };
  });
  directory.set(
    user.ocid,
    Object.freeze({
      ocid: user.ocid,
      tenancy,
      kind: 'user' as const,
      ...(user.name !== undefined ? { name: user.name } : {}),
      ...(domain !== undefined ? { domain } : {}),
      groups: Object.freeze(groups.map((g) => Object.freeze(g))),
    }),
  );
}

/** Adds a dynamic group to each of its members' entries. */
function addDynamicGroup(directory: Map<string, OciIdentityPrincipal>, tenancy: string, group: OciIdentityDynamicGroup): void {
  const name = groupName(group.name, `a dynamic group of ${tenancy}`);
  const domain = domainName(group.domain, `the domain of the dynamic group ${name}`);
  if (!Array.isArray(group.members)) throw new TypeError(`the dynamic group ${name} needs members (principal OCIDs)`);
  for (const member of group.members) {
    if (typeof member !== 'string' || member === '') throw new TypeError(`the dynamic group ${name} lists a member that is not an OCID`);
    const known = directory.get(member);
    if (known?.kind === 'user') throw new TypeError(`${member} is a user; dynamic groups hold instance and resource principals`);
    if (known && known.tenancy !== tenancy) throw new TypeError(`the principal ${member} is listed in two tenancies`);
    const groups = [...(known?.groups ?? []), Object.freeze({ name, ...(domain !== undefined ? { domain } : {}) })];
    directory.set(member, Object.freeze({ ocid: member, tenancy, kind: 'resource' as const, groups: Object.freeze(groups) }));
  }
}

/**
 * The principal, tenancy (`tenant`, else a resource principal's `res_tenant`) and RSA session key of a
 * security token, after {@link verifySecurityToken} has checked it was issued by `issuer` and is current.
 */
function checkSecurityToken(
  token: string,
  issuer: KeyObject | undefined,
  nowMs: number,
): Verdict<{ principal: string; tenancy: string | undefined; key: KeyObject }> {
  if (!issuer) return { ok: false, reason: 'security tokens are not accepted (the emulator has no tokenIssuer)' };
  const checked = verifySecurityToken(token, issuer, nowMs);
  if (!checked.ok) return checked;
  const { payload, principal, key } = checked.value;
  const tenancy = [payload.tenant, payload.res_tenant].find((t): t is string => typeof t === 'string' && t !== '');
  return { ok: true, value: { principal, tenancy, key } };
}

/**
 * An HTTP server that emulates the OCI Identity Data Plane's
 * `POST /v1/actions/generateScopedAccessToken` (what `oci iam db-token get` and
 * `DataplaneClient.generateScopedAccessToken` call), and checks each request for real, as OCI does:
 *
 * - the `authorization` header is an OCI HTTP signature (`Signature version="1",keyId=…,algorithm="rsa-sha256",headers=…,signature=…`);
 *   the signed headers must include `(request-target)`, `host`, `date` or `x-date`, `content-length`,
 *   `content-type` and `x-content-sha256`, in any order and letter case (oci-common 2.139.1 signs
 *   `x-date (request-target) host Content-Type Content-Length x-content-sha256`);
 * - the signature verifies (RSA-SHA256 over the `name: value` lines joined by `\n`) with the key of the
 *   `keyId`: an API key (`<tenancy>/<user>/<fingerprint>`) or the `jwk` of a security token (`ST$<jwt>`,
 *   itself verified against `tokenIssuer`);
 * - `x-content-sha256` is the base64 SHA-256 of the body bytes, `content-length` their number, and the
 *   signed date is within five minutes of `now()`.
 *
 * Failures answer 401 `{"code":"NotAuthenticated","message":…}`. The body must be
 * `{"scope": <urn:oracle:db::id::… or urn:oracle:db::path::…>, "publicKey": <RSA SPKI PEM, 2048 bits or more>}`, else 400
 * `{"code":"InvalidParameter",…}`. Success answers 200 `{"token": <RS256 JWT>}` signed with `signingKey`,
 * with claims `sub`, `tenant`, `scope`, `jwk` (the body's public key), `iat`, `exp`, `iss: 'emulator'`,
 * `region` and `jti`. Every answer has an `opc-request-id`. Each region is served under its own path
 * prefix (see {@link OciIdentityEmulator.endpointFor}). Nothing secret is logged or recorded.
 *
 * The tenancies are also an IAM directory: user names, identity domains and groups, and the dynamic
 * groups of instance and resource principals. {@link OciIdentityEmulator.principal} answers from it, and
 * {@link startOracleDbEmulator} reads it to map a db-token's principal to a global user.
 *
 * @example
 * ```ts
 * import * as common from 'oci-common';
 * import { DataplaneClient } from 'oci-identitydataplane';
 * import { startOciIdentityEmulator } from 'dbtoken/testing';
 * const emulator = await startOciIdentityEmulator({
 *   tenancies: [{ ocid: tenancyOcid, users: [{ ocid: userOcid, apiKeys: [{ fingerprint, publicKey: apiPublicKeyPem }] }] }],
 * });
 * const client = new DataplaneClient({ authenticationDetailsProvider: new common.ConfigFileAuthenticationDetailsProvider(configFile) });
 * client.endpoint = emulator.endpointFor('us-ashburn-1');
 * const { securityToken } = await client.generateScopedAccessToken({
 *   generateScopedAccessTokenDetails: { scope: 'urn:oracle:db::id::*', publicKey: sessionPublicKeyPem },
 * });
 * // securityToken.token is a JWT signed with emulator.publicKey
 * client.close();
 * await emulator.close();
 * ```
 */
export async function startOciIdentityEmulator(options: OciIdentityEmulatorOptions): Promise<OciIdentityEmulator> {
  // Check the setup up front, so that a typo fails the test's setup rather than its requests.
  if (!Array.isArray(options.tenancies)) throw new TypeError('tenancies must be an array');
  const tenancies = new Set<string>();
  /** `<tenancy>/<user>/<fingerprint>` → key. */
  const apiKeys = new Map<string, KeyObject>();
  /** Principal OCID → what the directory says about it. */
  const directory = new Map<string, OciIdentityPrincipal>();
  for (const tenancy of options.tenancies) {
    if (typeof tenancy.ocid !== 'string' || tenancy.ocid === '') throw new TypeError('every tenancies entry needs an ocid');
    if (tenancies.has(tenancy.ocid)) throw new TypeError(`tenancies lists ${tenancy.ocid} twice`);
    tenancies.add(tenancy.ocid);
    const users = new Set<string>();
    for (const user of tenancy.users ?? []) {
      if (typeof user.ocid !== 'string' || user.ocid === '') throw new TypeError(`every user of ${tenancy.ocid} needs an ocid`);
      if (users.has(user.ocid)) throw new TypeError(`tenancy ${tenancy.ocid} lists the user ${user.ocid} twice`);
      users.add(user.ocid);
      addUser(directory, tenancy.ocid, user);
      for (const apiKey of user.apiKeys ?? []) {
        const key = rsaPublicKey(apiKey.publicKey, `the API key ${apiKey.fingerprint} of ${user.ocid}`);
        const actual = ociKeyFingerprint(key);
        if (String(apiKey.fingerprint).toLowerCase() !== actual) {
          throw new TypeError(`the API key of ${user.ocid} has fingerprint ${actual}, not ${apiKey.fingerprint}`);
        }
        const keyId = `${tenancy.ocid}/${user.ocid}/${actual}`;
        if (apiKeys.has(keyId)) throw new TypeError(`the API key ${actual} of ${user.ocid} is registered twice`);
        apiKeys.set(keyId, key);
      }
    }
    for (const group of tenancy.dynamicGroups ?? []) addDynamicGroup(directory, tenancy.ocid, group);
  }
  const issuer = options.tokenIssuer !== undefined ? rsaPublicKey(options.tokenIssuer.publicKey, 'tokenIssuer.publicKey') : undefined;
  /** The emulator's own issuer, made when a fixture first asks for a security token (resourcePrincipalEnv). */
  let ownIssuer: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  /** A security token of `tokenIssuer`, or of the emulator's own issuer; the refusal is tokenIssuer's when there is one. */
  const checkIssued = (token: string): ReturnType<typeof checkSecurityToken> => {
    const configured = checkSecurityToken(token, issuer, now());
    if (configured.ok || ownIssuer === undefined) return configured;
    const own = checkSecurityToken(token, ownIssuer.publicKey, now());
    return own.ok || issuer === undefined ? own : configured;
  };
  const regions = [...(options.regions ?? ['us-ashburn-1'])];
  if (regions.length === 0) throw new TypeError('regions must list at least one region');
  for (const r of regions) {
    if (typeof r !== 'string' || !REGION_ID.test(r) || r === 'v1') throw new TypeError(`"${String(r)}" is not a region id that can be a path segment`);
  }
  const served = new Set(regions);
  const signingKey =
    options.signingKey !== undefined ? rsaPrivateKey(options.signingKey, 'signingKey') : rsaKeyPairSync(2048).privateKey;
  const publicKey = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString();
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  if (!Number.isFinite(lifetime) || lifetime <= 0) throw new TypeError('tokenLifetimeSeconds must be a positive number');
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new TypeError('latencyMs must be a number >= 0');
  const now = options.now ?? Date.now;

  const requests: OciIdentityRequestRecord[] = [];
  const waiting = new Set<{ timer: NodeJS.Timeout; resolve: (go: boolean) => void }>();
  let closed = false;

  /** Waits `latencyMs`; resolves false if the emulator closed meanwhile. */
  const delay = (): Promise<boolean> => {
    if (latencyMs === 0) return Promise.resolve(!closed);
    return new Promise<boolean>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          waiting.delete(entry);
          resolve(!closed);
        }, latencyMs),
        resolve,
      };
      waiting.add(entry);
    });
  };

  /** Decides who signed the request; never throws. */
  const authenticate = (req: IncomingMessage, body: Buffer): AuthVerdict => {
    const parsed = parseAuthorization(req.headers.authorization);
    if (!parsed.ok) return parsed;
    const { signature, headers: signed } = parsed.value;
    const keyId = parseKeyId(parsed.value.keyId);

    // The identity first, so that later refusals can still say whose request it was.
    let caller: Caller;
    let key: KeyObject;
    if (keyId.kind === 'security_token') {
      caller = { keyIdKind: 'security_token' };
      const checked = checkIssued(keyId.token);
      if (!checked.ok) return { ok: false, reason: checked.reason, caller };
      caller = { keyIdKind: 'security_token', principal: checked.value.principal };
      if (checked.value.tenancy === undefined) return { ok: false, reason: 'security token has no tenant claim', caller };
      caller.tenancy = checked.value.tenancy;
      if (!tenancies.has(checked.value.tenancy)) return { ok: false, reason: 'security token tenancy is not known', caller };
      key = checked.value.key;
    } else {
      caller = { keyIdKind: 'api_key' };
      if ('problem' in keyId) return { ok: false, reason: keyId.problem, caller };
      const { tenancy, user, fingerprint } = keyId;
      if (!tenancies.has(tenancy)) return { ok: false, reason: 'the keyId names an unknown tenancy', caller };
      caller = { keyIdKind: 'api_key', tenancy, principal: user };
      const found = apiKeys.get(`${tenancy}/${user}/${fingerprint.toLowerCase()}`);
      if (!found) return { ok: false, reason: 'no such API key for this user', caller };
      key = found;
    }

    // Which headers were signed.
    if (new Set(signed).size !== signed.length) return { ok: false, reason: 'the signed headers list repeats a header', caller };
    const required = ['(request-target)', 'host', 'content-length', 'content-type', 'x-content-sha256'];
    for (const h of required) {
      if (!signed.includes(h)) return { ok: false, reason: `the signature does not cover ${h}`, caller };
    }
    if (!signed.includes('date') && !signed.includes('x-date')) return { ok: false, reason: 'the signature does not cover date or x-date', caller };

    // The signing string, exactly as the signer built it.
    const signingInput = signingString(signed, { method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (!signingInput.ok) return { ok: false, reason: signingInput.reason, caller };
    if (!STANDARD_BASE64.test(signature)) return { ok: false, reason: 'the signature is not base64', caller };
    let verified = false;
    try {
      verified = verifySignature('sha256', Buffer.from(signingInput.value, 'utf8'), { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
    } catch {
      verified = false;
    }
    if (!verified) return { ok: false, reason: 'signature does not verify', caller };

    // The signed values must be true of this request.
    for (const h of ['x-date', 'date']) {
      if (!signed.includes(h)) continue;
      const at = Date.parse(String(req.headers[h]));
      if (!Number.isFinite(at)) return { ok: false, reason: `the ${h} header is not a date`, caller };
      if (Math.abs(now() - at) > MAX_CLOCK_SKEW_MS) return { ok: false, reason: `the ${h} header is more than 5 minutes from the server's clock`, caller };
    }
    if (req.headers['content-length'] !== String(body.length)) return { ok: false, reason: 'content-length does not match the body', caller };
    if (req.headers['x-content-sha256'] !== createHash('sha256').update(body).digest('base64')) {
      return { ok: false, reason: 'x-content-sha256 does not match the body', caller };
    }
    return { ok: true, caller: caller as Required<Caller> };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const serverId = randomBytes(16).toString('hex').toUpperCase();
    const clientId = req.headers['opc-request-id'];
    const requestId = opcRequestId(clientId, serverId);
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0]!;
    const record: { -readonly [K in keyof OciIdentityRequestRecord]: OciIdentityRequestRecord[K] } = { method, path, ok: false, status: 0, requestId };

    const answer = async (status: number, body: unknown, extraHeaders: Record<string, string> = {}): Promise<void> => {
      record.status = status;
      record.ok = status === 200;
      requests.push(Object.freeze({ ...record }));
      if (!(await delay()) || res.destroyed) {
        res.destroy();
        return;
      }
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
        'opc-request-id': requestId,
        ...extraHeaders,
      });
      res.end(text);
    };
    const refuse = (status: number, code: string, reason: string, extraHeaders?: Record<string, string>): Promise<void> => {
      record.reason = reason;
      return answer(status, { code, message: reason }, extraHeaders);
    };

    // The body, in full (the signature covers its hash).
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Past the limit, drain without keeping, so that the client still reads the 413.
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    }
    if (tooLarge) return refuse(413, 'RequestEntityTooLarge', `the body is larger than ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
    const body = Buffer.concat(chunks);

    // The route and region.
    const route = parseActionPath(path);
    if (!route) return refuse(404, 'NotFound', 'no such operation (the emulator serves only [/<region>]/v1/actions/generateScopedAccessToken)');
    const region = route.region ?? regions[0]!;
    record.region = region;
    if (!served.has(region)) return refuse(404, 'NotFound', `the emulator does not serve the region ${region}`);
    if (method !== 'POST') return refuse(405, 'MethodNotAllowed', 'generateScopedAccessToken takes POST', { allow: 'POST' });

    // Who is calling.
    const verdict = authenticate(req, body);
    if (verdict.caller) {
      record.keyIdKind = verdict.caller.keyIdKind;
      if (verdict.caller.tenancy !== undefined) record.tenancy = verdict.caller.tenancy;
      if (verdict.caller.principal !== undefined) record.principal = verdict.caller.principal;
    }
    if (!verdict.ok) return refuse(401, 'NotAuthenticated', verdict.reason);
    const caller = verdict.caller;

    // What they ask for.
    const details = parseTokenRequestBody(body);
    if (!details) return refuse(400, 'InvalidParameter', 'the body must be a JSON object {scope, publicKey}');
    const { scope, publicKey: clientKeyPem } = details;
    if (typeof scope === 'string') record.scope = scope;
    let clientKey: KeyObject | undefined;
    if (typeof clientKeyPem === 'string') {
      try {
        clientKey = createPublicKey(clientKeyPem);
        record.publicKeyFingerprint = ociKeyFingerprint(clientKey);
      } catch {
        clientKey = undefined;
      }
    }
    if (typeof scope !== 'string' || scope === '') return refuse(400, 'InvalidParameter', 'scope is required');
    const problem = scopeProblem(scope);
    if (problem !== undefined) return refuse(400, 'InvalidParameter', problem);
    if (typeof clientKeyPem !== 'string' || clientKeyPem === '') return refuse(400, 'InvalidParameter', 'publicKey is required');
    if (!/^-----BEGIN PUBLIC KEY-----\r?\n[\s\S]+\r?\n-----END PUBLIC KEY-----$/.test(clientKeyPem.trim()) || !clientKey) {
      return refuse(400, 'InvalidParameter', 'publicKey must be a PEM SubjectPublicKeyInfo (BEGIN PUBLIC KEY)');
    }
    if (clientKey.asymmetricKeyType !== 'rsa') return refuse(400, 'InvalidParameter', 'publicKey must be an RSA key');
    const bits = clientKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return refuse(400, 'InvalidParameter', `publicKey must have at least ${MIN_RSA_BITS} bits`);

    // The db-token.
    const iat = Math.floor(now() / 1000);
    const token = signJwt(
      { alg: 'RS256', typ: 'JWT', kid: 'emulator' },
      {
        sub: caller.principal,
        tenant: caller.tenancy,
        scope,
        jwk: clientKey.export({ format: 'jwk' }),
        iat,
        exp: iat + lifetime,
        iss: 'emulator',
        region,
        jti: randomUUID(),
      },
      signingKey,
    );
    return answer(200, { token });
  };

  const server: Server = createServer((req, res) => {
    if (closed) {
      res.destroy();
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'InternalServerError', message: 'the emulator failed to answer' }));
      } else {
        res.destroy();
      }
    });
  });
  const sockets = trackSockets(server);
  server.on('clientError', (_err, socket) => socket.destroy());

  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const emulator: OciIdentityEmulator = {
    url,
    host,
    port,
    regions: Object.freeze([...regions]),
    publicKey,
    requests,
    endpointFor: (region: string) => `${url}/${region}`,
    principal: (ocid: string) => directory.get(ocid),
    close: () => {
      if (closing) return closing;
      closed = true;
      // Pending latency waits end at once, and their requests are dropped unanswered.
      for (const w of waiting) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
      waiting.clear();
      return (closing = closeServer(server, sockets));
    },
  };
  registerIdentityInternals(emulator, {
    tenancies: () => options.tenancies.map((t) => t.ocid),
    now: () => now(),
    addApiKey: ({ tenancy, user, publicKey: key }) => {
      const known = user !== undefined ? directory.get(user) : undefined;
      if (known !== undefined && known.kind !== 'user') throw new TypeError(`${user} is a resource principal, not a user`);
      if (known !== undefined && tenancy !== undefined && known.tenancy !== tenancy) throw new TypeError(`${user} is a user of ${known.tenancy}, not of ${tenancy}`);
      const home = known?.tenancy ?? tenancy ?? options.tenancies[0]?.ocid;
      if (home === undefined || !tenancies.has(home)) throw new TypeError(`the emulator has no tenancy ${home ?? '(it has none)'}`);
      const ocid = user ?? `ocid1.user.oc1..dbtokentest${randomBytes(12).toString('hex')}`;
      if (known === undefined) addUser(directory, home, { ocid });
      const fingerprint = ociKeyFingerprint(rsaPublicKey(key, 'the API key'));
      apiKeys.set(`${home}/${ocid}/${fingerprint}`, key);
      return { tenancy: home, user: ocid, fingerprint };
    },
    issueSecurityToken: (claims) => {
      ownIssuer ??= rsaKeyPairSync(2048);
      return signJwt({ alg: 'RS256', typ: 'JWT', kid: 'emulator-issuer' }, claims, ownIssuer.privateKey);
    },
  });
  return emulator;
}

/**
 * Issues a security token the way `oci session authenticate` (a UPST) or the resource-principal service
 * (an RPST) would: a compact RS256 JWT, signed with `issuerKey`, with `sub`, `tenant`, `exp`, `iat` (now)
 * and `jwk`, the session public key that the holder signs its requests with, then `claims`. Give its
 * issuer's public key to {@link startOciIdentityEmulator} as `tokenIssuer`, and the token to the OCI SDK
 * (`security_token_file` in `~/.oci/config`, or `OCI_RESOURCE_PRINCIPAL_RPST`).
 *
 * @example
 * ```ts
 * import { issueSecurityToken } from 'dbtoken/testing';
 * const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
 * const session = generateKeyPairSync('rsa', { modulusLength: 2048 });
 * const token = issueSecurityToken({
 *   issuerKey: issuer.privateKey,
 *   sub: 'ocid1.user.oc1..aaaaalice',
 *   tenant: 'ocid1.tenancy.oc1..aaaatenancy',
 *   exp: Math.floor(Date.now() / 1000) + 3600,
 *   publicKey: session.publicKey,
 * });
 * writeFileSync(tokenFile, token); // no trailing newline: oci-common sends the file's text as it is
 * ```
 */
export function issueSecurityToken(options: OciSecurityTokenOptions): string {
  const issuerKey = rsaPrivateKey(options.issuerKey, 'issuerKey');
  if (typeof options.sub !== 'string' || options.sub === '') throw new TypeError('sub is required');
  if (typeof options.exp !== 'number' || !Number.isFinite(options.exp)) throw new TypeError('exp is required (seconds since the epoch)');
  const sessionKey = rsaPublicKey(options.publicKey, 'publicKey');
  const jwk = sessionKey.export({ format: 'jwk' });
  const claims: Record<string, unknown> = {
    sub: options.sub,
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    jwk: options.jwkAsString ? JSON.stringify(jwk) : jwk,
    iat: Math.floor(Date.now() / 1000),
    exp: options.exp,
    ...options.claims,
  };
  return signJwt({ alg: 'RS256', typ: 'JWT', kid: 'issuer' }, claims, issuerKey);
}
