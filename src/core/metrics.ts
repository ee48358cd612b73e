import { tokenStore } from './store.js';
import { describe } from './validation.js';
import { ConfigError } from './errors.js';

/**
 * The attributes of one measurement, as {@link MetricsMeter} takes them.
 *
 * @example
 * ```ts
 * const attributes: MetricAttributes = { 'dbtoken.identity': 'mydb.abc123.us-east-1.rds.amazonaws.com:5432/app' };
 * ```
 */
export type MetricAttributes = Record<string, string | number | boolean>;

/**
 * The part of an OpenTelemetry `Meter` (from `@opentelemetry/api`) that
 * {@link tokenMetrics} uses. Spelled out here so that dbtoken's types never
 * import `@opentelemetry/api`: an application without it still type-checks.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const meter: MetricsMeter = metrics.getMeter('orders-service');
 * tokenMetrics({ meter });
 * ```
 */
export interface MetricsMeter {
  /** Makes a counter. */
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    /** Adds `value` to the counter. */
    add(value: number, attributes?: MetricAttributes): void;
  };
  /** Makes a histogram. */
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    /** Records one value. */
    record(value: number, attributes?: MetricAttributes): void;
  };
  /** Makes a gauge whose values a callback reports at each collection. */
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    /** Adds a callback that reports the gauge's values. */
    addCallback(callback: MetricsObserver): void;
    /** Removes a callback added before. */
    removeCallback(callback: MetricsObserver): void;
  };
}

/**
 * A gauge's callback, as {@link MetricsMeter} takes it.
 *
 * @example
 * ```ts
 * const observer: MetricsObserver = (result) => result.observe(42, { 'dbtoken.identity': 'db.internal:5432/app' });
 * ```
 */
export type MetricsObserver = (result: {
  /** Reports one value. */
  observe(value: number, attributes?: MetricAttributes): void;
}) => void;

/**
 * Options of {@link tokenMetrics}.
 *
 * @example
 * ```ts
 * const options: TokenMetricsOptions = { meter: metrics.getMeter('orders-service') };
 * const m = tokenMetrics(options);
 * ```
 */
export interface TokenMetricsOptions {
  /** An OpenTelemetry `Meter`, such as `metrics.getMeter('my-service')`. */
  meter: MetricsMeter;
}

/**
 * What {@link tokenMetrics} returns.
 *
 * @example
 * ```ts
 * const m: TokenMetrics = tokenMetrics({ meter });
 * process.once('SIGTERM', () => m.close());
 * ```
 */
export interface TokenMetrics {
  /** Stops recording. Idempotent. */
  close(): void;
}

/**
 * The names of the metrics {@link tokenMetrics} records, for dashboards and alerts.
 *
 * @example
 * ```ts
 * import { TOKEN_METRICS } from 'dbtoken';
 * // alert when a token is about to expire and cannot be refreshed
 * const query = `min(${TOKEN_METRICS.timeToExpiry}) < 120`;
 * ```
 */
export const TOKEN_METRICS = {
  /** Counter `{fetch}`: token fetches that succeeded. Attributes: `dbtoken.identity`, `dbtoken.background`. */
  fetches: 'dbtoken.token.fetches',
  /** Counter `{fetch}`: token fetches that failed, timed out or were given up. Attributes: `dbtoken.identity`, `error.type`. */
  failures: 'dbtoken.token.fetch.failures',
  /** Counter `{login}`: logins the database refused, retried with a fresh token. Attributes: `dbtoken.identity`. */
  retries: 'dbtoken.login.retries',
  /** Counter `{login}`: logins the database refused for its login rate, retried with the same token. Attributes: `dbtoken.identity`. */
  throttled: 'dbtoken.login.throttled',
  /** Histogram `s`: how long a fetch took, failed or not. Attributes: `dbtoken.identity`, `dbtoken.outcome`. */
  duration: 'dbtoken.token.fetch.duration',
  /** Gauge `s`: time left until the cached token expires, per identity. Attributes: `dbtoken.identity`. */
  timeToExpiry: 'dbtoken.token.time_to_expiry',
} as const;

function errorType(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const { code, name } = err as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code)) return code;
    if (typeof name === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(name)) return name;
  }
  return '_OTHER';
}

/**
 * Records OpenTelemetry metrics for every token provider in this process
 * (whichever build of dbtoken made it), until `close()`:
 *
 * - `dbtoken.token.fetches` and `dbtoken.token.fetch.failures` (counters);
 * - `dbtoken.login.retries` (counter): logins the database refused that an
 *   adapter retried once with a fresh token;
 * - `dbtoken.login.throttled` (counter): logins the database refused for
 *   its login rate, which an adapter retried with the same token;
 * - `dbtoken.token.fetch.duration` (histogram, seconds);
 * - `dbtoken.token.time_to_expiry` (gauge, seconds) for each cached token.
 *
 * Every measurement carries `dbtoken.identity`: `host:port/user` for AWS
 * and targets, the scope for OCI db-tokens, `heatwave:<profile>` for
 * HeatWave. Its cardinality is the number of distinct identities the process
 * uses (one per database user, typically a handful), and it never holds a
 * key, a token or a credential. `@opentelemetry/api` is an optional peer:
 * dbtoken only calls the meter you pass.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * import { tokenMetrics } from 'dbtoken';
 * const recording = tokenMetrics({ meter: metrics.getMeter('orders-service') });
 * // ... on shutdown
 * recording.close();
 * ```
 */
export function tokenMetrics(options: TokenMetricsOptions): TokenMetrics {
  const meter = (options as Partial<TokenMetricsOptions> | undefined)?.meter;
  if (meter === undefined || meter === null || typeof meter.createCounter !== 'function' || typeof meter.createHistogram !== 'function' || typeof meter.createObservableGauge !== 'function') {
    throw new ConfigError('meter', `must be an OpenTelemetry Meter, got ${describe(meter)}`, "pass metrics.getMeter('<your service>') from @opentelemetry/api");
  }
  const store = tokenStore();
  const fetches = meter.createCounter(TOKEN_METRICS.fetches, { description: 'Token fetches that succeeded', unit: '{fetch}' });
  const failures = meter.createCounter(TOKEN_METRICS.failures, { description: 'Token fetches that failed, timed out or were given up', unit: '{fetch}' });
  const retries = meter.createCounter(TOKEN_METRICS.retries, { description: 'Logins the database refused, retried once with a fresh token', unit: '{login}' });
  const throttled = meter.createCounter(TOKEN_METRICS.throttled, { description: 'Logins the database refused for its login rate, retried with the same token', unit: '{login}' });
  const duration = meter.createHistogram(TOKEN_METRICS.duration, { description: 'How long a token fetch took', unit: 's' });
  const expiry = meter.createObservableGauge(TOKEN_METRICS.timeToExpiry, { description: 'Time left until the cached token expires', unit: 's' });
  const observeExpiry: MetricsObserver = (result) => {
    for (const identity of store.identities()) {
      const t = identity.peek();
      if (t !== undefined && !t.invalid) result.observe((t.expiresAt - identity.clock()) / 1000, { 'dbtoken.identity': identity.label });
    }
  };
  expiry.addCallback(observeExpiry);
  const stop = store.on((e) => {
    if (e.type === 'fetched') {
      fetches.add(1, { 'dbtoken.identity': e.label, 'dbtoken.background': e.background });
      duration.record(e.seconds, { 'dbtoken.identity': e.label, 'dbtoken.outcome': 'success' });
    } else if (e.type === 'failed') {
      failures.add(1, { 'dbtoken.identity': e.label, 'error.type': errorType(e.error) });
      duration.record(e.seconds, { 'dbtoken.identity': e.label, 'dbtoken.outcome': 'failure' });
    } else {
      (e.type === 'login-retried' ? retries : throttled).add(1, { 'dbtoken.identity': e.label });
    }
  });
  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      stop();
      expiry.removeCallback(observeExpiry);
    },
  };
}
