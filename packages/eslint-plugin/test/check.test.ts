import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckError, checkEntries } from '../src/check.js';

const examples = resolve(import.meta.dirname, '../../../examples');
const scratch = mkdtempSync(join(tmpdir(), 'windowed-eslint-check-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `files` (name → text) under a fresh folder of the scratch directory; returns their paths. */
function project(name: string, files: Record<string, string>): string[] {
  const dir = join(scratch, name);
  return Object.entries(files).map(([file, text]) => {
    const path = join(dir, file);
    mkdirSync(resolve(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  });
}

const FROZEN = 'const now = new Date();\nexport const handler = async () => now;\n';

describe('checkEntries on the examples', () => {
  it("flags the naive handler's module-scope window, at the clock read", async () => {
    const findings = await checkEntries([join(examples, 'naive/handler.ts')]);
    expect(findings).toEqual([
      {
        file: join(examples, 'naive/handler.ts'),
        line: 25,
        column: 13,
        rule: 'no-module-scope-clock',
        message: expect.stringContaining(
          'new Date() is evaluated at module scope of a file that exports a handler',
        ),
      },
    ]);
    expect(findings[0]!.message).toContain('job.windowFor(trigger)');
  });

  it('finds nothing in examples/pv-uv: handlers, job, config and scripts', async () => {
    const files = [
      'aws.ts',
      'aliyun.ts',
      'job.ts',
      'start.ts',
      'windowed.config.ts',
      'scripts/generate-logs.ts',
    ];
    expect(await checkEntries(files.map((f) => join(examples, 'pv-uv', f)))).toEqual([]);
  });
});

describe('checkEntries', () => {
  it("ignores the user's own ESLint config, even one that turns the rules off or cannot load", async () => {
    const [handler] = project('own-config', {
      'handler.ts': FROZEN,
      'eslint.config.js': "throw new Error('not loaded');\n",
      '.eslintignore': 'handler.ts\n',
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const findings = await checkEntries([handler!]);
      expect(findings.map((f) => [f.rule, f.line])).toEqual([['no-module-scope-clock', 1]]);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    // Nor does ESLint tell `windowed deploy`'s user that the .eslintignore it never reads is obsolete.
    expect(warnings).toEqual([]);
  });

  it('honours a disable comment for its rules; comments naming rules it does not load change nothing', async () => {
    const [handler] = project('directives', {
      'handler.ts':
        '// eslint-disable-next-line windowed/no-module-scope-clock -- the age of the instance, for a metric\nconst bornAt = Date.now();\n' +
        '// eslint-disable-next-line @typescript-eslint/no-explicit-any\nconst now: any = new Date();\n' +
        'export const handler = async () => [bornAt, now];\n',
    });
    const findings = await checkEntries([handler!]);
    expect(findings.map((f) => [f.rule, f.line])).toEqual([['no-module-scope-clock', 4]]);
  });

  it('reports both rules, sorted by file and line, across folders', async () => {
    const [a] = project('one/deep', {
      'a.ts':
        'export const handler = async () => {\n  const from = Date.now() - 60_000;\n  return from;\n};\n',
    });
    const [b] = project('two', { 'b.cjs': 'const t = Date.now();\nexports.handler = async () => t;\n' });
    const findings = await checkEntries([b!, a!]);
    expect(findings.map((f) => [f.file, f.line, f.rule])).toEqual([
      [a, 2, 'no-wall-clock-window'],
      [b, 1, 'no-module-scope-clock'],
    ]);
  });

  it('handlerExports names the export the platform calls', async () => {
    const [file] = project('export-name', {
      'index.ts': 'const t = Date.now();\nexport const main = async () => t;\n',
    });
    expect(await checkEntries([file!])).toEqual([]);
    expect((await checkEntries([file!], { handlerExports: ['main'] })).map((f) => f.line)).toEqual([1]);
  });

  it('never passes a file it could not lint: missing, unparsable, not JavaScript', async () => {
    const [broken, json] = project('bad', { 'broken.ts': 'const x = ;\n', 'data.json': '{}\n' });
    const missing = join(scratch, 'bad/missing.ts');
    for (const [file, code, text] of [
      [missing, 'NOT_FOUND', 'no such file'],
      [broken!, 'PARSE_FAILED', 'broken.ts:1:10'],
      [json!, 'NOT_CHECKED', 'data.json'],
    ] as const) {
      const error = await checkEntries([file]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckError);
      expect(error).toMatchObject({ name: 'CheckError', code, file });
      expect((error as Error).message).toContain(text);
    }
  });

  it('checks nothing for no files', async () => {
    expect(await checkEntries([])).toEqual([]);
  });
});
