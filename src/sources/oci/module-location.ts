/**
 * This module's own file, so that the OCI SDK worker resolves `oci-common`
 * from where dbtoken is installed, wherever the application's entry script
 * and working directory are. The CommonJS build knows it as `__filename`;
 * the ESM build's copy of this file is replaced by scripts/build.mjs with
 * one that reads `import.meta.url`.
 */
export const moduleFile: string | undefined = typeof __filename === 'string' ? __filename : undefined;
