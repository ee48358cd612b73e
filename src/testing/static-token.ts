import { ConfigError } from '../core/errors.js';
import { tokenProvider, type TokenProvider, type TokenProviderOptions } from '../core/provider.js';
import { describe, optionalDuration, requirePort, requireString } from '../core/validation.js';

/**
 * A provider that always returns `token`, each time with a fresh
 * `expiresAt` (`expiresInMs` from now, default 1 hour). It is a real
 * {@link tokenProvider}, so it caches, refreshes and closes like the others.
 * `user`, `host` and `port` say who the token is for, as a real provider's
 * target does: adapters fill the pool's user (and host and port) from them.
 *
 * @example
 * ```ts
 * import { staticToken } from 'dbtoken/testing';
 * const pool = await createIamPool({ driver: 'pg', token: staticToken('secret', { user: 'app', host: 'localhost', port: 5432 }), ssl: { ca } });
 * ```
 */
export function staticToken(
  token: string,
  options: { expiresInMs?: number; user?: string; host?: string; port?: number } & Omit<TokenProviderOptions, 'lifetime'> = {},
): TokenProvider {
  if (typeof token !== 'string' || token.length === 0) {
    throw new ConfigError('token', `must be a non-empty string, got ${describe(token)}`, "pass the token every getToken() should return, such as staticToken('secret')");
  }
  const { expiresInMs, user, host, port, ...rest } = options;
  const lifetime = optionalDuration('expiresInMs', expiresInMs, { min: 1 }) ?? 60 * 60_000;
  // user, host and port are the target, as a real provider's: adapters fill the pool from them.
  if (user !== undefined || host !== undefined || port !== undefined) {
    if (rest.target !== undefined) throw new ConfigError('target', 'is given together with user, host or port', 'give either target or user/host/port');
    rest.target = {
      ...(user !== undefined ? { user: requireString('user', user, 'the database user the token logs in as') } : {}),
      ...(host !== undefined ? { host: requireString('host', host, 'the host the token is made for') } : {}),
      ...(port !== undefined ? { port: requirePort('port', port) } : {}),
    };
  }
  const clock = rest.clock;
  const now = (): number => (clock ? clock() : Date.now());
  return tokenProvider(async () => ({ token, expiresAt: new Date(now() + lifetime) }), { ...rest, lifetime });
}
