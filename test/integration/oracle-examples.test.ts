import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ociScope } from 'dbtoken/oci';
import { issueSecurityToken, startOciIdentityEmulator, type OciIdentityEmulator, type OracleDbEmulator } from 'dbtoken/testing';
import { buildCli } from '../helpers/cli.js';
import { root, runNode } from '../helpers/dist.js';
import { rsaKeys, tempDir } from '../helpers/oci-files.js';
import { ALICE, COMP_A, COMP_B, DB_A, DB_B, startTwoDatabases, TENANCY_A, TENANCY_B } from '../helpers/oracle-tenancies.js';

// examples/oci-function-adb and examples/cross-tenancy-adb, run as written against the emulators,
// each in its own process with only its environment set (as OCI and the README set it).

const FUNCTION = 'ocid1.fnfunc.oc1.iad.aaaafunction00000000000000000000000000000000000000000000000000';
const FN_GROUP = 'fn-adb-readers';

const issuer = rsaKeys();
const aliceKey = rsaKeys();
const functionKey = rsaKeys();

let iam: OciIdentityEmulator;
let ashburn: OracleDbEmulator; // tenancy A's database, where the function runs
let frankfurt: OracleDbEmulator; // tenancy B's, in another region
let caFile: string;
let dbs: Awaited<ReturnType<typeof startTwoDatabases>> | undefined;

/** The ```sql blocks of an example's README with its `<...>` placeholders filled in: what the ADMIN runs. */
function readmeSql(example: string, values: Record<string, string>): string[] {
  const readme = readFileSync(join(root, 'examples', example, 'README.md'), 'utf8');
  return [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map(([, block]) => {
    const filled = block!.replace(/<[^<>\n]+>/g, (p) => {
      if (values[p] === undefined) throw new Error(`no value for ${p} in ${example}/README.md`);
      return values[p]!;
    });
    // DBMS_CLOUD_ADMIN.ENABLE_EXTERNAL_AUTHENTICATION: the emulator has IAM logins on from the start.
    return filled.replace(/^\s*BEGIN DBMS_CLOUD_ADMIN\.ENABLE_EXTERNAL_AUTHENTICATION[^\n]*END;\n\s*\/\n/m, '');
  });
}

/** The variables of a process OCI or a shell would start: nothing of this one's. */
function only(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tempDir('dbtoken-home-'), NODE_EXTRA_CA_CERTS: caFile, ...env };
}

beforeAll(async () => {
  iam = await startOciIdentityEmulator({
    tenancies: [
      {
        ocid: TENANCY_A,
        users: [{ ocid: ALICE, name: 'alice@example.com', groups: ['DbReaders'], apiKeys: [{ fingerprint: aliceKey.fingerprint, publicKey: aliceKey.publicPem }] }],
        dynamicGroups: [{ name: FN_GROUP, members: [FUNCTION] }],
      },
      { ocid: TENANCY_B },
    ],
    tokenIssuer: { publicKey: issuer.publicPem },
    regions: ['us-ashburn-1', 'eu-frankfurt-1'],
  });
  // The examples import dbtoken by name: the built package.
  // The CLI first: a build that fails then leaves no database running.
  await buildCli();
  dbs = await startTwoDatabases(iam, { a: 'g1a_fnadb_low.adb.oraclecloud.com', b: 'g1b_partner_high.adb.oraclecloud.com' });
  ({ ashburn, frankfurt, caFile } = dbs);
}, 120_000);

afterAll(async () => {
  await dbs?.close();
  await iam?.close();
});

describe('examples/oci-function-adb: an OCI Function with its resource principal', () => {
  let fn: ChildProcess | undefined;
  let socket: string;
  let stderr = '';

  beforeAll(async () => {
    const [sql] = readmeSql('oci-function-adb', { '<fn-dynamic-group>': FN_GROUP });
    await ashburn.admin(sql!);

    // What the Functions runtime gives the container: the resource principal session token and its key as files.
    const dir = tempDir('dbtoken-fn-');
    const rpst = issueSecurityToken({
      issuerKey: issuer.privateKey,
      sub: FUNCTION,
      exp: Math.floor(Date.now() / 1000) + 3600,
      publicKey: functionKey.publicKey,
      claims: { ptype: 'resource', res_type: 'fnfunc', res_tenant: TENANCY_A, res_compartment: COMP_A },
    });
    writeFileSync(join(dir, 'rpst'), rpst);
    writeFileSync(join(dir, 'rp.pem'), functionKey.privatePem, { mode: 0o600 });
    mkdirSync(join(dir, 'iofs'));
    // The function's node_modules, as its package.json lists them: dbtoken (this package) and the fdk stand-in.
    mkdirSync(join(dir, 'modules'));
    symlinkSync(root, join(dir, 'modules', 'dbtoken'));
    socket = join(dir, 'iofs', 'lsnr.sock');
    fn = spawn(process.execPath, [join(root, 'examples/oci-function-adb/func.js')], {
      cwd: join(root, 'examples/oci-function-adb'),
      env: only({
        FN_FORMAT: 'http-stream',
        FN_LISTENER: `unix:${socket}`,
        NODE_PATH: [join(dir, 'modules'), join(root, 'test/fixtures/fn-runtime')].join(':'),
        OCI_RESOURCE_PRINCIPAL_VERSION: '2.2',
        OCI_RESOURCE_PRINCIPAL_RPST: join(dir, 'rpst'),
        OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: join(dir, 'rp.pem'),
        OCI_RESOURCE_PRINCIPAL_REGION: 'us-ashburn-1',
        // The function's configuration.
        ADB_COMPARTMENT_OCID: COMP_A,
        ADB_OCID: DB_A,
        ADB_CONNECT_STRING: ashburn.connectString,
        OCI_IDENTITY_ENDPOINT: iam.endpointFor('us-ashburn-1'),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    fn.stderr!.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 20_000;
    while (!existsSync(socket)) {
      if (fn.exitCode !== null || Date.now() > deadline) throw new Error(`func.js did not start listening: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(() => {
    fn?.kill();
  });

  /** One invocation, as the Functions agent makes it. */
  const invoke = (): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'POST', path: '/call', headers: { 'content-type': 'application/json', 'fn-call-id': 'call-1' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('{}');
    });

  it('logs in as the dynamic group\'s user with TOKEN_GLOBAL, and later invocations reuse the token and the connection', async () => {
    const iamBefore = iam.requests.length;
    const first = await invoke();
    expect(first, stderr).toMatchObject({ status: 200 });
    expect(JSON.parse(first.body)).toEqual({ METHOD: 'TOKEN_GLOBAL', WHO: FUNCTION });
    expect(ashburn.logins.at(-1)).toMatchObject({ ok: true, user: 'FN_APP', principal: FUNCTION, mapping: `IAM_GROUP_NAME=${FN_GROUP}`, scope: ociScope.database(COMP_A, DB_A) });
    expect(iam.requests.slice(iamBefore)).toMatchObject([{ ok: true, keyIdKind: 'security_token', principal: FUNCTION, region: 'us-ashburn-1' }]);

    const logins = ashburn.logins.length;
    for (let i = 0; i < 3; i++) expect(JSON.parse((await invoke()).body)).toEqual({ METHOD: 'TOKEN_GLOBAL', WHO: FUNCTION });
    expect(iam.requests.length - iamBefore).toBe(1);
    expect(ashburn.logins.length).toBe(logins); // the pooled connection, not a new login
    expect(stderr).toBe('');
  });
});

describe('examples/cross-tenancy-adb: a user of tenancy A, a database of tenancy B in another region', () => {
  /** Runs index.mjs with alice's ~/.oci/config (tenancy A, home region Ashburn), as the README says. */
  const run = () => {
    const home = tempDir('dbtoken-home-');
    mkdirSync(join(home, '.oci'));
    writeFileSync(join(home, '.oci', 'alice.pem'), aliceKey.privatePem, { mode: 0o600 });
    writeFileSync(
      join(home, '.oci', 'config'),
      `[DEFAULT]\nuser=${ALICE}\nfingerprint=${aliceKey.fingerprint}\nkey_file=~/.oci/alice.pem\ntenancy=${TENANCY_A}\nregion=us-ashburn-1\n`,
    );
    return runNode([join(root, 'examples/cross-tenancy-adb/index.mjs')], {
      cwd: join(root, 'examples/cross-tenancy-adb'),
      env: {
        ...only({ HOME: home, B_COMPARTMENT_OCID: COMP_B, B_ADB_OCID: DB_B, B_ADB_CONNECT_STRING: frankfurt.connectString, OCI_IDENTITY_ENDPOINT: `${iam.url}/{region}` }),
      },
      timeoutMs: 30_000,
    });
  };
  const values = { '<tenancy A OCID>': TENANCY_A };

  it('the shared mapping of A\'s group: B_APP, through a token from Frankfurt scoped to B\'s database', async () => {
    const [shared] = readmeSql('cross-tenancy-adb', values);
    await frankfurt.admin(shared!);
    const r = await run();
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe("[ 'TOKEN_GLOBAL', 'alice@example.com', 'B_APP' ]\n");
    expect(iam.requests.at(-1)).toMatchObject({ ok: true, region: 'eu-frankfurt-1', tenancy: TENANCY_A, principal: ALICE, scope: ociScope.database(COMP_B, DB_B) });
    expect(frankfurt.logins.at(-1)).toMatchObject({ ok: true, user: 'B_APP', tenancy: TENANCY_A, region: 'eu-frankfurt-1', mapping: `IAM_GROUP_NAME=${TENANCY_A}:DbReaders` });
  });

  it('the exclusive mapping of one of A\'s users wins over the shared one', async () => {
    const [, exclusive] = readmeSql('cross-tenancy-adb', values);
    await frankfurt.admin(exclusive!);
    const r = await run();
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe("[ 'TOKEN_GLOBAL', 'alice@example.com', 'ALICE' ]\n");
    expect(frankfurt.logins.at(-1)).toMatchObject({ ok: true, user: 'ALICE', mapping: `IAM_PRINCIPAL_NAME=${TENANCY_A}:alice@example.com` });
  });
});
