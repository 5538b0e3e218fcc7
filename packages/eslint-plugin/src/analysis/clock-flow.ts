import type { Scope, SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import {
  bindingsOf,
  calleeName,
  callsOf,
  enclosingFunctions,
  isGlobal,
  memberName,
  moduleBinding,
  type Node,
  outer,
  staticName,
  unwrap,
  variableOf,
} from './ast.js';
import { clockRead } from './clock.js';

/**
 * How a clock read becomes a window or a time range, or `undefined` when it does not. The value
 * of the read is followed through variables (`const now = …`), copies and conversions
 * (`new Date(now)`, `.getTime()`, `.toISOString()`, `/ 1000`, `+ x`), conditionals and the
 * return value of the module's own functions. It is a window when it is
 *
 * - **truncated** to a boundary: `Math.floor(now / size) * size`, `now - now % size`,
 *   `d.setSeconds(0, 0)` (any `Date#set…`), luxon/dayjs `.startOf()`/`.endOf()`/`.set()`,
 *   date-fns `startOf…`/`endOf…`/`roundToNearest…`/`set…`, or its ISO string cut: `.slice(0, 16)`;
 * - **moved back**: `now - 60_000` (a constant), luxon/dayjs `.minus()`/`.subtract()`, date-fns
 *   `sub…`, or `new Date(now - x)` for any `x` that is not itself an instant;
 * - **a query bound**: the value of a range comparison in a query — knex
 *   `.where(col, '<', now)`, `.whereBetween(col, [a, now])`; a `?` / `$n` parameter or a template
 *   value that follows `<`, `<=`, `>`, `>=` or `BETWEEN` in SQL text; Mongo `$lt`/`$lte`/`$gt`/`$gte`;
 * - **a trigger or window**: passed to `windowFor`, `manualTrigger`, `deriveWindow`,
 *   `windowContaining`, `windowsForTrigger`, `windowsInRange`, as `scheduledTime`, or as
 *   `from`/`to` of `backfill()`.
 *
 * Not a window: a duration between two instants (`performance.now() - t0`,
 * `Date.now() - Date.parse(event.time)`), a timestamp stored or logged (`computedAt: new Date()`,
 * `Math.floor(Date.now() / 1000)`), a deadline (`Date.now() + ms`, `Date.now() > deadline`).
 */
export function windowUse(read: Node, sourceCode: SourceCode): string | undefined {
  return new ClockFlow(sourceCode).follow(read);
}

/** `instant`: the clock's reading (maybe converted). `offset`: the reading minus something unknown. */
type Kind = 'instant' | 'offset';

const TRUNCATED = 'truncated to a window boundary';
const MOVED_BACK = 'moved back by a fixed duration';
const QUERY_BOUND = 'used as a time bound of a query';

/** Conversions that keep the instant: `d.getTime()`, `d.toISOString()`, luxon `toJSDate()`, dayjs `valueOf()`. */
const KEEPS_INSTANT = new Set([
  'getTime',
  'valueOf',
  'toISOString',
  'toJSON',
  'toUTCString',
  'toString',
  'toDate',
  'toJSDate',
  'toMillis',
  'toSeconds',
  'unix',
  'plus',
  'add',
]);
const LIBRARY_SHIFTS = new Set(['minus', 'subtract', 'startOf', 'endOf', 'set']);
const DATE_SETTER = /^set(UTC)?(Milliseconds|Seconds|Minutes|Hours|Date|Month|FullYear)$/;
const MATH_ROUNDING = new Set(['floor', 'ceil', 'round', 'trunc']);
const WINDOW_APIS = new Set([
  'windowFor',
  'manualTrigger',
  'deriveWindow',
  'windowContaining',
  'windowsForTrigger',
  'windowsInRange',
]);
const KNEX_WHERE = new Set(['where', 'andWhere', 'orWhere', 'having', 'andHaving', 'orHaving']);
const KNEX_BETWEEN = /^(and|or)?(where|having)(Not)?Between$/i;
const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);
const MONGO_RANGE = new Set(['$lt', '$lte', '$gt', '$gte']);
const DATE_FNS_SHIFT = /^(sub|startOf|endOf|roundToNearest|set|lastDayOf)/;
/** SQL text just before a range bound: `ts < ?`, `ts >= $2`, `BETWEEN ?`, `BETWEEN ? AND ?`. */
const BOUND_BEFORE = /(?:[<>]=?|\bbetween|\bbetween\s+\S+\s+and)\s*$/i;
const LOOKS_LIKE_SQL = /\b(select|where|update|delete)\b/i;

class ClockFlow {
  private readonly seen = new Set<ESTree.Node>();
  private readonly work: Array<[Node, Kind]> = [];

  constructor(private readonly sourceCode: SourceCode) {}

  follow(read: Node): string | undefined {
    this.work.push([read, 'instant']);
    for (let next = this.work.pop(); next; next = this.work.pop()) {
      const [node, kind] = next;
      if (this.seen.has(node)) continue;
      this.seen.add(node);
      const use = this.step(node, kind);
      if (use) return use;
    }
    return undefined;
  }

  private push(node: ESTree.Node, kind: Kind): undefined {
    this.work.push([node as Node, kind]);
    return undefined;
  }

  /** Where the value of `node` goes next: a window use, or more nodes to follow. */
  private step(node: Node, kind: Kind): string | undefined {
    const value = outer(node);
    const parent = value.parent;
    if (!parent) return undefined;
    switch (parent.type) {
      case 'VariableDeclarator':
        if (parent.init === value) this.pushReads(this.sourceCode.getDeclaredVariables(parent), kind);
        return undefined;
      case 'AssignmentExpression':
        if (parent.right === value && parent.operator === '=' && parent.left.type === 'Identifier') {
          const variable = variableOf(this.sourceCode, parent.left);
          if (variable) this.pushReads([variable], kind);
        }
        return undefined;
      case 'NewExpression':
        return this.newExpression(parent, value, kind);
      case 'MemberExpression':
        return parent.object === value ? this.method(parent, kind) : undefined;
      case 'BinaryExpression':
        return this.binary(parent, value, kind);
      case 'UnaryExpression':
        return parent.operator === '+' ? this.push(parent, kind) : undefined;
      case 'CallExpression':
        return parent.callee === value ? undefined : this.argument(parent, value, kind);
      case 'ArrayExpression':
        return this.element(parent, value);
      case 'TemplateLiteral':
        return this.templateValue(parent, value);
      case 'Property':
        return parent.value === value ? this.property(parent) : undefined;
      case 'ConditionalExpression':
        return parent.test === value ? undefined : this.push(parent, kind);
      case 'LogicalExpression':
        return this.push(parent, kind);
      case 'ReturnStatement':
        return this.returned(parent, kind);
      case 'ArrowFunctionExpression':
        return parent.body === value ? this.returned(parent, kind) : undefined;
      default:
        return undefined;
    }
  }

  private pushReads(variables: Scope.Variable[], kind: Kind): void {
    for (const variable of variables)
      for (const reference of variable.references)
        if (reference.isRead()) this.push(reference.identifier, kind);
  }

  private newExpression(parent: ESTree.NewExpression, value: Node, kind: Kind): string | undefined {
    const callee = unwrap(parent.callee);
    if (callee.type !== 'Identifier' || callee.name !== 'Date' || parent.arguments[0] !== value)
      return undefined;
    if (kind === 'offset') return 'moved back into a Date (new Date(now - …))';
    return this.push(parent, kind);
  }

  private method(member: ESTree.MemberExpression & { parent: Node }, kind: Kind): string | undefined {
    const name = memberName(member);
    const site = outer(member as Node);
    const call = site.parent;
    if (!name || call?.type !== 'CallExpression' || call.callee !== site) return undefined;
    if (KEEPS_INSTANT.has(name)) return this.push(call, kind);
    if (DATE_SETTER.test(name)) return `${TRUNCATED} with .${name}()`;
    if (LIBRARY_SHIFTS.has(name)) return `shifted with .${name}()`;
    if (['slice', 'substring', 'substr'].includes(name)) {
      const start = call.arguments[0];
      if (start?.type === 'Literal' && start.value === 0 && call.arguments.length === 2)
        return `${TRUNCATED} by cutting its text with .${name}(0, …)`;
    }
    return undefined;
  }

  private binary(parent: ESTree.BinaryExpression, value: Node, kind: Kind): string | undefined {
    const left = parent.left === value;
    const other = unwrap(left ? parent.right : (parent.left as ESTree.Expression));
    switch (parent.operator) {
      case '-':
        if (!left || this.isInstant(other)) return undefined; // a duration, or time remaining
        if (other.type === 'BinaryExpression' && other.operator === '%' && this.isInstant(other.left))
          return `${TRUNCATED} (now - now % size)`;
        if (isConstantNumber(this.sourceCode, other)) return MOVED_BACK;
        return this.push(parent, 'offset');
      case '+':
        if (isTextual(other) || this.isInstant(other)) return undefined;
        return this.push(parent, kind);
      case '*':
      case '/':
        return this.push(parent, kind);
      case '%': {
        const site = outer(parent as Node);
        const minus = site.parent;
        return left &&
          minus?.type === 'BinaryExpression' &&
          minus.operator === '-' &&
          minus.right === site &&
          this.isInstant(minus.left)
          ? `${TRUNCATED} (now - now % size)`
          : undefined;
      }
      default:
        return undefined;
    }
  }

  private argument(
    call: ESTree.CallExpression & { parent: Node },
    value: Node,
    kind: Kind,
  ): string | undefined {
    const callee = unwrap(call.callee);
    const name = calleeName(call);
    if (!name) return undefined;
    if (callee.type === 'MemberExpression') {
      const object = unwrap(callee.object);
      const global =
        object.type === 'Identifier' && isGlobal(this.sourceCode, object) ? object.name : undefined;
      if (global === 'Math' && MATH_ROUNDING.has(name)) {
        const site = outer(call);
        if (site.parent?.type === 'BinaryExpression' && site.parent.operator === '*')
          return `${TRUNCATED} (Math.${name}(now / size) * size)`;
        return this.push(call, kind);
      }
      if (KNEX_BETWEEN.test(name)) return QUERY_BOUND;
      if (KNEX_WHERE.has(name) && call.arguments.length === 3 && call.arguments[2] === value) {
        const op = call.arguments[1];
        if (op?.type === 'Literal' && RANGE_OPERATORS.has(String(op.value))) return QUERY_BOUND;
      }
    }
    if (WINDOW_APIS.has(name)) return `passed to ${name}()`;
    if (callee.type === 'Identifier') {
      if (['Number', 'BigInt', 'String'].includes(name) && isGlobal(this.sourceCode, callee))
        return this.push(call, kind);
      const binding = moduleBinding(variableOf(this.sourceCode, callee));
      if (binding && (binding.source === 'date-fns' || binding.source.startsWith('date-fns/'))) {
        const fn = binding.name === 'default' || binding.name === '*' ? name : binding.name;
        if (DATE_FNS_SHIFT.test(fn)) return `shifted with ${fn}()`;
        if (fn.startsWith('add')) return this.push(call, kind);
      }
    }
    return undefined;
  }

  /** A value in an array: a `whereBetween` range, or the parameters of SQL text. */
  private element(array: ESTree.ArrayExpression & { parent: Node }, value: Node): string | undefined {
    const index = array.elements.indexOf(value as ESTree.Expression);
    const site = outer(array as Node);
    const call = site.parent;
    if (call?.type !== 'CallExpression' || !call.arguments.includes(site as ESTree.Expression))
      return undefined;
    const name = calleeName(call);
    if (name && KNEX_BETWEEN.test(name)) return QUERY_BOUND;
    const text = sqlText(call.arguments[0]);
    return text !== undefined && call.arguments[0] !== site && placeholderIsBound(text, index)
      ? QUERY_BOUND
      : undefined;
  }

  /** A `${value}` in a template: a bound when the text is SQL (or the template is tagged) and a range operator precedes it. */
  private templateValue(
    template: ESTree.TemplateLiteral & { parent: Node },
    value: Node,
  ): string | undefined {
    const index = template.expressions.indexOf(value as ESTree.Expression);
    const before = template.quasis
      .slice(0, index + 1)
      .map((q) => q.value.cooked ?? q.value.raw)
      .join('?');
    const tagged = template.parent.type === 'TaggedTemplateExpression';
    const text = template.quasis.map((q) => q.value.raw).join('?');
    return (tagged || LOOKS_LIKE_SQL.test(text)) && BOUND_BEFORE.test(before) ? QUERY_BOUND : undefined;
  }

  private property(property: ESTree.Property & { parent: Node }): string | undefined {
    const key = staticName(property.key, property.computed);
    if (key === 'scheduledTime') return 'used as the scheduled time of a trigger';
    if (key && MONGO_RANGE.has(key)) return QUERY_BOUND;
    if (key === 'from' || key === 'to') {
      const site = outer(property.parent);
      const call = site.parent;
      if (call?.type === 'CallExpression' && calleeName(call) === 'backfill') return 'passed to backfill()';
    }
    return undefined;
  }

  /** A returned value continues at every call of the function (when it is one of this module's). */
  private returned(at: Node, kind: Kind): undefined {
    const fn = at.type === 'ArrowFunctionExpression' ? at : enclosingFunctions(at)[0];
    if (fn) for (const call of callsOf(bindingsOf(this.sourceCode, fn))) this.push(call, kind);
    return undefined;
  }

  /** True when `node` is an instant (so that `x - node` is a duration): a clock read, a parsed date, `d.getTime()`. */
  private isInstant(node: ESTree.Node, depth = 0): boolean {
    const n = unwrap(node);
    if (depth > 8) return false;
    if (clockRead(n, this.sourceCode)) return true;
    switch (n.type) {
      case 'Identifier': {
        const variable = variableOf(this.sourceCode, n);
        return (
          variable?.references.some(
            (r) => r.writeExpr && r.writeExpr !== node && this.isInstant(r.writeExpr, depth + 1),
          ) ?? false
        );
      }
      case 'NewExpression': {
        const callee = unwrap(n.callee);
        return callee.type === 'Identifier' && callee.name === 'Date';
      }
      case 'CallExpression': {
        const callee = unwrap(n.callee);
        const name = calleeName(n);
        if (callee.type === 'MemberExpression') {
          const object = unwrap(callee.object);
          if (object.type === 'Identifier' && object.name === 'Date')
            return name === 'parse' || name === 'UTC';
          return ['getTime', 'valueOf', 'toMillis', 'unix'].includes(name ?? '');
        }
        return name === 'Number' && n.arguments[0] !== undefined && this.isInstant(n.arguments[0], depth + 1);
      }
      case 'UnaryExpression':
        return n.operator === '+' && this.isInstant(n.argument, depth + 1);
      case 'BinaryExpression':
        return (
          (n.operator === '/' || n.operator === '*') &&
          this.isInstant(n.left, depth + 1) &&
          isConstantNumber(this.sourceCode, n.right)
        );
      default:
        return false;
    }
  }
}

/** A number known without running anything: `60_000`, `5 * 60 * 1000`, `const MINUTE = 60_000`. */
function isConstantNumber(sourceCode: SourceCode, node: ESTree.Node, depth = 0): boolean {
  const n = unwrap(node);
  if (depth > 8) return false;
  switch (n.type) {
    case 'Literal':
      return typeof n.value === 'number' || typeof n.value === 'bigint';
    case 'UnaryExpression':
      return (
        (n.operator === '-' || n.operator === '+') && isConstantNumber(sourceCode, n.argument, depth + 1)
      );
    case 'BinaryExpression':
      return (
        ['+', '-', '*', '/', '%', '**'].includes(n.operator) &&
        isConstantNumber(sourceCode, n.left, depth + 1) &&
        isConstantNumber(sourceCode, n.right, depth + 1)
      );
    case 'Identifier': {
      const def = variableOf(sourceCode, n)?.defs[0];
      return (
        def?.type === 'Variable' &&
        def.parent.kind === 'const' &&
        !!def.node.init &&
        isConstantNumber(sourceCode, def.node.init, depth + 1)
      );
    }
    default:
      return false;
  }
}

function isTextual(node: ESTree.Node): boolean {
  return (node.type === 'Literal' && typeof node.value === 'string') || node.type === 'TemplateLiteral';
}

/** The text of SQL given as a string or an untagged template, if it looks like SQL. */
function sqlText(node: ESTree.Node | undefined): string | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  const text =
    n.type === 'Literal' && typeof n.value === 'string'
      ? n.value
      : n.type === 'TemplateLiteral'
        ? n.quasis.map((q) => q.value.raw).join(' ')
        : undefined;
  return text !== undefined && LOOKS_LIKE_SQL.test(text) ? text : undefined;
}

/** True when parameter `index` (0-based) of SQL text is a range bound: `$n` placeholders, else `?`. */
function placeholderIsBound(text: string, index: number): boolean {
  const numbered = new RegExp(`\\$${index + 1}(?!\\d)`).exec(text);
  if (numbered) return BOUND_BEFORE.test(text.slice(0, numbered.index));
  let at = -1;
  for (let i = 0; i <= index; i++) {
    at = text.indexOf('?', at + 1);
    if (at < 0) return false;
  }
  return BOUND_BEFORE.test(text.slice(0, at));
}
