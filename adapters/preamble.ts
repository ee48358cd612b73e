import { ConfigError } from '../src/core/errors.js';
import type { TokenTarget } from '../src/core/provider.js';

/** The connection settings an adapter shares with the provider's {@link TokenTarget}. */
export interface ConnectionTarget {
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
}

/**
 * Fills `user`, and `host`/`port` when the pool names no host, from the
 * provider's target, and refuses settings that could never log in: another
 * user than the token's, or another port on the same host (a token is signed
 * for one host and port; connecting through a tunnel on another host is fine).
 * `hasOwnEndpoint` is true when the pool sets its endpoint some other way
 * (a connection string, a socket path).
 */
export function applyTarget<C extends ConnectionTarget>(config: C, target: TokenTarget | undefined, defaultPort: number, hasOwnEndpoint = false): C {
  if (target === undefined) return config;
  const out = { ...config };
  if (target.user !== undefined) {
    if (out.user !== undefined && out.user !== target.user) {
      throw new ConfigError('user', `is "${out.user}" but the token provider makes tokens for "${target.user}"; drop user or make them match`);
    }
    out.user = target.user;
  }
  if (out.host === undefined && !hasOwnEndpoint && target.host !== undefined) {
    out.host = target.host;
    if (out.port === undefined && target.port !== undefined) out.port = target.port;
  } else if (
    target.port !== undefined &&
    target.host !== undefined &&
    out.host !== undefined &&
    out.host.toLowerCase() === target.host.toLowerCase() &&
    (out.port ?? defaultPort) !== target.port
  ) {
    throw new ConfigError('port', `the pool connects to ${out.host}:${out.port ?? defaultPort} but the token is made for port ${target.port}; give the provider and the pool the same port`);
  }
  return out;
}
