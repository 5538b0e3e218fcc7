import type { TruthCheck } from './truth.js';

/**
 * The figures of a fault-injection suite, summed over its scenarios and printed at its end, so a
 * reader sees what was tried: faults injected (by kind), runs, windows checked, lost, duplicated.
 */
const COUNTS = [
  'runs',
  'failedRuns',
  'late',
  'processesKilled',
  'crashed',
  'windowsChecked',
  'lost',
  'duplicated',
  'partial',
  'wrong',
  'ledgerDisagrees',
] as const;

export class FaultReport {
  readonly injected = new Map<string, number>();
  runs = 0;
  /** Runs that rejected (a fault struck them): they must heal by the next run or catch-up. */
  failedRuns = 0;
  /** Runs that settled after their deadline (must stay 0). */
  late = 0;
  /** The latest settle time relative to the deadline, ms (negative: before it). */
  worstMarginMs = Number.NEGATIVE_INFINITY;
  processesKilled = 0;
  crashed = 0;
  windowsChecked = 0;
  lost = 0;
  duplicated = 0;
  partial = 0;
  wrong = 0;
  ledgerDisagrees = 0;

  /** The figures as plain JSON, to sum the reports of several test files ({@link absorb}). */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), injected: Object.fromEntries(this.injected) };
  }

  absorb(json: Record<string, unknown>): void {
    this.addFaults(new Map(Object.entries(json.injected as Record<string, number>)));
    for (const key of COUNTS) this[key] += Number(json[key] ?? 0);
    this.worstMarginMs = Math.max(this.worstMarginMs, Number(json.worstMarginMs ?? Number.NEGATIVE_INFINITY));
  }

  addFaults(injected: ReadonlyMap<string, number>): void {
    for (const [label, n] of injected) this.injected.set(label, (this.injected.get(label) ?? 0) + n);
  }

  /** One run that had a deadline: when it settled, and whether it failed. */
  addRun(settledAt: number, deadline: number | undefined, failed: boolean): void {
    this.runs++;
    if (failed) this.failedRuns++;
    if (deadline === undefined) return;
    this.worstMarginMs = Math.max(this.worstMarginMs, settledAt - deadline);
    if (settledAt > deadline) this.late++;
  }

  addCheck(check: TruthCheck): void {
    this.windowsChecked += check.windows;
    this.lost += check.lost.length;
    this.duplicated += check.duplicated.length;
    this.partial += check.partial.length;
    this.wrong += check.wrong.length;
    this.ledgerDisagrees += check.ledgerDisagrees.length;
  }

  get faults(): number {
    let sum = this.processesKilled;
    for (const n of this.injected.values()) sum += n;
    return sum;
  }

  format(title: string): string {
    const kinds = [...this.injected]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, n]) => `    ${label}: ${n}`);
    if (this.processesKilled) kinds.push(`    kill -9 mid-backfill: ${this.processesKilled}`);
    const margin = Number.isFinite(this.worstMarginMs) ? `${Math.round(this.worstMarginMs)} ms` : 'n/a';
    return [
      `${title}`,
      `  faults injected: ${this.faults}`,
      ...kinds,
      `  runs: ${this.runs} (${this.failedRuns} rejected by a fault, ${this.late} settled after the deadline; latest settle vs deadline: ${margin})`,
      `  windows checked: ${this.windowsChecked}`,
      `  lost: ${this.lost}, duplicated: ${this.duplicated}, partial: ${this.partial}, wrong: ${this.wrong}, ledger disagreeing: ${this.ledgerDisagrees}`,
      `  processes crashed: ${this.crashed}`,
    ].join('\n');
  }
}
