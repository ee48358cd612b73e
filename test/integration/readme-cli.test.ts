import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, dbtoken } from '../helpers/cli.js';

/**
 * The docs (docs/cli.md and docs/walkthroughs.md) show what `dbtoken sql` and
 * `dbtoken policy` print. Each such `$ npx dbtoken ...` line in a console
 * block is run here, and its output must be exactly what the docs show under it.
 */

interface Example {
  readonly command: string;
  readonly args: string[];
  readonly output: string;
}

/** Splits a command line the way sh does for the quoting the README uses: '...', "..." and bare words. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function examples(markdown: string): Example[] {
  const out: Example[] = [];
  for (const block of markdown.matchAll(/^```console\n([\s\S]*?)^```/gm)) {
    const lines = block[1]!.replace(/\\\n\s*/g, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^\$ npx dbtoken ((?:sql|policy) .*)$/.exec(lines[i]!);
      if (!m) continue;
      const output: string[] = [];
      for (let j = i + 1; j < lines.length && !lines[j]!.startsWith('$ '); j++) output.push(lines[j]!);
      while (output.length > 0 && output.at(-1) === '') output.pop();
      out.push({ command: m[1]!, args: shellWords(m[1]!), output: `${output.join('\n')}\n` });
    }
  }
  return out;
}

const shown = ['docs/cli.md', 'docs/walkthroughs.md'].flatMap((file) => examples(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')));

beforeAll(async () => {
  await buildCli();
});

describe('the docs show what dbtoken sql and dbtoken policy really print', () => {
  it('finds the examples: every sql and policy subcommand appears', () => {
    const commands = new Set(shown.map((e) => e.args.slice(0, 2).join(' ')));
    expect([...commands].sort()).toEqual([
      'policy aws',
      'policy dsql',
      'policy gcp',
      'policy heatwave',
      'policy oci',
      'policy oci-cross-tenancy',
      'sql azure-mysql',
      'sql azure-postgres',
      'sql cloud-sql',
      'sql dsql',
      'sql heatwave',
      'sql oracle',
      'sql rds-mysql',
      'sql rds-postgres',
    ]);
  });

  it.each(shown.map((e) => [e.command, e] as const))('$ npx dbtoken %s', async (_command, e) => {
    const r = await dbtoken(e.args);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(e.output);
  });

  it.each([
    [`a 'b c' "d e"f`, ['a', 'b c', 'd ef']],
    [`--grant "SELECT, INSERT ON orders.*"  --user x`, ['--grant', 'SELECT, INSERT ON orders.*', '--user', 'x']],
  ])('shellWords(%j)', (line, words) => {
    expect(shellWords(line)).toEqual(words);
  });
});
