/**
 * Easy Connect strings (`tcps://host:port/service?key=value`), expanded to
 * the descriptor node-oracledb's thin driver builds from them
 * (lib/thin/sqlnet/ezConnectResolver.js). The driver pastes `?` parameter
 * values into that descriptor as they are, so a value can add an ADDRESS:
 * dbtoken checks the expansion, not the string. Pure, and linear in the
 * length of the string.
 */

/**
 * The descriptor an Easy Connect string stands for, or why the driver would
 * not accept it.
 *
 * @example
 * ```ts
 * const r: EasyConnect = easyConnectDescriptor('tcps://db:1522/svc');
 * // { descriptor: '(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=db)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))' }
 * ```
 */
export type EasyConnect = { readonly descriptor: string } | { readonly error: string };

/** `?` parameter names (lower-cased) and the names the driver files them under. */
const URL_PARAMS: ReadonlyMap<string, string> = new Map(
  [
    'enable', 'compression', 'failover', 'load_balance', 'recv_buf_size', 'send_buf_size', 'sdu', 'source_route',
    'retry_count', 'retry_delay', 'https_proxy', 'https_proxy_port', 'connect_timeout', 'transport_connect_timeout',
    'recv_timeout', 'ssl_server_cert_dn', 'ssl_server_dn_match', 'pool_connection_class', 'pool_purity', 'service_tag',
    'connection_id_prefix', 'pool_boundary', 'use_sni',
  ]
    .map((k): [string, string] => [k, k.toUpperCase()])
    .concat([['wallet_location', 'MY_WALLET_DIRECTORY']]),
);

/** Parameters that become children of DESCRIPTION. */
const DESCRIPTION_PARAMS = new Set([
  'ENABLE', 'FAILOVER', 'LOAD_BALANCE', 'RECV_BUF_SIZE', 'SEND_BUF_SIZE', 'SDU', 'SOURCE_ROUTE', 'RETRY_COUNT',
  'RETRY_DELAY', 'CONNECT_TIMEOUT', 'TRANSPORT_CONNECT_TIMEOUT', 'RECV_TIMEOUT', 'USE_SNI', 'COMPRESSION',
]);

/** Parameters that become children of CONNECT_DATA, in the driver's order. */
const CONNECT_DATA_PARAMS = ['POOL_CONNECTION_CLASS', 'POOL_PURITY', 'SERVICE_TAG', 'CONNECTION_ID_PREFIX', 'POOL_BOUNDARY'];

const SERVER_MODES = ['dedicated', 'shared', 'pooled'];

/** The driver's `[A-z0-9]` (case-insensitive): digits and 0x41..0x7A, which takes in [ \ ] ^ _ and `. */
const isWord = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x7a);
/** Host name characters: word, '.' and '-'. */
const isHostChar = (c: number) => isWord(c) || c === 0x2e || c === 0x2d;
/** Service name characters: word, ',', '-' and '.'. */
const isServiceChar = (c: number) => isWord(c) || (c >= 0x2c && c <= 0x2e);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** What may follow a host and its port: , ; / : or the end. */
const endsHost = (s: string, i: number) => i >= s.length || ',;/:'.includes(s[i]!);

/**
 * Host lists as the driver's pattern reads them, in linear time: runs are
 * measured once from the right, so no position is scanned twice.
 */
class HostScanner {
  private readonly s: string;
  /** End of the run of characters passing `test` that starts at i. */
  private readonly hostRun: Int32Array;
  private readonly bracketRun: Int32Array;
  /** Index of the last ']' before i, or -1. */
  private readonly lastClose: Int32Array;
  /** End of the host list (hosts, each with an optional ',') starting at i, or -1. */
  readonly hostsEnd: Int32Array;

  constructor(s: string) {
    this.s = s;
    const n = s.length;
    this.hostRun = runs(s, isHostChar);
    this.bracketRun = runs(s, (c) => isWord(c) || c === 0x3a);
    this.lastClose = new Int32Array(n + 1);
    this.lastClose[0] = -1;
    for (let i = 1; i <= n; i++) this.lastClose[i] = s.charCodeAt(i - 1) === 0x5d ? i - 1 : this.lastClose[i - 1]!;
    this.hostsEnd = new Int32Array(n + 1).fill(-1);
    for (let i = n - 1; i >= 0; i--) {
      const e = this.hostEnd(i);
      if (e < 0) continue;
      const next = s[e] === ',' ? e + 1 : e;
      this.hostsEnd[i] = this.hostsEnd[next]! >= 0 ? this.hostsEnd[next]! : next;
    }
  }

  /** One host at i: `[` word-or-colon characters `]` (up to the last `]` of the run), else a word character and one or more host characters. */
  private hostEnd(i: number): number {
    const s = this.s;
    if (s[i] === '[') {
      const close = this.lastClose[this.bracketRun[i + 1] ?? i + 1]!;
      if (close >= i + 2) return close + 1;
    }
    if (isWord(s.charCodeAt(i)) && i + 1 < s.length && isHostChar(s.charCodeAt(i + 1))) return this.hostRun[i + 1]!;
    return -1;
  }
}

/** For each i, the end of the run of characters passing `test` from i (i itself when s[i] fails). */
function runs(s: string, test: (c: number) => boolean): Int32Array {
  const out = new Int32Array(s.length + 1);
  out[s.length] = s.length;
  for (let i = s.length - 1; i >= 0; i--) out[i] = test(s.charCodeAt(i)) ? out[i + 1]! : i;
  return out;
}

interface Tail {
  readonly service?: string;
  readonly mode?: string;
  readonly instance?: string;
}

interface EzParts extends Tail {
  readonly protocol?: string;
  readonly hostinfo: string;
}

/**
 * `[[protocol:]//]hosts[/service][:server][/instance]` with whitespace
 * removed, matched with the driver's precedence: a protocol before a bare
 * `//`, more hosts before the service, a longer port before a shorter one.
 * Each position is decided once, from the right.
 */
function matchEasyConnect(u: string): EzParts | undefined {
  const n = u.length;
  const scan = new HostScanner(u);
  const word = runs(u, isWord);
  const service = runs(u, isServiceChar);

  const instance = (r: number): Tail | undefined => {
    if (r === n) return {};
    if (u[r] === '/' && n - (r + 1) >= 2 && word[r + 1] === n) return { instance: u.slice(r + 1) };
    return undefined;
  };
  const modeAndInstance = (r: number): Tail | undefined => {
    if (u[r] === ':') {
      const mode = SERVER_MODES.find((m) => asciiLower(u.slice(r + 1, r + 1 + m.length)) === m);
      const rest = mode === undefined ? undefined : instance(r + 1 + mode.length);
      if (rest) return { mode: u.slice(r + 1, r + 1 + mode!.length), ...rest };
    }
    return instance(r);
  };
  const tail = (q: number): Tail | undefined => {
    if (u[q] === '/') {
      const s = q + 1;
      if (isWord(u.charCodeAt(s)) && s + 1 < n && isServiceChar(u.charCodeAt(s + 1))) {
        const rest = modeAndInstance(service[s + 1]!);
        if (rest) return { service: u.slice(s, service[s + 1]!), ...rest };
      }
      const rest = modeAndInstance(s);
      if (rest) return rest;
    }
    return modeAndInstance(q);
  };

  // hosts[q]: hosts from q (one group or more) then the tail, with where the tail starts.
  type Hosts = { readonly tailAt: number; readonly tail: Tail } | undefined;
  const hosts: Hosts[] = new Array(n + 1).fill(undefined);
  const afterGroup = (q: number): Hosts => {
    if (hosts[q]) return hosts[q];
    const t = tail(q);
    return t ? { tailAt: q, tail: t } : undefined;
  };
  for (let q = n - 1; q >= 0; q--) {
    const h = scan.hostsEnd[q]!;
    if (h < 0) continue;
    const ports: number[] = [];
    if (u[h] === ':') {
      let d = h + 1;
      while (d < n && isDigit(u.charCodeAt(d))) d++;
      if (d > h + 1) ports.push(d);
      ports.push(h + 1);
    }
    ports.push(h);
    search: for (const e of ports) {
      if (!endsHost(u, e)) continue;
      for (const next of u[e] === ',' || u[e] === ';' ? [e + 1, e] : [e]) {
        const r = afterGroup(next);
        if (r) {
          hosts[q] = r;
          break search;
        }
      }
    }
  }

  const w = word[0]!;
  const starts: { at: number; protocol?: string }[] = [];
  if (w > 0 && u.startsWith('://', w)) starts.push({ at: w + 3, protocol: u.slice(0, w) });
  if (u.startsWith('//')) starts.push({ at: 2 });
  starts.push({ at: 0 });
  for (const { at, protocol } of starts) {
    const r = hosts[at];
    if (r) return { ...(protocol !== undefined ? { protocol } : {}), hostinfo: u.slice(at, r.tailAt), ...r.tail };
  }
  return undefined;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The `?key=value&...` part, read as the driver does: whitespace dropped outside "quotes", keys matched lower-cased. */
function readParams(text: string): { params: Map<string, string>; any: boolean } | { error: string } {
  const params = new Map<string, string>();
  let any = false;
  let key: string | undefined;
  let token = '';
  const add = (k: string, v: string) => {
    any = true;
    const name = URL_PARAMS.get(k.toLowerCase());
    if (name !== undefined) params.set(name, v);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c.trim() === '') continue;
    if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return { error: 'a quoted ? parameter value is not closed' };
      token += text.slice(i + 1, close);
      i = close;
    } else if (c === '=') {
      if (key !== undefined) return { error: 'a ? parameter has a second "=" outside quotes' };
      key = token.trim();
      token = '';
    } else if (c === '&') {
      if (key === undefined) return { error: 'a ? parameter has no "="' };
      add(key, token.trim());
      key = undefined;
      token = '';
    } else token += c;
  }
  if (key !== undefined) add(key, token.trim());
  return { params, any };
}

/** The first '?' outside parentheses, or -1. */
function paramsStart(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === '?' && depth === 0) return i;
  }
  return -1;
}

/**
 * Expands an Easy Connect string to the descriptor node-oracledb's thin
 * driver connects with: `[[tcp|tcps:]//]host1[,host2][:port][;host3...][/service][:server][/instance][?key=value&...]`.
 * Every address gets the string's protocol (TCP when it names none), and
 * the recognised `?` parameters are pasted in where the driver pastes them.
 *
 * @example
 * ```ts
 * easyConnectDescriptor('tcps://a,b:1522/svc?retry_count=2');
 * // { descriptor: '(DESCRIPTION=(LOAD_BALANCE=ON)(RETRY_COUNT=2)(ADDRESS=(PROTOCOL=tcps)(HOST=a)(PORT=1522))(ADDRESS=(PROTOCOL=tcps)(HOST=b)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=svc)))' }
 * easyConnectDescriptor('ipc://x'); // { error: 'it names a protocol other than tcp or tcps' }
 * ```
 */
export function easyConnectDescriptor(connectString: string): EasyConnect {
  const url = connectString.trim();
  if (/[\uD800-\uDFFF]/.test(url)) return { error: 'it has characters outside the Basic Multilingual Plane, which node-oracledb misreads' };
  const q = paramsStart(url);
  let params = new Map<string, string>();
  let base = url;
  if (q >= 0) {
    const read = readParams(url.slice(q + 1));
    if ('error' in read) return read;
    // With nothing read after '?', the driver keeps the '?' (and then refuses the string).
    if (read.any) {
      params = read.params;
      base = url.slice(0, q);
    }
  }
  const parts = matchEasyConnect(base.replace(/\s/g, ''));
  if (!parts) return { error: 'it is not in Easy Connect syntax ([tcps://]host[:port][/service][?key=value])' };
  let protocol = parts.protocol;
  if (protocol !== undefined && !['tcp', 'tcps'].includes(protocol.toLowerCase())) return { error: 'it names a protocol other than tcp or tcps' };
  if (protocol === undefined && !base.includes('//')) protocol = 'TCP';

  const proxy = params.get('HTTPS_PROXY');
  const proxyPort = params.get('HTTPS_PROXY_PORT');
  const proxyInfo = proxy === undefined ? '' : `(HTTPS_PROXY=${proxy})${proxyPort !== undefined ? `(HTTPS_PROXY_PORT=${proxyPort})` : ''}`;
  const groups = parts.hostinfo.split(';');
  let addresses = '';
  let count = 0;
  for (const group of groups) {
    const list = addressesOf(group, protocol ?? 'TCP', proxyInfo);
    count += list.length;
    const body = (groups.length > 1 && list.length > 1 ? '(LOAD_BALANCE=ON)' : '') + list.join('');
    addresses += groups.length > 1 ? `(ADDRESS_LIST=${body})` : body;
  }

  let description = groups.length < 2 && count > 1 ? '(LOAD_BALANCE=ON)' : '';
  for (const [k, v] of params) if (DESCRIPTION_PARAMS.has(k)) description += `(${k}=${v})`;
  description += addresses;
  let connectData = `(SERVICE_NAME=${parts.service ?? ''})`;
  if (parts.mode) connectData += `(SERVER=${parts.mode})`;
  if (parts.instance) connectData += `(INSTANCE_NAME=${parts.instance})`;
  for (const k of CONNECT_DATA_PARAMS) if (params.get(k)) connectData += `(${k}=${params.get(k)})`;
  description += `(CONNECT_DATA=${connectData})`;
  if (protocol?.toLowerCase() === 'tcps') {
    let security = '';
    if (params.has('SSL_SERVER_DN_MATCH')) security += `(SSL_SERVER_DN_MATCH=${params.get('SSL_SERVER_DN_MATCH')})`;
    // The stray '}' is the driver's own.
    if (params.has('SSL_SERVER_CERT_DN')) security += `(SSL_SERVER_CERT_DN=${params.get('SSL_SERVER_CERT_DN')}})`;
    if (params.has('MY_WALLET_DIRECTORY')) security += `(MY_WALLET_DIRECTORY=${params.get('MY_WALLET_DIRECTORY')})`;
    if (security) description += `(SECURITY=${security})`;
  }
  return { descriptor: `(DESCRIPTION=${description})` };
}

/** The ADDRESS pairs of one ';' group: every host list found in it (unmatched characters skipped), each host with the list's port. */
function addressesOf(group: string, protocol: string, proxyInfo: string): string[] {
  const scan = new HostScanner(group);
  const out: string[] = [];
  let i = 0;
  while (i < group.length) {
    const h = scan.hostsEnd[i]!;
    if (h < 0) {
      i++;
      continue;
    }
    let end = h;
    let port = '1521';
    if (group[h] === ':') {
      end = h + 1;
      while (end < group.length && isDigit(group.charCodeAt(end))) end++;
      if (end > h + 1) port = group.slice(h + 1, end);
    }
    for (const name of group.slice(i, h).split(',')) {
      let host = name.trim();
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
      out.push(`(ADDRESS=(PROTOCOL=${protocol})(HOST=${host})(PORT=${port})${proxyInfo})`);
    }
    i = end;
  }
  return out;
}
