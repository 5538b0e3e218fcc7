import { builtin } from '../../node-builtins.js';
import type { MalformedReason } from '../malformed.js';
import type { CacheDir, Segment } from './cache.js';
import { type CopyStats, type Engine, type EngineRow, sqlName, sqlString } from './engine.js';
import { BAD, TS } from './time.js';

const fs = builtin('node:fs');

/** Where DuckDB's CSV reader puts the lines it rejects (too long, not a row), per read. */
export interface RejectsTable {
  table: string;
  scan: string;
}

/** What one segment holds: its rows, and the malformed ones without a time by reason. */
export interface Written {
  rows: number;
  unplaced: Map<MalformedReason, number>;
}

let rejectsCounter = 0;

const ROW_GROUP = 32_768;

/**
 * Writes segments under temporary names; `commit` renames them into place. Each segment's counts
 * (rows with a time, malformed rows placed in a window, malformed rows without a time) come from
 * the statistics of the file DuckDB wrote, or from the file itself when some rows are malformed.
 */
export class SegmentWriter {
  readonly segments: Segment[] = [];
  readonly unplaced = new Map<MalformedReason, number>();
  /** The part of `unplaced` in tail segments. */
  readonly tailUnplaced = new Map<MalformedReason, number>();
  /** Segments written from now on hold the unfinished last line (read again with what follows it). */
  tail = false;
  private readonly pending: { temporary: string; name: string; unplaced: Map<MalformedReason, number> }[] =
    [];

  constructor(
    private readonly engine: Engine,
    private readonly cache: CacheDir,
  ) {}

  rejectsTable(): RejectsTable {
    rejectsCounter++;
    return { table: `windowed_rejects_${rejectsCounter}`, scan: `windowed_rejects_scan_${rejectsCounter}` };
  }

  /** `COPY (select) TO` a new segment (`select` has the columns `TS`, `BAD` and the fields). */
  async write(select: string): Promise<Written> {
    const name = this.cache.segmentName();
    const temporary = this.cache.temporary(name);
    this.pending.push({ temporary, name, unplaced: new Map() });
    // Row groups of 32,768 rows (not DuckDB's 122,880): a one-window query reads a quarter as much
    // (its time range selects row groups by their min/max). Parquet 2 encodings (delta, byte-stream
    // split) with LZ4: against Parquet 1 with Snappy, writing takes ~20 % less CPU, the day's query
    // ~15 % less, and the file is a third smaller (bench/README.md, "Second pass on the embedded engine").
    const stats = await this.engine.copyToParquet(
      select,
      temporary,
      `compression lz4_raw, parquet_version v2, row_group_size ${ROW_GROUP}`,
    );
    const rows = await this.countsOf(stats, temporary);
    const segment: Segment = {
      name,
      good: 0,
      placed: 0,
      minTs: null,
      maxTs: null,
      ...(this.tail ? { tail: true } : {}),
    };
    const unplaced = this.pending.at(-1)!.unplaced;
    let total = 0;
    for (const row of rows) {
      const n = Number(row.n);
      total += n;
      if (row.unplaced) {
        const reason = String(row.bad) as MalformedReason;
        unplaced.set(reason, (unplaced.get(reason) ?? 0) + n);
        continue;
      }
      if (row.bad === null) segment.good += n;
      else segment.placed += n;
      const lo = Number(row.lo);
      const hi = Number(row.hi);
      segment.minTs = segment.minTs === null ? lo : Math.min(segment.minTs, lo);
      segment.maxTs = segment.maxTs === null ? hi : Math.max(segment.maxTs, hi);
    }
    this.segments.push(segment);
    for (const [reason, n] of unplaced) this.add(reason, n);
    return { rows: total, unplaced };
  }

  /**
   * A segment's rows by malformation, with their least and greatest time: the file's statistics when
   * every row is well-formed (the common case), else read back from the file by reason.
   */
  private async countsOf(stats: CopyStats, file: string): Promise<EngineRow[]> {
    const bad = stats.columns.get(BAD);
    const ts = stats.columns.get(TS);
    if (bad && ts && bad.nulls === stats.rows && ts.nulls === 0) {
      if (stats.rows === 0) return [];
      return [{ bad: null, unplaced: false, n: stats.rows, lo: Number(ts.min), hi: Number(ts.max) }];
    }
    return this.engine.all(
      `select ${BAD} as bad, ${TS} is null as unplaced, count(*) as n, min(${TS}) as lo, max(${TS}) as hi
       from read_parquet(${sqlString(file)}) group by all`,
    );
  }

  /** Moves `n` of the rows counted without a time from one reason to another (or to none). */
  recount(from: MalformedReason, n: number): void {
    this.add(from, -n);
  }

  /** Forgets every segment written (the input is read again another way). */
  discard(): void {
    for (const p of this.pending.splice(0)) fs.rmSync(p.temporary, { force: true });
    this.segments.length = 0;
    this.unplaced.clear();
    this.tailUnplaced.clear();
  }

  /** Lines DuckDB's reader rejected (too long, not a row): a segment of malformed lines, if any. */
  async writeRejects(rejects: RejectsTable, select: (rejected: string) => string): Promise<number> {
    try {
      const [count] = await this.engine.all(`select count(*) as n from ${sqlName(rejects.table)}`);
      if (Number(count?.n ?? 0) === 0) return 0;
      // One row per rejected line (a line with several errors is listed once per error).
      return (
        await this.write(
          select(`(select any_value(csv_line) as csv_line, bool_or(error_type = 'LINE SIZE OVER MAXIMUM') as too_long
            from ${sqlName(rejects.table)} group by scan_id, file_id, line)`),
        )
      ).rows;
    } finally {
      await this.engine.all(`drop table if exists ${sqlName(rejects.table)}`);
      await this.engine.all(`drop table if exists ${sqlName(rejects.scan)}`);
    }
  }

  /** The files of the segments written and not yet committed. */
  writtenPaths(): string[] {
    return this.pending.map((p) => p.temporary);
  }

  unplacedTotal(): number {
    let n = 0;
    for (const v of this.unplaced.values()) n += v;
    return n;
  }

  /** Renames the segments into place. */
  commit(): void {
    for (const { temporary, name } of this.pending) fs.renameSync(temporary, this.cache.path(name));
    this.pending.length = 0;
  }

  /** Removes the segments not committed. */
  abandon(): void {
    for (const { temporary } of this.pending.splice(0)) fs.rmSync(temporary, { force: true });
  }

  private add(reason: MalformedReason, n: number): void {
    for (const counts of this.tail ? [this.unplaced, this.tailUnplaced] : [this.unplaced]) {
      const total = (counts.get(reason) ?? 0) + n;
      if (total === 0) counts.delete(reason);
      else counts.set(reason, total);
    }
  }
}
