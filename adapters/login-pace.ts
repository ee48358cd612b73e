/**
 * Fleet-safe logins at run time: one pace per database endpoint in the
 * process, shared by every pool and adapter (and both builds of dbtoken),
 * and what an adapter does after a refused login.
 */
import { onAbort, sleep } from '../src/core/abort.js';
import { ConfigError } from '../src/core/errors.js';
import { loginThrottled, providerLoginRate, type LoginRate, type TokenProvider } from '../src/core/provider.js';
import type { DbToken } from '../src/core/token.js';
import { describe } from '../src/core/validation.js';
import { forgetRefused } from './preamble.js';
import { afterAccepted, afterThrottle, FRESH_PACE, LOGIN_RETRY, nextLoginStep, takeLogin, type LoginAttempts, type PaceState } from './login-policy.js';

/** A login waiting for its slot. */
interface Waiter {
  readonly rate: LoginRate;
  go(): void;
}

/** One endpoint's pace, the rates its pools asked for (the lowest holds), and the logins waiting, first come first served. */
interface Pacer {
  state: PaceState;
  readonly rates: Map<object, LoginRate>;
  readonly queue: Waiter[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Shared {
  /** Tokens a server accepted for a login. */
  readonly accepted: WeakSet<DbToken>;
  readonly pacers: Map<string, Pacer>;
}

const G = globalThis as { [key: symbol]: Shared | undefined };
const KEY = Symbol.for('dbtoken.logins.v1');
const shared: Shared = (G[KEY] ??= { accepted: new WeakSet(), pacers: new Map() });

/** A server accepted a login with `token`. */
export function markAccepted(token: DbToken): void {
  shared.accepted.add(token);
}

/** Whether a server accepted a login with `token`. */
export function wasAccepted(token: DbToken): boolean {
  return shared.accepted.has(token);
}

/** `loginRate` as an adapter takes it: `false`, `undefined`, or a checked rate. */
export function checkLoginRate(value: unknown): LoginRate | false | undefined {
  if (value === undefined || value === false) return value;
  const r = (value ?? {}) as { perSecond?: unknown; burst?: unknown };
  if (
    typeof value !== 'object' ||
    typeof r.perSecond !== 'number' ||
    !(r.perSecond > 0 && r.perSecond < Infinity) ||
    (r.burst !== undefined && !(Number.isInteger(r.burst) && (r.burst as number) >= 1))
  ) {
    throw new ConfigError(
      'loginRate',
      `must be { perSecond, burst? } (perSecond > 0, burst a whole number >= 1) or false, got ${describe(value)}`,
      "for example { perSecond: 25 }: the database's IAM login limit divided by the processes that log in to it",
    );
  }
  return { perSecond: r.perSecond, burst: (r.burst as number | undefined) ?? 1 };
}

/** The pace one pool keeps: {@link loginPace}. */
export interface LoginPace {
  /** Waits for this login's slot; rejects when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void>;
  /** The server refused a login for its rate: slow down. */
  throttled(): void;
  /** The server accepted a login. */
  accepted(): void;
  /** The pool ended: its rate no longer counts. */
  leave(): void;
}

const never = new AbortController().signal;

/** The lowest rate asked for at `p`: by its pools, and by the first login waiting (its pool may have left). */
function lowest(p: Pacer): LoginRate {
  let low = p.queue[0]?.rate ?? { perSecond: Infinity };
  for (const r of p.rates.values()) if (r.perSecond < low.perSecond || (r.perSecond === low.perSecond && (r.burst ?? 1) < (low.burst ?? 1))) low = r;
  return low;
}

/** Lets the waiting logins go as their slots come; one (referenced: logins wait on it) timer for the next. */
function pump(p: Pacer): void {
  clearTimeout(p.timer);
  p.timer = undefined;
  while (p.queue.length > 0) {
    const { wait, state } = takeLogin(p.state, performance.now(), lowest(p));
    p.state = state;
    if (wait > 0) {
      p.timer = setTimeout(() => pump(p), Math.min(wait, 2 ** 31 - 1));
      return;
    }
    p.queue.shift()!.go();
  }
}

/**
 * The pace of the logins a pool makes with `provider`'s tokens, keyed by the
 * endpoint the tokens are signed for (the provider's target; else the host
 * and port dialed). `option` is the pool's `loginRate`: `false` paces
 * nothing, `undefined` keeps the pace the provider's source asks for (AWS
 * RDS's), if any.
 */
export function loginPace(provider: TokenProvider, option: LoginRate | false | undefined, dialed: { host?: string | undefined; port?: number | string | undefined }, defaultPort: number): LoginPace | undefined {
  const rate = option ?? providerLoginRate(provider);
  if (!rate) return undefined;
  const t = provider.target;
  const [host, port] = t?.host !== undefined ? [t.host, t.port] : [dialed.host, dialed.port];
  const key = `${(host ?? 'localhost').toLowerCase()}:${port || defaultPort}`;
  let p = shared.pacers.get(key);
  if (p === undefined) {
    // The paces of endpoints no pool has used for a minute are forgotten; a pace in use outlives its pools, so
    // that pools made and ended in a loop keep to it.
    const now = performance.now();
    for (const [k, q] of shared.pacers) if (q.rates.size === 0 && q.queue.length === 0 && now - q.state.at > 60_000) shared.pacers.delete(k);
    shared.pacers.set(key, (p = { state: FRESH_PACE, rates: new Map(), queue: [], timer: undefined }));
  }
  const pacer = p;
  const me = {};
  pacer.rates.set(me, rate);
  const pace: LoginPace = {
    wait: (signal = never) =>
      new Promise<void>((resolve, reject) => {
        signal.throwIfAborted();
        const off = onAbort(signal, () => {
          const i = pacer.queue.indexOf(waiter);
          if (i >= 0) pacer.queue.splice(i, 1);
          if (pacer.queue.length === 0) clearTimeout(pacer.timer);
          reject(signal.reason);
        });
        const waiter: Waiter = {
          rate,
          go() {
            off();
            resolve();
          },
        };
        pacer.queue.push(waiter);
        if (pacer.queue.length === 1) pump(pacer);
      }),
    throttled: () => void (pacer.state = afterThrottle(pacer.state, performance.now())),
    accepted: () => void (pacer.state = afterAccepted(pacer.state)),
    leave() {
      pacer.rates.delete(me);
      dropped.unregister(pace);
    },
  };
  // A pool dropped without end(): its rate no longer holds once it is collected.
  dropped.register(pace, () => pacer.rates.delete(me), pace);
  return pace;
}

const dropped = new FinalizationRegistry<() => void>((forget) => forget());

/** A refused login: the token it sent, and whether the server named its login rate as the reason. */
export interface Refusal {
  readonly token: DbToken;
  readonly named: boolean;
}

/**
 * What follows a refused login (see `nextLoginStep`): resolves, after the
 * backoff, to the attempts to retry with, or `undefined` to fail. A
 * throttle keeps the token (counted by `loginThrottled`); any other refusal
 * forgets it (counted by `loginRetried`), unless another connection logged
 * in with it during the backoff: then it was a throttle after all.
 */
export async function afterRefusal(provider: TokenProvider, attempts: LoginAttempts, refusal: Refusal, pace?: LoginPace, signal?: AbortSignal): Promise<LoginAttempts | undefined> {
  const accepted = (): boolean => refusal.named || wasAccepted(refusal.token);
  const was = accepted();
  let step = nextLoginStep(attempts, was, Math.random());
  if (step.action !== 'fail') {
    try {
      await sleep(step.delayMs, signal ?? never);
    } catch {
      step = { action: 'fail' };
    }
  }
  if (step.action === 'fail') {
    if (!was) provider.invalidate(refusal.token);
    return undefined;
  }
  // Taken for a bad token, but another connection logged in with it meanwhile: a throttle after all.
  if (step.action === 'same' || (!was && accepted() && attempts.same < LOGIN_RETRY.same)) {
    loginThrottled(provider);
    pace?.throttled();
    return step.action === 'same' ? step.next : { same: attempts.same + 1, fresh: attempts.fresh };
  }
  forgetRefused(provider, refusal.token);
  return step.next;
}
