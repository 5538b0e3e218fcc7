import type { Rule } from 'eslint';
import { clockReadCollector } from '../analysis/clock.js';
import { windowUse } from '../analysis/clock-flow.js';
import { type WindowFunctionKind, windowFunctionFinder } from '../analysis/window-functions.js';
import { docsUrl, handlerNames, mergeListeners, OPTIONS_SCHEMA } from './shared.js';

const WHERE: Record<WindowFunctionKind, string> = {
  handler: 'a handler',
  query: "a job's query function",
  sink: "a sink's write()",
};

const FIX: Record<WindowFunctionKind, string> = {
  handler:
    "Take the window from the trigger: the event's scheduled time (`fromScheduledEvent` / `fromFcTimerEvent`) and `job.windowFor(trigger)`, or let `lambdaHandler(job)` / `fcHandler(job)` do it.",
  query: 'Use the `window` the query receives: query the range [window.start, window.end).',
  sink: 'Use the windows write() receives: each one carries its window.start and window.end.',
};

/**
 * A window or time range computed from the wall clock inside a handler, a functional query or a
 * sink's `write` (see `windowFunctionFinder` for which functions, `windowUse` for what counts as
 * a window). Timing and timestamps are not windows and are not reported.
 */
export const noWallClockWindow: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        "Disallow computing a window or time range from the wall clock in a handler, a job's query function or a sink's write()",
      recommended: true,
      url: docsUrl('no-wall-clock-window'),
    },
    schema: OPTIONS_SCHEMA,
    messages: {
      wallClockWindow:
        '{{read}} is {{use}} in {{where}}: the window then follows the wall clock, and a run that starts late, is retried or is replayed computes a different one. {{fix}}',
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    const functions = windowFunctionFinder(sourceCode, handlerNames(context.options));
    const { visitors, reads } = clockReadCollector(sourceCode);
    return mergeListeners(functions.visitors, visitors, {
      'Program:exit'(program) {
        for (const [node, read] of reads) {
          const kind = functions.of(program, node);
          if (!kind) continue;
          const use = windowUse(node, sourceCode);
          if (use)
            context.report({
              node,
              messageId: 'wallClockWindow',
              data: { read, use, where: WHERE[kind], fix: FIX[kind] },
            });
        }
      },
    });
  },
};
