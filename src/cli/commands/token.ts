import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { expandHome } from '../../sources/oci/config-file.js';
import type { TokenProvider } from '../../core/provider.js';
import type { DbToken } from '../../core/token.js';
import type { Context } from '../context.js';
import { json } from '../format.js';
import type { ProviderPlan } from '../provider-options.js';
import { openProvider, openProviderWithUser } from '../providers.js';
import { checkDbTokenDir, defaultDbTokenDir, formatDbTokenFiles, writeDbTokenFiles } from './db-token-files.js';
import { tokenAwsOptions, tokenAzureOptions, tokenDsqlOptions, tokenGcpOptions, tokenOciOptions } from './token-options.js';

/** `dbtoken token aws`: prints the token itself (one of the two places the CLI prints a secret). */
export async function tokenAws(argv: readonly string[], ctx: Context): Promise<number> {
  const o = tokenAwsOptions(argv, ctx.io.env);
  ctx.token = 'aws';
  return printToken(o.provider, o.json, ctx);
}

/** `dbtoken token dsql`: prints the token itself, as `token aws` does. */
export async function tokenDsql(argv: readonly string[], ctx: Context): Promise<number> {
  const o = tokenDsqlOptions(argv, ctx.io.env);
  ctx.token = 'dsql';
  return printToken(o.provider, o.json, ctx);
}

/**
 * `dbtoken token azure`: prints a Microsoft Entra ID token for Azure
 * Database for PostgreSQL and MySQL, from DefaultAzureCredential. With
 * --json, also the user it logs in as when known (--user, else the token's
 * upn; a service principal's token names none).
 */
export async function tokenAzure(argv: readonly string[], ctx: Context): Promise<number> {
  const o = tokenAzureOptions(argv, ctx.io.env);
  ctx.token = 'azure';
  const { provider, userOf } = await openProviderWithUser(o.provider, ctx);
  return printToken(provider, o.json, ctx, userOf);
}

/**
 * `dbtoken token gcp`: prints a Cloud SQL IAM login token (an OAuth2 access
 * token), from application default credentials or --key-file. With --json,
 * also the database user Cloud SQL gives the principal, when known.
 */
export async function tokenGcp(argv: readonly string[], ctx: Context): Promise<number> {
  const o = tokenGcpOptions(argv);
  ctx.token = 'gcp';
  const { provider, userOf } = await openProviderWithUser(o.provider, ctx);
  return printToken(provider, o.json, ctx, userOf);
}

/** Fetches one token and prints it, or `{"token", "expiresAt"}` (and `"user"`, when `userOf` knows it) with --json. */
async function printToken(plan: ProviderPlan | TokenProvider, asJson: boolean, ctx: Context, userOf?: (t: DbToken) => string | undefined): Promise<number> {
  const provider = 'kind' in plan ? await openProvider(plan, ctx) : plan;
  try {
    const t = await provider.getToken();
    const user = userOf?.(t);
    if (user !== undefined) ctx.log(`the token logs in as ${user}`);
    ctx.print(asJson ? json({ token: t.token, expiresAt: t.expiresAt.toISOString(), ...(user !== undefined ? { user } : {}) }) : t.token);
    return 0;
  } finally {
    provider.close();
  }
}

/** `dbtoken token oci`: writes the db-token and its key, and prints where, never what. */
export async function tokenOci(argv: readonly string[], ctx: Context): Promise<number> {
  const o = tokenOciOptions(argv);
  ctx.token = 'oci';
  const home = homedir();
  const out = checkDbTokenDir(o.out === undefined ? defaultDbTokenDir(home) : resolve(expandHome(o.out, home)));
  const provider = await openProvider(o.provider, ctx);
  try {
    const t = await provider.getToken();
    if (t.privateKey === undefined) throw new Error('the db-token came without its private key');
    const files = writeDbTokenFiles(out, t.token, t.privateKey);
    ctx.log(`wrote ${files.tokenFile} and ${files.keyFile} (mode 0600)`);
    ctx.print(o.json ? json({ ...files, expiresAt: t.expiresAt.toISOString() }) : formatDbTokenFiles({ ...files, expiresAt: t.expiresAt }, Date.now()));
    return 0;
  } finally {
    provider.close();
  }
}
