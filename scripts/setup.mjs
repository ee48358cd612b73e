// Installs what `npm test`, `npm run demo` and `npm run bench` need on a fresh
// Debian machine: npm packages (npm ci), and the PostgreSQL, MariaDB,
// libpam-script and openssl packages. Uses only Node built-ins, so it runs
// before node_modules exists. Safe to run again: it only installs what is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const log = (m) => {
  if (!quiet) console.error(`[setup] ${m}`);
};

function npmPackagesCurrent() {
  const marker = join(root, 'node_modules/.package-lock.json');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs - 1000;
}

function debInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function postgresServerPresent() {
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin/initdb')));
}

const needs = [
  { pkg: 'postgresql', present: postgresServerPresent },
  { pkg: 'mariadb-server', present: () => existsSync('/usr/sbin/mariadbd') },
  { pkg: 'openssl', present: () => spawnSync('openssl', ['version']).status === 0 },
  { pkg: 'libpam-script', present: () => debInstalled('libpam-script') },
];

const missing = needs.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    console.error(`[setup] missing Debian packages: ${missing.join(' ')}. Install them as root: apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

// libpam-script enables itself for every PAM service through pam-auth-update;
// only our own test service may use it, so take it out of common-* again.
if (existsSync('/usr/share/pam-configs/pam_script') && process.getuid?.() === 0) {
  const common = existsSync('/etc/pam.d/common-auth') ? execFileSync('cat', ['/etc/pam.d/common-auth'], { encoding: 'utf8' }) : '';
  if (common.includes('pam_script')) {
    log('removing pam_script from /etc/pam.d/common-* (pam-auth-update --remove pam_script)');
    execFileSync('pam-auth-update', ['--package', '--remove', 'pam_script'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

if (!npmPackagesCurrent()) {
  log('installing npm packages (npm ci)');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: root });
  } catch {
    // A registry mirror that lacks an optional platform package can make `npm ci`
    // refuse the lock file; `npm install` still installs the pinned versions.
    log('npm ci failed; falling back to npm install');
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: root });
  }
}

// The real third-party clients some tests hold dbtoken against: the AWS CLI
// (its RDS tokens) and MySQL Connector/Python (the HeatWave emulator's
// sessions). Installed with pip when missing and pip can reach them; the
// tests that need one say so and skip when it is absent.
const PYTHON_CLIENTS = [
  { pip: 'awscli==1.45.11', present: () => spawnSync('aws', ['--version']).status === 0 },
  { pip: 'mysql-connector-python==26.7.0', present: () => spawnSync('python3', ['-c', 'import mysql.connector']).status === 0 },
];
for (const c of PYTHON_CLIENTS) {
  if (c.present()) continue;
  log(`installing ${c.pip} with pip`);
  // Bounded: one try, a short network timeout, and a minute in all, so that an unreachable index costs a run little.
  const r = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '--retries', '0', '--timeout', '20', c.pip], {
    stdio: 'inherit',
    timeout: 60_000,
  });
  if (r.status !== 0 || !c.present()) log(`${c.pip} could not be installed; the tests that compare with it will skip`);
}
