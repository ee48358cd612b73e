// A namespace import: a bundle's banner often declares its own `createRequire`.
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { exportsOf } from '../../core/optional-peer.js';
import type { AwsSharedFiles } from './region.js';

/** One section of an INI file, as the AWS SDK parses it. */
type IniSection = Readonly<Record<string, string | undefined>>;

/**
 * What dbtoken uses of the AWS SDK's shared config file loader:
 * `loadSharedConfigFiles` of `@smithy/core/config` (which
 * `@aws-sdk/rds-signer` uses), or of `@smithy/shared-ini-file-loader` in
 * SDK releases from before it moved there.
 */
export interface AwsSharedConfigLoader {
  loadSharedConfigFiles(init: { filepath: string; configFilepath: string; ignoreCache?: boolean }): Promise<{
    configFile: Readonly<Record<string, IniSection | undefined>>;
    credentialsFile: Readonly<Record<string, IniSection | undefined>>;
  }>;
}

function isLoader(value: unknown): value is AwsSharedConfigLoader {
  return typeof (value as { loadSharedConfigFiles?: unknown } | null)?.loadSharedConfigFiles === 'function';
}


/**
 * The AWS SDK's own loader, or `undefined` when it cannot be found. The
 * literal `import()` sits directly in its `try`, so that a bundler bundles
 * the package when it is installed and leaves it to run time when not (see
 * scripts/build.mjs for the CommonJS build). Then the packages next to
 * `@aws-sdk/rds-signer`, for older SDKs and for layouts (pnpm) where only
 * the signer sees its own dependencies.
 */
export async function loadAwsSharedConfigLoader(): Promise<AwsSharedConfigLoader | undefined> {
  try {
    const mod = exportsOf(await import('@smithy/core/config'));
    if (isLoader(mod)) return mod;
  } catch {
    // not where dbtoken can see it: try next to the signer
  }
  // The application installs the signer (a peer dependency): look from its entry script and its folder.
  for (const from of [process.argv[1], join(process.cwd(), 'index.js')]) {
    if (typeof from !== 'string' || from === '') continue;
    for (const signer of ['@aws-sdk/rds-signer', '@aws-sdk/dsql-signer']) {
      try {
        const req = nodeModule.createRequire(nodeModule.createRequire(from).resolve(signer));
        for (const name of ['@smithy/core/config', '@smithy/shared-ini-file-loader']) {
          try {
            const mod = exportsOf(req(name));
            if (isLoader(mod)) return mod;
          } catch {
            // not this one
          }
        }
      } catch {
        // no such signer seen from here
      }
    }
  }
  return undefined;
}

/**
 * The `region` of `profile`, read as the AWS SDK reads it: from the config
 * file (`[profile name]`, or `[default]`) and the credentials file
 * (`[name]`), the credentials file's value winning. The files are read
 * anew on each call. `undefined` when neither has one (or neither exists).
 */
export async function profileRegion(loader: AwsSharedConfigLoader, profile: string, files: AwsSharedFiles): Promise<string | undefined> {
  const { configFile, credentialsFile } = await loader.loadSharedConfigFiles({ filepath: files.credentials, configFilepath: files.config, ignoreCache: true });
  const section = (file: Readonly<Record<string, IniSection | undefined>>): IniSection => (Object.hasOwn(file, profile) ? (file[profile] ?? {}) : {});
  const region = { ...section(configFile), ...section(credentialsFile) }.region;
  return typeof region === 'string' && region.trim() !== '' ? region.trim() : undefined;
}
