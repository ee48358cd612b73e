import { parseArgs } from 'node:util';

/**
 * Bad command-line arguments: exit code 2. `option` names the option at
 * fault (`--port`), or is undefined for a misplaced word.
 */
export class UsageError extends Error {
  constructor(
    readonly option: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An option a command takes. Every value is a string; flags are booleans. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** May be given more than once; the values come as an array. */
  readonly multiple?: boolean | undefined;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What {@link parseOptions} returns: the values given, by option name without dashes. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  help: { type: 'boolean' },
  debug: { type: 'boolean' },
  json: { type: 'boolean' },
};

/** True when the arguments ask for help (before any `--`), whatever else they hold. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function optionIn(message: string): string | undefined {
  return /'(--?[^' =]+)/.exec(message)?.[1];
}

/**
 * `node:util` `parseArgs` in strict mode, with its errors turned into
 * {@link UsageError}s that name the option, and an option given twice
 * refused (parseArgs would silently keep the last).
 */
export function parseOptions(argv: readonly string[], specs: OptionSpecs): OptionValues {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...specs }, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    const option = optionIn(message);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(option, `unknown option ${option}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(message)) throw new UsageError(option, `${option} is a flag and takes no value`);
      throw new UsageError(option, `${option} needs a value`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const word = /'([^']*)'/.exec(message)?.[1] ?? '';
      throw new UsageError(undefined, `unexpected argument "${word}": every value needs its option, such as --host <host>`);
    }
    throw err;
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || specs[t.name]?.multiple === true) continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name}`, `--${t.name} is given twice`);
    seen.add(t.name);
  }
  return parsed.values as OptionValues;
}

/** A string option's value, trimmed; undefined when absent. An empty value is an error. */
export function optional(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined || typeof v === 'boolean') return undefined;
  if (Array.isArray(v)) throw new UsageError(`--${name}`, `--${name} is given more than once`);
  const s = v.trim();
  if (s === '') throw new UsageError(`--${name}`, `--${name} needs a non-empty value`);
  return s;
}

/** A required string option's value; `what` says what to pass. */
export function required(values: OptionValues, name: string, what: string): string {
  const v = optional(values, name);
  if (v === undefined) throw new UsageError(`--${name}`, `--${name} is required: ${what}`);
  return v;
}

/** A repeatable option's values, trimmed, in the order given; each must be non-empty. */
export function many(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined || typeof v === 'boolean') return [];
  return (Array.isArray(v) ? v : [v]).map((s) => {
    const t = s.trim();
    if (t === '') throw new UsageError(`--${name}`, `--${name} needs a non-empty value`);
    return t;
  });
}

/** A flag's value. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A TCP port, 1 to 65535. */
export function port(name: string, value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new UsageError(`--${name}`, `--${name} must be a port number from 1 to 65535 (got "${value}")`);
  }
  return Number(value);
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name}`, `--${name} must be ${listOf(choices)} (got "${value}")`);
  }
  return value as T;
}

/** Refuses options that do not apply here; `why` completes "--x ...". */
export function refuse(values: OptionValues, names: readonly string[], why: string): void {
  for (const name of names) {
    if (values[name] !== undefined) throw new UsageError(`--${name}`, `--${name} ${why}`);
  }
}

/** "a, b or c". */
export function listOf(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** Output switches every command has. */
export interface OutputOptions {
  readonly json: boolean;
  readonly debug: boolean;
}

export function outputOptions(values: OptionValues): OutputOptions {
  return { json: flag(values, 'json'), debug: flag(values, 'debug') };
}
