import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/index.js';
import { BIN } from '../helpers/cli.js';

/** Debian's chromium (.ci/run installs it when missing); never a downloaded browser. */
const CHROMIUM = process.env.WINDOWED_CHROMIUM ?? '/usr/bin/chromium';
const SCRATCH = fileURLToPath(new URL('../../.windowed/', import.meta.url));
/** Where the screenshot goes (git-ignored): CI keeps it as the test's artifact. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const DAY0 = '2026-11-20T16:00:00.000Z'; // midnight in Shanghai
const HOUR = 3_600_000;
const at = (hours: number) => new Date(Date.parse(DAY0) + hours * HOUR).toISOString();
const FAILING = at(20);
const RUNNING = at(30);

/** An hourly job in Shanghai with two regions; the window FAILING fails while the file `broken` exists. */
function project(): string {
  mkdirSync(SCRATCH, { recursive: true });
  const dir = mkdtempSync(join(SCRATCH, 'ui-'));
  writeFileSync(join(dir, 'broken'), '');
  writeFileSync(
    join(dir, 'windowed.config.ts'),
    `import { existsSync } from 'node:fs';
import { defineWindowedJob } from '@windowed/core';
export default {
  job: defineWindowedJob({
    name: 'orders',
    window: { size: '1h', timeZone: 'Asia/Shanghai' },
    query: async ({ window }) => {
      if (window.start.toISOString() === ${JSON.stringify(FAILING)} && existsSync(${JSON.stringify(join(dir, 'broken'))}))
        throw new Error('upstream returned 503 for this hour');
      const h = window.start.getUTCHours();
      return [{ region: 'east', orders: 40 + ((h * 7) % 23) }, { region: 'west', orders: 25 + ((h * 5) % 17) }];
    },
    logger: false,
  }),
  targets: { local: { sink: ${JSON.stringify(`sqlite:${join(dir, 'sink.db')}`)} } },
};
`,
  );
  return dir;
}

async function backfill(dir: string, from: string, to: string): Promise<void> {
  const quiet = { write: () => true, isTTY: false };
  await runCli(['backfill', '--from', from, '--to', to], { cwd: dir, stdout: quiet, stderr: quiet });
}

/** Starts the built `windowed ui` on a free port and resolves with its URL. */
function serve(dir: string, args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', ...args], { cwd: dir, stdio: 'pipe' });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`windowed ui exited with ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

// Skipped only off CI: there .ci/run installs Chromium, and a missing one fails the run.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('windowed ui in a browser', () => {
  let dir: string;
  let browser: Browser;
  let server: { child: ChildProcess; url: string } | undefined;

  beforeAll(async () => {
    dir = project();
    // Two local days, 10:00 and 11:00 of the first never run, one window failing.
    await backfill(dir, at(0), at(10));
    await backfill(dir, at(12), at(48));
    const db = new Database(join(dir, 'sink.db'));
    // As scheduled runs would have: each window computed when it was due, one run still in flight.
    db.prepare('update orders set computed_at = window_end').run();
    db.prepare('update windowed_runs set updated_at = window_end').run();
    db.prepare("update windowed_runs set status = 'running' where window_start = ?").run(RUNNING);
    // A ledger that records until when a running invocation can live: this one is still alive.
    const columns = db.prepare('pragma table_info(windowed_runs)').all() as Array<{ name: string }>;
    if (columns.some((c) => c.name === 'expires_at'))
      db.prepare(
        "update windowed_runs set expires_at = '9999-12-31T00:00:00.000Z' where window_start = ?",
      ).run(RUNNING);
    db.close();
    rmSync(join(dir, 'broken'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await stop(server?.child);
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#legend .legend');
    await page.fill('#from', at(0));
    await page.fill('#to', at(48));
    await page.click('#range button[type=submit]');
    await page.waitForSelector(`.cell[data-from="${FAILING}"]`);
    return { page, errors };
  }

  const stateOf = (page: Page, from: string) => page.getAttribute(`.cell[data-from="${from}"]`, 'data-state');

  it('shows the seeded states, a failed window’s error on click, and a re-run turning it green', async () => {
    server = await serve(dir);
    const { page, errors } = await open(server.url);
    await page.waitForSelector('.chart[data-metric="orders"] canvas');

    expect(await stateOf(page, FAILING)).toBe('failed');
    expect(await stateOf(page, RUNNING)).toBe('running');
    expect(await stateOf(page, at(10))).toBe('missing');
    expect(await stateOf(page, at(11))).toBe('missing');
    expect(await stateOf(page, at(5))).toBe('succeeded');
    expect(await page.locator('.cell[data-state="succeeded"]').count()).toBe(48 - 4);
    expect(await page.textContent('#problems')).toContain('upstream returned 503 for this hour');

    await page.click(`.cell[data-from="${FAILING}"]`);
    await page.waitForSelector('#details .detail');
    const details = await page.textContent('#details');
    expect(details).toContain('upstream returned 503 for this hour');
    expect(details).toContain('2026-11-21 20:00:00 +08:00');
    expect(details).toContain(FAILING.replace('.000Z', 'Z'));

    await page.hover('.chart[data-metric="orders"] .u-over');
    await page.waitForSelector('#pointer .detail');
    expect(await page.textContent('#pointer')).toMatch(/region east · orders \d+/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'ui.png'), fullPage: true });

    await page.click('#rerun-window');
    await page.waitForFunction(
      `document.querySelector('.cell[data-from="${FAILING}"]')?.getAttribute('data-state') !== 'failed'`,
    );
    // Re-run now, long after it was due: succeeded, drawn as recomputed late.
    expect(await stateOf(page, FAILING)).toBe('late');
    expect(await page.textContent('#message')).toContain('1 computed, 0 failed');
    expect(await page.textContent('#details')).toContain('recomputed late');

    // A range from the problem list: asked first, then every window of it re-run.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.click(`#problems tr[data-from="${at(10)}"] button`);
    await page.waitForFunction(
      `document.querySelector('.cell[data-from="${at(11)}"]')?.getAttribute('data-state') === 'late'`,
    );
    expect(asked).toEqual(['Re-run every window from 2026-11-21 10:00 to 2026-11-21 12:00 (Asia/Shanghai)?']);
    expect(await stateOf(page, at(10))).toBe('late');
    expect(await page.textContent('#problems')).not.toContain('missing');
    expect(errors).toEqual([]);
    await page.close();
    await stop(server.child);
  });

  it('offers no re-run in --read-only, and the API refuses one', async () => {
    server = await serve(dir, ['--read-only']);
    const { page, errors } = await open(server.url);
    expect(await page.isVisible('#mode')).toBe(true);
    await page.click(`.cell[data-from="${RUNNING}"]`);
    await page.waitForSelector('#details .detail');
    expect(await page.locator('#rerun-window').count()).toBe(0);
    expect(await page.isVisible('#rerun-range')).toBe(false);
    expect(errors).toEqual([]);
    const refused = await page.evaluate(async (from) => {
      const res = await fetch('./api/rerun', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from, to: new Date(Date.parse(from) + 3_600_000).toISOString() }),
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, RUNNING);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('READ_ONLY');
    expect(await stateOf(page, RUNNING)).toBe('running');
    await page.close();
  });

  it('--read-only creates nothing: a job that never ran gets no database file, no ledger table', async () => {
    const fresh = project();
    const before = readdirSync(fresh).sort();
    const readOnly = await serve(fresh, ['--read-only']);
    try {
      const res = await fetch(new URL('api/status', readOnly.url));
      expect(res.status).toBeLessThan(500);
      expect(readdirSync(fresh).sort()).toEqual(before);
    } finally {
      await stop(readOnly.child);
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
