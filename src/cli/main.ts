import { UsageError, wantsHelp } from './args.js';
import { Context, processIo, type Io } from './context.js';
import { causeChain, debugReport, explainFailure } from './explain.js';
import {
  MAIN_HELP,
  POLICY_AWS_HELP,
  POLICY_CROSS_TENANCY_HELP,
  POLICY_DSQL_HELP,
  POLICY_GCP_HELP,
  POLICY_HEATWAVE_HELP,
  POLICY_HELP,
  POLICY_OCI_HELP,
  SQL_AZURE_MYSQL_HELP,
  SQL_AZURE_POSTGRES_HELP,
  SQL_CLOUD_SQL_HELP,
  SQL_HEATWAVE_HELP,
  SQL_DSQL_HELP,
  SQL_HELP,
  SQL_ORACLE_HELP,
  SQL_RDS_MYSQL_HELP,
  SQL_RDS_POSTGRES_HELP,
  TOKEN_AWS_HELP,
  TOKEN_AZURE_HELP,
  TOKEN_DSQL_HELP,
  TOKEN_GCP_HELP,
  TOKEN_HELP,
  TOKEN_OCI_HELP,
  WHOAMI_HELP,
} from './help.js';

/** A command, or a group of subcommands (`token aws`, `token dsql`, `token azure`, ...). */
interface Command {
  readonly help: string;
  /** Absent for a group, which only has subcommands. */
  readonly run?: ((argv: readonly string[], ctx: Context) => Promise<number>) | undefined;
  readonly subcommands?: Readonly<Record<string, Command>> | undefined;
}

// Each command's module loads only when it runs, so --help loads no SDK.
const COMMANDS: Readonly<Record<string, Command>> = {
  token: {
    help: TOKEN_HELP,
    subcommands: {
      aws: { help: TOKEN_AWS_HELP, run: async (argv, ctx) => (await import('./commands/token.js')).tokenAws(argv, ctx) },
      dsql: { help: TOKEN_DSQL_HELP, run: async (argv, ctx) => (await import('./commands/token.js')).tokenDsql(argv, ctx) },
      azure: { help: TOKEN_AZURE_HELP, run: async (argv, ctx) => (await import('./commands/token.js')).tokenAzure(argv, ctx) },
      gcp: { help: TOKEN_GCP_HELP, run: async (argv, ctx) => (await import('./commands/token.js')).tokenGcp(argv, ctx) },
      oci: { help: TOKEN_OCI_HELP, run: async (argv, ctx) => (await import('./commands/token.js')).tokenOci(argv, ctx) },
    },
  },
  whoami: { help: WHOAMI_HELP, run: async (argv, ctx) => (await import('./commands/whoami.js')).whoami(argv, ctx) },
  sql: {
    help: SQL_HELP,
    subcommands: {
      oracle: { help: SQL_ORACLE_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlOracle(argv, ctx) },
      'rds-postgres': { help: SQL_RDS_POSTGRES_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlRdsPostgres(argv, ctx) },
      'rds-mysql': { help: SQL_RDS_MYSQL_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlRdsMysql(argv, ctx) },
      heatwave: { help: SQL_HEATWAVE_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlHeatwave(argv, ctx) },
      dsql: { help: SQL_DSQL_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlDsql(argv, ctx) },
      'azure-postgres': { help: SQL_AZURE_POSTGRES_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlAzurePostgres(argv, ctx) },
      'azure-mysql': { help: SQL_AZURE_MYSQL_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlAzureMysql(argv, ctx) },
      'cloud-sql': { help: SQL_CLOUD_SQL_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).sqlCloudSql(argv, ctx) },
    },
  },
  policy: {
    help: POLICY_HELP,
    subcommands: {
      oci: { help: POLICY_OCI_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).policyOci(argv, ctx) },
      'oci-cross-tenancy': { help: POLICY_CROSS_TENANCY_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).policyOciCrossTenancy(argv, ctx) },
      heatwave: { help: POLICY_HEATWAVE_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).policyHeatwave(argv, ctx) },
      aws: { help: POLICY_AWS_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).policyAws(argv, ctx) },
      dsql: { help: POLICY_DSQL_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).policyDsql(argv, ctx) },
      gcp: { help: POLICY_GCP_HELP, run: async (argv, ctx) => (await import('./commands/provision.js')).policyGcp(argv, ctx) },
    },
  },
};

/** Walks `argv`'s leading words down the command tree. */
function resolveCommand(argv: readonly string[]): { path: string[]; command: Command | undefined; rest: readonly string[]; unknown?: string } {
  const path: string[] = [];
  let command: Command | undefined;
  let table: Readonly<Record<string, Command>> | undefined = COMMANDS;
  let i = 0;
  const early: string[] = []; // --debug and --json before the subcommand's name still count
  while (table !== undefined && i < argv.length && (!argv[i]!.startsWith('-') || EARLY_FLAGS.has(argv[i]!))) {
    const word = argv[i]!;
    if (EARLY_FLAGS.has(word)) {
      early.push(word);
      i++;
      continue;
    }
    const next: Command | undefined = Object.hasOwn(table, word) ? table[word] : undefined;
    if (next === undefined) return { path, command, rest: argv.slice(i), unknown: `"${word}" is not a command here; there are ${Object.keys(table).join(', ')}` };
    path.push(word);
    command = next;
    table = next.subcommands;
    i++;
  }
  const rest = argv.slice(i);
  return { path, command, rest: [...rest, ...early.filter((f) => !rest.includes(f))] };
}

/** Flags every command takes, which may come before the command's name. */
const EARLY_FLAGS = new Set(['--debug', '--json']);

/** `text` on one line: a value from the command line may hold line breaks or control characters. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
      const stray = argv.find((a) => !EARLY_FLAGS.has(a));
      if (stray !== undefined) throw new UsageError(stray, `unknown option ${stray}`);
      throw new UsageError(undefined, 'name a command: token, whoami, sql or policy (dbtoken --help lists them)');
    }
    if (wantsHelp(rest)) {
      ctx.print(command.help);
      return 0;
    }
    if (command.run === undefined) {
      throw new UsageError(undefined, `name one of: ${Object.keys(command.subcommands ?? {}).map((s) => `${label} ${s}`).join(', ')} (its options come after it)`);
    }
    return await command.run(rest, ctx);
  } catch (err) {
    const failure = explainFailure(err, { command: label, token: ctx.token, tokenError: ctx.tokenError });
    ctx.error(oneLine(`${label}: ${failure.message}`));
    if (ctx.debug && !(err instanceof UsageError)) {
      ctx.error(debugReport(err));
      if (ctx.tokenError !== undefined && !causeChain(err).includes(ctx.tokenError)) ctx.error(`the token provider's error:\n${debugReport(ctx.tokenError)}`);
    }
    return failure.exitCode;
  }
}
