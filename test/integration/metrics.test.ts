import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loginThrottled, TOKEN_METRICS, tokenMetrics, tokenProvider, type TokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool } from 'dbtoken/pg';
import { mockTokenSource } from 'dbtoken/testing';
import { REGION, staticKeys } from '../helpers/aws.js';
import { startIamPostgres, type IamPostgres } from '../helpers/iam-postgres.js';

let db: IamPostgres;
beforeAll(async () => {
  db = await startIamPostgres();
});
afterAll(async () => {
  await db?.stop();
});

/** An OpenTelemetry SDK meter whose metrics the test reads through the in-memory exporter. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('dbtoken-test'),
    async collect() {
      await reader.forceFlush();
      const all: ResourceMetrics[] = exporter.getMetrics();
      const last = all.at(-1)!;
      return last.scopeMetrics.flatMap((s) => s.metrics);
    },
    shutdown: () => provider.shutdown(),
  };
}

describe('tokenMetrics', () => {
  it('records fetches, failures, retried logins, fetch durations and time to expiry, with the identity and no secret', async () => {
    const otel = sdk();
    const recording = tokenMetrics({ meter: otel.meter });
    const providers: TokenProvider[] = [];
    const pool = (() => {
      const token = awsRdsToken({ hostname: '127.0.0.1', port: db.port, username: 'iam_alice', region: REGION, credentials: staticKeys });
      providers.push(token);
      return createPgPool({ token, database: 'postgres', ssl: { ca: db.ca }, max: 2 });
    })();
    try {
      // A fetch, then a login the server refuses (the token revoked at the verifier): retried once with a fresh token.
      const first = await providers[0]!.getToken();
      db.revoked.add(first.token);
      await new Promise((r) => setTimeout(r, 1_100)); // a new signing second, so the fresh token differs
      const { rows } = await pool.query('select session_user as u');
      expect(rows[0].u).toBe('iam_alice');
      // A throttle that retry logic of the application's own saw.
      loginThrottled(providers[0]!);
      // A failing source with an identity of its own.
      const failing = tokenProvider(mockTokenSource().outage(Object.assign(new Error('IAM down'), { code: 'ServiceUnavailable' })), {
        target: { host: 'db.example.internal', port: 5432, user: 'reporter' },
        retry: { attempts: 1 },
      });
      providers.push(failing);
      await failing.getToken().catch(() => {});

      const collectFrom = Date.now();
      const metrics = await otel.collect();
      const collectTo = Date.now();
      const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
      expect([...byName.keys()].sort()).toEqual(Object.values(TOKEN_METRICS).sort());
      const identity = `127.0.0.1:${db.port}/iam_alice`;

      const fetches = byName.get(TOKEN_METRICS.fetches)!;
      expect(fetches.descriptor.unit).toBe('{fetch}');
      const fetched = fetches.dataPoints.filter((p) => p.attributes['dbtoken.identity'] === identity);
      expect(fetched.reduce((n, p) => n + (p.value as number), 0)).toBe(2);
      expect(Object.keys(fetched[0]!.attributes).sort()).toEqual(['dbtoken.background', 'dbtoken.identity']);

      const failures = byName.get(TOKEN_METRICS.failures)!;
      expect(failures.dataPoints).toHaveLength(1);
      expect(failures.dataPoints[0]!.attributes).toEqual({ 'dbtoken.identity': 'db.example.internal:5432/reporter', 'error.type': 'ServiceUnavailable' });
      expect(failures.dataPoints[0]!.value).toBe(1);

      const throttled = byName.get(TOKEN_METRICS.throttled)!;
      expect(throttled.descriptor.unit).toBe('{login}');
      expect(throttled.dataPoints).toEqual([expect.objectContaining({ attributes: { 'dbtoken.identity': identity }, value: 1 })]);
      const retries = byName.get(TOKEN_METRICS.retries)!;
      expect(retries.descriptor.unit).toBe('{login}');
      expect(retries.dataPoints).toEqual([expect.objectContaining({ attributes: { 'dbtoken.identity': identity }, value: 1 })]);

      const duration = byName.get(TOKEN_METRICS.duration)!;
      expect(duration.descriptor.unit).toBe('s');
      expect(duration.dataPoints.map((p) => p.attributes['dbtoken.outcome']).sort()).toEqual(['failure', 'success']);

      const expiry = byName.get(TOKEN_METRICS.timeToExpiry)!;
      expect(expiry.descriptor.unit).toBe('s');
      const left = expiry.dataPoints.find((p) => p.attributes['dbtoken.identity'] === identity)!.value as number;
      // The seconds the current token had left when the gauge was read, whenever that was.
      const expiresAt = (await providers[0]!.getToken()).expiresAt.getTime();
      expect(left).toBeGreaterThanOrEqual(Math.floor((expiresAt - collectTo) / 1000) - 1);
      expect(left).toBeLessThanOrEqual(Math.ceil((expiresAt - collectFrom) / 1000));

      // No token, key or credential anywhere in what was exported.
      const exported = JSON.stringify(metrics);
      const fresh = await providers[0]!.getToken();
      for (const secret of [first.token, fresh.token, staticKeys.secretAccessKey, staticKeys.accessKeyId, first.token.split('X-Amz-Signature=')[1]!]) {
        expect(exported.includes(secret), 'a token, key or credential in the exported metrics').toBe(false);
      }

      // After close(), nothing more is recorded.
      recording.close();
      recording.close();
      await providers[0]!.getToken({ forceRefresh: true });
      const after = new Map((await otel.collect()).map((m) => [m.descriptor.name, m]));
      const total = (after.get(TOKEN_METRICS.fetches)?.dataPoints ?? []).reduce((n, p) => n + (p.value as number), 0);
      expect(total).toBe(2);
    } finally {
      recording.close();
      await pool.end();
      for (const p of providers) p.close();
      await otel.shutdown();
    }
  });

  it('refuses anything but a meter, naming the field', () => {
    expect(() => tokenMetrics({ meter: {} as never })).toThrow(ConfigError);
    expect(() => tokenMetrics(undefined as never)).toThrow(expect.objectContaining({ field: 'meter' }));
  });
});
