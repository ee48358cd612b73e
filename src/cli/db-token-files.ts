import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './args.js';

/**
 * The db-token directory that `oci iam db-token get` writes and SQL*Plus and
 * SQLcl read with TOKEN_AUTH=OCI_TOKEN: `token` and `oci_db_key.pem`, mode
 * 0600, in a directory of mode 0700.
 */
export const TOKEN_FILE = 'token';
export const KEY_FILE = 'oci_db_key.pem';

export function defaultDbTokenDir(home: string): string {
  return join(home, '.oci', 'db-token');
}

/** Refuses, before any token is fetched, an `--out` that exists and is not a directory. */
export function checkDbTokenDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    return; // created later
  }
  if (!isDir) throw new UsageError('--out', `--out ${dir} exists and is not a directory`);
}

/** Writes through a new 0600 file renamed into place, so no reader sees a half-written or wider-open file. */
function writePrivate(dir: string, name: string, data: string): string {
  const path = join(dir, name);
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return path;
}

/** Writes the db-token and its key into `dir`, creating it, and making it 0700 if it exists. */
export function writeDbTokenFiles(dir: string, token: string, privateKey: string): { dir: string; tokenFile: string; keyFile: string } {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  chmodSync(abs, 0o700);
  const keyFile = writePrivate(abs, KEY_FILE, privateKey);
  const tokenFile = writePrivate(abs, TOKEN_FILE, token);
  return { dir: abs, tokenFile, keyFile };
}
