import { createRequire } from 'node:module';

/** The built-ins windowed uses, by the name `builtin` takes. */
interface Builtins {
  'node:async_hooks': typeof import('node:async_hooks');
  'node:crypto': typeof import('node:crypto');
  'node:fs': typeof import('node:fs');
  'node:os': typeof import('node:os');
  'node:path': typeof import('node:path');
  'node:url': typeof import('node:url');
}

const load = createRequire(import.meta.url);

/**
 * A Node built-in through `require`, never through an ESM `import`: importing `node:fs` or
 * `node:crypto` builds the module's ESM facade, which reads every export and so loads what windowed
 * never uses (`fs`'s streams, `crypto.webcrypto`) at a function's cold start — about 3 % of its
 * first invocation (bench/README.md). `require` hands back the module Node already holds.
 */
export function builtin<K extends keyof Builtins>(id: K): Builtins[K] {
  return load(id) as Builtins[K];
}
