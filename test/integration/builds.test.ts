import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, root, runNode } from '../helpers/dist.js';

const esm = join(root, 'dist/esm/src/index.js');
const cjs = join(root, 'dist/cjs/src/index.js');
const esmAws = join(root, 'dist/esm/src/aws.js');
const cjsAws = join(root, 'dist/cjs/src/aws.js');

beforeAll(() => ensureBuilt());

/** Runs an ESM script in a child with both builds loaded: `esm`, `cjs` (and `esmAws`, `cjsAws`) are in scope. */
async function withBothBuilds(body: string, flags: string[] = [], timeoutMs = 60_000): Promise<any> {
  const r = await runNode(
    [
      ...flags,
      '--input-type=module',
      '-e',
      `
      import { createRequire } from 'node:module';
      const paths = JSON.parse(process.env.DBTOKEN_BUILDS);
      const esm = await import(paths.esm);
      const esmAws = await import(paths.esmAws);
      const cjs = createRequire(paths.cjs)(paths.cjs);
      const cjsAws = createRequire(paths.cjsAws)(paths.cjsAws);
      const out = await (async () => { ${body} })();
      console.log(JSON.stringify(out));
      `,
    ],
    { env: { DBTOKEN_BUILDS: JSON.stringify({ esm, cjs, esmAws, cjsAws }) }, timeoutMs },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the ESM and the CJS build in one process', () => {
  it('share one token store: one identity is fetched once, whichever build made its providers', async () => {
    const out = await withBothBuilds(`
      let calls = 0;
      const source = async () => ({ token: 'shared-' + (++calls), expiresAt: new Date(Date.now() + 15 * 60_000) });
      const a = esm.tokenProvider(source, { cacheKey: 'builds|one-identity' });
      const b = cjs.tokenProvider(source, { cacheKey: 'builds|one-identity' });
      const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
      let signs = 0;
      const credentials = async () => (signs++, { accessKeyId: 'AKIDBUILDS', secretAccessKey: 'builds/secret' });
      const target = { hostname: 'db.example.internal', port: 5432, username: 'app', region: 'us-east-1', credentials };
      const ra = esmAws.awsRdsToken(target);
      const rb = cjsAws.awsRdsToken(target);
      const [x, y] = await Promise.all([ra.getToken(), rb.getToken()]);
      for (const p of [a, b, ra, rb]) p.close();
      return { calls, same: ta.token === tb.token, signs, rdsSame: x.token === y.token };
    `);
    expect(out).toEqual({ calls: 1, same: true, signs: 1, rdsSame: true });
  });

  it('error classes recognise each other\'s instances, by code', async () => {
    const out = await withBothBuilds(`
      const classes = ['DbTokenError', 'ConfigError', 'TokenUnavailableError', 'InsecureTransportError', 'ProviderClosedError', 'FetchTimeoutError'];
      const make = (b) => ({
        ConfigError: new b.ConfigError('port', 'must be a number', 'pass 5432'),
        TokenUnavailableError: new b.TokenUnavailableError('down'),
        InsecureTransportError: new b.InsecureTransportError('no TLS'),
        ProviderClosedError: new b.ProviderClosedError(),
        FetchTimeoutError: new b.FetchTimeoutError(1000),
      });
      const table = {};
      for (const [from, to, fromName, toName] of [[esm, cjs, 'esm', 'cjs'], [cjs, esm, 'cjs', 'esm']]) {
        for (const [name, err] of Object.entries(make(from))) {
          table[fromName + ' ' + name] = classes.filter((c) => err instanceof to[c]);
        }
      }
      // A foreign error is not a dbtoken error, and a user's own subclass keeps ordinary instanceof.
      class Mine extends esm.ConfigError {}
      return {
        table,
        plain: classes.filter((c) => new Error('x') instanceof cjs[c]),
        mine: [new Mine('a', 'b') instanceof Mine, new esm.ConfigError('a', 'b') instanceof Mine, new cjs.ConfigError('a', 'b') instanceof Mine],
        guard: [cjs.isDbTokenError(new esm.ProviderClosedError()), esm.isDbTokenError({ code: 'ERR_DBTOKEN_CONFIG' })],
      };
    `);
    for (const from of ['esm', 'cjs']) {
      expect(out.table[`${from} ConfigError`]).toEqual(['DbTokenError', 'ConfigError']);
      expect(out.table[`${from} TokenUnavailableError`]).toEqual(['DbTokenError', 'TokenUnavailableError']);
      expect(out.table[`${from} InsecureTransportError`]).toEqual(['DbTokenError', 'InsecureTransportError']);
      expect(out.table[`${from} ProviderClosedError`]).toEqual(['DbTokenError', 'ProviderClosedError']);
      expect(out.table[`${from} FetchTimeoutError`]).toEqual(['DbTokenError', 'FetchTimeoutError']);
    }
    expect(out.plain).toEqual([]);
    expect(out.mine).toEqual([true, false, false]);
    expect(out.guard).toEqual([true, false]);
  });
});

describe('providers dropped without close()', () => {
  // Bounded, not timed: 40,000 providers and 32 full collections took 70 s on a loaded 2-core machine.
  it('30,000 of them (10,000 at a time) are garbage-collected, while a live provider of the same identity keeps getting its events', { timeout: 240_000 }, async () => {
    const out = await withBothBuilds(
      `
      const settle = async () => { for (let i = 0; i < 8; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); } };
      let n = 0;
      const source = async () => ({ token: 'gc-' + (++n), expiresAt: new Date(Date.now() + 15 * 60_000) });
      const live = esm.tokenProvider(source, { cacheKey: 'builds|gc' });
      const events = [];
      live.on('token', (e) => events.push(e.background));
      await live.getToken();
      const store = globalThis[Symbol.for('dbtoken.store.v2')];
      const size = () => [...store.identities()].length;
      const drop = async (count) => {
        for (let i = 0; i < count; i++) {
          // Same identity, their own options and listeners, each handed a token (so each wants a refresh timer).
          const shared = (i % 2 ? esm : cjs).tokenProvider(source, { cacheKey: 'builds|gc', minValidity: 60_000, refreshBefore: 120_000 });
          shared.on('token', () => {});
          shared.on('error', () => {});
          await shared.getToken();
          // An identity of its own.
          const own = esm.tokenProvider(source, { refreshBefore: 120_000 });
          await own.getToken();
        }
      };
      // Warm up with a round of the same size: compiled code and the high-water mark of the store's tables are not per provider.
      await drop(5000);
      await settle();
      const size0 = size();
      const heap0 = process.memoryUsage().heapUsed;
      let grown = 0;
      for (let round = 0; round < 3; round++) {
        await drop(5000);
        grown = Math.max(grown, size());
        await settle();
      }
      const heap1 = process.memoryUsage().heapUsed;
      const size1 = size();
      await live.getToken({ forceRefresh: true });
      const live1 = events.length;
      live.close();
      return { size0, grown, size1, perProvider: (heap1 - heap0) / 30_000, events: live1 };
    `,
      ['--expose-gc'],
      200_000,
    );
    expect(out.size0).toBe(1);
    expect(out.grown).toBeGreaterThan(1); // the dropped providers' own identities were in the store
    expect(out.size1).toBe(1); // ... and left with them
    expect(out.perProvider).toBeLessThan(64); // bytes, against about 2,500 while a dropped provider's timer was pending: nothing of them is kept
    expect(out.events).toBe(2); // the live provider still gets its events
  });
});
