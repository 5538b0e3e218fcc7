import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import type { LambdaBundle } from '../src/deploy/index.js';

/** A deployment package holding `index.mjs` with `source`, as `bundleLambdaHandler` would make it. */
export function bundleOf(source = 'export const handler = async () => 1;'): LambdaBundle {
  const zip = zipSync({
    'index.mjs': [new TextEncoder().encode(source), { mtime: new Date('1980-01-01T00:00:00Z') }],
  });
  return {
    zip,
    bytes: zip.byteLength,
    sha256: createHash('sha256').update(zip).digest('hex'),
    unzippedBytes: source.length,
    entry: 'handler.ts',
  };
}

/** Waiter timing for the loopback (the SDK defaults are for real AWS). */
export const fastWaiter = { minDelay: 0.01, maxDelay: 0.05, maxWaitTime: 5 };
