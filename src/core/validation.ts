import { isIP } from 'node:net';
import { ConfigError } from './errors.js';

/** A GUID (8-4-4-4-12 hexadecimal digits), as Entra writes object and client ids; any case. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Small checks that turn bad input into a {@link ConfigError} naming the field. */

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  return typeof value === 'object' ? 'an object' : `${typeof value === 'undefined' ? 'undefined' : 'a ' + typeof value}`;
}

export function requireObject(field: string, value: unknown, hint: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(field, `must be an object (${hint}), got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function requireString(field: string, value: unknown, hint: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ConfigError(field, `is required: ${hint} (got ${describe(value)})`);
  }
  return value;
}

export function optionalString(field: string, value: unknown, hint: string): string | undefined {
  return value === undefined ? undefined : requireString(field, value, hint);
}

export function requirePort(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ConfigError(field, `must be an integer from 1 to 65535, got ${describe(value)}`);
  }
  return value;
}

export function optionalDuration(field: string, value: unknown, opts: { min?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const min = opts.min ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigError(field, `must be a finite number of milliseconds >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function optionalFunction<T>(field: string, value: unknown, hint: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ConfigError(field, `must be a function: ${hint} (got ${describe(value)})`);
  return value as T;
}

/**
 * A host name or IP address alone, trimmed: no scheme, port, user or path.
 * The message names the first such character and where it is, not the
 * value, which may be a URL with a password or token in it.
 *
 * @example
 * requireBareHost('hostname', 'db.internal', 'the server'); // 'db.internal'
 */
export function requireBareHost(field: string, value: unknown, hint: string, fix = 'put the port in `port`'): string {
  const host = requireString(field, value, hint).trim();
  const at = host.search(/[/:@\s]/);
  // isIP last: its first call compiles Node's IPv6 pattern, about 10 ms of a cold start.
  if (at >= 0 && isIP(host) === 0) {
    throw new ConfigError(field, `must be a bare hostname without scheme, port, user or path (it holds ${JSON.stringify(host[at])} at position ${at + 1})`, fix);
  }
  return host;
}
