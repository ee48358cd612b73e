/**
 * Internal: what the verifying servers need from the machine: running a program as a service user,
 * finding installed programs, a free port, and cleaning up at process exit. The launchers take these
 * as injected dependencies ({@link SystemDeps}), so tests can show what happens when a program is
 * missing or a start is cut short. Not exported from `dbtoken/testing`.
 *
 * @internal
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The slice of the file system the program lookups read. @internal */
export interface FileProbe {
  /** Whether `path` exists. */
  exists(path: string): boolean;
  /** The entries of `dir`; empty when it cannot be read. */
  list(dir: string): readonly string[];
  /** Whether `path` is a set-user-ID file owned by root. */
  setuidRoot(path: string): boolean;
}

/** What one command printed. @internal */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` (as `user` when given and this process is root); rejects with the command's output on failure. @internal */
export type RunCommand = (command: string, args: readonly string[], opts: { user?: string | undefined; signal?: AbortSignal | undefined }) => Promise<RunResult>;

/** The machine, as the launchers see it. @internal */
export interface SystemDeps {
  readonly probe: FileProbe;
  readonly run: RunCommand;
  /** This process's user id. */
  uid(): number;
}

/** The real file system. @internal */
export const fileProbe: FileProbe = {
  exists: (path) => existsSync(path),
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  setuidRoot: (path) => {
    try {
      const s = statSync(path);
      return s.uid === 0 && (s.mode & 0o4000) !== 0;
    } catch {
      return false;
    }
  },
};

const runCommand: RunCommand = (command, args, { user, signal }) => {
  // As root, server programs run as their service user (PostgreSQL refuses to run as root).
  const [file, argv] = user !== undefined && process.getuid?.() === 0 ? ['runuser', ['-u', user, '--', command, ...args]] : [command, [...args]];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...(signal ? { signal } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      if (signal?.aborted) return reject(signal.reason);
      const output = `${stderr}${stdout}`.trim();
      reject(new Error(`${command} failed (${(err as { code?: unknown }).code ?? err.message})${output ? `:\n${output}` : ''}`, { cause: err }));
    });
  });
};

/** This machine. @internal */
export const systemDeps: SystemDeps = { probe: fileProbe, run: runCommand, uid: () => process.getuid?.() ?? -1 };

/** A TCP port on 127.0.0.1 that was free a moment ago. @internal */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** The uid and gid of `user`, read with `id`. @internal */
export async function userIds(run: RunCommand, user: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', user], {})).stdout.trim());
  const gid = Number((await run('id', ['-g', user], {})).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no uid/gid for the ${user} user`);
  return { uid, gid };
}

/** The first of `names` found in `dirs` or on the PATH, or `undefined`. @internal */
export function findProgram(probe: FileProbe, names: readonly string[], dirs: readonly string[], path = process.env.PATH ?? ''): string | undefined {
  const all = [...dirs, ...path.split(delimiter).filter(Boolean)];
  for (const name of names) {
    for (const dir of all) {
      const candidate = join(dir, name);
      if (probe.exists(candidate)) return candidate;
    }
  }
  return undefined;
}

// Servers a test forgot to close (or a crash) must not outlive the process: each launcher registers a
// synchronous cleanup here. One 'exit' listener serves them all, so many servers raise no listener warning.
const exitHooks = new Set<() => void>();

function runExitHooks(): void {
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // best effort: the process is going away
    }
  }
}

/** Runs `hook` when the process exits, until the returned function is called. @internal */
export function atExit(hook: () => void): () => void {
  if (exitHooks.size === 0) process.on('exit', runExitHooks);
  exitHooks.add(hook);
  return () => {
    exitHooks.delete(hook);
    if (exitHooks.size === 0) process.off('exit', runExitHooks);
  };
}

/** Throws `signal.reason` when `signal` has aborted. @internal */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
