import type { PolicySet } from '@windowed/core';
import { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { FC_VERSION_HELP, loadDeployTarget } from './deploy-target.js';
import { action, type CliRun } from './shared.js';

interface PolicyOptions {
  target?: string;
  fcVersion?: string;
  json?: boolean;
}

export function policyCommand(run: CliRun): Command {
  return new Command('policy')
    .summary('print the least-privilege policies the deployed job needs')
    .description(
      "Derives from the target's source, sink, destination and schedule the policy documents of each role the job needs " +
        "(AWS: the execution role and Scheduler's role, with their trust policies; Alibaba Cloud: the RAM policy of the function's role).\n" +
        '--json prints { "target", "policies": { "<role>": <policy document> }, "trustPolicies": { "<role>": <trust policy> } }.',
    )
    .requiredOption('-t, --target <name>', 'aliyun or aws')
    .option('--json', 'print the documents as JSON')
    .option('--fc-version <2|3>', FC_VERSION_HELP)
    .action(action<PolicyOptions>(run, policyAction));
}

async function policyAction(ctx: CliContext, options: PolicyOptions): Promise<ExitCode> {
  const { platform, input, close } = await loadDeployTarget(ctx, options.target, 'given a policy', options);
  try {
    const set = platform.policy(input);
    if (options.json) print(ctx, JSON.stringify(policyJson(set), null, 2));
    else printPolicies(ctx, set);
    for (const line of set.notes) note(ctx, ctx.errColors.dim(`note: ${line}`));
    return EXIT.ok;
  } finally {
    await close();
  }
}

export function policyJson(set: PolicySet) {
  const pick = (key: 'policy' | 'trust') =>
    Object.fromEntries(
      Object.entries(set.roles).flatMap(([name, role]) => (role[key] ? [[name, role[key]]] : [])),
    );
  return { target: set.target, policies: pick('policy'), trustPolicies: pick('trust') };
}

function printPolicies(ctx: CliContext, set: PolicySet): void {
  const c = ctx.colors;
  for (const [name, role] of Object.entries(set.roles)) {
    print(ctx, c.bold(`${name}: ${role.description}`));
    print(
      ctx,
      `  ${role.arn ? `role ${role.arn}` : 'created by `windowed deploy` (role: { create: true })'}`,
    );
    print(ctx, c.cyan('  policy'));
    print(ctx, JSON.stringify(role.policy, null, 2).replace(/^/gm, '    '));
    if (role.trust) {
      print(ctx, c.cyan('  trust policy'));
      print(ctx, JSON.stringify(role.trust, null, 2).replace(/^/gm, '    '));
    }
  }
}

/** For a deploy with roles given by ARN: what each must grant (the cloud checks some only halfway through). */
export function printRequiredGrants(ctx: CliContext, set: PolicySet): void {
  for (const role of Object.values(set.roles)) {
    if (!role.arn) continue;
    const grants = role.actions.map((a) => `${a.action} on ${a.resource}`).join(', ');
    note(ctx, ctx.errColors.dim(`note: ${role.arn} must grant ${grants} (see \`windowed policy\`).`));
  }
}
