import { captureOutput, render } from '../helpers/canary.js';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIamPool } from 'dbtoken';
import { ociDbToken, ociScope } from 'dbtoken/oci';
import { startOciIdentityEmulator, type OciIdentityEmulator } from 'dbtoken/testing';
import { ensureBuilt, runNode } from '../helpers/dist.js';
import { rsaKeys, tempDir, writeProfile } from '../helpers/oci-files.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
const ALICE = 'ocid1.user.oc1..aaaaalice';
const alice = rsaKeys();
const stranger = rsaKeys();
let iam: OciIdentityEmulator;
let dead: Server;
let deadPort = 0;

beforeAll(async () => {
  ensureBuilt();
  iam = await startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }] });
  dead = createServer((s) => s.destroy());
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  deadPort = (dead.address() as { port: number }).port;
});
afterAll(async () => {
  await iam?.close();
  await new Promise<void>((r) => dead.close(() => r()));
});


it('canary: an oracledb pool life with OCI db-tokens leaks no token or private key into errors, events or logs', async () => {
  const out = captureOutput();
  const { seen, logger } = out;
  const secrets: string[] = [];
  const { configFile } = writeProfile(tempDir(), { keys: alice });
  const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile }, endpoint: iam.url }, { logger });
  token.on('token', (e) => seen.push(render(e)));
  token.on('error', (e) => seen.push(render(e)));
  const pool = await createIamPool({ driver: 'oracledb', token, connectString: `tcps://127.0.0.1:${deadPort}/svc`, poolMin: 0, connectTimeout: 2 });
  seen.push(render(await pool.getConnection().catch((e: unknown) => e))); // the driver's own connection error
  for (let i = 0; i < 3; i++) {
    const t = await token.getToken({ forceRefresh: true });
    secrets.push(t.token, ...(t.privateKey!.split('\n').slice(1, -2)));
    seen.push(render(t), `${t}`, JSON.stringify({ t }));
  }
  const { configFile: strangerConfig } = writeProfile(tempDir(), { keys: stranger });
  const refused = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: strangerConfig }, endpoint: iam.url }, { logger, retry: { attempts: 1 } });
  refused.on('error', (e) => seen.push(render(e)));
  seen.push(render(await refused.getToken().catch((e: unknown) => e)));
  seen.push(render(await createIamPool({ driver: 'oracledb', token: refused, connectString: `tcps://127.0.0.1:${deadPort}/svc` }).catch((e: unknown) => e)));
  await pool.close(0);
  token.close();
  refused.close();
  out.restore();

  const haystack = seen.join('\n');
  expect(haystack).toMatch(/NotAuthenticated|401/);
  expect(haystack).toMatch(/NJS-/);
  expect(secrets.length).toBeGreaterThan(20);
  for (const s of secrets) expect(haystack.includes(s)).toBe(false);
  expect(haystack).not.toMatch(/BEGIN PRIVATE KEY/);
});

it.each([
  ['after provider.close()', true],
  ['with the provider left open (the SDK worker and timers are unref\'d)', false],
])('a child fetching OCI db-tokens through the SDK worker exits by itself %s', async (_n, close) => {
  const { configFile } = writeProfile(tempDir(), { keys: alice });
  const r = await runNode(
    [
      // Flags an application may run with: neither may reach the SDK worker.
      '--expose-gc',
      '--max-old-space-size=256',
      '--input-type=module',
      '-e',
      `
      import { ociDbToken, ociScope } from 'dbtoken/oci';
      const env = JSON.parse(process.env.DBTOKEN_CHILD);
      const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: env.configFile }, endpoint: env.url }, { logger: { warn: (m) => console.error(m) } });
      token.on('error', (e) => console.error('error event', e.message));
      const t = await token.getToken();
      console.log(t.token.split('.').length);
      ${close ? 'token.close();' : ''}
      `,
    ],
    { env: { DBTOKEN_CHILD: JSON.stringify({ configFile, url: iam.url }) }, timeoutMs: 20_000 },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('3');
});
