import { execFileSync } from 'node:child_process';
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
