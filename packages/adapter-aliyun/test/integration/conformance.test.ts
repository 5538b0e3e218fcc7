import { randomUUID } from 'node:crypto';
import { type AdapterUnderTest, runAdapterConformance } from '@windowed/testing';
import { type FcContext, fcHandler } from '../../src/index.js';

/** FC's timer event, as FC hands it to a Node.js event handler: a Buffer of JSON, second precision. */
const timerEvent = (scheduledTime: Date) =>
  Buffer.from(
    JSON.stringify({
      triggerTime: `${scheduledTime.toISOString().slice(0, 19)}Z`,
      triggerName: 'conformance-timer',
      payload: '',
    }),
  );

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
  scheduledEvent: (scheduledTime) => timerEvent(scheduledTime),
  malformedEvents: [
    Buffer.from('not json'),
    Buffer.alloc(0),
    Buffer.from('{}'),
    Buffer.from(JSON.stringify({ triggerTime: '2026-11-27T02:01:00', triggerName: 't', payload: '' })),
    Buffer.from(JSON.stringify({ triggerTime: 'yesterday', triggerName: 't', payload: '' })),
    Buffer.from(JSON.stringify({ scheduledTime: 'now' })),
    Buffer.from('[1,2,3]'),
    null,
    42,
  ],
};

runAdapterConformance(aliyun);
