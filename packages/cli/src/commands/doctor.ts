import type { DoctorReport } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, print } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { FC_VERSION_HELP, loadDeployTarget } from './deploy-target.js';
import { action, type CliRun } from './shared.js';

interface DoctorCliOptions {
  target?: string;
  json?: boolean;
  sink?: boolean;
  fcVersion?: string;
}

export function doctorCommand(run: CliRun): Command {
  return new Command('doctor')
    .summary('check a real account against the plan (read-only)')
    .description(
      'A read-only checklist of the account the credentials reach: credentials resolve; the function exists and its configuration, schedule and failure destination match the plan (drift named field by field);\n' +
        "the destination is one the platform can deliver to; the roles grant what `windowed policy` lists; the source's log groups / logstore index serve the query; with --sink, the sink database is reachable from here.\n" +
        'Exit code 1 when a check fails.',
    )
    .requiredOption('-t, --target <name>', 'aliyun or aws')
    .option('--json', 'print the report as JSON')
    .option('--sink', 'also connect to the sink database')
    .option('--fc-version <2|3>', FC_VERSION_HELP)
    .action(action<DoctorCliOptions>(run, doctorAction));
}

async function doctorAction(ctx: CliContext, options: DoctorCliOptions): Promise<ExitCode> {
  const { platform, input, job, close } = await loadDeployTarget(ctx, options.target, 'checked', options);
  try {
    const report = await platform.doctor(input, {
      sink: options.sink === true,
      checkSink: async () => {
        const described = await job.describe();
        await job.status();
        return `${described.sink} answered`;
      },
    });
    if (options.json) print(ctx, JSON.stringify(report, null, 2));
    else printReport(ctx, report);
    return report.ok ? EXIT.ok : EXIT.failure;
  } finally {
    await close();
  }
}

function printReport(ctx: CliContext, report: DoctorReport): void {
  const c = ctx.colors;
  const mark = { ok: c.green('✓'), fail: c.red('✗'), skip: c.dim('-') };
  for (const check of report.checks) {
    print(
      ctx,
      `${mark[check.status]} ${check.title}: ${check.status === 'skip' ? c.dim(check.detail) : check.detail}`,
    );
    for (const d of check.drift ?? [])
      print(ctx, `    ${d.field}: expected ${JSON.stringify(d.expected)}, found ${JSON.stringify(d.actual)}`);
  }
  const failed = report.checks.filter((x) => x.status === 'fail').length;
  print(ctx, failed ? c.red(`${failed} check(s) failed.`) : c.green('All checks passed.'));
}
