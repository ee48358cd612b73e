import { ConfigError } from '../core/errors.js';
import { tokenProvider, type TokenProvider, type TokenProviderOptions } from '../core/provider.js';
import { describe, optionalDuration } from '../core/validation.js';

/**
 * A provider that always returns `token`, each time with a fresh
 * `expiresAt` (`expiresInMs` from now, default 1 hour). It is a real
 * {@link tokenProvider}, so it caches, refreshes and closes like the others.
 *
 * @example
 * ```ts
 * import { staticToken } from 'dbtoken/testing';
 * const pool = await createIamPool({ driver: 'pg', token: staticToken('secret'), host: 'localhost', ssl: { ca } });
 * ```
 */
export function staticToken(
  token: string,
  options: { expiresInMs?: number } & Omit<TokenProviderOptions, 'lifetime'> = {},
): TokenProvider {
  if (typeof token !== 'string' || token.length === 0) {
    throw new ConfigError('token', `must be a non-empty string, got ${describe(token)}`, "pass the token every getToken() should return, such as staticToken('secret')");
  }
  const { expiresInMs, ...rest } = options;
  const lifetime = optionalDuration('expiresInMs', expiresInMs, { min: 1 }) ?? 60 * 60_000;
  const clock = rest.clock;
  const now = (): number => (clock ? clock() : Date.now());
  return tokenProvider(async () => ({ token, expiresAt: new Date(now() + lifetime) }), { ...rest, lifetime });
}
