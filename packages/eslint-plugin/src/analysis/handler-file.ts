import type { Rule, SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import { calleeName, memberName, requiredModule, staticName, unwrap, variableOf } from './ast.js';

/**
 * The windowed packages whose code runs inside a function: `@windowed/core` and the adapters
 * (not their `/deploy` entries, nor `@windowed/cli` or this plugin, which run on a laptop).
 */
const RUNTIME_PACKAGE = /^@windowed\/(core|adapter-[\w-]+)(\/(?!deploy(\/|$)).*)?$/;

export function isRuntimePackage(specifier: unknown): boolean {
  return typeof specifier === 'string' && RUNTIME_PACKAGE.test(specifier);
}

/**
 * Recognizes a file that defines a handler or a job — the files whose module scope runs once per
 * function instance. A file is one when it
 *
 * 1. imports or requires a windowed runtime package (`@windowed/core`, `@windowed/adapter-*`), or
 * 2. exports a handler: `export const handler`, `export function handler`, `export { x as handler }`,
 *    `exports.handler =`, `module.exports.handler =`, `module.exports = { handler }` (the export
 *    names are the rule option `handlerExports`, default `['handler']`), or
 * 3. calls `defineWindowedJob(…)`.
 *
 * `visitors` must be merged into the rule's; `reason()` is valid from `Program:exit` on.
 */
export function handlerFileRecognizer(sourceCode: SourceCode, handlerNames: ReadonlySet<string>) {
  let reason: string | undefined;
  const mark = (why: string) => {
    reason ??= why;
  };
  const source = (node: { source?: ESTree.Node | null }) => {
    const value = node.source?.type === 'Literal' ? node.source.value : undefined;
    if (isRuntimePackage(value)) mark(`imports ${String(value)}`);
  };
  const visitors: Rule.RuleListener = {
    ImportDeclaration: source,
    ExportAllDeclaration: source,
    ExportNamedDeclaration: source,
    ImportExpression: source,
    CallExpression(node) {
      const required = requiredModule(node);
      if (isRuntimePackage(required)) mark(`requires ${required}`);
      if (calleeName(node) === 'defineWindowedJob') mark('defines a job');
    },
  };
  return {
    visitors,
    reason(program: ESTree.Program): string | undefined {
      if (!reason && handlerExports(program, handlerNames, sourceCode).found) mark('exports a handler');
      return reason;
    },
  };
}

/**
 * The handler exports of a module: whether it has one, and the local values exported (the
 * expression or function declaration; a re-export from another module has none).
 */
export function handlerExports(
  program: ESTree.Program,
  names: ReadonlySet<string>,
  sourceCode: SourceCode,
): { found: boolean; values: ESTree.Node[] } {
  const values: ESTree.Node[] = [];
  let found = false;
  const add = (value: ESTree.Node | null | undefined) => {
    found = true;
    if (value) values.push(value);
  };
  for (const statement of program.body) {
    if (statement.type === 'ExportNamedDeclaration') {
      const declaration = statement.declaration;
      if (declaration?.type === 'VariableDeclaration') {
        for (const d of declaration.declarations)
          if (d.id.type === 'Identifier' && names.has(d.id.name)) add(d.init);
      } else if (
        declaration?.type === 'FunctionDeclaration' &&
        declaration.id &&
        names.has(declaration.id.name)
      ) {
        add(declaration);
      }
      for (const spec of statement.specifiers) {
        if (!names.has(staticName(spec.exported) ?? '')) continue;
        if (statement.source || spec.local.type !== 'Identifier') add(undefined);
        else add(localValue(sourceCode, spec.local));
      }
    } else if (
      statement.type === 'ExpressionStatement' &&
      statement.expression.type === 'AssignmentExpression'
    ) {
      const { left, right } = statement.expression;
      const target = commonJsExport(left);
      if (target === 'module.exports') {
        const object = unwrap(right);
        if (object.type !== 'ObjectExpression') continue;
        for (const property of object.properties) {
          if (property.type !== 'Property' || !names.has(staticName(property.key, property.computed) ?? ''))
            continue;
          add(
            property.shorthand && property.value.type === 'Identifier'
              ? localValue(sourceCode, property.value)
              : property.value,
          );
        }
      } else if (target && names.has(target)) {
        add(right);
      }
    }
  }
  return { found, values };
}

/** `'handler'` for `exports.handler` / `module.exports.handler`, `'module.exports'` for `module.exports`. */
function commonJsExport(left: ESTree.Node): string | undefined {
  if (left.type !== 'MemberExpression') return undefined;
  const object = unwrap(left.object);
  const name = memberName(left);
  if (object.type === 'Identifier' && object.name === 'module' && name === 'exports') return 'module.exports';
  if (object.type === 'Identifier' && object.name === 'exports') return name;
  if (object.type === 'MemberExpression' && commonJsExport(object) === 'module.exports') return name;
  return undefined;
}

/** What a module-level name was declared as: its initializer or its function declaration. */
function localValue(sourceCode: SourceCode, id: ESTree.Identifier): ESTree.Node | undefined {
  const def = variableOf(sourceCode, id)?.defs[0];
  if (def?.type === 'FunctionName') return def.node;
  if (def?.type === 'Variable') return def.node.init ?? undefined;
  return undefined;
}
