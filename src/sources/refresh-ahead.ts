import type { TokenProviderOptions } from '../core/provider.js';

/**
 * How long before expiry the cloud SDKs themselves renew a cached token:
 * MSAL (Azure) and google-auth-library both hand back their cached token
 * until it has 5 minutes left. A refresh asked for earlier would get the
 * same token again, so providers of their tokens refresh in that window.
 */
export const SDK_RENEWAL_WINDOW_MS = 5 * 60_000;

/**
 * The default `refreshBefore` of a provider whose SDK caches tokens:
 * {@link SDK_RENEWAL_WINDOW_MS}, or more when the caller's `minValidity`
 * asks for a larger margin (the refresh must come before a token is too
 * old to hand out). `undefined` when the caller sets `refreshBefore`.
 */
export function refreshBeforeDefault(options: TokenProviderOptions): number | undefined {
  if (options.refreshBefore !== undefined) return undefined;
  const minValidity = typeof options.minValidity === 'number' && Number.isFinite(options.minValidity) ? options.minValidity : 0;
  return Math.max(SDK_RENEWAL_WINDOW_MS, minValidity + 60_000);
}
