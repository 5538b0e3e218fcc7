/**
 * `npm start`: the whole example on this machine, no cloud account needed.
 *
 * 1. writes a seeded day of sample access logs to ./logs (once; kept afterwards);
 * 2. `windowed backfill` over that day into .windowed/pv_uv.db (SQLite) — windows the ledger
 *    already has are skipped, so a second `npm start` computes nothing and shows the same numbers;
 * 3. `windowed show`: the last windows as a table and the day as a sparkline.
 *
 * The commands run in-process through the CLI's own entry (`runCli`), from TypeScript via tsx:
 * nothing needs building first.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@windowed/cli';
import { DEFAULT_DAY_START, DEFAULT_LOG_FILE, generateLogs } from './scripts/generate-logs.js';

const here = dirname(fileURLToPath(import.meta.url));
const from = DEFAULT_DAY_START;
const to = new Date(from.getTime() + 24 * 3_600_000);

if (!existsSync(DEFAULT_LOG_FILE)) {
  process.stdout.write('Generating a day of sample access logs (seeded) … ');
  const r = await generateLogs({ file: DEFAULT_LOG_FILE });
  process.stdout.write(`${r.lines} lines, ${r.late} late, ${r.malformed} malformed → logs/\n`);
}

const commands = [
  ['backfill', '--from', from.toISOString(), '--to', to.toISOString()],
  ['show', '--last', '1440'],
];
for (const args of commands) {
  process.stdout.write(`\n$ windowed ${args.join(' ')}\n`);
  const code = await runCli(args, { cwd: here });
  if (code !== 0) process.exit(code);
}
process.stdout.write(
  '\nMore, from examples/pv-uv: npm run windowed -- status | run --at <ISO> | simulate --target aliyun --from … --to … (README.md)\n',
);
