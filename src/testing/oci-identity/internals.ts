/**
 * Internal: what the test fixtures (`ociTestProfile`, `resourcePrincipalEnv`) may do to a running
 * identity emulator that its public face does not offer: register an API key, and issue a security
 * token it trusts. Kept off {@link OciIdentityEmulator} so that the emulator's face stays what OCI's is.
 * Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import type { KeyObject } from 'node:crypto';
import type { OciIdentityEmulator } from './server.js';

/** @internal */
export interface OciIdentityInternals {
  /** The tenancies' OCIDs, in the order given. */
  tenancies(): readonly string[];
  /** The emulator's clock (ms since the epoch): its `now` option, else the wall clock. */
  now(): number;
  /**
   * Registers `publicKey` as an API key of `user` (made in `tenancy`, default the first, when the
   * directory does not have it; a new OCID when `user` is not given).
   */
  addApiKey(o: { tenancy?: string | undefined; user?: string | undefined; publicKey: KeyObject }): { tenancy: string; user: string; fingerprint: string };
  /** An RS256 security token with these claims, signed by a key of the emulator's own that it trusts as it trusts `tokenIssuer`. */
  issueSecurityToken(claims: Record<string, unknown>): string;
}

const internals = new WeakMap<object, OciIdentityInternals>();

/** @internal */
export function registerIdentityInternals(emulator: OciIdentityEmulator, parts: OciIdentityInternals): void {
  internals.set(emulator, parts);
}

/** The internals of an emulator this copy of dbtoken started, or `undefined`. @internal */
export function identityInternals(emulator: unknown): OciIdentityInternals | undefined {
  return typeof emulator === 'object' && emulator !== null ? internals.get(emulator) : undefined;
}
