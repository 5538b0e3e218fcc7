import { isWindowedError } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { parseLambdaDestinationRecord } from '../../src/destination.js';
import { fixture } from '../fixtures.js';

const expected = {
  provider: 'aws',
  trigger: {
    scheduledTime: '2015-10-08T16:53:00.000Z',
    source: 'aws.events',
    id: 'arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule@2015-10-08T16:53:00.000Z',
    triggerName: 'my-scheduled-rule',
  },
  condition: 'RetriesExhausted',
  attempts: 3,
  requestId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:pv_uv:$LATEST',
  error:
    'WindowedError: SOURCE_FAILED: Querying window 2015-10-08T16:52:00.000Z failed: connect ECONNREFUSED',
  timestamp: '2019-11-14T18:16:05.568Z',
};

describe('parseLambdaDestinationRecord', () => {
  it.each([
    ['the record object', () => fixture('destination-record')],
    ['the record as JSON text', () => JSON.stringify(fixture('destination-record'))],
    [
      'the record as bytes (S3 object)',
      () => new TextEncoder().encode(JSON.stringify(fixture('destination-record'))),
    ],
    ['an SQS event record', () => fixture('sqs-message')],
    ['an SQS message body', () => fixture<{ body: string }>('sqs-message').body],
    [
      'an SQS ReceiveMessage message',
      () => ({ MessageId: 'm', ReceiptHandle: 'r', Body: fixture<{ body: string }>('sqs-message').body }),
    ],
    ['an SNS notification', () => fixture('sns-notification')],
    ['an SNS event record', () => ({ EventSource: 'aws:sns', Sns: fixture('sns-notification') })],
    ['an SQS message wrapping an SNS notification', () => fixture('sqs-message-wrapping-sns')],
    ['an EventBridge event', () => fixture('eventbridge-destination-event')],
  ])('reads %s', (_name, input) => {
    expect(parseLambdaDestinationRecord(input())).toEqual(expected);
  });

  it('reads a Scheduler invocation record: the window comes from the scheduled time', () => {
    const record = parseLambdaDestinationRecord(fixture('destination-record-scheduler'));
    expect(record.trigger).toMatchObject({
      scheduledTime: '2022-11-04T23:00:00.000Z',
      source: 'aws.scheduler',
      attempt: 1,
    });
    expect(record.condition).toBe('EventAgeExceeded');
    expect(record.attempts).toBe(1);
  });

  it('redacts secrets in the recorded error', () => {
    const record = fixture<Record<string, unknown>>('destination-record');
    record.responsePayload = {
      errorType: 'Error',
      errorMessage: 'connect mysql://app:hunter2@db:3306/stats failed',
    };
    expect(parseLambdaDestinationRecord(record).error).toBe(
      'Error: connect mysql://app:***@db:3306/stats failed',
    );
  });

  it('rejects a record whose payload is not a windowed trigger', () => {
    const record = { ...fixture('destination-record'), requestPayload: { hello: 'world' } };
    expect(() => parseLambdaDestinationRecord(record)).toThrowError(
      expect.objectContaining({ code: 'INVALID_TRIGGER_EVENT' }),
    );
  });

  it.each([
    ['not JSON', 'not json'],
    ['an unrelated object', { hello: 'world' }],
    ['a number', 42],
    ['a batch of SQS records', { Records: [fixture('sqs-message')] }],
  ])('rejects %s with INVALID_ARGUMENT and says what was expected', (_name, input) => {
    try {
      parseLambdaDestinationRecord(input);
      expect.unreachable();
    } catch (error) {
      expect(isWindowedError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/Expected|Records\[i\]/);
    }
  });
});
