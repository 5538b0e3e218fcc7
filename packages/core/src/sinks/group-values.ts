import { WindowedError } from '../errors.js';
import { builtin } from '../node-builtins.js';
import type { Row } from '../query/types.js';
import type { Window } from '../window/types.js';

const { createHash } = builtin('node:crypto');

/** The longest group value every sink stores exactly, in characters (code points). */
export const MAX_GROUP_CHARS = 1024;

/**
 * What a sink stores of a window's group values: the text of each dimension, in column order, and —
 * for tables keyed on it — a hash of them all.
 */
export interface GroupedRow {
  row: Row;
  /** The dimension values as stored: text or null. */
  dims: Array<string | null>;
  /** SHA-256 (hex) of the stored dimension values, when the table is keyed on it. */
  key: string | undefined;
}

export interface GroupRules {
  /** The sink's description, for messages. */
  sink: string;
  dimensions: readonly string[];
  /** The longest value each dimension column stores, in characters. */
  maxChars: ReadonlyMap<string, number>;
  /** Whether rows carry a hash of their group values (tables windowed creates for grouped queries). */
  hashKey: boolean;
}

/**
 * A window's rows ready to write, or the reason they cannot be stored exactly: a value longer than its
 * column, one no UTF-8 database stores as it is (a NUL byte, which PostgreSQL refuses and MySQL/SQLite
 * keep — refused everywhere, so a job behaves the same on every sink; half of a surrogate pair, which
 * would be written as U+FFFD), or two rows of the window with the same stored group. Checked before
 * anything is sent, so the error names the field and the window instead of a driver's message.
 */
export function groupedRows(window: Window, rows: readonly Row[], rules: GroupRules): GroupedRow[] {
  const seen = new Set<string>();
  const out: GroupedRow[] = [];
  for (const row of rows) {
    const dims = rules.dimensions.map((field) => storedValue(window, field, row[field], rules));
    const identity = JSON.stringify(dims);
    if (seen.has(identity)) throw duplicateGroup(window, rules, dims);
    seen.add(identity);
    const key = rules.hashKey ? createHash('sha256').update(identity).digest('hex') : undefined;
    out.push({ row, dims, key });
  }
  return out;
}

// A NUL, or a UTF-16 surrogate that is not part of a pair (with the `u` flag, a pair is one code point).
const UNSTORABLE = /[\0\p{Cs}]/u;

function storedValue(
  window: Window,
  field: string,
  value: string | number | null | undefined,
  rules: GroupRules,
): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  const max = rules.maxChars.get(field) ?? MAX_GROUP_CHARS;
  // Code points, as MySQL and PostgreSQL count a varchar's characters; UTF-16 length bounds them.
  if (text.length > max) {
    const chars = codePoints(text);
    if (chars > max) {
      throw unstorable(
        window,
        rules,
        field,
        `holds a value of ${chars.toLocaleString('en-US')} characters (${JSON.stringify(`${Array.from(text.slice(0, 80)).slice(0, 40).join('')}…`)}); the sink stores up to ${max.toLocaleString('en-US')}`,
        max < MAX_GROUP_CHARS
          ? `The table's column was created for ${max} characters (by an earlier windowed): point the sink at a new table (?table=), which windowed creates for up to ${MAX_GROUP_CHARS.toLocaleString('en-US')}.`
          : 'Shorten the value in the query (or group by a shorter field).',
      );
    }
  }
  const bad = UNSTORABLE.exec(text);
  if (bad) {
    const what =
      bad[0] === '\0'
        ? 'a NUL byte (\\u0000), which PostgreSQL cannot store'
        : `half of a UTF-16 surrogate pair (\\u${bad[0].charCodeAt(0).toString(16)}), which no UTF-8 database stores as it is`;
    throw unstorable(
      window,
      rules,
      field,
      `holds ${what} at character ${bad.index}`,
      'Clean the value in the query or the source.',
    );
  }
  return text;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function unstorable(window: Window, rules: GroupRules, field: string, detail: string, fix: string) {
  return new WindowedError(
    'SINK_FAILED',
    `Window ${window.key} was not written to ${rules.sink}: group field "${field}" ${detail}. ${fix}`,
    { window },
  );
}

function duplicateGroup(window: Window, rules: GroupRules, dims: Array<string | null>) {
  const group = rules.dimensions.map((d, i) => `${d} = ${JSON.stringify(dims[i])}`).join(', ');
  return new WindowedError(
    'SINK_FAILED',
    `Window ${window.key} was not written to ${rules.sink}: two of its rows have the same group (${group}) once stored as text. The query must answer one row per group (a source that tells 200 from "200" answers both as "200").`,
    { window },
  );
}
