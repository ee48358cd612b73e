// createIamPool's way in to the postgres adapter: the pool opener alone, so that a
// bundler keeps none of the adapter's other exports in a createIamPool bundle.
export { createPostgresJsWith } from '../postgres.js';
