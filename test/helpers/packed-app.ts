import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, root } from './dist.js';

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

/** `name@version`, at the version this repository pins as a dev dependency. */
export function pinned(name: string): string {
  const version = rootPackage.devDependencies[name];
  if (version === undefined) throw new Error(`${name} is not a dev dependency of dbtoken`);
  return `${name}@${version}`;
}

/** Packs dbtoken (as built in dist/) into `dir`; returns the tarball's path. */
export function packDbtoken(dir: string): string {
  ensureBuilt();
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
  const tarball = readdirSync(dir).find((f) => /^dbtoken-.*\.tgz$/.test(f));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  return join(dir, tarball);
}

/**
 * Installs `specs` (a tarball, `name@version`) and the app's own
 * package.json dependencies into the app at `dir`, as a user would; from
 * npm's cache where it can.
 */
export function npmInstall(dir: string, specs: string[]): void {
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs], {
    cwd: dir,
    stdio: 'pipe',
    timeout: 300_000,
  });
}
