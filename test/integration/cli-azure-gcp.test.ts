import { rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureMysqlUser, azurePostgresPrincipal, cloudSqlIamUser, gcpInstanceUserBinding } from 'dbtoken/provision';
import {
  startEntraIdEmulator,
  startGcpAuthEmulator,
  startVerifyingMariaDb,
  startVerifyingPostgres,
  type EntraIdEmulator,
  type GcpAuthEmulator,
  type VerifyingMariaDb,
  type VerifyingPostgres,
} from 'dbtoken/testing';
import { redact } from '../../src/cli/redact.js';
import { buildCli, dbtoken } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The Azure and Google Cloud commands, run as a user runs them (bin/dbtoken.mjs
 * in a child process), configured through the environment only:
 *
 * - `token azure` and `whoami --token azure` get tokens from the real
 *   DefaultAzureCredential, pointed at startEntraIdEmulator by
 *   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and
 *   AZURE_AUTHORITY_HOST (EnvironmentCredential), or by IDENTITY_ENDPOINT and
 *   IDENTITY_HEADER (ManagedIdentityCredential, App Service), trusting the
 *   emulator's CA through NODE_EXTRA_CA_CERTS. DefaultAzureCredential has no
 *   environment variable for `disableInstanceDiscovery`: without it, MSAL asks
 *   login.microsoftonline.com to validate the emulator's host and fails
 *   (endpoints_resolution_error). The CLI turns discovery off for an
 *   AZURE_AUTHORITY_HOST outside Microsoft's clouds, which is what lets
 *   EnvironmentCredential reach the emulator here (and a private cloud in real life).
 * - `token gcp` and `whoami --token gcp` get tokens from google-auth-library's
 *   application default credentials, pointed at startGcpAuthEmulator's
 *   metadata server by its `metadataEnv`.
 *
 * Logins go to a PostgreSQL and a MariaDB whose `verify` checks Entra tokens
 * (`entra.verifier`) or Cloud SQL tokens (`google.verifier`). Then the
 * `sql azure-postgres|azure-mysql|cloud-sql` and `policy gcp` outputs.
 */

const APP = { clientId: '11111111-2222-4333-8444-555555555555', clientSecret: 'app-secret-Zq7Xv2Lp9Rt4', objectId: '66666666-7777-4888-8999-aaaaaaaaaaaa' };
const MI = { clientId: '12121212-3434-4565-8787-909090909090', objectId: '99999999-8888-4777-8666-555555555555' };
const SA = 'orders-api@dbtoken-test.iam.gserviceaccount.com';
const SA_PG_USER = 'orders-api@dbtoken-test.iam';
const SA_MYSQL_USER = 'orders-api';
const PROJECT = 'dbtoken-test';

let entra: EntraIdEmulator;
let google: GcpAuthEmulator;
let db: VerifyingPostgres;
let mydb: VerifyingMariaDb;
let dir: string;
let entraCaFile: string;
let pgCaFile: string;
let myCaFile: string;

/** What a developer's shell or a cloud VM may hold that would change which credential is used. */
const NO_CLOUD: Record<string, string> = {
  AZURE_TENANT_ID: '',
  AZURE_CLIENT_ID: '',
  AZURE_CLIENT_SECRET: '',
  AZURE_CLIENT_CERTIFICATE_PATH: '',
  AZURE_USERNAME: '',
  AZURE_PASSWORD: '',
  // Not '': @azure/identity would take an empty AZURE_AUTHORITY_HOST for the authority, and every credential would fail.
  AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  AZURE_FEDERATED_TOKEN_FILE: '',
  AZURE_TOKEN_CREDENTIALS: '',
  IDENTITY_ENDPOINT: '',
  IDENTITY_HEADER: '',
  MSI_ENDPOINT: '',
  MSI_SECRET: '',
  NODE_EXTRA_CA_CERTS: '',
  GOOGLE_APPLICATION_CREDENTIALS: '',
  GCE_METADATA_HOST: '',
  GCE_METADATA_IP: '',
  METADATA_SERVER_DETECTION: 'none',
};

beforeAll(async () => {
  dir = tempDir('dbtoken-cli-azure-gcp-');
  [, entra, google] = await Promise.all([
    buildCli(),
    startEntraIdEmulator({ servicePrincipals: [APP], managedIdentity: MI }),
    startGcpAuthEmulator({ project: PROJECT, serviceAccounts: [SA] }),
  ]);
  const entraVerify = entra.verifier({ roles: { app: APP.objectId, webapp: MI.objectId } });
  const pgGoogle = google.verifier({ engine: 'postgres' });
  const myGoogle = google.verifier({ engine: 'mysql' });
  const isGoogle = (token: string): boolean => token.startsWith('ya29.');
  [db, mydb] = await Promise.all([
    startVerifyingPostgres({ users: ['app', 'reporting', 'webapp', SA_PG_USER], verify: (token, user) => (isGoogle(token) ? pgGoogle(token, user) : entraVerify(token, user)) }),
    startVerifyingMariaDb({ users: ['app', SA_MYSQL_USER], verify: (token, user) => (isGoogle(token) ? myGoogle(token, user) : entraVerify(token, user)) }),
  ]);
  // Node reads NODE_EXTRA_CA_CERTS from a file: the emulator's CA, removed in afterAll.
  entraCaFile = join(dir, 'entra-ca.pem');
  pgCaFile = join(dir, 'pg-ca.pem');
  myCaFile = join(dir, 'mariadb-ca.pem');
  writeFileSync(entraCaFile, entra.ca);
  writeFileSync(pgCaFile, db.ca);
  writeFileSync(myCaFile, mydb.ca);
}, 180_000);

afterAll(async () => {
  await Promise.all([db?.close(), mydb?.close(), entra?.close(), google?.close()]);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** A service principal's environment, as EnvironmentCredential reads it. */
function spEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    ...NO_CLOUD,
    HOME: dir,
    AZURE_TENANT_ID: entra.tenantId,
    AZURE_CLIENT_ID: APP.clientId,
    AZURE_CLIENT_SECRET: APP.clientSecret,
    AZURE_AUTHORITY_HOST: entra.authorityHost,
    NODE_EXTRA_CA_CERTS: entraCaFile,
    ...over,
  };
}

/** An App Service app's environment, as ManagedIdentityCredential reads it. */
function miEnv(): Record<string, string> {
  return { ...NO_CLOUD, HOME: dir, ...entra.managedIdentityEnv, NODE_EXTRA_CA_CERTS: entraCaFile };
}

/** A Compute Engine VM's environment, its metadata server the emulator's. */
function gceEnv(over: Record<string, string> = {}): Record<string, string> {
  return { ...NO_CLOUD, HOME: dir, ...google.metadataEnv, ...over };
}

/** No token or secret of these clouds in `text`. */
function expectNoSecret(text: string): void {
  expect(text).not.toContain(APP.clientSecret);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  expect(text).not.toMatch(/ya29\.[A-Za-z0-9_-]{10}/);
}

describe('dbtoken token azure: DefaultAzureCredential, configured by environment variables only', () => {
  it('a service principal (EnvironmentCredential): prints one token that the emulator verifies for the role bound to its object id', async () => {
    const r = await dbtoken(['token', 'azure'], { env: spEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(lines(r.stdout)).toHaveLength(1);
    const token = r.stdout.trim();
    expect(await entra.verifier({ roles: { app: APP.objectId } })(token, 'app')).toMatchObject({ ok: true });
    expect(await entra.verifier({ roles: { reporting: MI.objectId } })(token, 'reporting')).toMatchObject({ ok: false });
    expect(entra.requests.filter((q) => q.endpoint === 'token').at(-1)).toMatchObject({ ok: true, clientId: APP.clientId });
    expect(entra.requests.some((q) => q.endpoint === 'instance-discovery')).toBe(false);
  });

  it('--json: {token, expiresAt, user}; user is --user (a service principal\'s token names none)', async () => {
    const r = await dbtoken(['token', 'azure', '--user', 'app', '--json'], { env: spEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['expiresAt', 'token', 'user']);
    expect(out.user).toBe('app');
    expect(Date.parse(out.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(await entra.verifier({ roles: { app: APP.objectId } })(out.token, 'app')).toMatchObject({ ok: true });

    const anonymous = await dbtoken(['token', 'azure', '--json'], { env: spEnv() });
    expect(anonymous, anonymous.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(Object.keys(JSON.parse(anonymous.stdout)).sort()).toEqual(['expiresAt', 'token']);
  });

  it('a managed identity (App Service: IDENTITY_ENDPOINT, IDENTITY_HEADER): prints its token', async () => {
    const before = entra.requests.length;
    const r = await dbtoken(['token', 'azure'], { env: miEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(entra.requests.slice(before).map((q) => [q.endpoint, q.ok])).toEqual([['managed-identity', true]]);
    expect(await entra.verifier({ roles: { webapp: MI.objectId } })(r.stdout.trim(), 'webapp')).toMatchObject({ ok: true });
  });

  it('--debug says instance discovery is off for the emulator\'s AZURE_AUTHORITY_HOST, and shows no secret', async () => {
    const r = await dbtoken(['token', 'azure', '--debug'], { env: spEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/debug: AZURE_AUTHORITY_HOST https:\/\/127\.0\.0\.1:\d+ is not one of Microsoft's clouds: used as given, without instance discovery/);
    expectNoSecret(r.stderr);
  });

  it('an Entra token quoted back in an error is redacted', async () => {
    const r = await dbtoken(['token', 'azure'], { env: spEnv() });
    const token = r.stdout.trim();
    expect(redact(`password "${token}" refused`)).toBe('password "[redacted token]" refused');
  });

  it.each([
    ['a wrong client secret', { AZURE_CLIENT_SECRET: 'wrong-secret-Kd8sPq2Lx' }, /^dbtoken token azure: Entra ID refused the client secret \(AADSTS7000215: Invalid client secret provided\)\. Likely cause: AZURE_CLIENT_SECRET is wrong/],
    ['an unknown application', { AZURE_CLIENT_ID: '11111111-2222-4333-8444-000000000000' }, /Entra ID does not know the application \(AADSTS700016: .*Likely cause: AZURE_CLIENT_ID is not an app registered in the tenant/],
    ["the emulator's CA not trusted", { NODE_EXTRA_CA_CERTS: '' }, /no token: the Entra ID authority could not be reached or trusted\. Likely cause: .*NODE_EXTRA_CA_CERTS/],
    ['no credential at all (the chain limited to EnvironmentCredential)', { AZURE_TENANT_ID: '', AZURE_CLIENT_ID: '', AZURE_CLIENT_SECRET: '', AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' }, /no token: no credential of DefaultAzureCredential was available .*Likely cause: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET/],
  ])('%s: exit 1, one line with the likely cause, no secret even with --debug', async (_name, over, message) => {
    const r = await dbtoken(['token', 'azure'], { env: spEnv(over) });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expectNoSecret(r.stderr);
    const debug = await dbtoken(['token', 'azure', '--debug'], { env: spEnv(over) });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/stack: /);
    expectNoSecret(debug.stderr);
    for (const v of Object.values(over)) if (v.length >= 8 && v.includes('secret')) expect(debug.stderr).not.toContain(v);
  });
});

describe('dbtoken token gcp: application default credentials, here the metadata server', () => {
  it.each([
    ['postgres', SA_PG_USER],
    ['mysql', SA_MYSQL_USER],
  ])('--engine %s: prints one token Cloud SQL accepts for %s; --json names that user', async (engine, user) => {
    const r = await dbtoken(['token', 'gcp', '--engine', engine], { env: gceEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(lines(r.stdout)).toHaveLength(1);
    const token = r.stdout.trim();
    expect(token).toMatch(/^ya29\./);
    expect(google.verifier({ engine: engine as 'postgres' | 'mysql' })(token, user)).toMatchObject({ ok: true });
    expect(google.verifier({ engine: engine as 'postgres' | 'mysql' })(token, 'app')).toMatchObject({ ok: false });

    const j = await dbtoken(['token', 'gcp', '--engine', engine, '--json'], { env: gceEnv() });
    expect(j, j.stderr).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(j.stdout);
    expect(out).toEqual({ token: expect.stringMatching(/^ya29\./), expiresAt: expect.any(String), user });
    expect(Date.parse(out.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
  });

  it('a Google access token quoted back in an error is redacted', async () => {
    const r = await dbtoken(['token', 'gcp', '--engine', 'postgres'], { env: gceEnv() });
    expect(redact(`password "${r.stdout.trim()}" refused`)).toBe('password "[redacted token]" refused');
  });

  it('no Google credentials: exit 1, one line with the likely cause', async () => {
    const r = await dbtoken(['token', 'gcp', '--engine', 'postgres'], { env: { ...NO_CLOUD, HOME: dir, CLOUDSDK_CONFIG: join(dir, 'no-gcloud') } });
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken token gcp: no token: Could not load the default credentials.*Likely cause: no Google credentials were found/);
  });

  it.each([
    ['no --engine', ['token', 'gcp'], '--engine'],
    ['an engine that is not one', ['token', 'gcp', '--engine', 'oracle'], '--engine'],
    ['a key file that does not exist', ['token', 'gcp', '--engine', 'postgres', '--key-file', '/nonexistent/key.json'], '--key-file'],
    ['--host (a token is not bound to a server)', ['token', 'gcp', '--engine', 'postgres', '--host', '10.0.0.3'], '--host'],
    ['an AWS option', ['token', 'gcp', '--engine', 'postgres', '--region', 'us-east-1'], '--region'],
    ['a PostgreSQL user with the .gserviceaccount.com suffix', ['token', 'gcp', '--engine', 'postgres', '--user', SA], '--user'],
    ['a MySQL user with an @', ['token', 'gcp', '--engine', 'mysql', '--user', SA_PG_USER], '--user'],
    ['azure: --host', ['token', 'azure', '--host', 'orders.postgres.database.azure.com'], '--host'],
    ['azure: --key-file', ['token', 'azure', '--key-file', '/tmp/key.json'], '--key-file'],
    ['azure: an OCI option', ['token', 'azure', '--scope', 'urn:oracle:db::id::*'], '--scope'],
    ['azure: an unknown option', ['token', 'azure', '--tenant', 'x'], '--tenant'],
  ])('bad arguments: %s: exit 2, one line naming the option', async (_name, args, option) => {
    const r = await dbtoken(args, { env: gceEnv() });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken token (gcp|azure): /);
    expect(r.stderr).toContain(option);
    expect(r.stderr).toMatch(/see dbtoken token (gcp|azure) --help\n$/);
    expect(r.stderr).not.toMatch(/\b(username|keyFile)\b/); // the CLI's words, not the library's
  });
});

describe('dbtoken whoami --token azure against a PostgreSQL and a MariaDB that check Entra tokens', () => {
  const pgArgs = (...more: string[]) => ['whoami', '--driver', 'pg', '--token', 'azure', '--host', db.host, '--port', String(db.port), '--ssl-ca', pgCaFile, '--database', db.database, ...more];

  it('--user app, the role bound to the app\'s object id: prints it and that TLS is in use', async () => {
    const r = await dbtoken(pgArgs('--user', 'app'), { env: spEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('session_user  app\ntls           yes\n');
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: true });
  });

  it('--json, as a managed identity bound to webapp', async () => {
    const r = await dbtoken(pgArgs('--user', 'webapp', '--json'), { env: miEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'pg', sessionUser: 'webapp', tls: true });
  });

  it('a role not bound to the app: exit 1, the Azure likely cause on one line; no token or secret even with --debug', async () => {
    const r = await dbtoken(pgArgs('--user', 'reporting'), { env: spEnv() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^dbtoken whoami: login refused \(SQLSTATE 28000\): .*Likely cause: the server did not accept the Entra ID token: no role was made for this identity with pgaadauth_create_principal .*pgaadauth_create_principal_with_oid.*differs from the UPN in case/,
    );
    expect(db.logins.at(-1)).toMatchObject({ user: 'reporting', ok: false });
    expectNoSecret(r.stderr);
    const debug = await dbtoken(pgArgs('--user', 'reporting', '--debug'), { env: spEnv() });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/debug: connecting with pg to 127\.0\.0\.1:\d+ as reporting/);
    expectNoSecret(debug.stderr);
  });

  it('without --user, a service principal: exit 2, --user is needed (its token names no role)', async () => {
    const r = await dbtoken(pgArgs(), { env: spEnv() });
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: --user: is needed: the credential signs in as a service principal or managed identity.*; give --user: the role made for it/);
    expect(r.stderr).not.toMatch(/\busername\b/);
  });

  it('mysql2: --user app logs in with the token as a cleartext password over TLS', async () => {
    const r = await dbtoken(['whoami', '--driver', 'mysql2', '--token', 'azure', '--host', mydb.host, '--port', String(mydb.port), '--ssl-ca', myCaFile, '--user', 'app', '--json'], { env: spEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ driver: 'mysql2', user: expect.stringMatching(/^app@/), proxied: false, tls: true });
  });

  it('mysql2: a user the app is not bound to: the MySQL likely cause names CREATE AADUSER', async () => {
    const r = await dbtoken(['whoami', '--driver', 'mysql2', '--token', 'azure', '--host', mydb.host, '--port', String(mydb.port), '--ssl-ca', myCaFile, '--user', SA_MYSQL_USER], { env: spEnv() });
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/login refused \(1045\): .*Likely cause: the server did not accept the Entra ID token: no user was made for this identity with CREATE AADUSER/);
    expectNoSecret(r.stderr);
  });

  it('a certificate nobody vouches for: TLS refused before any token is sent', async () => {
    const before = db.logins.length;
    const r = await dbtoken(['whoami', '--driver', 'pg', '--token', 'azure', '--host', db.host, '--port', String(db.port), '--user', 'app'], { env: spEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TLS refused: the server's certificate is not trusted .*DigiCert Global Root G2/);
    expect(db.logins.length).toBe(before);
  });
});

describe('dbtoken whoami --token gcp against a PostgreSQL and a MariaDB that check Cloud SQL tokens', () => {
  // PostgreSQL's default database is the user's name: this server has one database for its users.
  const pgArgs = (...more: string[]) => ['whoami', '--driver', 'pg', '--token', 'gcp', '--host', db.host, '--port', String(db.port), '--ssl-ca', pgCaFile, '--database', db.database, ...more];

  it("without --user: logs in as Cloud SQL's name for the VM's service account", async () => {
    const r = await dbtoken(pgArgs(), { env: gceEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`session_user  ${SA_PG_USER}\ntls           yes\n`);
    expect(db.logins.at(-1)).toMatchObject({ user: SA_PG_USER, ok: true });
  });

  it('--instance project:region:instance checks the certificate for the instance (else for --host, as this one names 127.0.0.1)', async () => {
    const r = await dbtoken(pgArgs('--instance', `${PROJECT}:europe-west1:orders`, '--json', '--debug'), { env: gceEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'pg', sessionUser: SA_PG_USER, tls: true });
    expect(r.stderr).toMatch(/TLS \(the certificate naming Cloud SQL instance dbtoken-test:europe-west1:orders\) with --ssl-ca/);
    expectNoSecret(r.stderr);
  });

  it('--user of another user than the principal: exit 1, the Cloud SQL likely cause on one line', async () => {
    const r = await dbtoken(pgArgs('--user', 'app'), { env: gceEnv() });
    expect(r.code, r.stderr).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^dbtoken whoami: login refused \(SQLSTATE 28000\): .*Likely cause: Cloud SQL did not accept the IAM token: the principal is not added to the instance as an IAM user .*roles\/cloudsql\.instanceUser/,
    );
    expect(db.logins.at(-1)).toMatchObject({ user: 'app', ok: false });
    expectNoSecret(r.stderr);
  });

  it('mysql2: logs in as the part of the email before the @', async () => {
    const r = await dbtoken(['whoami', '--driver', 'mysql2', '--token', 'gcp', '--host', mydb.host, '--port', String(mydb.port), '--ssl-ca', myCaFile, '--json'], { env: gceEnv() });
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ driver: 'mysql2', user: expect.stringMatching(/^orders-api@/), tls: true });
  });

  it('through an address the certificate does not name: refused with the Cloud SQL hints (give --instance; or it names another instance)', async () => {
    // A forwarder on 127.0.0.2, which the server's certificate (127.0.0.1, localhost) does not name, as a Cloud SQL
    // instance's certificate names the instance and not its IP address.
    const sockets = new Set<Socket>();
    const forwarder: Server = createServer((client) => {
      const upstream = connect(db.port, db.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => forwarder.once('error', reject).listen(0, '127.0.0.2', resolve));
    try {
      const port = String((forwarder.address() as { port: number }).port);
      const args = (...more: string[]) => ['whoami', '--driver', 'pg', '--token', 'gcp', '--host', '127.0.0.2', '--port', port, '--ssl-ca', pgCaFile, '--database', db.database, ...more];
      const before = db.logins.length;
      const byHost = await dbtoken(args(), { env: gceEnv() });
      expect(byHost.code, byHost.stderr).toBe(1);
      expect(lines(byHost.stderr)).toHaveLength(1);
      expect(byHost.stderr).toMatch(/^dbtoken whoami: TLS refused: .*Likely cause: Cloud SQL's certificate names the instance \(project:instance\), not its address: give --instance project:region:instance/);
      const other = await dbtoken(args('--instance', `${PROJECT}:europe-west1:orders`), { env: gceEnv() });
      expect(other.code, other.stderr).toBe(1);
      expect(lines(other.stderr)).toHaveLength(1);
      expect(other.stderr).toMatch(/^dbtoken whoami: TLS refused: .*not the Cloud SQL instance dbtoken-test:orders, nor 127\.0\.0\.2\. Likely cause: --instance names another instance than the server at --host/);
      expect(db.logins.length).toBe(before); // no token was sent
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => forwarder.close(resolve));
    }
  });

  it.each([
    ['--instance that is not a connection name', ['whoami', '--driver', 'pg', '--token', 'gcp', '--host', '127.0.0.1', '--instance', 'orders'], '--instance'],
    ['--instance with mysql2', ['whoami', '--driver', 'mysql2', '--token', 'gcp', '--host', '127.0.0.1', '--instance', `${PROJECT}:europe-west1:orders`], '--instance'],
    ['--instance with --ssl-mode verify-ca', ['whoami', '--driver', 'pg', '--token', 'gcp', '--host', '127.0.0.1', '--instance', `${PROJECT}:europe-west1:orders`, '--ssl-mode', 'verify-ca'], '--ssl-mode'],
    ['--instance with --insecure', ['whoami', '--driver', 'pg', '--token', 'gcp', '--host', '127.0.0.1', '--insecure', '--instance', `${PROJECT}:europe-west1:orders`], '--insecure'],
    ['--key-file with --token azure', ['whoami', '--driver', 'pg', '--token', 'azure', '--host', '127.0.0.1', '--user', 'app', '--key-file', '/tmp/k.json'], '--key-file'],
    ['--instance with --token aws', ['whoami', '--driver', 'pg', '--token', 'aws', '--host', '127.0.0.1', '--user', 'app', '--region', 'us-east-1', '--instance', `${PROJECT}:europe-west1:orders`], '--instance'],
    ['--token gcp with oracledb', ['whoami', '--driver', 'oracledb', '--token', 'gcp', '--connect-string', 'tcps://h:1522/s'], '--token'],
    ['a key file that does not exist', ['whoami', '--driver', 'pg', '--token', 'gcp', '--host', '127.0.0.1', '--key-file', join('/nonexistent', 'key.json')], '--key-file'],
  ])('bad arguments: %s: exit 2, one line naming the option', async (_name, args, option) => {
    const r = await dbtoken(args, { env: gceEnv() });
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbtoken whoami: /);
    expect(r.stderr).toContain(option);
    expect(r.stderr).toMatch(/see dbtoken whoami --help\n$/);
  });
});

describe('dbtoken sql azure-postgres|azure-mysql|cloud-sql and policy gcp print what the builders build', () => {
  async function ok(args: string[]): Promise<string> {
    const r = await dbtoken(args);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    return r.stdout;
  }

  it('sql azure-postgres: one statement, by name or bound to an object id; --json {statements}', async () => {
    expect(await ok(['sql', 'azure-postgres', '--name', 'ada@contoso.com', '--kind', 'user'])).toBe("SELECT * FROM pgaadauth_create_principal('ada@contoso.com', false, false);\n");
    const args = ['sql', 'azure-postgres', '--name', 'orders-api', '--kind', 'service', '--object-id', APP.objectId, '--admin'];
    const expected = azurePostgresPrincipal({ name: 'orders-api', kind: 'service', objectId: APP.objectId, admin: true });
    expect(lines(await ok(args))).toEqual(expected);
    expect(expected[0]).toBe(`SELECT * FROM pgaadauth_create_principal_with_oid('orders-api', '${APP.objectId}', 'service', true, false);`);
    expect(JSON.parse(await ok([...args, '--json']))).toEqual({ statements: expected });
  });

  it("sql azure-postgres keeps a hostile name inside its literal (' doubled)", async () => {
    expect(await ok(['sql', 'azure-postgres', '--name', "x', true, false); DROP ROLE app; --", '--kind', 'group'])).toBe(
      "SELECT * FROM pgaadauth_create_principal('x'', true, false); DROP ROLE app; --', false, false);\n",
    );
  });

  it('sql azure-mysql: CREATE AADUSER ... IDENTIFIED BY and the grants', async () => {
    const out = await ok(['sql', 'azure-mysql', '--name', 'orders-api', '--object-id', MI.clientId, '--grant', 'SELECT, INSERT ON orders.*']);
    expect(lines(out)).toEqual(azureMysqlUser({ name: 'orders-api', objectId: MI.clientId, grants: [{ privileges: ['SELECT', 'INSERT'], on: 'orders.*' }] }));
    expect(out).toBe(`CREATE AADUSER 'orders-api' IDENTIFIED BY '${MI.clientId}';\nGRANT SELECT, INSERT ON \`orders\`.* TO 'orders-api'@'%';\n`);
  });

  it('sql cloud-sql: the gcloud command, then the GRANTs, each under a # line; --json {command, user, statements}', async () => {
    const args = ['sql', 'cloud-sql', '--email', SA, '--engine', 'postgres', '--instance', `${PROJECT}:europe-west1:orders`, '--grant-role', 'app_readwrite'];
    expect(await ok(args)).toBe(
      [
        `# Add the IAM principal to the instance (its database user: ${SA_PG_USER}):`,
        `gcloud sql users create ${SA_PG_USER} --instance=orders --type=cloud_iam_service_account --project=${PROJECT}`,
        '# Then, in the database, as a user that holds these roles or privileges:',
        `GRANT "app_readwrite" TO "${SA_PG_USER}";`,
        '',
      ].join('\n'),
    );
    expect(JSON.parse(await ok([...args, '--json']))).toEqual(cloudSqlIamUser({ email: SA, engine: 'postgres', instance: `${PROJECT}:europe-west1:orders`, roles: ['app_readwrite'] }));
    const mysql = await ok(['sql', 'cloud-sql', '--email', 'ada@example.com', '--engine', 'mysql', '--instance', 'orders', '--grant', 'SELECT ON orders.*']);
    expect(lines(mysql).slice(1)).toEqual(['gcloud sql users create ada@example.com --instance=orders --type=cloud_iam_user', '# Then, in the database, as a user that holds these roles or privileges:', "GRANT SELECT ON `orders`.* TO 'ada'@'%';"]);
  });

  it("sql cloud-sql quotes an email's apostrophe for the shell", async () => {
    expect(lines(await ok(['sql', 'cloud-sql', '--email', "o'neil@example.com", '--engine', 'postgres', '--instance', 'orders']))[1]).toBe(
      "gcloud sql users create 'o'\\''neil@example.com' --instance=orders --type=cloud_iam_user",
    );
  });

  it('policy gcp: the add-iam-policy-binding command (and roles/cloudsql.client with --connector); --json {commands}', async () => {
    expect(await ok(['policy', 'gcp', '--project', PROJECT, '--member', SA])).toBe(
      `gcloud projects add-iam-policy-binding ${PROJECT} --member=serviceAccount:${SA} --role=roles/cloudsql.instanceUser\n`,
    );
    const args = ['policy', 'gcp', '--project', PROJECT, '--member', 'ada@example.com', '--connector'];
    expect(lines(await ok(args))).toEqual([
      `gcloud projects add-iam-policy-binding ${PROJECT} --member=user:ada@example.com --role=roles/cloudsql.instanceUser`,
      `gcloud projects add-iam-policy-binding ${PROJECT} --member=user:ada@example.com --role=roles/cloudsql.client`,
    ]);
    expect(JSON.parse(await ok([...args, '--json']))).toEqual({ commands: gcpInstanceUserBinding({ project: PROJECT, member: 'ada@example.com', connector: true }) });
  });

  it.each([
    ['azure-postgres without --kind', ['sql', 'azure-postgres', '--name', 'ada'], 'sql azure-postgres', '--kind'],
    ['azure-postgres --kind service without --object-id', ['sql', 'azure-postgres', '--name', 'app', '--kind', 'service'], 'sql azure-postgres', '--object-id'],
    ['azure-postgres with an object id that is not a GUID', ['sql', 'azure-postgres', '--name', 'app', '--kind', 'service', '--object-id', 'app'], 'sql azure-postgres', '--object-id'],
    ['azure-postgres with a backslash', ['sql', 'azure-postgres', '--name', 'CONTOSO\\ada', '--kind', 'user'], 'sql azure-postgres', '--name'],
    ['azure-mysql with a UPN over 32 characters', ['sql', 'azure-mysql', '--name', 'firstname.lastname@contoso.onmicrosoft.com'], 'sql azure-mysql', '--name'],
    ['azure-mysql with a quote', ['sql', 'azure-mysql', '--name', "o'brien@contoso.com"], 'sql azure-mysql', '--name'],
    ['cloud-sql without --instance', ['sql', 'cloud-sql', '--email', SA, '--engine', 'postgres'], 'sql cloud-sql', '--instance'],
    ['cloud-sql with a kind that contradicts the email', ['sql', 'cloud-sql', '--email', SA, '--engine', 'postgres', '--instance', 'orders', '--kind', 'user'], 'sql cloud-sql', '--kind'],
    ['cloud-sql with --grant on PostgreSQL', ['sql', 'cloud-sql', '--email', SA, '--engine', 'postgres', '--instance', 'orders', '--grant', 'SELECT ON a.*'], 'sql cloud-sql', '--grant'],
    ['cloud-sql with --grant-role on MySQL', ['sql', 'cloud-sql', '--email', SA, '--engine', 'mysql', '--instance', 'orders', '--grant-role', 'r'], 'sql cloud-sql', '--grant-role'],
    ['cloud-sql with shell syntax in the email', ['sql', 'cloud-sql', '--email', 'a$(id)@example.com', '--engine', 'mysql', '--instance', 'orders'], 'sql cloud-sql', '--email'],
    ['policy gcp with a project number', ['policy', 'gcp', '--project', '123456789012', '--member', SA], 'policy gcp', '--project'],
    ['policy gcp without --member', ['policy', 'gcp', '--project', PROJECT], 'policy gcp', '--member'],
    ['policy gcp with a prefixed member', ['policy', 'gcp', '--project', PROJECT, '--member', `serviceAccount:${SA}`], 'policy gcp', '--member'],
  ])('%s: exit 2, one line naming the option', async (_name, args, command, option) => {
    const r = await dbtoken(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^dbtoken ${command}: ${option.replace(/-/g, '\\-')}\\b`));
    expect(r.stderr).toMatch(new RegExp(`see dbtoken ${command} --help\\n$`));
    expect(r.stderr).not.toMatch(/\b(objectId|azurePostgresPrincipal|cloudSqlIamUser|gcpInstanceUserBinding)\b/);
  });

  it.each([
    [['token'], /token azure +print a Microsoft Entra ID token[\s\S]*token gcp +print a Cloud SQL IAM login token/],
    [['token', 'azure'], /Usage: dbtoken token azure \[--user <name>\] \[--json\][\s\S]*DefaultAzureCredential[\s\S]*AZURE_AUTHORITY_HOST/],
    [['token', 'gcp'], /Usage: dbtoken token gcp --engine <postgres\|mysql> \[--key-file <file>\][\s\S]*sqlservice\.login/],
    [['whoami'], /--driver <pg\|mysql2> <connection options> --token <azure\|gcp>[\s\S]*gcp: +--key-file <file>[\s\S]*--instance/],
    [['sql', 'azure-postgres'], /Usage: dbtoken sql azure-postgres --name <role> --kind <user\|group\|service>[\s\S]*pgaadauth_create_principal_with_oid/],
    [['sql', 'azure-mysql'], /Usage: dbtoken sql azure-mysql --name <name>[\s\S]*CREATE AADUSER/],
    [['sql', 'cloud-sql'], /Usage: dbtoken sql cloud-sql --email <email> --engine <postgres\|mysql>[\s\S]*gcloud sql users create/],
    [['policy', 'gcp'], /Usage: dbtoken policy gcp --project <id> --member <email>[\s\S]*roles\/cloudsql\.instanceUser[\s\S]*roles\/cloudsql\.client/],
  ])('dbtoken %j --help', async (words, usage) => {
    const r = await dbtoken([...words, '--help']);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(usage);
  });
});
