import { noModuleScopeClock } from '../../src/rules/no-module-scope-clock.js';
import { ruleTester } from '../rule-tester.js';

const HANDLER = 'export const handler = async (event: unknown) => event;';
const CORE = "import { defineWindowedJob } from '@windowed/core';";

/** One error at `line`, for `read` evaluated `where` in a file that `file`. */
const error = (line: number, read: string, where = 'at module scope', file = 'exports a handler') => ({
  messageId: 'moduleScopeClock',
  data: { read, where, file },
  line,
});

ruleTester().run('no-module-scope-clock', noModuleScopeClock, {
  valid: [
    {
      name: 'a file that defines no handler and no job may read the clock at module scope',
      code: 'export const bootedAt = new Date();\nexport function uptime() { return Date.now() - bootedAt.getTime(); }',
    },
    {
      name: 'a clock read inside the handler runs per invocation',
      code: 'export const handler = async () => {\n  const computedAt = new Date();\n  return computedAt;\n};',
    },
    {
      name: 'a local function called only from the handler is not evaluated at import',
      code: `function currentMinute() { return Math.floor(Date.now() / 60_000); }\nexport const handler = async () => currentMinute();`,
    },
    {
      name: 'new Date(x) with an argument reads no clock',
      code: `${CORE}\nconst epoch = new Date('2026-01-01T00:00:00Z');\nconst copy = new Date(epoch);\nexport { epoch, copy };`,
    },
    {
      name: 'a callback handed to a library runs later, not at import',
      code: `import { lambdaHandler } from '@windowed/adapter-aws';\nimport { job } from './job.js';\nexport const handler = lambdaHandler(job);\nsetInterval(() => console.log(Date.now()), 60_000);\nprocess.on('exit', () => console.log(new Date()));`,
    },
    {
      name: 'a class instantiated only inside the handler: its fields and constructor run per invocation',
      code: `class Run {\n  started = Date.now();\n  constructor() { this.at = new Date(); }\n  at: Date;\n}\nexport const handler = async () => new Run();`,
    },
    {
      name: 'a method of a module-level object is not called at import',
      code: `${CORE}\nexport const clock = { now() { return Date.now(); }, get today() { return new Date(); } };`,
    },
    {
      name: 'a local binding named Date, performance or process is not the clock',
      code: `${CORE}\nimport { Date } from './fake-date.js';\nconst performance = { now: () => 0 };\nconst process = { hrtime: () => [0, 0] };\nconst a = new Date();\nconst b = Date.now();\nconst c = performance.now();\nconst d = process.hrtime();`,
    },
    {
      name: 'deploy-time code (the /deploy entries, the CLI config) is not a function',
      code: `import { defineConfig } from '@windowed/cli';\nimport { planLambdaDeployment } from '@windowed/adapter-aws/deploy';\nconst generatedAt = new Date().toISOString();\nexport default defineConfig({ generatedAt, planLambdaDeployment });`,
    },
    {
      name: 'a default parameter value is evaluated when the function is called',
      code: `${HANDLER}\nexport function windowEnd(at = Date.now()) { return at; }`,
    },
    {
      name: 'an export named other than the handler exports is not a handler (default: handler)',
      code: 'const startedAt = Date.now();\nexport const main = async () => startedAt;',
    },
  ],
  invalid: [
    {
      name: 'the naive handler: the window computed at module scope',
      code: `const now = new Date();\nconst end = new Date(Math.floor(now.getTime() / 60_000) * 60_000);\n${HANDLER}`,
      errors: [error(1, 'new Date()')],
    },
    {
      name: 'every clock: Date.now(), Date(), performance.now(), process.hrtime(), process.hrtime.bigint(), Temporal.Now',
      code: `${CORE}\nconst a = Date.now();\nconst b = Date();\nconst c = performance.now();\nconst d = process.hrtime();\nconst e = process.hrtime.bigint();\nconst f = Temporal.Now.instant();`,
      errors: [
        error(2, 'Date.now()', 'at module scope', 'imports @windowed/core'),
        error(3, 'Date()', 'at module scope', 'imports @windowed/core'),
        error(4, 'performance.now()', 'at module scope', 'imports @windowed/core'),
        error(5, 'process.hrtime()', 'at module scope', 'imports @windowed/core'),
        error(6, 'process.hrtime.bigint()', 'at module scope', 'imports @windowed/core'),
        error(7, 'Temporal.Now.instant()', 'at module scope', 'imports @windowed/core'),
      ],
    },
    {
      name: 'performance imported from node:perf_hooks',
      code: `import { performance } from 'node:perf_hooks';\nconst t = performance.now();\n${HANDLER}`,
      errors: [error(2, 'performance.now()')],
    },
    {
      name: 'the clocks of luxon, dayjs and moment',
      code: `import { DateTime } from 'luxon';\nimport dayjs from 'dayjs';\nimport moment from 'moment';\nconst a = DateTime.now();\nconst b = DateTime.utc();\nconst c = dayjs();\nconst d = moment.utc();\n${HANDLER}`,
      errors: [
        error(4, 'DateTime.now()'),
        error(5, 'DateTime.utc()'),
        error(6, 'dayjs()'),
        error(7, 'moment.utc()'),
      ],
    },
    {
      name: 'a file that defines a job',
      code: `import { defineWindowedJob as define } from './reexport.js';\nconst since = Date.now() - 3_600_000;\nexport const job = define({ name: 'x', window: '1m', query: async () => [] });\nfunction defineWindowedJob() {}\ndefineWindowedJob();`,
      errors: [error(2, 'Date.now()', 'at module scope', 'defines a job')],
    },
    {
      name: 'a CommonJS handler (exports.handler) that requires windowed',
      code: `const { fcHandler } = require('@windowed/adapter-aliyun');\nconst now = new Date();\nexports.handler = fcHandler(job);`,
      languageOptions: { sourceType: 'commonjs' },
      errors: [error(2, 'new Date()', 'at module scope', 'requires @windowed/adapter-aliyun')],
    },
    {
      name: 'module.exports = { handler } and module.exports.handler',
      code: `const now = Date.now();\nfunction handler() { return now; }\nmodule.exports = { handler };`,
      languageOptions: { sourceType: 'commonjs' },
      errors: [error(1, 'Date.now()')],
    },
    {
      name: 'export function handler, export { run as handler }',
      code: `const a = Date.now();\nexport function handler() { return a; }\nconst b = Date.now();\nconst run = () => b;\nexport { run as handler2, run as handler };`,
      errors: [error(1, 'Date.now()'), error(3, 'Date.now()')],
    },
    {
      name: 'handlerExports names the export the platform calls',
      code: 'const startedAt = Date.now();\nexport const main = async () => startedAt;',
      options: [{ handlerExports: ['main'] }],
      errors: [error(1, 'Date.now()')],
    },
    {
      name: 'a static field and a static block of a module-level class',
      code: `${CORE}\nclass Window {\n  static start = new Date();\n  static end: number;\n  static {\n    Window.end = Date.now();\n  }\n}`,
      errors: [
        error(3, 'new Date()', 'in a static field of class Window', 'imports @windowed/core'),
        error(6, 'Date.now()', 'in a static block of class Window', 'imports @windowed/core'),
      ],
    },
    {
      name: 'an IIFE, an async IIFE and a function called with .call()',
      code: `${HANDLER}\nconst a = (() => Date.now())();\nconst b = (async function () { await 0; return new Date(); })();\nconst c = function () { return Date.now(); }.call(null);`,
      errors: [
        error(2, 'Date.now()', 'in a function invoked as the module loads'),
        error(3, 'new Date()', 'in a function invoked as the module loads'),
        error(4, 'Date.now()', 'in a function invoked as the module loads'),
      ],
    },
    {
      name: 'a local function called at import, also through another one',
      code: `function currentWindow() { const now = new Date(); return now; }\nconst w = currentWindow();\nconst outer = () => inner();\nfunction inner() { return Date.now(); }\nconst x = outer();\n${HANDLER}`,
      errors: [
        error(1, 'new Date()', 'in currentWindow(), called as the module loads'),
        error(4, 'Date.now()', 'in inner(), called as the module loads'),
      ],
    },
    {
      name: 'a handler factory called at import closes over the time of the cold start',
      code: `const makeHandler = () => {\n  const started = Date.now();\n  return async () => started;\n};\nexport const handler = makeHandler();`,
      errors: [error(2, 'Date.now()', 'in makeHandler(), called as the module loads')],
    },
    {
      name: 'array callbacks and a Promise executor run as the module loads',
      code: `${HANDLER}\nconst windows = [1, 2, 3].map((i) => Date.now() - i * 60_000);\nconst ready = new Promise((resolve) => resolve(new Date()));`,
      errors: [
        error(2, 'Date.now()', 'in a .map() callback run as the module loads'),
        error(3, 'new Date()', 'in a Promise executor run as the module loads'),
      ],
    },
    {
      name: 'a class instantiated at import: its instance fields and constructor',
      code: `class Clock {\n  start = Date.now();\n  end: Date;\n  constructor() { this.end = new Date(); }\n}\nconst clock = new Clock();\n${HANDLER}`,
      errors: [
        error(2, 'Date.now()', 'in an instance field of class Clock'),
        error(4, 'new Date()', 'in the constructor of class Clock'),
      ],
    },
    {
      name: 'top-level await and TypeScript wrappers do not hide a read',
      code: `${CORE}\nconst now = (await Promise.resolve(new Date())) as Date;\nconst t = Date.now()!;`,
      errors: [
        error(2, 'new Date()', 'at module scope', 'imports @windowed/core'),
        error(3, 'Date.now()', 'at module scope', 'imports @windowed/core'),
      ],
    },
  ],
});
