import { Prng } from './prng.js';
import type { StatementShape } from './protocol.js';

/**
 * What the proxy does to one statement:
 * - `drop`: the connection is cut before the statement reaches the server (before a query, in the
 *   middle of a transaction, or before COMMIT);
 * - `mid-query`: the statement reaches the server, and the connection is cut a few milliseconds
 *   later or when its reply comes, whichever is first (the reply never reaches the client);
 * - `lost-reply`: the statement runs to its end on the server, its reply is lost and the connection
 *   cut (for COMMIT: committed, but the client cannot know);
 * - `after-reply`: the reply reaches the client, then the connection is cut (after COMMIT);
 * - `stall`: the reply is held back for `stallMs`.
 */
export type FaultAction = 'drop' | 'mid-query' | 'lost-reply' | 'after-reply' | 'stall';

export interface Fault {
  action: FaultAction;
  /** A name for the report: where in the protocol it struck. */
  label: string;
  /** `mid-query`: cut this long after forwarding; `stall`: hold the reply this long. */
  delayMs: number;
}

export interface Statement extends StatementShape {
  sql: string;
  /** A transaction is open on the connection (after BEGIN, before COMMIT or ROLLBACK). */
  inTransaction: boolean;
}

export interface FaultPlanOptions {
  seed: number;
  /** Chance that a statement meets a fault, 0–1. */
  rate: number;
  /**
   * Chance for a statement that commits (COMMIT, or MySQL's whole transaction in one packet):
   * where a fault tells apart written-and-recorded from neither. Default `rate`.
   */
  commitRate?: number;
  /** Chance that a new connection is reset before the server's greeting reaches it. Default 0. */
  connectRate?: number;
  /** Chance that a fault is a stall rather than a cut. Default 0.2. */
  stallShare?: number;
  /** Longest stall. Default 300 ms. */
  maxStallMs?: number;
}

/** A fault chosen ahead, for the next statement whose text matches. */
interface Chosen {
  match: RegExp;
  action: FaultAction;
  delayMs: number;
}

/**
 * Which statements meet which fault: seeded random ones at `rate`, and chosen ones
 * ({@link FaultPlan.next}) before them. Counts what it injected, by label.
 */
export class FaultPlan {
  readonly prng: Prng;
  /** Faults injected so far, by label. */
  readonly injected = new Map<string, number>();
  private enabled = true;
  private readonly chosen: Chosen[] = [];

  constructor(private readonly options: FaultPlanOptions) {
    this.prng = new Prng(options.seed);
  }

  /** The next statement matching `match` meets `action` (before any random fault). */
  next(match: RegExp, action: FaultAction, delayMs = 0): this {
    this.chosen.push({ match, action, delayMs });
    return this;
  }

  /** Random faults off (chosen ones still apply): the link works, as after an outage. */
  pause(): void {
    this.enabled = false;
  }

  resume(): void {
    this.enabled = true;
  }

  get total(): number {
    let sum = 0;
    for (const n of this.injected.values()) sum += n;
    return sum;
  }

  /** Whether a new connection is reset at once (counted as `cut while connecting`). */
  decideConnect(): boolean {
    if (!this.enabled || this.prng.next() >= (this.options.connectRate ?? 0)) return false;
    this.injected.set('cut while connecting', (this.injected.get('cut while connecting') ?? 0) + 1);
    return true;
  }

  decide(statement: Statement): Fault | undefined {
    const index = this.chosen.findIndex((c) => c.match.test(statement.sql));
    if (index >= 0) {
      const [c] = this.chosen.splice(index, 1);
      return this.record(statement, c!.action, c!.delayMs);
    }
    const rate = statement.commits ? (this.options.commitRate ?? this.options.rate) : this.options.rate;
    if (!this.enabled || this.prng.next() >= rate) return undefined;
    if (this.prng.next() < (this.options.stallShare ?? 0.2))
      return this.record(statement, 'stall', this.prng.int(1, this.options.maxStallMs ?? 300));
    const action = this.prng.pick<FaultAction>(['drop', 'mid-query', 'lost-reply', 'after-reply']);
    return this.record(statement, action, action === 'mid-query' ? this.prng.int(0, 10) : 0);
  }

  private record(statement: Statement, action: FaultAction, delayMs: number): Fault {
    const label = labelOf(statement, action);
    this.injected.set(label, (this.injected.get(label) ?? 0) + 1);
    return { action, label, delayMs };
  }
}

function labelOf(s: Statement, action: FaultAction): string {
  if (action === 'stall') return 'stalled reply';
  if (s.commits) {
    if (action === 'drop') return 'cut before COMMIT';
    if (action === 'after-reply') return 'cut after COMMIT';
    if (action === 'mid-query') return 'cut during COMMIT';
    return 'lost COMMIT reply';
  }
  const where = s.inTransaction || s.begins ? 'mid-transaction' : 'mid-query';
  if (action === 'drop') return `cut ${where === 'mid-query' ? 'before a query' : where}`;
  if (action === 'after-reply') return `cut after a reply (${where})`;
  return `cut ${where}`;
}
