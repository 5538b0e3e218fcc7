/**
 * The baseline for the embedded default: what a careful engineer writes by hand for the same job —
 * one streaming pass over the file (JSON.parse per line), a Set of users per minute, and one SQLite
 * transaction writing the day's rows.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import type { DayInput } from '../lib/day.js';
import { digestMinutes } from '../lib/digest.js';
import { MAX_STATUS, PAGES as PAGE_LIST } from '../lib/pv-uv.js';
import { answer, cpuTime, workerInput } from '../lib/worker-io.js';

const PAGES = new Set(PAGE_LIST);

await answer(async () => {
  const input = workerInput<DayInput>();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const minutes = new Map<number, { pv: number; users: Set<string> }>();
  const lines = createInterface({ input: createReadStream(input.file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line) continue;
    let event: { time?: string; user_id?: string; path?: string; status?: number };
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    const t = Date.parse(event.time ?? '');
    if (Number.isNaN(t) || t < input.from || t >= input.to) continue;
    if (!(typeof event.status === 'number' && event.status < MAX_STATUS && PAGES.has(event.path ?? '')))
      continue;
    const minute = t - (t % 60_000);
    let m = minutes.get(minute);
    if (!m) {
      m = { pv: 0, users: new Set() };
      minutes.set(minute, m);
    }
    m.pv++;
    if (event.user_id !== undefined) m.users.add(event.user_id);
  }
  const db = new Database(`${input.workDir}/pv_uv_hand.db`);
  db.pragma('journal_mode = WAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS pv_uv (window_start TEXT PRIMARY KEY, window_end TEXT NOT NULL, pv INTEGER NOT NULL, uv INTEGER NOT NULL)',
  );
  const upsert = db.prepare(
    'INSERT INTO pv_uv (window_start, window_end, pv, uv) VALUES (?, ?, ?, ?) ON CONFLICT (window_start) DO UPDATE SET window_end = excluded.window_end, pv = excluded.pv, uv = excluded.uv',
  );
  db.transaction(() => {
    for (let start = input.from; start < input.to; start += 60_000) {
      const m = minutes.get(start);
      upsert.run(
        new Date(start).toISOString(),
        new Date(start + 60_000).toISOString(),
        m?.pv ?? 0,
        m?.users.size ?? 0,
      );
    }
  })();
  db.close();
  const ms = performance.now() - started;
  const cpuMs = cpuTime(cpu);
  return {
    ms,
    cpuMs,
    maxRssKb: process.resourceUsage().maxRSS,
    ...digestMinutes([...minutes].map(([start, m]) => [start, m.pv, m.users.size] as const)),
  };
});
