import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, InsecureTransportError, type TokenProvider } from 'dbtoken';
import { pgConnection, pgPassword, sequelizeBeforeConnect, type SequelizeConnectConfig } from 'dbtoken/pg';
import { staticToken } from 'dbtoken/testing';
import { checkTarget } from '../../adapters/preamble.js';

const providers: TokenProvider[] = [];
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
});

const target = { host: 'db.example.com', port: 5432, user: 'app' };
function token(text = 'secret-token', t: { host?: string; port?: number; user?: string } | null = target): TokenProvider {
  const p = staticToken(text, t ? { target: t } : {});
  providers.push(p);
  return p;
}

describe('checkTarget', () => {
  it.each([
    ['the same host, port and user', { host: 'db.example.com', port: 5432, user: 'app' }],
    ['the default port', { host: 'db.example.com', user: 'app' }],
    ['a port given as a string', { host: 'db.example.com', port: '5432' }],
    ['the host in other case', { host: 'DB.EXAMPLE.COM', port: 5432 }],
    ['a tunnel on another host and port', { host: 'localhost', port: 15432 }],
    ['no user', { host: 'db.example.com', port: 5432 }],
  ])('accepts %s', (_name, conn) => {
    expect(() => checkTarget(target, conn, 5432, 'this connection')).not.toThrow();
  });

  it.each([
    ['another port', { host: 'db.example.com', port: 6432 }, 'port', 'this connection connects to db.example.com:6432 but the token is made for port 5432'],
    ['another port as a string', { host: 'db.example.com', port: '6432' }, 'port', 'this connection connects to db.example.com:6432 but the token is made for port 5432'],
    ['another user', { host: 'db.example.com', user: 'root' }, 'user', 'is "root" but the token provider makes tokens for "app"'],
  ])('refuses %s', (_name, conn, field, problem) => {
    expect(() => checkTarget(target, conn, 5432, 'this connection')).toThrow(expect.objectContaining({ field, problem }));
  });

  it('checks nothing without a target', () => {
    expect(() => checkTarget(undefined, { host: 'db.example.com', port: 1, user: 'x' }, 5432)).not.toThrow();
  });
});

describe('pgPassword checks the connection it serves (pg calls it with the client as this)', () => {
  const client = (over: object = {}) => ({ host: 'db.example.com', port: 5432, user: 'app', connection: Object.assign(new EventEmitter(), { stream: { encrypted: true } }), ...over });

  it('answers a matching client with the token', async () => {
    await expect(pgPassword(token()).call(client(), {})).resolves.toBe('secret-token');
  });

  it.each([
    ['another port on the token\'s host', { port: 6432 }, 'port'],
    ['another user', { user: 'root' }, 'user'],
  ])('%s is a ConfigError, and no token is fetched', async (_n, over, field) => {
    const provider = token();
    let fetched = 0;
    const counting = { ...provider, getToken: (...a: Parameters<TokenProvider['getToken']>) => (fetched++, provider.getToken(...a)) } as TokenProvider;
    const err = await pgPassword(counting).call(client(over), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).not.toContain('secret-token');
    expect(fetched).toBe(0);
  });

  it('an unencrypted stream is refused before the target is looked at', async () => {
    const c = client({ port: 6432 });
    c.connection.stream.encrypted = false;
    await expect(pgPassword(token()).call(c, {})).rejects.toBeInstanceOf(InsecureTransportError);
  });

  it('forgets its token when the server refuses that login, not for other errors or after login', async () => {
    const invalidated: (string | undefined)[] = [];
    const provider = token();
    const spy = { ...provider, invalidate: (t?: { token: string }) => invalidated.push(t?.token) } as TokenProvider;
    const refused = client();
    await pgPassword(spy).call(refused, {});
    refused.connection.emit('errorMessage', { code: '28000' });
    const other = client();
    await pgPassword(spy).call(other, {});
    other.connection.emit('errorMessage', { code: '53300' }); // too many connections: not the token's fault
    const later = client();
    await pgPassword(spy).call(later, {});
    later.connection.emit('authenticationOk');
    later.connection.emit('errorMessage', { code: '28000' });
    expect(invalidated).toEqual(['secret-token']);
  });
});

describe('pgConnection', () => {
  it('gives host, port and user from the provider, pgPassword, and TLS that verifies the server', async () => {
    const c = pgConnection(token(), { ca: 'PEM' });
    expect(c).toEqual({ host: 'db.example.com', port: 5432, user: 'app', password: expect.any(Function), ssl: { rejectUnauthorized: true, ca: 'PEM' } });
    expect(pgConnection(token()).ssl).toEqual({ rejectUnauthorized: true });
    await expect(c.password.call({ ...c, connection: { stream: { encrypted: true } } })).resolves.toBe('secret-token');
  });

  it('defaults the port to 5432', () => {
    expect(pgConnection(token('t', { host: 'db.example.com', user: 'app' })).port).toBe(5432);
  });

  it.each([
    ['no target', null, 'names no host'],
    ['no host', { user: 'app' }, 'names no host'],
    ['no user', { host: 'db.example.com' }, 'names no user'],
  ])('a provider with %s is a ConfigError', (_n, t, problem) => {
    expect(() => pgConnection(token('t', t))).toThrow(expect.objectContaining({ field: 'provider', problem: expect.stringContaining(problem) }));
  });
});

describe('sequelizeBeforeConnect', () => {
  const config = (over: Partial<SequelizeConnectConfig> = {}): SequelizeConnectConfig => ({
    host: 'db.example.com', port: 5432, username: undefined, password: null, dialectOptions: { ssl: { ca: 'PEM' } }, ...over,
  });

  it('fills the user and sets pgPassword as the password; again and again on the same config', () => {
    const hook = sequelizeBeforeConnect(token());
    const c = config();
    hook(c);
    expect(c.username).toBe('app');
    expect(typeof c.password).toBe('function');
    const first = c.password;
    hook(c);
    expect(c.password).toBe(first);
  });

  it('refuses a config without dialectOptions.ssl, unless allowInsecureTransport', () => {
    expect(() => sequelizeBeforeConnect(token())(config({ dialectOptions: {} }))).toThrow(InsecureTransportError);
    expect(() => sequelizeBeforeConnect(token(), { allowInsecureTransport: true })(config({ dialectOptions: {} }))).not.toThrow();
  });

  it.each([
    ['a password of its own', { password: 'hunter2' }, 'password'],
    ['another user', { username: 'root' }, 'user'],
    ['another port, as Sequelize keeps it (a string)', { port: '6432' }, 'port'],
    ['pg-native', { native: true }, 'native'],
  ])('refuses %s with a ConfigError', (_n, over, field) => {
    let err: unknown;
    try {
      sequelizeBeforeConnect(token())(config(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
