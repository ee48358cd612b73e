/**
 * tnsnames.ora, read by the rules of node-oracledb's thin driver
 * (lib/thin/sqlnet/paramParser.js), IFILE includes and all. Reading the
 * text is pure; {@link loadTnsNames} does the file I/O.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import type { OracleNetReader } from './driver.js';
import { parseNvPair, type NvPair } from './nv-pair.js';

/**
 * One entry of a tnsnames.ora file: `names = value`, or an `IFILE = path`
 * include (`path` is undefined when the IFILE has no single value).
 *
 * @example
 * ```ts
 * const item: TnsItem = { kind: 'entry', names: ['DB_HIGH', 'DB'], value, line: 3 };
 * ```
 */
export type TnsItem =
  | { readonly kind: 'entry'; readonly names: readonly string[]; readonly value: NvPair; readonly line: number }
  | { readonly kind: 'ifile'; readonly path: string | undefined; readonly line: number };

/**
 * What {@link parseTnsNames} read: the items in file order, or the first
 * entry the driver would fail on, by line.
 *
 * @example
 * ```ts
 * const r: TnsFile = parseTnsNames('db = (DESCRIPTION=', net);
 * if ('error' in r) console.error(`line ${r.line}: ${r.error}`);
 * ```
 */
export type TnsFile = { readonly items: readonly TnsItem[] } | { readonly error: string; readonly line: number };

/**
 * Reads tnsnames.ora text into its entries the way the driver does: an
 * entry starts on a line that does not begin with a space, a tab or a
 * parenthesis, and runs on over the lines that do (their whitespace
 * removed); `#` starts a comment anywhere, even inside quotes; names are
 * upper-cased and `a, b = ...` defines both. Each entry is read with the
 * driver's own parser (`net`), which ignores text after its closing
 * parenthesis.
 *
 * @example
 * ```ts
 * parseTnsNames('db_high, db =\n  (DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=h)(PORT=1522)))\nIFILE = /etc/more.ora\n', net);
 * // { items: [{ kind: 'entry', names: ['DB_HIGH', 'DB'], ... line: 1 }, { kind: 'ifile', path: '/etc/more.ora', line: 3 }] }
 * ```
 */
export function parseTnsNames(text: string, net: OracleNetReader): TnsFile {
  const items: TnsItem[] = [];
  let entry = '';
  let entryLine = 0;
  const finish = (): { error: string; line: number } | undefined => {
    const r = parseNvPair(entry.startsWith('(') ? entry : `(${entry})`, net, 'children');
    if ('error' in r) return { error: r.error, line: entryLine };
    const name = r.pair.name.toUpperCase();
    if (name === 'IFILE') items.push({ kind: 'ifile', path: r.pair.children.length === 0 ? r.pair.atom : undefined, line: entryLine });
    else items.push({ kind: 'entry', names: name.split(','), value: r.pair, line: entryLine });
    return undefined;
  };
  // Line breaks as node's readline splits them.
  const lines = text.split(/\r\n|\n|\r/);
  for (let k = 0; k < lines.length; k++) {
    let line = lines[k]!;
    if (line === '' || line[0] === '#') continue;
    if (line[0] === ' ' || line[0] === '\t' || line[0] === '(' || line[0] === ')') {
      line = withoutComment(line.replace(/\s+/g, ''));
      if (line === '') continue;
      if (entry === '') entryLine = k + 1;
      entry += line;
    } else {
      if (entry !== '') {
        const bad = finish();
        if (bad) return bad;
      }
      entry = withoutComment(line);
      entryLine = k + 1;
    }
  }
  if (entry !== '') {
    const bad = finish();
    if (bad) return bad;
  }
  return { items };
}

function withoutComment(line: string): string {
  const hash = line.indexOf('#');
  return hash < 0 ? line : line.slice(0, hash);
}

/**
 * One definition of an alias: its value, and where it was read.
 *
 * @example
 * ```ts
 * const d: TnsDefinition = { value, file: '/opt/wallet/tnsnames.ora', line: 3 };
 * ```
 */
export interface TnsDefinition {
  readonly value: NvPair;
  readonly file: string;
  readonly line: number;
}

/**
 * The aliases of a tnsnames.ora file and everything it includes: for each
 * upper-cased alias, every definition in the order the driver reads them
 * (it keeps the last).
 *
 * @example
 * ```ts
 * const tns: TnsNames | undefined = loadTnsNames('/opt/wallet', net);
 * tns?.aliases.get('DB_HIGH'); // [{ value, file: '/opt/wallet/tnsnames.ora', line: 1 }]
 * ```
 */
export interface TnsNames {
  readonly aliases: ReadonlyMap<string, readonly TnsDefinition[]>;
}

/** Larger than any real tnsnames.ora. */
const MAX_TNS_BYTES = 1 << 20;
/** All the files of one configuration together. */
const MAX_TNS_TOTAL = 4 << 20;

/**
 * A tnsnames.ora file's text. Only a regular file is read, and no more of
 * it than 1 MiB: an IFILE naming /dev/zero or a FIFO would otherwise block
 * the process (the open does not wait for a FIFO's writer), and /proc files,
 * which report a size of 0, can run to gigabytes. Errors carry what went
 * wrong as their `code`.
 */
function readTnsFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const refused = (code: string) => Object.assign(new Error(code), { code });
    if (!fstatSync(fd).isFile()) throw refused('not a regular file');
    const buf = Buffer.alloc(MAX_TNS_BYTES + 1);
    let size = 0;
    for (let n = 1; n > 0 && size < buf.length; size += n) n = readSync(fd, buf, size, buf.length - size, null);
    if (size > MAX_TNS_BYTES) throw refused('larger than 1 MiB');
    return buf.toString('utf8', 0, size);
  } finally {
    closeSync(fd);
  }
}

/** The driver reads IFILEs this deep (the top file is depth 0) and silently drops deeper ones. */
const MAX_IFILE_DEPTH = 4;
/** More includes than any real configuration has; a file that includes another many times could otherwise make thousands of reads. */
const MAX_IFILES = 64;

/**
 * Reads `tnsnames.ora` in `configDir` (else in `TNS_ADMIN`, as node-oracledb
 * does) with its IFILE includes: `undefined` when there is no directory or
 * no file there. An IFILE is followed when its path is absolute, up to the
 * driver's depth of {@link MAX_IFILE_DEPTH}; a relative path (the driver
 * reads it from the process's working directory, not the file's), a deeper
 * include (the driver would drop it), a cycle, more than {@link MAX_IFILES}
 * includes, or a file that cannot be read or parsed (or is not a regular
 * file of at most 1 MiB, or takes all of them past 4 MiB) is a
 * {@link ConfigError} on `configDir`: never skipped.
 *
 * @example
 * ```ts
 * const tns = loadTnsNames(undefined, net, { TNS_ADMIN: '/opt/wallet' });
 * ```
 */
export function loadTnsNames(
  configDir: string | undefined,
  net: OracleNetReader,
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = readTnsFile,
): TnsNames | undefined {
  const dir = configDir || env.TNS_ADMIN;
  if (!dir) return undefined;
  const top = `${dir}/tnsnames.ora`;
  const from = configDir ? '' : ' (from TNS_ADMIN)';
  const fail = (problem: string, fix: string, cause?: unknown) => new ConfigError('configDir', `${problem}${from}`, fix, cause === undefined ? undefined : { cause });
  let text: string;
  try {
    text = read(top);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fail(`${top} cannot be read (${code ?? 'error'})`, 'make it readable by this process, or give another configDir', err);
  }
  const aliases = new Map<string, TnsDefinition[]>();
  let includes = 0;
  let total = 0;
  const visit = (file: string, body: string, chain: readonly string[]): void => {
    total += body.length;
    if (total > MAX_TNS_TOTAL) throw fail(`${file} takes the files past 4 MiB together`, 'trim tnsnames.ora');
    const parsed = parseTnsNames(body, net);
    if ('error' in parsed) throw fail(`${file} line ${parsed.line}: ${parsed.error}`, 'correct that entry; node-oracledb would refuse the file too');
    for (const item of parsed.items) {
      if (item.kind === 'entry') {
        for (const name of item.names) {
          const defs = aliases.get(name) ?? [];
          defs.push({ value: item.value, file, line: item.line });
          aliases.set(name, defs);
        }
        continue;
      }
      const where = `${file} line ${item.line}: IFILE`;
      const fix = 'give each IFILE as one absolute path, at most 4 levels deep, or copy its entries into tnsnames.ora';
      if (item.path === undefined) throw fail(`${where} has no single path`, fix);
      if (!isAbsolute(item.path)) throw fail(`${where} is a relative path (node-oracledb reads it from the working directory)`, fix);
      if (chain.length > MAX_IFILE_DEPTH) throw fail(`${where} is nested more than ${MAX_IFILE_DEPTH} levels deep, where node-oracledb ignores it`, fix);
      const path = resolve(item.path);
      if (chain.includes(path)) throw fail(`${where} includes a file that includes it`, fix);
      if (++includes > MAX_IFILES) throw fail(`${where} is one of more than ${MAX_IFILES} includes`, fix);
      let included: string;
      try {
        included = read(item.path);
      } catch (err) {
        // No cause: its message would quote the path, which is the file's content.
        throw fail(`${where} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, fix);
      }
      visit(item.path, included, [...chain, path]);
    }
  };
  visit(top, text, [resolve(top)]);
  return { aliases };
}
