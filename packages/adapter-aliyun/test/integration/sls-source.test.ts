import {
  count,
  countDistinct,
  createSource,
  type DeclarativeQuery,
  isWindowedError,
  makeWindow,
  silentLogger,
  sum,
  type Window,
} from '@windowed/core';
import { type SlsLoopbackServer, startSlsServer } from '@windowed/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setFcCredentials } from '../../src/credentials.js';
import '../../src/index.js';
import { createSlsSource } from '../../src/sls/source.js';

const minute = (iso: string): Window => makeWindow(new Date(iso), new Date(Date.parse(iso) + 60_000));
const w0 = minute('2026-11-27T10:00:00Z');
const w1 = minute('2026-11-27T10:01:00Z');
const w2 = minute('2026-11-27T10:02:00Z');
const pvuv: DeclarativeQuery = { metrics: { pv: count(), uv: countDistinct('user_id') } };
const opts = () => ({ signal: new AbortController().signal, logger: silentLogger });

let server: SlsLoopbackServer;

async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    await fn();
  } finally {
    set(saved);
  }
}

beforeAll(async () => {
  server = await startSlsServer({
    credentials: [
      { accessKeyId: 'LTAI-test', accessKeySecret: 'test-secret' },
      { accessKeyId: 'STS.fn', accessKeySecret: 'sts-secret', securityToken: 'sts-token' },
    ],
  });
  const logs = [];
  // 10:00 — 6 views by 3 users; 10:01 — idle; 10:02 — 2 views by 1 user.
  for (const [i, user] of ['a', 'b', 'a', 'c', 'a', 'b'].entries())
    logs.push({
      time: `2026-11-27T10:00:${String(i * 9).padStart(2, '0')}Z`,
      user_id: user,
      country: i % 2 ? 'CN' : 'SG',
      size: '10',
    });
  logs.push(
    { time: '2026-11-27T10:02:00Z', user_id: 'd', country: 'CN', size: '1' },
    { time: '2026-11-27T10:02:59Z', user_id: 'd', country: 'CN', size: '2' },
  );
  logs.push({ time: '2026-11-27T10:03:00Z', user_id: 'late', country: 'CN', size: '1' });
  server.putLogs('web-logs', 'access', logs);
});
afterAll(() => server.close());
afterEach(() => {
  server.setIncompleteAnswers(0);
  server.setScanLimit({});
  setFcCredentials(undefined);
});

const source = (extra: Record<string, unknown> = {}) =>
  createSlsSource({
    project: 'web-logs',
    logstore: 'access',
    endpoint: server.endpoint,
    accessKeyId: 'LTAI-test',
    accessKeySecret: 'test-secret',
    pollIntervalMs: 20,
    ...extra,
  });

describe('SLS source against the loopback GetLogsV2 (real @alicloud/sls20201230 client)', () => {
  it('answers one window: [from, to) in seconds, values parsed from strings', async () => {
    const result = await source().query(pvuv, w0, opts());
    expect(result.rows).toEqual([{ pv: 6, uv: 3 }]);
    const request = server.requests.at(-1)!;
    expect(request).toMatchObject({
      project: 'web-logs',
      logstore: 'access',
      from: w0.start.getTime() / 1000,
      to: w0.end.getTime() / 1000,
    });
    expect(request.query).toBe('* | SELECT count(*) AS "pv", count(DISTINCT "user_id") AS "uv"');
    // gzip, the compression GetLogsV2 documents for JavaScript (lz4 would need a native addon the
    // FC bundle leaves out); the loopback answers gzip-compressed and the SDK reads it.
    expect(request.acceptEncoding).toBe('gzip');
  });

  it('repeats an Incomplete answer until Complete, and never returns the partial numbers', async () => {
    server.setIncompleteAnswers(2);
    const before = server.requests.length;
    const result = await source().query({ metrics: { pv: count(), bytes: sum('size') } }, w0, opts());
    expect(result.rows).toEqual([{ pv: 6, bytes: 60 }]);
    expect(server.requests.slice(before).map((r) => r.progress)).toEqual([
      'Incomplete',
      'Incomplete',
      'Complete',
    ]);
  });

  it('fails with DEADLINE_EXCEEDED when the answer stays Incomplete past the deadline', async () => {
    server.setIncompleteAnswers(1000);
    const started = Date.now();
    const error = await source()
      .query(pvuv, w1, { ...opts(), deadline: Date.now() + 300 })
      .catch((e) => e);
    expect(isWindowedError(error, 'DEADLINE_EXCEEDED')).toBe(true);
    expect(error.message).toMatch(/Incomplete/);
    expect(error.window).toEqual(w1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops repeating an answer that stays Incomplete after maxAttempts, naming the remedies', async () => {
    server.setIncompleteAnswers(Number.POSITIVE_INFINITY);
    const before = server.requests.length;
    const error = await source({ incomplete: { maxAttempts: 3 } })
      .query(pvuv, w0, opts())
      .catch((e) => e);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(error.window).toEqual(w0);
    expect(error.message).toMatch(/Incomplete 3 time\(s\)/);
    expect(error.message).toMatch(/dedicatedSql: true/);
    expect(error.message).toMatch(/set session parallel_sql=true;/);
    expect(error.message).toMatch(/narrower range/);
    expect(server.requests.slice(before).map((r) => r.progress)).toEqual([
      'Incomplete',
      'Incomplete',
      'Incomplete',
    ]);
  });

  it('stops repeating an Incomplete answer after incomplete.maxMs', async () => {
    server.setIncompleteAnswers(Number.POSITIVE_INFINITY);
    const started = Date.now();
    const error = await source({ incomplete: { maxAttempts: 100, maxMs: 300 } })
      .query(pvuv, w0, opts())
      .catch((e) => e);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('bounds Incomplete repeats in a backfill too (no deadline there): 10 attempts by default', async () => {
    server.setIncompleteAnswers(Number.POSITIVE_INFINITY);
    const before = server.requests.length;
    const error = await source({ pollIntervalMs: 1 }).queryMany!(pvuv, [w0, w1, w2], opts()).catch((e) => e);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(error.message).toMatch(/Incomplete 10 time\(s\)/);
    expect(server.requests.length - before).toBe(10);
  });

  it('completes on Dedicated SQL (dedicatedSql: true) a query Standard SQL can only answer Incomplete', async () => {
    // The loopback stands for a logstore too big for Standard SQL's 400 MB: it reads 3 logs.
    server.setScanLimit({ standard: 3 });
    const standard = await source({ incomplete: { maxAttempts: 2 } })
      .query(pvuv, w0, opts())
      .catch((e) => e);
    expect(isWindowedError(standard, 'SOURCE_FAILED')).toBe(true);
    expect((await source({ dedicatedSql: true }).query(pvuv, w0, opts())).rows).toEqual([{ pv: 6, uv: 3 }]);
    expect(server.requests.at(-1)).toMatchObject({ dedicatedSql: true, progress: 'Complete' });
    expect(server.requests.at(-1)!.query).toMatch(/^\* \| set session parallel_sql=true; SELECT /);
  });

  it('refuses a window whose grouped answer reaches maxRows: SLS drops rows past the LIMIT silently', async () => {
    const error = await source({ maxRows: 2 })
      .query({ metrics: { pv: count() }, groupBy: ['country'] }, w0, opts())
      .catch((e) => e);
    expect(server.requests.at(-1)!.query).toMatch(/LIMIT 2$/);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(error.window).toEqual(w0);
    expect(error.message).toMatch(/2 rows \(country groups\)/);
    expect(
      (await source({ maxRows: 3 }).query({ metrics: { pv: count() }, groupBy: ['country'] }, w0, opts()))
        .rows,
    ).toHaveLength(2);
  });

  it('splits a multi-window query whose answer reaches maxRows, down to one window', async () => {
    const grouped: DeclarativeQuery = { metrics: { pv: count() }, groupBy: ['country'] };
    const before = server.requests.length;
    // 10:00 has CN and SG, 10:01 nothing, 10:02 CN: three rows, the cap is three.
    const result = await source({ maxRows: 3 }).queryMany!(grouped, [w0, w1, w2], opts());
    const sort = (rows: unknown[] = []) =>
      [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(sort(result.rows.get(w0.key))).toEqual([
      { country: 'CN', pv: 3 },
      { country: 'SG', pv: 3 },
    ]);
    expect(result.rows.get(w1.key)).toBeUndefined();
    expect(result.rows.get(w2.key)).toEqual([{ country: 'CN', pv: 2 }]);
    expect(server.requests.length - before).toBe(3); // [w0..w2] at the cap, then [w0, w1] and [w2]
    const ungrouped = await source({ maxRows: 2 }).queryMany!(pvuv, [w0, w1, w2], opts());
    expect(ungrouped.rows.get(w0.key)).toEqual([{ pv: 6, uv: 3 }]);
    expect(ungrouped.rows.get(w2.key)).toEqual([{ pv: 2, uv: 1 }]);
    const single = await source({ maxRows: 2 }).queryMany!(grouped, [w0, w1, w2], opts()).catch((e) => e);
    expect(isWindowedError(single, 'SOURCE_FAILED')).toBe(true);
    expect(single.window).toEqual(w0);
  });

  it('says which field lacks statistics and what to enable when SLS cannot analyze it', async () => {
    server.createLogstore('web-logs', 'no-stats', {
      keys: { user_id: { type: 'text', doc_value: true }, country: { type: 'text', doc_value: false } },
    });
    server.putLogs('web-logs', 'no-stats', [{ time: '2026-11-27T10:00:01Z', user_id: 'a', country: 'CN' }]);
    expect((await source({ logstore: 'no-stats' }).query(pvuv, w0, opts())).rows).toEqual([{ pv: 1, uv: 1 }]);
    const error = await source({ logstore: 'no-stats' })
      .query({ metrics: { pv: count() }, groupBy: ['country'] }, w0, opts())
      .catch((e) => e);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(error.message).toMatch(/SLS cannot analyze the field "country"/);
    expect(error.message).toMatch(/Enable Analytics/);
    expect(error.message).toMatch(/written after/);
  });

  it('answers groupBy queries and idle windows', async () => {
    const grouped = await source().query({ metrics: { pv: count() }, groupBy: ['country'] }, w0, opts());
    expect(grouped.rows.sort((a, b) => String(a.country).localeCompare(String(b.country)))).toEqual([
      { country: 'CN', pv: 3 },
      { country: 'SG', pv: 3 },
    ]);
    expect((await source().query(pvuv, w1, opts())).rows).toEqual([{ pv: 0, uv: 0 }]);
  });

  it('answers many windows in one query (queryMany), keyed by window', async () => {
    const before = server.requests.length;
    const result = await source().queryMany!(pvuv, [w0, w1, w2], opts());
    expect(server.requests.length - before).toBe(1);
    expect(result.rows.get(w0.key)).toEqual([{ pv: 6, uv: 3 }]);
    expect(result.rows.get(w1.key) ?? []).toEqual([]);
    expect(result.rows.get(w2.key)).toEqual([{ pv: 2, uv: 1 }]);
    expect([...result.rows.keys()].sort()).toEqual([w0.key, w2.key]);
  });

  it('splits non-contiguous windows into separate runs and never reports a window it was not asked for', async () => {
    const result = await source().queryMany!(pvuv, [w0, w2], opts());
    expect([...result.rows.keys()].sort()).toEqual([w0.key, w2.key]);
  });

  it('uses the function credentials recorded by setFcCredentials (STS token), else the environment', async () => {
    const keyless = source({ accessKeyId: undefined, accessKeySecret: undefined });
    setFcCredentials({ accessKeyId: 'STS.fn', accessKeySecret: 'sts-secret', securityToken: 'sts-token' });
    expect((await keyless.query(pvuv, w0, opts())).rows).toEqual([{ pv: 6, uv: 3 }]);
    expect(server.requests.at(-1)).toMatchObject({ accessKeyId: 'STS.fn', securityToken: 'sts-token' });

    setFcCredentials(undefined);
    await withEnv(
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-test',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'test-secret',
        ALIBABA_CLOUD_SECURITY_TOKEN: undefined,
      },
      async () => {
        expect((await keyless.query(pvuv, w0, opts())).rows).toEqual([{ pv: 6, uv: 3 }]);
        expect(server.requests.at(-1)).toMatchObject({ accessKeyId: 'LTAI-test' });
      },
    );
  });

  it('says what to do when there are no credentials at all', async () => {
    await withEnv(
      { ALIBABA_CLOUD_ACCESS_KEY_ID: undefined, ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined },
      async () => {
        const error = await source({ accessKeyId: undefined, accessKeySecret: undefined })
          .query(pvuv, w0, opts())
          .catch((e) => e);
        expect(isWindowedError(error, 'INVALID_CONFIG')).toBe(true);
        expect(error.message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
      },
    );
  });

  it('reports a rejected signature as SOURCE_FAILED without the secret', async () => {
    const error = await source({ accessKeySecret: 'wrong-secret-value' })
      .query(pvuv, w0, opts())
      .catch((e) => e);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(error.message).toMatch(/SignatureNotMatch/);
    expect(error.message).not.toContain('wrong-secret-value');
  });

  it('reports a missing logstore as SOURCE_FAILED naming it', async () => {
    const error = await source({ logstore: 'nope' })
      .query(pvuv, w0, opts())
      .catch((e) => e);
    expect(isWindowedError(error, 'SOURCE_FAILED')).toBe(true);
    expect(error.message).toMatch(/LogStoreNotExist/);
  });

  it('is registered as the "sls" source type when the adapter is imported', async () => {
    const viaRegistry = createSource({
      type: 'sls',
      project: 'web-logs',
      logstore: 'access',
      endpoint: server.endpoint,
      accessKeyId: 'LTAI-test',
      accessKeySecret: 'test-secret',
    });
    expect(viaRegistry.describe()).toBe(`sls:web-logs/access@${server.endpoint.replace('http://', '')}`);
    expect((await viaRegistry.query(pvuv, w2, opts())).rows).toEqual([{ pv: 2, uv: 1 }]);
  });

  it('validates its options strictly (INVALID_CONFIG), never echoing secrets', () => {
    const attempt = (o: Record<string, unknown>) => {
      try {
        createSlsSource(o as never);
      } catch (error) {
        return isWindowedError(error, 'INVALID_CONFIG') ? error.message : 'wrong error';
      }
      return 'no error';
    };
    expect(
      attempt({ project: 'Web_Logs', logstore: 'access', endpoint: 'cn-hangzhou.log.aliyuncs.com' }),
    ).toMatch(/project/);
    expect(
      attempt({
        project: 'web-logs',
        logstore: 'access',
        endpoint: 'cn-hangzhou.log.aliyuncs.com',
        region: 'x',
      }),
    ).toMatch(/region/);
    expect(
      attempt({
        project: 'web-logs',
        logstore: 'access',
        endpoint: 'cn-hangzhou.log.aliyuncs.com',
        accessKeySecret: 'top-secret',
      }),
    ).not.toMatch(/top-secret/);
    expect(
      attempt({
        project: 'web-logs',
        logstore: 'access',
        endpoint: 'cn-hangzhou.log.aliyuncs.com',
        query: '* | select 1',
      }),
    ).toMatch(/search statement/);
    const base = { project: 'web-logs', logstore: 'access', endpoint: 'cn-hangzhou.log.aliyuncs.com' };
    expect(attempt({ ...base, maxRows: 1_000_001 })).toMatch(/"maxRows"/);
    expect(attempt({ ...base, incomplete: { attempts: 3 } })).toMatch(
      /"incomplete\.attempts": unknown key "attempts"/,
    );
    expect(attempt({ ...base, incomplete: { maxAttempts: 0 } })).toMatch(/incomplete\.maxAttempts/);
    expect(attempt({ ...base, dedicatedSql: 'yes' })).toMatch(/dedicatedSql/);
    expect(
      attempt({ ...base, maxRows: 5, dedicatedSql: true, incomplete: { maxAttempts: 2, maxMs: 1000 } }),
    ).toBe('no error');
  });
});
