import { readFileSync } from 'node:fs';
import { type MnsLoopbackServer, startMnsServer } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FcFailureRecord } from '../../src/index.js';
import { drainMnsFailureQueue } from '../../src/mns.js';

const record = readFileSync(new URL('../fixtures/aliyun/destination-record.json', import.meta.url), 'utf8');
const base64 = Buffer.from(record).toString('base64');

let server: MnsLoopbackServer;
beforeAll(async () => {
  server = await startMnsServer({ visibilityTimeoutMs: 150 });
});
afterAll(() => server?.close());

const drain = (queue: string, handle: (r: FcFailureRecord) => Promise<void>, extra = {}) =>
  drainMnsFailureQueue({
    accountId: '1234567890123456',
    endpoint: server.endpoint,
    queue,
    accessKeyId: 'LTAI-mns',
    accessKeySecret: 'mns-secret',
    handle,
    ...extra,
  });

describe('drainMnsFailureQueue (real @alicloud/mns client against a loopback queue)', () => {
  it('hands every failure record to the handler and deletes it once handled', async () => {
    server.sendMessage('failures', base64);
    server.sendMessage('failures', record);
    const seen: FcFailureRecord[] = [];
    const result = await drain('failures', async (r) => {
      seen.push(r);
    });
    expect(result).toMatchObject({ received: 2, handled: 2, failed: [], invalid: [] });
    expect(seen.map((r) => r.trigger.scheduledTime)).toEqual([
      '2023-12-26T07:49:00.000Z',
      '2023-12-26T07:49:00.000Z',
    ]);
    expect(seen[0]).toMatchObject({ provider: 'aliyun', condition: 'UnhandledInvocationError', attempts: 4 });
    expect(server.depth('failures')).toBe(0);
  });

  it('leaves a message whose handler failed, so MNS delivers it again after the visibility timeout', async () => {
    server.sendMessage('retry', base64);
    const failing = await drain('retry', async () => {
      throw new Error('replay failed');
    });
    expect(failing).toMatchObject({ received: 1, handled: 0 });
    expect(failing.failed[0]?.error).toMatch(/replay failed/);
    expect(server.depth('retry')).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    const second = await drain('retry', async () => {});
    expect(second).toMatchObject({ received: 1, handled: 1 });
    expect(server.depth('retry')).toBe(0);
  });

  it('reports messages that are not failure records, keeping them unless told to delete', async () => {
    server.sendMessage('mixed', 'hello');
    const kept = await drain('mixed', async () => {});
    expect(kept.invalid).toHaveLength(1);
    expect(server.depth('mixed')).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    const deleted = await drain('mixed', async () => {}, { deleteInvalid: true });
    expect(deleted.invalid).toHaveLength(1);
    expect(server.depth('mixed')).toBe(0);
  });

  it('rejects wrong credentials as SOURCE_FAILED', async () => {
    server.sendMessage('auth', base64);
    await expect(
      drainMnsFailureQueue({
        accountId: '1234567890123456',
        endpoint: server.endpoint,
        queue: 'auth',
        accessKeyId: 'LTAI-mns',
        accessKeySecret: 'nope',
        handle: async () => {},
      }),
    ).rejects.toMatchObject({
      code: 'SOURCE_FAILED',
      message: expect.stringMatching(/SignatureDoesNotMatch/),
    });
  });
});
