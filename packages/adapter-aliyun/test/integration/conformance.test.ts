import { randomUUID } from 'node:crypto';
import { type AdapterUnderTest, runAdapterConformance } from '@windowed/testing';
import { aliyunPlatform } from '../../src/deploy/index.js';
import { type FcContext, fcHandler } from '../../src/index.js';

const aliyun: AdapterUnderTest = {
  name: 'aliyun',
  // FC 2.0 drives an event handler with (event, context, callback); the function timeout (seconds)
  // stands for the remaining time, counted from the handler's start.
  invoker(job) {
    const handler = fcHandler(job);
    return (event, options) =>
      new Promise((resolve, reject) => {
        const context: FcContext = {
          requestId: randomUUID(),
          function: {
            name: job.name,
            handler: 'index.handler',
            memory: 512,
            timeout: (options?.remainingMs ?? 60_000) / 1000,
          },
          region: 'cn-hangzhou',
          accountId: '1234567890123456',
        };
        handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
      });
  },
  // A timer event carries neither a delivery id nor an attempt count (FC has no retry counter).
  events: aliyunPlatform.events({ triggerName: 'conformance-timer' }),
};

runAdapterConformance(aliyun);
