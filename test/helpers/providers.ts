import net from 'node:net';
import { afterEach, beforeEach, vi, type MockInstance } from 'vitest';
import { tokenProvider, type TokenProvider } from 'dbtoken';

/** A promise's outcome as a value, so that a test can assert on a rejection without an unhandled one. */
export const settle = async <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** `tokenProvider`, closed after each test (and real timers restored). */
export function closedAfterEach(): typeof tokenProvider {
  const providers: TokenProvider[] = [];
  afterEach(() => {
    for (const p of providers.splice(0)) p.close();
    vi.useRealTimers();
  });
  return (...args) => {
    const p = tokenProvider(...args);
    providers.push(p);
    return p;
  };
}

/** A function that tracks a provider and closes it after each test (real timers restored too). */
export function trackedProviders(): <T extends TokenProvider>(p: T) => T {
  const providers: TokenProvider[] = [];
  afterEach(() => {
    for (const p of providers.splice(0)) p.close();
    vi.useRealTimers();
  });
  return (p) => (providers.push(p), p);
}

/**
 * A spy on every socket a test opens, made anew for each test: a test asserts
 * "before any network call" with `expect(socketConnects()).not.toHaveBeenCalled()`.
 */
export function watchSocketConnects(): () => MockInstance {
  let spy: MockInstance | undefined;
  beforeEach(() => {
    spy = vi.spyOn(net.Socket.prototype, 'connect');
  });
  afterEach(() => spy?.mockRestore());
  return () => spy!;
}
