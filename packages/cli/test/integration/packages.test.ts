import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built packages, loaded the way users load them: through their package.json `exports`, in
// CommonJS and in ESM, each in a fresh Node process (turbo builds them before this package's tests).
const ENTRIES = [
  ['@windowed/core', 'defineWindowedJob'],
  ['@windowed/adapter-aliyun', 'fcHandler'],
  ['@windowed/adapter-aliyun/deploy', 'planFcDeployment'],
  ['@windowed/adapter-aws', 'lambdaHandler'],
  ['@windowed/adapter-aws/deploy', 'planLambdaDeployment'],
] as const;

const node = (args: string[]) =>
  execFileSync(process.execPath, args, { cwd: __dirname, encoding: 'utf8' }).trim();

describe.each(ENTRIES)('%s', (entry, name) => {
  it('loads with require()', () => {
    expect(node(['-e', `process.stdout.write(typeof require(${JSON.stringify(entry)}).${name})`])).toBe(
      'function',
    );
  });

  it('loads with import', () => {
    expect(
      node([
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(entry)}); process.stdout.write(typeof m.${name})`,
      ]),
    ).toBe('function');
  });
});

describe('the CommonJS build of core', () => {
  it('reports invalid input with English messages', () => {
    const out = node([
      '-e',
      `try { require('@windowed/core').parseTriggerEvent({ source: 'cron', scheduledTime: '2026-11-27T10:00:00Z' }) } catch (e) { process.stdout.write(e.code + ' ' + e.message) }`,
    ]);
    expect(out).toMatch(/^INVALID_TRIGGER_EVENT .*"source".*expected one of/);
  });
});

describe('the windowed executable', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const bin = fileURLToPath(new URL(`../../${pkg.bin.windowed}`, import.meta.url));
  const scratch = fileURLToPath(new URL('../../.windowed/', import.meta.url));

  it('is a committed file (not the build), so npm links it at install time', () => {
    expect(pkg.bin.windowed).not.toMatch(/dist\//);
    expect(pkg.files).toContain(pkg.bin.windowed.replace(/^\.\//, '').split('/')[0]);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(node([bin, '--version'])).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('runs the sources in a checkout not built yet, and says what to do without either', () => {
    mkdirSync(scratch, { recursive: true });
    const root = mkdtempSync(join(scratch, 'bin-'));
    try {
      mkdirSync(join(root, 'packages/cli/bin'), { recursive: true });
      mkdirSync(join(root, 'packages/cli/src'));
      copyFileSync(bin, join(root, 'packages/cli/bin/windowed.js'));
      writeFileSync(join(root, 'tsconfig.base.json'), '{}');
      writeFileSync(
        join(root, 'packages/cli/src/bin.ts'),
        "const from: string = 'source';\nconsole.log(from);\n",
      );
      expect(node([join(root, 'packages/cli/bin/windowed.js')])).toBe('source');
      rmSync(join(root, 'packages/cli/src'), { recursive: true });
      const run = spawnSync(process.execPath, [join(root, 'packages/cli/bin/windowed.js')], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('windowed is not built');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
