import type { KeyObject } from 'node:crypto';
import { rsaKeyPair } from './key-pairs.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { describe } from '../core/validation.js';
import { identityInternals, type OciIdentityInternals } from './oci-identity/internals.js';
import type { OciIdentityEmulator } from './oci-identity/server.js';
import { atExit } from './system.js';


async function rsa(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return rsaKeyPair(2048);
}

function internalsOf(identity: unknown): OciIdentityInternals {
  const parts = identityInternals(identity);
  if (parts === undefined) {
    throw new ConfigError('identity', `must be a running startOciIdentityEmulator() from this copy of dbtoken/testing, got ${describe(identity)}`);
  }
  return parts;
}

function optionalText(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || /[\s\r\n=\[\]]/.test(value)) throw new ConfigError(field, `must be a non-empty string without spaces, '=' or brackets, got ${describe(value)}`);
  return value;
}

function regionOf(identity: OciIdentityEmulator, region: unknown): string {
  const r = optionalText('region', region) ?? identity.regions[0]!;
  if (!identity.regions.includes(r)) throw new ConfigError('region', `is ${r}, which the identity emulator does not serve (${identity.regions.join(', ')})`, 'pass one of its regions, or start it with this one');
  return r;
}

/**
 * Options of {@link ociTestProfile}.
 *
 * @example
 * ```ts
 * const options: OciTestProfileOptions = { identity: iam, user: 'ocid1.user.oc1..aaaaalice', profile: 'ALICE' };
 * ```
 */
export interface OciTestProfileOptions {
  /**
   * The running identity emulator that will know the key.
   * @example `await startOciIdentityEmulator({ tenancies })`
   */
  identity: OciIdentityEmulator;
  /**
   * The user the key belongs to: one of the emulator's users (its groups and name then apply), or a
   * new OCID, made a user of `tenancy`. Default: a new user.
   * @example `'ocid1.user.oc1..aaaaalice'`
   */
  user?: string | undefined;
  /**
   * The tenancy of a new user. Default: the emulator's first tenancy.
   * @example `'ocid1.tenancy.oc1..aaaatenancy'`
   */
  tenancy?: string | undefined;
  /**
   * The profile's name. Default `'DEFAULT'`.
   * @example `'ALICE'`
   */
  profile?: string | undefined;
  /**
   * The profile's `region`. Default: the emulator's first region.
   * @example `'eu-frankfurt-1'`
   */
  region?: string | undefined;
}

/**
 * What {@link ociTestProfile} wrote.
 *
 * @example
 * ```ts
 * const { configFile, profile, fingerprint, user, close }: OciTestProfile = await ociTestProfile({ identity: iam });
 * ```
 */
export interface OciTestProfile {
  /**
   * The OCI config file: give it to `ociDbToken`'s `auth`, or as `OCI_CONFIG_FILE`.
   * @example `'/tmp/dbtoken-oci-profile-AbC123/config'`
   */
  readonly configFile: string;
  /**
   * The profile's name in it.
   * @example `'DEFAULT'`
   */
  readonly profile: string;
  /**
   * The API key's fingerprint, as the emulator registered it.
   * @example `'12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0'`
   */
  readonly fingerprint: string;
  /**
   * The user the key belongs to.
   * @example `'ocid1.user.oc1..aaaaalice'`
   */
  readonly user: string;
  /**
   * The user's tenancy.
   * @example `'ocid1.tenancy.oc1..aaaatenancy'`
   */
  readonly tenancy: string;
  /**
   * Removes the config file and the private key.
   * @example
   * ```ts
   * afterAll(() => profile.close());
   * ```
   */
  close(): void;
}

/**
 * Writes an OCI config profile and a fresh API signing key (RSA 2048, PKCS#8) into a new temp folder,
 * and registers the key with the identity emulator, so that the OCI SDK (and `ociDbToken` with
 * `auth: { type: 'api_key' }`) signs requests the emulator accepts, as that user. The private key file
 * is readable by its owner only; `close()` removes the folder, and so does the process's exit.
 *
 * @example
 * ```ts
 * import { ociDbToken, ociScope } from 'dbtoken/oci';
 * import { ociTestProfile, startOciIdentityEmulator } from 'dbtoken/testing';
 *
 * const iam = await startOciIdentityEmulator({ tenancies: [{ ocid: 'ocid1.tenancy.oc1..aaaatenancy' }] });
 * const profile = await ociTestProfile({ identity: iam });
 * const token = ociDbToken({
 *   scope: ociScope.all(),
 *   auth: { type: 'api_key', configFile: profile.configFile, profile: profile.profile },
 *   endpoint: iam.endpointFor('us-ashburn-1'),
 * });
 * await token.getToken();
 * token.close();
 * profile.close();
 * await iam.close();
 * ```
 */
export async function ociTestProfile(options: OciTestProfileOptions): Promise<OciTestProfile> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', `must be an object, got ${describe(options)}`);
  const parts = internalsOf(options.identity);
  const user = optionalText('user', options.user);
  const tenancy = optionalText('tenancy', options.tenancy);
  const profile = optionalText('profile', options.profile) ?? 'DEFAULT';
  const region = regionOf(options.identity, options.region);
  if (tenancy !== undefined && !parts.tenancies().includes(tenancy)) throw new ConfigError('tenancy', `is ${tenancy}, which the identity emulator does not have`);
  const keys = await rsa();
  let registered: { tenancy: string; user: string; fingerprint: string };
  try {
    registered = parts.addApiKey({ tenancy, user, publicKey: keys.publicKey });
  } catch (err) {
    throw new ConfigError(user !== undefined ? 'user' : 'tenancy', (err as Error).message);
  }
  const dir = mkdtempSync(join(tmpdir(), 'dbtoken-oci-profile-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const unhook = atExit(remove);
  chmodSync(dir, 0o700);
  const keyFile = join(dir, 'key.pem');
  const configFile = join(dir, 'config');
  writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(
    configFile,
    [`[${profile}]`, `user=${registered.user}`, `fingerprint=${registered.fingerprint}`, `tenancy=${registered.tenancy}`, `region=${region}`, `key_file=${keyFile}`, ''].join('\n'),
    { mode: 0o600 },
  );
  return {
    configFile,
    profile,
    fingerprint: registered.fingerprint,
    user: registered.user,
    tenancy: registered.tenancy,
    close: () => {
      unhook();
      remove();
    },
  };
}

/**
 * Options of {@link resourcePrincipalEnv}.
 *
 * @example
 * ```ts
 * const options: ResourcePrincipalEnvOptions = { identity: iam, resource: 'ocid1.fnfunc.oc1.iad.aaaafn', compartment: 'ocid1.compartment.oc1..aaaaapps' };
 * ```
 */
export interface ResourcePrincipalEnvOptions {
  /**
   * The running identity emulator that will accept the token.
   * @example `await startOciIdentityEmulator({ tenancies })`
   */
  identity: OciIdentityEmulator;
  /**
   * The function's OCID (the token's `sub`): list it in a tenancy's `dynamicGroups` for the Oracle
   * Database emulator to map it. Default: a new `ocid1.fnfunc` OCID.
   * @example `'ocid1.fnfunc.oc1.iad.aaaafn'`
   */
  resource?: string | undefined;
  /**
   * Its tenancy (`res_tenant`). Default: the emulator's first tenancy.
   * @example `'ocid1.tenancy.oc1..aaaatenancy'`
   */
  tenancy?: string | undefined;
  /**
   * Its compartment (`res_compartment`). Default: the tenancy.
   * @example `'ocid1.compartment.oc1..aaaaapps'`
   */
  compartment?: string | undefined;
  /**
   * `OCI_RESOURCE_PRINCIPAL_REGION`. Default: the emulator's first region.
   * @example `'us-ashburn-1'`
   */
  region?: string | undefined;
  /**
   * How long the token lasts, from now. Default 3600 (an hour).
   * @example `120`
   */
  expiresInSeconds?: number | undefined;
}

/**
 * The variables OCI Functions sets for a function's resource principal (version 2.2), read by the OCI
 * SDK's `ResourcePrincipalAuthenticationDetailsProvider` and so by `ociDbToken` with
 * `auth: { type: 'resource_principal' }`. The values are inline (no files).
 *
 * @example
 * ```ts
 * const env: ResourcePrincipalEnv = await resourcePrincipalEnv({ identity: iam });
 * env.OCI_RESOURCE_PRINCIPAL_VERSION; // '2.2'
 * ```
 */
export interface ResourcePrincipalEnv {
  /** Always `'2.2'`. */
  readonly OCI_RESOURCE_PRINCIPAL_VERSION: '2.2';
  /** The resource-principal session token (RPST): a JWT with `sub`, `res_tenant`, `res_compartment` and the session key as `jwk`. */
  readonly OCI_RESOURCE_PRINCIPAL_RPST: string;
  /** The session's private key, PKCS#8 PEM. */
  readonly OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: string;
  /** The function's region. */
  readonly OCI_RESOURCE_PRINCIPAL_REGION: string;
  readonly [name: string]: string;
}

/**
 * The `OCI_RESOURCE_PRINCIPAL_*` variables of an OCI Function whose resource-principal token the
 * identity emulator accepts: a fresh session key pair, and an RPST for it signed by a key the emulator
 * trusts. Put them in `process.env` (or a child's environment) and point `ociDbToken`'s `endpoint` at
 * the emulator; the SDK reads no endpoint from them. They hold a private key: keep them out of logs.
 *
 * @example
 * ```ts
 * import { ociDbToken, ociScope } from 'dbtoken/oci';
 * import { resourcePrincipalEnv, startOciIdentityEmulator } from 'dbtoken/testing';
 *
 * const iam = await startOciIdentityEmulator({ tenancies: [{ ocid: 'ocid1.tenancy.oc1..aaaatenancy' }] });
 * Object.assign(process.env, await resourcePrincipalEnv({ identity: iam }));
 * const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'resource_principal' }, endpoint: iam.endpointFor('us-ashburn-1') });
 * await token.getToken();
 * ```
 */
export async function resourcePrincipalEnv(options: ResourcePrincipalEnvOptions): Promise<ResourcePrincipalEnv> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', `must be an object, got ${describe(options)}`);
  const parts = internalsOf(options.identity);
  const tenancy = optionalText('tenancy', options.tenancy) ?? parts.tenancies()[0];
  if (tenancy === undefined || !parts.tenancies().includes(tenancy)) throw new ConfigError('tenancy', `is ${tenancy ?? 'missing'}, which the identity emulator does not have`);
  const region = regionOf(options.identity, options.region);
  const lifetime = options.expiresInSeconds ?? 3600;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime <= 0) throw new ConfigError('expiresInSeconds', `must be a positive number, got ${describe(lifetime)}`);
  const resource = optionalText('resource', options.resource) ?? `ocid1.fnfunc.oc1.${region}.dbtokentest${Math.random().toString(36).slice(2, 14)}`;
  const compartment = optionalText('compartment', options.compartment) ?? tenancy;
  const session = await rsa();
  // On the emulator's clock, which checks it: a test may run the emulator ahead of the wall clock.
  const iat = Math.floor(parts.now() / 1000);
  const rpst = parts.issueSecurityToken({
    sub: resource,
    ptype: 'resource',
    res_type: 'fnfunc',
    res_tenant: tenancy,
    res_compartment: compartment,
    jwk: session.publicKey.export({ format: 'jwk' }),
    iat,
    exp: iat + Math.ceil(lifetime),
  });
  return {
    OCI_RESOURCE_PRINCIPAL_VERSION: '2.2',
    OCI_RESOURCE_PRINCIPAL_RPST: rpst,
    OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: session.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    OCI_RESOURCE_PRINCIPAL_REGION: region,
  };
}
