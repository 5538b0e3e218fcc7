import { readFileSync } from 'node:fs';
import { isWindowedError } from '@windowed/core';
import { describe, expect, it } from 'vitest';
import { parseFcDestinationRecord } from '../../src/destination.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/aliyun/${name}`, import.meta.url));

const expected = {
  provider: 'aliyun',
  trigger: {
    scheduledTime: '2023-12-26T07:49:00.000Z',
    source: 'aliyun.fc.timer',
    id: 'pv_uv-timer@2023-12-26T07:49:00.000Z',
    triggerName: 'pv_uv-timer',
    payload: '',
  },
  condition: 'UnhandledInvocationError',
  attempts: 4,
  requestId: '1-6589a4e3-2b7e5b9f3c1d4a8e9f0b1c2d',
  functionArn: 'acs:fc:cn-hangzhou:1234567890123456:services/windowed.LATEST/functions/pv_uv',
  error:
    'WindowedError: SINK_FAILED: Could not write window 2023-12-26T07:48:00.000Z to mysql://stats@10.0.0.5:3306/stats',
  timestamp: '2023-12-26T07:51:00.000Z',
};

describe('parseFcDestinationRecord', () => {
  it('reads a record delivered to an FC function (a Buffer of JSON)', () => {
    expect(parseFcDestinationRecord(fixture('destination-record.json'))).toEqual(expected);
  });

  it('reads a record as an object or JSON text', () => {
    const text = fixture('destination-record.json').toString('utf8');
    expect(parseFcDestinationRecord(text)).toEqual(expected);
    expect(parseFcDestinationRecord(JSON.parse(text))).toEqual(expected);
  });

  it('reads an MNS message whose body is base64 (as @alicloud/mns receives it)', () => {
    const message = JSON.parse(fixture('mns-message.json').toString('utf8'));
    expect(parseFcDestinationRecord(message)).toEqual(expected);
    expect(parseFcDestinationRecord({ code: 200, body: undefined, Message: message })).toEqual(expected);
    // and a plain-text body
    expect(
      parseFcDestinationRecord({
        ...message,
        MessageBody: fixture('destination-record.json').toString('utf8'),
      }),
    ).toEqual(expected);
  });

  it('reads a record inside an EventBridge event', () => {
    expect(parseFcDestinationRecord(fixture('eventbridge-event.json'))).toEqual(expected);
  });

  it('redacts secrets in the error it carries', () => {
    const record = JSON.parse(fixture('destination-record.json').toString('utf8'));
    record.responsePayload = JSON.stringify({
      errorMessage: 'connect mysql://stats:p4ssw0rd@10.0.0.5/stats failed',
      errorType: 'Error',
    });
    const parsed = parseFcDestinationRecord(record);
    expect(parsed.error).toContain('mysql://stats:***@10.0.0.5');
    expect(parsed.error).not.toContain('p4ssw0rd');
  });

  // FC 3.0's documented sample, verbatim (https://help.aliyun.com/zh/functioncompute/user-guide/result-callback,
  // "异步调用目标的事件内容"): a function without a service in its ARN; placeholders for the payloads.
  const documentedFc3 = () => JSON.parse(fixture('destination-record-fc3-documented.json').toString('utf8'));

  it('reads an FC 3.0 record: the documented fields, with the timer event FC puts in requestPayload', () => {
    const record = documentedFc3();
    record.requestContext.functionArn = 'acs:fc:cn-hangzhou:1234567890123456:functions/pv_uv';
    record.requestPayload = fixture('timer-event.json').toString('utf8');
    const parsed = parseFcDestinationRecord(record);
    expect(parsed).toMatchObject({
      provider: 'aliyun',
      condition: 'FunctionResourceExhausted',
      attempts: 3,
      requestId: 'xxx',
      functionArn: 'acs:fc:cn-hangzhou:1234567890123456:functions/pv_uv',
      timestamp: new Date(1660120276975).toISOString(),
    });
    expect(parsed.trigger.source).toBe('aliyun.fc.timer');
    expect(parsed).not.toHaveProperty('error');
  });

  it('refuses a record with an empty requestPayload (the documented sample itself), saying there is no window in it', () => {
    let error: unknown;
    try {
      parseFcDestinationRecord(documentedFc3());
    } catch (e) {
      error = e;
    }
    expect(isWindowedError(error, 'INVALID_TRIGGER_EVENT')).toBe(true);
    expect((error as Error).message).toMatch(/request xxx.*empty requestPayload.*no window to replay/);
  });

  it('rejects what is not a record, and a record that does not carry a timer event', () => {
    expect(() => parseFcDestinationRecord({ hello: 'world' })).toThrow(/Not an FC failure record/);
    expect(() => parseFcDestinationRecord('%%%')).toThrow(/neither JSON nor base64/);
    const record = JSON.parse(fixture('destination-record.json').toString('utf8'));
    record.requestPayload = '{"foo":1}';
    let error: unknown;
    try {
      parseFcDestinationRecord(record);
    } catch (e) {
      error = e;
    }
    expect(isWindowedError(error, 'INVALID_TRIGGER_EVENT')).toBe(true);
  });
});
