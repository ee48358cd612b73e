import { abortable } from './abort.js';
import { ConfigError, FetchTimeoutError, ProviderClosedError, TokenUnavailableError } from './errors.js';
import { LruMap } from './lru.js';
import { afterFailure, NO_FAILURES, type EntryView, type FailureState, type RetrySettings } from './policy.js';
import { redactToken, type DbToken } from './token.js';

/**
 * The token store: one per process, shared by every provider (and by both
 * builds of this package, through a global keyed by the store's version).
 * It holds what sources returned, keyed by identity, gives one fetch in
 * flight per identity, applies the fetch deadline, and keeps the shared
 * failure state. It holds no per-provider settings: each provider reads
 * the shared token with its own rules (see `decide` in policy.ts).
 */

/** A token as the store keeps it. */
export interface StoredToken {
  readonly token: DbToken;
  /** Store clock when the fetch completed. */
  readonly fetchedAt: number;
  readonly expiresAt: number;
  invalid: boolean;
}

/** What one provider gives the store to fetch with. */
export interface FetchPlan {
  readonly source: (ctx: { signal: AbortSignal }) => Promise<DbToken>;
  /** Deadline of the fetch (ms); 0 for none. */
  readonly fetchTimeout: number;
  /** A token with no more than this left is a failed fetch. */
  readonly minValidity: number;
  readonly retry: RetrySettings;
  readonly random: () => number;
}

/**
 * A provider as the store sees it. The store holds members weakly, so that
 * a provider dropped without `close()` is collected.
 */
export interface Member {
  /** A fetch succeeded, `elapsedMs` after it started. */
  onToken(stored: StoredToken, background: boolean, elapsedMs: number): void;
  onError(err: unknown): void;
  /** When this member wants a background refresh of `view`'s token, if it handed that token out. */
  refreshDue(view: EntryView, now: number, stored: StoredToken): number | undefined;
  /** How this member fetches. */
  readonly plan: FetchPlan;
}

/** One fetch in flight. */
export interface Flight {
  readonly promise: Promise<StoredToken>;
  readonly background: boolean;
  readonly signal: AbortSignal;
}

/** What the store knows about one identity. */
export interface Slot {
  readonly key: string;
  readonly clock: () => number;
}

/** A snapshot for `status()`. */
export interface SlotStatus {
  readonly token?: StoredToken | undefined;
  readonly lastFetchAt?: number | undefined;
  /** The last failure, when `failures` > 0 (which may be `undefined`: a source can reject with anything). */
  readonly lastError?: unknown;
  readonly refreshing: boolean;
  readonly failures: number;
}

/** The store's interface, stable across builds of the same store version. */
export interface TokenStore {
  readonly version: 1;
  /** A stable id for a clock function; `'wall'` for the default clock. */
  clockId(clock: (() => number) | undefined): string;
  /** A number that stands for `value` (a credentials function, say) in identity keys, the same for every build. */
  objectId(value: object): number;
  /** A key no other provider has. */
  privateKey(): string;
  /**
   * Joins `member` to the identity `key` (created on first use, named
   * `label` in metrics). `onRelease` runs once the member is detached or
   * collected, after any fetch it started was let go; it must not reference
   * the member.
   */
  attach(key: string, label: string, clock: () => number, member: Member, onRelease?: () => void): Slot;
  /** Removes `member` (its fetch in flight is let go, not failed); the identity goes away with its last member. */
  detach(slot: Slot, member: Member): void;
  view(slot: Slot): EntryView;
  current(slot: Slot): StoredToken | undefined;
  /** The cached token, without touching the cache's recency (the hot path's check). */
  peek(slot: Slot): StoredToken | undefined;
  /** Joins the fetch in flight, or starts one with `member`'s source and settings. */
  fetch(slot: Slot, member: Member, background: boolean): Flight;
  /** Waits for `flight` until `signal` aborts; the fetch is abandoned once no caller waits for it. */
  wait(slot: Slot, flight: Flight, signal: AbortSignal): Promise<StoredToken>;
  /** Forgets the cached token, or only `token` when given. */
  invalidate(slot: Slot, token?: string): boolean;
  /** Recomputes the background-refresh timer. */
  reschedule(slot: Slot): void;
  status(slot: Slot): SlotStatus;
  /** Identities with at least one live provider (for tests and the bench). */
  readonly size: number;
  /** Watches fetches, failures and retried logins of every identity (metrics); returns the unsubscribe function. */
  observe(observer: StoreObserver): () => void;
  /** Every identity holding a token now: its label, store clock and expiry (metrics). */
  expiries(): Iterable<{ readonly label: string; readonly now: number; readonly expiresAt: number }>;
  /** Links a provider object to its identity, so that an adapter can report about it. */
  bind(provider: object, slot: Slot): void;
  /** An adapter retried a login the database refused. */
  loginRetried(provider: object): void;
}

/** What metrics see. `label` names the identity (host:port/user, or a scope): never a secret. */
export interface StoreObserver {
  fetched(label: string, seconds: number, background: boolean): void;
  failed(label: string, seconds: number, err: unknown): void;
  loginRetried(label: string): void;
}

/**
 * At most this many distinct identities hold a token in one process; the
 * least recently used is dropped first (and simply fetched again if needed).
 * As many identities keep their failure state for a while after their last
 * provider is gone, so that providers re-created during an outage still back off.
 *
 * @example
 * ```ts
 * import { MAX_CACHED_TOKENS } from 'dbtoken';
 * // one provider per tenant database: beyond 1000 identities, the least recently used token is fetched again
 * if (tenantDatabases.length > MAX_CACHED_TOKENS) console.warn('more identities than dbtoken caches tokens for');
 * ```
 */
export const MAX_CACHED_TOKENS = 1000;

const STORE = Symbol.for('dbtoken.store.v1');

/** The process's token store, created by whichever build of dbtoken asks first. */
export function tokenStore(): TokenStore {
  const g = globalThis as { [STORE]?: TokenStore };
  return (g[STORE] ??= createStore());
}

/** A ConfigError, or an error a source marked `retryable: false`, will not get better by retrying. */
export function isRetryable(err: unknown): boolean {
  return !(err instanceof ConfigError) && (err as { retryable?: unknown } | null)?.retryable !== false;
}

interface FlightState extends Flight {
  readonly controller: AbortController;
  /** The member whose source runs. */
  readonly owner: WeakRef<Member>;
  readonly plan: FetchPlan;
  readonly startedAt: number;
  waiters: number;
  /** Let go: its outcome no longer counts. */
  abandoned: boolean;
  settled: boolean;
}

interface SlotState extends Slot {
  readonly label: string;
  flight: FlightState | undefined;
  failure: FailureState;
  lastError: unknown;
  lastFetchAt: number | undefined;
  /** Live members, each by the WeakRef the finalizer is told about. */
  readonly members: Set<WeakRef<Member>>;
  timer: ReturnType<typeof setTimeout> | undefined;
  timerAt: number;
  dead: boolean;
}

/** What an identity leaves behind while its failures still hold fetches back. */
interface Remembered {
  readonly failure: FailureState;
  readonly lastError: unknown;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function createStore(): TokenStore {
  const slots = new Map<string, SlotState>();
  const tokens = new LruMap<string, StoredToken>(MAX_CACHED_TOKENS);
  const remembered = new LruMap<string, Remembered>(MAX_CACHED_TOKENS);
  const objectIds = new WeakMap<object, number>();
  const refs = new WeakMap<Member, WeakRef<Member>>();
  const bound = new WeakMap<object, SlotState>();
  const observers = new Set<StoreObserver>();
  let nextId = 0;
  /** Tells every observer; an observer that throws is not the store's problem. */
  const tell = (fn: (o: StoreObserver) => void): void => {
    for (const o of observers) {
      try {
        fn(o);
      } catch {
        // metrics must never break token delivery
      }
    }
  };
  const collected = new FinalizationRegistry<{ key: string; ref: WeakRef<Member>; onRelease: (() => void) | undefined }>(({ key, ref, onRelease }) => {
    const s = slots.get(key);
    if (s !== undefined && s.members.has(ref)) leave(s, ref);
    onRelease?.();
  });

  const state = (slot: Slot): SlotState => slot as SlotState;

  function live(s: SlotState): Member[] {
    const out: Member[] = [];
    for (const ref of s.members) {
      const m = ref.deref();
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  /** A member goes: the fetch it started is let go without counting, and the identity goes with its last member. */
  function leave(s: SlotState, ref: WeakRef<Member>): void {
    s.members.delete(ref);
    const f = s.flight;
    if (f !== undefined && f.owner === ref) drop(s, f, new ProviderClosedError(), false);
    if (s.members.size > 0) {
      reschedule(s);
      return;
    }
    s.dead = true;
    slots.delete(s.key);
    tokens.delete(s.key);
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = undefined;
    if (s.flight !== undefined) drop(s, s.flight, new ProviderClosedError(), false);
    if (s.failure.failures > 0 && s.failure.retryAt > s.clock()) remembered.set(s.key, { failure: s.failure, lastError: s.lastError });
  }

  function view(slot: Slot): EntryView {
    const s = state(slot);
    const t = tokens.get(s.key);
    return { token: t, fetching: s.flight !== undefined, ...s.failure };
  }

  /**
   * Lets a fetch go: its signal aborts with `reason`, and the next call starts
   * afresh. When `counts`, it is a failed attempt of the identity (a deadline
   * passed, or every caller gave up), so that impatient callers cannot make a
   * storm of fetches either.
   */
  function drop(s: SlotState, f: FlightState, reason: unknown, counts: boolean): void {
    if (f.abandoned || f.settled) return;
    if (s.flight === f) s.flight = undefined;
    f.abandoned = true;
    f.controller.abort(reason);
    if (counts && !s.dead) {
      tell((o) => o.failed(s.label, (s.clock() - f.startedAt) / 1000, reason));
      recordFailure(s, reason, f.plan);
      for (const m of live(s)) m.onError(reason);
      reschedule(s);
    }
  }

  function fetch(slot: Slot, member: Member, background: boolean): Flight {
    const s = state(slot);
    if (s.flight !== undefined) return s.flight;
    const plan = member.plan;
    const controller = new AbortController();
    const flight: FlightState = {
      promise: undefined as unknown as Promise<StoredToken>,
      background,
      signal: controller.signal,
      controller,
      owner: refs.get(member)!,
      plan,
      startedAt: s.clock(),
      waiters: 0,
      abandoned: false,
      settled: false,
    };
    let deadline: ReturnType<typeof setTimeout> | undefined;
    if (plan.fetchTimeout > 0) {
      deadline = setTimeout(() => drop(s, flight, new FetchTimeoutError(plan.fetchTimeout), true), Math.min(plan.fetchTimeout, MAX_TIMER_MS));
      deadline.unref?.();
    }
    const run = async (): Promise<StoredToken> => {
      const raw = await abortable(
        Promise.resolve().then(() => {
          // Let go before it even started (closed in the same tick): the source is never called.
          if (controller.signal.aborted) throw controller.signal.reason;
          return plan.source({ signal: controller.signal });
        }),
        controller.signal,
      );
      const token = redactToken(raw);
      const fetchedAt = s.clock();
      const expiresAt = token.expiresAt.getTime();
      if (expiresAt - fetchedAt <= plan.minValidity) {
        throw new TokenUnavailableError(
          `the token source returned a token valid for ${Math.round((expiresAt - fetchedAt) / 1000)} s, ` +
            `which is not more than minValidity (${plan.minValidity / 1000} s); check the source and the clock`,
        );
      }
      return { token, fetchedAt, expiresAt, invalid: false };
    };
    const promise = run().then(
      (stored) => {
        clearTimeout(deadline);
        if (flight.abandoned || s.dead) throw controller.signal.reason ?? new ProviderClosedError();
        flight.settled = true;
        s.flight = undefined;
        tokens.set(s.key, stored);
        s.failure = NO_FAILURES;
        s.lastError = undefined;
        s.lastFetchAt = stored.fetchedAt;
        tell((o) => o.fetched(s.label, (stored.fetchedAt - flight.startedAt) / 1000, background));
        for (const m of live(s)) m.onToken(stored, background, stored.fetchedAt - flight.startedAt);
        reschedule(s);
        return stored;
      },
      (err: unknown) => {
        clearTimeout(deadline);
        if (flight.abandoned || s.dead) throw err;
        flight.settled = true;
        s.flight = undefined;
        tell((o) => o.failed(s.label, (s.clock() - flight.startedAt) / 1000, err));
        recordFailure(s, err, plan);
        for (const m of live(s)) m.onError(err);
        reschedule(s);
        throw err;
      },
    );
    promise.catch(() => {}); // waiters observe it; a background refresh's failure goes to 'error' listeners
    (flight as { promise: Promise<StoredToken> }).promise = promise;
    s.flight = flight;
    return flight;
  }

  function recordFailure(s: SlotState, err: unknown, plan: FetchPlan): void {
    s.failure = afterFailure(s.failure, s.clock(), isRetryable(err), plan.retry, plan.random());
    s.lastError = err;
  }

  function wait(slot: Slot, flight: Flight, signal: AbortSignal): Promise<StoredToken> {
    const s = state(slot);
    const f = flight as FlightState;
    f.waiters += 1;
    return abortable(f.promise, signal).finally(() => {
      f.waiters -= 1;
      if (f.waiters > 0 || !signal.aborted) return;
      // The last caller gave up: a closed provider lets the fetch go; a deadline or a caller's own signal make it a failed attempt.
      const reason = signal.reason;
      if (reason instanceof ProviderClosedError) drop(s, f, reason, false);
      else if (reason instanceof FetchTimeoutError) drop(s, f, new FetchTimeoutError(f.plan.fetchTimeout), true);
      else drop(s, f, new TokenUnavailableError('every caller waiting for the token fetch gave up', { cause: reason }), true);
    });
  }

  function reschedule(slot: Slot): void {
    const s = state(slot);
    if (s.dead) return;
    const stored = tokens.get(s.key);
    let wake = Infinity;
    if (stored !== undefined && s.flight === undefined) {
      const v = view(s);
      const now = s.clock();
      for (const m of live(s)) {
        const due = m.refreshDue(v, now, stored);
        if (due !== undefined && due < wake) wake = due;
      }
    }
    if (wake === Infinity) {
      if (s.timer !== undefined) clearTimeout(s.timer);
      s.timer = undefined;
      return;
    }
    if (s.timer !== undefined && s.timerAt === wake) return;
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timerAt = wake;
    s.timer = setTimeout(() => wakeUp(s), Math.max(0, Math.min(wake - s.clock(), MAX_TIMER_MS)));
    s.timer.unref?.();
  }

  function wakeUp(s: SlotState): void {
    s.timer = undefined;
    if (s.dead || s.flight !== undefined) return;
    const stored = tokens.get(s.key);
    if (stored === undefined) return;
    const now = s.clock();
    const v = view(s);
    for (const m of live(s)) {
      const due = m.refreshDue(v, now, stored);
      if (due !== undefined && due <= now) {
        fetch(s, m, true);
        return;
      }
    }
    reschedule(s);
  }

  return {
    version: 1,
    clockId(clock) {
      return clock === undefined ? 'wall' : `clock:${this.objectId(clock)}`;
    },
    objectId(value) {
      let id = objectIds.get(value);
      if (id === undefined) objectIds.set(value, (id = nextId++));
      return id;
    },
    privateKey() {
      return JSON.stringify(['private', nextId++]);
    },
    attach(key, label, clock, member, onRelease) {
      let s = slots.get(key);
      if (s === undefined) {
        const before = remembered.get(key);
        remembered.delete(key);
        s = {
          key,
          label,
          clock,
          flight: undefined,
          failure: before?.failure ?? NO_FAILURES,
          lastError: before?.lastError,
          lastFetchAt: undefined,
          members: new Set(),
          timer: undefined,
          timerAt: 0,
          dead: false,
        };
        slots.set(key, s);
      }
      const ref = new WeakRef(member);
      refs.set(member, ref);
      s.members.add(ref);
      collected.register(member, { key, ref, onRelease }, member);
      return s;
    },
    detach(slot, member) {
      const s = state(slot);
      collected.unregister(member);
      const ref = refs.get(member);
      if (ref !== undefined && s.members.has(ref)) leave(s, ref);
    },
    view,
    peek(slot) {
      return tokens.peek(state(slot).key);
    },
    current(slot) {
      return tokens.get(state(slot).key);
    },
    fetch,
    wait,
    invalidate(slot, token) {
      const t = tokens.get(state(slot).key);
      if (t === undefined || t.invalid || (token !== undefined && t.token.token !== token)) return false;
      t.invalid = true;
      reschedule(slot);
      return true;
    },
    reschedule,
    status(slot) {
      const s = state(slot);
      return {
        token: tokens.get(s.key),
        lastFetchAt: s.lastFetchAt,
        lastError: s.lastError,
        refreshing: s.flight !== undefined,
        failures: s.failure.failures,
      };
    },
    get size() {
      return slots.size;
    },
    observe(observer) {
      observers.add(observer);
      return () => {
        observers.delete(observer);
      };
    },
    *expiries() {
      for (const s of slots.values()) {
        const t = tokens.get(s.key);
        if (t !== undefined && !t.invalid) yield { label: s.label, now: s.clock(), expiresAt: t.expiresAt };
      }
    },
    bind(provider, slot) {
      bound.set(provider, state(slot));
    },
    loginRetried(provider) {
      const s = bound.get(provider);
      if (s !== undefined) tell((o) => o.loginRetried(s.label));
    },
  };
}
