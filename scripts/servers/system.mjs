// Helpers to run server binaries as their service user when we are root.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs `cmd args` as `user` when root (runuser), else as ourselves. */
export function runAs(user, cmd, args, opts = {}) {
  const [c, a] = isRoot ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  return execFileSync(c, a, { stdio: 'pipe', ...opts });
}

export function spawnAs(user, cmd, args, opts = {}) {
  const [c, a] = isRoot ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  return spawnSync(c, a, { stdio: 'pipe', ...opts });
}

/** The bin directory of the newest installed PostgreSQL. */
export function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(`${base}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return `${base}/${versions[0]}/bin`;
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; run `node scripts/setup.mjs` (installs Debian package postgresql)');
}

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
