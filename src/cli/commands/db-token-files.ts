import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../args.js';
import { expiry, table } from '../format.js';

/**
 * The db-token directory that `oci iam db-token get` writes and SQL*Plus and
 * SQLcl read with TOKEN_AUTH=OCI_TOKEN: `token` and `oci_db_key.pem`, mode
 * 0600. A directory made for them has mode 0700; an existing one keeps its own.
 */
export const TOKEN_FILE = 'token';
export const KEY_FILE = 'oci_db_key.pem';
const LOCK_FILE = '.dbtoken.lock';

export function defaultDbTokenDir(home: string): string {
  return join(home, '.oci', 'db-token');
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw outError(path, err);
  }
}

function outError(dir: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code;
  return new UsageError('--out', `--out ${dir} cannot be used (${why}): give a directory you can write`);
}

const uid = (): number | undefined => process.geteuid?.();

/**
 * True for a directory mode that lets a user other than the owner rename or
 * remove its entries: group or other write, without the sticky bit (which
 * /tmp has, so that only an entry's owner may do that).
 */
export function sharedWritable(mode: number): boolean {
  return (mode & 0o022) !== 0 && (mode & 0o1000) === 0;
}

/**
 * Checks `dir` before any token is fetched, changing nothing: a bad `--out`
 * costs no IAM call and leaves nothing behind. Refuses, as a usage error
 * naming `--out`: a path that is a symlink or leads through a file, a
 * directory owned by another user (its owner could swap the files), a
 * directory others may write without a sticky bit ({@link sharedWritable};
 * the nearest existing one when the rest is to be created), a `token` or
 * `oci_db_key.pem` in it that is not a regular file, and a place this user
 * cannot write. Returns the absolute path and the directories to create,
 * outermost first.
 */
export function checkDbTokenDir(dir: string): { dir: string; create: string[] } {
  const abs = resolve(dir);
  const create: string[] = [];
  let at = abs;
  let stat: Stats | undefined = lstatOrUndefined(at);
  while (stat === undefined) {
    create.unshift(at);
    const parent = dirname(at);
    if (parent === at) throw new UsageError('--out', `--out ${abs}: no part of this path exists`);
    at = parent;
    stat = lstatOrUndefined(at);
  }
  if (stat.isSymbolicLink()) {
    if (at === abs) {
      throw new UsageError('--out', `--out ${abs} is a symbolic link; give the real directory (the private key must not land where a link points)`);
    }
    try {
      stat = statSync(at); // a linked parent (dotfiles kept elsewhere) is fine if it leads to a directory
    } catch (err) {
      throw outError(at, err);
    }
  }
  if (!stat.isDirectory()) throw new UsageError('--out', `--out ${abs}: ${at} exists and is not a directory`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw outError(at, err);
  }
  if (sharedWritable(stat.mode)) {
    const which = (stat.mode & 0o002) !== 0 ? 'anyone' : 'its group';
    throw new UsageError(
      '--out',
      `--out ${abs}: ${at} is writable by ${which} and has no sticky bit, so another user could replace the token or key; ` +
        `remove that write access (chmod go-w ${at}), or give a directory only you can write`,
    );
  }
  if (create.length === 0) {
    const me = uid();
    if (me !== undefined && stat.uid !== me) {
      throw new UsageError('--out', `--out ${abs} belongs to another user (uid ${stat.uid}); give a directory of your own`);
    }
    for (const name of [TOKEN_FILE, KEY_FILE]) {
      const s = lstatOrUndefined(join(abs, name));
      if (s !== undefined && !s.isFile()) throw new UsageError('--out', `--out ${abs}: ${name} there is not a regular file; remove it`);
    }
  }
  return { dir: abs, create };
}

/**
 * A new file of mode 0600 holding `data`, created exclusively (never through
 * an existing name or link) with that mode, so it is never readable by
 * others, not even before its first byte.
 */
function writeNew(path: string, data: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600); // the umask may have taken the owner's bits too
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the db-token and its key into the directory {@link checkDbTokenDir}
 * checked, creating the missing directories with mode 0700. The mode of a
 * directory that existed is left as it is: `--out /tmp` keeps /tmp's sticky
 * bit. Both files go to new 0600 temp files first and are then renamed into
 * place back to back, so a reader never sees a half-written file, and a
 * failure before the renames leaves the old pair untouched. A lock file
 * keeps two runs from interleaving their pairs.
 */
export function writeDbTokenFiles(plan: { dir: string; create: readonly string[] }, token: string, privateKey: string): { dir: string; tokenFile: string; keyFile: string } {
  const { dir } = plan;
  for (const path of plan.create) {
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw outError(path, err);
      continue; // made meanwhile by someone else: not ours to change
    }
    chmodSync(path, 0o700); // ours: exactly 0700, whatever the umask took
  }
  const own = lstatSync(dir);
  if (!own.isDirectory()) throw new UsageError('--out', `--out ${dir} is no longer a directory`);
  // Made, or replaced, by someone else since it was checked: what checkDbTokenDir asks of it still holds.
  const me = uid();
  if ((me !== undefined && own.uid !== me) || sharedWritable(own.mode)) {
    throw new UsageError('--out', `--out ${dir} changed since it was checked: it is another user's or others may write it; give a directory only you can write`);
  }
  const lock = join(dir, LOCK_FILE);
  try {
    closeSync(openSync(lock, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`another dbtoken is writing to ${dir} (${lock} exists; remove it if no other run is going on)`);
    }
    throw err;
  }
  const suffix = randomBytes(6).toString('hex');
  const keyTemp = join(dir, `.${KEY_FILE}.${suffix}.tmp`);
  const tokenTemp = join(dir, `.${TOKEN_FILE}.${suffix}.tmp`);
  const keyFile = join(dir, KEY_FILE);
  const tokenFile = join(dir, TOKEN_FILE);
  try {
    writeNew(keyTemp, privateKey);
    writeNew(tokenTemp, token);
    renameSync(keyTemp, keyFile);
    renameSync(tokenTemp, tokenFile);
  } finally {
    rmSync(keyTemp, { force: true });
    rmSync(tokenTemp, { force: true });
    rmSync(lock, { force: true });
  }
  return { dir, tokenFile, keyFile };
}

/** Where `token oci` wrote the db-token and key. */
export interface DbTokenFiles {
  readonly dir: string;
  readonly tokenFile: string;
  readonly keyFile: string;
  readonly expiresAt: Date;
}

/** What `token oci` prints: the paths and the expiry, never the token. */
export function formatDbTokenFiles(files: DbTokenFiles, now: number): string {
  return table([
    ['db-token', files.tokenFile],
    ['private key', files.keyFile],
    ['expires', expiry(files.expiresAt, now)],
  ]);
}
