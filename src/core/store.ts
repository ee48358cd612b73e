import { LRUCache } from 'lru-cache';
import { Identity, type Remains, type StoreEvent } from './identity.js';

export { isRetryable, type Entry, type FetchPlan, type Flight, type Reader, type ReaderEvent, type StoreEvent, type StoredToken } from './identity.js';
export type { Identity } from './identity.js';

/**
 * The token store: one per process, shared by every provider (and by both
 * builds of this package, through a global keyed by the store's version).
 * It keeps identities, each with its token, fetch in flight and failure
 * state (identity.ts), and nothing else: metrics and adapters listen to its
 * events. It holds no per-provider settings: each provider reads the shared
 * token with its own rules (see `decide` in policy.ts).
 */
export interface TokenStore {
  readonly version: 2;
  /**
   * The identity `key`, created on first use (named `label` in metrics) and
   * started with what the bounded cache still holds for it: its token, if
   * still usable by the identity's clock, and its failure state. A
   * `private` identity (a provider's own, under a {@link newKey}) is not
   * kept once its provider is gone: nothing could ask for it again.
   */
  identity(key: string, label: string, clock: () => number, options?: { private?: boolean }): Identity;
  /** Identities with at least one live provider (metrics gauges, tests, the bench). */
  identities(): Iterable<Identity>;
  /** A number that stands for `value` (a credentials function, a clock) in identity keys, the same for every build. */
  idOf(value: object): number;
  /** A key no other provider has. */
  newKey(): string;
  /** Fetches, failures and retried logins of every identity (metrics). Returns the unsubscribe function. */
  on(listener: (event: StoreEvent) => void): () => void;
  emit(event: StoreEvent): void;
}

/**
 * How many identities that no live provider holds keep their still-valid
 * token (each until it goes stale) and their failure state, least recently
 * used dropped first. A provider created again for such an identity (one
 * made per request, say) starts with its token instead of fetching, and
 * during an outage it backs off as its predecessor did. Tokens of
 * identities that a live provider holds are never dropped, however many.
 *
 * @example
 * ```ts
 * import { MAX_CACHED_TOKENS } from 'dbtoken';
 * // providers made per request for many tenants: past this many idle tenants, the least recently used fetches again
 * if (tenantDatabases.length > MAX_CACHED_TOKENS) console.warn('more idle tenants than dbtoken keeps tokens for');
 * ```
 */
export const MAX_CACHED_TOKENS = 1000;

const STORE = Symbol.for('dbtoken.store.v2');

/** The process's token store, created by whichever build of dbtoken asks first. */
export function tokenStore(): TokenStore {
  const g = globalThis as { [STORE]?: TokenStore };
  return (g[STORE] ??= createStore());
}

/** What a dropped identity leaves in the bounded cache. */
interface Dormant extends Remains {
  readonly label: string;
}

function createStore(): TokenStore {
  const live = new Map<string, Identity>();
  // Its own clock (performance.now) runs the TTL; an identity's injected clock is checked when an entry is taken back.
  const dormant = new LRUCache<string, Dormant>({ max: MAX_CACHED_TOKENS });
  const ids = new WeakMap<object, number>();
  const unkept = new WeakSet<Identity>();
  const listeners = new Set<(event: StoreEvent) => void>();
  let nextId = 0;

  const hooks = {
    emit(event: StoreEvent): void {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          // metrics must never break token delivery
        }
      }
    },
    released(identity: Identity, remains: Remains): void {
      if (live.get(identity.key) === identity) live.delete(identity.key);
      const now = identity.clock();
      const token = remains.token !== undefined && !remains.token.invalid && now < remains.token.staleAt ? remains.token : undefined;
      const until = Math.max(token?.staleAt ?? -Infinity, remains.failure.failures > 0 ? remains.failure.retryAt : -Infinity);
      if (until > now && !unkept.has(identity)) dormant.set(identity.key, { ...remains, token, label: identity.label }, { ttl: Math.ceil(until - now) });
      else dormant.delete(identity.key);
    },
  };

  return {
    version: 2,
    identity(key, label, clock, options) {
      let identity = live.get(key);
      if (identity !== undefined) return identity;
      const before = dormant.get(key);
      dormant.delete(key);
      const now = clock();
      const remains: Remains | undefined =
        before === undefined
          ? undefined
          : {
              token: before.token !== undefined && now < before.token.staleAt && now >= before.token.fetchedAt ? before.token : undefined,
              failure: before.failure,
              lastError: before.lastError,
            };
      identity = new Identity(key, label, clock, hooks, remains);
      if (options?.private === true) unkept.add(identity);
      live.set(key, identity);
      return identity;
    },
    identities() {
      return live.values();
    },
    idOf(value) {
      let id = ids.get(value);
      if (id === undefined) ids.set(value, (id = nextId++));
      return id;
    },
    newKey() {
      return JSON.stringify(['private', nextId++]);
    },
    on(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    emit: hooks.emit,
  };
}
