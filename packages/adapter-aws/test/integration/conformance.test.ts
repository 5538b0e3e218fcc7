import { runAdapterConformance } from '@windowed/testing';
import { awsPlatform } from '../../src/deploy/index.js';
import { lambdaHandler } from '../../src/handler.js';
import { lambdaContext } from '../lambda-context.js';

const invoker = (job: Parameters<typeof lambdaHandler>[0]) => {
  const handler = lambdaHandler(job);
  return (event: unknown, options?: { remainingMs?: number }) =>
    handler(event, lambdaContext(options?.remainingMs));
};

// Rules fire somewhere within the scheduled minute: `time` carries that jitter.
runAdapterConformance({
  name: 'aws (EventBridge rule)',
  invoker,
  events: awsPlatform.events({ schedule: { type: 'rule' } }),
});

// Scheduler delivers the target Input with its context attributes substituted.
runAdapterConformance({
  name: 'aws (EventBridge Scheduler)',
  invoker,
  events: awsPlatform.events({ schedule: { type: 'scheduler' } }),
});
