import { ConfigError } from '../core/errors.js';
import type { DbToken } from '../core/token.js';
import { describe } from '../core/validation.js';
import type { TokenProvider, TokenSource } from '../core/provider.js';

/**
 * One recorded call of a {@link MockTokenSource}.
 *
 * @example
 * ```ts
 * const { at, signal }: MockTokenCall = source.calls[0]!;
 * expect(at).toBe(clock());           // the source's clock when the call started
 * expect(signal.aborted).toBe(false); // aborts once the provider is closed
 * ```
 */
export interface MockTokenCall {
  /** The source's clock when the call started. */
  readonly at: number;
  /** The signal the provider passed. */
  readonly signal: AbortSignal;
}

/**
 * What a queued result may set; anything left out gets a default.
 *
 * @example
 * ```ts
 * const init: MockTokenInit = { token: 'short-lived', expiresInMs: 45_000 };
 * source.returns(init); // the next call gets a token that expires 45 s after it
 * ```
 */
export interface MockTokenInit {
  /** The token text. Default `<prefix>-<n>`. */
  token?: string | undefined;
  /** When it expires. Default: `lifetimeMs` from the clock at the call. */
  expiresAt?: Date | undefined;
  /** Instead of `expiresAt`: this long from the clock at the call. */
  expiresInMs?: number | undefined;
  /** A proof-of-possession key to attach. */
  privateKey?: string | undefined;
  /** A key fingerprint to attach. */
  fingerprint?: string | undefined;
}

/**
 * Control of one call whose result the test decides later.
 *
 * @example
 * ```ts
 * const d: MockDeferred = source.deferred();
 * const pending = provider.getToken();
 * await d.called;                     // the provider is now waiting on the source
 * d.resolve({ token: 'late-token' });
 * (await pending).token;              // 'late-token'
 * ```
 */
export interface MockDeferred {
  /** Lets the call resolve, with this token or a default one. */
  resolve(init?: MockTokenInit): void;
  /** Lets the call reject with `error`. */
  reject(error: unknown): void;
  /** Resolves once the provider has made the call. */
  readonly called: Promise<void>;
}

/**
 * Options of {@link mockTokenSource}.
 *
 * @example
 * ```ts
 * const options: MockTokenSourceOptions = { around: awsRdsToken({ hostname, port, username: 'app', region, credentials }) };
 * const source = mockTokenSource(options);
 * ```
 */
export interface MockTokenSourceOptions {
  /**
   * How long a default token lasts, in ms. Default 15 minutes.
   * @example `60_000`
   */
  lifetimeMs?: number | undefined;
  /**
   * The clock, in ms: for `calls[].at` and the default tokens' expiry. Default `Date.now`.
   * @example `() => fakeNow`
   */
  clock?: (() => number) | undefined;
  /**
   * The text default tokens start with (`<prefix>-<n>`). Default `'mock-token'`.
   * @example `'iam'`
   */
  prefix?: string | undefined;
  /**
   * A real provider to stand in front of: wherever the mock would make a default token (nothing queued,
   * `delays()`, `returns()` or `deferred().resolve()` without a token), it gets a fresh one from this
   * provider (`getToken({ forceRefresh: true, signal })`) instead, so a real server accepts it; its
   * errors pass through. `outage()`, `hangs()`, `fails()` and tokens you give still take its place.
   * Close the provider yourself.
   * @example `awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region, credentials })`
   */
  around?: TokenProvider | undefined;
}

/**
 * A {@link TokenSource} whose calls are recorded and whose results the test decides.
 *
 * @example
 * ```ts
 * const source: MockTokenSource = mockTokenSource();
 * source.returns({ token: 'first' });
 * const provider = tokenProvider(source);
 * (await provider.getToken()).token; // 'first'
 * source.calls.length;               // 1
 * ```
 */
export interface MockTokenSource extends TokenSource {
  /** Every call so far, in order. */
  readonly calls: readonly MockTokenCall[];
  /** The next call resolves to this token (after `delayMs`, if given). */
  returns(init?: MockTokenInit, opts?: { delayMs?: number }): MockTokenSource;
  /** The next call rejects with `error` (after `delayMs`, if given). */
  fails(error: unknown, opts?: { delayMs?: number }): MockTokenSource;
  /** The next call resolves to a default token (with `around`, the real provider's) after `ms`. */
  delays(ms: number): MockTokenSource;
  /** The next call waits until the test settles it. */
  deferred(): MockDeferred;
  /** Every token this source has produced, in order. */
  readonly issued: readonly DbToken[];
  /** From now on every call fails with `error` (after `delayMs`), whatever is queued, until {@link MockTokenSource.restore}. */
  outage(error?: unknown, opts?: { delayMs?: number }): MockTokenSource;
  /** Ends an {@link MockTokenSource.outage}. */
  restore(): MockTokenSource;
  /** The next call never settles, like an IAM endpoint that does not answer; it rejects only when its `signal` aborts. */
  hangs(): MockTokenSource;
}

type Step =
  | { kind: 'hang' }
  | { kind: 'token'; init: MockTokenInit; delayMs: number }
  | { kind: 'error'; error: unknown; delayMs: number }
  | { kind: 'deferred'; d: MockDeferred & { settle(cb: (init: MockTokenInit | undefined, err: unknown, failed: boolean) => void): void; markCalled(): void } };

function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A scripted token source for tests. With nothing queued, each call returns
 * `mock-token-1`, `mock-token-2`, ... valid for `lifetimeMs` (default 15
 * minutes) from `clock()`.
 *
 * With `around`, it stands in front of a real provider: calls get the real
 * provider's fresh tokens until the test breaks them with `outage()`,
 * `hangs()`, `fails()` or `delays()`, so a real server sees what a client
 * does when IAM misbehaves.
 *
 * @example
 * ```ts
 * import { tokenProvider } from 'dbtoken';
 * import { mockTokenSource } from 'dbtoken/testing';
 * const source = mockTokenSource();
 * source.fails(new Error('IAM is down')).returns({ token: 'second' });
 * const provider = tokenProvider(source, { retry: { baseMs: 1 } });
 * (await provider.getToken()).token; // 'second', after one retry
 * source.calls.length;                // 2
 * ```
 * @example
 * ```ts
 * // A real awsRdsToken in front of a real server, broken on demand.
 * const real = awsRdsToken({ hostname: db.host, port: db.port, username: 'app', region, credentials });
 * const source = mockTokenSource({ around: real });
 * const pool = await createIamPool({ driver: 'pg', token: tokenProvider(source, { target: real.target }), database: db.database, ssl: { ca: db.ca } });
 * source.outage(new Error('IAM is down')); // new tokens fail; the cached one still logs in
 * source.restore();                       // fresh tokens from awsRdsToken again
 * ```
 */
export function mockTokenSource(options: MockTokenSourceOptions = {}): MockTokenSource {
  const lifetimeMs = options.lifetimeMs ?? 15 * 60_000;
  const now = (): number => (options.clock ? options.clock() : Date.now());
  const prefix = options.prefix ?? 'mock-token';
  const around = options.around;
  if (around !== undefined && typeof around?.getToken !== 'function') {
    throw new ConfigError('around', `must be a TokenProvider (with getToken), got ${describe(around)}`, 'pass the provider to stand in front of, such as awsRdsToken({ ... })');
  }
  const calls: MockTokenCall[] = [];
  const issued: DbToken[] = [];
  const queue: Step[] = [];
  let outage: { error: unknown; delayMs: number } | undefined;
  let n = 0;

  const make = (init: MockTokenInit | undefined, at: number): DbToken => {
    n += 1;
    const t: DbToken = {
      token: init?.token ?? `${prefix}-${n}`,
      expiresAt: init?.expiresAt ?? new Date(at + (init?.expiresInMs ?? lifetimeMs)),
      ...(init?.privateKey !== undefined ? { privateKey: init.privateKey } : {}),
      ...(init?.fingerprint !== undefined ? { fingerprint: init.fingerprint } : {}),
    };
    issued.push(t);
    return t;
  };

  /** A token as `init` says; with nothing said and a real provider `around`, a fresh one from it. */
  const produce = async (init: MockTokenInit | undefined, at: number, signal: AbortSignal): Promise<DbToken> => {
    if (around === undefined || (init !== undefined && Object.values(init).some((v) => v !== undefined))) return make(init, at);
    const t = await around.getToken({ forceRefresh: true, signal });
    issued.push(t);
    return t;
  };

  const source = (async ({ signal }: { signal: AbortSignal }): Promise<DbToken> => {
    const at = now();
    calls.push({ at, signal });
    if (outage !== undefined) {
      await wait(outage.delayMs, signal);
      throw outage.error;
    }
    const step = queue.shift();
    if (step === undefined) return produce(undefined, at, signal);
    if (step.kind === 'hang') {
      return new Promise<DbToken>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    if (step.kind === 'deferred') {
      step.d.markCalled();
      return new Promise<DbToken>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        step.d.settle((init, err, failed) => (failed ? reject(err) : produce(init, now(), signal).then(resolve, reject)));
      });
    }
    await wait(step.delayMs, signal);
    if (step.kind === 'error') throw step.error;
    return produce(step.init, now(), signal);
  }) as MockTokenSource;

  Object.defineProperties(source, {
    calls: { get: () => calls },
    issued: { get: () => issued },
  });
  source.returns = (init = {}, opts) => {
    queue.push({ kind: 'token', init, delayMs: opts?.delayMs ?? 0 });
    return source;
  };
  source.fails = (error, opts) => {
    queue.push({ kind: 'error', error, delayMs: opts?.delayMs ?? 0 });
    return source;
  };
  source.outage = (error = new Error('mock token source outage'), opts) => {
    outage = { error, delayMs: opts?.delayMs ?? 0 };
    return source;
  };
  source.restore = () => {
    outage = undefined;
    return source;
  };
  source.hangs = () => {
    queue.push({ kind: 'hang' });
    return source;
  };
  source.delays = (ms) => {
    queue.push({ kind: 'token', init: {}, delayMs: ms });
    return source;
  };
  source.deferred = () => {
    let settler: ((init: MockTokenInit | undefined, err: unknown, failed: boolean) => void) | undefined;
    let pending: [MockTokenInit | undefined, unknown, boolean] | undefined;
    let markCalled!: () => void;
    const called = new Promise<void>((r) => (markCalled = r));
    const d = {
      called,
      markCalled,
      resolve(init?: MockTokenInit) {
        if (settler) settler(init, undefined, false);
        else pending = [init, undefined, false];
      },
      reject(error: unknown) {
        if (settler) settler(undefined, error, true);
        else pending = [undefined, error, true];
      },
      settle(cb: (init: MockTokenInit | undefined, err: unknown, failed: boolean) => void) {
        settler = cb;
        if (pending) cb(...pending);
      },
    };
    queue.push({ kind: 'deferred', d });
    return d;
  };
  return source;
}
