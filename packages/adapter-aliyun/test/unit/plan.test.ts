import { describe, expect, it } from 'vitest';
import { resolveFcDeployOptions } from '../../src/deploy/options.js';
import { planFcDeployment } from '../../src/deploy/plan.js';
import { FC_DEPLOY_INPUT, pvUvJob } from '../job.js';

const job = pvUvJob('Asia/Shanghai');
const options = resolveFcDeployOptions(
  {
    ...FC_DEPLOY_INPUT,
    maxAsyncRetryAttempts: 2,
    environmentVariables: { WINDOWED_SINK: 'mysql://stats@10.0.0.5:3306/stats' },
  },
  job.name,
);
const code = { bytes: 1234, sha256: 'ab'.repeat(32) };

describe('planFcDeployment', () => {
  it('plans creation of everything when nothing exists, in an order that configures failures before the timer', () => {
    const plan = planFcDeployment(job, options, { code });
    expect(plan.target).toBe('aliyun');
    expect(plan.dryRun).toBe(true);
    expect(plan.notes[0]).toMatch(/Dry run.*as if nothing exists/);
    expect(plan.steps).toEqual([
      {
        api: 'CreateService',
        input: {
          body: {
            serviceName: 'windowed',
            description: 'windowed jobs (pv_uv)',
            role: 'acs:ram::1234567890123456:role/windowed-fc',
          },
        },
      },
      {
        api: 'CreateFunction',
        input: {
          serviceName: 'windowed',
          body: {
            functionName: 'pv_uv',
            description: 'windowed job pv_uv: 1m windows',
            handler: 'index.handler',
            runtime: 'nodejs20',
            memorySize: 512,
            timeout: 60,
            environmentVariables: { WINDOWED_SINK: 'mysql://stats@10.0.0.5:3306/stats' },
            code: { zipFile: { bytes: 1234, sha256: 'ab'.repeat(32) } },
          },
        },
      },
      {
        api: 'PutFunctionAsyncInvokeConfig',
        input: {
          serviceName: 'windowed',
          functionName: 'pv_uv',
          qualifier: 'LATEST',
          body: {
            destinationConfig: {
              onFailure: {
                destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/windowed-failures/messages',
              },
            },
            maxAsyncRetryAttempts: 2,
            maxAsyncEventAgeInSeconds: 86400,
          },
        },
      },
      {
        api: 'CreateTrigger',
        input: {
          serviceName: 'windowed',
          functionName: 'pv_uv',
          body: {
            triggerName: 'pv_uv-timer',
            triggerType: 'timer',
            triggerConfig: { cronExpression: 'CRON_TZ=Asia/Shanghai 30 * * * * *', enable: true },
          },
        },
      },
    ]);
  });

  it('plans updates for what exists', () => {
    const plan = planFcDeployment(job, options, {
      state: { service: true, function: true, trigger: true },
      code,
    });
    expect(plan.dryRun).toBe(false);
    expect(plan.steps.map((s) => s.api)).toEqual([
      'UpdateService',
      'UpdateFunction',
      'PutFunctionAsyncInvokeConfig',
      'UpdateTrigger',
    ]);
    expect(plan.steps[1]!.input).toMatchObject({ serviceName: 'windowed', functionName: 'pv_uv' });
    expect(plan.steps[3]!.input).toEqual({
      serviceName: 'windowed',
      functionName: 'pv_uv',
      triggerName: 'pv_uv-timer',
      body: { triggerConfig: { cronExpression: 'CRON_TZ=Asia/Shanghai 30 * * * * *', enable: true } },
    });
  });

  it('is pure and JSON-serializable', () => {
    const a = JSON.stringify(
      planFcDeployment(job, options, { state: { service: true, function: false, trigger: false }, code }),
    );
    const b = JSON.stringify(
      planFcDeployment(job, options, { state: { service: true, function: false, trigger: false }, code }),
    );
    expect(a).toBe(b);
    expect(JSON.parse(a).steps.map((s: { api: string }) => s.api)).toEqual([
      'UpdateService',
      'CreateFunction',
      'PutFunctionAsyncInvokeConfig',
      'CreateTrigger',
    ]);
  });
});
