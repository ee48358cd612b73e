// createIamPool's way in to the pg adapter: the pool opener alone, so that a
// bundler keeps none of the adapter's other exports in a createIamPool bundle.
export { createPgPoolWith } from '../pg.js';
