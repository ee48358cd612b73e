import { expect, it } from 'vitest';
import { LruMap } from '../../src/core/lru.js';

it.each([
  { ops: ['set a', 'set b', 'set c'], max: 2, left: ['b', 'c'] },
  { ops: ['set a', 'set b', 'get a', 'set c'], max: 2, left: ['a', 'c'] },
  { ops: ['set a', 'set b', 'set a', 'set c'], max: 2, left: ['a', 'c'] },
  { ops: ['set a', 'set b', 'delete a', 'set c'], max: 2, left: ['b', 'c'] },
  { ops: ['set a', 'get x', 'set b'], max: 2, left: ['a', 'b'] },
  { ops: ['set a', 'set b', 'peek a', 'set c'], max: 2, left: ['b', 'c'] },
])('$ops with max $max keeps $left', ({ ops, max, left }) => {
  const lru = new LruMap<string, number>(max);
  ops.forEach((op, i) => {
    const [verb, key] = op.split(' ') as ['set' | 'get' | 'peek' | 'delete', string];
    if (verb === 'set') lru.set(key, i);
    else if (verb === 'get') lru.get(key);
    else if (verb === 'peek') lru.peek(key);
    else lru.delete(key);
  });
  expect(['a', 'b', 'c', 'x'].filter((k) => lru.peek(k) !== undefined)).toEqual(left);
  expect(lru.size).toBe(left.length);
});
