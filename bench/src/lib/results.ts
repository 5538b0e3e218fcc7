import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';

/**
 * A target on one figure: `ratio` (windowed / baseline) or the windowed `value` itself, at most
 * (`<=`) or at least (`>=`) `limit`. Written to JSON as text, e.g. `"ratio <= 1.2"`.
 */
export interface Target {
  on: 'ratio' | 'value';
  op: '<=' | '>=';
  limit: number;
}

/** One row of the table and of `latest.json`. */
export interface BenchResult {
  name: string;
  unit: string;
  /** windowed's figure. */
  value: number;
  /** The hand-written baseline's figure, measured in the same run. */
  baseline: number;
  /** value / baseline. */
  ratio: number;
  target: Target | null;
  /** Null for figures reported without a target. */
  met: boolean | null;
  note?: string;
}

export function result(fields: Omit<BenchResult, 'ratio' | 'met'>): BenchResult {
  const ratio = fields.value / fields.baseline;
  const t = fields.target;
  const checked = t ? (t.on === 'ratio' ? ratio : fields.value) : undefined;
  const met = t && checked !== undefined ? (t.op === '<=' ? checked <= t.limit : checked >= t.limit) : null;
  return { ...fields, ratio, met };
}

export function targetText(t: Target | null): string {
  return t ? `${t.on} ${t.op} ${t.limit}` : '';
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, ${process.platform}`;
}

export function writeResults(path: string, results: readonly BenchResult[], extra: { quick: boolean }): void {
  const doc = {
    date: new Date().toISOString(),
    node: process.version,
    machine: machine(),
    quick: extra.quick,
    benchmarks: results.map((r) => ({
      name: r.name,
      unit: r.unit,
      value: round(r.value),
      baseline: round(r.baseline),
      ratio: round(r.ratio, 3),
      target: r.target ? targetText(r.target) : null,
      met: r.met,
      ...(r.note ? { note: r.note } : {}),
    })),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The table `npm run bench` prints. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = [
    ['benchmark', 'windowed', 'baseline', 'ratio', 'target', 'met'],
    ...results.map((r) => [
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      `${fmt(r.baseline)} ${r.unit}`,
      r.ratio.toFixed(2),
      targetText(r.target),
      r.met === null ? '–' : r.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
