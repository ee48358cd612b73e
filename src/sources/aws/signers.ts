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
import { exportsOf, peerMissing } from '../../core/optional-peer.js';

/** `@aws-sdk/rds-signer`'s `Signer`. */
export async function loadRdsSigner(): Promise<typeof Signer> {
  try {
    return exportsOf<{ Signer: typeof Signer }>(await import('@aws-sdk/rds-signer')).Signer;
  } catch (err) {
    throw peerMissing(err, '@aws-sdk/rds-signer', 'awsRdsToken', 'signs with');
  }
}

/** `@aws-sdk/dsql-signer`'s `DsqlSigner`. */
export async function loadDsqlSigner(): Promise<typeof DsqlSigner> {
  try {
    return exportsOf<{ DsqlSigner: typeof DsqlSigner }>(await import('@aws-sdk/dsql-signer')).DsqlSigner;
  } catch (err) {
    throw peerMissing(err, '@aws-sdk/dsql-signer', 'awsDsqlToken', 'signs with');
  }
}
