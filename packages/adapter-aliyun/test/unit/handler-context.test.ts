import type { RunContext, RunResult, TriggerEvent, WindowedJob } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { getFcCredentials } from '../../src/credentials.js';
import { fcAsyncHandler, fcHandler } from '../../src/handler.js';

/** Records what the handler hands the job; the runner itself is covered by the integration tests. */
function recordingJob(fail?: Error) {
  const calls: Array<{ trigger: TriggerEvent; ctx: RunContext; at: number }> = [];
  const job = {
    name: 'probe',
    async run(trigger: TriggerEvent, ctx: RunContext) {
      calls.push({ trigger, ctx, at: Date.now() });
      if (fail) throw fail;
      return { job: 'probe', trigger } as unknown as RunResult;
    },
  } as unknown as WindowedJob;
  return { job, calls };
}

const event = Buffer.from('{"triggerTime":"2026-11-27T10:01:30Z","triggerName":"t","payload":""}');

describe('what the FC handlers hand the run', () => {
  it('deadline = handler start + context.function.timeout, the raw event, the request id; the trigger id is the timer name and time, not the request id', async () => {
    const { job, calls } = recordingJob();
    const before = Date.now();
    await fcAsyncHandler(job)(event, { requestId: 'req-1', function: { timeout: 90 } });
    const { trigger, ctx, at } = calls[0]!;
    expect(ctx.rawEvent).toBe(event);
    expect(ctx.requestId).toBe('req-1');
    expect(ctx.functionTimeoutMs).toBe(90_000);
    expect(ctx.deadline).toBeGreaterThanOrEqual(before + 90_000);
    expect(ctx.deadline).toBeLessThanOrEqual(at + 90_000);
    expect(trigger).toEqual({
      scheduledTime: '2026-11-27T10:01:30.000Z',
      source: 'aliyun.fc.timer',
      triggerName: 't',
      payload: '',
      id: 't@2026-11-27T10:01:30.000Z',
    });
  });

  it('sets no deadline when FC gives no timeout', async () => {
    const { job, calls } = recordingJob();
    await fcAsyncHandler(job)(event, {});
    expect(calls[0]!.ctx.deadline).toBeUndefined();
    expect(calls[0]!.ctx.functionTimeoutMs).toBeUndefined();
  });

  it("records the latest invocation's STS credentials for SLS sources, unless told not to", async () => {
    const { job } = recordingJob();
    await fcAsyncHandler(job)(event, {
      credentials: { accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't1' },
    });
    expect(getFcCredentials()).toEqual({ accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't1' });
    await fcAsyncHandler(job)(event, {
      credentials: { accessKeyId: 'STS.b', accessKeySecret: 's', securityToken: 't2' },
    });
    expect(getFcCredentials()?.securityToken).toBe('t2');
    await fcAsyncHandler(job, { useFunctionCredentials: false })(event, {
      credentials: { accessKeyId: 'STS.c', accessKeySecret: 's' },
    });
    expect(getFcCredentials()?.accessKeyId).toBe('STS.b');
    await fcAsyncHandler(job)(event, {});
    expect(getFcCredentials()).toBeUndefined();
  });

  it('fcHandler reports success and failure through the callback exactly once', async () => {
    const ok = recordingJob();
    const okResult = await new Promise<unknown[]>((resolve) =>
      fcHandler(ok.job)(event, { requestId: 'r' }, (...args) => resolve(args)),
    );
    expect(okResult[0]).toBeNull();
    const boom = new Error('sink down');
    const bad = recordingJob(boom);
    const badResult = await new Promise<unknown[]>((resolve) =>
      fcHandler(bad.job)(event, { requestId: 'r' }, (...args) => resolve(args)),
    );
    expect(badResult).toEqual([boom]);
  });
});
