import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsLoopbackEnv, type CliOutput, windowed } from '../helpers/cli.js';

/**
 * A job whose sink password lives in a secret: plan, deploy, policy, doctor and export carry the
 * reference, never a value; a literal password is warned about, and refused with --strict.
 */
describe('windowed CLI with a database password in the secret store', () => {
  let aws: AwsLoopback;
  const value = 'Sup3r-Secret-Value-4711';
  const outputs: CliOutput[] = [];
  let secretArn = '';
  const run = async (args: string[], env: Record<string, string | undefined>) => {
    const out = await windowed(args, { env });
    outputs.push(out);
    return out;
  };
  const awsEnv = () => awsLoopbackEnv(aws.endpoint);

  beforeAll(async () => {
    aws = await startAwsLoopback();
    secretArn = aws.secretsManager.putSecret(
      'stats/pvuv',
      JSON.stringify({ username: 'e2e', password: value }),
    );
  });
  afterAll(() => aws.close());

  it('plan warns about a password written into the function configuration; --strict refuses', async () => {
    const plan = await run(['plan', '--target', 'aws', '--dry-run', '--json'], {});
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(
      /warning: WINDOWED_SINK would put a database password into the function's configuration/,
    );
    expect(plan.stdout).not.toContain('secret-password');
    const strict = await run(['plan', '--target', 'aws', '--dry-run', '--strict'], {});
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/WINDOWED_SINK would put a database password/);
    expect(strict.stderr).toMatch(/passwordSecret/);
  }, 120_000);

  it('export warns about a password it writes into the template; --strict refuses and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'windowed-literal-export-'));
    try {
      const args = ['export', '--target', 'aws', '--format', 'cloudformation', '--out', dir];
      const out = await run(args, {});
      expect(out.code, out.stderr).toBe(0);
      expect(out.stderr).toMatch(
        /warning: WINDOWED_SINK would put a database password into the function's configuration/,
      );
      rmSync(dir, { recursive: true, force: true });
      const strict = await run([...args, '--strict'], {});
      expect(strict.code).toBe(2);
      expect(strict.stderr).toMatch(/WINDOWED_SINK would put a database password/);
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('plan puts only the reference into the environment, and does not warn', async () => {
    const plan = await run(['plan', '--target', 'aws', '--dry-run', '--json', '--strict'], {
      E2E_SINK_SECRET: secretArn,
      // A job that names its start: nothing else to warn about either.
      E2E_START: '2026-11-27T10:00:00Z',
    });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).not.toMatch(/warning/);
    const steps = (
      JSON.parse(plan.stdout) as { steps: Array<{ api: string; input: Record<string, unknown> }> }
    ).steps;
    const create = steps.find((s) => s.api === 'CreateFunction')!;
    const sink = (create.input.Environment as { Variables: Record<string, string> }).Variables.WINDOWED_SINK;
    expect(sink).toBe(
      `mysql://e2e@db.example.internal:3306/stats?passwordSecret=${encodeURIComponent(secretArn)}&table=pv_uv`,
    );
  }, 120_000);

  it('policy grants GetSecretValue on exactly that secret; doctor checks it exists and the role may read it', async () => {
    const env = { ...awsEnv(), E2E_SINK_SECRET: secretArn };
    const policy = await run(['policy', '--target', 'aws', '--json'], env);
    expect(policy.code, policy.stderr).toBe(0);
    const printed = JSON.parse(policy.stdout) as {
      policies: Record<string, { Statement: unknown[] }>;
      trustPolicies: Record<string, object>;
    };
    expect(printed.policies.execution!.Statement).toContainEqual({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: secretArn,
    });
    const statusOf = async (e: Record<string, string | undefined>) => {
      const out = await run(['doctor', '--target', 'aws', '--json'], e);
      const report = JSON.parse(out.stdout) as {
        checks: Array<{ id: string; status: string; detail: string }>;
      };
      return report.checks.find((c) => c.id === 'secret:WINDOWED_SINK');
    };
    // A role without the grant: the secret is found, the read is not allowed.
    aws.iam.putRole('windowed', printed.trustPolicies.execution!, {});
    expect(await statusOf(env)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/does not allow secretsmanager:GetSecretValue/),
    });
    aws.iam.putRole('windowed', printed.trustPolicies.execution!, { windowed: printed.policies.execution! });
    expect(await statusOf(env)).toMatchObject({ status: 'ok' });
    const missing = `arn:aws:secretsmanager:us-east-1:123456789012:secret:stats/gone-AbCdEf`;
    expect(await statusOf({ ...env, E2E_SINK_SECRET: missing })).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`secret "${missing}" does not exist`),
    });
  }, 120_000);

  it('export carries the reference and the grant; aliyun policy grants kms:GetSecretValue on the KMS secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'windowed-secret-export-'));
    try {
      const out = await run(['export', '--target', 'aws', '--format', 'cloudformation', '--out', dir], {
        E2E_SINK_SECRET: secretArn,
      });
      expect(out.code, out.stderr).toBe(0);
      const template = readFileSync(join(dir, 'template.json'), 'utf8');
      expect(template).toContain(`passwordSecret=${encodeURIComponent(secretArn)}`);
      expect(template).toContain('secretsmanager:GetSecretValue');
      for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(value)).toBe(false);
      const aliyunExport = await run(['export', '--target', 'aliyun', '--format', 's', '--out', dir], {
        E2E_SINK_SECRET: 'stats-pvuv',
      });
      expect(aliyunExport.code, aliyunExport.stderr).toBe(0);
      expect(readFileSync(join(dir, 's.yaml'), 'utf8')).toContain('passwordSecret=stats-pvuv');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const aliyun = await run(['policy', '--target', 'aliyun', '--json'], { E2E_SINK_SECRET: 'stats-pvuv' });
    expect(aliyun.code, aliyun.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(aliyun.stdout))).toContain(
      '{"Effect":"Allow","Action":["kms:GetSecretValue"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:secret/stats-pvuv"]}',
    );
  }, 120_000);

  it("no command's output holds the secret's value (the CLI never read it)", () => {
    expect(outputs.length).toBeGreaterThan(5);
    for (const out of outputs) expect(`${out.stdout}\n${out.stderr}`).not.toContain(value);
    expect(aws.secretsManager.reads).toEqual([]);
  });
});
