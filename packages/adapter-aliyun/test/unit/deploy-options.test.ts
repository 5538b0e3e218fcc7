import { isWindowedError } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { resolveFcDeployOptions } from '../../src/deploy/options.js';
import { FC_DEPLOY_INPUT } from '../job.js';

const valid = FC_DEPLOY_INPUT;

function errorOf(input: unknown): string {
  try {
    resolveFcDeployOptions(input, 'pv_uv');
  } catch (error) {
    if (isWindowedError(error, 'INVALID_CONFIG')) return error.message;
    throw error;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('resolveFcDeployOptions', () => {
  it("fills in defaults: function named after the job, LATEST, FC's retry defaults", () => {
    expect(resolveFcDeployOptions(valid, 'pv_uv')).toMatchObject({
      functionName: 'pv_uv',
      triggerName: 'pv_uv-timer',
      runtime: 'nodejs20',
      memorySize: 512,
      timeout: 60,
      exportName: 'handler',
      qualifier: 'LATEST',
      maxAsyncRetryAttempts: 3,
      maxAsyncEventAgeInSeconds: 86400,
    });
  });

  it.each([
    [
      'every destination format of the reference',
      'acs:mns:cn-hangzhou:1234567890123456:/topics/failures/messages',
    ],
    ['an FC 2.0 function', 'acs:fc:cn-hangzhou:1234567890123456:services/ops/functions/on_failure'],
    ['an FC 3.0 function', 'acs:fc:cn-hangzhou:1234567890123456:functions/on_failure'],
  ])('accepts %s', (_name, destination) => {
    expect(resolveFcDeployOptions({ ...valid, destination }, 'pv_uv').destination).toBe(destination);
  });

  it.each([
    ['a short account id', { accountId: '12345' }, /accountId.*16-digit/],
    ['a bad region', { region: 'Hangzhou' }, /region.*cn-hangzhou/],
    ['a bad service name', { service: '9lives' }, /service/],
    ['a role that is not a RAM role ARN', { role: 'windowed-fc' }, /role.*acs:ram::<uid>:role\/<name>/],
    ['a role of another account', { role: 'acs:ram::6543210987654321:role/x' }, /same account/],
    ['a destination that is not an ARN', { destination: 'my-queue' }, /destination.*acs:mns/],
    [
      'a destination in another region',
      { destination: 'acs:mns:cn-beijing:1234567890123456:/queues/q/messages' },
      /cn-beijing/,
    ],
    [
      'the function as its own destination',
      { destination: 'acs:fc:cn-hangzhou:1234567890123456:services/windowed/functions/pv_uv' },
      /loop/,
    ],
    ['too many retries', { maxAsyncRetryAttempts: 9 }, /maxAsyncRetryAttempts/],
    ['too old an event age', { maxAsyncEventAgeInSeconds: 604801 }, /maxAsyncEventAgeInSeconds/],
    ['memory not a multiple of 64', { memorySize: 200 }, /multiple of 64/],
    ['an unknown key', { enabled: true }, /unknown option\(s\) enabled/],
  ])('rejects %s with INVALID_CONFIG', (_name, patch, message) => {
    expect(errorOf({ ...valid, ...patch })).toMatch(message);
  });

  it('requires a failure destination', () => {
    const { destination: _d, ...rest } = valid;
    expect(errorOf(rest)).toMatch(/destination/);
  });
});
