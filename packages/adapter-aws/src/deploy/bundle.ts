import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { type BundledDriver, bundledDriversPlugin, entryTsconfig, WindowedError } from '@windowed/core';
import { zipSync } from 'fflate';

export interface LambdaBundleOptions {
  /** The user's handler module (`export const handler = lambdaHandler(job)`). */
  entry: string;
  /** Node.js runtime the bundle targets. Default `nodejs22.x`. */
  runtime?: string;
  /** More packages to leave out of the bundle. */
  external?: string[];
  /** Whitespace and syntax; identifiers keep their names (stack traces read too). Default true. */
  minify?: boolean;
  /** Where `entry` resolves from. Default `process.cwd()`. */
  cwd?: string;
  /**
   * The database drivers to bundle (`functionDrivers` of the target); windowed's import of any
   * other resolves to a module that says it was left out. Default: every driver.
   */
  drivers?: readonly BundledDriver[];
}

export interface LambdaBundle {
  /** The deployment package: a zip holding `index.mjs`. */
  zip: Uint8Array;
  /** Size of the zip. */
  bytes: number;
  /** SHA-256 of the zip, hex. */
  sha256: string;
  /** Size of `index.mjs` before zipping. */
  unzippedBytes: number;
  entry: string;
}

/**
 * Not bundled: native drivers (a Lambda package cannot carry a binary built for this machine, and
 * SQLite and DuckDB have no place in a function anyway), pg's optional add-ons, and the control-plane SDKs, which
 * the Lambda Node.js runtime provides.
 */
export const BUNDLE_EXTERNALS = [
  'better-sqlite3',
  '@duckdb/node-api',
  'pg-query-stream',
  'pg-native',
  'cloudflare:sockets',
  '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-scheduler',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-sqs',
  // The Node.js runtimes ship the whole AWS SDK v3: a password reference reads through it.
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-ssm',
];

/** Imports that must never reach a function bundle: they are deploy-time code. */
const DEPLOY_TIME =
  /^(esbuild|@windowed\/adapter-aws\/deploy|@windowed\/cli)$|[\\/]adapter-aws[\\/](src|dist)[\\/]deploy[\\/]/;

// ESM output still contains CommonJS dependencies (mysql2, pg) that call require().
const REQUIRE_SHIM =
  "import { createRequire as __windowedCreateRequire } from 'node:module';\nconst require = __windowedCreateRequire(import.meta.url);";

/** Refuses deploy-time code in a function bundle, naming who imported it. */
const RUNTIME_ONLY: import('esbuild').Plugin = {
  name: 'windowed-runtime-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!DEPLOY_TIME.test(args.path)) return undefined;
      return {
        errors: [
          {
            text: `${args.path} is deploy-time code and must not be bundled into the function (imported by ${args.importer}). Import the runtime entry "@windowed/adapter-aws" in your handler.`,
          },
        ],
      };
    });
  },
};

/** Fixed so that the same code always gives the same zip, and an unchanged function is not re-uploaded. */
const ZIP_MTIME = new Date('1980-01-01T00:00:00Z');

/**
 * Bundles the handler with esbuild into one ESM file and zips it with fflate. The result is
 * reproducible: same input, same bytes, same SHA-256.
 */
export async function bundleLambdaHandler(options: LambdaBundleOptions): Promise<LambdaBundle> {
  const esbuild = await loadEsbuild();
  const entry = resolve(options.cwd ?? process.cwd(), options.entry);
  const node = /^nodejs(\d+)\.x$/.exec(options.runtime ?? 'nodejs22.x')?.[1] ?? '22';
  let output: Uint8Array;
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${node}`,
      outfile: 'index.mjs',
      write: false,
      // Whitespace and syntax only: with identifiers minified too, esbuild wraps each CommonJS module
      // as \`__commonJS((exports, module) => {...})\`, an arrow in call parentheses, which V8 compiles
      // eagerly — every module of mysql2, required or not, at the bundle's import (bench/README.md).
      minifyWhitespace: options.minify ?? true,
      minifySyntax: options.minify ?? true,
      legalComments: 'none',
      external: [...BUNDLE_EXTERNALS, ...(options.external ?? [])],
      tsconfig: entryTsconfig(entry),
      banner: { js: REQUIRE_SHIM },
      logLevel: 'silent',
      plugins: [RUNTIME_ONLY, ...(options.drivers ? [bundledDriversPlugin(options.drivers)] : [])],
    });
    const file = result.outputFiles.find((f) => f.path.endsWith('index.mjs'));
    if (!file) throw new Error('esbuild produced no index.mjs');
    output = file.contents;
  } catch (cause) {
    const errors = (cause as { errors?: Array<{ text: string }> }).errors;
    const detail = errors?.length
      ? errors.map((e) => e.text).join('; ')
      : String((cause as Error)?.message ?? cause);
    throw new WindowedError('DEPLOY_FAILED', `Bundling ${options.entry} failed: ${detail}`, { cause });
  }
  const zip = zipSync({ 'index.mjs': [output, { level: 9, mtime: ZIP_MTIME }] });
  return {
    zip,
    bytes: zip.byteLength,
    sha256: createHash('sha256').update(zip).digest('hex'),
    unzippedBytes: output.byteLength,
    entry: options.entry,
  };
}

async function loadEsbuild(): Promise<typeof import('esbuild')> {
  try {
    return await import('esbuild');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'Bundling a Lambda handler needs esbuild. Run: npm install --save-dev esbuild',
      { cause },
    );
  }
}
