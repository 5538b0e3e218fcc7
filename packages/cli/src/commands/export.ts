import { resolve } from 'node:path';
import { Command } from 'commander';
import { type CliContext, note, print } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { FC_VERSION_HELP, loadDeployTarget, runPreflight } from './deploy-target.js';
import { checkDatabasePasswords, STRICT_HELP } from './password-check.js';
import { action, type CliRun } from './shared.js';
import { checkJobStart } from './start-check.js';

interface ExportCliOptions {
  target?: string;
  format?: string;
  out?: string;
  fcVersion?: string;
  strict?: boolean;
}

export function exportCommand(run: CliRun): Command {
  return new Command('export')
    .summary('write infrastructure-as-code for the job (CloudFormation, Serverless Devs)')
    .description(
      'Writes what `windowed deploy` would create, with the same settings as `windowed plan`, for teams that deploy through their own tools:\n' +
        '  --target aws --format cloudformation   template.json (plain CloudFormation, no transform: as is or inside SAM/CDK) + function.zip\n' +
        '  --target aliyun --format s             s.yaml (Serverless Devs, fc3 component) + code/',
    )
    .requiredOption('-t, --target <name>', 'aliyun or aws')
    .requiredOption('--format <format>', 'cloudformation (aws) or s (aliyun)')
    .requiredOption('--out <dir>', 'folder to write the files to (created if missing)')
    .option('--fc-version <2|3>', FC_VERSION_HELP)
    .option('--strict', STRICT_HELP)
    .action(action<ExportCliOptions>(run, exportAction));
}

async function exportAction(ctx: CliContext, options: ExportCliOptions): Promise<ExitCode> {
  const { platform, input, job, close } = await loadDeployTarget(ctx, options.target, 'exported', options);
  try {
    const format = options.format ?? '';
    if (!platform.exportFormats.includes(format))
      throw new CliError(
        `--format ${JSON.stringify(format)} is not one ${platform.name} exports.`,
        EXIT.usage,
        `expected ${platform.exportFormats.join(' or ')}`,
      );
    await runPreflight(ctx, input);
    // The template carries the function's environment as it is: a password in it lands in a file.
    checkDatabasePasswords(ctx, input, options.strict === true);
    checkJobStart(ctx, job);
    const outDir = resolve(ctx.cwd, options.out ?? '.');
    const result = await platform.export(input, { format, outDir });
    for (const file of result.files) print(ctx, `${file.path}  ${file.bytes} bytes`);
    for (const line of result.notes) note(ctx, ctx.errColors.dim(`note: ${line}`));
    return EXIT.ok;
  } finally {
    await close();
  }
}
