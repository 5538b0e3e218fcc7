import type { Row } from '../query/types.js';
import type { ColumnSet } from '../sinks/types.js';
import type { Window } from '../window/types.js';
import type { GroupDifference, WindowDrift } from './types.js';

/**
 * How far apart two floating-point values may be and still be the same: a `double` column stores what
 * it was given, but a source may add up the same values in another order on another run.
 */
const RELATIVE_TOLERANCE = 1e-9;

/**
 * A window's rows as recomputed against the rows its sink holds, group by group (groups matched on
 * their dimension values as the sink stores them: text). Undefined when they agree.
 */
export function compareWindow(
  window: Window,
  columns: ColumnSet,
  expected: readonly Row[],
  stored: readonly Row[],
): WindowDrift | undefined {
  const metrics = columns.metrics.map((m) => m.name);
  const storedByGroup = new Map<string, Row[]>();
  for (const row of stored) {
    const key = groupKey(columns.dimensions, row);
    const rows = storedByGroup.get(key);
    if (rows) rows.push(row);
    else storedByGroup.set(key, [row]);
  }
  const differences: GroupDifference[] = [];
  for (const row of expected) {
    const key = groupKey(columns.dimensions, row);
    const candidates = storedByGroup.get(key);
    const match = candidates?.shift();
    if (candidates?.length === 0) storedByGroup.delete(key);
    const group = groupOf(columns.dimensions, row);
    if (!match) {
      differences.push({ group, expected: pick(row, metrics), stored: null, metrics });
      continue;
    }
    const differing = metrics.filter((m) => !sameValue(row[m], m in match ? match[m] : undefined));
    if (differing.length > 0)
      differences.push({
        group,
        expected: pick(row, metrics),
        stored: pick(match, metrics),
        metrics: differing,
      });
  }
  for (const rows of storedByGroup.values()) {
    for (const row of rows) {
      differences.push({
        group: groupOf(columns.dimensions, row),
        expected: null,
        stored: pick(row, metrics),
        metrics,
      });
    }
  }
  if (differences.length === 0) return undefined;
  return { window, missing: stored.length === 0, differences };
}

/** The dimension values as a sink stores them: text, or null. */
function groupOf(dimensions: readonly string[], row: Row): Record<string, string | null> {
  const group: Record<string, string | null> = {};
  for (const d of dimensions) group[d] = row[d] === null || row[d] === undefined ? null : String(row[d]);
  return group;
}

function groupKey(dimensions: readonly string[], row: Row): string {
  return JSON.stringify(Object.values(groupOf(dimensions, row)));
}

/** The metrics of a row; a column the table lacks (a metric added since) is left out. */
function pick(row: Row, metrics: readonly string[]): Row {
  const out: Row = {};
  for (const m of metrics) if (m in row) out[m] = row[m] ?? null;
  return out;
}

function sameValue(expected: Row[string] | undefined, stored: Row[string] | undefined): boolean {
  if (stored === undefined) return false;
  if (expected === null || expected === undefined || stored === null) return (expected ?? null) === stored;
  const a = Number(expected);
  const b = Number(stored);
  if (Number.isNaN(a) || Number.isNaN(b)) return String(expected) === String(stored);
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}
