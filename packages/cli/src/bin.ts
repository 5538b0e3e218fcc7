import { runCli } from './cli.js';
import { describeFailure, isWindowedErrorLike } from './errors.js';

// The AWS SDK warns, once per process, that its releases after January 2027 need Node 22: a notice for
// whoever maintains the Node install, not for someone reading this command's output (it lands in the
// middle of it). The SDK's documented switch (https://github.com/aws/aws-sdk-js-v3/issues/7983); set
// it to false to see the notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `windowed … | head`: the reader is gone, so there is nobody left to tell; stop quietly, as a shell
// tool killed by SIGPIPE does, instead of Node's unhandled 'error' event and its stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

// A promise a library dropped after Ctrl-C (its query was aborted) is no reason to crash with a
// stack trace; anything else is reported like any other failure: one line and a hint.
process.on('unhandledRejection', (reason) => {
  if (isWindowedErrorLike(reason) && reason.code === 'ABORTED') return;
  const failure = describeFailure(reason);
  process.stderr.write(`error: ${failure.message}\n${failure.hint ? `hint: ${failure.hint}\n` : ''}`);
  if (process.argv.includes('--verbose') && reason instanceof Error)
    process.stderr.write(`${reason.stack}\n`);
  process.exit(failure.exitCode === 0 ? 1 : failure.exitCode);
});

// The exit code is set, not forced: pending output is flushed and pools close first.
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
