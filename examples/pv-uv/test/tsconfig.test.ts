import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Type-checks `dir` with its tsconfig.json: the compiler's output, or '' when it passes. */
function typecheck(dir: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout || error);
  }
}

describe("the example's tsconfig.json, copied into a project of one's own", () => {
  // Inside the repository only so that @windowed/* resolve (to the built packages, as installed ones would).
  mkdirSync(join(example, '.windowed'), { recursive: true });
  const dir = mkdtempSync(join(example, '.windowed', 'tsconfig-copy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names nothing of the repository', () => {
    const text = readFileSync(join(example, 'tsconfig.json'), 'utf8');
    expect(text).not.toMatch(/\.\.\/|"extends"|"paths"/);
  });

  it('type-checks a job that uses core and the AWS adapter, not the Aliyun one', () => {
    copyFileSync(join(example, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    writeFileSync(
      join(dir, 'job.ts'),
      `import { count, countDistinct, defineWindowedJob } from '@windowed/core';
export const job = defineWindowedJob({
  name: 'pv_uv',
  window: { size: '1m', delay: '30s' },
  query: { metrics: { pv: count(), uv: countDistinct('user_id') } },
  source: { type: 'cloudwatch', logGroupNames: ['/app/web/access'], region: 'us-east-1' },
  sink: process.env.WINDOWED_SINK,
});
`,
    );
    writeFileSync(
      join(dir, 'aws.ts'),
      `import { lambdaHandler } from '@windowed/adapter-aws';
import { job } from './job.js';
export const handler = lambdaHandler(job);
`,
    );
    expect(typecheck(dir)).toBe('');
    // It does check: a wrong option is an error.
    writeFileSync(
      join(dir, 'wrong.ts'),
      `import { count } from '@windowed/core';\nexport const n: string = count();\n`,
    );
    expect(typecheck(dir)).toMatch(/wrong\.ts.*error TS2322/);
  }, 120_000);
});
