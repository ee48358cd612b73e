import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root, runNode } from './dist.js';

const LOCK = join(root, '.tmp', 'cli-build.lock');
const BUILT = join(root, 'dist', 'esm', 'src', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    const built = Math.min(statSync(BUILT).mtimeMs, statSync(join(root, 'dist', 'cjs', 'src', 'index.js')).mtimeMs);
    return built >= Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'adapters')), statSync(join(root, 'tsconfig.json')).mtimeMs);
  } catch {
    return false;
  }
}

/**
 * Builds dist/ (what bin/dbtoken.mjs runs) unless it is newer than every
 * source. A lock directory keeps test files that start together from
 * building over each other.
 */
export async function buildCli(): Promise<void> {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 180_000) rmdirSync(LOCK); // left by a killed run
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`waited 3 minutes for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!isFresh()) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  } finally {
    rmdirSync(LOCK);
  }
}

export interface CliResult {
  code: number | null | 'timeout';
  stdout: string;
  stderr: string;
}

/** Credentials and settings a developer's shell may hold, which would change what the CLI does. */
const CLEAN_ENV: Record<string, string> = {
  AWS_PROFILE: '',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  // No region but the test's own: none from the shell, and no AWS config file.
  AWS_REGION: '',
  AWS_DEFAULT_REGION: '',
  AWS_CONFIG_FILE: '/nonexistent/aws/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws/credentials',
  PGSSLMODE: '',
};

/** `node bin/dbtoken.mjs ...args`, as a user runs it. */
export function dbtoken(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return runNode([join(root, 'bin', 'dbtoken.mjs'), ...args], { env: { ...CLEAN_ENV, ...opts.env }, timeoutMs: opts.timeoutMs ?? 30_000 });
}

/** The environment that makes the AWS SDK's default chain use these keys. */
export function awsEnv(keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_SESSION_TOKEN: keys.sessionToken ?? '' };
}
