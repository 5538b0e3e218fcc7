import { fileURLToPath } from 'node:url';
import { count, countDistinct, type DeployInput, type DoctorReport } from '@windowed/core';
import {
  type FcLoopbackServer,
  type SlsLoopbackServer,
  startFcServer,
  startSlsServer,
} from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliyunPlatform, createFc3Api, deployFc, resolveFcDeployOptions } from '../../src/deploy/index.js';
import { pvUvJob } from '../job.js';

const cwd = fileURLToPath(new URL('../fixtures/app/', import.meta.url));
const UID = '1234567890123456';
const KEYS = { accessKeyId: 'LTAI-doctor', accessKeySecret: 'doctor-secret' };
const job = {
  ...pvUvJob('Asia/Shanghai'),
  query: {
    metrics: { pv: count(), uv: countDistinct('user_id') },
    where: [{ field: 'status', op: '=' as const, value: 200 }],
  },
};

let fc: FcLoopbackServer;
let sls: SlsLoopbackServer;
let saved: NodeJS.ProcessEnv;
const deploy = (fcVersion: 2 | 3, name = `pv_uv_fc${fcVersion}`) => ({
  fcVersion,
  accountId: UID,
  region: 'cn-hangzhou',
  ...(fcVersion === 2 ? { service: 'windowed' } : {}),
  functionName: name,
  role: `acs:ram::${UID}:role/windowed-fc`,
  entry: 'handler.ts',
  destination: `acs:mns:cn-hangzhou:${UID}:/queues/windowed-failures/messages`,
});
const input = (fcVersion: 2 | 3, name?: string): DeployInput => ({
  job,
  deploy: deploy(fcVersion, name),
  cwd,
  resources: {
    source: { type: 'sls', project: 'app-logs', logstore: `access${fcVersion}`, endpoint: sls.endpoint },
    sink: 'mysql://app:pw@db.internal:3306/stats',
  },
});
const status = (report: DoctorReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const find = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)!;

beforeAll(async () => {
  fc = await startFcServer({ accountId: UID, credentials: [KEYS] });
  sls = await startSlsServer({ credentials: [KEYS] });
  saved = { ...process.env };
  process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEYS.accessKeyId;
  process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = KEYS.accessKeySecret;
  delete process.env.ALIBABA_CLOUD_SECURITY_TOKEN;
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([fc?.close(), sls?.close()]);
});

describe('FC 3.0 through @alicloud/fc20230330 against the loopback', () => {
  it('deploys a function without a service, its async config and a timer whose triggerConfig is a JSON string; a second deploy updates', async () => {
    const first = await aliyunPlatform.deploy(input(3), { endpoint: fc.endpoint });
    expect(first.plan.steps.map((s) => s.api)).toEqual([
      'CreateFunction',
      'PutAsyncInvokeConfig',
      'CreateTrigger',
    ]);
    expect(first.applied).toEqual(['CreateFunction', 'PutAsyncInvokeConfig', 'CreateTrigger']);
    expect(fc.counts()).toMatchObject({ services: 0, functions: 0 });
    expect(fc.fc3.fn('pv_uv_fc3')).toMatchObject({
      handler: 'index.handler',
      role: `acs:ram::${UID}:role/windowed-fc`,
      runtime: 'nodejs20',
    });
    expect((first.plan.steps[2]!.input.body as Record<string, unknown>).triggerConfig).toBe(
      JSON.stringify({ cronExpression: 'CRON_TZ=Asia/Shanghai 30 * * * * *', enable: true }),
    );
    expect(fc.fc3.trigger('pv_uv_fc3', 'pv_uv_fc3-timer')?.triggerConfig).toEqual({
      cronExpression: 'CRON_TZ=Asia/Shanghai 30 * * * * *',
      enable: true,
    });
    expect(fc.fc3.asyncConfig('pv_uv_fc3')).toEqual({
      destinationConfig: { onFailure: { destination: deploy(3).destination } },
      maxAsyncRetryAttempts: 3,
      maxAsyncEventAgeInSeconds: 86400,
    });
    const second = await aliyunPlatform.deploy(input(3), { endpoint: fc.endpoint });
    expect(second.applied).toEqual(['UpdateFunction', 'PutAsyncInvokeConfig', 'UpdateTrigger']);
    expect(fc.fc3.counts()).toEqual({ functions: 1, triggers: 1, asyncConfigs: 1 });
  });

  it('the loopback refuses an FC 3.0 trigger whose triggerConfig is an object (the API takes a string) and a bad signature', async () => {
    const options = resolveFcDeployOptions(deploy(3), job.name);
    const api = await createFc3Api(options, {
      ...KEYS,
      accountId: UID,
      region: 'cn-hangzhou',
      endpoint: fc.endpoint,
    });
    await expect(
      api.call('CreateTrigger', {
        functionName: 'pv_uv_fc3',
        body: {
          triggerName: 'object-config',
          triggerType: 'timer',
          triggerConfig: { cronExpression: '0 * * * * *', enable: true } as never,
        },
      }),
    ).rejects.toThrow(/triggerConfig/);
    const wrong = await createFc3Api(options, {
      accessKeyId: KEYS.accessKeyId,
      accessKeySecret: 'nope',
      accountId: UID,
      region: 'cn-hangzhou',
      endpoint: fc.endpoint,
    });
    await expect(wrong.getFunction()).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('plans FC 2.0 and 3.0 from the same options but for the service', async () => {
    const { plan } = await deployFc(job, deploy(3), { cwd, dryRun: true });
    expect(plan).toMatchObject({ fcVersion: 3, dryRun: true });
    expect(() => resolveFcDeployOptions({ ...deploy(2), service: undefined }, job.name)).toThrow(
      /FC 2.0 functions live in a service/,
    );
  });
});

describe.each([2, 3] as const)('windowed doctor (Aliyun, FC %s.0) against the loopback', (version) => {
  it('fails before a deploy, naming what is missing; the logstore without an index fails too', async () => {
    sls.createLogstore('app-logs', `access${version}`);
    const report = await aliyunPlatform.doctor(input(version, `doc_fc${version}`), { endpoint: fc.endpoint });
    expect(report.ok).toBe(false);
    expect(find(report, 'credentials').status).toBe('ok');
    expect(find(report, version === 2 ? 'service' : 'function')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/does not exist: run `windowed deploy`/),
    });
    expect(find(report, 'logs')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/has no index/),
    });
  });

  it('says the credentials were refused, and checks nothing behind them, when FC refuses the signature', async () => {
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'not-the-secret';
    try {
      const report = await aliyunPlatform.doctor(input(version, `doc_fc${version}`), {
        endpoint: fc.endpoint,
      });
      expect(report.ok).toBe(false);
      expect(find(report, 'credentials')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^FC refused them: .*Signature(Does)?NotMatch/),
      });
      expect(report.checks.find((c) => c.id === 'service' || c.id === 'function')).toBeUndefined();
    } finally {
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = KEYS.accessKeySecret;
    }
  });

  it('passes after a deploy with statistics on every field the query reads; fails a field without them', async () => {
    await aliyunPlatform.deploy(input(version, `doc_fc${version}`), { endpoint: fc.endpoint });
    sls.setIndex('app-logs', `access${version}`, {
      keys: { user_id: { type: 'text', doc_value: true }, status: { type: 'long' } },
    });
    const partial = await aliyunPlatform.doctor(input(version, `doc_fc${version}`), {
      endpoint: fc.endpoint,
    });
    expect(find(partial, 'logs')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/status \(indexed, statistics off\).*Enable Analytics/),
    });
    sls.setIndex('app-logs', `access${version}`, {
      keys: { user_id: { type: 'text', doc_value: true }, status: { type: 'long', doc_value: true } },
    });
    const report = await aliyunPlatform.doctor(input(version, `doc_fc${version}`), {
      endpoint: fc.endpoint,
      sink: true,
      checkSink: async () => 'mysql db.internal:3306/stats',
    });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(status(report)).toMatchObject({
      credentials: 'ok',
      function: 'ok',
      'invoke-config': 'ok',
      schedule: 'ok',
      role: 'skip',
      logs: 'ok',
      sink: 'ok',
    });
    expect(JSON.stringify(report)).not.toContain(':pw@');
  });

  it('names drift field by field, and fails credentials FC refuses', async () => {
    const changed = {
      ...input(version, `doc_fc${version}`),
      deploy: { ...deploy(version, `doc_fc${version}`), timeout: 300, maxAsyncRetryAttempts: 1 },
    };
    const report = await aliyunPlatform.doctor(changed, { endpoint: fc.endpoint });
    expect(find(report, 'function').drift).toEqual([{ field: 'timeout', expected: 300, actual: 60 }]);
    expect(find(report, 'invoke-config').drift).toEqual([
      { field: 'maxAsyncRetryAttempts', expected: 1, actual: 3 },
    ]);
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'wrong';
    try {
      const refused = await aliyunPlatform.doctor(input(version, `doc_fc${version}`), {
        endpoint: fc.endpoint,
      });
      expect(refused.checks).toEqual([expect.objectContaining({ id: 'credentials', status: 'fail' })]);
    } finally {
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = KEYS.accessKeySecret;
    }
  });
});
