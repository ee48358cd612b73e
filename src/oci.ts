/**
 * Oracle Cloud Infrastructure: IAM db-tokens for Oracle Database (Autonomous
 * Database, DBaaS), and MySQL HeatWave IAM logins.
 *
 * @example
 * ```ts
 * import { ociDbToken, ociScope, heatwaveOciToken } from 'dbtoken/oci';
 * const token = ociDbToken({ scope: ociScope.all() });
 * ```
 * @module dbtoken/oci
 */
export { heatwaveOciToken, MAX_SECURITY_TOKEN_BYTES, NEVER, type HeatwaveOciTokenConfig } from './sources/oci/heatwave.js';
export { ociDbToken, OCI_DB_TOKEN_LIFETIME_MS, type OciDbTokenConfig } from './sources/oci/db-token.js';
export { OCI_AUTH_TYPES, type OciAuth } from './sources/oci/auth.js';
export { ociScope, parseOciScope, parseOcid, type ParsedOcid, type ParsedScope, type AllScope, type ContainerScope, type DatabaseScope, type PathScope, type PathScopeParts } from './sources/oci/scope.js';
export { identityDataPlaneEndpoint, isOciRegion } from './sources/oci/region.js';
