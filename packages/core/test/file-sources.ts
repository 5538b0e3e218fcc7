import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import type { Logger } from '../src/logger.js';
import type { Row } from '../src/query/types.js';
import { createFileSource, type FileSourceOptions } from '../src/sources/files/source.js';
import type { Source, SourceQueryOptions } from '../src/sources/types.js';
import { makeWindow, type Window } from '../src/window/types.js';

/** What the file-source tests share: temporary folders and sources, closed and removed after each file. */
const dirs: string[] = [];
const sources: Source[] = [];

/** Registers the clean-up in the calling test file. */
export function cleanUpFileSources(): void {
  afterEach(async () => {
    for (const source of sources.splice(0)) await source.close?.();
  });
  afterAll(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'windowed-files-'));
  dirs.push(dir);
  return dir;
}

/** A file source closed after the test. */
export function track<T extends Source>(source: T): T {
  sources.push(source);
  return source;
}

export interface Captured extends Logger {
  warnings: Array<{ message: string; fields?: Record<string, unknown> }>;
  debugs: Array<{ message: string; fields?: Record<string, unknown> }>;
}

export function capturingLogger(): Captured {
  const warnings: Captured['warnings'] = [];
  const debugs: Captured['debugs'] = [];
  return {
    warnings,
    debugs,
    debug: (message, fields) => debugs.push({ message, fields }),
    info: () => {},
    warn: (message, fields) => warnings.push({ message, fields }),
    error: () => {},
  };
}

/**
 * A source of `format` over `content`: one file named `name` under `logs/`, or files by relative
 * path. `path` in `more` replaces the source's path (a glob, say).
 */
export function setupFiles(
  format: 'ndjson' | 'csv' | 'parquet',
  content: string | Record<string, string>,
  name: string,
  more: Partial<FileSourceOptions> = {},
) {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  let path = logs;
  if (typeof content === 'string') {
    path = join(logs, name);
    writeFileSync(path, content);
  } else {
    for (const [file, text] of Object.entries(content)) {
      mkdirSync(join(logs, file, '..'), { recursive: true });
      writeFileSync(join(logs, file), text);
    }
  }
  const logger = capturingLogger();
  const cacheDir = join(dir, 'cache');
  const source = track(createFileSource(format, { path, cacheDir, ...more }));
  const opts: SourceQueryOptions & { logger: Captured } = { signal: new AbortController().signal, logger };
  return { dir, path, logs, cacheDir, source, logger, opts };
}

export const lines = (...objects: unknown[]): string =>
  `${objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n')}\n`;

export const W = (start: string, end: string): Window => makeWindow(new Date(start), new Date(end));
export const MINUTE = W('2026-11-27T10:00:00.000Z', '2026-11-27T10:01:00.000Z');

export const sortRows = (rows: Row[]) =>
  [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The segments the cache lists for its one input file. */
export function segments(cacheDir: string): Array<Record<string, unknown>> {
  const [folder] = readdirSync(cacheDir);
  const manifest = JSON.parse(readFileSync(join(cacheDir, folder!, 'manifest.json'), 'utf8'));
  const files = Object.values(manifest.files) as Array<{ segments: Array<Record<string, unknown>> }>;
  expect(files).toHaveLength(1);
  return files[0]!.segments;
}
