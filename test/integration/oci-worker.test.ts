import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOciIdentityEmulator, type OciIdentityEmulator } from 'dbtoken/testing';
import { ensureBuilt, root, runNode } from '../helpers/dist.js';
import { rsaKeys, writeProfile } from '../helpers/oci-files.js';
import { tempDir } from '../helpers/temp.js';

const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
const ALICE = 'ocid1.user.oc1..aaaaalice';
const alice = rsaKeys();
let iam: OciIdentityEmulator;
/** An IAM endpoint that accepts connections and never answers. */
let silent: Server;
let silentPort = 0;
const silentSockets = new Set<Socket>();

const dir = (): string => tempDir('dbtoken-oci-worker-');

beforeAll(async () => {
  ensureBuilt();
  iam = await startOciIdentityEmulator({ tenancies: [{ ocid: TENANCY, users: [{ ocid: ALICE, apiKeys: [{ fingerprint: alice.fingerprint, publicKey: alice.publicPem }] }] }] });
  silent = createServer((s) => {
    // Read what the client sends: with its request left unread in the buffer, a socket never emits 'end' or 'close' after the client's FIN.
    s.resume();
    silentSockets.add(s);
    s.on('close', () => silentSockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  await iam?.close();
  for (const s of silentSockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

const esmOci = join(root, 'dist/esm/src/oci.js');
const cjsOci = join(root, 'dist/cjs/src/oci.js');

describe('an IAM endpoint that never answers', () => {
  it.each([
    ['the caller gives up (its signal)', 'abort'],
    ['the provider is closed', 'close'],
    ['fetchTimeout passes', 'deadline'],
    // Not timed from the child's start: loading the OCI SDK in the worker, at a lower priority, took 3 to 7.5 s on a loaded machine.
  ])('when %s, the worker abandons its IAM request at once, while the process still runs', { timeout: 120_000 }, async (_name, mode) => {
    const { configFile } = writeProfile(dir(), { keys: alice });
    // The parent tells the child when its request is on the wire ("go"), and when the server saw the connection closed ("done").
    let child: Socket | undefined;
    let sawClose = false;
    const control = createServer((s) => (child = s));
    await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
    // "go" once the request's first bytes have arrived: the request is on the wire, not only the connection.
    const onConnection = (s: Socket): void => {
      s.once('data', () => child?.write('go\n'));
      s.once('close', () => {
        sawClose = true;
        child?.write('done\n');
      });
    };
    silent.on('connection', onConnection);
    try {
      const r = await runNode(
        [
          '--input-type=module',
          '-e',
          `
          import { connect } from 'node:net';
          const { ociDbToken, ociScope } = await import(${JSON.stringify(esmOci)});
          const env = JSON.parse(process.env.DBTOKEN_CHILD);
          const ac = new AbortController();
          const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: env.configFile }, endpoint: env.url }, { fetchTimeout: env.mode === 'deadline' ? 3000 : 0 });
          const ctl = connect(env.ctl, '127.0.0.1');
          token.getToken({ signal: ac.signal }).then(() => console.log('resolved'), (e) => console.log('rejected', e.code ?? e.name));
          ctl.on('data', (d) => {
            if (String(d).includes('go')) {
              if (env.mode === 'abort') ac.abort(new Error('gave up'));
              if (env.mode === 'close') token.close();
              // The worker's own bound on an IAM call is 60 s (or fetchTimeout): closed well before it, the request was abandoned.
              setTimeout(() => { console.log('still open'); process.exit(1); }, 30_000).unref();
            }
            if (String(d).includes('done')) { console.log('closed by the client'); process.exit(0); }
          });
          `,
        ],
        { env: { DBTOKEN_CHILD: JSON.stringify({ configFile, url: `http://127.0.0.1:${silentPort}`, ctl: (control.address() as { port: number }).port, mode }) }, timeoutMs: 100_000 },
      );
      expect(r.stdout).toMatch(/^rejected .*\nclosed by the client/);
      expect(r.code).toBe(0);
      expect(sawClose).toBe(true);
    } finally {
      silent.off('connection', onConnection);
      child?.destroy();
      await new Promise<void>((r) => control.close(() => r()));
    }
  });

  it.each([
    ['the caller gives up with AbortSignal.timeout(1000)', `await token.getToken({ signal: AbortSignal.timeout(1000) }).catch((e) => console.log('rejected', e.name));`],
    ['fetchTimeout passes', `await token.getToken().catch((e) => console.log('rejected', e.code, e.cause?.code));`],
    ['the provider is closed', `const p = token.getToken().catch((e) => console.log('rejected', e.code)); setTimeout(() => token.close(), 1000); await p;`],
  ])('when %s, nothing keeps the process alive', async (_name, body) => {
    const { configFile } = writeProfile(dir(), { keys: alice });
    const r = await runNode(
      [
        '--input-type=module',
        '-e',
        `
        const { ociDbToken, ociScope } = await import(${JSON.stringify(esmOci)});
        const env = JSON.parse(process.env.DBTOKEN_CHILD);
        const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: env.configFile }, endpoint: env.url }, { fetchTimeout: 1500 });
        ${body}
        `,
      ],
      { env: { DBTOKEN_CHILD: JSON.stringify({ configFile, url: `http://127.0.0.1:${silentPort}` }) }, timeoutMs: 20_000 },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rejected /);
    expect(r.stderr).toBe('');
  });

  it('the fetch deadline gives a TokenUnavailableError whose cause names the timeout', async () => {
    const { configFile } = writeProfile(dir(), { keys: alice });
    const r = await runNode(
      [
        '--input-type=module',
        '-e',
        `
        const { ociDbToken, ociScope } = await import(${JSON.stringify(esmOci)});
        const env = JSON.parse(process.env.DBTOKEN_CHILD);
        const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: env.configFile }, endpoint: env.url }, { fetchTimeout: 1000, retry: { attempts: 1 } });
        const err = await token.getToken().catch((e) => e);
        console.log(JSON.stringify({ code: err.code, cause: err.cause?.code, timeoutMs: err.cause?.timeoutMs }));
        `,
      ],
      { env: { DBTOKEN_CHILD: JSON.stringify({ configFile, url: `http://127.0.0.1:${silentPort}` }) }, timeoutMs: 15_000 },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ code: 'ERR_DBTOKEN_UNAVAILABLE', cause: 'ERR_DBTOKEN_FETCH_TIMEOUT', timeoutMs: 1000 });
  });
});

describe('the OCI SDK is found next to dbtoken, wherever the application runs from', () => {
  it.each([
    ['ESM', 'app.mjs', `const { ociDbToken, ociScope } = await import(${JSON.stringify(esmOci)});`],
    ['CJS', 'app.cjs', `const { ociDbToken, ociScope } = require(${JSON.stringify(cjsOci)});`],
  ])('%s build, entry script outside the package, working directory /', async (_name, file, load) => {
    const { configFile } = writeProfile(dir(), { keys: alice });
    const app = join(dir(), file);
    const main = `
      const env = JSON.parse(process.env.DBTOKEN_CHILD);
      const token = ociDbToken({ scope: ociScope.all(), auth: { type: 'api_key', configFile: env.configFile }, endpoint: env.url }, { retry: { attempts: 1 } });
      const t = await token.getToken();
      console.log(t.token.split('.').length, typeof t.privateKey);
      token.close();
    `;
    writeFileSync(app, file.endsWith('.mjs') ? `${load}\n${main}` : `${load}\n(async () => {${main}})();`);
    const r = await runNode([app], { cwd: '/', env: { DBTOKEN_CHILD: JSON.stringify({ configFile, url: iam.url }) }, timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('3 string');
  });
});
