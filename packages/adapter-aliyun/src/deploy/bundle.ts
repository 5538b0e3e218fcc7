import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type BundledDriver, bundledDriversPlugin, entryTsconfig, WindowedError } from '@windowed/core';
import { zipSync } from 'fflate';

/**
 * Never bundled: the native SQLite and DuckDB drivers and pg's optional add-ons (an FC zip cannot carry a native
 * addon built elsewhere), and build-time code that must never ship inside the function.
 */
export const FC_EXTERNALS = [
  'better-sqlite3',
  '@duckdb/node-api',
  'pg-query-stream',
  'pg-native',
  'cloudflare:sockets',
  'esbuild',
  '@alicloud/fc2',
  '@alicloud/mns',
  '@windowed/adapter-aliyun/deploy',
  '@windowed/cli',
] as const;

export interface FcBundleOptions {
  /** The handler entry file (TypeScript or JavaScript). */
  entry: string;
  /** Node.js major the bundle targets. Default 20. */
  nodeMajor?: number;
  /** More packages to leave out of the bundle. */
  external?: string[];
  /** Whitespace and syntax; identifiers keep their names. Default false. */
  minify?: boolean;
  /** Resolve `entry` and packages from here. Default `process.cwd()`. */
  cwd?: string;
  /**
   * The database drivers to bundle (`functionDrivers` of the target); windowed's import of any
   * other resolves to a module that says it was left out. Default: every driver.
   */
  drivers?: readonly BundledDriver[];
}

/** The function's code: a zip with `index.js` (CommonJS, so FC's `index.handler` finds the export). */
export interface FcCodePackage {
  zip: Uint8Array;
  /** Size of the zip in bytes (what the CLI prints). */
  bytes: number;
  sha256: string;
  /** Size of the bundled `index.js` before compression. */
  unzippedBytes: number;
}

/**
 * `@alicloud/gateway-sls-util` requires the native `lz4-napi` at load time, though windowed asks
 * SLS for gzip (with Accept-Encoding set, the SDK never picks lz4) and never decompresses lz4. A native addon built on the deploying machine may
 * not load on FC, so the bundle carries this stand-in instead.
 */
const LZ4_STUB = {
  name: 'windowed-lz4-stub',
  setup(build: { onResolve: Function; onLoad: Function }) {
    build.onResolve({ filter: /^lz4-napi$/ }, () => ({ path: 'lz4-napi', namespace: 'windowed-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'windowed-stub' }, () => ({
      loader: 'js',
      contents:
        "const unavailable = () => { throw new Error('lz4 is not bundled for FC; windowed requests gzip-compressed SLS responses'); };\n" +
        'module.exports = { compress: unavailable, uncompress: unavailable, compressSync: unavailable, uncompressSync: unavailable };',
    }));
  },
};

// A fixed timestamp: the same source gives the same zip, byte for byte.
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

/** Bundles the entry with esbuild (runtime code only) and zips it with fflate. */
export async function buildFcCode(options: FcBundleOptions): Promise<FcCodePackage> {
  const cwd = options.cwd ?? process.cwd();
  const entry = resolve(cwd, options.entry);
  if (!existsSync(entry)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `The handler entry ${options.entry} does not exist (resolved from ${cwd}).`,
    );
  }
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'Building the FC code package needs esbuild. Run: npm install --save-dev esbuild',
      { cause },
    );
  }
  let code: Uint8Array;
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: cwd,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: `node${options.nodeMajor ?? 20}`,
      write: false,
      outfile: 'index.js',
      // Whitespace and syntax only: with identifiers minified too, esbuild wraps each CommonJS module
      // in an arrow inside call parentheses, which V8 compiles eagerly — every module, required or not.
      minifyWhitespace: options.minify ?? false,
      minifySyntax: options.minify ?? false,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
      external: [...FC_EXTERNALS, ...(options.external ?? [])],
      tsconfig: entryTsconfig(entry),
      plugins: [
        LZ4_STUB as import('esbuild').Plugin,
        ...(options.drivers ? [bundledDriversPlugin(options.drivers)] : []),
      ],
      // ESM sources become CommonJS; `import.meta.url` has no CJS equivalent, so it is shimmed.
      define: { 'import.meta.url': '__windowed_import_meta_url' },
      banner: {
        js: "const __windowed_import_meta_url = require('node:url').pathToFileURL(__filename).href;",
      },
    });
    const out = result.outputFiles.find((f) => f.path.endsWith('.js'));
    if (!out) throw new Error('esbuild produced no JavaScript output');
    code = out.contents;
  } catch (cause) {
    const errors = (cause as { errors?: Array<{ text: string; location?: { file: string; line: number } }> })
      .errors;
    const detail = errors?.length
      ? errors
          .slice(0, 3)
          .map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
          .join('; ')
      : String((cause as Error)?.message ?? cause);
    throw new WindowedError('DEPLOY_FAILED', `Bundling ${options.entry} for FC failed: ${detail}`, { cause });
  }
  const zip = zipSync({ 'index.js': [code, { level: 9, mtime: ZIP_MTIME }] });
  return {
    zip,
    bytes: zip.byteLength,
    sha256: createHash('sha256').update(zip).digest('hex'),
    unzippedBytes: code.byteLength,
  };
}
