/**
 * Loads the AWS signer packages, each when a provider first signs with it:
 * both are optional peers, and `dbtoken/aws` imports without either, so an
 * application installs only the one it uses.
 *
 * Each `import()` names its package literally and sits directly inside its
 * own `try` block, so that bundlers bundle an installed signer (see
 * adapters/load-driver.ts and scripts/build.mjs).
 */
import type { DsqlSigner } from '@aws-sdk/dsql-signer';
import type { Signer } from '@aws-sdk/rds-signer';
import { ConfigError } from '../../core/errors.js';
import { exportsOf, isNotInstalled } from '../../core/optional-peer.js';

/** `err` as a ConfigError naming the missing `pkg` that `provider` signs with, when it says so; otherwise `err`. */
function missing(err: unknown, pkg: string, provider: string): unknown {
  return isNotInstalled(err, pkg) ? new ConfigError(provider, `signs with the ${pkg} package, which is not installed`, `npm install ${pkg}`, { cause: err }) : err;
}

/** `@aws-sdk/rds-signer`'s `Signer`. */
export async function loadRdsSigner(): Promise<typeof Signer> {
  try {
    return exportsOf<{ Signer: typeof Signer }>(await import('@aws-sdk/rds-signer')).Signer;
  } catch (err) {
    throw missing(err, '@aws-sdk/rds-signer', 'awsRdsToken');
  }
}

/** `@aws-sdk/dsql-signer`'s `DsqlSigner`. */
export async function loadDsqlSigner(): Promise<typeof DsqlSigner> {
  try {
    return exportsOf<{ DsqlSigner: typeof DsqlSigner }>(await import('@aws-sdk/dsql-signer')).DsqlSigner;
  } catch (err) {
    throw missing(err, '@aws-sdk/dsql-signer', 'awsDsqlToken');
  }
}
