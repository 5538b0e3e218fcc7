import Kms, { GetSecretValueRequest } from '@alicloud/kms20160120';
import {
  isWindowedError,
  type RunResult,
  registerSecretResolver,
  secretResolver,
  type WindowedJob,
} from '@windowed/core';
import {
  createPasswordUser,
  type KmsLoopbackServer,
  openTestKnex,
  sinkOnlyJobs,
  startKmsServer,
  testDatabases,
  uniqueName,
} from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretChecks } from '../../src/deploy/secret-doctor.js';
import { secretGrants } from '../../src/deploy/secret-grants.js';
import { aliyunSecretResolver, type FcContext, fcHandler } from '../../src/index.js';

const KmsClient = (Kms as unknown as { default?: typeof Kms }).default ?? Kms;
const STS = { accessKeyId: 'STS.fn', accessKeySecret: 'sts-secret', securityToken: 'sts-token' };
let kms: KmsLoopbackServer;
const grants = new Map<string, unknown[]>();

beforeAll(async () => {
  kms = await startKmsServer({
    credentials: [{ accessKeyId: 'LTAI-kms', accessKeySecret: 'kms-secret' }, STS],
    policiesOf: (accessKeyId) => grants.get(accessKeyId),
  });
});
afterAll(async () => {
  registerSecretResolver(undefined);
  await kms.close();
});

const client = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) =>
  new KmsClient({
    ...credentials,
    regionId: 'cn-hangzhou',
    endpoint: new URL(kms.endpoint).host,
    protocol: 'http',
  } as never);
const errorOf = (p: Promise<unknown>) =>
  p.then(() => undefined).catch((e: unknown) => e as { code?: string });

describe('the loopback KMS Secrets Manager, against the documented sample', () => {
  it('GetSecretValue of secret001 answers its SecretData testdata1 and the documented fields', async () => {
    // https://www.alibabacloud.com/help/en/kms/key-management-service/developer-reference/api-kms-2016-01-20-getsecretvalue
    kms.putSecret('secret001', 'testdata1');
    const out = await client({ accessKeyId: 'LTAI-kms', accessKeySecret: 'kms-secret' }).getSecretValue(
      new GetSecretValueRequest({ secretName: 'secret001' }),
    );
    expect(out).toMatchObject({ secretName: 'secret001', secretData: 'testdata1', secretDataType: 'text' });
    expect(out.versionStages?.versionStage).toEqual(['ACSCurrent']);
    expect(out.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(out.requestId).toBeTruthy();
  });

  it('refuses a wrong signature, an unknown secret and a caller whose policy does not allow the read', async () => {
    const bad = await errorOf(
      client({ accessKeyId: 'LTAI-kms', accessKeySecret: 'wrong' }).getSecretValue(
        new GetSecretValueRequest({ secretName: 'secret001' }),
      ),
    );
    expect(bad?.code).toBe('SignatureDoesNotMatchError');
    const missing = await errorOf(
      client({ accessKeyId: 'LTAI-kms', accessKeySecret: 'kms-secret' }).getSecretValue(
        new GetSecretValueRequest({ secretName: 'nope' }),
      ),
    );
    expect(missing?.code).toBe('Forbidden.ResourceNotFoundError');
    grants.set(STS.accessKeyId, [{ Version: '1', Statement: [] }]);
    const denied = await errorOf(
      client(STS).getSecretValue(new GetSecretValueRequest({ secretName: 'secret001' })),
    );
    expect(denied?.code).toBe('Forbidden.NoPermissionError');
    grants.delete(STS.accessKeyId);
  });
});

describe('aliyunSecretResolver', () => {
  it('is registered when the adapter is imported', () => {
    expect(secretResolver()?.platform).toBe('aliyun');
  });

  it('a missing secret is INVALID_CONFIG naming the reference', async () => {
    const resolver = aliyunSecretResolver({
      endpoint: kms.endpoint,
      region: 'cn-hangzhou',
      credentials: STS,
    });
    const error = await resolver.fetch({ secret: 'stats/missing' }).catch((e: unknown) => e);
    expect(isWindowedError(error, 'INVALID_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toContain('secret "stats/missing" does not exist');
  });
});

const servers = (await testDatabases()).filter((d) => d.dialect !== 'sqlite');

const timerEvent = (triggerTime: string) =>
  Buffer.from(JSON.stringify({ triggerTime, triggerName: 'pv_uv-timer', payload: '' }));
const context = (): FcContext => ({
  requestId: uniqueName('req'),
  credentials: STS,
  function: { name: 'pv_uv', handler: 'index.handler', memory: 512, timeout: 60 },
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
});

function invoke(job: WindowedJob, triggerTime: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    fcHandler(job)(timerEvent(triggerTime), context(), (error, result) =>
      error ? reject(error) : resolve(result as RunResult),
    );
  });
}

describe.each(servers)('an FC run whose $dialect sink password is in KMS Secrets Manager', (database) => {
  const admin = openTestKnex(database);
  const user = uniqueName('wkms');
  const table = uniqueName('pv');
  const secretName = uniqueName('stats-pvuv');
  const base = new URL(database.url);
  const values = ['kms-Cold-Pa55', 'kms-Rotated-Pa55'];
  const lines: string[] = [];
  const jobs = sinkOnlyJobs('kms', lines);
  const job = () => jobs.job();
  let account: Awaited<ReturnType<typeof createPasswordUser>> | undefined;
  let arn = '';

  beforeAll(async () => {
    account = await createPasswordUser(database, user, values[0]!);
    arn = kms.putSecret(secretName, values[0]!);
    // The function's role may read exactly this secret.
    grants.set(STS.accessKeyId, [
      { Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:GetSecretValue'], Resource: [arn] }] },
    ]);
    // Credentials: the ones FC hands the invocation (setFcCredentials, by the handler).
    registerSecretResolver(aliyunSecretResolver({ endpoint: kms.endpoint, region: 'cn-hangzhou' }));
    process.env.WINDOWED_SINK = `${base.protocol}//${user}@${base.host}${base.pathname}?table=${table}&passwordSecret=${secretName}`;
  });

  afterAll(async () => {
    delete process.env.WINDOWED_SINK;
    grants.delete(STS.accessKeyId);
    await jobs.close();
    if (database.dialect === 'mysql') await admin.schema.dropTableIfExists(table);
    await account?.close();
    await admin.destroy();
  });

  it('a cold start reads the secret with the invocation credentials, once, and writes the window', async () => {
    const reads = kms.reads.length;
    const result = await invoke(job(), '2026-11-27T10:01:30Z');
    expect(result).toMatchObject({ windows: [{ status: 'succeeded' }] });
    expect(kms.reads.length - reads).toBe(1);
  });

  it('after a rotation, the refused login reads the secret again once and the run succeeds', async () => {
    await jobs.close();
    await account?.setPassword(values[1]!);
    kms.putSecret(secretName, values[1]!);
    const reads = kms.reads.length;
    const result = await invoke(job(), '2026-11-27T10:02:30Z');
    expect(result).toMatchObject({ windows: [{ status: 'succeeded' }] });
    expect(kms.reads.length - reads).toBe(1);
    for (const line of lines) for (const value of values) expect(line).not.toContain(value);
  });
});

describe('doctor and policy for a KMS secret reference', () => {
  const options = (sink: string) => ({
    accountId: '1234567890123456',
    region: 'cn-hangzhou',
    accessKeyId: 'LTAI-kms',
    accessKeySecret: 'kms-secret',
    environmentVariables: { WINDOWED_SINK: sink },
  });

  it('doctor: the secret exists; a missing one, a parameter reference or an unnamed key fails', async () => {
    kms.putSecret('doctor-ok', 'doctor-Value-1');
    kms.putSecret('doctor-cmk', 'doctor-Value-2', { encryptionKeyId: 'key-abc' });
    const status = async (query: string) =>
      (await secretChecks(options(`mysql://u@db:3306/stats?${query}`), kms.endpoint))[0];
    expect(await status('passwordSecret=doctor-ok')).toMatchObject({
      id: 'secret:WINDOWED_SINK',
      status: 'ok',
    });
    expect(await status('passwordSecret=doctor-gone')).toMatchObject({
      status: 'fail',
      detail: 'The secret "doctor-gone" does not exist: create it.',
    });
    expect(await status('passwordParameter=%2Fx')).toMatchObject({ status: 'fail' });
    expect((await status('passwordSecret=doctor-cmk'))?.detail).toMatch(/key-abc: add kmsKey/);
    expect(await status('passwordSecret=doctor-cmk&passwordKmsKey=key-abc')).toMatchObject({ status: 'ok' });
  });

  it('policy: kms:GetSecretValue on the secret, kms:Decrypt on the named key', () => {
    const grants = secretGrants(
      { WINDOWED_STATE: 'postgres://u@db/ops?passwordSecret=ledger&passwordKmsKey=key-abc' },
      'cn-hangzhou',
      '1234567890123456',
    );
    expect(grants.map(({ action, resource }) => ({ action, resource }))).toEqual([
      { action: 'kms:GetSecretValue', resource: 'acs:kms:cn-hangzhou:1234567890123456:secret/ledger' },
      { action: 'kms:Decrypt', resource: 'acs:kms:cn-hangzhou:1234567890123456:key/key-abc' },
    ]);
  });
});
