import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const FORBIDDEN = /from\s+['"](@aws-sdk\/|@alicloud\/|@smithy\/|@windowed\/adapter-|@windowed\/cli|esbuild)/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('package boundaries', () => {
  it('core never imports a cloud SDK, an adapter or the CLI', () => {
    const offenders = files(SRC).filter((f) => FORBIDDEN.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
