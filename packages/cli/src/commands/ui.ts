import { Command } from 'commander';
import { type CliContext, loadProject, note, print } from '../context.js';
import { startDashboard } from '../dashboard/server.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { action, type CliRun, TARGET_HELP } from './shared.js';

interface UiOptions {
  port: string;
  readOnly?: boolean;
  target: string;
}

export function uiCommand(run: CliRun): Command {
  return new Command('ui')
    .summary('a local web page over the ledger and the sink: windows by state, metrics, re-runs')
    .description(
      'Serves a page on 127.0.0.1 showing every window by time coloured by state (succeeded, failed, missing, running, stale, recomputed late), the metrics over time, failed and missing windows with their errors, and a button that re-runs a window or a range (backfill --force). Ctrl-C stops it.\n' +
        'The page reads a JSON API under /api (see the CLI README).',
    )
    .option('-p, --port <N>', 'port to listen on (0: any free port)', '4680')
    .option('--read-only', 'no re-run button; the API refuses writes')
    .option('-t, --target <name>', TARGET_HELP, 'local')
    .action(action<UiOptions>(run, uiAction));
}

async function uiAction(ctx: CliContext, options: UiOptions): Promise<ExitCode> {
  const port = Number(options.port);
  if (!/^\d+$/.test(options.port) || port > 65_535)
    throw new CliError(`--port expects a number from 0 to 65535, got "${options.port}".`, EXIT.usage);
  const loaded = await loadProject(ctx, options.target);
  // Read-only opens the ledger and sink read-only too: nothing is created, a SELECT-only user works.
  const job = options.readOnly ? loaded.job.with({ readOnly: true }) : loaded.job;
  try {
    const server = await startDashboard({
      job,
      readOnly: options.readOnly === true,
      port,
      onBuild: () => note(ctx, 'Building the dashboard page (first use in this checkout)…'),
    });
    print(ctx, `${job.name}: dashboard at ${server.url}${options.readOnly ? ' (read-only)' : ''}`);
    note(ctx, ctx.errColors.dim('Ctrl-C to stop.'));
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
  } finally {
    await job.close();
  }
  return EXIT.ok;
}
