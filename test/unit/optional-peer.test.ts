import { describe, expect, it } from 'vitest';
import { ConfigError } from 'dbtoken';
import { exportsOf, isNotInstalled, packageOf, peerMissing } from '../../src/core/optional-peer.js';

const err = (message: string, code?: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('packageOf', () => {
  it.each([
    ['pg', 'pg'],
    ['mysql2/promise', 'mysql2'],
    ['@aws-sdk/rds-signer', '@aws-sdk/rds-signer'],
    ['@smithy/core/config', '@smithy/core'],
    ['oracledb/lib/thin/sqlnet/ezConnectResolver.js', 'oracledb'],
  ])('%s belongs to %s', (specifier, pkg) => {
    expect(packageOf(specifier)).toBe(pkg);
  });
});

describe('isNotInstalled', () => {
  it.each([
    ['ESM, the package itself', err("Cannot find package 'google-auth-library' imported from /app/node_modules/dbtoken/dist/esm/src/sources/gcp/cloud-sql.js", 'ERR_MODULE_NOT_FOUND'), 'google-auth-library', true],
    ['CJS, the package itself', err("Cannot find module '@azure/identity'\nRequire stack:\n- /app/node_modules/dbtoken/dist/cjs/src/sources/azure/entra.js", 'MODULE_NOT_FOUND'), '@azure/identity', true],
    ['ESM, a scoped package', err("Cannot find package '@aws-sdk/dsql-signer' imported from /app/x.js", 'ERR_MODULE_NOT_FOUND'), '@aws-sdk/dsql-signer', true],
    ['ESM, a subpath of a missing package', err("Cannot find package 'mysql2' imported from /app/x.js", 'ERR_MODULE_NOT_FOUND'), 'mysql2/promise', true],
    ['double quotes (bundlers)', err('Could not resolve "pg"', 'MODULE_NOT_FOUND'), 'pg', true],
    // Installed, but something it imports is missing: a broken install, to be shown as it is.
    ['a dependency of the package is missing', err("Cannot find module 'tslib'\nRequire stack:\n- /app/node_modules/@azure/identity/dist/index.js", 'MODULE_NOT_FOUND'), '@azure/identity', false],
    ['a package whose name contains the one asked for', err("Cannot find package 'pg-native' imported from /app/x.js", 'ERR_MODULE_NOT_FOUND'), 'pg', false],
    ['the scope alone does not count', err("Cannot find package '@aws-sdk/credential-providers' imported from /app/x.js", 'ERR_MODULE_NOT_FOUND'), '@aws-sdk/rds-signer', false],
    ['no code', err("Cannot find package 'pg'"), 'pg', false],
    ['another code', err("Cannot find package 'pg'", 'EACCES'), 'pg', false],
    ['not an error', null, 'pg', false],
    ['a string', "Cannot find package 'pg'", 'pg', false],
  ])('%s → %s', (_name, error, specifier, expected) => {
    expect(isNotInstalled(error, specifier)).toBe(expected);
  });
});

describe('exportsOf', () => {
  it('unwraps a namespace that wraps CommonJS exports in default, and leaves plain exports as they are', () => {
    const cjs = { Pool: class {} };
    expect(exportsOf({ default: cjs })).toBe(cjs);
    const esm = { Pool: class {} } as { Pool: unknown; default?: undefined };
    expect(exportsOf(esm)).toBe(esm);
  });
});

describe('peerMissing', () => {
  const missing = Object.assign(new Error("Cannot find package 'google-auth-library' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  it('makes the ConfigError on the field, naming the package and how to install it, with the error as its cause', () => {
    const err = peerMissing(missing, 'google-auth-library', 'auth', 'needs', 'or pass auth') as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.field).toBe('auth');
    expect(err.message).toBe('auth: needs the google-auth-library package, which is not installed; npm install google-auth-library, or pass auth');
    expect(err.cause).toBe(missing);
    expect((peerMissing(missing, 'google-auth-library/build/x.js', 'driver', "'gcp' needs") as Error).message).toBe("driver: 'gcp' needs the google-auth-library package, which is not installed; npm install google-auth-library");
  });

  it('hands back any other error as it is', () => {
    const other = new Error('boom');
    expect(peerMissing(other, 'google-auth-library', 'auth', 'needs')).toBe(other);
    expect(peerMissing(missing, 'pg', 'driver', 'needs')).toBe(missing);
  });
});
