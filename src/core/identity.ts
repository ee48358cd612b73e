import { abortable } from './abort.js';
import { ConfigError, FetchTimeoutError, ProviderClosedError, TokenUnavailableError } from './errors.js';
import { afterFailure, NO_FAILURES, type EntryView, type FailureState, type RetrySettings } from './policy.js';
import { redactToken, type DbToken } from './token.js';

/**
 * One identity's data: the token its source returned, the fetch in flight,
 * and the failure state, shared by every provider (reader) of the identity.
 * Readers apply their own rules when they read (`decide` in policy.ts); the
 * identity only acts on what they ask, and tells them after its state is
 * committed.
 */

/** A token as an identity keeps it. Never mutated: invalidating it replaces it. */
export interface StoredToken {
  readonly token: DbToken;
  /** Identity clock when the fetch completed. */
  readonly fetchedAt: number;
  readonly expiresAt: number;
  readonly invalid: boolean;
  /** From here on, no reader of the provider that fetched it may hand it out (its `minValidity`). */
  readonly staleAt: number;
}

/** How one reader fetches. */
export interface FetchPlan {
  readonly source: (ctx: { signal: AbortSignal }) => Promise<DbToken>;
  /** Deadline of the fetch (ms); 0 for none. */
  readonly fetchTimeout: number;
  /** A token with no more than this left is a failed fetch. */
  readonly minValidity: number;
  readonly retry: RetrySettings;
  readonly random: () => number;
}

/** What a reader reads: the shared data, no settings. */
export interface Entry extends EntryView {
  readonly token: StoredToken | undefined;
  /** The last failure, while `failures` > 0 (a source may reject with anything, `undefined` included). */
  readonly lastError: unknown;
}

/** What an identity tells its readers, after the fact. */
export type ReaderEvent =
  | { readonly type: 'token'; readonly stored: StoredToken; readonly background: boolean; readonly elapsedMs: number }
  | { readonly type: 'error'; readonly error: unknown };

/** A provider as an identity sees it; held weakly, so that a dropped provider is collected. */
export interface Reader {
  readonly plan: FetchPlan;
  /** When this reader wants a background refresh of `entry`'s token: only if it handed that token out. */
  wakeAt(entry: Entry, now: number): number | undefined;
  notify(event: ReaderEvent): void;
}

/** The process-wide events metrics listen to. `label` names an identity, never a secret. */
export type StoreEvent =
  | { readonly type: 'fetched'; readonly label: string; readonly seconds: number; readonly background: boolean }
  | { readonly type: 'failed'; readonly label: string; readonly seconds: number; readonly error: unknown }
  | { readonly type: 'login-retried' | 'login-throttled'; readonly label: string };

/** One fetch in flight, in one of three named states. */
export interface Flight {
  readonly promise: Promise<StoredToken>;
  readonly background: boolean;
  readonly signal: AbortSignal;
  readonly state: 'running' | 'settled' | 'abandoned';
}

/** What an identity leaves behind when its last reader goes (see the store's bounded cache). */
export interface Remains {
  readonly token: StoredToken | undefined;
  readonly failure: FailureState;
  readonly lastError: unknown;
}

/** How a flight ends: each outcome is settled in one place, {@link Identity.settle}. */
type Outcome =
  | { readonly kind: 'token'; readonly stored: StoredToken }
  | { readonly kind: 'failed'; readonly error: unknown }
  /** Let go without counting: its provider closed, or no caller waits for a fetch with no deadline. */
  | { readonly kind: 'abandoned'; readonly reason: unknown };

interface FlightRecord extends Flight {
  state: 'running' | 'settled' | 'abandoned';
  readonly controller: AbortController;
  /** The reader whose source runs. */
  readonly owner: WeakRef<Reader>;
  readonly plan: FetchPlan;
  readonly startedAt: number;
  waiters: number;
  deadline: ReturnType<typeof setTimeout> | undefined;
  resolve(stored: StoredToken): void;
  reject(err: unknown): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

interface Joined {
  readonly identity: Identity;
  readonly ref: WeakRef<Reader>;
  readonly onRelease: (() => void) | undefined;
}

const collected = new FinalizationRegistry<Joined>(({ identity, ref, onRelease }) => {
  identity.leave(ref);
  onRelease?.();
});

/** A ConfigError (of either build), or an error a source marked `retryable: false`, will not get better by retrying. */
export function isRetryable(err: unknown): boolean {
  const e = err as { name?: unknown; retryable?: unknown } | null;
  return !(err instanceof ConfigError) && e?.name !== 'ConfigError' && e?.retryable !== false;
}

/** An identity: what the store keeps per key. */
export class Identity {
  #token: StoredToken | undefined;
  #failure: FailureState;
  #lastError: unknown;
  #flight: FlightRecord | undefined;
  readonly #readers = new Set<WeakRef<Reader>>();
  readonly #refs = new WeakMap<Reader, WeakRef<Reader>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;
  #gone = false;
  /** Logins refused for the database's login rate (`loginThrottled`). */
  throttled = 0;

  constructor(
    readonly key: string,
    /** How metrics name it: host:port/user, a scope. Never a secret. */
    readonly label: string,
    readonly clock: () => number,
    readonly hooks: { emit(e: StoreEvent): void; released(identity: Identity, remains: Remains): void },
    remains?: Remains,
  ) {
    this.#token = remains?.token;
    this.#failure = remains?.failure ?? NO_FAILURES;
    this.#lastError = remains?.lastError;
  }

  /** The shared data, as of now. */
  read(): Entry {
    return { token: this.#token, fetching: this.#current() !== undefined, ...this.#failure, lastError: this.#lastError };
  }

  /**
   * The fetch in flight, unless its deadline has passed by the clock while
   * its timer has not fired (the process was frozen, and thawed): that fetch
   * is let go, without counting as a failure, and no caller joins it.
   */
  #current(): FlightRecord | undefined {
    const f = this.#flight;
    if (f !== undefined && f.plan.fetchTimeout > 0 && this.clock() - f.startedAt >= f.plan.fetchTimeout) {
      this.settle(f, { kind: 'abandoned', reason: new FetchTimeoutError(f.plan.fetchTimeout, 'the token source did not answer (the process was frozen)') });
    }
    return this.#flight;
  }

  /** The cached token, for the hot path. */
  peek(): StoredToken | undefined {
    return this.#token;
  }

  /** Live readers. */
  get readers(): number {
    return this.#readers.size;
  }

  /**
   * Adds a reader, held weakly. Returns `leave()`. `onRelease` runs once the
   * reader is collected without leaving; it must not reference the reader.
   */
  join(reader: Reader, onRelease?: () => void): () => void {
    const ref = new WeakRef(reader);
    this.#refs.set(reader, ref);
    this.#readers.add(ref);
    collected.register(reader, { identity: this, ref, onRelease }, reader);
    return () => {
      collected.unregister(reader);
      this.leave(ref);
    };
  }

  /** A reader goes: the fetch it started is let go, and the identity goes with its last reader. */
  leave(ref: WeakRef<Reader>): void {
    if (!this.#readers.delete(ref)) return;
    const f = this.#flight;
    if (f !== undefined && (f.owner === ref || this.#readers.size === 0)) this.settle(f, { kind: 'abandoned', reason: new ProviderClosedError() });
    if (this.#readers.size > 0) {
      this.pulse();
      return;
    }
    this.#gone = true;
    this.#disarm();
    this.hooks.released(this, { token: this.#token, failure: this.#failure, lastError: this.#lastError });
  }

  /** A reader handed `stored` out: when the next background refresh is due may have changed. */
  served(): void {
    this.pulse();
  }

  /** Forgets the cached token, or only `token` when given; false when there was nothing to forget. */
  invalidate(token?: string): boolean {
    const t = this.#token;
    if (t === undefined || t.invalid || (token !== undefined && t.token.token !== token)) return false;
    this.#token = { ...t, invalid: true };
    this.pulse();
    return true;
  }

  /**
   * The source has new evidence (a token file was rewritten): the cached
   * token is forgotten and any rest after failed rounds ends, so the next
   * caller fetches at once.
   */
  renew(): void {
    this.#failure = NO_FAILURES;
    this.#lastError = undefined;
    if (!this.invalidate()) this.pulse();
  }

  /**
   * The source found a problem outside a fetch (its token file went
   * missing): it shows in `status()` as a failure, while a still-valid
   * cached token is kept and no rest begins.
   */
  report(problem: unknown): void {
    this.#failure = { ...this.#failure, failures: this.#failure.failures + 1 };
    this.#lastError = problem;
  }

  /** Joins the fetch in flight, or starts one with `reader`'s source and plan. */
  fetch(reader: Reader, background: boolean): Flight {
    const current = this.#current();
    if (current !== undefined) return current;
    const plan = reader.plan;
    const controller = new AbortController();
    let resolve!: (s: StoredToken) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<StoredToken>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // waiters observe it; a background refresh's failure goes to 'error' listeners
    const flight: FlightRecord = {
      promise,
      background,
      signal: controller.signal,
      state: 'running',
      controller,
      owner: this.#refs.get(reader) ?? new WeakRef(reader),
      plan,
      startedAt: this.clock(),
      waiters: 0,
      deadline: undefined,
      resolve,
      reject,
    };
    this.#flight = flight;
    if (plan.fetchTimeout > 0) {
      flight.deadline = setTimeout(() => this.settle(flight, { kind: 'failed', error: new FetchTimeoutError(plan.fetchTimeout) }), Math.min(plan.fetchTimeout, MAX_TIMER_MS));
      flight.deadline.unref?.();
    }
    this.#disarm();
    this.#run(flight).then(
      (stored) => this.settle(flight, { kind: 'token', stored }),
      (error: unknown) => this.settle(flight, { kind: 'failed', error }),
    );
    return flight;
  }

  async #run(f: FlightRecord): Promise<StoredToken> {
    const { plan, controller } = f;
    const raw = await abortable(
      Promise.resolve().then(() => {
        // Let go before it even started (closed in the same tick): the source is never called.
        if (controller.signal.aborted) throw controller.signal.reason;
        return plan.source({ signal: controller.signal });
      }),
      controller.signal,
    );
    const token = redactToken(raw);
    const fetchedAt = this.clock();
    const expiresAt = token.expiresAt.getTime();
    if (expiresAt - fetchedAt <= plan.minValidity) {
      throw new TokenUnavailableError(
        `the token source returned a token valid for ${Math.round((expiresAt - fetchedAt) / 1000)} s, ` +
          `which is not more than minValidity (${plan.minValidity / 1000} s); check the source and the clock`,
      );
    }
    return { token, fetchedAt, expiresAt, invalid: false, staleAt: expiresAt - plan.minValidity };
  }

  /**
   * Waits for `flight` until `signal` aborts. A caller that gives up ends only
   * its own wait: the fetch runs on to its deadline and its token is kept.
   * A fetch with no deadline is let go once no caller waits for it, so that
   * a hung source cannot hold every later caller; that is no failure either.
   */
  wait(flight: Flight, signal: AbortSignal): Promise<StoredToken> {
    const f = flight as FlightRecord;
    f.waiters += 1;
    return abortable(f.promise, signal).finally(() => {
      f.waiters -= 1;
      if (f.waiters === 0 && signal.aborted && f.plan.fetchTimeout === 0) {
        this.settle(f, { kind: 'abandoned', reason: new TokenUnavailableError('every caller waiting for the token fetch gave up', { cause: signal.reason }) });
      }
    });
  }

  /** Where every flight ends: the state is committed first, then readers and metrics are told. */
  settle(f: FlightRecord, outcome: Outcome): void {
    if (f.state !== 'running') return;
    f.state = outcome.kind === 'abandoned' ? 'abandoned' : 'settled';
    clearTimeout(f.deadline);
    if (this.#flight === f) this.#flight = undefined;
    const seconds = (this.clock() - f.startedAt) / 1000;
    if (outcome.kind === 'token') {
      this.#token = outcome.stored;
      this.#failure = NO_FAILURES;
      this.#lastError = undefined;
      f.resolve(outcome.stored);
    } else {
      const reason = outcome.kind === 'failed' ? outcome.error : outcome.reason;
      f.controller.abort(reason);
      if (outcome.kind === 'failed' && !this.#gone) {
        this.#failure = afterFailure(this.#failure, this.clock(), isRetryable(reason), f.plan.retry, f.plan.random());
        this.#lastError = reason;
      }
      f.reject(reason);
    }
    if (this.#gone || outcome.kind === 'abandoned') {
      if (!this.#gone) this.pulse();
      return;
    }
    this.pulse();
    const event: ReaderEvent =
      outcome.kind === 'token'
        ? { type: 'token', stored: outcome.stored, background: f.background, elapsedMs: outcome.stored.fetchedAt - f.startedAt }
        : { type: 'error', error: outcome.error };
    for (const r of this.#live()) r.notify(event);
    this.hooks.emit(
      outcome.kind === 'token'
        ? { type: 'fetched', label: this.label, seconds, background: f.background }
        : { type: 'failed', label: this.label, seconds, error: outcome.error },
    );
  }

  #live(): Reader[] {
    const out: Reader[] = [];
    for (const ref of this.#readers) {
      const r = ref.deref();
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** Arms the one refresh timer for the earliest wake-up any reader asks for (guard clauses, in priority order). */
  pulse(): void {
    if (this.#gone || this.#flight !== undefined || this.#token === undefined) return this.#disarm();
    const entry = this.read();
    const now = this.clock();
    let wake = Infinity;
    for (const r of this.#live()) {
      const at = r.wakeAt(entry, now);
      if (at !== undefined && at < wake) wake = at;
    }
    if (wake === Infinity) return this.#disarm();
    if (this.#timer !== undefined && this.#timerAt === wake) return;
    this.#disarm();
    this.#timerAt = wake;
    // Past a second, whole seconds (up to one late, harmless in a refresh window): Node keeps a list for every
    // distinct delay it has seen, and jittered schedules re-armed by many providers would each leave one.
    const delay = Math.max(0, Math.min(wake - now, MAX_TIMER_MS));
    this.#timer = setTimeout(() => this.#wake(), delay < 1_000 ? delay : Math.min(Math.ceil(delay / 1_000) * 1_000, MAX_TIMER_MS));
    this.#timer.unref?.();
  }

  #wake(): void {
    this.#timer = undefined;
    if (this.#gone || this.#flight !== undefined || this.#token === undefined) return;
    const entry = this.read();
    const now = this.clock();
    for (const r of this.#live()) {
      const at = r.wakeAt(entry, now);
      if (at !== undefined && at <= now) {
        this.fetch(r, true);
        return;
      }
    }
    this.pulse();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
