import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aliyunPlatform } from '../../src/deploy/index.js';

const invocation = {
  seq: 0,
  window: { start: new Date(0), end: new Date(60_000), key: '1970-01-01T00:00:00.000Z' },
  firedAt: 90_000,
  acceptedAt: 90_000,
  arrivedAt: 90_000,
  attempt: 4,
  requestId: 'r-1',
  eventJson: '{"triggerTime":"1970-01-01T00:01:30Z","triggerName":"t","payload":""}',
  duplicate: false,
};

describe('the simulator plays FC 2.0 and FC 3.0', () => {
  it('FC 2.0: a function in a service, a callback handler', () => {
    const model = aliyunPlatform.simulation({ service: 'svc', functionName: 'f' }, { name: 'job' });
    expect(model.label).toMatch(/2\.0/);
    const record = model.destinationRecord(invocation, 1, 'failed', {
      errorType: 'HandledInvocationError',
      message: 'x',
    }) as {
      requestContext: { functionArn: string };
    };
    expect(record.requestContext.functionArn).toBe(
      'acs:fc:cn-hangzhou:1234567890123456:services/svc.LATEST/functions/f',
    );
    expect(model.context(invocation, 0)).toHaveProperty('service');
  });

  it('FC 3.0: a function without a service, the async handler', () => {
    const model = aliyunPlatform.simulation({ fcVersion: 3, functionName: 'f' }, { name: 'job' });
    expect(model.label).toMatch(/3\.0/);
    const record = model.destinationRecord(invocation, 1, 'expired') as {
      requestContext: { functionArn: string };
    };
    expect(record.requestContext.functionArn).toBe('acs:fc:cn-hangzhou:1234567890123456:functions/f');
    expect(model.context(invocation, 0)).not.toHaveProperty('service');
    // The async handler takes (event, context) and returns a promise; FC 2.0's takes a callback too.
    const job = { name: 'job', run: async () => ({}) } as never;
    expect(aliyunPlatform.handler(job, { fcVersion: 3 }).length).toBe(2);
    expect(aliyunPlatform.handler(job, { fcVersion: 2 }).length).toBe(3);
  });

  it("FC 3.0's destination record has the fields and the ARN form of the documented sample", () => {
    // https://help.aliyun.com/zh/functioncompute/user-guide/result-callback ("异步调用目标的事件内容").
    const documented = JSON.parse(
      readFileSync(
        new URL('../fixtures/aliyun/destination-record-fc3-documented.json', import.meta.url),
        'utf8',
      ),
    );
    const model = aliyunPlatform.simulation(
      { fcVersion: 3, functionName: 'f', region: 'cn-shanghai', accountId: '42' },
      { name: 'job' },
    );
    for (const condition of ['failed', 'expired'] as const) {
      const record = model.destinationRecord(invocation, 1, condition, {
        errorType: 'UnhandledInvocationError',
        message: 'x',
      }) as typeof documented;
      expect(Object.keys(record).sort()).toEqual(Object.keys(documented).sort());
      expect(Object.keys(record.requestContext).sort()).toEqual(
        Object.keys(documented.requestContext).sort(),
      );
      expect(Object.keys(record.responseContext).sort()).toEqual(
        Object.keys(documented.responseContext).sort(),
      );
      // acs:fc:{regionid}:{accountid}:functions/xxxx
      const form = documented.requestContext.functionArn.replace(/\{\w+\}|x{4}/g, '([^:/]+)');
      expect(record.requestContext.functionArn.match(new RegExp(`^${form}$`))?.slice(1)).toEqual([
        'cn-shanghai',
        '42',
        'f',
      ]);
    }
  });
});
