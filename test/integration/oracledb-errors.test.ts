// A token provider's error through the oracledb adapter, with each driver generation. node-oracledb
// replaces whatever the accessToken callback throws with NJS-168 and copies only the stack; the adapter
// gives the caller the provider's own error, whose cause reaches the IAM failure.
import { inspect } from 'node:util';

import { createServer } from 'node:net';
import type oracledbTypes from 'oracledb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIamPool, isDbTokenError, TokenUnavailableError, type TokenProvider } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { startOciIdentityEmulator, startOracleDbEmulator, type OciIdentityEmulator, type OracleDbEmulator } from 'dbtoken/testing';
import { createOracledbPoolWith, type OracledbDriver } from '../../adapters/oracledb.js';
import { rsaKeys, tempDir, writeProfile } from '../helpers/oci-files.js';
import { rsaKeyPairSync } from '../../src/testing/key-pairs.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaaerrtenancy000000000000000000000000000000000000000000000000';
const COMPARTMENT = 'ocid1.compartment.oc1..aaaaerrcomp00000000000000000000000000000000000000000000000000';
const DATABASE = 'ocid1.autonomousdatabase.oc1.iad.aaaaerrdb0000000000000000000000000000000000000000000000000';
const ALICE = 'ocid1.user.oc1..aaaaerralice000000000000000000000000000000000000000000000000000';
const REGION = 'us-ashburn-1';
const keys = rsaKeys();
const { privateKey: signingKey } = rsaKeyPairSync(2048);
const tenancies = [{ ocid: TENANCY, users: [{ ocid: ALICE, name: 'alice', groups: ['db_users'], apiKeys: [{ fingerprint: keys.fingerprint, publicKey: keys.publicPem }] }] }];
const { configFile } = writeProfile(tempDir(), { keys, user: ALICE, tenancy: TENANCY, region: REGION });

let iam: OciIdentityEmulator;
let db: OracleDbEmulator;
/** An IAM endpoint where nothing listens: connections are refused. */
let downEndpoint: string;

beforeAll(async () => {
  iam = await startOciIdentityEmulator({ tenancies, signingKey });
  db = await startOracleDbEmulator({ identity: iam, database: { ocid: DATABASE, compartment: COMPARTMENT, tenancy: TENANCY, service: 'g1e_err_high.adb.oraclecloud.com', region: REGION } });
  await db.admin(`CREATE USER app_users IDENTIFIED GLOBALLY AS 'IAM_GROUP_NAME=db_users'; GRANT CREATE SESSION TO app_users;`);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((r) => closed.close(() => r()));
  downEndpoint = `http://127.0.0.1:${port}/${REGION}`;
}, 120_000);

const providers: TokenProvider[] = [];
const pools: oracledbTypes.Pool[] = [];
const emulators: OciIdentityEmulator[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const p of pools.splice(0)) await p.close(0).catch(() => {});
  for (const p of providers.splice(0)) p.close();
  for (const e of emulators.splice(0)) await e.close().catch(() => {});
});
afterAll(async () => {
  await db?.close();
  await iam?.close();
});

function provider(endpoint: string): TokenProvider {
  const p = ociDbToken({ scope: ociScope.database(COMPARTMENT, DATABASE), auth: { type: 'api_key', configFile }, endpoint }, { retry: { attempts: 1 } });
  providers.push(p);
  return p;
}

/** The names down an error's `cause` chain: the IAM request that failed is one of them. */
function causes(err: unknown): string[] {
  const names: string[] = [];
  for (let e = (err as { cause?: unknown }).cause as { name?: unknown; cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    names.push(String(e.name));
  }
  return names;
}

/** No token or key in what a log line would print of `err`. */
function expectNoSecret(err: unknown, secrets: string[]): void {
  const printed = `${inspect(err, { depth: 8 })}\n${JSON.stringify(err)}`;
  expect(printed).not.toMatch(/BEGIN PRIVATE KEY/);
  for (const s of secrets) expect(printed).not.toContain(s);
}

describe.each([
  ['oracledb', '6.10.0'],
  ['oracledb7', '7.0.1'],
  ['oracledb26', '26.0.0'],
])('node-oracledb %s (%s): the provider\'s error, not NJS-168', (name, version) => {
  let driver: typeof oracledbTypes;
  beforeAll(async () => {
    driver = ((await import(name)) as { default: typeof oracledbTypes }).default;
    expect(driver.versionString).toBe(version);
  });

  /** The driver, recording each time the pool calls the adapter's accessToken callback. */
  function recording(): { driver: OracledbDriver; refreshes: boolean[] } {
    const refreshes: boolean[] = [];
    const createPool = ((attrs: oracledbTypes.PoolAttributes) => {
      const callback = attrs.accessToken as (refresh: boolean) => Promise<unknown>;
      return driver.createPool({ ...attrs, accessToken: (refresh: boolean) => (refreshes.push(refresh), callback(refresh)) } as oracledbTypes.PoolAttributes);
    }) as OracledbDriver['createPool'];
    return { driver: { createPool }, refreshes };
  }

  it('creating a pool with IAM down: the DbTokenError, the failed IAM request down its causes', async () => {
    const err = await createOracledbPoolWith(driver, { token: provider(downEndpoint), connectString: db.connectString, walletContent: db.wallet }).catch((e: unknown) => e);
    expect(isDbTokenError(err)).toBe(true);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).message).not.toMatch(/NJS-168/);
    expect(causes(err)).toContain('OciRequestError');
    expectNoSecret(err, [keys.privatePem]);
  });

  it('the pool token expired and IAM went down: an idle connection is served; a login rejects with the DbTokenError, through the driver\'s callback', async () => {
    // An IAM of its own, that goes down after the first token; its tokens are signed as the database trusts.
    const own = await startOciIdentityEmulator({ tenancies, signingKey });
    emulators.push(own);
    const token = provider(own.endpointFor(REGION));
    const { driver: recorded, refreshes } = recording();
    const pool = await createOracledbPoolWith(recorded, { token, connectString: db.connectString, walletContent: db.wallet, poolMin: 0, poolMax: 2, poolIncrement: 1 });
    pools.push(pool);
    const first = await token.getToken();
    const idle = await pool.getConnection();
    await idle.close(); // back to the pool, logged in
    await own.close();
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    vi.setSystemTime(first.expiresAt.getTime() + 60_000);

    const [served, login] = await Promise.allSettled([pool.getConnection(), pool.getConnection()]);
    expect(served.status).toBe('fulfilled');
    const conn = (served as PromiseFulfilledResult<oracledbTypes.Connection>).value;
    expect((await conn.execute('select user from dual')).rows).toEqual([['APP_USERS']]);
    await conn.close();
    expect(login.status).toBe('rejected');
    const err = (login as PromiseRejectedResult).reason as Error;
    expect(isDbTokenError(err)).toBe(true);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(causes(err)).toContain('OciRequestError');
    expectNoSecret(err, [first.token, first.privateKey!, keys.privatePem]);
    // The login asked the callback (refresh true): the driver's NJS-168 was replaced by the provider's error.
    expect(refreshes).toEqual([false, true]);
  });
});

describe('createIamPool({ driver: "oracledb" })', () => {
  it('with IAM down rejects with the DbTokenError, its cause the failed IAM request', async () => {
    const err = await createIamPool({ driver: 'oracledb', token: provider(downEndpoint), connectString: db.connectString, walletContent: db.wallet }).catch((e: unknown) => e);
    expect(isDbTokenError(err)).toBe(true);
    expect(causes(err)).toContain('OciRequestError');
  });
});
