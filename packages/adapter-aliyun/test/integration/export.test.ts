import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeployInput } from '@windowed/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aliyunPlatform } from '../../src/deploy/index.js';
import { pvUvJob } from '../job.js';

const cwd = fileURLToPath(new URL('../fixtures/app/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'windowed-s-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const UID = '1234567890123456';
const job = pvUvJob('Asia/Shanghai');
const input: DeployInput = {
  job,
  cwd,
  deploy: {
    fcVersion: 3,
    accountId: UID,
    region: 'cn-hangzhou',
    role: `acs:ram::${UID}:role/windowed-fc`,
    entry: 'handler.ts',
    destination: `acs:mns:cn-hangzhou:${UID}:/queues/windowed-failures/messages`,
    maxAsyncRetryAttempts: 2,
    logConfig: { project: 'fc-logs', logstore: 'pv-uv' },
  },
  resources: {
    source: { type: 'sls', project: 'app', logstore: 'access', endpoint: 'cn-hangzhou.log.aliyuncs.com' },
  },
};

describe('windowed export --target aliyun --format s', () => {
  it("writes a Serverless Devs s.yaml (fc3 component) with the plan's function, timer (CRON_TZ) and asyncInvokeConfig, plus the code", async () => {
    const result = await aliyunPlatform.export(input, { format: 's', outDir: out });
    expect(result.files.map((f) => f.path)).toEqual(['s.yaml', 'code/index.js']);
    const doc = parse(readFileSync(join(out, 's.yaml'), 'utf8'));
    expect(doc).toMatchObject({ edition: '3.0.0', access: 'default' });
    const resource = doc.resources['pv-uv'];
    expect(resource.component).toBe('fc3');
    const plan = await aliyunPlatform.plan(input, { dryRun: true });
    // biome-ignore lint/suspicious/noExplicitAny: request bodies read in assertions
    const body = (api: string) => plan.steps.find((s) => s.api === api)!.input.body as Record<string, any>;
    const { code: _code, ...fn } = body('CreateFunction');
    expect(resource.props).toMatchObject({ region: 'cn-hangzhou', ...fn, code: './code' });
    expect(resource.props.environmentVariables.WINDOWED_SOURCE).toContain('"logstore":"access"');
    expect(resource.props.triggers).toEqual([
      {
        triggerName: 'pv_uv-timer',
        triggerType: 'timer',
        qualifier: 'LATEST',
        triggerConfig: JSON.parse(body('CreateTrigger').triggerConfig),
      },
    ]);
    expect(resource.props.triggers[0].triggerConfig.cronExpression).toBe(
      'CRON_TZ=Asia/Shanghai 30 * * * * *',
    );
    expect(resource.props.asyncInvokeConfig).toEqual({
      ...body('PutAsyncInvokeConfig'),
      qualifier: 'LATEST',
    });
    expect(resource.props.asyncInvokeConfig.destinationConfig.onFailure.destination).toBe(
      `acs:mns:cn-hangzhou:${UID}:/queues/windowed-failures/messages`,
    );
    expect(readFileSync(join(out, 'code/index.js'), 'utf8')).toContain('bundle_probe');
  });

  it('refuses a format it does not write', async () => {
    await expect(
      aliyunPlatform.export(input, { format: 'cloudformation', outDir: out }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
