import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createIamPool, InsecureTransportError, type TokenProvider } from 'dbtoken';
import { createPgPool, pgConnection, pgPassword, pgUsesTls, sequelizeBeforeConnect, type PgConnectionOptions, type SequelizeConnectConfig } from 'dbtoken/pg';
import { staticToken } from 'dbtoken/testing';
import { checkTarget } from '../../adapters/preamble.js';
import { createProvider } from '../../src/core/provider.js';
import { tempDir } from '../helpers/temp.js';

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
    expect(c).toEqual({ host: 'db.example.com', port: 5432, user: 'app', username: 'app', password: expect.any(Function), ssl: { rejectUnauthorized: true, ca: 'PEM' } });
    expect(Object.keys(c)).not.toContain('database'); // so that { database, ...pgConnection() } keeps the database
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

  it('a provider that reads the user from its first token: the hook returns a promise that fetches it, then fills the user; once known, it is synchronous', async () => {
    let fetches = 0;
    const provider = createProvider(
      async () => (fetches++, { token: 'tok-ada@contoso.com', expiresAt: new Date(Date.now() + 3_600_000) }),
      { target: { host: 'db.example.com', port: 5432 } },
      { label: 'test', userFromToken: (t) => t.token.slice('tok-'.length) },
    );
    try {
      const hook = sequelizeBeforeConnect(provider);
      const c = config();
      const pending = hook(c);
      expect(pending).toBeInstanceOf(Promise);
      expect(c.username).toBeUndefined();
      await pending;
      expect(fetches).toBe(1);
      expect(c.username).toBe('ada@contoso.com');
      expect(typeof c.password).toBe('function');
      const next = config();
      expect(hook(next)).toBeUndefined();
      expect(next.username).toBe('ada@contoso.com');
      // '' is how Sequelize keeps a username given nowhere: filled like an unset one.
      const blank = config({ username: '' });
      expect(hook(blank)).toBeUndefined();
      expect(blank.username).toBe('ada@contoso.com');
      // A user given to Sequelize needs no token first, and is checked against the provider's as before.
      const mine = config({ username: 'ada@contoso.com' });
      expect(hook(mine)).toBeUndefined();
      expect(() => hook(config({ username: 'bob@contoso.com' }))).toThrow(ConfigError);
    } finally {
      provider.close();
    }
  });

  it('a provider that cannot name the user rejects the promise with its ConfigError, and nothing is filled', async () => {
    const provider = createProvider(
      async () => ({ token: 'opaque', expiresAt: new Date(Date.now() + 3_600_000) }),
      { target: { host: 'db.example.com', port: 5432 }, retry: { attempts: 1 } },
      {
        label: 'test',
        userFromToken: () => {
          throw new ConfigError('username', 'is needed: the token names no user', 'pass username');
        },
      },
    );
    try {
      const c = config({ username: '' });
      const err = await (sequelizeBeforeConnect(provider)(c) as Promise<void>).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('username');
      expect(c.username).toBeUndefined();
      expect(c.password).toBeNull();
    } finally {
      provider.close();
    }
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

describe('pgPassword called outside a pg Client (as MikroORM 6 calls a password function)', () => {
  it('gives no token, and no TLS error: it answers { password: itself }, which knex hands on to pg', async () => {
    const provider = token();
    let fetched = 0;
    const counting = { ...provider, getToken: (...a: Parameters<TokenProvider['getToken']>) => (fetched++, provider.getToken(...a)) } as TokenProvider;
    const password = pgPassword(counting);
    const answer = (await password()) as unknown as { password: unknown };
    expect(answer).toEqual({ password });
    expect(answer.password).toBe(password);
    expect(fetched).toBe(0);
    // Called as a method of pgConnection's object: no pg Client either.
    const c = pgConnection(counting);
    expect(await c.password()).toEqual({ password: c.password });
    expect(fetched).toBe(0);
    // pg then calls it with its Client, and gets the token.
    const client = { host: 'db.example.com', port: 5432, user: 'app', connection: Object.assign(new EventEmitter(), { stream: { encrypted: true } }) };
    await expect(answer.password.call(client)).resolves.toBe('secret-token');
    expect(fetched).toBe(1);
  });
});

describe('connection strings', () => {
  const dir = tempDir('dbtoken-pg-url-');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, 'CA-PEM');
  const url = (q = `sslmode=verify-full&sslrootcert=${caFile}`, auth = 'app@') => `postgresql://${auth}db.example.com:5432/orders${q ? `?${q}` : ''}`;
  const conn = (options: PgConnectionOptions, t?: Parameters<typeof token>[1]) => pgConnection(token('secret-token', t), options);
  function thrown(f: () => unknown): Error {
    try {
      f();
    } catch (err) {
      return err as Error;
    }
    throw new Error('did not throw');
  }

  describe('pgConnection({ connectionString })', () => {
    it('reads host, port, user, database, sslmode and sslrootcert with pg\'s parser; nothing libpq-only is left over', () => {
      const c = conn({ connectionString: `${url()}&application_name=orders-api` });
      expect(c).toEqual({
        host: 'db.example.com', port: 5432, user: 'app', username: 'app', database: 'orders',
        password: expect.any(Function), ssl: { rejectUnauthorized: true, ca: 'CA-PEM' }, application_name: 'orders-api',
      });
    });

    it('the user comes from the token when the URL names none', () => {
      expect(conn({ connectionString: url(undefined, '') })).toMatchObject({ user: 'app', username: 'app' });
    });

    it('the user comes from the URL when the provider names none', () => {
      expect(conn({ connectionString: url(undefined, 'bob@') }, { host: 'db.example.com' })).toMatchObject({ user: 'bob', username: 'bob' });
    });

    it('the host and port come from the provider when the URL names none', () => {
      expect(conn({ connectionString: 'postgresql:///orders?sslmode=verify-full' }, { host: 'db.example.com', port: 6543, user: 'app' })).toMatchObject({ host: 'db.example.com', port: 6543, database: 'orders' });
    });

    it('another host (a tunnel) keeps pg\'s default port, not the token\'s', () => {
      expect(conn({ connectionString: 'postgresql://localhost/orders?sslmode=verify-full' }, { host: 'db.example.com', port: 6543, user: 'app' }).port).toBe(5432);
    });

    it('keeps the ca given in code under an sslmode that names no root certificate', () => {
      expect(conn({ ca: 'MINE', connectionString: url('sslmode=verify-full') }).ssl).toEqual({ rejectUnauthorized: true, ca: 'MINE' });
      expect(conn({ ca: 'MINE', connectionString: url() }).ssl).toEqual({ rejectUnauthorized: true, ca: 'CA-PEM' });
    });

    it('without sslmode it still verifies the server (TLS is not optional for a token)', () => {
      expect(conn({ connectionString: url('') }).ssl).toEqual({ rejectUnauthorized: true });
    });

    it('sslmode=no-verify encrypts without checking the certificate, as pg reads it', () => {
      expect(conn({ connectionString: url('sslmode=no-verify') }).ssl).toEqual({ rejectUnauthorized: false });
    });

    it('the URL\'s user and the token\'s user differ: ConfigError, naming both', () => {
      const err = thrown(() => conn({ connectionString: url(undefined, 'root@') }));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ field: 'connectionString', problem: 'logs in as "root" but the token provider makes tokens for "app"' });
    });

    it.each([
      ['in the user info', url(undefined, 'app:hunter2@')],
      ['as a parameter', url('sslmode=verify-full&password=hunter2')],
    ])('a password %s is a ConfigError that never quotes the URL', (_n, connectionString) => {
      const err = thrown(() => conn({ connectionString }));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('connectionString');
      expect(err.message).toMatch(/password .*defeats IAM/);
      expect(err.message).not.toContain('hunter2');
      expect(JSON.stringify(err)).not.toContain('hunter2');
    });

    it.each(['disable', 'allow', 'prefer'])('sslmode=%s (may send the token in plain text) is an InsecureTransportError, unless allowInsecureTransport', (mode) => {
      const err = thrown(() => conn({ connectionString: url(`sslmode=${mode}`) }));
      expect(err).toBeInstanceOf(InsecureTransportError);
      expect(err.message).toContain(`sslmode=${mode}`);
      const allowed = conn({ connectionString: url(`sslmode=${mode}`), allowInsecureTransport: true });
      expect(allowed.ssl).toEqual(mode === 'disable' ? false : { rejectUnauthorized: true });
    });

    it('another port on the token\'s host is a ConfigError', () => {
      expect(thrown(() => conn({ connectionString: 'postgresql://app@db.example.com:6432/orders?sslmode=verify-full' }))).toMatchObject({ field: 'port' });
    });

    it.each([
      ['not a URL', 'postgresql://app:pa ss@[::1/orders', /is not a connection string pg can read/],
      ['a port that is not a number', 'postgresql://app@db.example.com/orders?port=5432x', /names port "5432x"/],
      ['an sslrootcert that does not exist', 'postgresql://app@db.example.com/orders?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem', /cannot be read \(ENOENT: \/nonexistent\/ca\.pem\)/],
    ])('%s: a ConfigError on connectionString, quoting no password', (_n, connectionString, problem) => {
      const err = thrown(() => conn({ connectionString }));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('connectionString');
      expect((err as ConfigError).problem).toMatch(problem);
      expect(err.message).not.toContain('pa ss');
    });
  });

  describe('createPgPool({ connectionString }) and createIamPool: pg gets plain options, so its URL merge cannot drop the token', () => {
    const pools: { end(): Promise<void> }[] = [];
    afterEach(async () => {
      for (const p of pools.splice(0)) await p.end();
    });
    const options = (p: { options: Record<string, unknown> }) => p.options;

    it('the pool\'s options: the URL\'s host, port and database, the token\'s user, the password function, the CA from sslrootcert', () => {
      for (const auth of ['app@', '']) {
        const pool = createPgPool({ token: token(), connectionString: url(undefined, auth), max: 3 });
        pools.push(pool);
        const o = options(pool as never);
        expect(o).toMatchObject({ host: 'db.example.com', port: 5432, database: 'orders', user: 'app', max: 3, ssl: { ca: 'CA-PEM' } });
        expect(o.connectionString).toBeUndefined();
        expect(o.sslmode).toBeUndefined();
        expect(typeof o.password).toBe('function');
      }
    });

    it('createIamPool({ driver: \'pg\' }) reads it the same way', async () => {
      const pool = await createIamPool({ driver: 'pg', token: token(), connectionString: url(undefined, '') });
      pools.push(pool);
      expect(options(pool as never)).toMatchObject({ host: 'db.example.com', database: 'orders', user: 'app' });
    });

    it('what the URL leaves out is taken from the options; what it names wins, as in pg', () => {
      const pool = createPgPool({ token: token('t', { user: 'app' }), connectionString: 'postgresql://db.example.com?sslmode=verify-full', database: 'orders', port: 6543, application_name: 'x' });
      pools.push(pool);
      expect(options(pool as never)).toMatchObject({ host: 'db.example.com', port: 6543, database: 'orders', user: 'app', application_name: 'x' });
      const url2 = createPgPool({ token: token('t', { user: 'app' }), connectionString: url(), database: 'other' });
      pools.push(url2);
      expect(options(url2 as never).database).toBe('orders');
    });

    it('a URL user other than the options\' user is a ConfigError', () => {
      expect(thrown(() => createPgPool({ token: token('t', { host: 'db.example.com' }), user: 'bob', connectionString: url() }))).toMatchObject({ field: 'user', problem: 'is "bob" but the connection string logs in as "app"' });
    });

    it.each([
      ['a password in the URL', url(undefined, 'app:hunter2@'), ConfigError],
      ['a user other than the token\'s', url(undefined, 'root@'), ConfigError],
      ['sslmode=disable', url('sslmode=disable'), InsecureTransportError],
      ['sslmode=allow', url('sslmode=allow'), InsecureTransportError],
      ['sslmode=prefer', url('sslmode=prefer'), InsecureTransportError],
    ])('%s: refused before any connection, by createPgPool and createIamPool alike', async (_n, connectionString, type) => {
      expect(thrown(() => createPgPool({ token: token(), connectionString }))).toBeInstanceOf(type);
      await expect(createIamPool({ driver: 'pg', token: token(), connectionString })).rejects.toBeInstanceOf(type);
    });

    it('allowInsecureTransport lets sslmode=disable through, as it does ssl: false', () => {
      const pool = createPgPool({ token: token(), connectionString: url('sslmode=disable'), allowInsecureTransport: true });
      pools.push(pool);
      expect(options(pool as never).ssl).toBe(false);
    });
  });

  describe('pgUsesTls', () => {
    it.each([
      [{ ssl: { ca: 'x' } }, {}, true],
      [{ ssl: false }, { PGSSLMODE: 'verify-full' }, false],
      [{}, {}, false],
      [{}, { PGSSLMODE: 'require' }, true],
      [{}, { PGSSLMODE: 'verify-full' }, true],
      [{}, { PGSSLMODE: 'no-verify' }, true],
      [{}, { PGSSLMODE: 'disable' }, false],
      [{}, { PGSSLMODE: 'allow' }, false],
      [{}, { PGSSLMODE: 'prefer' }, false],
      [{ connectionString: 'postgres://db/x?sslmode=verify-full' }, {}, true],
      [{ connectionString: 'postgres://db/x?sslmode=require' }, {}, true],
      [{ connectionString: 'postgres://db/x?ssl=true' }, {}, true],
      [{ connectionString: 'postgres://db/x?sslmode=disable' }, { PGSSLMODE: 'verify-full' }, false],
      [{ connectionString: 'postgres://db/x?sslmode=prefer' }, {}, false],
      [{ connectionString: 'postgres://db/x?sslmode=allow' }, {}, false],
      [{ connectionString: 'postgres://db/x?sslmode=disable', ssl: { ca: 'x' } }, {}, false], // the URL wins, as in pg
      [{ connectionString: 'postgres://db/x?sslmode=verify-full', ssl: false }, {}, true],
      [{ connectionString: 'postgres://db/x' }, { PGSSLMODE: 'verify-full' }, true],
    ])('%j with %j -> %s', (config, env, expected) => {
      expect(pgUsesTls(config, env)).toBe(expected);
    });
  });
});
