import { fileURLToPath } from 'node:url';
import type { DeployInput } from '@windowed/core';
import {
  type FcLoopbackServer,
  type RamLoopbackServer,
  startFcServer,
  startRamServer,
} from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliyunPlatform } from '../../src/deploy/index.js';
import { pvUvJob } from '../job.js';

const cwd = fileURLToPath(new URL('../fixtures/app/', import.meta.url));
const UID = '1234567890123456';
const KEYS = { accessKeyId: 'LTAI-ram', accessKeySecret: 'ram-secret' };
const job = pvUvJob('Asia/Shanghai');
const input: DeployInput = {
  job,
  cwd,
  deploy: {
    fcVersion: 3,
    accountId: UID,
    region: 'cn-hangzhou',
    role: { create: true },
    entry: 'handler.ts',
    destination: `acs:mns:cn-hangzhou:${UID}:/queues/windowed-failures/messages`,
  },
  resources: {
    source: {
      type: 'sls',
      project: 'app-logs',
      logstore: 'access',
      endpoint: 'cn-hangzhou.log.aliyuncs.com',
    },
  },
};

let fc: FcLoopbackServer;
let ram: RamLoopbackServer;
let saved: NodeJS.ProcessEnv;
beforeAll(async () => {
  fc = await startFcServer({ accountId: UID, credentials: [KEYS] });
  ram = await startRamServer({ accountId: UID, credentials: [KEYS] });
  saved = { ...process.env };
  Object.assign(process.env, {
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
    WINDOWED_RAM_ENDPOINT: ram.endpoint,
  });
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([fc?.close(), ram?.close()]);
});

describe('role: { create: true } on Alibaba Cloud (RAM through @alicloud/ram20150501)', () => {
  it("creates the role trusting FC with a policy holding exactly `windowed policy`'s document, attached, before the function", async () => {
    const first = await aliyunPlatform.deploy(input, { endpoint: fc.endpoint });
    expect(first.applied).toEqual([
      'CreateRole',
      'CreatePolicy',
      'AttachPolicyToRole',
      'CreateFunction',
      'PutAsyncInvokeConfig',
      'CreateTrigger',
    ]);
    const policies = aliyunPlatform.policy(input);
    expect(policies.roles.function!.arn).toBeUndefined();
    const role = ram.role('windowed-pv-uv')!;
    expect(JSON.parse(role.AssumeRolePolicyDocument)).toEqual(policies.roles.function!.trust);
    expect(ram.attachedDocuments('windowed-pv-uv')).toEqual([policies.roles.function!.policy]);
    expect(fc.fc3.fn('pv_uv')?.role).toBe(`acs:ram::${UID}:role/windowed-pv-uv`);
  });

  it('a second deploy updates the trust policy and adds a default policy version; nothing is attached twice', async () => {
    const second = await aliyunPlatform.deploy(input, { endpoint: fc.endpoint });
    expect(second.applied?.slice(0, 2)).toEqual(['UpdateRole', 'CreatePolicyVersion']);
    expect(second.applied).not.toContain('AttachPolicyToRole');
    expect(ram.policy('windowed-pv-uv-policy')).toMatchObject({ defaultVersion: 'v2' });
  });

  it('the loopback RAM checks the V3 signature', async () => {
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'wrong';
    try {
      await expect(aliyunPlatform.deploy(input, { endpoint: fc.endpoint })).rejects.toThrow(
        /SignatureDoesNotMatch/,
      );
    } finally {
      process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = KEYS.accessKeySecret;
    }
  });
});
