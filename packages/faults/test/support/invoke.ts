import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type FcContext, fcHandler } from '@windowed/adapter-aliyun';
import { type LambdaContext, lambdaHandler } from '@windowed/adapter-aws';
import type { WindowedJob } from '@windowed/core';
import type { FaultReport } from '@windowed/testing';
import { timed } from './scenario.js';

/** A sample event or context the adapters' own tests take from the providers' documentation. */
function sample<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')) as T;
}

export interface Invocation {
  via: 'lambda' | 'fc';
  deadline: number;
  settledAt: number;
  error?: { code?: string; message: string };
}

/**
 * Invokes the job's real handlers as the platforms would, `count` times at once for the firing
 * scheduled at `scheduled`: alternately through `lambdaHandler` (an EventBridge scheduled-rule
 * event, a context counting down from `budgetMs`) and `fcHandler` (an FC timer event, a context
 * whose `function.timeout` is `budgetMs` in seconds). Each outcome is noted in `report`, with when
 * it settled against the deadline the platform gave it.
 */
export function invokeStorm(
  job: WindowedJob,
  scheduled: Date,
  count: number,
  budgetMs: number,
  report: FaultReport,
): Promise<Invocation[]> {
  const lambda = lambdaHandler(job);
  const fc = fcHandler(job);
  const time = scheduled.toISOString();
  const viaLambda = async (): Promise<Invocation> => {
    const event = {
      ...sample<Record<string, unknown>>('adapter-aws/test/fixtures/aws/scheduled-rule-event.json'),
      time,
    };
    const deadline = Date.now() + budgetMs;
    const context: LambdaContext = {
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      awsRequestId: randomUUID(),
      functionName: 'storm',
    };
    return { via: 'lambda', deadline, ...(await timed(report, deadline, () => lambda(event, context))) };
  };
  const viaFc = async (): Promise<Invocation> => {
    const event = {
      ...sample<Record<string, unknown>>('adapter-aliyun/test/fixtures/aliyun/timer-event.json'),
      triggerTime: time,
    };
    const context = sample<FcContext>('adapter-aliyun/test/fixtures/aliyun/fc-context.json');
    context.function = { ...context.function, timeout: budgetMs / 1000 };
    context.requestId = randomUUID();
    // FC counts the timeout from the invocation's start, as the handler does.
    const deadline = Date.now() + budgetMs;
    const run = () =>
      new Promise((resolve, reject) =>
        fc(event, context, (error, result) => (error ? reject(error) : resolve(result))),
      );
    return { via: 'fc', deadline, ...(await timed(report, deadline, run)) };
  };
  return Promise.all(Array.from({ length: count }, (_, i) => (i % 2 === 0 ? viaLambda() : viaFc())));
}
