import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import type oracledb from 'oracledb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InsecureTransportError, tokenProvider, type TokenProvider } from 'dbtoken';
import { createOracledbPool } from 'dbtoken/oracledb';
import { oracleNetReader } from '../../adapters/oracle-net/driver.js';
import { createOracledbPoolWith } from '../../adapters/oracledb.js';
import { descriptorArb, easyConnectArb, mutate, tnsnamesArb } from '../helpers/oracle-arbitraries.js';
import { HOSTILE, type HostileRow } from '../helpers/oracle-hostile.js';
import { fakeDbToken, startFirstBytesListener, type FirstBytes, type FirstBytesListener } from '../helpers/oracle-listener.js';
import { tempDir } from '../helpers/temp.js';

let listener: FirstBytesListener;
let provider: TokenProvider;

beforeAll(async () => {
  listener = await startFirstBytesListener();
  const token = fakeDbToken();
  provider = tokenProvider(async () => token);
});
afterAll(async () => {
  provider.close();
  await listener.close();
});

function configDirFor(files: HostileRow['files']): string | undefined {
  if (!files) return undefined;
  const dir = tempDir('dbtoken-tns-');
  for (const [name, text] of Object.entries(files(listener.port, dir))) writeFileSync(join(dir, name), text);
  return dir;
}

/** The pool as dbtoken's check lets it be made, or the error that refused it. */
async function pool(connectString: string, configDir: string | undefined, allowInsecureTransport = false): Promise<oracledb.Pool | Error> {
  return createOracledbPool({
    token: provider,
    connectString,
    ...(configDir !== undefined ? { configDir } : {}),
    allowInsecureTransport,
    poolMin: 0,
    poolMax: 1,
    poolIncrement: 1,
    connectTimeout: 3,
    transportConnectTimeout: 3,
  }).catch((e: unknown) => e as Error);
}

/** Asks the pool for a connection and returns what the listener saw meanwhile. */
async function drive(p: oracledb.Pool): Promise<FirstBytes[]> {
  await listener.settled();
  const before = listener.seen.length;
  try {
    const conn = await p.getConnection().catch(() => undefined);
    await conn?.close();
  } finally {
    await p.close(0).catch(() => {});
  }
  await listener.settled();
  return listener.seen.slice(before);
}

const refusedByCheck = (e: unknown) => e instanceof InsecureTransportError || e instanceof ConfigError;

describe('createOracledbPool: no connect string that passes the check makes the driver send anything but TLS', () => {
  it.each(HOSTILE.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const configDir = configDirFor(row.files);
    const made = await pool(row.connectString(listener.port), configDir);
    const seen = made instanceof Error ? undefined : await drive(made);
    if (row.verdict === 'refused') {
      // Refused before any connection; when it was not, what the driver sent says why that matters.
      expect({ refused: refusedByCheck(made), seen }).toEqual({ refused: true, seen: undefined });
    } else {
      expect(made).not.toBeInstanceOf(Error);
      expect(seen!.length).toBeGreaterThan(0);
      expect(seen!.every((k) => k === 'tls'), `the driver sent ${seen!.join(', ')}`).toBe(true);
    }
  });

  it.each(HOSTILE.filter((r) => r.leaks).map((r) => [r.name, r] as const))('given anyway, the driver sends cleartext: %s', async (_name, row) => {
    const made = await pool(row.connectString(listener.port), configDirFor(row.files), true);
    expect(made).not.toBeInstanceOf(Error);
    expect(await drive(made as oracledb.Pool)).toContain('tns-connect');
  });
});

describe.each(['oracledb7', 'oracledb26'])('%s, applying connect-string overrides, prints the descriptor back without its quotes', (name) => {
  const load = createRequire(import.meta.url);
  const driver = load(name) as typeof oracledb & { thickModeDSNPassthrough: boolean };
  // The connect-string readers of this same release, as an app that installed it gets.
  const readers = async () => oracleNetReader(load(`${name}/lib/thin/sqlnet/ezConnectResolver.js`), load(`${name}/lib/thin/sqlnet/nvStrToNvPair.js`));
  beforeAll(() => {
    driver.thickModeDSNPassthrough = false;
  });
  afterAll(() => {
    driver.thickModeDSNPassthrough = true;
  });
  // expireTime is one of the options the driver then writes into the descriptor.
  const make = (row: HostileRow, allowInsecureTransport: boolean) => {
    const configDir = configDirFor(row.files);
    return createOracledbPoolWith(driver, {
      token: provider,
      connectString: row.connectString(listener.port),
      ...(configDir !== undefined ? { configDir } : {}),
      allowInsecureTransport,
      expireTime: 2,
      poolMin: 0,
      poolMax: 1,
      poolIncrement: 1,
      connectTimeout: 3,
    }, readers).catch((e: unknown) => e as Error);
  };

  it.each(HOSTILE.filter((r) => r.reprintLeaks).map((r) => [r.name, r] as const))('%s: refused, though given anyway the driver sends cleartext', async (_n, row) => {
    const made = await make(row, false);
    expect(made).toBeInstanceOf(ConfigError);
    expect((made as ConfigError).problem).toMatch(/prints the descriptor back/);
    const anyway = await make(row, true);
    expect(anyway).not.toBeInstanceOf(Error);
    expect(await drive(anyway as oracledb.Pool)).toContain('tns-connect');
  });

  it('a ?tls_server_cert_dn value holding an ADDRESS: refused where this release pastes it into the descriptor (26), read as harmless where it drops it (7)', async () => {
    const cs = `tcps://127.0.0.1:${listener.port}/svc?tls_server_cert_dn="x))(ADDRESS=(PROTOCOL=tcp)(HOST=127.0.0.1)(PORT=${listener.port}))(Y=(Z=z"`;
    const row: HostileRow = { name: 'tls_server_cert_dn', connectString: () => cs, verdict: 'refused' };
    const made = await make(row, false);
    if (name === 'oracledb26') {
      expect(made).toBeInstanceOf(InsecureTransportError);
      const anyway = await make(row, true);
      expect(await drive(anyway as oracledb.Pool)).toContain('tns-connect');
    } else {
      expect(made).not.toBeInstanceOf(Error);
      const seen = await drive(made as oracledb.Pool);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((k) => k === 'tls')).toBe(true);
    }
  });

  it('a TCPS descriptor whose quoted values survive the reprint reaches the listener with TLS only', async () => {
    const cs = `(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SERVICE_NAME="svc"))(SECURITY=(SSL_SERVER_CERT_DN="CN=db, O=Example Corp, L=Redwood City")))`;
    const made = await make({ name: 'ok', connectString: () => cs, verdict: 'tls' }, false);
    expect(made).not.toBeInstanceOf(Error);
    const seen = await drive(made as oracledb.Pool);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((k) => k === 'tls')).toBe(true);
  });
});

describe('fast-check: generated connect strings that pass the check reach the listener with TLS only', () => {
  /** Refused with a typed error, or handed to the driver: then the listener must see TLS only. */
  async function check(connectString: string, configDir?: string): Promise<'refused' | 'reached' | 'not reached'> {
    const made = await pool(connectString, configDir);
    if (made instanceof Error) {
      expect(refusedByCheck(made), made.message).toBe(true);
      return 'refused';
    }
    const seen = await drive(made);
    expect(seen.filter((k) => k !== 'tls'), connectString).toEqual([]);
    return seen.length > 0 ? 'reached' : 'not reached';
  }

  it('descriptors and Easy Connect strings', async () => {
    let reached = 0;
    const p = listener.port;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: descriptorArb(p) }, { weight: 2, arbitrary: easyConnectArb(p) }, { weight: 1, arbitrary: mutate(descriptorArb(p)) }, { weight: 1, arbitrary: mutate(easyConnectArb(p)) }),
        async (cs) => {
          if ((await check(cs)) === 'reached') reached++;
        },
      ),
      { numRuns: 400 },
    );
    expect(reached).toBeGreaterThan(15);
  });

  it('tnsnames.ora aliases', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(tnsnamesArb(listener.port), fc.constantFrom('db', 'DB', 'other'), async (text, alias) => {
        if ((await check(alias, configDirFor(() => ({ 'tnsnames.ora': text })))) === 'reached') reached++;
      }),
      { numRuns: 200 },
    );
    expect(reached).toBeGreaterThanOrEqual(5);
  });
});
