import type { Rule } from 'eslint';
import { clockReadCollector } from '../analysis/clock.js';
import { handlerFileRecognizer } from '../analysis/handler-file.js';
import { evaluatedAtImport } from '../analysis/import-time.js';
import { docsUrl, handlerNames, mergeListeners, OPTIONS_SCHEMA } from './shared.js';

/**
 * A wall-clock read evaluated when a handler or job module is imported: module scope runs once per
 * function instance, and FC / Lambda reuse a warm instance for later invocations, so the value is
 * frozen at the cold start. Which files and which places count: see `handlerFileRecognizer` and
 * `evaluatedAtImport`.
 */
export const noModuleScopeClock: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow reading the wall clock at module scope of a file that defines a handler or a windowed job',
      recommended: true,
      url: docsUrl('no-module-scope-clock'),
    },
    schema: OPTIONS_SCHEMA,
    messages: {
      moduleScopeClock:
        '{{read}} is evaluated {{where}} of a file that {{file}}: it runs once per function instance, and a warm instance reuses the value for every later invocation. Take the window from the trigger each invocation receives (the `window` a query gets, `job.windowFor(trigger)`); read the clock inside the handler, and only for timing or timestamps.',
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    const file = handlerFileRecognizer(sourceCode, handlerNames(context.options));
    const { visitors, reads } = clockReadCollector(sourceCode);
    return mergeListeners(file.visitors, visitors, {
      'Program:exit'(program) {
        if (reads.length === 0) return;
        const reason = file.reason(program);
        if (!reason) return;
        for (const [node, read] of reads) {
          const where = evaluatedAtImport(node, sourceCode);
          if (where)
            context.report({ node, messageId: 'moduleScopeClock', data: { read, where, file: reason } });
        }
      },
    });
  },
};
