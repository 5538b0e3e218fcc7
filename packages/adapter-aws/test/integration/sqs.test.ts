import { type AwsLoopback, startAwsLoopback } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainSqsFailureQueue } from '../../src/sqs.js';
import { fixture } from '../fixtures.js';

let aws: AwsLoopback;
beforeAll(async () => {
  aws = await startAwsLoopback();
});
afterAll(() => aws.close());

describe('drainSqsFailureQueue', () => {
  it('yields parsed failure records and deletes only what the caller replayed', async () => {
    const queueUrl = aws.sqs.createQueue('windowed-failures');
    aws.sqs.send('windowed-failures', JSON.stringify(fixture('destination-record')));
    aws.sqs.send('windowed-failures', JSON.stringify(fixture('sns-notification')));
    aws.sqs.send('windowed-failures', 'not a record');
    aws.sqs.send('windowed-failures', JSON.stringify(fixture('destination-record-scheduler')));

    const replayed: string[] = [];
    const rejected: string[] = [];
    for await (const message of drainSqsFailureQueue({ queueUrl, ...aws.clientConfig, waitTimeSeconds: 0 })) {
      if (!message.record) {
        rejected.push(message.error!.code);
        continue;
      }
      // The Scheduler record's replay "fails": its message must stay for a later attempt.
      if (message.record.trigger.source === 'aws.scheduler') continue;
      replayed.push(message.record.trigger.scheduledTime);
      await message.delete();
    }
    expect(replayed).toEqual(['2015-10-08T16:53:00.000Z', '2015-10-08T16:53:00.000Z']);
    expect(rejected).toEqual(['INVALID_ARGUMENT']);
    expect(aws.sqs.messages('windowed-failures')).toHaveLength(2);
  });

  it('stops after maxMessages', async () => {
    const queueUrl = aws.sqs.createQueue('limited');
    for (let i = 0; i < 5; i++) aws.sqs.send('limited', JSON.stringify(fixture('destination-record')));
    let seen = 0;
    for await (const message of drainSqsFailureQueue({
      queueUrl,
      ...aws.clientConfig,
      maxMessages: 3,
      waitTimeSeconds: 0,
    })) {
      seen++;
      await message.delete();
    }
    expect(seen).toBe(3);
    expect(aws.sqs.messages('limited')).toHaveLength(2);
  });
});
