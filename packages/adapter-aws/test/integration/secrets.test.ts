import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { isWindowedError, registerSecretResolver, secretResolver } from '@windowed/core';
import {
  type AwsLoopback,
  createPasswordUser,
  openTestKnex,
  sinkOnlyJobs,
  startAwsLoopback,
  testDatabases,
  uniqueName,
} from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretResolver, lambdaHandler } from '../../src/index.js';
import { fixture } from '../fixtures.js';
import { lambdaContext } from '../lambda-context.js';

let aws: AwsLoopback;
beforeAll(async () => {
  aws = await startAwsLoopback();
});
afterAll(async () => {
  registerSecretResolver(undefined);
  await aws.close();
});

const allow = (Action: string, Resource: string) => ({ Effect: 'Allow', Action, Resource });

describe('the loopback Secrets Manager and Parameter Store, against the documented samples', () => {
  it('GetSecretValue answers the documented fields for the example secret MyTestDatabaseSecret', async () => {
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html (Examples)
    const value = '{\n  "username":"david",\n  "password":"EXAMPLE-PASSWORD"\n}\n';
    const arn = aws.secretsManager.putSecret('MyTestDatabaseSecret', value);
    expect(arn).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:MyTestDatabaseSecret-[0-9a-f]{6}$/,
    );
    const client = new SecretsManagerClient(aws.clientConfig);
    const out = await client.send(new GetSecretValueCommand({ SecretId: 'MyTestDatabaseSecret' }));
    expect(out).toMatchObject({ ARN: arn, Name: 'MyTestDatabaseSecret', SecretString: value });
    expect(out.VersionStages).toEqual(['AWSCURRENT']);
    expect(out.CreatedDate).toBeInstanceOf(Date);
    expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(byArn.SecretString).toBe(value);
    const missing = await client
      .send(new GetSecretValueCommand({ SecretId: 'nope' }))
      .catch((e: unknown) => e as Error);
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException' });
    client.destroy();
  });

  it('GetParameter decrypts a SecureString only WithDecryption, and names a missing parameter ParameterNotFound', async () => {
    // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html (Examples)
    const arn = aws.ssm.putParameter('MyGitHubPassword', 'P@ssW*rd21', { type: 'SecureString' });
    expect(arn).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/MyGitHubPassword');
    const client = new SSMClient(aws.clientConfig);
    const plain = await client.send(
      new GetParameterCommand({ Name: 'MyGitHubPassword', WithDecryption: true }),
    );
    expect(plain.Parameter).toMatchObject({
      Name: 'MyGitHubPassword',
      Type: 'SecureString',
      Value: 'P@ssW*rd21',
      Version: 1,
      ARN: arn,
      DataType: 'text',
    });
    expect(plain.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    const sealed = await client.send(new GetParameterCommand({ Name: 'MyGitHubPassword' }));
    expect(sealed.Parameter?.Value).not.toBe('P@ssW*rd21');
    const missing = await client
      .send(new GetParameterCommand({ Name: '/not/there', WithDecryption: true }))
      .catch((e: unknown) => e as Error);
    expect(missing).toMatchObject({ name: 'ParameterNotFound' });
    client.destroy();
  });

  it("a role session reads only what its policy grants, and a customer-managed key's kms:Decrypt too", async () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const arn = aws.secretsManager.putSecret(uniqueName('cmk'), 'cmk-protected', { kmsKeyId: key });
    const role = aws.iam.putServiceRole(uniqueName('r'), 'lambda.amazonaws.com', [
      allow('secretsmanager:GetSecretValue', arn),
    ]);
    const client = new SecretsManagerClient({ ...aws.clientConfig, credentials: aws.iam.sessionFor(role) });
    const denied = await client.send(new GetSecretValueCommand({ SecretId: arn })).catch((e: unknown) => e);
    expect(denied).toMatchObject({ name: 'AccessDeniedException' });
    expect(String((denied as Error).message)).toContain('kms:Decrypt');
    const granted = aws.iam.putServiceRole(uniqueName('r'), 'lambda.amazonaws.com', [
      allow('secretsmanager:GetSecretValue', arn),
      allow('kms:Decrypt', key),
    ]);
    const reader = new SecretsManagerClient({
      ...aws.clientConfig,
      credentials: aws.iam.sessionFor(granted),
    });
    expect((await reader.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe(
      'cmk-protected',
    );
    client.destroy();
    reader.destroy();
  });
});

describe('awsSecretResolver', () => {
  it('is registered when the adapter is imported', () => {
    expect(secretResolver()?.platform).toBe('aws');
  });

  it('a missing secret or parameter is INVALID_CONFIG naming the reference', async () => {
    const resolver = awsSecretResolver({
      endpoint: aws.endpoint,
      region: aws.region,
      credentials: aws.credentials,
    });
    for (const reference of [{ secret: 'stats/missing' }, { parameter: '/stats/missing' }]) {
      const error = await resolver.fetch(reference).catch((e: unknown) => e);
      expect(isWindowedError(error, 'INVALID_CONFIG')).toBe(true);
      expect(String((error as Error).message)).toContain('/missing"');
    }
  });
});

const servers = (await testDatabases()).filter((d) => d.dialect !== 'sqlite');

describe.each(servers)('a Lambda run whose $dialect sink password is in Secrets Manager', (database) => {
  const admin = openTestKnex(database);
  const user = uniqueName('wsm');
  const table = uniqueName('pv');
  const secretName = uniqueName('stats/pvuv');
  const base = new URL(database.url);
  const lines: string[] = [];
  const jobs = sinkOnlyJobs('sec', lines);
  const job = () => jobs.job();
  const values = ['cold-Start-Pa55', 'rotated-Pa55-two'];
  let roleSession: ReturnType<AwsLoopback['iam']['sessionFor']>;
  let secretArn = '';

  let account: Awaited<ReturnType<typeof createPasswordUser>> | undefined;

  beforeAll(async () => {
    account = await createPasswordUser(database, user, values[0]!);
    secretArn = aws.secretsManager.putSecret(
      secretName,
      JSON.stringify({ engine: database.dialect, username: user, password: values[0] }),
    );
    const role = aws.iam.putServiceRole(uniqueName('exec'), 'lambda.amazonaws.com', [
      allow('secretsmanager:GetSecretValue', secretArn),
    ]);
    roleSession = aws.iam.sessionFor(role);
    registerSecretResolver(
      awsSecretResolver({ endpoint: aws.endpoint, region: aws.region, credentials: roleSession }),
    );
  });

  afterAll(async () => {
    delete process.env.WINDOWED_SINK;
    await jobs.close();
    if (database.dialect === 'mysql') await admin.schema.dropTableIfExists(table);
    await account?.close();
    await admin.destroy();
  });

  // The function's environment holds the reference only: the URL has no password, the user comes
  // from the secret.
  const sinkUrl = () =>
    `${base.protocol}//${base.host}${base.pathname}?table=${table}&passwordSecret=${encodeURIComponent(secretArn)}`;

  it('a cold start fetches the secret once and writes the window', async () => {
    process.env.WINDOWED_SINK = sinkUrl();
    const reads = aws.secretsManager.reads.length;
    const summary = await lambdaHandler(job())(fixture('scheduled-rule-event'), lambdaContext());
    expect(summary).toMatchObject({ windows: [{ status: 'succeeded' }] });
    expect(aws.secretsManager.reads.length - reads).toBe(1);
    const rows = await admin(database.dialect === 'mysql' ? table : `${user}.${table}`).select();
    expect(rows).toHaveLength(1);
  });

  it('after a rotation, the refused login fetches the secret again once and the run succeeds', async () => {
    // The warm process keeps the cached password; its pools have closed (idle) by the next run.
    await jobs.close();
    await account?.setPassword(values[1]!);
    aws.secretsManager.putSecret(
      secretName,
      JSON.stringify({ engine: database.dialect, username: user, password: values[1] }),
    );
    const reads = aws.secretsManager.reads.length;
    const summary = await lambdaHandler(job())(fixture('manual-invocation'), lambdaContext());
    expect(summary).toMatchObject({ windows: [{ status: 'succeeded' }] });
    expect(aws.secretsManager.reads.length - reads).toBe(1);
  });

  it('a missing secret fails the run with INVALID_CONFIG naming the reference, not a value', async () => {
    // The role may read it (else AWS answers AccessDenied, not whether it exists); it does not exist.
    const missing = `arn:aws:secretsmanager:${aws.region}:${aws.accountId}:secret:stats/not-there-AbCdEf`;
    const role = aws.iam.putServiceRole(uniqueName('exec'), 'lambda.amazonaws.com', [
      allow('secretsmanager:GetSecretValue', missing),
    ]);
    registerSecretResolver(
      awsSecretResolver({
        endpoint: aws.endpoint,
        region: aws.region,
        credentials: aws.iam.sessionFor(role),
      }),
    );
    process.env.WINDOWED_SINK = `${base.protocol}//${user}@${base.host}${base.pathname}?table=${table}&passwordSecret=${encodeURIComponent(missing)}`;
    const error = await lambdaHandler(job())(fixture('manual-invocation'), lambdaContext()).catch(
      (e: unknown) => e,
    );
    // The ledger or sink that first connects reports it; the cause is the configuration's.
    const cause = (error as Error).cause;
    expect(isWindowedError(cause, 'INVALID_CONFIG')).toBe(true);
    expect((cause as Error).message).toContain(`secret "${missing}" does not exist`);
    expect((error as Error).message).toContain(`secret "${missing}" does not exist`);
    for (const value of values) expect(String(error)).not.toContain(value);
  });

  it('no log line, error or summary holds a password value', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) for (const value of values) expect(line).not.toContain(value);
  });
});
