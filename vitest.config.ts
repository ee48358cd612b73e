import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// Tests import the package by its public names; these resolve to the sources.
// test/integration/package.test.ts checks the built dist/ through the real exports map.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^dbtoken$/, replacement: here('./src/index.ts') },
      { find: /^dbtoken\/aws$/, replacement: here('./src/aws.ts') },
      { find: /^dbtoken\/azure$/, replacement: here('./src/azure.ts') },
      { find: /^dbtoken\/gcp$/, replacement: here('./src/gcp.ts') },
      { find: /^dbtoken\/oci$/, replacement: here('./src/oci.ts') },
      { find: /^dbtoken\/pg$/, replacement: here('./adapters/subpath/pg.ts') },
      { find: /^dbtoken\/postgres$/, replacement: here('./adapters/subpath/postgres.ts') },
      { find: /^dbtoken\/mysql2$/, replacement: here('./adapters/subpath/mysql2.ts') },
      { find: /^dbtoken\/oracledb$/, replacement: here('./adapters/subpath/oracledb.ts') },
      { find: /^dbtoken\/provision$/, replacement: here('./src/provision/index.ts') },
      { find: /^dbtoken\/testing$/, replacement: here('./src/testing/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
