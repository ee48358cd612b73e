// createIamPool's way in to the oracledb adapter: the pool opener alone, so that a
// bundler keeps none of the adapter's other exports in a createIamPool bundle.
export { createOracledbPoolWith } from '../oracledb.js';
