import type { SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import {
  bindingsOf,
  callsOf,
  type FunctionNode,
  isFunction,
  memberName,
  type Node,
  outer,
  unwrap,
} from './ast.js';

/** Array methods and constructors that call their callback before they return. */
const SYNC_CALLBACK_METHODS = new Set([
  'map',
  'forEach',
  'filter',
  'reduce',
  'reduceRight',
  'flatMap',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'sort',
  'toSorted',
  'from',
]);

/**
 * Where `node` is evaluated when the module is imported — once per function instance — or
 * `undefined` when it is not. Evaluated at import:
 *
 * - module scope (top-level statements, top-level `await`), including initializers of exports;
 * - static fields and static blocks of a class that is itself evaluated at import;
 * - the body of a function invoked right there: an IIFE (also via `.call`/`.apply`), the callback
 *   of an array method (`map`, `forEach`, `reduce`, …, `Array.from`), a `new Promise` executor;
 * - the body of a function of this module (`function f`, `const f = () => …`) that is called
 *   from code evaluated at import, and the constructor and instance fields of a class of this
 *   module that is instantiated there.
 *
 * Any other function body (a handler, a callback handed to a library, a method) runs only when
 * something calls it later, and is not evaluated at import.
 */
export function evaluatedAtImport(node: Node, sourceCode: SourceCode): string | undefined {
  return new ImportTime(sourceCode).where(node);
}

class ImportTime {
  private readonly visiting = new Set<ESTree.Node>();
  constructor(private readonly sourceCode: SourceCode) {}

  where(node: Node): string | undefined {
    let reason = 'at module scope';
    for (let n = node; n.parent; n = n.parent) {
      const parent = n.parent;
      if (isFunction(parent) && n !== (parent as { id?: unknown }).id) {
        const via = this.functionRunsAtImport(parent as FunctionNode);
        return via ? `${via}${reason === 'at module scope' ? '' : `, ${reason}`}` : undefined;
      }
      if (parent.type === 'PropertyDefinition' && n === parent.value) {
        if (!parent.static) {
          const cls = parent.parent.parent as Node;
          return this.instantiatedAtImport(cls) ? `in an instance field of ${className(cls)}` : undefined;
        }
        reason = `in a static field of ${className(parent.parent.parent as Node)}`;
      }
      if (parent.type === 'StaticBlock')
        reason = `in a static block of ${className(parent.parent.parent as Node)}`;
    }
    return reason;
  }

  private functionRunsAtImport(fn: FunctionNode): string | undefined {
    if (this.visiting.has(fn)) return undefined;
    this.visiting.add(fn);
    try {
      const site = outer(fn);
      const parent = site.parent;
      if ((parent?.type === 'CallExpression' || parent?.type === 'NewExpression') && parent.callee === site)
        return this.where(parent) && `in a function invoked as the module loads`;
      if (
        parent?.type === 'MemberExpression' &&
        parent.object === site &&
        ['call', 'apply'].includes(memberName(parent) ?? '') &&
        parent.parent.type === 'CallExpression'
      )
        return this.where(parent.parent) && `in a function invoked as the module loads`;
      if (parent?.type === 'CallExpression' && parent.arguments.includes(site as ESTree.Expression)) {
        const method = memberName(unwrap(parent.callee));
        if (method && SYNC_CALLBACK_METHODS.has(method))
          return this.where(parent) && `in a .${method}() callback run as the module loads`;
      }
      if (parent?.type === 'NewExpression' && parent.arguments[0] === site) {
        const callee = unwrap(parent.callee);
        if (callee.type === 'Identifier' && callee.name === 'Promise')
          return this.where(parent) && 'in a Promise executor run as the module loads';
      }
      if (parent?.type === 'MethodDefinition' && parent.kind === 'constructor') {
        const cls = parent.parent.parent as Node;
        return this.instantiatedAtImport(cls) ? `in the constructor of ${className(cls)}` : undefined;
      }
      for (const call of callsOf(bindingsOf(this.sourceCode, fn)))
        if (this.where(call)) return `in ${functionName(fn)}(), called as the module loads`;
      return undefined;
    } finally {
      this.visiting.delete(fn);
    }
  }

  /** True when `new Cls()` is evaluated at import. */
  private instantiatedAtImport(cls: Node): boolean {
    if (this.visiting.has(cls)) return false;
    this.visiting.add(cls);
    try {
      return callsOf(bindingsOf(this.sourceCode, cls)).some(
        (call) => call.type === 'NewExpression' && this.where(call),
      );
    } finally {
      this.visiting.delete(cls);
    }
  }
}

function className(cls: Node): string {
  if ((cls.type === 'ClassDeclaration' || cls.type === 'ClassExpression') && cls.id)
    return `class ${cls.id.name}`;
  const holder = outer(cls).parent;
  return holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier'
    ? `class ${holder.id.name}`
    : 'a class';
}

function functionName(fn: FunctionNode): string {
  if (fn.type !== 'ArrowFunctionExpression' && fn.id) return fn.id.name;
  const holder = outer(fn).parent;
  return holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier'
    ? holder.id.name
    : 'a function';
}
