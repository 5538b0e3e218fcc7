import { builtin } from '../../node-builtins.js';

const fs = builtin('node:fs');

/** What a read of `[from, end)` of a text file needs to know before DuckDB reads it. */
export interface Scanned {
  /** Just after the last newline in `[from, end)`: `[from, cut)` holds complete lines; `from` if none. */
  cut: number;
  /** A UTF-8 byte-order mark at the start of the file (looked for when `from` is 0). */
  bom: boolean;
  /** A line in `[from, end)` longer than `maxLineBytes` bytes. */
  tooLong: boolean;
}

const BLOCK = 64 * 1024;
const NEWLINE = 10;

/**
 * Looks at a few blocks of the file, not all of it: the last newline, the first three bytes, and
 * whether every stretch of `maxLineBytes + 1` bytes holds a newline (one backward read per
 * `maxLineBytes` of file, which finds the stretch's last newline within a line's length).
 */
export function scan(path: string, from: number, end: number, maxLineBytes: number): Scanned {
  const fd = fs.openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(BLOCK);
    const last = lastNewline(fd, buffer, from, end);
    const bom =
      from === 0 &&
      end >= 3 &&
      read(fd, buffer, 0, 3) === 3 &&
      buffer[0] === 0xef &&
      buffer[1] === 0xbb &&
      buffer[2] === 0xbf;
    let tooLong = false;
    for (let lineStart = from; end - lineStart > maxLineBytes; ) {
      const newline = lastNewline(fd, buffer, lineStart, lineStart + maxLineBytes + 1);
      if (newline < 0) {
        tooLong = true;
        break;
      }
      lineStart = newline + 1;
    }
    return { cut: last < 0 ? from : last + 1, bom, tooLong };
  } finally {
    fs.closeSync(fd);
  }
}

/** Copies bytes `[from, to)` of `source` into a new file `target`. */
export function copyRange(source: string, from: number, to: number, target: string): void {
  const input = fs.openSync(source, 'r');
  const output = fs.openSync(target, 'wx');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let at = from; at < to; ) {
      const n = read(input, buffer, at, Math.min(buffer.length, to - at));
      if (n === 0) throw new Error(`${source} is shorter than expected (${at} of ${to} bytes)`);
      fs.writeSync(output, buffer, 0, n);
      at += n;
    }
  } finally {
    fs.closeSync(input);
    fs.closeSync(output);
  }
}

/** The position of the last newline in `[from, to)`, or -1; reads backward a block at a time. */
function lastNewline(fd: number, buffer: Buffer, from: number, to: number): number {
  for (let hi = to; hi > from; ) {
    const lo = Math.max(from, hi - buffer.length);
    const n = read(fd, buffer, lo, hi - lo);
    const i = buffer.subarray(0, n).lastIndexOf(NEWLINE);
    if (i >= 0) return lo + i;
    hi = lo;
  }
  return -1;
}

function read(fd: number, buffer: Buffer, position: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
