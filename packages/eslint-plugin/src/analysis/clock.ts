import type { Rule, SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import { isGlobal, memberName, moduleBinding, type Node, unwrap, variableOf } from './ast.js';

/**
 * The wall-clock reads the rules know, as the text they report:
 *
 * - `Date.now()`, `new Date()` and `Date()` without an argument (`Date` being the global one);
 * - `performance.now()` (global, or imported from `perf_hooks`), `process.hrtime()`,
 *   `process.hrtime.bigint()`, `Temporal.Now.*()`;
 * - the clocks of the usual date libraries, when imported from them: luxon `DateTime.now()`,
 *   `DateTime.local()` / `DateTime.utc()` without an argument; `dayjs()`, `moment()`,
 *   `dayjs.utc()`, `moment.utc()` without an argument.
 *
 * `new Date(x)` with an argument reads no clock.
 */
export function clockRead(node: ESTree.Node, sourceCode: SourceCode): string | undefined {
  if (node.type !== 'CallExpression' && node.type !== 'NewExpression') return undefined;
  const callee = unwrap(node.callee);
  const none = node.arguments.length === 0;
  if (callee.type === 'Identifier') {
    if (callee.name === 'Date' && none && isGlobal(sourceCode, callee))
      return node.type === 'NewExpression' ? 'new Date()' : 'Date()';
    if (node.type === 'CallExpression' && none) {
      const binding = moduleBinding(variableOf(sourceCode, callee));
      if (binding && LIBRARY_FACTORIES.has(binding.source) && ['default', '*'].includes(binding.name))
        return `${callee.name}()`;
    }
    return undefined;
  }
  if (node.type !== 'CallExpression' || callee.type !== 'MemberExpression') return undefined;
  const method = memberName(callee);
  const object = unwrap(callee.object);
  if (object.type === 'Identifier') {
    const name = object.name;
    if (name === 'Date' && method === 'now' && isGlobal(sourceCode, object)) return 'Date.now()';
    if (name === 'process' && method === 'hrtime' && isGlobal(sourceCode, object)) return 'process.hrtime()';
    if (name === 'performance' && method === 'now' && isPerformance(sourceCode, object))
      return 'performance.now()';
    const binding = moduleBinding(variableOf(sourceCode, object));
    if (!binding) return undefined;
    if (binding.source === 'luxon' && binding.name === 'DateTime') {
      if (method === 'now' || ((method === 'local' || method === 'utc') && none))
        return `${name}.${method}()`;
    }
    if (
      LIBRARY_FACTORIES.has(binding.source) &&
      ['default', '*'].includes(binding.name) &&
      method === 'utc' &&
      none
    )
      return `${name}.utc()`;
    return undefined;
  }
  if (object.type === 'MemberExpression') {
    const inner = unwrap(object.object);
    const innerName = memberName(object);
    if (inner.type !== 'Identifier' || !isGlobal(sourceCode, inner)) return undefined;
    if (inner.name === 'process' && innerName === 'hrtime' && method === 'bigint')
      return 'process.hrtime.bigint()';
    if (inner.name === 'Temporal' && innerName === 'Now') return `Temporal.Now.${method ?? '…'}()`;
  }
  return undefined;
}

/** Collects every clock read of a file as `[node, text]`, in source order; read `reads` from `Program:exit` on. */
export function clockReadCollector(sourceCode: SourceCode): {
  visitors: Rule.RuleListener;
  reads: Array<[Node, string]>;
} {
  const reads: Array<[Node, string]> = [];
  const collect = (node: Node) => {
    const read = clockRead(node, sourceCode);
    if (read) reads.push([node, read]);
  };
  return { visitors: { CallExpression: collect, NewExpression: collect }, reads };
}

/** Modules whose default export, called without an argument, reads the clock. */
const LIBRARY_FACTORIES = new Set(['dayjs', 'moment']);

function isPerformance(sourceCode: SourceCode, id: ESTree.Identifier): boolean {
  if (isGlobal(sourceCode, id)) return true;
  const binding = moduleBinding(variableOf(sourceCode, id));
  return (
    (binding?.source === 'perf_hooks' || binding?.source === 'node:perf_hooks') &&
    binding.name === 'performance'
  );
}
