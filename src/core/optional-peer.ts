/**
 * Pure helpers for loading an optional peer package (a driver, a signer, a
 * cloud's identity SDK) when it is first needed. The `import()` itself stays
 * at each call site, naming its package literally inside its own `try`, so
 * that bundlers bundle a peer that is installed (see scripts/build.mjs).
 */
import { ConfigError } from './errors.js';

/** The npm package a module specifier belongs to: `mysql2/promise` → `mysql2`, `@aws-sdk/rds-signer/x` → `@aws-sdk/rds-signer`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Whether `err` says that `specifier` itself (or its package) is not
 * installed, as opposed to something it imports being missing, or a broken
 * install: Node names the missing module in quotes, in both module systems.
 *
 * @example
 * isNotInstalled(Object.assign(new Error("Cannot find package 'pg' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' }), 'pg'); // true
 */
export function isNotInstalled(err: unknown, specifier: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  const message = typeof e.message === 'string' ? e.message : '';
  return [specifier, packageOf(specifier)].some((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`));
}

/** A CommonJS package's exports, whether `import()` or a bundler wrapped them in a namespace. */
export function exportsOf<T>(ns: { default?: T }): T {
  return ns.default ?? (ns as T);
}

/**
 * `err` as the {@link ConfigError} on `field` for a missing optional peer,
 * when it says that `specifier` is not installed; otherwise `err` itself.
 * The message reads "`field`: `needs` the <package> package, which is not
 * installed", and the fix is `npm install <package>`, then `orElse`.
 *
 * @example
 * throw peerMissing(err, 'google-auth-library', 'auth', 'needs', 'or pass auth');
 */
export function peerMissing(err: unknown, specifier: string, field: string, needs: string, orElse?: string): unknown {
  if (!isNotInstalled(err, specifier)) return err;
  const pkg = packageOf(specifier);
  return new ConfigError(field, `${needs} the ${pkg} package, which is not installed`, `npm install ${pkg}${orElse === undefined ? '' : `, ${orElse}`}`, { cause: err });
}
