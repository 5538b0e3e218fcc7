import { builtin } from './node-builtins.js';
import { canonicalQuery } from './query/normalize.js';
import type { DeclarativeQuery, QueryFn } from './query/types.js';
import type { WindowSpec } from './window/types.js';

const { createHash } = builtin('node:crypto');

/**
 * What a window's numbers depend on, hashed: the normalized query, the windows' size and time zone
 * (which decide their bounds) and the source's identity. Not the query's formatting, not delay,
 * tolerance or lateness (they decide when a window is computed, not what it is). A functional query
 * is code windowed cannot normalize: only its window and source count.
 */
export function definitionFingerprint(
  query: DeclarativeQuery | QueryFn,
  window: WindowSpec,
  source: string,
): string {
  const definition = {
    // 2: filters and in-lists ordered by code units, not by the process locale (1).
    v: 2,
    query: typeof query === 'function' ? 'function' : canonicalQuery(query),
    window: [window.size.label, window.timeZone],
    source,
  };
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 32);
}
