import type { Engine } from './engine.js';
import { sqlName, sqlString } from './engine.js';
import { fieldColumn, NO_VALUE } from './fields.js';
import type { ResolvedFileOptions } from './options.js';
import type { SegmentWriter } from './segments.js';
import { looksLikeTime, withTime } from './time.js';

/**
 * Ingests a Parquet file: each value as its JSON text (`to_json`), so the column's type decides —
 * a VARCHAR `"200"` is text, an INTEGER `200` a number; a TIMESTAMP time is read as UTC.
 */
export async function ingestParquet(
  engine: Engine,
  writer: SegmentWriter,
  options: ResolvedFileOptions,
  path: string,
  fields: readonly string[],
): Promise<void> {
  const present = new Set(await parquetColumns(engine, path));
  const columns = fields.map(fieldColumn);
  const value = (n: string) => (present.has(n) ? `to_json(${sqlName(n)})::varchar` : NO_VALUE);
  const time = present.has(options.timeField) ? `${sqlName(options.timeField)}::varchar` : NO_VALUE;
  const raw = `select ${time} as __t, true as __ok, null::varchar as __rejected${fields
    .map((f, i) => `, ${value(f)} as ${columns[i]}`)
    .join('')} from read_parquet(${sqlString(path)})`;
  await writer.write(withTime(raw, options.timeUnit, columns));
}

/** Columns of the first rows whose values read as times, most such values first. */
export async function parquetTimeFields(engine: Engine, path: string): Promise<string[]> {
  const names = await parquetColumns(engine, path);
  if (names.length === 0) return [];
  const counts = names.map(
    (n, i) => `count(*) filter (where ${looksLikeTime(`to_json(${sqlName(n)})::varchar`)}) as n${i}`,
  );
  const [row] = await engine.all(
    `select ${counts.join(', ')} from (select * from read_parquet(${sqlString(path)}) limit 1000)`,
  );
  return names
    .map((name, i) => ({ name, n: Number(row?.[`n${i}`] ?? 0) }))
    .filter((c) => c.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((c) => c.name);
}

async function parquetColumns(engine: Engine, path: string): Promise<string[]> {
  const described = await engine.all(`describe select * from read_parquet(${sqlString(path)})`);
  return described.map((r) => String(r.column_name));
}
