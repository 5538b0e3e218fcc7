import type { Rule, SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import {
  bindingsOf,
  calleeName,
  callsOf,
  enclosingFunctions,
  type FunctionNode,
  functionValue,
  isFunction,
  type Node,
  staticName,
} from './ast.js';
import { handlerExports } from './handler-file.js';

/** The kinds of function whose window must come from what they are given. */
export type WindowFunctionKind = 'handler' | 'query' | 'sink';

/**
 * Finds the functions that run once per window or invocation and must take their window from
 * their input:
 *
 * - **handler**: the value of a handler export (see `handlerExports`): the function itself, a
 *   local function it names, or the functions inside its initializer (`middy(async (event) => …)`);
 * - **query**: the `query` function of a job spec — an object passed to `defineWindowedJob`, or
 *   any object literal that has both `window` and `query`;
 * - **sink**: the `write` method of a custom sink — an object literal or class with both `write`
 *   and `close` (what `@windowed/core` itself takes for a sink), or one typed `Sink`
 *   (`: Sink`, `satisfies Sink`, `implements Sink`);
 *
 * and, transitively, the functions of this module they call (`function currentMinute()` called
 * from a handler belongs to it). `visitors` must be merged into the rule's; `of()` is valid from
 * `Program:exit` on.
 */
export function windowFunctionFinder(sourceCode: SourceCode, handlerNames: ReadonlySet<string>) {
  const kinds = new Map<ESTree.Node, WindowFunctionKind>();
  const add = (value: ESTree.Node | null | undefined, kind: WindowFunctionKind) => {
    const fn = value ? functionValue(sourceCode, value) : undefined;
    if (fn && !kinds.has(fn)) kinds.set(fn, kind);
  };
  const visitors: Rule.RuleListener = {
    ObjectExpression(node) {
      const props = properties(node.properties);
      const isSpecArgument =
        node.parent.type === 'CallExpression' &&
        node.parent.arguments[0] === node &&
        calleeName(node.parent) === 'defineWindowedJob';
      if (props.has('query') && (isSpecArgument || props.has('window'))) add(props.get('query'), 'query');
      if (props.has('write') && (props.has('close') || typedSink(node))) add(props.get('write'), 'sink');
    },
    ClassBody(node) {
      const methods = new Map<string, ESTree.Node>();
      for (const member of node.body)
        if (member.type === 'MethodDefinition' || member.type === 'PropertyDefinition') {
          const name = staticName(member.key, member.computed);
          if (name && member.value) methods.set(name, member.value);
        }
      if (methods.has('write') && (methods.has('close') || implementsSink(node.parent)))
        add(methods.get('write'), 'sink');
    },
  };
  let closed: Map<ESTree.Node, WindowFunctionKind> | undefined;
  return {
    visitors,
    /** The kind of window function `node` is inside, if any (the innermost one that is). */
    of(program: ESTree.Program, node: Node): WindowFunctionKind | undefined {
      closed ??= closeOverCalls(sourceCode, rootsWithHandlers(program));
      for (const fn of enclosingFunctions(node)) {
        const kind = closed.get(fn);
        if (kind) return kind;
      }
      return undefined;
    },
  };

  function rootsWithHandlers(program: ESTree.Program): Map<ESTree.Node, WindowFunctionKind> {
    for (const value of handlerExports(program, handlerNames, sourceCode).values)
      for (const fn of functionsIn(value)) if (!kinds.has(fn)) kinds.set(fn, 'handler');
    return kinds;
  }

  /** The handler functions of an export's value: it, or the functions and local function names inside it. */
  function functionsIn(value: ESTree.Node): FunctionNode[] {
    const direct = functionValue(sourceCode, value);
    if (direct) return [direct];
    const found: FunctionNode[] = [];
    const visit = (node: ESTree.Node) => {
      if (isFunction(node)) {
        found.push(node as FunctionNode);
        return;
      }
      if (node.type === 'CallExpression' || node.type === 'NewExpression') {
        for (const arg of node.arguments) {
          const fn = arg.type === 'Identifier' ? functionValue(sourceCode, arg) : undefined;
          if (fn) found.push(fn);
        }
      }
      for (const key of sourceCode.visitorKeys[node.type] ?? []) {
        const child = (node as unknown as Record<string, unknown>)[key];
        for (const c of Array.isArray(child) ? child : [child])
          if (c && typeof (c as ESTree.Node).type === 'string') visit(c as ESTree.Node);
      }
    };
    visit(value);
    return found;
  }
}

/** Adds the module's own functions called from inside a window function, until nothing changes. */
function closeOverCalls(
  sourceCode: SourceCode,
  roots: Map<ESTree.Node, WindowFunctionKind>,
): Map<ESTree.Node, WindowFunctionKind> {
  const all = new Map(roots);
  const candidates = functionsOfModule(sourceCode);
  for (let changed = true; changed; ) {
    changed = false;
    for (const fn of candidates) {
      if (all.has(fn)) continue;
      const kind = callsOf(bindingsOf(sourceCode, fn))
        .map((call) =>
          enclosingFunctions(call)
            .map((f) => all.get(f))
            .find(Boolean),
        )
        .find(Boolean);
      if (kind) {
        all.set(fn, kind);
        changed = true;
      }
    }
  }
  return all;
}

/** Every named function of the module (`function f`, `const f = …function…`). */
function functionsOfModule(sourceCode: SourceCode): FunctionNode[] {
  const found: FunctionNode[] = [];
  for (const scope of sourceCode.scopeManager.scopes) {
    if (scope.type !== 'function') continue;
    const block = scope.block as Node;
    if (isFunction(block) && bindingsOf(sourceCode, block).length > 0) found.push(block as FunctionNode);
  }
  return found;
}

function properties(list: ESTree.ObjectExpression['properties']): Map<string, ESTree.Node> {
  const map = new Map<string, ESTree.Node>();
  for (const p of list) {
    if (p.type !== 'Property') continue;
    const name = staticName(p.key, p.computed);
    if (name) map.set(name, p.value);
  }
  return map;
}

/** `const s: Sink = {…}`, `{…} satisfies Sink`, `{…} as Sink`. */
function typedSink(object: Node): boolean {
  const parent = object.parent as Node & { typeAnnotation?: unknown; id?: unknown };
  if (['TSSatisfiesExpression', 'TSAsExpression'].includes(parent.type as string))
    return isSinkType(parent.typeAnnotation);
  if (parent.type === 'VariableDeclarator')
    return isSinkType(
      (parent.id as { typeAnnotation?: { typeAnnotation?: unknown } }).typeAnnotation?.typeAnnotation,
    );
  return false;
}

/** `class X implements Sink`. */
function implementsSink(cls: ESTree.Node): boolean {
  const list = (cls as { implements?: Array<{ expression?: unknown }> }).implements ?? [];
  return list.some((i) => isSinkType({ type: 'TSTypeReference', typeName: i.expression }));
}

function isSinkType(type: unknown): boolean {
  const t = type as { type?: string; typeName?: { type?: string; name?: string; right?: { name?: string } } };
  if (t?.type !== 'TSTypeReference') return false;
  const name = t.typeName?.type === 'TSQualifiedName' ? t.typeName.right?.name : t.typeName?.name;
  return name === 'Sink';
}
