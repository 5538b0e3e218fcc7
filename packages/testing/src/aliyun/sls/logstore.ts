import type { LogRow } from './sql.js';

/**
 * A logstore's index, in CreateIndex's wire shape, reduced to what SQL depends on. A field is
 * analyzable only with a field index whose `doc_value` ("Enable Analytics", statistics) is true.
 * https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-createindex
 */
export interface SlsIndex {
  keys: Record<string, { type?: 'text' | 'long' | 'double' | 'json'; doc_value?: boolean }>;
  /** Bytes of a text value analysis keeps: default 2,048, 64 to 16,384. */
  max_text_len?: number;
}

/**
 * "When you analyze logs, the default maximum length of a field value that can be retained for
 * analysis is 2,048 bytes … The maximum length can be extended to 16,384 bytes."
 * https://www.alibabacloud.com/help/en/sls/user-guide/why-are-field-values-truncated-when-i-query-and-analyze-logs
 */
const DEFAULT_MAX_TEXT_LEN = 2_048;

/** Fields SQL reads without a field index. */
const RESERVED = new Set(['__time__']);

/** A log as searched (`raw`) and as SQL sees it (`analytic`), fixed when it was written. */
export interface StoredLog {
  raw: LogRow;
  analytic: LogRow;
}

/**
 * One logstore: its logs and its index. SQL "can analyze only the data that is written to Simple
 * Log Service after the log analysis feature is enabled" (https://help.aliyun.com/en/sls/query-and-analysis1),
 * so each log's analytic view is taken when it is written, under the index of that moment.
 *
 * A logstore a test never gave an index behaves as if every field had statistics enabled from the
 * start (SLS itself refuses SQL on a logstore without any index); tests of the prerequisites give one.
 */
export class Logstore {
  readonly logs: StoredLog[] = [];
  private index: SlsIndex | undefined;

  setIndex(index: SlsIndex): void {
    this.index = structuredClone(index);
  }

  /** The index as set (what GetIndex answers), or undefined when the logstore has none. */
  get currentIndex(): SlsIndex | undefined {
    return this.index;
  }

  /** Whether SQL may name the field now. */
  analyzable(field: string): boolean {
    return RESERVED.has(field) || this.index === undefined || this.index.keys[field]?.doc_value === true;
  }

  put(rows: LogRow[]): void {
    const maxBytes = this.index?.max_text_len ?? DEFAULT_MAX_TEXT_LEN;
    for (const raw of rows) {
      const analytic: LogRow = {};
      for (const [field, value] of Object.entries(raw)) {
        if (this.analyzable(field)) analytic[field] = RESERVED.has(field) ? value : truncate(value, maxBytes);
      }
      this.logs.push({ raw, analytic });
    }
  }
}

function truncate(value: string, maxBytes: number): string {
  const bytes = Buffer.from(value, 'utf8');
  return bytes.length <= maxBytes ? value : bytes.subarray(0, maxBytes).toString('utf8');
}
