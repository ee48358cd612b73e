import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { expandHome } from '../../sources/oci/config-file.js';
import type { Context } from '../context.js';
import { json } from '../format.js';
import type { ProviderPlan } from '../provider-options.js';
import { openProvider } from '../providers.js';
import { checkDbTokenDir, defaultDbTokenDir, formatDbTokenFiles, writeDbTokenFiles } from './db-token-files.js';
import { tokenAwsOptions, tokenDsqlOptions, tokenOciOptions } from './token-options.js';

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

/** Fetches one token and prints it, or `{"token", "expiresAt"}` with --json. */
async function printToken(plan: ProviderPlan, asJson: boolean, ctx: Context): Promise<number> {
  const provider = await openProvider(plan, ctx);
  try {
    const t = await provider.getToken();
    ctx.print(asJson ? json({ token: t.token, expiresAt: t.expiresAt.toISOString() }) : t.token);
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
