import type { DeclarativeQuery } from './types.js';

const sealed = new WeakSet<object>();

/**
 * Marks a declarative query windowed owns (a job's validated copy) as never changing again: it is
 * deep-frozen, so what a source compiles from it once (SQL text, validation) stays right for every
 * later window.
 */
export function sealQuery<T extends DeclarativeQuery>(query: T): T {
  deepFreeze(query);
  sealed.add(query);
  return query;
}

/** Whether `query` was sealed: only then may its compiled form be cached by identity. */
export function isSealedQuery(query: DeclarativeQuery): boolean {
  return sealed.has(query);
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
