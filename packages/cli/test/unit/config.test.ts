import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineWindowedJob } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { defineConfig, findConfigFile, loadConfig } from '../../src/config.js';
import { sharedModules } from '../../src/context.js';
import { CliError } from '../../src/errors.js';
import { PROJECT } from '../helpers/cli.js';

const options = async () => ({ modules: await sharedModules(), defineJob: defineWindowedJob });

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function loadError(dir: string): Promise<CliError> {
  try {
    await loadConfig(findConfigFile(dir), await options());
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it("loads a TypeScript config without a build step, sharing the CLI's @windowed/core", async () => {
    const config = await loadConfig(findConfigFile(PROJECT), await options());
    expect(config.job.name).toBe(process.env.E2E_JOB ?? 'e2e_job');
    expect(config.job.windowFor('2026-11-27T10:01:30Z').key).toBe('2026-11-27T10:00:00.000Z');
    expect(config.targets.local?.source).toEqual({ type: 'ndjson', path: './logs' });
    expect((config.targets.aliyun?.deploy as { entry?: string } | undefined)?.entry).toBe('./aliyun.ts');
    expect(config.dir).toBe(PROJECT);
  });

  it('takes a JSON config with a job spec, or a job module path', async () => {
    const json = project({
      'windowed.config.json': JSON.stringify({
        job: { name: 'from_json', window: '5m', query: { metrics: { n: { kind: 'count' } } } },
      }),
    });
    expect((await loadConfig(findConfigFile(json), await options())).job.windowSpec.size.label).toBe('5m');
    const byPath = project({
      'windowed.config.mjs': `export default { job: ${JSON.stringify(join(PROJECT, 'job.ts'))} };`,
    });
    expect((await loadConfig(findConfigFile(byPath), await options())).job.name).toBe('e2e_job');
  });

  it('rejects unknown keys, naming where they are', async () => {
    const dir = project({
      'windowed.config.json': JSON.stringify({
        job: 'x',
        targets: { aws: { deploy: {}, region: 'us-east-1' } },
      }),
    });
    const error = await loadError(dir);
    expect(error.message).toMatch(/Invalid config .* at "targets\.aws": unknown key "region"\./);
    expect(error.exitCode).toBe(2);
    const top = await loadError(
      project({ 'windowed.config.json': JSON.stringify({ job: 'x', target: {} }) }),
    );
    expect(top.message).toMatch(/at "\(root\)": unknown key "target"/);
  });

  it('says what is missing or wrong', async () => {
    expect((await loadError(project({ 'windowed.config.json': '{"targets":{}}' }))).message).toMatch(
      /at "job"/,
    );
    expect((await loadError(project({ 'windowed.config.json': '{ not json' }))).message).toMatch(
      /is not valid JSON/,
    );
    expect((await loadError(project({ 'windowed.config.ts': 'export default {' }))).message).toMatch(
      /Could not load .*windowed\.config\.ts/,
    );
    expect(() => findConfigFile(project({}))).toThrow(/No windowed\.config\.ts/);
    expect(() => findConfigFile(PROJECT, 'nope.ts')).toThrow(/Config file nope\.ts does not exist/);
  });

  it('an invalid job in the config surfaces as the job error', async () => {
    const dir = project({
      'windowed.config.json': JSON.stringify({
        job: { name: 'Bad Name', window: '1m', query: { metrics: { n: { kind: 'count' } } } },
      }),
    });
    await expect(loadConfig(findConfigFile(dir), await options())).rejects.toMatchObject({
      code: 'INVALID_JOB',
    });
  });

  it('defineConfig is the identity (it exists for type checking)', () => {
    const config = { job: 'x' };
    expect(defineConfig(config)).toBe(config);
  });
});
