import type { TokenProviderOptions } from '../core/provider.js';

/**
 * How long before expiry the cloud SDKs themselves renew a cached token:
 * MSAL (Azure) and google-auth-library both hand back their cached token
 * until it has 5 minutes left. A refresh asked for earlier would get the
 * same token again, so providers of their tokens refresh in that window.
 */
const SDK_RENEWAL_WINDOW_MS = 5 * 60_000;

/**
 * `options` of a provider whose SDK caches tokens, with its `refreshBefore`
 * defaulting to {@link SDK_RENEWAL_WINDOW_MS}, or more when the caller's
 * `minValidity` asks for a larger margin (the refresh must come before a
 * token is too old to hand out). A `refreshBefore` the caller sets is kept;
 * one set to `undefined` counts as unset.
 */
export function withSdkRefreshBefore(options: TokenProviderOptions): TokenProviderOptions {
  if (options.refreshBefore !== undefined) return options;
  const minValidity = typeof options.minValidity === 'number' && Number.isFinite(options.minValidity) ? options.minValidity : 0;
  return { ...options, refreshBefore: Math.max(SDK_RENEWAL_WINDOW_MS, minValidity + 60_000) };
}
