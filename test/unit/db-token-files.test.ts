import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { checkDbTokenDir, sharedWritable, writeDbTokenFiles } from '../../src/cli/commands/db-token-files.js';
import { tempDir } from '../helpers/temp.js';

const mode = (p: string): number => statSync(p).mode & 0o7777;
/** Modes as test names show them: `0755`. */
const octal = (modes: number[]): Array<[string, number]> => modes.map((m) => [`0${m.toString(8)}`, m]);

/** An existing directory of this mode (chmod after mkdir, so the umask does not change it). */
function dirOfMode(m: number): string {
  const dir = join(tempDir(), 'out');
  mkdirSync(dir);
  chmodSync(dir, m);
  return dir;
}

function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('not refused');
}

describe('sharedWritable', () => {
  it.each([
    ...octal([0o700, 0o755, 0o750, 0o1777, 0o1770]).map(([n, m]) => [n, false, m] as const), // 1777: the sticky bit keeps others from replacing our entries
    ...octal([0o775, 0o757, 0o777, 0o2775, 0o720]).map(([n, m]) => [n, true, m] as const), // 2775: setgid is not the sticky bit
  ])('mode %s -> %s', (_name, shared, m) => {
    expect(sharedWritable(m)).toBe(shared);
  });
});

describe('--out: the mode of a directory the CLI did not create is left alone', () => {
  it.each(octal([0o755, 0o700, 0o750, 0o1777, 0o1770]))('an existing directory of mode %s keeps it; token and key are 0600', (_name, m) => {
    const dir = dirOfMode(m);
    const files = writeDbTokenFiles(checkDbTokenDir(dir), 'the-token', 'the-key');
    expect(mode(dir)).toBe(m);
    expect(mode(files.tokenFile)).toBe(0o600);
    expect(mode(files.keyFile)).toBe(0o600);
    expect(readFileSync(files.tokenFile, 'utf8')).toBe('the-token');
    expect(readFileSync(files.keyFile, 'utf8')).toBe('the-key');
    expect(readdirSync(dir).sort()).toEqual(['oci_db_key.pem', 'token']);
  });

  it.each(octal([0o775, 0o757, 0o777, 0o2770]))('an existing directory of mode %s (others may write, no sticky bit) is refused, untouched', (_name, m) => {
    const dir = dirOfMode(m);
    const err = refusal(() => checkDbTokenDir(dir));
    expect(err.option).toBe('--out');
    expect(err.message).toContain(`${dir} is writable by`);
    expect(err.message).toContain('has no sticky bit');
    expect(err.message).toContain(`chmod go-w ${dir}`);
    expect(mode(dir)).toBe(m);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('directories the CLI creates are 0700, and the existing parent keeps its mode', () => {
    const parent = dirOfMode(0o755);
    const dir = join(parent, 'a', 'b');
    const plan = checkDbTokenDir(dir);
    expect(plan.create).toEqual([join(parent, 'a'), dir]);
    const files = writeDbTokenFiles(plan, 't', 'k');
    expect(mode(parent)).toBe(0o755);
    expect(mode(join(parent, 'a'))).toBe(0o700);
    expect(mode(dir)).toBe(0o700);
    expect(mode(files.tokenFile)).toBe(0o600);
  });

  it('a new directory inside one that others may write without a sticky bit is refused before anything is made', () => {
    const parent = dirOfMode(0o777);
    const err = refusal(() => checkDbTokenDir(join(parent, 'db-token')));
    expect(err.message).toContain(`${parent} is writable by anyone`);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a new directory inside a sticky one (as /tmp) is made 0700; the sticky parent keeps its mode', () => {
    const parent = dirOfMode(0o1777);
    const dir = join(parent, 'db-token');
    writeDbTokenFiles(checkDbTokenDir(dir), 't', 'k');
    expect(mode(parent)).toBe(0o1777);
    expect(mode(dir)).toBe(0o700);
  });

  it('old files of a looser mode are replaced by 0600 ones', () => {
    const dir = dirOfMode(0o755);
    writeDbTokenFiles(checkDbTokenDir(dir), 'old', 'old');
    chmodSync(join(dir, 'token'), 0o644);
    const files = writeDbTokenFiles(checkDbTokenDir(dir), 'new', 'new');
    expect(mode(files.tokenFile)).toBe(0o600);
    expect(readFileSync(files.tokenFile, 'utf8')).toBe('new');
  });
});

describe('--out: a directory made by someone else between the check and the write', () => {
  it('is refused when others may write it, and nothing is written into it', () => {
    const dir = join(tempDir(), 'out');
    const plan = checkDbTokenDir(dir); // it does not exist yet: the CLI would make it
    mkdirSync(dir); // another user's run gets there first, with a directory anyone may write
    chmodSync(dir, 0o777);
    const err = refusal(() => writeDbTokenFiles(plan, 'the-token', 'the-key'));
    expect(err.message).toMatch(/changed since it was checked/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
