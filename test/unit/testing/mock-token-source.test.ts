import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, tokenProvider, TokenUnavailableError, type DbToken, type TokenProvider } from 'dbtoken';
import { mockTokenSource } from 'dbtoken/testing';

/** A real provider over a source that signs `real-1`, `real-2`, ... and records what it was asked. */
function realProvider(): { provider: TokenProvider; asked: { signal: AbortSignal }[] } {
  const asked: { signal: AbortSignal }[] = [];
  let n = 0;
  const provider = tokenProvider(
    async ({ signal }) => {
      asked.push({ signal });
      n += 1;
      return { token: `real-${n}`, expiresAt: new Date(Date.now() + 15 * 60_000) };
    },
    { retry: { attempts: 1 } },
  );
  return { provider, asked };
}

const call = (source: ReturnType<typeof mockTokenSource>, signal = new AbortController().signal): Promise<DbToken> => source({ signal });

describe('mockTokenSource: outage and restore', () => {
  it('an outage fails every call, whatever is queued, until restore; then the queue resumes', async () => {
    const source = mockTokenSource().returns({ token: 'queued' });
    const down = new Error('IAM down');
    source.outage(down);
    await expect(call(source)).rejects.toBe(down);
    await expect(call(source)).rejects.toBe(down);
    source.restore();
    expect((await call(source)).token).toBe('queued');
    expect((await call(source)).token).toBe('mock-token-2');
    expect(source.calls).toHaveLength(4);
  });

  it('an outage without an error fails with a plain one, and an aborted signal ends its delay', async () => {
    const source = mockTokenSource().outage(undefined, { delayMs: 60_000 });
    const controller = new AbortController();
    const pending = call(source, controller.signal);
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    source.outage();
    await expect(call(source)).rejects.toThrow('mock token source outage');
  });
});

describe('mockTokenSource({ around }): faults in front of a real provider', () => {
  it('passes each call to the real provider, forcing a fresh token and handing on the signal', async () => {
    const { provider, asked } = realProvider();
    const source = mockTokenSource({ around: provider });
    const signal = new AbortController().signal;
    expect((await call(source, signal)).token).toBe('real-1');
    expect((await call(source)).token).toBe('real-2'); // not the real provider's cached real-1
    expect(asked).toHaveLength(2);
    expect(source.calls).toHaveLength(2);
    expect(source.issued.map((t) => t.token)).toEqual(['real-1', 'real-2']);
    provider.close();
  });

  it('outage, fails and hangs take the real provider\'s place; restore gives it back', async () => {
    const { provider, asked } = realProvider();
    const source = mockTokenSource({ around: provider });
    source.outage(new Error('IAM down'));
    await expect(call(source)).rejects.toThrow('IAM down');
    source.restore().fails(new Error('once'));
    await expect(call(source)).rejects.toThrow('once');
    source.hangs();
    const controller = new AbortController();
    const hung = call(source, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(hung).rejects.toThrow('deadline');
    expect(asked).toHaveLength(0);
    expect((await call(source)).token).toBe('real-1');
    provider.close();
  });

  it('delays, returns() and deferred().resolve() without a token give the real provider\'s; a token given is the mock\'s', async () => {
    const { provider } = realProvider();
    const source = mockTokenSource({ around: provider });
    source.delays(5).returns().returns({ token: 'forged' }).returns({ expiresInMs: 1_000 });
    expect((await call(source)).token).toBe('real-1');
    expect((await call(source)).token).toBe('real-2');
    expect((await call(source)).token).toBe('forged');
    expect((await call(source)).token).toMatch(/^mock-token-/);
    const d = source.deferred();
    const pending = call(source);
    await d.called;
    d.resolve();
    expect((await pending).token).toBe('real-3');
    provider.close();
  });

  it("passes the real provider's errors through, and a token from it stays redacted", async () => {
    const failing = tokenProvider(async () => Promise.reject(new Error('signer broke')), { retry: { attempts: 1 } });
    const source = mockTokenSource({ around: failing });
    const err = await call(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect((err as Error).cause).toMatchObject({ message: 'signer broke' });
    failing.close();
    const { provider } = realProvider();
    const t = await call(mockTokenSource({ around: provider }));
    expect(inspect(t)).not.toContain('real-1');
    provider.close();
  });

  it('a provider in front of the mock recovers when the outage ends', async () => {
    const { provider: real } = realProvider();
    const source = mockTokenSource({ around: real });
    let now = Date.UTC(2026, 0, 1);
    const provider = tokenProvider(source, { retry: { attempts: 1, maxMs: 1_000 }, clock: () => now, random: () => 0 });
    source.outage(new Error('IAM down'));
    await expect(provider.getToken()).rejects.toBeInstanceOf(TokenUnavailableError);
    source.restore();
    now += 60_000; // past the provider's rest after a failed round
    await expect(provider.getToken()).resolves.toMatchObject({ token: 'real-1' });
    provider.close();
    real.close();
  });

  it('refuses something that is not a provider', () => {
    expect(() => mockTokenSource({ around: {} as never })).toThrow(ConfigError);
    expect(() => mockTokenSource({ around: {} as never })).toThrow(expect.objectContaining({ field: 'around' }));
  });
});
