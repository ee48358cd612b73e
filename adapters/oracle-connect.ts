import { readFileSync } from 'node:fs';
import { join } from 'node:path';
/**
 * Pure parsing of Oracle Net connect strings, enough to tell whether a
 * connection would be encrypted (TCPS) before it is made.
 */

/** What a connect string says about transport security. */
export type Transport =
  | { readonly kind: 'tcps' }
  | { readonly kind: 'tcp'; readonly why: string }
  | { readonly kind: 'unknown'; readonly alias: string };

/** The entries of a tnsnames.ora file: upper-cased alias to descriptor. */
export function parseTnsNames(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const src = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, ''))
    .join('\n');
  let i = 0;
  while (i < src.length) {
    const eq = src.indexOf('=', i);
    if (eq < 0) break;
    const names = src.slice(i, eq).trim();
    let j = src.indexOf('(', eq);
    if (j < 0 || src.slice(eq + 1, j).trim() !== '') {
      i = eq + 1;
      continue;
    }
    let depth = 0;
    const start = j;
    for (; j < src.length; j++) {
      if (src[j] === '(') depth++;
      else if (src[j] === ')' && --depth === 0) break;
    }
    const descriptor = src.slice(start, j + 1);
    for (const n of names.split(',')) if (n.trim()) out.set(n.trim().toUpperCase(), descriptor);
    i = j + 1;
  }
  return out;
}

/** Every PROTOCOL= value of a descriptor, lower-cased. */
function protocols(descriptor: string): string[] {
  return [...descriptor.matchAll(/\(\s*PROTOCOL\s*=\s*([A-Za-z]+)\s*\)/gi)].map((m) => m[1]!.toLowerCase());
}

/**
 * Whether a connect string (Easy Connect, a full descriptor, or a
 * tnsnames.ora alias resolved through `tnsNames`) uses TCPS for every
 * address. An alias that cannot be resolved is `unknown`.
 */
export function connectTransport(connectString: string, tnsNames?: Map<string, string>): Transport {
  const s = connectString.trim();
  if (s.startsWith('(')) {
    const ps = protocols(s);
    if (ps.length === 0) return { kind: 'tcp', why: 'the descriptor names no PROTOCOL (the default is TCP)' };
    const plain = ps.filter((p) => p !== 'tcps');
    return plain.length === 0 ? { kind: 'tcps' } : { kind: 'tcp', why: `the descriptor has PROTOCOL=${plain[0]!.toUpperCase()}` };
  }
  const scheme = /^([a-z]+):\/\//i.exec(s);
  if (scheme) return scheme[1]!.toLowerCase() === 'tcps' ? { kind: 'tcps' } : { kind: 'tcp', why: `it uses ${scheme[1]!.toLowerCase()}://` };
  // Easy Connect without a scheme (host[:port][/service]) is TCP. A bare word
  // is a tnsnames.ora alias when the file has it, else a host name (TCP).
  if (/[/:]/.test(s)) return { kind: 'tcp', why: 'Easy Connect without tcps:// is TCP' };
  const resolved = tnsNames?.get(s.toUpperCase());
  if (resolved !== undefined) return connectTransport(resolved);
  return { kind: 'unknown', alias: s };
}

/**
 * The aliases of `tnsnames.ora` in `configDir` (else `TNS_ADMIN`), as
 * node-oracledb would find them; `undefined` when there is none to read.
 */
export function loadTnsNames(configDir: string | undefined, env: NodeJS.ProcessEnv = process.env): Map<string, string> | undefined {
  const dir = configDir ?? env.TNS_ADMIN;
  if (!dir) return undefined;
  try {
    return parseTnsNames(readFileSync(join(dir, 'tnsnames.ora'), 'utf8'));
  } catch {
    return undefined;
  }
}
