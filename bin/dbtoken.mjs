#!/usr/bin/env node
// The dbtoken command: see `dbtoken --help` and src/cli/.
import { readFileSync } from 'node:fs';
import { main } from '../dist/esm/src/cli/main.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
process.exitCode = await main(process.argv.slice(2), undefined, { version });
