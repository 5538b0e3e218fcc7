import { describe, expect, it } from 'vitest';
import { resolveFcDeployOptions } from '../../src/deploy/options.js';
import { fcRemote } from '../../src/deploy/remote.js';
import { FC_DEPLOY_INPUT } from '../job.js';

const KEYS = { accessKeyId: 'AK', accessKeySecret: 'SK' };

async function limitFor(source: Record<string, unknown> | undefined) {
  const options = resolveFcDeployOptions(
    {
      ...FC_DEPLOY_INPUT,
      ...(source ? { environmentVariables: { WINDOWED_SOURCE: JSON.stringify(source) } } : {}),
    },
    'pv_uv',
  );
  return (await fcRemote(options, KEYS)).sourceLimit;
}

const sls = { type: 'sls', endpoint: 'cn-hangzhou.log.aliyuncs.com', project: 'p', logstore: 'access' };

describe('windowed backfill --remote on FC: chunks in flight are capped by the SLS project quota', () => {
  // https://help.aliyun.com/en/sls/query-and-analysis1, "Analysis": 15 concurrent queries per
  // project on the general-purpose instance, 100 with Dedicated SQL.
  it('15 on the general-purpose instance', async () => {
    expect(await limitFor(sls)).toEqual({
      max: 15,
      reason: expect.stringMatching(/at most 15 concurrent analytic statements per project.*dedicatedSql/),
    });
  });

  it('100 when the source runs its SQL on Dedicated SQL', async () => {
    expect(await limitFor({ ...sls, dedicatedSql: true })).toMatchObject({ max: 100 });
  });

  it('no SLS quota for another source', async () => {
    expect((await limitFor(undefined))?.reason).toMatch(/no documented concurrent-query quota/);
  });
});
