import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testDatabases } from '@windowed/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, PROJECT, windowed, writeLogs } from '../helpers/cli.js';

// What a newcomer meets on a fresh clone: folders that do not exist yet, no logs yet.
describe('windowed simulate before anything exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-newcomer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the results folder, and the summary says why every attempt failed', async () => {
    const results = join(dir, 'not', 'yet', 'sim.db');
    const out = await windowed(
      [
        'simulate',
        '--target',
        'aliyun',
        '--from',
        '2026-11-27T10:00:00Z',
        '--to',
        '2026-11-27T10:05:00Z',
        '--sink',
        `sqlite:${results}?table=pv_uv`,
        '--out',
        join(dir, 'records', 'failures.ndjson'),
        '--no-color',
      ],
      { env: { E2E_LOGS: join(dir, 'no-logs-here') } },
    );
    expect(out.stderr).not.toMatch(/Acquire connection error|directory does not exist|\n\s+at /);
    expect(out.code, out.stderr).toBe(1);
    expect(existsSync(results)).toBe(true);
    expect(existsSync(join(dir, 'records', 'failures.ndjson'))).toBe(true);
    // 5 windows × 4 attempts (FC retries 3 times), all failing the same way: one line with the count.
    expect(out.stdout).toMatch(
      /most frequent errors {2}20 × \w+: SOURCE_FAILED: ndjson source: .*no-logs-here does not exist/,
    );
  }, 60_000);
});

describe('windowed piped into a reader that stops early (`| head`)', () => {
  it.each([[['--help']], [['verify', '--help']]])(
    '%j ends quietly, without an EPIPE stack trace',
    async (args) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: PROJECT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reader goes away before anything is written: every write meets a closed pipe.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    },
  );
});

describe('relative paths in WINDOWED_SOURCE / WINDOWED_SINK', () => {
  it('resolve against the directory the command runs in, not the config folder', async () => {
    const here = writeLogs();
    try {
      const out = await windowed(
        [
          '--config',
          join(PROJECT, 'windowed.config.ts'),
          'backfill',
          '--from',
          '2026-11-27T10:00:00Z',
          '--to',
          '2026-11-27T10:05:00Z',
        ],
        {
          cwd: here,
          env: {
            WINDOWED_SOURCE: 'ndjson:./access.ndjson',
            WINDOWED_SINK: 'sqlite:./out/e2e.db',
            WINDOWED_STATE: undefined,
          },
        },
      );
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain('5 computed');
      expect(existsSync(join(here, 'out', 'e2e.db'))).toBe(true);
      expect(existsSync(join(PROJECT, 'out'))).toBe(false);
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('relative paths in a config given with --config', () => {
  it("resolve against the config's folder, wherever the command runs", async () => {
    const scratch = fileURLToPath(new URL('../../.windowed/', import.meta.url));
    mkdirSync(scratch, { recursive: true });
    const project = mkdtempSync(join(scratch, 'config-paths-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'windowed-elsewhere-'));
    try {
      const logs = writeLogs();
      copyFileSync(join(logs, 'access.ndjson'), join(project, 'access.ndjson'));
      rmSync(logs, { recursive: true, force: true });
      writeFileSync(
        join(project, 'windowed.config.ts'),
        `import { count, defineWindowedJob } from '@windowed/core';
export default {
  job: defineWindowedJob({ name: 'paths', window: '1m', query: { metrics: { pv: count() } }, logger: false }),
  targets: { local: { source: { type: 'ndjson', path: './access.ndjson' }, sink: 'sqlite:./db/paths.db' } },
};
`,
      );
      const out = await windowed(
        [
          '--config',
          join(project, 'windowed.config.ts'),
          'backfill',
          '--from',
          '2026-11-27T10:00:00Z',
          '--to',
          '2026-11-27T10:05:00Z',
        ],
        {
          cwd: elsewhere,
          env: { WINDOWED_SOURCE: undefined, WINDOWED_SINK: undefined, WINDOWED_STATE: undefined },
        },
      );
      expect(out.code, out.stderr).toBe(0);
      expect(existsSync(join(project, 'db', 'paths.db'))).toBe(true);
      expect(existsSync(join(elsewhere, 'db'))).toBe(false);
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('windowed simulate checks its options first', () => {
  const range = ['--target', 'aliyun', '--from', '2026-11-27T10:00:00Z', '--to', '2026-11-27T10:05:00Z'];
  it.each([
    [['--fail-rate', '7'], '--fail-rate "7" is not a probability'],
    [['--concurrency-limit', 'x'], '--concurrency-limit "x" is not a whole number'],
    [['--keep-warm', '-1'], '--keep-warm "-1" is not a whole number'],
    [['--timeout', '0'], '--timeout'],
  ])('%j: a usage error, before anything is printed or loaded', async (args, message) => {
    const out = await windowed(['simulate', ...range, ...args]);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr.split('\n')[0]).toContain(`error: ${message}`);
    expect(out.stderr).not.toContain('Simulating');
  });
});

describe('a file source whose input does not exist yet', () => {
  const scratch = fileURLToPath(new URL('../../.windowed/', import.meta.url));
  mkdirSync(scratch, { recursive: true });
  const dir = mkdtempSync(join(scratch, 'no-logs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'windowed.config.ts'),
    `import { count, defineWindowedJob } from '@windowed/core';
export default {
  job: defineWindowedJob({ name: 'no_logs', window: '1m', query: { metrics: { pv: count() } }, logger: false }),
  targets: { local: { source: { type: 'ndjson', path: './logs' }, sink: 'sqlite:.windowed/x.db' } },
};
`,
  );

  it('is named, with the command that makes sample logs when the project has one', async () => {
    const args = ['run', '--at', '2026-11-27T10:01:30Z'];
    const plain = await windowed(args, { cwd: dir });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^error: SOURCE_FAILED: ndjson source: .*logs does not exist/m);
    expect(plain.stderr).toMatch(/^hint: create it, or point the source at your logs/m);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { 'generate-logs': 'tsx gen.ts' } }));
    const example = await windowed(args, { cwd: dir });
    expect(example.stderr).toMatch(
      /^hint: no logs yet: `npm run generate-logs` writes a day of sample logs here/m,
    );
  }, 60_000);
});

const servers = (await testDatabases()).filter((db) => db.dialect !== 'sqlite');

describe.each(servers)('a $dialect sink that refuses the login', (database) => {
  const refused = new URL(database.url);
  refused.username = 'windowed_nobody';
  refused.password = 'wrong';

  it('is reported as the sink, not as a ledger nobody configured', async () => {
    const out = await windowed(['status'], {
      env: { E2E_SINK: `${refused}?table=pv_uv`, WINDOWED_STATE: undefined },
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^error: SINK_FAILED: The sink's database \S+windowed_nobody@\S+ refused the connection/m,
    );
    expect(out.stderr).not.toContain('LEDGER_FAILED');
    expect(out.stderr).not.toContain('wrong');
  }, 60_000);

  it('a separate state database that refuses it stays the ledger', async () => {
    const out = await windowed(['status'], { env: { WINDOWED_STATE: refused.toString() } });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: LEDGER_FAILED: /m);
  }, 60_000);
});
