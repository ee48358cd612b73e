import { runExample } from '../helpers/examples.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHeatwaveEmulator, type HeatwaveEmulator } from 'dbtoken/testing';
// @ts-expect-error plain JS helper
import { selfSignedCert } from '../../scripts/servers/tls.mjs';
import { REGION, staticKeys } from '../helpers/aws.js';
import { ensureBuilt } from '../helpers/dist.js';
import { startIamMariadb, type IamMariadb } from '../helpers/iam-mariadb.js';
import { rsaKeys, securityToken, tempDir, writeProfile, type Keys } from '../helpers/oci-files.js';

// examples/rds-mysql and examples/heatwave-security-token, run as written
// (`node examples/<name>/index.mjs`), each in a process of its own with only
// the environment its README names: against a MariaDB that checks every
// login's RDS token, and against the HeatWave emulator, which checks the
// signed nonce and the security token.

const ALICE = 'ocid1.user.oc1..aaaaalice';
const BOB = 'ocid1.user.oc1..aaaabob';
const GROUP = 'ocid1.group.oc1..aaaadevs';
const issuer = rsaKeys(); // OCI IAM's token signing key
const aliceSession = rsaKeys(); // the key pair `oci session authenticate` makes
const bobSession = rsaKeys();
const hour = () => Math.floor(Date.now() / 1000) + 3600;

let mariadb: IamMariadb;
let hw: HeatwaveEmulator;
let mysqlCaFile: string;
let hwCaFile: string;

beforeAll(async () => {
  ensureBuilt(); // the examples import dbtoken by name: the built package
  const tls = selfSignedCert();
  [mariadb, hw] = await Promise.all([
    startIamMariadb(),
    startHeatwaveEmulator({
      iamUsers: [{ ocid: ALICE }, { ocid: BOB, groups: [GROUP] }],
      tokenIssuerPublicKey: issuer.publicPem,
      // What the example's README has the administrator create.
      mysqlUsers: [
        { name: 'alice', iamUser: ALICE },
        { name: '', groupMapping: { [GROUP]: 'app_proxy' } },
      ],
      tls: { key: tls.key, cert: tls.cert },
    }),
  ]);
  const dir = tempDir('dbtoken-mysql-examples-');
  mysqlCaFile = join(dir, 'mysql-ca.pem');
  writeFileSync(mysqlCaFile, mariadb.ca);
  hwCaFile = join(dir, 'heatwave-ca.pem');
  writeFileSync(hwCaFile, tls.cert);
  await mariadb.admin('CREATE DATABASE orders');
}, 180_000);

afterEach(() => {
  if (mariadb) {
    mariadb.beforeVerify = undefined;
    mariadb.revoked.clear();
  }
});

afterAll(async () => {
  await Promise.all([mariadb?.stop(), hw?.close()]);
});

describe('examples/rds-mysql against the MariaDB that checks RDS tokens', () => {
  // The README's command line, with the caller's AWS identity in the environment.
  const env = (): Record<string, string> => ({
    AWS_ACCESS_KEY_ID: staticKeys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: staticKeys.secretAccessKey,
    AWS_REGION: REGION, // the endpoint 127.0.0.1 names no region
    DB_HOST: '127.0.0.1',
    DB_PORT: String(mariadb.port),
    DB_USER: 'iam_alice',
    DB_NAME: 'orders',
    DB_CA_FILE: mysqlCaFile,
  });

  it('logs in as the IAM user with a token the server checked, prints CURRENT_USER() and exits', async () => {
    const before = mariadb.verifier.binds.length;
    const run = await runExample('rds-mysql', env());
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim()).toBe("{ user: 'iam_alice@%' }");
    const logins = mariadb.verifier.binds.slice(before).map(({ user, ok }) => ({ user, ok }));
    expect(logins.length).toBeGreaterThan(0);
    expect(logins).toEqual(logins.map(() => ({ user: 'iam_alice', ok: true })));
  });

  it('a login the server refuses (the token revoked) is retried once with a fresh token, and the query succeeds', async () => {
    let first = true;
    mariadb.beforeVerify = async ({ password }) => {
      if (!first) return;
      first = false;
      mariadb.revoked.add(password);
      await new Promise((r) => setTimeout(r, 1_100)); // past the second: a token signed again differs
    };
    const before = mariadb.verifier.binds.length;
    const run = await runExample('rds-mysql', env());
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim()).toBe("{ user: 'iam_alice@%' }");
    expect(mariadb.verifier.binds.slice(before).map(({ user, ok, reason }) => ({ user, ok, reason }))).toEqual([
      { user: 'iam_alice', ok: false, reason: 'revoked' },
      { user: 'iam_alice', ok: true, reason: undefined },
    ]);
  });
});

/** What a failing example printed names no security token (a JWT) and no private key. */
function expectNoSecret(run: { stdout: string; stderr: string }): void {
  const printed = run.stdout + run.stderr;
  expect(/eyJ[\w-]+\.[\w-]+\./.test(printed), 'a JWT in the output').toBe(false);
  expect(printed.includes('PRIVATE KEY'), 'a private key in the output').toBe(false);
}

describe('examples/heatwave-security-token against the HeatWave emulator', () => {
  /** A HOME whose ~/.oci/config has the [heatwave] profile `oci session authenticate` writes: its key pair and security token. */
  function sessionHome(keys: Keys, claims: { sub: string; exp: number }, keyPem?: string): string {
    const home = tempDir('dbtoken-home-');
    const oci = join(home, '.oci');
    mkdirSync(oci, { mode: 0o700 });
    const token = securityToken(issuer.privateKey, { ...claims, jwk: keys.publicKey.export({ format: 'jwk' }) });
    writeProfile(oci, { profile: 'heatwave', keys, token, user: claims.sub, ...(keyPem === undefined ? {} : { keyPem }) });
    return home;
  }

  const env = (user: string): Record<string, string> => ({
    MYSQL_HOST: hw.host,
    MYSQL_PORT: String(hw.port),
    MYSQL_USER: user,
    MYSQL_CA_FILE: hwCaFile,
  });

  it('an IAM user mapped to an account: USER() and CURRENT_USER() are that account, over TLS, with the security token', async () => {
    const before = hw.logins.length;
    const run = await runExample('heatwave-security-token', env('alice'), sessionHome(aliceSession, { sub: ALICE, exp: hour() }));
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim()).toBe("{ user: 'alice@127.0.0.1', current_user: 'alice@%' }");
    const logins = hw.logins.slice(before);
    expect(logins.length).toBeGreaterThan(0);
    for (const l of logins) expect(l).toMatchObject({ ok: true, method: 'security-token', principal: ALICE, tls: true });
  });

  it('a group mapped through a proxy user: CURRENT_USER() is the proxy', async () => {
    const before = hw.logins.length;
    const run = await runExample('heatwave-security-token', env('bob'), sessionHome(bobSession, { sub: BOB, exp: hour() }));
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout.trim()).toBe("{ user: 'bob@127.0.0.1', current_user: 'app_proxy@%' }");
    const logins = hw.logins.slice(before);
    expect(logins.length).toBeGreaterThan(0);
    for (const l of logins) expect(l).toMatchObject({ ok: true, method: 'security-token', principal: BOB });
  });

  it('a profile whose key is not the one the token was issued for is refused (1045), after exactly one retry, and the example exits', async () => {
    const before = hw.logins.length;
    const home = sessionHome(aliceSession, { sub: ALICE, exp: hour() }, bobSession.privatePem);
    const run = await runExample('heatwave-security-token', env('alice'), home);
    expect(run.code).not.toBe('timeout');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Access denied|1045/);
    expectNoSecret(run);
    expect(hw.logins.slice(before).map((l) => l.ok)).toEqual([false, false]);
  });

  it('an expired session token (no `oci session refresh`) fails before any login, with the provider\'s error', async () => {
    const before = hw.logins.length;
    const home = sessionHome(aliceSession, { sub: ALICE, exp: Math.floor(Date.now() / 1000) - 60 });
    const run = await runExample('heatwave-security-token', env('alice'), home);
    expect(run.code).not.toBe('timeout');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/ERR_DBTOKEN_UNAVAILABLE|expired/);
    expectNoSecret(run);
    expect(hw.logins.length).toBe(before);
  });
});
