import net from 'node:net';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createIamPool, InsecureTransportError, TOKEN_METRICS, tokenMetrics, TokenUnavailableError, tokenProvider, type TokenProvider } from 'dbtoken';
import { createPostgresJs, postgresPassword } from 'dbtoken/postgres';
import { mockTokenSource, staticToken } from 'dbtoken/testing';
import { postgresUsesTls } from '../../adapters/postgres-login.js';
import { startFakePostgres, type FakePostgres } from '../helpers/fake-postgres.js';

const providers: TokenProvider[] = [];
const sqls: { end(o?: { timeout?: number }): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of sqls.splice(0)) await s.end({ timeout: 0 });
  for (const p of providers.splice(0)) p.close();
});

const target = { host: 'db.example.com', port: 5432, user: 'app' };
function token(text = 'test-token', withTarget = true): TokenProvider {
  const p = staticToken(text, withTarget ? { target } : {});
  providers.push(p);
  return p;
}
function make(options: Parameters<typeof createPostgresJs>[0]) {
  const sql = createPostgresJs(options);
  sqls.push(sql);
  return sql;
}

describe('postgresUsesTls: which of postgres.js\'s ssl values always encrypt', () => {
  it.each([
    [true, true],
    ['require', true],
    ['verify-full', true],
    [{ ca: 'pem' }, true],
    [{ rejectUnauthorized: false }, true],
    [false, false],
    [undefined, false],
    [null, false],
    ['', false],
    ['prefer', false],
    ['allow', false],
  ])('%j -> %s', (ssl, expected) => {
    expect(postgresUsesTls(ssl as never)).toBe(expected);
  });
});

describe('createPostgresJs: options, before any connection', () => {
  it('returns postgres.js\'s own sql, with user, host and port from the provider', () => {
    const sql = make({ token: token(), ssl: 'verify-full', database: 'orders' });
    expect(typeof sql.begin).toBe('function');
    expect(sql.PostgresError).toBe(postgres.PostgresError);
    expect(sql.options).toMatchObject({ host: ['db.example.com'], port: [5432], user: 'app', database: 'orders' });
  });

  it.each([
    ['ssl not set', {}],
    ['ssl: false', { ssl: false }],
    ["ssl: 'prefer' (plaintext when the server says no)", { ssl: 'prefer' }],
    ["ssl: 'allow'", { ssl: 'allow' }],
    ['sslmode=disable in the url', { url: 'postgres://db.example.com/orders?sslmode=disable' }],
    ['sslmode=prefer in the url', { url: 'postgres://db.example.com/orders?sslmode=prefer' }],
    ['ssl: false over sslmode=require in the url', { url: 'postgres://db.example.com/orders?sslmode=require', ssl: false }],
  ] as const)('refuses %s with InsecureTransportError', (_name, extra) => {
    expect(() => make({ token: token(), ...extra } as never)).toThrow(InsecureTransportError);
  });

  it.each([
    ['ssl: true', { ssl: true }],
    ["ssl: 'require'", { ssl: 'require' }],
    ['ssl: { ca }', { ssl: { ca: 'pem' } }],
    ['sslmode=require in the url', { url: 'postgres://db.example.com/orders?sslmode=require' }],
    ['sslmode=verify-full in the url', { url: 'postgres://db.example.com/orders?sslmode=verify-full' }],
    ['sslrootcert=system in the url', { url: 'postgres://db.example.com/orders?sslrootcert=system' }],
    ['ssl unset with allowInsecureTransport: true', { allowInsecureTransport: true }],
  ] as const)('accepts %s', (_name, extra) => {
    expect(() => make({ token: token(), ...extra } as never)).not.toThrow();
  });

  it.each([
    ['another port on the token\'s host', { host: 'db.example.com', port: 6432 }, 'port'],
    ['another port in the url', { url: 'postgres://db.example.com:6432/orders' }, 'port'],
    ['another port and no host', { port: 6432 }, 'port'],
    ['another user', { user: 'root' }, 'user'],
    ['another user in the url', { url: 'postgres://root@db.example.com/orders' }, 'user'],
    ['two hosts', { host: 'a.example.com,b.example.com' }, 'host'],
    ['password', { password: 'hunter2' }, 'password'],
    ['pass', { pass: 'hunter2' }, 'pass'],
    ['a url that is not a string', { url: 42 }, 'url'],
    ['a password in the url (as pg\'s connectionString: a static password defeats IAM)', { url: 'postgres://app:hunter2@db.example.com/orders' }, 'url'],
    ['a password parameter in the url', { url: 'postgres://app@db.example.com/orders?sslmode=verify-full&password=hunter2' }, 'url'],
    ['a socket that is not a function', { socket: 'tcp' }, 'socket'],
  ])('refuses %s with a ConfigError', (_name, extra, field) => {
    let err: unknown;
    try {
      make({ token: token(), ssl: true, ...extra } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('keeps a tunnel host and its port', () => {
    const sql = make({ token: token(), host: 'localhost', port: 15432, ssl: true });
    expect(sql.options).toMatchObject({ host: ['localhost'], port: [15432], user: 'app' });
  });

  it('createIamPool({ driver: \'postgres\' }) gives the same sql, and refuses no TLS with InsecureTransportError', async () => {
    const sql = await createIamPool({ driver: 'postgres', token: token(), ssl: true, database: 'orders' });
    sqls.push(sql);
    expect(sql.PostgresError).toBe(postgres.PostgresError);
    expect(sql.options).toMatchObject({ host: ['db.example.com'], user: 'app' });
    await expect(createIamPool({ driver: 'postgres', token: token() })).rejects.toBeInstanceOf(InsecureTransportError);
  });
});

describe('createPostgresJs logins, against a fake server', () => {
  let server: FakePostgres | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function sqlFor(provider: TokenProvider, extra: Record<string, unknown> = {}) {
    providers.push(provider);
    return make({ token: provider, host: '127.0.0.1', port: server!.port, user: 'app', database: 'orders', fetch_types: false, allowInsecureTransport: true, ...extra });
  }

  it('a refused token is forgotten and the login retried once, replaying the startup, before postgres.js sees an error; tokenMetrics counts the retry', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ readers: [reader] });
    const recording = tokenMetrics({ meter: meters.getMeter('test') });
    server = await startFakePostgres({ accept: (password) => password !== 'mock-token-1' });
    const source = mockTokenSource();
    const sql = sqlFor(tokenProvider(source));
    await sql.unsafe('select 1');
    expect(server.logins.map((l) => l.passwords)).toEqual([['mock-token-1'], ['mock-token-2']]);
    expect(server.logins[1]!.startup).toEqual(server.logins[0]!.startup);
    expect(source.calls).toHaveLength(2);
    await reader.forceFlush();
    const retries = exporter.getMetrics().at(-1)!.scopeMetrics.flatMap((m) => m.metrics).find((m) => m.descriptor.name === TOKEN_METRICS.retries);
    expect(retries?.dataPoints.map((p) => p.value)).toEqual([1]);
    recording.close();
    await meters.shutdown();
  });

  it('a token refused twice fails the query with the server\'s 28000, after exactly two logins', async () => {
    server = await startFakePostgres({ accept: () => false });
    const sql = sqlFor(tokenProvider(mockTokenSource()));
    const err = await sql.unsafe('select 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(postgres.PostgresError);
    expect((err as { code?: string }).code).toBe('28000');
    expect(server.logins.map((l) => l.passwords)).toEqual([['mock-token-1'], ['mock-token-2']]);
  });

  it('a refusal before any password (pg_hba) is not the token\'s fault: no retry', async () => {
    server = await startFakePostgres({ refuseBeforePassword: true });
    const source = mockTokenSource();
    const sql = sqlFor(tokenProvider(source));
    const err = await sql.unsafe('select 1').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('28000');
    expect(server.logins).toHaveLength(1);
    expect(source.calls).toHaveLength(0);
  });

  it('a provider error fails the query as the provider\'s own error; nothing is sent in place of a token', async () => {
    server = await startFakePostgres();
    const source = mockTokenSource();
    source.fails(new Error('STS is down'));
    const sql = sqlFor(tokenProvider(source, { retry: { attempts: 1 } }));
    const err = await sql.unsafe('select 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenUnavailableError);
    expect(((err as Error).cause as Error).message).toBe('STS is down');
    expect(server.logins.map((l) => l.passwords)).toEqual([[]]);
  });

  it('a server that does not accept TLS gets no token: the query fails with InsecureTransportError', async () => {
    server = await startFakePostgres();
    const sql = sqlFor(token('never-sent'), { ssl: 'require', allowInsecureTransport: false, host: '127.0.0.1' });
    const err = await sql.unsafe('select 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsecureTransportError);
    expect(server.logins).toEqual([{ sslRequest: true, passwords: [] }]);
  });

  it("with allowInsecureTransport, ssl: 'prefer' falls back to plaintext as postgres.js does", async () => {
    server = await startFakePostgres();
    const sql = sqlFor(token('plain-token', false), { ssl: 'prefer' });
    await sql.unsafe('select 1');
    expect(server.logins).toEqual([expect.objectContaining({ sslRequest: true, passwords: ['plain-token'] })]);
  });

  it('a server that accepts TCP and never answers the SSLRequest: connect_timeout ends the attempt, and its socket is closed', async () => {
    const closed: Promise<void>[] = [];
    // It reads what it gets (the SSLRequest), so that it sees the client close.
    const silent = net.createServer((socket) => closed.push(new Promise((resolve) => socket.resume().on('close', () => resolve()))));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const sql = make({ token: token('never-sent'), host: '127.0.0.1', port, ssl: 'require', connect_timeout: 1 });
      const err = await sql.unsafe('select 1').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONNECT_TIMEOUT' });
      // Not left open until the server gives up: a leaked socket would keep this waiting until the test times out.
      expect(closed).toHaveLength(1);
      await closed[0];
    } finally {
      silent.close();
    }
  });

  it('a socket of your own carries the connection', async () => {
    server = await startFakePostgres();
    const opened: string[] = [];
    const socket = ({ host: [host], port: [port] }: { host: string[]; port: number[] }) => {
      opened.push(`${host}:${port}`);
      return net.connect(port, host);
    };
    const sql = sqlFor(token('own-socket', false), { socket });
    await sql.unsafe('select 1');
    expect(opened).toEqual([`127.0.0.1:${server.port}`]);
    expect(server.logins[0]!.passwords).toEqual(['own-socket']);
  });
});

describe('postgresPassword: postgres.js calls it with its parsed options as this', () => {
  const call = (fn: () => Promise<string>, self: object) => fn.call(self);
  const tls = { host: ['db.example.com'], port: [5432], user: 'app', ssl: 'verify-full' };

  it('answers with the token over TLS', async () => {
    await expect(call(postgresPassword(token('tok')), tls)).resolves.toBe('tok');
  });

  it.each([
    ['no TLS', { ...tls, ssl: false }, InsecureTransportError, undefined],
    ["ssl: 'prefer'", { ...tls, ssl: 'prefer' }, InsecureTransportError, undefined],
    ['another port on the token\'s host', { ...tls, port: [6432] }, ConfigError, 'port'],
    ['another user', { ...tls, user: 'root' }, ConfigError, 'user'],
  ])('%s: never throws (postgres.js would not catch it); gives onError the error and sends an empty password', async (_n, self, type, field) => {
    const errors: Error[] = [];
    const password = await call(postgresPassword(token('secret-tok'), { onError: (e) => errors.push(e) }), self);
    expect(password).toBe('');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(type);
    if (field) expect((errors[0] as ConfigError).field).toBe(field);
    expect(errors[0]!.message).not.toContain('secret-tok');
  });

  it('a failing provider reaches onError as its TokenUnavailableError', async () => {
    const source = mockTokenSource();
    source.fails(new Error('IAM is down'));
    const provider = tokenProvider(source, { retry: { attempts: 1 } });
    providers.push(provider);
    const errors: Error[] = [];
    expect(await call(postgresPassword(provider, { onError: (e) => errors.push(e) }), tls)).toBe('');
    expect(errors[0]).toBeInstanceOf(TokenUnavailableError);
  });

  it('allowInsecureTransport lets a token go without TLS', async () => {
    await expect(call(postgresPassword(token('tok'), { allowInsecureTransport: true }), { ...tls, ssl: false })).resolves.toBe('tok');
  });

  it('refuses a provider that is not one, at once', () => {
    expect(() => postgresPassword('nope' as never)).toThrow(ConfigError);
  });
});
