import { describe, expect, it } from 'vitest';
import { ConfigError, tokenProvider, type DbToken, type TokenProvider } from 'dbtoken';
import { mockTokenSource, staticToken } from 'dbtoken/testing';
import { markAccepted } from '../../adapters/login-pace.js';
import { applyTarget, checkPoolOptions, isLoginRefused, loginRefusal, retryRefusedLogin } from '../../adapters/preamble.js';

describe('isLoginRefused: how each server refuses a login', () => {
  it.each([
    ['postgres', { code: '28000' }, true],
    ['postgres', { code: '28P01' }, true],
    ['postgres', { code: '57P03' }, false],
    ['postgres', { errno: 1045 }, false],
    ['mysql', { errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' }, true],
    ['mysql', { code: 'ER_ACCESS_DENIED_ERROR' }, true],
    ['mysql', { errno: 1044 }, false],
    ['mysql', { code: 'AUTH_SWITCH_PLUGIN_ERROR' }, false],
    ['oracle', { errorNum: 1017, code: 'ORA-01017' }, true],
    ['oracle', { code: 'ORA-25707' }, true],
    ['oracle', { errorNum: 25708 }, true],
    ['oracle', { errorNum: 12514 }, false],
    ['mysql', null, false],
    ['postgres', '28000', false],
  ] as const)('%s %j -> %s', (server, err, refused) => {
    expect(isLoginRefused(server, err)).toBe(refused);
  });
});

describe('loginRefusal: a throttle named by RDS Proxy, another refusal, or none', () => {
  it.each([
    ['postgres', { code: '28000', message: 'The IAM authentication failed because of too many competing requests.' }, 'throttled'],
    ['postgres', { code: '08004', message: 'The IAM authentication failed because of too many competing requests.' }, 'throttled'],
    ['postgres', { code: '28000', message: 'PAM authentication failed for user "app"' }, 'refused'],
    ['postgres', { code: '28P01', message: 'password authentication failed' }, 'refused'],
    ['postgres', { code: '53300', message: 'sorry, too many clients already' }, undefined],
    ['mysql', { errno: 1040, code: 'ER_CON_COUNT_ERROR', message: 'IAM authentication rate limit exceeded' }, 'throttled'],
    ['mysql', { errno: 1040, code: 'ER_CON_COUNT_ERROR', message: 'Too many connections' }, undefined],
    ['mysql', { errno: 1045, message: "Access denied for user 'app'@'10.0.0.1' (using password: YES)" }, 'refused'],
    ['mysql', { errno: 2003, message: 'IAM authentication rate limit exceeded' }, undefined],
    ['postgres', null, undefined],
  ] as const)('%s %j -> %s', (server, err, kind) => {
    expect(loginRefusal(server, err)).toBe(kind);
  });
});

describe('retryRefusedLogin', () => {
  const refusal = (token: DbToken) => Object.assign(new Error('refused'), { sent: token });
  const sentOf = (err: unknown) => {
    const token = (err as { sent?: DbToken }).sent;
    return token === undefined ? undefined : { token, named: (err as Error).message.includes('competing') };
  };

  it('forgets exactly the refused token and tries once more', async () => {
    const source = mockTokenSource();
    const provider = tokenProvider(source);
    try {
      const first = await provider.getToken();
      let attempts = 0;
      const result = await retryRefusedLogin(
        provider,
        async () => {
          attempts++;
          const t = await provider.getToken();
          if (t === first) throw refusal(t);
          return t.token;
        },
        sentOf,
      );
      expect(attempts).toBe(2);
      expect(result).toBe('mock-token-2');
      expect(source.calls.length).toBe(2);
    } finally {
      provider.close();
    }
  });

  it('a refused token that is no longer cached leaves the newer one alone', async () => {
    const source = mockTokenSource();
    const provider = tokenProvider(source);
    try {
      const old = await provider.getToken();
      const newer = await provider.getToken({ forceRefresh: true });
      let attempts = 0;
      const t = await retryRefusedLogin(
        provider,
        async () => {
          if (attempts++ === 0) throw refusal(old);
          return provider.getToken();
        },
        sentOf,
      );
      expect(t).toBe(newer);
      expect(source.calls.length).toBe(2);
    } finally {
      provider.close();
    }
  });

  it('never tries a third time', async () => {
    const provider = staticToken('x');
    let attempts = 0;
    const err = await retryRefusedLogin(
      provider,
      async () => {
        attempts++;
        throw refusal(await provider.getToken());
      },
      sentOf,
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('refused');
    expect(attempts).toBe(2);
  });

  it('a refusal that names the login rate is retried with the same token, without a fetch, 5 times; then once with a fresh token', async () => {
    const source = mockTokenSource();
    const provider = tokenProvider(source);
    try {
      const sent: DbToken[] = [];
      const err = await retryRefusedLogin(provider, async () => {
        const t = await provider.getToken();
        sent.push(t);
        throw Object.assign(new Error('The IAM authentication failed because of too many competing requests.'), { sent: t });
      }, sentOf).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/competing/);
      expect(sent).toHaveLength(7);
      expect(new Set(sent.slice(0, 6)).size).toBe(1);
      expect(sent[6]).not.toBe(sent[0]);
      expect(source.calls).toHaveLength(2);
      expect(provider.status().throttledLogins).toBe(5);
    } finally {
      provider.close();
    }
  });

  it('a refused token that a server accepted before is a throttle: retried with the same token, and the next login goes through', async () => {
    const source = mockTokenSource();
    const provider = tokenProvider(source);
    try {
      const first = await provider.getToken();
      markAccepted(first);
      let attempts = 0;
      const t = await retryRefusedLogin(provider, async () => {
        const t = await provider.getToken();
        if (attempts++ < 2) throw refusal(t);
        return t;
      }, sentOf);
      expect(t).toBe(first);
      expect(attempts).toBe(3);
      expect(source.calls).toHaveLength(1);
      expect(provider.status().throttledLogins).toBe(2);
    } finally {
      provider.close();
    }
  });

  it('an abort during the backoff (the pool ending) answers with the refusal, without another login', async () => {
    const provider = staticToken('x');
    const ending = new AbortController();
    let attempts = 0;
    const refused = refusal(await provider.getToken());
    const err = retryRefusedLogin(provider, async () => {
      attempts++;
      ending.abort();
      throw refused;
    }, sentOf, undefined, ending.signal).catch((e: unknown) => e);
    expect(await err).toBe(refused);
    expect(attempts).toBe(1);
  });

  it('does not retry anything but a refused token', async () => {
    const provider = staticToken('x');
    let attempts = 0;
    const boom = new Error('network down');
    const err = await retryRefusedLogin(
      provider,
      async () => {
        attempts++;
        throw boom;
      },
      sentOf,
    ).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(attempts).toBe(1);
  });
});

describe('checkPoolOptions', () => {
  const rules = { driver: 'pg', refused: { password: 'the token provider supplies it' } };

  it('splits the provider and the TLS opt-out from the driver options', () => {
    const token = staticToken('x');
    const { provider, allowInsecureTransport, config } = checkPoolOptions({ token, host: 'db', allowInsecureTransport: true }, rules);
    expect(provider).toBe(token);
    expect(allowInsecureTransport).toBe(true);
    expect(config).toEqual({ host: 'db' });
    expect(checkPoolOptions({ token }, rules).allowInsecureTransport).toBe(false);
  });

  it.each([
    ['options', null],
    ['token', { host: 'db' }],
    ['token', { token: 'secret' }],
    ['allowInsecureTransport', { token: staticToken('x'), allowInsecureTransport: 'yes' }],
    ['password', { token: staticToken('x'), password: 'hunter2' }],
  ])('refuses a bad %s with a ConfigError that has a fix', (field, options) => {
    let thrown: unknown;
    try {
      checkPoolOptions(options as never, rules);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const e = thrown as ConfigError;
    expect(e.field).toBe(field);
    expect(e.problem).not.toBe('');
    expect(e.fix).not.toBe('');
    expect(e.message).toBe(`${e.field}: ${e.problem}; ${e.fix}`);
    expect(e.message).not.toContain('hunter2');
    expect(e.message).not.toContain('secret');
  });
});

describe('applyTarget', () => {
  const target = { target: { host: 'db.example.com', port: 5432, user: 'app' } } as unknown as TokenProvider;

  it.each([
    ['fills user, host and port', {}, undefined, { host: 'db.example.com', port: 5432, user: 'app' }],
    ['keeps a tunnel host and its port', { host: 'localhost', port: 15432 }, undefined, { host: 'localhost', port: 15432, user: 'app' }],
    ['leaves the endpoint to a connection string', {}, true, { user: 'app' }],
    ['takes the same user', { user: 'app' }, undefined, { host: 'db.example.com', port: 5432, user: 'app' }],
  ] as const)('%s', (_name, config, ownEndpoint, expected) => {
    expect(applyTarget({ ...config }, target, 5432, ownEndpoint)).toEqual(expected);
  });

  it.each([
    ['user', { user: 'root' }, 'is "root" but the token provider makes tokens for "app"', 'drop user or make them match'],
    ['port', { host: 'DB.example.com', port: 6432 }, 'the pool connects to DB.example.com:6432 but the token is made for port 5432', 'give the provider and the pool the same port'],
    ['port', { port: 6432 }, 'the pool connects to db.example.com:6432 but the token is made for port 5432', 'give the provider and the pool the same port'],
  ])('refuses another %s', (field, config, problem, fix) => {
    expect(() => applyTarget(config, target, 5432)).toThrow(expect.objectContaining({ field, problem, fix }));
  });
});
