import { type DeployInput, type DeploymentPlan, redact } from '@windowed/core';
import { Command } from 'commander';
import { ALLOW_CLOCK_HELP, checkFunctionClock } from '../clock-check.js';
import { type CliContext, note, print } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { FC_VERSION_HELP, loadDeployTarget, runPreflight } from './deploy-target.js';
import { checkDatabasePasswords, STRICT_HELP } from './password-check.js';
import { printRequiredGrants } from './policy.js';
import { action, type CliRun } from './shared.js';
import { checkJobStart } from './start-check.js';

type Plan = DeploymentPlan;

export type { DeployInput };

interface DeployOptions {
  target?: string;
  fcVersion?: string;
  dryRun?: boolean;
  json?: boolean;
  allowClock?: boolean;
  strict?: boolean;
}

export function planCommand(run: CliRun): Command {
  return configure(new Command('plan'), run, false)
    .summary("print the cloud API calls a deploy would make (the adapter's plan)")
    .description(
      'Builds the function bundle and prints the deployment plan: one step per cloud API call, with the exact request it receives (code as { bytes, sha256 }, secrets masked).\n' +
        'With credentials it asks the cloud what exists (create vs update); with --dry-run it needs none and plans as if nothing exists.',
    );
}

export function deployCommand(run: CliRun): Command {
  return configure(new Command('deploy'), run, true)
    .summary('deploy the job: function, schedule, retries and failure destination')
    .description(
      "Plans, then applies the plan with the cloud's official SDK. Idempotent: a second deploy updates what the first created.\n" +
        '--dry-run prints the plan and changes nothing (no credentials needed).',
    );
}

function configure(command: Command, run: CliRun, apply: boolean): Command {
  return command
    .requiredOption('-t, --target <name>', 'aliyun or aws')
    .option('--dry-run', 'no credentials, no changes: plan as if nothing exists yet')
    .option('--fc-version <2|3>', FC_VERSION_HELP)
    .option('--json', 'print the plan as JSON')
    .option('--allow-clock', ALLOW_CLOCK_HELP)
    .option('--strict', STRICT_HELP)
    .action(action<DeployOptions>(run, (ctx, options) => deployAction(ctx, options, apply)));
}

async function deployAction(ctx: CliContext, options: DeployOptions, apply: boolean): Promise<ExitCode> {
  const { platform, input, job, close } = await loadDeployTarget(ctx, options.target, 'deployed', options);
  try {
    await checkFunctionClock(ctx, {
      dir: input.cwd ?? process.cwd(),
      target: platform.name,
      deploy: input.deploy,
      allow: options.allowClock === true,
    });
    await runPreflight(ctx, input);
    checkDatabasePasswords(ctx, input, options.strict === true);
    checkJobStart(ctx, job);
    printRequiredGrants(ctx, platform.policy(input));
    if (!apply || options.dryRun) {
      const plan = await platform.plan(input, { dryRun: options.dryRun === true });
      printPlan(ctx, plan, options.json === true);
      return EXIT.ok;
    }
    const { plan, applied = [] } = await platform.deploy(input);
    if (options.json) {
      print(ctx, redact(JSON.stringify({ ...planJson(plan), applied }, null, 2)));
      printNotes(ctx, plan);
    } else {
      printPlan(ctx, plan, false);
      print(
        ctx,
        ctx.colors.green(`Deployed ${input.job.name} to ${plan.target}: ${applied.length} call(s) applied.`),
      );
    }
    return EXIT.ok;
  } finally {
    await close();
  }
}

function printPlan(ctx: CliContext, plan: Plan, json: boolean): void {
  // The plan carries the function's environment: connection URLs lose their passwords on the way out.
  if (json) {
    print(ctx, redact(JSON.stringify(planJson(plan), null, 2)));
    printNotes(ctx, plan);
    return;
  }
  const c = ctx.colors;
  print(ctx, c.bold(`Plan for ${plan.target}: ${plan.steps.length} step(s)`));
  plan.steps.forEach((step, i) => {
    print(ctx, `${String(i + 1).padStart(2)}. ${c.cyan(step.api)}`);
    print(ctx, redact(JSON.stringify(step.input, null, 2)).replace(/^/gm, '      '));
  });
  printNotes(ctx, plan);
}

/** The plan as DESIGN.md defines it: `{ target, steps: [{ api, input }] }`, nothing else on stdout. */
function planJson(plan: Plan): Pick<Plan, 'target' | 'steps'> {
  return { target: plan.target, steps: plan.steps.map(({ api, input }) => ({ api, input })) };
}

/** The adapter's notes go to stderr, so that `--json` output stays the plan alone. */
function printNotes(ctx: CliContext, plan: Plan): void {
  for (const line of plan.notes ?? []) note(ctx, ctx.colors.dim(`note: ${redact(line)}`));
}
