import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { createIamPool } from '../../../adapters/create-iam-pool.js';
import { connectTransport, loadOracleNet, loadTnsNames } from '../../../adapters/oracle-connect.js';
import { expandHome } from '../../sources/oci/config-file.js';
import type { TokenProvider } from '../../core/provider.js';
import { UsageError } from '../args.js';
import type { Context } from '../context.js';
import { json } from '../format.js';
import { openProvider } from '../providers.js';
import { formatIdentity, mysqlIdentity, oracleIdentity, pgIdentity, type Identity } from './identity.js';
import { whoamiOptions, type NetworkConnectionPlan, type OracleConnectionPlan, type WhoamiOptions } from './whoami-options.js';

const CONNECT_TIMEOUT_MS = 20_000;
/** How long the identity query may take once logged in. */
const QUERY_TIMEOUT_MS = 20_000;

/** `dbtoken whoami`: one IAM login, one identity query, then everything closed. */
export async function whoami(argv: readonly string[], ctx: Context): Promise<number> {
  const o = whoamiOptions(argv, ctx.io.env);
  ctx.token = o.provider.kind;
  const ca = o.connection.kind === 'network' && o.connection.sslCa !== undefined ? readCa(o.connection.sslCa) : undefined;
  if (o.connection.kind === 'oracle') await checkTcps(o.connection);
  const provider = await openProvider(o.provider, ctx);
  try {
    const identity = await ask(o, provider, ca, ctx);
    ctx.print(o.json ? json(identity) : formatIdentity(identity));
    return 0;
  } finally {
    provider.close();
  }
}

function readCa(file: string): string {
  const path = resolve(expandHome(file, homedir()));
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError('--ssl-ca', `--ssl-ca ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError('--ssl-ca', `--ssl-ca ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}

/** --config-dir as a path; without it, node-oracledb (and {@link loadTnsNames}) look in TNS_ADMIN. */
function oracleConfigDir(c: OracleConnectionPlan): string | undefined {
  return c.configDir !== undefined ? resolve(expandHome(c.configDir, homedir())) : undefined;
}

/**
 * The pool refuses a connect string without TCPS too; checked here first,
 * before any provider is made, so that the refusal names the options.
 */
async function checkTcps(c: OracleConnectionPlan): Promise<void> {
  if (c.insecure) return;
  const net = await loadOracleNet();
  const t = connectTransport(c.connectString, net, () => loadTnsNames(oracleConfigDir(c), net!));
  if (t.kind === 'tcp') {
    throw new UsageError('--connect-string', `--connect-string: the db-token would travel without TLS (${t.why}); use TCPS (tcps://host:port/service, or PROTOCOL=TCPS in every ADDRESS), or --insecure for testing only`);
  }
  if (t.kind === 'unknown') {
    throw new UsageError(
      '--connect-string',
      t.alias !== undefined
        ? `--connect-string: cannot tell whether "${t.alias}" uses TCPS: no tnsnames.ora entry for it in --config-dir or TNS_ADMIN; give --config-dir, a tcps:// connect string, or --insecure`
        : `--connect-string: cannot tell whether the connect string uses TCPS: ${t.why}; give the connect descriptor itself, or --insecure for testing only`,
    );
  }
}

async function ask(o: WhoamiOptions, token: TokenProvider, ca: string | undefined, ctx: Context): Promise<Identity> {
  const c = o.connection;
  if (c.kind === 'oracle') return askOracle(c, token, ctx);
  const common = {
    token,
    host: c.host,
    port: c.port,
    // Without --user, createIamPool reads the user from the first token (Azure's upn, Cloud SQL's principal).
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.database !== undefined ? { database: c.database } : {}),
    allowInsecureTransport: c.insecure,
  };
  const tls = c.insecure ? 'without TLS' : `TLS (${c.instance !== undefined ? `the certificate naming Cloud SQL instance ${c.instance}` : c.sslMode}) with ${ca ? '--ssl-ca' : "Node's CA store"}`;
  ctx.log(`connecting with ${o.driver} to ${c.host}:${c.port} as ${c.user ?? 'the user the token names'}, ${tls}`);
  return o.driver === 'pg' ? askPg(c, common, ca) : askMysql(c, common, ca);
}

type Common = { token: TokenProvider; host: string; port: number; user?: string; database?: string; allowInsecureTransport: boolean };

/** pg's TLS options: the CA, and how the certificate's name is checked (--ssl-mode, or a Cloud SQL instance). */
async function pgSsl(c: NetworkConnectionPlan, ca: string | undefined): Promise<object> {
  const caOption = ca !== undefined ? { ca } : {};
  if (c.instance !== undefined) {
    const { cloudSqlServerIdentity } = await import('../../sources/gcp/cloud-sql.js');
    return { ...caOption, checkServerIdentity: cloudSqlServerIdentity(c.instance) };
  }
  return { ...caOption, ...(c.sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
}

async function askPg(c: NetworkConnectionPlan, common: Common, ca: string | undefined): Promise<Identity> {
  const pool = await createIamPool({
    driver: 'pg',
    ...common,
    ssl: c.insecure ? false : await pgSsl(c, ca),
    max: 1,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  pool.on('error', () => {}); // an idle client's error: the query below reports what matters
  try {
    const client = await pool.connect();
    try {
      return await pgIdentity(client);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

async function askMysql(c: NetworkConnectionPlan, common: Common, ca: string | undefined): Promise<Identity> {
  const pool = await createIamPool({
    driver: 'mysql2',
    ...common,
    ...(c.insecure ? {} : { ssl: { ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: true, verifyIdentity: c.sslMode === 'verify-full' } }),
    connectionLimit: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  try {
    const conn = await pool.getConnection();
    try {
      return await mysqlIdentity(conn, QUERY_TIMEOUT_MS);
    } finally {
      conn.release();
    }
  } finally {
    await pool.end();
  }
}

async function askOracle(c: OracleConnectionPlan, token: TokenProvider, ctx: Context): Promise<Identity> {
  ctx.log(`connecting with oracledb (thin) to ${c.connectString}${c.configDir ? ` (config dir ${c.configDir})` : ''}`);
  const configDir = oracleConfigDir(c);
  const pool = await createIamPool({
    driver: 'oracledb',
    token,
    connectString: c.connectString,
    ...(configDir !== undefined ? { configDir } : {}),
    allowInsecureTransport: c.insecure,
    poolMin: 0,
    poolMax: 1,
    poolIncrement: 1,
    connectTimeout: CONNECT_TIMEOUT_MS / 1000,
  });
  try {
    const conn = await pool.getConnection();
    conn.callTimeout = QUERY_TIMEOUT_MS;
    try {
      return await oracleIdentity(conn);
    } finally {
      await conn.close();
    }
  } finally {
    await pool.close(0);
  }
}
