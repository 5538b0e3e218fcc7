import { builtin } from './node-builtins.js';

const { existsSync } = builtin('node:fs');
const { dirname, join } = builtin('node:path');

/**
 * The `tsconfig.json` nearest to a function's entry file, for the bundlers to apply to every file.
 *
 * Left to itself esbuild applies to each file the `tsconfig.json` nearest to that file
 * (https://esbuild.github.io/api/#tsconfig). In a workspace whose packages are linked rather than
 * installed, a dependency's build then resolves imports through that package's own `paths` (to its
 * sources) while the entry resolves the same import to the build: two copies of one package in the
 * function — twice the code to load on a cold start, and two `WindowedError` classes, so an
 * `instanceof` check in one copy misses errors thrown by the other.
 */
export function entryTsconfig(entry: string): string | undefined {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
