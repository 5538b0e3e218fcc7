import { redact } from '@windowed/core';
import { Command } from 'commander';
import { ALLOW_CLOCK_HELP, checkFunctionClock } from '../clock-check.js';
import type { CloudTarget } from '../config.js';
import { type CliContext, loadProject, note, type Project, print } from '../context.js';
import { loadDeployProvider, type Plan } from '../deploy/providers.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { action, type CliRun } from './shared.js';

interface DeployOptions {
  target?: string;
  dryRun?: boolean;
  json?: boolean;
  allowClock?: boolean;
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
    .option('--json', 'print the plan as JSON')
    .option('--allow-clock', ALLOW_CLOCK_HELP)
    .action(action<DeployOptions>(run, (ctx, options) => deployAction(ctx, options, apply)));
}

async function deployAction(ctx: CliContext, options: DeployOptions, apply: boolean): Promise<ExitCode> {
  const target = options.target;
  if (target !== 'aliyun' && target !== 'aws') {
    throw new CliError(
      `--target ${JSON.stringify(target)} cannot be deployed.`,
      EXIT.usage,
      'expected aliyun or aws',
    );
  }
  const project = await loadProject(ctx, target);
  const cloud = project.config.targets[target] as CloudTarget;
  if (!cloud.deploy) {
    throw new CliError(
      `targets.${target} has no "deploy" options.`,
      EXIT.usage,
      `add targets.${target}.deploy to ${project.config.path}`,
    );
  }
  const provider = await loadDeployProvider(target);
  const deployOptions = provider.withResources(cloud.deploy, project.resources);
  const dir = project.config.dir;
  try {
    await checkFunctionClock(ctx, { dir, target, deploy: cloud.deploy, allow: options.allowClock === true });
    if (!apply || options.dryRun) {
      const plan = await provider.plan(project.config.job, deployOptions, {
        dryRun: options.dryRun === true,
        cwd: dir,
      });
      printPlan(ctx, plan, options.json === true);
      return EXIT.ok;
    }
    const { plan, applied } = await provider.deploy(project.config.job, deployOptions, { cwd: dir });
    if (options.json) {
      print(ctx, redact(JSON.stringify({ ...planJson(plan), applied }, null, 2)));
      printNotes(ctx, plan);
    } else {
      printPlan(ctx, plan, false);
      print(
        ctx,
        ctx.colors.green(
          `Deployed ${project.config.job.name} to ${target}: ${applied.length} call(s) applied.`,
        ),
      );
    }
    return EXIT.ok;
  } finally {
    await closeJob(project);
  }
}

async function closeJob(project: Project): Promise<void> {
  await project.job.close();
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
