import { describe, expect, it } from 'vitest';
import { groupedRows, MAX_GROUP_CHARS } from '../../src/sinks/group-values.js';
import { makeWindow } from '../../src/window/types.js';

const window = makeWindow(new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T10:01:00Z'));
const rules = (maxChars = MAX_GROUP_CHARS) => ({
  sink: 'sqlite:x.db table t',
  dimensions: ['path', 'host'],
  maxChars: new Map([
    ['path', maxChars],
    ['host', maxChars],
  ]),
  hashKey: true,
});

describe('group values a sink stores', () => {
  it('counts characters as code points: 1,024 emoji (2,048 UTF-16 units) fit, 1,025 do not', () => {
    expect(() => groupedRows(window, [{ path: '😀'.repeat(1024), host: null }], rules())).not.toThrow();
    expect(() => groupedRows(window, [{ path: '😀'.repeat(1025), host: null }], rules())).toThrow(
      /group field "path" holds a value of 1,025 characters/,
    );
  });

  it("honours an older table's shorter column", () => {
    expect(() => groupedRows(window, [{ path: 'x'.repeat(192), host: 'h' }], rules(191))).toThrow(
      /stores up to 191\b.*new table/,
    );
  });

  it('refuses half of a surrogate pair (it would be written as U+FFFD) and a NUL byte', () => {
    expect(() => groupedRows(window, [{ path: 'a', host: 'b\ud800' }], rules())).toThrow(
      /"host" holds half of a UTF-16 surrogate pair \(\\ud800\)/,
    );
    expect(() => groupedRows(window, [{ path: 'a\u0000', host: 'b' }], rules())).toThrow(
      /"path" holds a NUL/,
    );
  });

  it('keys each group by its stored text: null, "null", numbers and their text', () => {
    const rows = groupedRows(
      window,
      [
        { path: null, host: 'h' },
        { path: 'null', host: 'h' },
        { path: 'a', host: 'b,c' },
        { path: 'a,b', host: 'c' },
      ],
      rules(),
    );
    expect(new Set(rows.map((r) => r.key)).size).toBe(4);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.key!))).toBe(true);
    expect(() =>
      groupedRows(
        window,
        [
          { path: 200, host: 'h' },
          { path: '200', host: 'h' },
        ],
        rules(),
      ),
    ).toThrow(/two of its rows have the same group \(path = "200", host = "h"\)/);
  });
});
