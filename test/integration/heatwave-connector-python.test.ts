import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeatwaveEmulator, type HeatwaveEmulator } from 'dbtoken/testing';
import { rsaKeys, securityToken, tempDir, writeProfile } from '../helpers/oci-files.js';

// MySQL Connector/Python, a client dbtoken does not ship, logs in to the emulator with its own
// authentication_oci_client plugin: the emulator must agree with it as a HeatWave server does.

const fixtures = fileURLToPath(new URL('../fixtures/heatwave/', import.meta.url));

/** What python3 offers: why the test cannot run, else whether the C extension and the `oci` package are there. */
function probePython(): { skip: string | undefined; version: string; cext: boolean; oci: boolean } {
  const probe = spawnSync('python3', ['-c', 'import mysql.connector; print(mysql.connector.__version__); print(mysql.connector.HAVE_CEXT)'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`);
    return { skip: `python3 cannot import mysql.connector (${why}); install mysql-connector-python to run it`, version: '', cext: false, oci: false };
  }
  const [version = '', cext = ''] = probe.stdout.trim().split('\n');
  const oci = spawnSync('python3', ['-c', 'import oci'], { encoding: 'utf8' }).status === 0;
  return { skip: undefined, version, cext: cext === 'True', oci };
}

const python = probePython();
if (python.skip) console.info(`MySQL Connector/Python test skipped: ${python.skip}`);

const ALICE = 'ocid1.user.oc1..aaaaalice';
const CAROL = 'ocid1.user.oc1..aaaacarol';
const issuer = rsaKeys();
const aliceKey = rsaKeys();
const sessionKey = rsaKeys();
const strangerKey = rsaKeys();

interface Outcome {
  ok: boolean;
  pure?: boolean;
  rows?: unknown[][][];
  autocommit?: boolean;
  tls?: boolean;
  stage?: string;
  errno?: number;
  sqlstate?: string;
  msg?: string;
}

let hw: HeatwaveEmulator;
let caFile: string;

beforeAll(async () => {
  if (python.skip) return;
  hw = await startHeatwaveEmulator({
    iamUsers: [{ ocid: ALICE, apiKeys: [{ fingerprint: aliceKey.fingerprint, publicKey: aliceKey.publicPem }] }, { ocid: CAROL }],
    tokenIssuerPublicKey: issuer.publicPem,
    mysqlUsers: [
      { name: 'iam_alice', iamUser: ALICE },
      { name: 'iam_carol', iamUser: CAROL },
    ],
  });
  caFile = join(tempDir(), 'ca.pem');
  writeFileSync(caFile, hw.ca!);
});

afterAll(async () => {
  await hw?.close();
});

/**
 * A HOME whose ~/.oci/config holds the profile. Connector/Python reads ~/.oci/config (DEFAULT) for the
 * handshake response it sends before the server's auth switch, whatever oci_config_file says, so the
 * profile goes there, and oci_config_file names the same file.
 */
function home(profile: Omit<Parameters<typeof writeProfile>[1], 'profile'>): { home: string; configFile: string } {
  const dir = tempDir('dbtoken-pyhome-');
  mkdirSync(join(dir, '.oci'));
  const { configFile } = writeProfile(join(dir, '.oci'), profile);
  return { home: dir, configFile };
}

/** Runs test/fixtures/heatwave/connect.py: mysql.connector.connect(auth_plugin='authentication_oci_client', ...). */
async function connectorPython(
  user: string,
  files: { home: string; configFile: string },
  options: { usePure?: boolean; ssl?: 'verify' | false; logins?: number; queries?: string[] } = {},
): Promise<Outcome> {
  const args = {
    host: hw.host,
    port: hw.port,
    user,
    configFile: files.configFile,
    usePure: options.usePure ?? true,
    ...(options.ssl === 'verify' ? { ssl: { ca: caFile } } : options.ssl === false ? { ssl: false } : {}),
    logins: options.logins ?? 1,
    queries: options.queries ?? [],
  };
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: files.home,
    PYTHONWARNINGS: 'ignore',
    PYTHONDONTWRITEBYTECODE: '1',
    // The plugin imports the OCI SDK only for oci.config.from_file; a small stand-in serves where it is missing.
    ...(python.oci ? {} : { PYTHONPATH: join(fixtures, 'oci-shim') }),
  };
  const { stdout } = await promisify(execFile)('python3', [join(fixtures, 'connect.py'), JSON.stringify(args)], { env, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

describe.skipIf(python.skip !== undefined)(
  `MySQL Connector/Python ${python.version || '(not installed)'} connect(auth_plugin='authentication_oci_client') against the emulator${python.skip ? ` (skipped: ${python.skip})` : ''}`,
  () => {
    it('pure Python, API-key profile, TLS verified against the emulator CA: logs in, passes its SET NAMES and SET autocommit, and queries', async () => {
      const before = hw.logins.length;
      const out = await connectorPython('iam_alice', home({ keys: aliceKey, user: ALICE }), {
        ssl: 'verify',
        queries: ['SELECT CURRENT_USER()', 'SELECT 1', 'SELECT USER(), @@session.autocommit'],
      });
      expect(out).toMatchObject({ ok: true, pure: true, tls: true, autocommit: false });
      expect(out.rows).toEqual([[['iam_alice@%']], [[1]], [['iam_alice@127.0.0.1', 0]]]);
      expect(hw.logins.slice(before)).toMatchObject([{ user: 'iam_alice', ok: true, method: 'api-key', principal: ALICE, tls: true }]);
    });

    it('turns autocommit on with SET and reads it back with SELECT @@session.autocommit', async () => {
      const out = await connectorPython('iam_alice', home({ keys: aliceKey, user: ALICE }), { queries: ['SET autocommit = 1', "SET time_zone = '+00:00'", 'SELECT @@time_zone'] });
      expect(out).toMatchObject({ ok: true, autocommit: true, rows: [null, null, [['+00:00']]] });
    });

    it('a security-token profile whose token file ends in a newline logs in (Connector/Python sends the file as it is)', async () => {
      const token = securityToken(issuer.privateKey, { sub: CAROL, exp: Math.floor(Date.now() / 1000) + 3600, jwk: sessionKey.publicKey.export({ format: 'jwk' }) });
      const before = hw.logins.length;
      const out = await connectorPython('iam_carol', home({ keys: sessionKey, user: CAROL, token: `${token}\n` }), { ssl: false, queries: ['SELECT CURRENT_USER()'] });
      expect(out).toMatchObject({ ok: true, tls: false, rows: [[['iam_carol@%']]] });
      const login = hw.logins.slice(before);
      expect(login).toMatchObject([{ ok: true, method: 'security-token', principal: CAROL, tls: false }]);
      // Compared without printing it on a mismatch: the token as the connector sent it, newline and all.
      const sent = JSON.parse(login[0]!.reply.toString()).token as string;
      expect(sent === `${token}\n`, 'the connector sent the token file as written, trailing newline included').toBe(true);
    });

    it('logs in every time over many connections: no default nonce ends in a NUL for it to strip', async () => {
      const before = hw.logins.length;
      const out = await connectorPython('iam_alice', home({ keys: aliceKey, user: ALICE }), { ssl: false, logins: 16, queries: ['SELECT 1'] });
      expect(out).toMatchObject({ ok: true, rows: [[[1]]] });
      const logins = hw.logins.slice(before);
      expect(logins.map((l) => l.ok)).toEqual(Array(16).fill(true));
      for (const l of logins) expect(l.nonce.includes(0)).toBe(false);
    });

    it('a key that is not the registered one is refused with 1045 (28000)', async () => {
      const out = await connectorPython('iam_alice', home({ keys: strangerKey, fingerprint: aliceKey.fingerprint, user: ALICE }));
      expect(out).toMatchObject({ ok: false, stage: 'connect', errno: 1045, sqlstate: '28000' });
      expect(hw.logins.at(-1)).toMatchObject({ ok: false, reason: 'signature does not verify' });
    });

    it.skipIf(python.skip !== undefined || !python.cext)(
      `the C extension${!python.skip && !python.cext ? ' (skipped: this mysql-connector-python has no C extension)' : ''}: logs in and queries`,
      async () => {
        const out = await connectorPython('iam_alice', home({ keys: aliceKey, user: ALICE }), {
          usePure: false,
          ssl: 'verify',
          queries: ['SELECT CURRENT_USER()', 'SELECT 1'],
        });
        expect(out).toMatchObject({ ok: true, pure: false, autocommit: false, rows: [[['iam_alice@%']], [[1]]] });
        expect(hw.logins.at(-1)).toMatchObject({ ok: true, method: 'api-key', tls: true });
      },
    );
  },
);
