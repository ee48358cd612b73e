/**
 * Oracle Net name-value strings (`(DESCRIPTION=(ADDRESS=...))`), read by
 * the rules of node-oracledb's thin driver (lib/thin/sqlnet/nvStrToNvPair.js),
 * so that dbtoken sees the same tree the driver connects from. Pure.
 */

/**
 * One `(NAME=value)` pair. `atom` is set for `(NAME=text)` and for a bare
 * `(NAME)` (whose atom is its name); `children` for `(NAME=(...)(...))`;
 * neither for `(NAME=)`.
 *
 * @example
 * ```ts
 * const r = parseNvPair('(ADDRESS=(PROTOCOL="tcps")(HOST=db)(PORT=1522))');
 * if ('pair' in r) r.pair.children[0]; // { name: 'PROTOCOL', atom: 'tcps', children: [] }
 * ```
 */
export interface NvPair {
  readonly name: string;
  readonly atom: string | undefined;
  readonly children: readonly NvPair[];
}

/**
 * What {@link parseNvPair} read: the first top-level pair and whether tokens
 * follow it (the driver ignores them), or where the text stops making sense.
 *
 * @example
 * ```ts
 * const r: NvParse = parseNvPair('(A=1)(B=2)'); // { pair: { name: 'A', ... }, trailing: true }
 * ```
 */
export type NvParse = { readonly pair: NvPair; readonly trailing: boolean } | { readonly error: string };

/** Deeper than any real descriptor; the driver itself would overflow its stack much further down. */
const MAX_NV_DEPTH = 64;

const enum Tk {
  LParen,
  RParen,
  Comma,
  Equal,
  Literal,
  End,
}

interface Token {
  readonly type: Tk;
  readonly text: string;
  /** Where it starts in the string, from 0. */
  readonly at: number;
}

/** The driver's whitespace between tokens; inside a literal it trims with String.prototype.trim. */
const isGap = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let afterEqual = false;
  let i = 0;
  while (i < s.length) {
    while (i < s.length && isGap(s[i])) i++;
    if (i >= s.length) break;
    const c = s[i]!;
    if (c === '(' || c === ')' || c === ',' || c === '=') {
      out.push({ type: c === '(' ? Tk.LParen : c === ')' ? Tk.RParen : c === ',' ? Tk.Comma : Tk.Equal, text: c, at: i });
      afterEqual = c === '=';
      i++;
      continue;
    }
    // A literal: quoted up to the same quote, or bare up to ( ) and, before
    // any '=', up to , and =. A backslash keeps the next character in it.
    const quote = c === '"' || c === "'" ? c : undefined;
    const at = i;
    const start = quote ? i + 1 : i;
    let end = -1;
    i = start;
    while (i < s.length) {
      const d = s[i]!;
      if (d === '\\') {
        i += 2;
        continue;
      }
      if (quote ? d === quote : d === '(' || d === ')' || (!afterEqual && (d === ',' || d === '='))) {
        end = i;
        if (quote) i++;
        break;
      }
      i++;
    }
    out.push({ type: Tk.Literal, text: s.slice(start, end === -1 ? i : end).trim(), at });
  }
  out.push({ type: Tk.End, text: '', at: s.length });
  return out;
}

/** The driver refuses an atom with an unescaped '#': it would be a comment. */
function hasComment(atom: string): boolean {
  for (let i = 0; i < atom.length; i++) if (atom[i] === '#' && (i === 0 || atom[i - 1] !== '\\')) return true;
  return false;
}

interface Building {
  name: string;
  atom: string | undefined;
  children: Building[];
}

/**
 * Reads the first `(NAME=value)` pair of `text` as node-oracledb's thin
 * driver does: quotes (`"` or `'`) around literals, backslash escapes,
 * String.prototype.trim around each literal, `(a,b=...)` names, and a bare
 * `(NAME)` whose atom is its name. Characters outside the Basic
 * Multilingual Plane are refused: the driver counts them in code points but
 * cuts its literals in UTF-16 units, so it would read other text than this.
 *
 * @example
 * ```ts
 * parseNvPair('(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=db)(PORT=1522)))');
 * parseNvPair('(A=(B=1)'); // { error: 'it ends before every "(" is closed' }
 * ```
 */
export function parseNvPair(text: string): NvParse {
  if (/[\uD800-\uDFFF]/.test(text)) return { error: 'it has characters outside the Basic Multilingual Plane, which node-oracledb misreads' };
  const t = tokenize(text);
  let i = 0;
  const fail = (why?: string): NvParse => {
    const tk = t[i]!;
    if (why !== undefined) return { error: why };
    if (tk.type === Tk.End) return { error: 'it ends before every "(" is closed' };
    return { error: `unexpected ${tk.type === Tk.Literal ? 'text' : `"${tk.text}"`} at character ${tk.at + 1}` };
  };
  if (t[i]!.type !== Tk.LParen) return fail('it does not start with "("');
  i++;
  if (t[i]!.type !== Tk.Literal) return fail();
  let name = t[i++]!.text;
  // At the top level the driver joins `a, b, c` into one name ("a,b,c").
  if (t[i]!.type === Tk.Comma) while (t[i]!.type === Tk.Literal || t[i]!.type === Tk.Comma) name += t[i++]!.text;
  const root: Building = { name, atom: undefined, children: [] };
  // Pairs whose value is being read, innermost last.
  const open: Building[] = [root];
  let step: 'value' | 'list' | 'close' = 'value';
  while (open.length > 0) {
    const pair = open[open.length - 1]!;
    const tk = t[i]!.type;
    if (step === 'value') {
      if (tk === Tk.Equal) {
        i++;
        if (t[i]!.type === Tk.Literal) {
          pair.atom = t[i++]!.text;
          if (hasComment(pair.atom)) return fail('a value holds an unescaped "#"');
          step = 'close';
        } else step = 'list';
      } else if (tk === Tk.Comma || tk === Tk.RParen) {
        pair.atom = pair.name;
        if (hasComment(pair.atom)) return fail('a value holds an unescaped "#"');
        step = 'close';
      } else return fail();
    } else if (step === 'list') {
      if (tk !== Tk.LParen && tk !== Tk.Comma) {
        step = 'close';
        continue;
      }
      i++;
      if (t[i]!.type !== Tk.Literal) return fail();
      if (open.length >= MAX_NV_DEPTH) return fail(`it nests deeper than ${MAX_NV_DEPTH} levels`);
      const child: Building = { name: t[i++]!.text, atom: undefined, children: [] };
      pair.children.push(child);
      open.push(child);
      step = 'value';
    } else {
      // A pair ends at ")" (eaten) or at "," (left for the next pair).
      if (tk === Tk.RParen) i++;
      else if (tk !== Tk.Comma) return fail();
      open.pop();
      step = 'list';
    }
  }
  return { pair: root, trailing: t[i]!.type !== Tk.End };
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
