import type { Rule, Scope, SourceCode } from 'eslint';
import type * as ESTree from 'estree';

/** An ESTree node as ESLint hands it to rules: with `parent`. TypeScript nodes are told apart by `type`. */
export type Node = Rule.Node;
export type FunctionNode = (
  | ESTree.FunctionDeclaration
  | ESTree.FunctionExpression
  | ESTree.ArrowFunctionExpression
) &
  Rule.NodeParentExtension;

export function isFunction(node: ESTree.Node | null | undefined): node is FunctionNode {
  return (
    node?.type === 'FunctionDeclaration' ||
    node?.type === 'FunctionExpression' ||
    node?.type === 'ArrowFunctionExpression'
  );
}

/** Wrappers that do not change a value: `x as T`, `x!`, `<T>x`, `x satisfies T`, `a?.b`. */
const TRANSPARENT = new Set([
  'TSAsExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSSatisfiesExpression',
  'ChainExpression',
]);

/** The outermost transparent wrapper around `node` (or `node`): its parent is where the value goes. */
export function outer(node: Node): Node {
  let n = node;
  while (n.parent && TRANSPARENT.has(n.parent.type as string)) n = n.parent;
  return n;
}

/** `node` without transparent wrappers. */
export function unwrap(node: ESTree.Node): ESTree.Node {
  let n = node as ESTree.Node & { expression?: ESTree.Node };
  while (TRANSPARENT.has(n.type as string) && n.expression) n = n.expression as typeof n;
  return n;
}

/** The name of a non-computed identifier key or a string-literal key (`a.b`, `a['b']`, `{ b: … }`). */
export function staticName(node: ESTree.Node | null | undefined, computed = false): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Identifier' && !computed) return node.name;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0)
    return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** `object.name` (or `object['name']`) as [object, name]. */
export function memberName(node: ESTree.Node): string | undefined {
  return node.type === 'MemberExpression' ? staticName(node.property, node.computed) : undefined;
}

/** The name a call's callee ends in: `f` for `f()`, `g` for `a.b.g()`. */
export function calleeName(call: ESTree.CallExpression | ESTree.NewExpression): string | undefined {
  const callee = unwrap(call.callee);
  return callee.type === 'Identifier' ? callee.name : memberName(callee);
}

/** The variable an identifier refers to, looked up through the enclosing scopes. */
export function variableOf(sourceCode: SourceCode, id: ESTree.Identifier): Scope.Variable | undefined {
  for (let scope: Scope.Scope | null = sourceCode.getScope(id); scope; scope = scope.upper) {
    const variable = scope.set.get(id.name);
    if (variable) return variable;
  }
  return undefined;
}

/** True when `id` names a global (nothing in the file declares it). */
export function isGlobal(sourceCode: SourceCode, id: ESTree.Identifier): boolean {
  const variable = variableOf(sourceCode, id);
  return !variable || variable.defs.length === 0;
}

/** Where a binding comes from when it is imported or required: `{ source: 'luxon', name: 'DateTime' }`. */
export function moduleBinding(
  variable: Scope.Variable | undefined,
): { source: string; name: string } | undefined {
  const def = variable?.defs[0];
  if (!def) return undefined;
  if (def.type === 'ImportBinding') {
    const source = (def.parent as ESTree.ImportDeclaration).source.value;
    const spec = def.node as
      | ESTree.ImportSpecifier
      | ESTree.ImportDefaultSpecifier
      | ESTree.ImportNamespaceSpecifier;
    const name =
      spec.type === 'ImportSpecifier'
        ? (staticName(spec.imported) ?? '')
        : spec.type === 'ImportDefaultSpecifier'
          ? 'default'
          : '*';
    return typeof source === 'string' ? { source, name } : undefined;
  }
  if (def.type === 'Variable' && def.node.init) {
    // const x = require('m'); const { X } = require('m'); const X = require('m').X
    let init = unwrap(def.node.init);
    let member: string | undefined;
    if (init.type === 'MemberExpression') {
      member = memberName(init);
      init = unwrap(init.object);
    }
    const source = requiredModule(init);
    if (source === undefined) return undefined;
    if (def.node.id.type === 'Identifier') return { source, name: member ?? '*' };
    if (def.node.id.type === 'ObjectPattern' && !member) {
      for (const property of def.node.id.properties) {
        if (
          property.type === 'Property' &&
          property.value.type === 'Identifier' &&
          property.value.name === variable?.name
        )
          return { source, name: staticName(property.key, property.computed) ?? '' };
      }
    }
  }
  return undefined;
}

/** `'m'` for `require('m')`. */
export function requiredModule(node: ESTree.Node): string | undefined {
  if (node.type !== 'CallExpression' || node.arguments.length !== 1) return undefined;
  const callee = unwrap(node.callee);
  const arg = node.arguments[0]!;
  return callee.type === 'Identifier' &&
    callee.name === 'require' &&
    arg.type === 'Literal' &&
    typeof arg.value === 'string'
    ? arg.value
    : undefined;
}

/**
 * The function a value is, when it is one: a function expression, or an identifier naming a local
 * function (`function f() {}` or `const f = () => …`).
 */
export function functionValue(sourceCode: SourceCode, node: ESTree.Node): FunctionNode | undefined {
  const value = unwrap(node);
  if (isFunction(value)) return value as FunctionNode;
  if (value.type !== 'Identifier') return undefined;
  const def = variableOf(sourceCode, value)?.defs[0];
  if (def?.type === 'FunctionName') return def.node as FunctionNode;
  if (def?.type === 'Variable' && def.node.init) {
    const init = unwrap(def.node.init);
    if (isFunction(init)) return init as FunctionNode;
  }
  return undefined;
}

/** The variables that name a function or class: `function f`, `const f = () => …`, `class C`, `const C = class`. */
export function bindingsOf(sourceCode: SourceCode, node: Node): Scope.Variable[] {
  if (node.type === 'FunctionDeclaration' || node.type === 'ClassDeclaration') {
    const name = node.id?.name;
    return sourceCode.getDeclaredVariables(node).filter((v) => v.name === name && v.defs[0]?.node === node);
  }
  const holder = outer(node).parent;
  if (
    holder?.type === 'VariableDeclarator' &&
    holder.id.type === 'Identifier' &&
    unwrap(holder.init!) === node
  )
    return sourceCode.getDeclaredVariables(holder);
  return [];
}

/** The calls (`f()`, `new C()`, `f.call(…)`, `f.apply(…)`) of a variable. */
export function callsOf(variables: Scope.Variable[]): Node[] {
  const calls: Node[] = [];
  for (const variable of variables) {
    for (const reference of variable.references) {
      if (!reference.isRead()) continue;
      const ref = outer(reference.identifier as Node);
      const parent = ref.parent;
      if ((parent?.type === 'CallExpression' || parent?.type === 'NewExpression') && parent.callee === ref)
        calls.push(parent);
      else if (
        parent?.type === 'MemberExpression' &&
        parent.object === ref &&
        ['call', 'apply'].includes(memberName(parent) ?? '') &&
        parent.parent.type === 'CallExpression' &&
        parent.parent.callee === parent
      )
        calls.push(parent.parent);
    }
  }
  return calls;
}

/** Every function that encloses `node`, innermost first. */
export function enclosingFunctions(node: Node): FunctionNode[] {
  const functions: FunctionNode[] = [];
  for (let n = node.parent; n; n = n.parent) if (isFunction(n)) functions.push(n as FunctionNode);
  return functions;
}
