import { type SlsLoopbackServer, startSlsServer } from '@windowed/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlsClient, loadSlsSdk, type SlsClient, type SlsSdk } from '../../src/sls/client.js';

/**
 * The loopback Log Service against the documentation, through the real `@alicloud/sls20201230`
 * client: if the loopback drifts from what SLS documents, these fail before any source test can
 * pass on a misreading.
 */
let server: SlsLoopbackServer;
let sdk: SlsSdk;
let client: SlsClient;
const T = Date.parse('2026-11-27T10:00:00Z') / 1000;

beforeAll(async () => {
  server = await startSlsServer();
  sdk = await loadSlsSdk();
  const endpoint = new URL(server.endpoint);
  client = createSlsClient(
    sdk.Client,
    { host: endpoint.host, protocol: 'http' },
    () => server.credentials[0]!,
  );
});
afterAll(() => server.close());

/** `acceptEncoding: null` sends none (the SDK then picks its own). */
async function getLogs(logstore: string, query: string, acceptEncoding: string | null = 'gzip') {
  const response = await client.getLogsV2WithOptions(
    'docs',
    logstore,
    new sdk.GetLogsV2Request({ from: T, to: T + 60, query }),
    new sdk.GetLogsV2Headers(acceptEncoding === null ? {} : { acceptEncoding }),
    {},
  );
  return {
    data: response.body?.data ?? [],
    progress: response.body?.meta?.progress,
    headers: response.headers ?? {},
  };
}

async function refusal(
  logstore: string,
  query: string,
): Promise<{ code: string; message: string; status: number }> {
  try {
    await getLogs(logstore, query);
  } catch (error) {
    const e = error as { code: string; message: string; data: { httpCode: number } };
    return { code: e.code, message: e.message, status: e.data.httpCode };
  }
  throw new Error(`expected SLS to refuse ${query}`);
}

const logs = (n: number, fields: (i: number) => Record<string, string> = () => ({})) =>
  Array.from({ length: n }, (_, i) => ({
    time: T + Math.floor((i * 60) / n),
    user_id: `u${i % 3}`,
    ...fields(i),
  }));

describe('GetLogsV2 compression (Accept-Encoding)', () => {
  // 100 rows of answer: a body of some kilobytes (an LZ4 literal run needs several length bytes).
  beforeAll(() => server.putLogs('docs', 'compressed', logs(100)));

  it.each([
    { label: 'gzip', asked: 'gzip', sent: 'gzip' },
    { label: 'deflate', asked: 'deflate', sent: 'deflate' },
    // No Accept-Encoding: the SDK asks for its first choice, lz4 (it has lz4-napi here).
    { label: "none (the SDK's default)", asked: null, sent: 'lz4' },
  ])(
    'answers Accept-Encoding $label compressed as $sent, which the SDK decompresses',
    async ({ asked, sent }) => {
      const answer = await getLogs('compressed', '* | SELECT "user_id", __time__ AS t', asked);
      expect(answer.data).toHaveLength(100);
      expect(answer.data[99]).toEqual({ user_id: 'u0', t: String(T + 59) });
      expect(answer.headers['x-log-compresstype']).toBe(sent);
      expect(Number(answer.headers['x-log-bodyrawsize'])).toBeGreaterThan(2_000);
      expect(server.requests.at(-1)!.acceptEncoding).toBe(sent);
    },
  );
});

describe('the documented SQL limits', () => {
  beforeAll(() => server.putLogs('docs', 'rows', logs(150)));

  it('returns 100 rows unless LIMIT says otherwise, and refuses a LIMIT above 1,000,000', async () => {
    // LIMIT clause: "By default, Simple Log Service returns 100 rows"; "the valid values of x are [0,1000000]".
    expect((await getLogs('rows', '* | SELECT "user_id"')).data).toHaveLength(100);
    expect((await getLogs('rows', '* | SELECT "user_id" LIMIT 120')).data).toHaveLength(120);
    expect(await refusal('rows', '* | SELECT "user_id" LIMIT 1000001')).toMatchObject({
      status: 400,
      code: 'ParameterInvalid',
    });
  });

  it('runs the documented Dedicated SQL example: * | set session parallel_sql=true; select count(*) as pv', async () => {
    const answer = await getLogs('rows', '* | set session parallel_sql=true; select count(*) as pv');
    expect(answer).toMatchObject({ data: [{ pv: '150' }], progress: 'Complete' });
    expect(server.requests.at(-1)!.dedicatedSql).toBe(true);
  });

  it('marks an answer Incomplete when a Standard SQL query would scan more than it may (400 MB), not on Dedicated SQL', async () => {
    // "Up to 400 MB per query … Excess data is truncated with an incomplete query result marker";
    // Dedicated SQL: up to 2 GB. The loopback counts logs: 10 here stand for "more than 400 MB".
    server.setScanLimit({ standard: 10 });
    try {
      const standard = await getLogs('rows', '* | SELECT count(*) AS pv');
      expect(standard).toMatchObject({ progress: 'Incomplete', data: [{ pv: '10' }] });
      // Repeating it does not help: the same cut every time.
      expect(await getLogs('rows', '* | SELECT count(*) AS pv')).toMatchObject({ progress: 'Incomplete' });
      const dedicated = await getLogs('rows', '* | set session parallel_sql=true; SELECT count(*) AS pv');
      expect(dedicated).toMatchObject({ progress: 'Complete', data: [{ pv: '150' }] });
    } finally {
      server.setScanLimit({});
    }
  });

  it('can be told to stay Incomplete', async () => {
    server.setIncompleteAnswers(Number.POSITIVE_INFINITY);
    try {
      for (let i = 0; i < 3; i++)
        expect((await getLogs('rows', '* | SELECT count(*) AS n')).progress).toBe('Incomplete');
    } finally {
      server.setIncompleteAnswers(0);
    }
  });
});

describe('the analysis prerequisites', () => {
  it('refuses SQL on a field without statistics the way SLS does', async () => {
    server.createLogstore('docs', 'indexed', {
      keys: { user_id: { type: 'text', doc_value: true }, country: { type: 'text', doc_value: false } },
    });
    server.putLogs(
      'docs',
      'indexed',
      logs(4, (i) => ({ country: i % 2 ? 'CN' : 'SG' })),
    );
    // "line 1:44: Column 'XXX' cannot be resolved;please add the column in the index attribute"
    const refused = await refusal('indexed', '* | SELECT "country", count(*) AS pv GROUP BY "country"');
    expect(refused).toMatchObject({ status: 400, code: 'ParameterInvalid' });
    expect(refused.message).toMatch(
      /line 1:\d+: Column 'country' cannot be resolved;please add the column in the index attribute/,
    );
    expect((await getLogs('indexed', '* | SELECT count(DISTINCT "user_id") AS uv')).data).toEqual([
      { uv: '3' },
    ]);
  });

  it('analyzes only logs written after statistics were enabled', async () => {
    // "You can analyze only the data that is written … after the log analysis feature is enabled."
    server.createLogstore('docs', 'late', { keys: { user_id: { type: 'text', doc_value: true } } });
    server.putLogs(
      'docs',
      'late',
      logs(3, () => ({ country: 'CN' })),
    );
    server.setIndex('docs', 'late', {
      keys: { user_id: { type: 'text', doc_value: true }, country: { type: 'text', doc_value: true } },
    });
    server.putLogs('docs', 'late', [{ time: T + 10, user_id: 'u9', country: 'SG' }]);
    expect((await getLogs('late', '* | SELECT count("country") AS n, count(*) AS pv')).data).toEqual([
      { n: '1', pv: '4' },
    ]);
  });

  it('analyzes the first 2,048 bytes of a value unless the index keeps more', async () => {
    // "the default maximum length of a field value that can be retained for analysis is 2,048 bytes"
    const prefix = 'x'.repeat(2_048);
    const values = [`${prefix}a`, `${prefix}b`];
    server.createLogstore('docs', 'long', { keys: { path: { type: 'text', doc_value: true } } });
    server.putLogs(
      'docs',
      'long',
      values.map((path, i) => ({ time: T + i, path })),
    );
    const distinct = '* | SELECT count(DISTINCT "path") AS n';
    expect((await getLogs('long', distinct)).data).toEqual([{ n: '1' }]);
    server.createLogstore('docs', 'longer', {
      keys: { path: { type: 'text', doc_value: true } },
      max_text_len: 4_096,
    });
    server.putLogs(
      'docs',
      'longer',
      values.map((path, i) => ({ time: T + i, path })),
    );
    expect((await getLogs('longer', distinct)).data).toEqual([{ n: '2' }]);
  });
});
