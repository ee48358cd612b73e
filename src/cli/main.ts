import { UsageError, wantsHelp } from './args.js';
import { Context, processIo, type Io } from './context.js';
import { causeChain, debugReport, explainFailure } from './explain.js';
import { MAIN_HELP, POLICY_HELP, SQL_HELP, TOKEN_AWS_HELP, TOKEN_HELP, TOKEN_OCI_HELP, WHOAMI_HELP } from './help.js';

/** A command, or a group of subcommands (`token aws`, `token oci`). */
interface Command {
  readonly help: string;
  /** Absent for a command this version does not have yet. */
  readonly run?: (argv: readonly string[], ctx: Context) => Promise<number>;
  readonly subcommands?: Readonly<Record<string, Command>>;
}

// Each command's module loads only when it runs, so --help loads no SDK.
const COMMANDS: Readonly<Record<string, Command>> = {
  token: {
    help: TOKEN_HELP,
    subcommands: {
      aws: { help: TOKEN_AWS_HELP, run: async (argv, ctx) => (await import('./token.js')).tokenAws(argv, ctx) },
      oci: { help: TOKEN_OCI_HELP, run: async (argv, ctx) => (await import('./token.js')).tokenOci(argv, ctx) },
    },
  },
  whoami: { help: WHOAMI_HELP, run: async (argv, ctx) => (await import('./whoami.js')).whoami(argv, ctx) },
  // To be wired to the builders of dbtoken/provision.
  sql: { help: SQL_HELP },
  policy: { help: POLICY_HELP },
};

/** Walks `argv`'s leading words down the command tree. */
function resolveCommand(argv: readonly string[]): { path: string[]; command: Command | undefined; rest: readonly string[]; unknown?: string } {
  const path: string[] = [];
  let command: Command | undefined;
  let table: Readonly<Record<string, Command>> | undefined = COMMANDS;
  let i = 0;
  while (table !== undefined && i < argv.length && !argv[i]!.startsWith('-')) {
    const word = argv[i]!;
    const next: Command | undefined = Object.hasOwn(table, word) ? table[word] : undefined;
    if (next === undefined) return { path, command, rest: argv.slice(i), unknown: `"${word}" is not a command here; there are ${Object.keys(table).join(', ')}` };
    path.push(word);
    command = next;
    table = next.subcommands;
    i++;
  }
  return { path, command, rest: argv.slice(i) };
}

/**
 * Runs the `dbtoken` command line and resolves with the exit code: 0
 * success, 1 refused login or failed token fetch, 2 bad arguments. Never
 * throws; what goes to stderr has tokens and keys removed.
 */
export async function main(argv: readonly string[], io: Io = processIo, meta: { version?: string } = {}): Promise<number> {
  const end = argv.indexOf('--');
  const ctx = new Context(io, (end < 0 ? argv : argv.slice(0, end)).includes('--debug'));
  let label = 'dbtoken';
  try {
    const { path, command, rest, unknown } = resolveCommand(argv);
    label = ['dbtoken', ...path].join(' ');
    if (unknown !== undefined) throw new UsageError(undefined, unknown);
    if (command === undefined) {
      if (wantsHelp(argv) || argv[0] === '--version') {
        ctx.print(wantsHelp(argv) ? MAIN_HELP : (meta.version ?? 'unknown'));
        return 0;
      }
      if (argv.length > 0) throw new UsageError(argv[0], `unknown option ${argv[0]}`);
      throw new UsageError(undefined, 'name a command: token aws, token oci, whoami, sql or policy');
    }
    if (wantsHelp(rest)) {
      ctx.print(command.help);
      return 0;
    }
    if (command.run === undefined) {
      if (command.subcommands) throw new UsageError(undefined, `name one of: ${Object.keys(command.subcommands).map((s) => `${label} ${s}`).join(', ')}`);
      ctx.error(`${label}: not available in this version yet`);
      return 2;
    }
    return await command.run(rest, ctx);
  } catch (err) {
    const failure = explainFailure(err, { command: label, token: ctx.token, tokenError: ctx.tokenError });
    ctx.error(`${label}: ${failure.message}`);
    if (ctx.debug && !(err instanceof UsageError)) {
      ctx.error(debugReport(err));
      if (ctx.tokenError !== undefined && !causeChain(err).includes(ctx.tokenError)) ctx.error(`the token provider's error:\n${debugReport(ctx.tokenError)}`);
    }
    return failure.exitCode;
  }
}
