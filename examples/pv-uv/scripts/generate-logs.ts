/**
 * A seeded day of web access logs, as NDJSON: `{ time, user_id, path, status, bytes, ua, ip }`.
 *
 * - a daily traffic curve (night trough around 04:00, peaks late morning and evening, local time);
 * - heavy-tailed users (Zipf-like: a few users make many requests, most make one or two);
 * - lines written in arrival order, which is not time order: most arrive within a second or two,
 *   a few are late by minutes (a buffering agent), so files are out of order;
 * - a few malformed lines (truncated JSON, a missing or unparseable time).
 *
 * The same seed gives the same bytes, so the example's numbers are reproducible.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GenerateOptions {
  /** Output file. */
  file: string;
  /** Local midnight that starts the day, as an instant. Default 2026-11-26T00:00:00+08:00. */
  dayStart?: Date;
  /** Average lines per minute at the daily mean. Default 140 (≈200k lines a day). */
  perMinute?: number;
  /** Minutes to generate. Default 1440 (a day). */
  minutes?: number;
  users?: number;
  seed?: number;
}

export interface GenerateResult {
  file: string;
  lines: number;
  malformed: number;
  late: number;
  from: Date;
  to: Date;
}

export const DEFAULT_DAY_START = new Date('2026-11-25T16:00:00Z'); // 2026-11-26 00:00 in Asia/Shanghai

/** Request paths and their weights: about half are page views. Shared with bench/. */
export const PATHS: Array<[string, number]> = [
  ['/', 18],
  ['/search', 12],
  ['/products', 10],
  ['/cart', 5],
  ['/checkout', 2],
  ['/login', 4],
  ['/account', 3],
  ['/help', 1],
  ['/api/recommendations', 9],
  ['/static/app.js', 14],
  ['/static/app.css', 12],
  ['/favicon.ico', 3],
];
export const STATUSES: Array<[number, number]> = [
  [200, 880],
  [304, 60],
  [301, 15],
  [404, 30],
  [403, 5],
  [500, 7],
  [503, 3],
];
const AGENTS = [
  'Mozilla/5.0 (iPhone)',
  'Mozilla/5.0 (Windows NT 10.0)',
  'Mozilla/5.0 (Macintosh)',
  'Mozilla/5.0 (Linux; Android 14)',
  'curl/8.5.0',
];

export async function generateLogs(options: GenerateOptions): Promise<GenerateResult> {
  const random = mulberry32(options.seed ?? 20261126);
  const dayStart = (options.dayStart ?? DEFAULT_DAY_START).getTime();
  const minutes = options.minutes ?? 1440;
  const perMinute = options.perMinute ?? 140;
  const users = options.users ?? 20_000;
  const pickPath = weighted(PATHS, random);
  const pickStatus = weighted(STATUSES, random);
  const zipf = zipfSampler(users, 1.1, random);

  // Arrival-ordered lines: [arrivalMs, text]. A minute's lines are flushed once no earlier arrival can come.
  const pending: Array<[number, string]> = [];
  mkdirSync(dirname(resolve(options.file)), { recursive: true });
  const tmp = `${options.file}.tmp`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  let lines = 0;
  let malformed = 0;
  let late = 0;
  const write = async (text: string) => {
    lines++;
    if (!out.write(`${text}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const LATE_MAX = 15 * 60_000;

  for (let m = 0; m < minutes; m++) {
    const minuteStart = dayStart + m * 60_000;
    const hour = (m / 60) % 24;
    const expected = perMinute * trafficCurve(hour) * (0.9 + 0.2 * random());
    const count = Math.max(0, Math.round(expected + Math.sqrt(expected) * gaussian(random)));
    for (let i = 0; i < count; i++) {
      const time = minuteStart + Math.floor(random() * 60_000);
      const userRank = zipf();
      const status = pickStatus();
      const path = pickPath();
      const line = {
        time: new Date(time).toISOString(),
        user_id: `u${String(userRank).padStart(5, '0')}`,
        path,
        status,
        bytes: status === 304 ? 0 : Math.round(Math.exp(7 + 1.4 * gaussian(random))),
        ua: AGENTS[userRank % AGENTS.length],
        ip: `10.${(userRank >> 8) & 255}.${userRank & 255}.${1 + (userRank % 250)}`,
      };
      let arrival = time + Math.floor(random() * 2_000);
      if (random() < 0.001) {
        arrival = time + 60_000 + Math.floor(random() * (LATE_MAX - 60_000));
        late++;
      }
      let text = JSON.stringify(line);
      const r = random();
      if (r < 0.0001) {
        text = text.slice(0, Math.floor(text.length / 2)); // truncated write
        malformed++;
      } else if (r < 0.0002) {
        text = JSON.stringify({ ...line, time: 'not-a-time' });
        malformed++;
      } else if (r < 0.0003) {
        const { time: _t, ...rest } = line;
        text = JSON.stringify(rest);
        malformed++;
      }
      pending.push([arrival, text]);
    }
    // Everything that arrived before this minute's end (minus the late horizon) can be written in order.
    const horizon = minuteStart + 60_000 - (m === minutes - 1 ? -LATE_MAX * 2 : 0);
    pending.sort((a, b) => a[0] - b[0]);
    let flush = 0;
    while (flush < pending.length && pending[flush]![0] < horizon) flush++;
    for (const [, text] of pending.splice(0, flush)) await write(text);
  }
  pending.sort((a, b) => a[0] - b[0]);
  for (const [, text] of pending) await write(text);
  await new Promise<void>((resolvePromise, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolvePromise())),
  );
  renameSync(tmp, options.file);
  return {
    file: options.file,
    lines,
    malformed,
    late,
    from: new Date(dayStart),
    to: new Date(dayStart + minutes * 60_000),
  };
}

/** Relative traffic by local hour: a trough at 04:00, peaks around 11:00 and 21:00. Mean ≈ 1. */
export function trafficCurve(hour: number): number {
  const bump = (center: number, width: number, height: number) => {
    const d = ((hour - center + 36) % 24) - 12; // signed distance in hours, wrapping at midnight
    return height * Math.exp(-(d * d) / (2 * width * width));
  };
  return 0.12 + bump(11, 2.5, 1.1) + bump(15, 2, 0.7) + bump(21, 2.2, 1.5);
}

function weighted<T>(items: Array<[T, number]>, random: () => number): () => T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  return () => {
    let r = random() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  };
}

/** Ranks 1..n with P(k) ∝ k^-s, by inverting the cumulative table. */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += k ** -s;
    cumulative[k - 1] = sum;
  }
  return () => {
    const r = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DEFAULT_LOG_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'logs',
  'access-2026-11-26.ndjson',
);

/** `tsx scripts/generate-logs.ts [--force]`: writes logs/access-2026-11-26.ndjson. */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  if (existsSync(DEFAULT_LOG_FILE) && !force) {
    console.log(`${DEFAULT_LOG_FILE} exists (use --force to regenerate).`);
  } else {
    const r = await generateLogs({ file: DEFAULT_LOG_FILE });
    console.log(`Wrote ${r.lines} lines (${r.late} late, ${r.malformed} malformed) to ${r.file}.`);
  }
}
