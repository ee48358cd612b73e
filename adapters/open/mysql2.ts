// createIamPool's way in to the mysql2 adapter: the pool opener alone, so that a
// bundler keeps none of the adapter's other exports in a createIamPool bundle.
export { createMysql2PoolWith } from '../mysql2.js';
