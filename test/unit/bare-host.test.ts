import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { awsDsqlToken, awsRdsToken } from 'dbtoken/aws';
import { azureEntraToken } from 'dbtoken/azure';
import { gcpCloudSqlToken } from 'dbtoken/gcp';
import { requireBareHost } from '../../src/core/validation.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLW11c3Qtbm90LWxlYWs';

describe('requireBareHost', () => {
  it.each([
    ['a DNS name', 'db.internal', 'db.internal'],
    ['spaces around it', '  db.internal\n', 'db.internal'],
    ['IPv4', '10.20.0.3', '10.20.0.3'],
    ['IPv6, colons and all', '2001:db8::7', '2001:db8::7'],
  ])('%s is kept', (_name, value, host) => {
    expect(requireBareHost('hostname', value, 'the server')).toBe(host);
  });

  it.each([
    ['a port', 'db.internal:5432', '":" at position 12'],
    ['a scheme', 'postgres://db.internal', '":" at position 9'],
    ['a user', 'app@db.internal', '"@" at position 4'],
    ['a path', 'db.internal/orders', '"/" at position 12'],
    ['a space inside', 'db internal', '" " at position 3'],
    ['an instance connection name', 'my-project:europe-west1:orders', '":" at position 11'],
  ])('%s is refused, the character and where it is named', (_name, value, where) => {
    expect(() => requireBareHost('hostname', value, 'the server')).toThrow(new RegExp(`^hostname: must be a bare hostname without scheme, port, user or path \\(it holds ${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
  });

  it('a URL with a token as its password: every provider refuses it without showing it', () => {
    const url = `postgres://app:${TOKEN}@db.internal:5432/orders`;
    for (const make of [
      () => awsRdsToken({ hostname: url, port: 5432, username: 'app', region: 'us-east-1' }),
      () => awsDsqlToken({ hostname: url, username: 'app', region: 'us-east-1' }),
      () => azureEntraToken({ hostname: url, username: 'app' }),
      () => gcpCloudSqlToken({ engine: 'postgres', hostname: url, username: 'app' }),
    ]) {
      let err: unknown;
      try {
        make().close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('hostname');
      expect(String(err)).not.toContain(TOKEN.slice(20));
    }
  });
});
