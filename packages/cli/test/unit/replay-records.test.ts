import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFailureRecord, splitRecords } from '../../src/commands/replay-records.js';
import { RECORDS } from '../helpers/cli.js';

const read = (name: string) => readFileSync(join(RECORDS, name), 'utf8');

describe('failure records', () => {
  it('reads one JSON record, a JSON array, or NDJSON', () => {
    expect(splitRecords(read('fc-destination.json'))).toHaveLength(1);
    expect(splitRecords(read('mixed.json'))).toHaveLength(2);
    expect(splitRecords(read('lambda-destination.ndjson'))).toHaveLength(2);
    expect(splitRecords('  \n')).toEqual([]);
    expect(() => splitRecords('{"a":1}\nnot json\n')).toThrow(/Line 2 of the failure records is not JSON/);
  });

  it('parses an FC destination record into its trigger', () => {
    const r = parseFailureRecord(splitRecords(read('fc-destination.json'))[0]);
    expect(r).toMatchObject({ provider: 'aliyun', condition: 'UnhandledInvocationError', attempts: 4 });
    expect(r.trigger.scheduledTime).toBe('2026-11-27T10:05:30.000Z');
    expect(r.error).toContain('SOURCE_FAILED');
  });

  it('parses Lambda records (Scheduler input and rule event) and either cloud inside its queue message', () => {
    const [scheduler, rule] = splitRecords(read('lambda-destination.ndjson')).map(parseFailureRecord);
    expect(scheduler).toMatchObject({ provider: 'aws', condition: 'RetriesExhausted', attempts: 3 });
    expect(scheduler!.trigger.scheduledTime).toBe('2026-11-27T10:11:00.000Z');
    expect(rule).toMatchObject({ provider: 'aws', condition: 'EventAgeExceeded' });
    expect(rule!.trigger.scheduledTime).toBe('2026-11-27T10:21:00.000Z');
    const [mns, sqs] = splitRecords(read('mixed.json')).map(parseFailureRecord);
    expect(mns).toMatchObject({ provider: 'aliyun' });
    expect(mns!.trigger.scheduledTime).toBe('2026-11-27T10:31:30.000Z');
    expect(sqs).toMatchObject({ provider: 'aws' });
    expect(sqs!.trigger.scheduledTime).toBe('2026-11-27T10:41:00.000Z');
  });

  it('rejects what is no failure record with a message saying what was expected', () => {
    expect(() => parseFailureRecord({ hello: 'world' })).toThrow(/Expected an FC destination record/);
  });
});
