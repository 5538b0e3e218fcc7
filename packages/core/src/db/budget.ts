import { builtin } from '../node-builtins.js';

const { AsyncLocalStorage } = builtin('node:async_hooks');

/**
 * The time every statement of one unit of work may take — a run under a function's deadline. Set
 * with {@link withStatementBudget}; the SQL clients read it for each statement they start, so the
 * source's query, the sink's write, the ledger's reads and writes and the table checks in between
 * are bounded alike, without each component passing a deadline along.
 */
export interface StatementBudget {
  /** Epoch ms: a statement starting now is cancelled on the server if it is still running then. */
  statementEnd(): number;
  /** How long to wait, after asking the server to cancel a statement, for the statement to answer. */
  readonly cancelGraceMs: number;
  /** A statement (or its cancellation) started under the budget: the owner waits for them all. */
  track(settled: Promise<unknown>): void;
}

/** What bounds one statement (or one transaction): see {@link statementLimit}. */
export interface StatementLimit {
  /** Epoch ms: the statement is cancelled on the server if it is still running then. */
  until: number;
  /** Epoch ms: stop waiting for a cancelled statement's answer (its connection is then discarded). */
  cancelBy: number;
  /** `deadline` when the budget set `until`, `timeout` when the caller's `timeoutMs` did. */
  reason: 'deadline' | 'timeout';
  budget: StatementBudget | undefined;
}

/** Without a budget, how long a statement past its `timeoutMs` is given to answer its cancellation. */
const CANCEL_GRACE_MS = 1_000;

const scope = new AsyncLocalStorage<StatementBudget>();

/** Runs `fn` with every statement it starts, however deep, bounded by `budget`. */
export function withStatementBudget<T>(budget: StatementBudget, fn: () => T): T {
  return scope.run(budget, fn);
}

/**
 * The limit of a statement starting now: the caller's `timeoutMs`, or the budget's end if sooner.
 * Undefined when neither applies (the statement runs unbounded, as outside any run).
 */
export function statementLimit(timeoutMs: number | undefined): StatementLimit | undefined {
  const budget = scope.getStore();
  let until = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  let reason: StatementLimit['reason'] = 'timeout';
  const end = budget?.statementEnd();
  if (end !== undefined && end < until) {
    until = end;
    reason = 'deadline';
  }
  if (until === Number.POSITIVE_INFINITY) return undefined;
  return { until, cancelBy: until + (budget?.cancelGraceMs ?? CANCEL_GRACE_MS), reason, budget };
}
