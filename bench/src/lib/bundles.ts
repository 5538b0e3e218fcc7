import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionDrivers } from '@windowed/core';
import { job } from '../../../examples/pv-uv/job.js';
import { bundleLambdaHandler } from '../../../packages/adapter-aws/src/deploy/bundle.js';
import { BENCH_DIR, benchDbUrl } from './config.js';

export interface BuiltBundle {
  /** The unzipped `index.mjs`, written out so processes can import it. */
  file: string;
  zipBytes: number;
  unzippedBytes: number;
}

export interface Bundles {
  windowed: BuiltBundle;
  hand: BuiltBundle;
  /** windowed loaded and its job defined, the hand-written handler invoked (fixtures/windowed-loaded-handler.ts). */
  loaded: BuiltBundle;
}

let built: Promise<Bundles> | undefined;
let tempDir: string | undefined;

/**
 * Both functions bundled by `bundleLambdaHandler` — the function `windowed deploy` uses for AWS — so
 * the windowed bundle is exactly what `windowed deploy --target aws` uploads for the pv-uv example
 * (examples/pv-uv/aws.ts) and the baseline is bundled the same way. The drivers are those deploy
 * bundles for a target whose source and sink are the bench's MySQL tables (`functionDrivers`): mysql2.
 */
export function buildBundles(): Promise<Bundles> {
  built ??= (async () => ({
    windowed: await bundleOne(join(BENCH_DIR, '..', 'examples', 'pv-uv', 'aws.ts'), 'windowed'),
    hand: await bundleOne(join(BENCH_DIR, 'fixtures', 'hand-written-handler.ts'), 'hand'),
    loaded: await bundleOne(join(BENCH_DIR, 'fixtures', 'windowed-loaded-handler.ts'), 'loaded'),
  }))();
  return built;
}

async function bundleOne(entry: string, name: string): Promise<BuiltBundle> {
  // Profiled runs (WINDOWED_BENCH_CPU_PROF) bundle unminified, so that profiles name functions.
  const drivers = functionDrivers(
    { WINDOWED_SOURCE: benchDbUrl('access_log'), WINDOWED_SINK: benchDbUrl('pv_uv') },
    job.specResources,
  );
  const bundle = await bundleLambdaHandler({ entry, minify: !process.env.WINDOWED_BENCH_CPU_PROF, drivers });
  const { unzipSync } = await import('fflate');
  const files = unzipSync(bundle.zip);
  // Outside the repository, like /var/task: nothing from node_modules can fill in for a missing module.
  tempDir ??= mkdtempSync(join(tmpdir(), 'windowed-bench-bundles-'));
  const dir = join(tempDir, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  writeFileSync(file, files['index.mjs']!);
  return { file, zipBytes: bundle.bytes, unzippedBytes: bundle.unzippedBytes };
}

export function removeBundles(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
  built = undefined;
}
