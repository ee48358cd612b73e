/**
 * node-oracledb's own connect-string readers (thin mode,
 * lib/thin/sqlnet/): its Easy Connect resolver and its name-value parser.
 * dbtoken's TLS check reads connect strings with them, so it judges the
 * very descriptor tree the driver then connects from, in whatever release
 * is installed: a parameter or a quoting rule a new release adds cannot
 * slip past the check.
 *
 * Each `import()` names its file literally and sits directly inside its own
 * `try` block, as in load-driver.ts: a bundle for node-oracledb holds these
 * files anyway, and a bundle without it leaves them to fail here.
 */
import { exportsOf } from '../../src/core/optional-peer.js';

/**
 * A node of the driver's name-value tree (its `NVPair`): `rhsType` 1 holds
 * `atom`, 2 holds `list`.
 *
 * @example
 * ```ts
 * const p: DriverNvPair = { name: 'PROTOCOL', rhsType: 1, atom: 'tcps' };
 * ```
 */
export interface DriverNvPair {
  readonly name: string;
  readonly rhsType: number;
  readonly atom?: string | null | undefined;
  readonly list?: readonly DriverNvPair[] | null | undefined;
  /** The pair printed back as the driver prints it: values without their quotes. */
  toString(): string;
}

/**
 * What the TLS check reads connect strings with. Both functions throw what
 * the driver throws for a string it refuses.
 *
 * @example
 * ```ts
 * const net = await loadOracleNet();
 * net?.easyConnect('tcps://db:1522/svc'); // '(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))'
 * ```
 */
export interface OracleNetReader {
  /** The descriptor the driver expands an Easy Connect string to. */
  readonly easyConnect: (text: string) => string;
  /** The driver's tree of `(NAME=...)` text: its first pair (the driver ignores what follows). */
  readonly nvPair: (text: string) => DriverNvPair;
}

/**
 * The installed node-oracledb's readers, or `undefined` when it keeps none
 * where dbtoken looks (not installed, or a release that moved them): the
 * TLS check then refuses to guess.
 *
 * @example
 * ```ts
 * const net = await loadOracleNet();
 * if (!net) throw new Error('node-oracledb 6.4 or later is needed');
 * ```
 */
export async function loadOracleNet(): Promise<OracleNetReader | undefined> {
  let resolver: unknown;
  let parser: unknown;
  try {
    // @ts-ignore node-oracledb declares no types for its internals
    resolver = exportsOf(await import('oracledb/lib/thin/sqlnet/ezConnectResolver.js'));
  } catch {
    return undefined;
  }
  try {
    // @ts-ignore node-oracledb declares no types for its internals
    parser = exportsOf(await import('oracledb/lib/thin/sqlnet/nvStrToNvPair.js'));
  } catch {
    return undefined;
  }
  return oracleNetReader(resolver, parser);
}

/**
 * The readers from node-oracledb's `ezConnectResolver.js` and
 * `nvStrToNvPair.js` exports, or `undefined` when they are not what dbtoken
 * expects.
 *
 * @example
 * ```ts
 * const net = oracleNetReader(require('oracledb/lib/thin/sqlnet/ezConnectResolver.js'), require('oracledb/lib/thin/sqlnet/nvStrToNvPair.js'));
 * ```
 */
export function oracleNetReader(resolver: unknown, parser: unknown): OracleNetReader | undefined {
  const Resolver = resolver as new (text: string) => { getResolvedUrl(): unknown };
  const createNVPair = (parser as { createNVPair?: unknown } | undefined)?.createNVPair;
  if (typeof Resolver !== 'function' || typeof createNVPair !== 'function') return undefined;
  // The printing the check relies on (see nv-pair.ts): a release that prints otherwise is not guessed at.
  try {
    if (String((createNVPair as (text: string) => unknown)('(A=(B="x y"))')) !== '(A=(B=x y))') return undefined;
  } catch {
    return undefined;
  }
  return {
    // Anything but a descriptor string is then refused by the parser.
    easyConnect: (text) => String(new Resolver(text).getResolvedUrl()),
    nvPair: (text) => createNVPair(text) as DriverNvPair,
  };
}

/**
 * Why the driver refused a string, without quoting it (it may hold a
 * secret pasted in the wrong place): its NJS or ORA code, else the kind of
 * error its reader ran into.
 *
 * @example
 * ```ts
 * driverRefusal(new Error('NJS-514: syntax error in connection string')); // 'node-oracledb refuses it (NJS-514)'
 * ```
 */
export function driverRefusal(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const code = /^(?:NJS|ORA)-\d{3,5}/.exec(message)?.[0];
  if (code !== undefined) return `node-oracledb refuses it (${code})`;
  return `node-oracledb cannot read it (${err instanceof Error ? err.name : 'error'})`;
}
