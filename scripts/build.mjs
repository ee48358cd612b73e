// Builds dist/esm and dist/cjs (each with .d.ts) from the same sources.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeWorkerSource } from './worker-source.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
writeWorkerSource();
for (const project of ['tsconfig.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit', cwd: root });
}
// tsc turns each driver's import() into a require() inside an arrow function;
// bundlers leave a missing package to run time only when its require() sits
// directly inside the try block, as the import() does in the ESM build.
// (The AWS SDK's config file loader is loaded the same way.)
const lazy = /await Promise\.resolve\(\)\.then\(\(\) => (__importStar\(require\('[^']+'\)\))\)/g;
for (const [file, imports] of [['dist/cjs/adapters/load-driver.js', 5], ['dist/cjs/adapters/oracle-net/driver.js', 2], ['dist/cjs/src/sources/aws/profile-region.js', 1], ['dist/cjs/src/sources/aws/signers.js', 2], ['dist/cjs/src/sources/azure/entra.js', 1], ['dist/cjs/src/sources/gcp/cloud-sql.js', 1]]) {
  const loader = join(root, file);
  const source = readFileSync(loader, 'utf8');
  if (source.match(lazy)?.length !== imports) throw new Error(`${loader}: expected ${imports} driver imports to unwrap`);
  writeFileSync(loader, source.replace(lazy, '$1'));
}
mkdirSync(join(root, 'dist/cjs'), { recursive: true });
writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
writeFileSync(join(root, 'dist/esm/package.json'), '{ "type": "module" }\n');
// The ESM build learns its own location from import.meta.url (see module-location.ts);
// bundled into CommonJS, where import.meta is empty, from __filename.
writeFileSync(
  join(root, 'dist/esm/src/sources/oci/module-location.js'),
  [
    "import { fileURLToPath } from 'node:url';",
    "/** This module's own file (in a bundle, the bundle's). */",
    "export const moduleFile = typeof import.meta.url === 'string' ? fileURLToPath(import.meta.url) : typeof __filename === 'string' ? __filename : undefined;",
    '',
  ].join('\n'),
);
