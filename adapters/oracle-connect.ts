/**
 * Whether node-oracledb (thin mode) would reach every address of a connect
 * string over TLS (TCPS), decided before anything is sent. The connect
 * string is read by the driver's own parser and Easy Connect resolver (see
 * oracle-net/driver.ts), and tnsnames.ora by the driver's rules (see
 * oracle-net/tnsnames.ts). Where the driver could read a string more than
 * one way, it is refused.
 */
import { ConfigError } from '../src/core/errors.js';
import type { OracleNetReader } from './oracle-net/driver.js';
import { easyConnectDescriptor } from './oracle-net/easy-connect.js';
import { nvPairs, parseNvPair, type NvPair } from './oracle-net/nv-pair.js';
import type { TnsNames } from './oracle-net/tnsnames.js';

export { loadOracleNet, type OracleNetReader } from './oracle-net/driver.js';
export { loadTnsNames, parseTnsNames, type TnsDefinition, type TnsFile, type TnsItem, type TnsNames } from './oracle-net/tnsnames.js';

/**
 * What a connect string says about transport security:
 * - `tcps`: every address the driver can reach is TCPS;
 * - `tcp`: at least one is not, or might not be (`why` says which, without quoting values);
 * - `unknown`: the addresses are not in the string (an alias no tnsnames.ora
 *   defines, or a `config-<provider>://` URL); `alias` is set when it is
 *   short enough to show.
 *
 * @example
 * ```ts
 * const t: Transport = connectTransport('tcps://db:1522/svc', await loadOracleNet());
 * if (t.kind !== 'tcps') throw new Error('not TLS');
 * ```
 */
export type Transport =
  | { readonly kind: 'tcps' }
  | { readonly kind: 'tcp'; readonly why: string }
  | { readonly kind: 'unknown'; readonly why: string; readonly alias?: string };

type Verdict = Transport | { readonly kind: 'invalid'; readonly problem: string };

const FIX = 'write it as tcps://host:port/service, as a descriptor whose every ADDRESS has (PROTOCOL=TCPS), or as a tnsnames.ora alias';

/**
 * Reads a connect string (Easy Connect, a descriptor, or a tnsnames.ora
 * alias) the way node-oracledb's thin driver does, with its own readers
 * (`net`, from {@link loadOracleNet}), and says whether every
 * address it could connect to is TCPS. An address with no PROTOCOL is TCP,
 * and any PROTOCOL anywhere in a descriptor must be TCPS too. An alias is
 * looked up in `tnsNames` (or what it returns, asked only for an alias);
 * when the alias has several definitions, every one must be TCPS.
 *
 * Throws {@link ConfigError} (`connectString`, or `configDir` for a bad
 * tnsnames.ora entry) when the driver would not accept the string, or
 * dbtoken cannot read it the way the driver would (`net` is undefined:
 * this node-oracledb keeps no readers where dbtoken looks).
 *
 * @example
 * ```ts
 * const net = await loadOracleNet();
 * connectTransport('tcps://adb.eu-frankfurt-1.oraclecloud.com:1522/x_high.adb.oraclecloud.com', net).kind; // 'tcps'
 * connectTransport('(DESCRIPTION=(ADDRESS=(PROTOCOL="tcp")(HOST=db)(PORT=1521)))', net); // { kind: 'tcp', why: 'an ADDRESS has PROTOCOL=TCP' }
 * connectTransport('db_high', net, () => loadTnsNames('/opt/wallet', net!)).kind; // 'tcps' when its entry is
 * ```
 */
export function connectTransport(
  connectString: string,
  net: OracleNetReader | undefined,
  tnsNames?: TnsNames | (() => TnsNames | undefined),
): Transport {
  // node-oracledb fetches the real connect string of these when it connects.
  if (/^\s*config-/i.test(connectString)) return { kind: 'unknown', why: 'it names a configuration provider, whose descriptor node-oracledb fetches only when it connects' };
  const s = connectString.trim();
  if (s === '') throw new ConfigError('connectString', 'is empty', FIX);
  if (net === undefined) {
    throw new ConfigError(
      'connectString',
      'cannot be checked for TCPS: this node-oracledb has no lib/thin/sqlnet readers',
      'install node-oracledb 6.4 or later',
    );
  }
  // The driver's own test: a descriptor starts with '(' and has a ')'.
  const descriptor = s.startsWith('(') && s.includes(')');
  if (!descriptor && !s.includes(':') && !s.includes('/')) return aliasTransport(s, net, typeof tnsNames === 'function' ? tnsNames() : tnsNames);
  const v = descriptor ? descriptorVerdict(s, net) : easyConnectVerdict(s, net);
  if (v.kind === 'invalid') throw new ConfigError('connectString', `cannot be checked for TCPS: ${v.problem}`, FIX);
  return v;
}

function aliasTransport(alias: string, net: OracleNetReader, tns: TnsNames | undefined): Transport {
  // Aliases are short words; a long one may be a secret pasted in the wrong place.
  const shown = alias.length <= 64 && /^[\w.$#-]+$/.test(alias) ? alias : undefined;
  const name = shown === undefined ? 'the alias' : `"${shown}"`;
  const defs = tns?.aliases.get(alias.toUpperCase());
  if (!defs) return { kind: 'unknown', why: 'no tnsnames.ora entry for it in configDir or TNS_ADMIN', ...(shown !== undefined ? { alias: shown } : {}) };
  for (const d of defs) {
    const v = tnsValueVerdict(d.value, net);
    const where = `the tnsnames.ora entry for ${name} (${d.file} line ${d.line})`;
    if (v.kind === 'invalid') throw new ConfigError('configDir', `${where}: ${v.problem}`, 'correct that entry: every ADDRESS needs (PROTOCOL=TCPS), or the value is a tcps:// Easy Connect string');
    if (v.kind === 'tcp') return { kind: 'tcp', why: `${where}: ${v.why}${defs.length > 1 ? ` (the alias is defined ${defs.length} times; each must be TCPS)` : ''}` };
  }
  return { kind: 'tcps' };
}

/** An alias's value: an Easy Connect string, or descriptors (the driver uses the first; each must be TCPS). */
function tnsValueVerdict(entry: NvPair, net: OracleNetReader): Verdict {
  if (entry.children.length === 0) {
    const text = entry.atom ?? '';
    if (text.includes(':') || text.includes('/')) return easyConnectVerdict(text, net);
    return { kind: 'invalid', problem: 'its value is neither a descriptor nor an Easy Connect string' };
  }
  for (const node of entry.children) {
    const v = nodeVerdict(node);
    if (v.kind !== 'tcps') return v;
  }
  return { kind: 'tcps' };
}

function easyConnectVerdict(text: string, net: OracleNetReader): Verdict {
  const ez = easyConnectDescriptor(text, net);
  if ('error' in ez) return { kind: 'invalid', problem: ez.error };
  const v = descriptorVerdict(ez.descriptor, net);
  // The expansion has only the string's protocol unless a ?parameter value added an ADDRESS.
  if (v.kind === 'tcp' && /^\s*tcps:\/\//i.test(text.replace(/\s/g, ''))) return { kind: 'tcp', why: `a ?parameter value adds an address that is not TCPS (${v.why})` };
  if (v.kind === 'tcp') return { kind: 'tcp', why: 'Easy Connect without tcps:// is TCP' };
  return v;
}

function descriptorVerdict(text: string, net: OracleNetReader): Verdict {
  const r = parseNvPair(text, net);
  if ('error' in r) return { kind: 'invalid', problem: r.error };
  return nodeVerdict(r.pair);
}

/** A DESCRIPTION_LIST, DESCRIPTION, ADDRESS_LIST or ADDRESS: its shape, then every ADDRESS and PROTOCOL in it. */
function nodeVerdict(node: NvPair): Verdict {
  const reachable = { addresses: 0 };
  const problem = structureProblem(node, reachable);
  if (problem !== undefined) return { kind: 'invalid', problem };
  if (reachable.addresses === 0) return { kind: 'invalid', problem: 'it names no ADDRESS' };
  for (const p of nvPairs(node)) {
    const name = p.name.toUpperCase();
    if (name === 'ADDRESS') {
      const why = notTcps(p);
      if (why !== undefined) return { kind: 'tcp', why };
    } else if (name === 'PROTOCOL' && !isTcps(p.atom)) {
      // The driver reads only the first PROTOCOL of an ADDRESS; any other that is not TCPS is refused all the same.
      return { kind: 'tcp', why: 'it has a PROTOCOL that is not TCPS outside the first PROTOCOL of an ADDRESS' };
    }
  }
  return { kind: 'tcps' };
}

/** The driver compares the upper-cased value, so `tcpſ` (long s) is TCPS too. */
const isTcps = (protocol: string | undefined) => protocol !== undefined && protocol.toUpperCase() === 'TCPS';

/** Why an ADDRESS is not TCPS, from the first PROTOCOL anywhere under it, depth first, as the driver finds it. */
function notTcps(address: NvPair): string | undefined {
  let protocol: NvPair | undefined;
  for (const p of nvPairs(address)) if (p !== address && p.name.toUpperCase() === 'PROTOCOL') protocol ??= p;
  const value = protocol?.atom;
  if (isTcps(value)) return undefined;
  if (protocol === undefined) return 'an ADDRESS names no PROTOCOL (the default is TCP)';
  if (value === undefined) return 'an ADDRESS has a PROTOCOL without a single value';
  return `an ADDRESS has PROTOCOL=${/^[A-Za-z]{1,12}$/.test(value) ? value.toUpperCase() : 'a value other than TCPS'}`;
}

const FLAGS = new Set(['SOURCE_ROUTE', 'LOAD_BALANCE', 'FAILOVER']);

/**
 * The driver's checks on the shape of a node (navNodes.js, connStrategy.js),
 * counting the addresses it would try. Its flags need a value (it calls
 * toLowerCase on them); a DESCRIPTION ignores children it does not know.
 */
function structureProblem(node: NvPair, out: { addresses: number }): string | undefined {
  const kind = node.name.toUpperCase();
  if (kind === 'ADDRESS') {
    out.addresses++;
    return undefined;
  }
  if (kind !== 'ADDRESS_LIST' && kind !== 'DESCRIPTION' && kind !== 'DESCRIPTION_LIST') {
    return 'it is not a DESCRIPTION_LIST, DESCRIPTION, ADDRESS_LIST or ADDRESS';
  }
  const a = (k: string) => (k.startsWith('A') ? `an ${k}` : `a ${k}`);
  if (node.children.length === 0) return `${a(kind)} is empty`;
  let found = false;
  for (const c of node.children) {
    const name = c.name.toUpperCase();
    if (FLAGS.has(name) || (kind === 'DESCRIPTION' && name === 'USE_SNI')) {
      if (c.atom === undefined) return `${name} in ${a(kind)} has no single value`;
      continue;
    }
    const child =
      kind === 'DESCRIPTION_LIST' ? name === 'DESCRIPTION' : name === 'ADDRESS' || name === 'ADDRESS_LIST';
    if (!child) {
      if (kind === 'DESCRIPTION') continue;
      return `${a(kind)} holds something other than ${kind === 'DESCRIPTION_LIST' ? 'DESCRIPTION' : 'ADDRESS or ADDRESS_LIST'}`;
    }
    found = true;
    const problem = structureProblem(c, out);
    if (problem !== undefined) return problem;
  }
  return found || kind === 'DESCRIPTION' ? undefined : `${a(kind)} has no ${kind === 'DESCRIPTION_LIST' ? 'DESCRIPTION' : 'ADDRESS'}`;
}
