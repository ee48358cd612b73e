import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/temp.js';

// Test files make folders holding keys and tokens: none outlives its file.
afterAll(() => removeTempDirs());
