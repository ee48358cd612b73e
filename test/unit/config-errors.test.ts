import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, createIamPool, DbTokenError, InsecureTransportError, tokenProvider } from 'dbtoken';
import { awsRdsToken } from 'dbtoken/aws';
import { createPgPool, pgPassword } from 'dbtoken/pg';
import { createMysql2Pool, mysql2AuthPlugins } from 'dbtoken/mysql2';
import { staticToken } from 'dbtoken/testing';

const host = 'mydb.c9akciq32.us-east-1.rds.amazonaws.com';
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'SECRET-ACCESS-KEY-MUST-NOT-LEAK' };
const okSource = async () => ({ token: 't', expiresAt: new Date(Date.now() + 3_600_000) });

let connectSpy: ReturnType<typeof vi.spyOn>;
let credentialCalls = 0;
const credentialFn = async () => {
  credentialCalls++;
  return creds;
};

beforeEach(() => {
  connectSpy = vi.spyOn(net.Socket.prototype, 'connect');
  credentialCalls = 0;
});
afterEach(() => {
  expect(connectSpy).not.toHaveBeenCalled(); // no network call was made
  expect(credentialCalls).toBe(0); // nor were credentials resolved
  connectSpy.mockRestore();
});

type Case = [name: string, field: string, run: () => unknown];

/** Runs `fn` with no AWS region in the environment and no AWS config file, plus `env`. */
function withoutAwsSettings<T>(fn: () => T, env: Record<string, string> = {}): T {
  const settings = { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent/aws/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials', ...env };
  for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
  try {
    return fn();
  } finally {
    vi.unstubAllEnvs();
  }
}

const cases: Case[] = [
  // tokenProvider
  ['a source that is not a function', 'source', () => tokenProvider('not a function' as never)],
  ['options that are not an object', 'options', () => tokenProvider(okSource, 5 as never)],
  ['a negative minValidity', 'minValidity', () => tokenProvider(okSource, { minValidity: -1 })],
  ['a refreshBefore of NaN', 'refreshBefore', () => tokenProvider(okSource, { refreshBefore: Number.NaN })],
  ['a refreshBefore shorter than minValidity', 'refreshBefore', () => tokenProvider(okSource, { refreshBefore: 10_000, minValidity: 30_000 })],
  ['a refreshBefore longer than the lifetime', 'refreshBefore', () => tokenProvider(okSource, { refreshBefore: 20 * 60_000, lifetime: 15 * 60_000 })],
  ['a clock that is not a function', 'clock', () => tokenProvider(okSource, { clock: Date.now() as never })],
  ['zero retry attempts', 'retry.attempts', () => tokenProvider(okSource, { retry: { attempts: 0 } })],
  ['a retry delay of -5', 'retry.baseMs', () => tokenProvider(okSource, { retry: { baseMs: -5 } })],
  ['an empty cacheKey', 'cacheKey', () => tokenProvider(okSource, { cacheKey: '' })],
  // awsRdsToken
  ['config that is not an object', 'config', () => awsRdsToken(undefined as never)],
  ['a missing hostname', 'hostname', () => awsRdsToken({ username: 'app', region: 'us-east-1' } as never)],
  ['a hostname with a scheme', 'hostname', () => awsRdsToken({ hostname: `postgres://${host}`, username: 'app' })],
  ['a hostname with a port', 'hostname', () => awsRdsToken({ hostname: `${host}:5432`, username: 'app' })],
  ['a missing username', 'username', () => awsRdsToken({ hostname: host } as never)],
  ['an empty username', 'username', () => awsRdsToken({ hostname: host, username: '  ' })],
  ['a port out of range', 'port', () => awsRdsToken({ hostname: host, port: 70000, username: 'app' })],
  ['a port given as a string', 'port', () => awsRdsToken({ hostname: host, port: '5432' as never, username: 'app' })],
  ['a region that cannot be inferred', 'region', () => withoutAwsSettings(() => awsRdsToken({ hostname: 'db.internal.example.com', username: 'app' }))],
  ['a malformed AWS_REGION', 'region', () => withoutAwsSettings(() => awsRdsToken({ hostname: 'db.internal.example.com', username: 'app' }), { AWS_REGION: 'moon' })],
  ['a region that is no region', 'region', () => awsRdsToken({ hostname: host, username: 'app', region: 'useast1' })],
  ['credentials without a secret', 'credentials.secretAccessKey', () => awsRdsToken({ hostname: host, username: 'app', credentials: { accessKeyId: 'AKID' } as never })],
  ['credentials of the wrong type', 'credentials', () => awsRdsToken({ hostname: host, username: 'app', credentials: 'AKID:secret' as never })],
  ['a refreshBefore longer than the 15-minute RDS lifetime', 'refreshBefore', () => awsRdsToken({ hostname: host, username: 'app', credentials: credentialFn }, { refreshBefore: 16 * 60_000 })],
  // pg adapter
  ['a pool without a token provider', 'token', () => createPgPool({ host, ssl: true } as never)],
  ['a token that is a string, not a provider', 'token', () => createPgPool({ token: 'secret' as never, host, ssl: true })],
  ['a static password next to the provider', 'password', () => createPgPool({ token: staticToken('x'), host, ssl: true, password: 'hunter2' } as never)],
  ['a pool user that differs from the token user', 'user', () => createPgPool({ token: awsRdsToken({ hostname: host, username: 'app', credentials: credentialFn }), user: 'admin', ssl: true })],
  ['allowInsecureTransport as a string', 'allowInsecureTransport', () => createPgPool({ token: staticToken('x'), host, ssl: true, allowInsecureTransport: 'yes' as never })],
  ['pgPassword without a provider', 'provider', () => pgPassword(undefined as never)],
  ['a pg pool on the token\'s host but another port', 'port', () => createPgPool({ token: awsRdsToken({ hostname: host, username: 'app', credentials: credentialFn }), host, port: 6432, ssl: true })],
  // mysql2 adapter
  ['a mysql2 pool without a token provider', 'token', () => createMysql2Pool({ host, ssl: {} } as never)],
  ['a mysql2 pool with a static password', 'password', () => createMysql2Pool({ token: staticToken('x'), host, ssl: {}, password: 'hunter2' } as never)],
  ['a mysql2 pool with its own authPlugins', 'authPlugins', () => createMysql2Pool({ token: staticToken('x'), host, ssl: {}, authPlugins: {} } as never)],
  ['a mysql2 pool given a uri', 'uri', () => createMysql2Pool({ token: staticToken('x'), uri: 'mysql://u@h/db', ssl: {} })],
  ['a mysql2 pool user that differs from the token user', 'user', () => createMysql2Pool({ token: awsRdsToken({ hostname: host, port: 3306, username: 'app', credentials: credentialFn }), user: 'root', ssl: {} })],
  ['a mysql2 pool on port 3306 with a token signed for the default 5432', 'port', () => createMysql2Pool({ token: awsRdsToken({ hostname: host, username: 'app', credentials: credentialFn }), host, ssl: {} })],
  ['mysql2AuthPlugins without a provider', 'provider', () => mysql2AuthPlugins({} as never)],
];

describe('bad configuration fails fast with a ConfigError naming the field', () => {
  it(`covers at least 20 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('%s -> %s', (_name, field, run) => {
    let thrown: unknown;
    try {
      run();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toBeInstanceOf(DbTokenError);
    const e = thrown as ConfigError;
    expect(e.code).toBe('ERR_DBTOKEN_CONFIG');
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
    expect(e.message.length).toBeGreaterThan(field.length + 15); // says what is wrong, not just the name
    expect(e.message).not.toContain(creds.secretAccessKey);
  });

  it.each([
    ['a driver that is not supported', 'driver', { driver: 'sqlite', token: staticToken('x') }],
    ['a missing driver', 'driver', { token: staticToken('x') }],
    ['a missing token', 'token', { driver: 'pg', ssl: true }],
    ['a missing token for mysql2', 'token', { driver: 'mysql2', ssl: {} }],
  ])('createIamPool: %s -> %s', async (_n, field, options) => {
    const err = await createIamPool(options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });

  it('a mysql2 pool without ssl is an InsecureTransportError, before any connection', async () => {
    const err = await createIamPool({ driver: 'mysql2', token: staticToken('x'), host }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsecureTransportError);
  });

  it('ssl: false without the opt-in is an InsecureTransportError, before any connection', async () => {
    const err = await createIamPool({ driver: 'pg', token: staticToken('x'), host, ssl: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsecureTransportError);
    expect((err as Error).message).toMatch(/allowInsecureTransport/);
  });
});
