import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { type CliContext, loadProject, note, parsePositiveInt, parseRange, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { platformName } from '../platforms.js';
import { renderSummary } from '../simulator/report.js';
import { simulate } from '../simulator/simulate.js';
import { FC_VERSION_HELP, fcVersionOf } from './deploy-target.js';
import { action, type CliRun } from './shared.js';
import { simulateRemoteBackfill } from './simulate-remote.js';

interface SimulateCliOptions {
  target?: string;
  fcVersion?: string;
  from: string;
  to: string;
  concurrencyLimit?: string;
  runMs?: string;
  coldStartMs?: string;
  keepWarm?: string;
  failRate?: string;
  duplicateRate?: string;
  seed: string;
  timeout?: string;
  handler?: string;
  export?: string;
  source?: string;
  sink?: string;
  reset?: boolean;
  env?: string[];
  out?: string;
  json?: boolean;
  remoteBackfill?: boolean;
  parallel?: string;
  chunk?: string;
  queryMs?: string;
  windowMs?: string;
}

export function simulateCommand(run: CliRun): Command {
  return new Command('simulate')
    .summary("run the job's real cloud handler through a local FaaS emulator")
    .description(
      "Runs the target's handler (deploy.entry, or --handler; without one, fcHandler/lambdaHandler around the job) over [--from, --to) of simulated time:\n" +
        "the schedule fires with the provider's native events; instances cold-start and stay warm (module state persists across an instance's invocations);\n" +
        "a concurrency limit queues invocations so they run late; failed attempts are retried by the provider's policy (FC: 3 retries; Lambda: 2, 1 and 2 minutes apart)\n" +
        "and exhausted ones go to a captured failure destination, in its real record format. The handler's clock reads simulated time.\n" +
        'Prints a timeline and what the results table holds: windows expected, computed, duplicated, missing, delivered to the destination. Seeded: the same seed gives the same run.\n' +
        'Exit code 1 when a window is missing or duplicated.',
    )
    .requiredOption('-t, --target <name>', 'aliyun or aws')
    .requiredOption('--from <ISO>', 'start of the simulated range, e.g. 2026-11-27T00:00:00Z')
    .requiredOption('--to <ISO>', 'end of the simulated range (exclusive)')
    .option('--concurrency-limit <N>', 'instances that may run at once (the rest queue)', '100')
    .option('--run-ms <N>', 'mean simulated run time of one invocation, ms', '200')
    .option('--cold-start-ms <N>', 'simulated cold-start time, ms', '400')
    .option(
      '--keep-warm <ms>',
      'an idle instance is reclaimed after this long; 0 = after every invocation',
      '600000',
    )
    .option(
      '--fail-rate <P>',
      'probability that an attempt crashes (before the handler runs, or after, losing its result)',
      '0',
    )
    .option('--duplicate-rate <P>', 'probability that the async queue delivers an event twice', '0')
    .option('--seed <S>', 'random seed', '1')
    .option('--fc-version <2|3>', FC_VERSION_HELP)
    .option('--timeout <seconds>', "the function's timeout (default: the target's deploy.timeout, else 60)")
    .option('--handler <file>', "handler module to run instead of the target's deploy.entry")
    .option('--export <name>', "its export (default: the deploy options' handler export)")
    .option('--source <url|json>', "what the functions read (default: the local target's source)")
    .option(
      '--sink <url>',
      'results database and ?table= the functions write (default: a fresh .windowed/simulate-<target>.db)',
    )
    .option('--reset', "delete the job's rows and ledger entries in --sink first")
    .option('--env <KEY=VALUE...>', 'environment variables for the functions')
    .option('--out <file>', 'write the failure destination records there (NDJSON, for `windowed replay`)')
    .option('--json', 'print the summary as JSON')
    .option(
      '--remote-backfill',
      'instead: estimate the wall time of `backfill --remote` over the range for each --parallel (nothing runs)',
    )
    .option('--parallel <list>', 'with --remote-backfill: chunks in flight to compare', '1,10,50')
    .option(
      '--chunk <duration>',
      "with --remote-backfill: each invocation's share (default as backfill --remote)",
    )
    .option('--query-ms <N>', "with --remote-backfill: one source query's fixed latency, ms", '2000')
    .option('--window-ms <N>', "with --remote-backfill: each window's share of query and write, ms", '20')
    .action(action<SimulateCliOptions>(run, simulateAction));
}

async function simulateAction(ctx: CliContext, o: SimulateCliOptions): Promise<ExitCode> {
  const target = platformName(o.target, 'simulated');
  const { from, to } = parseRange(o);
  if (o.remoteBackfill)
    return simulateRemoteBackfill(ctx, {
      target,
      from,
      to,
      parallel: o.parallel ?? '1,10,50',
      ...(o.chunk ? { chunk: o.chunk } : {}),
      ...(o.timeout ? { timeout: o.timeout } : {}),
      coldStartMs: parseNonNegative(o.coldStartMs ?? '400', '--cold-start-ms'),
      queryMs: parseNonNegative(o.queryMs ?? '2000', '--query-ms'),
      windowMs: parseNonNegative(o.windowMs ?? '20', '--window-ms'),
      failRate: parseProbability(o.failRate ?? '0', '--fail-rate'),
      seed: /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed,
      json: o.json === true,
    });
  const env: Record<string, string> = {};
  for (const pair of o.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--env ${JSON.stringify(pair)} is not KEY=VALUE.`, EXIT.usage);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const out = o.out ? resolve(ctx.cwd, o.out) : undefined;
  const handler = o.handler ? resolve(ctx.cwd, o.handler) : undefined;
  // Every option is checked before anything is loaded or printed.
  const emulator = {
    concurrencyLimit: parsePositiveInt(o.concurrencyLimit ?? '100', '--concurrency-limit'),
    runMs: parseNonNegative(o.runMs ?? '200', '--run-ms'),
    coldStartMs: parseNonNegative(o.coldStartMs ?? '400', '--cold-start-ms'),
    keepWarmMs: parseNonNegative(o.keepWarm ?? '600000', '--keep-warm'),
    failRate: parseProbability(o.failRate ?? '0', '--fail-rate'),
    duplicateRate: parseProbability(o.duplicateRate ?? '0', '--duplicate-rate'),
    seed: /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed,
  };
  const timeout = o.timeout ? { timeout: parsePositiveInt(o.timeout, '--timeout', 86_400) } : {};
  const fcVersion = fcVersionOf(o.fcVersion);
  // Loading for the cloud target checks it exists; the functions read the local target's source.
  const project = await loadProject(ctx, target);
  const local = project.config.targets.local ?? {};
  const cloud = project.config.targets[target];
  const source = o.source ?? local.source;
  if (source === undefined && !process.env.WINDOWED_SOURCE) {
    throw new CliError(
      'simulate needs a source the functions can read locally.',
      EXIT.usage,
      'set targets.local.source in the config, or pass --source',
    );
  }
  note(
    ctx,
    ctx.errColors.dim(
      `Simulating ${project.config.job.name} on ${target} from ${from.toISOString()} to ${to.toISOString()} …`,
    ),
  );
  const result = await simulate({
    job: project.config.job,
    target,
    from,
    to,
    cwd: project.config.dir,
    deploy: {
      ...(cloud?.deploy ?? {}),
      ...fcVersion,
      ...timeout,
    },
    ...(handler ? { handler } : {}),
    ...(o.export ? { exportName: o.export } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(o.sink ? { sink: o.sink } : {}),
    reset: o.reset === true,
    env,
    ...emulator,
    modules: project.modules,
  });
  await project.job.close();
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      result.destinationRecords.map((r) => JSON.stringify(r)).join('\n') +
        (result.destinationRecords.length ? '\n' : ''),
    );
    note(ctx, `${result.destinationRecords.length} failure destination record(s) written to ${out}`);
  }
  if (o.json) print(ctx, JSON.stringify(result.summary, null, 2));
  else {
    print(
      ctx,
      renderSummary(result.summary, {
        colors: ctx.colors,
        timeZone: project.config.job.windowSpec.timeZone,
        label: `${project.config.job.name} on ${result.emulation.label} (simulated, seed ${o.seed})`,
      }),
    );
    if (ctx.verbose && result.emulation.logLines.length) {
      note(
        ctx,
        ctx.errColors.dim(`--- ${result.emulation.logLines.length} line(s) the functions logged ---`),
      );
      for (const line of result.emulation.logLines.slice(-200)) note(ctx, line);
    }
  }
  const s = result.summary;
  return s.missing > 0 || s.duplicated > 0 ? EXIT.failure : EXIT.ok;
}

function parseNonNegative(value: string, option: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new CliError(`${option} ${JSON.stringify(value)} is not a whole number of ms.`, EXIT.usage);
  return n;
}

function parseProbability(value: string, option: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new CliError(`${option} ${JSON.stringify(value)} is not a probability from 0 to 1.`, EXIT.usage);
  return n;
}
