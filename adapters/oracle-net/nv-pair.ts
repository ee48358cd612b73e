/**
 * Oracle Net name-value strings (`(DESCRIPTION=(ADDRESS=...))`), read by
 * node-oracledb's own parser (see driver.ts) into a plain tree, so that
 * dbtoken sees the tree the driver connects from.
 */
import { driverRefusal, type DriverNvPair, type OracleNetReader } from './driver.js';

/**
 * One `(NAME=value)` pair. `atom` is set for `(NAME=text)` and for a bare
 * `(NAME)` (whose atom is its name); `children` for `(NAME=(...)(...))`;
 * neither for `(NAME=)`.
 *
 * @example
 * ```ts
 * const r = parseNvPair('(ADDRESS=(PROTOCOL="tcps")(HOST=db)(PORT=1522))', net);
 * if ('pair' in r) r.pair.children[0]; // { name: 'PROTOCOL', atom: 'tcps', children: [] }
 * ```
 */
export interface NvPair {
  readonly name: string;
  readonly atom: string | undefined;
  readonly children: readonly NvPair[];
}

/**
 * What {@link parseNvPair} read: the first top-level pair (the driver
 * ignores anything after it), or why the driver would not read the text.
 *
 * @example
 * ```ts
 * const r: NvParse = parseNvPair('(A=1)(B=2)', net); // { pair: { name: 'A', atom: '1', children: [] } }
 * ```
 */
export type NvParse = { readonly pair: NvPair } | { readonly error: string };

/** Deeper than any real descriptor; the check walks no deeper. */
const MAX_NV_DEPTH = 64;

/**
 * Reads the first `(NAME=value)` pair of `text` with the driver's parser
 * (quotes, backslash escapes, trimmed literals, `(a,b=...)` names, a bare
 * `(NAME)` whose atom is its name), and copies the tree it builds.
 *
 * The tree must also survive being printed back and read again. To apply
 * connect-string overrides (node-oracledb 7 and later, with
 * `thickModeDSNPassthrough` off and pool options such as `expireTime`), the
 * driver prints the descriptor without its quotes and connects from what it
 * reads back: a quoted value such as `(X="y)(PROTOCOL=tcp)(Z=")` would then
 * become addresses this check never saw.
 *
 * `reprinted: 'children'` checks only the pairs under the root, for a
 * tnsnames.ora entry, whose name the driver never prints back.
 *
 * @example
 * ```ts
 * parseNvPair('(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=db)(PORT=1522)))', net);
 * parseNvPair('(A=(B=1)', net); // { error: 'node-oracledb refuses it (NJS-514)' }
 * ```
 */
export function parseNvPair(text: string, net: OracleNetReader, reprinted: 'whole' | 'children' = 'whole'): NvParse {
  let root: DriverNvPair;
  try {
    root = net.nvPair(text);
  } catch (err) {
    return { error: driverRefusal(err) };
  }
  const pair = copy(root, 1);
  if (pair === undefined) return { error: `it nests deeper than ${MAX_NV_DEPTH} levels` };
  // A tnsnames.ora entry is printed back value by value: its name (`a, b`, or a stray byte-order mark) never is.
  const printed = reprinted === 'whole' ? [root] : root.rhsType === 2 ? (root.list ?? []) : [];
  const read = reprinted === 'whole' ? [pair] : pair.children;
  if (!printed.every((p, i) => survivesReprint(p, read[i]!, net))) {
    return { error: 'a quoted value would turn into more of the descriptor when node-oracledb prints the descriptor back, as it does to apply connect-string overrides' };
  }
  return { pair };
}

/** Whether the driver, printing `raw` and reading it again, gets `read` (the tree copied from `raw`) back. */
function survivesReprint(raw: DriverNvPair, read: NvPair, net: OracleNetReader): boolean {
  try {
    return JSON.stringify(copy(net.nvPair(String(raw)), 1)) === JSON.stringify(read);
  } catch {
    return false;
  }
}

function copy(p: DriverNvPair, depth: number): NvPair | undefined {
  if (depth > MAX_NV_DEPTH) return undefined;
  const children: NvPair[] = [];
  if (p.rhsType === 2 && Array.isArray(p.list)) {
    for (const c of p.list) {
      const child = copy(c, depth + 1);
      if (child === undefined) return undefined;
      children.push(child);
    }
  }
  return { name: String(p.name), atom: p.rhsType === 1 && typeof p.atom === 'string' ? p.atom : undefined, children };
}

/**
 * Every pair of the tree, the root first, depth first in document order.
 *
 * @example
 * ```ts
 * for (const p of nvPairs(pair)) if (p.name.toUpperCase() === 'PROTOCOL') console.log(p.atom);
 * ```
 */
export function* nvPairs(root: NvPair): Generator<NvPair> {
  const stack: NvPair[] = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    yield p;
    for (let k = p.children.length - 1; k >= 0; k--) stack.push(p.children[k]!);
  }
}
