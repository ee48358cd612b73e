/**
 * The ways {@link OciAuth} can authenticate to OCI IAM, in one list that the
 * library and the CLI share.
 *
 * @example
 * ```ts
 * import { OCI_AUTH_TYPES } from 'dbtoken/oci';
 * OCI_AUTH_TYPES.includes('resource_principal'); // true
 * ```
 */
export const OCI_AUTH_TYPES = ['api_key', 'security_token', 'instance_principal', 'resource_principal', 'oke_workload_identity'] as const;

/**
 * How {@link ociDbToken} authenticates its call to OCI IAM.
 *
 * @example
 * ```ts
 * const auth: OciAuth = { type: 'security_token', profile: 'session' }; // after `oci session authenticate`
 * const token = ociDbToken({ scope: ociScope.all(), auth });
 * ```
 */
export type OciAuth =
  | {
      /** An API signing key from an OCI config profile (`oci setup config`). */
      type: 'api_key';
      /** Default `~/.oci/config`. */
      configFile?: string | undefined;
      /** Default `DEFAULT`. */
      profile?: string | undefined;
    }
  | {
      /** A session from `oci session authenticate` (the profile's `security_token_file`). */
      type: 'security_token';
      /** Default `~/.oci/config`. */
      configFile?: string | undefined;
      /** Default `DEFAULT`. */
      profile?: string | undefined;
    }
  | {
      /** A compute instance's identity (instance metadata service). */
      type: 'instance_principal';
    }
  | {
      /** An OCI Functions (or other resource) identity from `OCI_RESOURCE_PRINCIPAL_*` variables. */
      type: 'resource_principal';
    }
  | {
      /** An OKE pod's service account (OKE Workload Identity). */
      type: 'oke_workload_identity';
    };

