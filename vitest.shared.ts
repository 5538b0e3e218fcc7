import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

/** Tests import sibling packages from source, so `npm test` never needs a prior build. */
export const sharedConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@windowed\/core$/, replacement: pkg('core/src/index.ts') },
      { find: /^@windowed\/adapter-aliyun\/deploy$/, replacement: pkg('adapter-aliyun/src/deploy/index.ts') },
      { find: /^@windowed\/adapter-aliyun$/, replacement: pkg('adapter-aliyun/src/index.ts') },
      { find: /^@windowed\/adapter-aws\/deploy$/, replacement: pkg('adapter-aws/src/deploy/index.ts') },
      { find: /^@windowed\/adapter-aws$/, replacement: pkg('adapter-aws/src/index.ts') },
      { find: /^@windowed\/cli$/, replacement: pkg('cli/src/index.ts') },
      { find: /^@windowed\/eslint-plugin\/check$/, replacement: pkg('eslint-plugin/src/check.ts') },
      { find: /^@windowed\/eslint-plugin$/, replacement: pkg('eslint-plugin/src/index.ts') },
      { find: /^@windowed\/testing$/, replacement: pkg('testing/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: {
      // The suite runs on Node 20 on purpose (the oldest Node windowed supports); the AWS SDK's notice
      // that its 2027 releases need Node 22 would repeat in every file that builds a client. The SDK's
      // documented switch: https://github.com/aws/aws-sdk-js-v3/issues/7983
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    // Each run gets its own MariaDB/PostgreSQL database, dropped at the end (see the file).
    globalSetup: [fileURLToPath(new URL('./packages/testing/src/global-setup.ts', import.meta.url))],
    reporters: ['default', 'json'],
    outputFile: { json: './.vitest-report.json' },
  },
});
