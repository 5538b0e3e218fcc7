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

  it('drains a queue of 25 records in receives of at most 10 (SQS refuses MaxNumberOfMessages outside 1–10)', async () => {
    const queueUrl = aws.sqs.createQueue('twenty-five');
    for (let i = 0; i < 25; i++) aws.sqs.send('twenty-five', JSON.stringify(fixture('destination-record')));
    const before = aws.requests.length;
    let seen = 0;
    for await (const message of drainSqsFailureQueue({ queueUrl, ...aws.clientConfig, waitTimeSeconds: 0 })) {
      expect(message.record).toBeDefined();
      seen++;
      await message.delete();
    }
    expect(seen).toBe(25);
    expect(aws.sqs.messages('twenty-five')).toEqual([]);
    const receives = aws.requests.slice(before).filter((r) => r.operation === 'ReceiveMessage');
    expect(receives.every((r) => r.status === 200)).toBe(true);
  });

  it('takes maxMessages beyond 10 in several receives and refuses a maxMessages that is not a positive whole number', async () => {
    const queueUrl = aws.sqs.createQueue('partial');
    for (let i = 0; i < 15; i++) aws.sqs.send('partial', JSON.stringify(fixture('destination-record')));
    let seen = 0;
    for await (const message of drainSqsFailureQueue({
      queueUrl,
      ...aws.clientConfig,
      maxMessages: 12,
      waitTimeSeconds: 0,
    })) {
      seen++;
      await message.delete();
    }
    expect(seen).toBe(12);
    expect(aws.sqs.messages('partial')).toHaveLength(3);
    for (const maxMessages of [0, -1, 2.5]) {
      const drain = drainSqsFailureQueue({ queueUrl, ...aws.clientConfig, maxMessages });
      await expect(drain.next()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
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
