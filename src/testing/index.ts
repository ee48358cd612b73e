/**
 * Mocks and local verifiers for your own test suites: providers you control,
 * and servers that check tokens for real, down to an OCI IAM and an Oracle
 * Database that node-oracledb logs in to with db-tokens.
 *
 * @example
 * ```ts
 * import { staticToken, mockTokenSource, verifyRdsToken, verifyDsqlToken, startLdapVerifier } from 'dbtoken/testing';
 * import { startOciIdentityEmulator, startOracleDbEmulator } from 'dbtoken/testing';
 * import { startVerifyingPostgres, startVerifyingMariaDb } from 'dbtoken/testing';
 * import { startEntraIdEmulator, verifyEntraToken } from 'dbtoken/testing';
 * ```
 * @module dbtoken/testing
 */
export { staticToken } from './static-token.js';
export { mockTokenSource, type MockTokenSource, type MockTokenSourceOptions, type MockTokenCall, type MockTokenInit, type MockDeferred } from './mock-token-source.js';
export { verifyRdsToken, type RdsTokenVerifierConfig, type RdsTokenVerdict, type RdsTokenAccepted, type RdsTokenRefused, type RdsVerifierCredentials } from './verify-rds-token.js';
export { verifyDsqlToken, type DsqlTokenVerifierConfig, type DsqlTokenVerdict, type DsqlTokenAccepted } from './verify-dsql-token.js';
export { startLdapVerifier, type LdapBind, type LdapBindRecord, type LdapVerdict, type LdapVerifier, type LdapVerifierOptions } from './ldap/server.js';
export { startPamScriptVerifier, type PamLogin, type PamLoginRecord, type PamVerdict, type PamScriptVerifier, type PamScriptVerifierOptions } from './pam/server.js';
export {
  startHeatwaveEmulator,
  ociKeyFingerprint,
  type HeatwaveApiKey,
  type HeatwaveDirectUser,
  type HeatwaveEmulator,
  type HeatwaveEmulatorOptions,
  type HeatwaveGroupMappingUser,
  type HeatwaveIamUser,
  type HeatwaveLogin,
  type HeatwaveMysqlUser,
  type HeatwaveTlsOptions,
} from './heatwave/server.js';
export {
  startOciIdentityEmulator,
  issueSecurityToken,
  type OciIdentityApiKey,
  type OciIdentityEmulator,
  type OciIdentityEmulatorOptions,
  type OciIdentityRequestRecord,
  type OciIdentityTenancy,
  type OciIdentityTokenIssuer,
  type OciIdentityUser,
  type OciIdentityDynamicGroup,
  type OciIdentityPrincipal,
  type OciSecurityTokenOptions,
} from './oci-identity/server.js';
export { type LoginVerdict, type VerifiedLogin, type VerifyingServer, type VerifyingServerOptions } from './verifying-server.js';
export { startVerifyingPostgres, type VerifyingPostgres, type VerifyingPostgresOptions } from './postgres/server.js';
export { startVerifyingMariaDb, type VerifyingMariaDb } from './mariadb/server.js';
export {
  ociTestProfile,
  resourcePrincipalEnv,
  type OciTestProfile,
  type OciTestProfileOptions,
  type ResourcePrincipalEnv,
  type ResourcePrincipalEnvOptions,
} from './oci-fixtures.js';
export {
  startOracleDbEmulator,
  type OracleDbEmulator,
  type OracleDbEmulatorDatabase,
  type OracleDbEmulatorOptions,
  type OracleDbLogin,
  type OracleDbSession,
} from './oracle/server.js';
export {
  startEntraIdEmulator,
  type EntraIdEmulator,
  type EntraIdEmulatorOptions,
  type EntraManagedIdentity,
  type EntraManagedIdentityEnv,
  type EntraRequestRecord,
  type EntraServicePrincipal,
  type EntraServicePrincipalInfo,
  type EntraTokenVerifier,
  type EntraUserToken,
  type EntraUserTokenOptions,
  type EntraVerifierOptions,
} from './entra/server.js';
export { verifyEntraToken, type VerifyEntraTokenOptions, type EntraTokenVerdict, type EntraTokenAccepted, type EntraTokenRefused } from './entra/verify.js';
export { type EntraJwk, type EntraJwks } from './entra/jwt.js';
export {
  startGcpAuthEmulator,
  type GcpAuthEmulator,
  type GcpAuthEmulatorOptions,
  type GcpAuthRequestRecord,
  type GcpAuthorizedUser,
  type GcpAuthorizedUserOptions,
  type GcpCloudSqlVerifierOptions,
  type GcpGoogleAuthOptions,
  type GcpIssuedToken,
  type GcpIssueOptions,
  type GcpMetadataEnv,
  type GcpServiceAccountKey,
  type GcpTransportRequest,
} from './gcp/server.js';
