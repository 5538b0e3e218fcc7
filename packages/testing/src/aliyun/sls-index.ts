import type { SlsIndex } from './sls/logstore.js';

/*
 * A logstore's index as GetIndex answers it (`GET /logstores/{logstore}/index` on the project's
 * host): `keys` maps each field to `{ type, doc_value }`, `doc_value: true` being "Enable
 * Analytics" (statistics), without which SQL cannot read the field.
 * https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getindex
 * Kept apart from the query server (sls-server.ts): `windowed doctor` reads it, the source does not.
 */

/** The GetIndex answer for `index`, or SLS's 404 when the logstore has none. */
export function getIndexAnswer(
  logstore: string,
  index: SlsIndex | undefined,
): { status: number; body: Record<string, unknown> } {
  if (!index)
    return {
      status: 404,
      body: {
        errorCode: 'IndexConfigNotExist',
        errorMessage: `index config doesn't exist for logstore ${logstore}`,
      },
    };
  return {
    status: 200,
    body: {
      logstore,
      keys: Object.fromEntries(
        Object.entries(index.keys).map(([name, key]) => [
          name,
          {
            type: key.type ?? 'text',
            caseSensitive: false,
            chn: false,
            token: [',', ' '],
            doc_value: key.doc_value ?? false,
          },
        ]),
      ),
      max_text_len: index.max_text_len ?? 2048,
      ttl: 30,
      lastModifyTime: Math.floor(Date.now() / 1000),
    },
  };
}
