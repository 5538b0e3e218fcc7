/**
 * @windowed/cli — the `windowed` command, and what a config file or a script uses from it.
 *
 * @example
 * // windowed.config.ts
 * import { defineConfig } from '@windowed/cli';
 * import { job } from './job.js';
 * export default defineConfig({ job, targets: { local: { source: { type: 'ndjson', path: './logs' } } } });
 */
export { runCli } from './cli.js';
export { type FailedInvocation, parseFailureRecord, splitRecords } from './commands/replay-records.js';
export {
  type CloudTarget,
  CONFIG_FILES,
  defineConfig,
  findConfigFile,
  isWindowedJob,
  type LocalTarget,
  loadConfig,
  type ResolvedConfig,
  type TargetName,
  type TargetResources,
  type WindowedConfig,
} from './config.js';
export { CliError, EXIT, type ExitCode } from './errors.js';
export { installVirtualDate, seededRandom, VirtualClock } from './simulator/clock.js';
export {
  type AttemptOutcome,
  type AttemptRecord,
  type DestinationDelivery,
  type EmulatorOptions,
  type EmulatorResult,
  emulate,
  type LoadedInstance,
} from './simulator/emulator.js';
export { renderSummary, type SimulationSummary, summarize, type TimelineBucket } from './simulator/report.js';
export { type SimulateOptions, type SimulationResult, simulate } from './simulator/simulate.js';
export { sparkline } from './ui/sparkline.js';
export { renderTable } from './ui/table.js';
