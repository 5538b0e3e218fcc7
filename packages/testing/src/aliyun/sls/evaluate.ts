/**
 * Evaluates a parsed SELECT over log rows the way SLS does, types included: comparing text with a
 * number is an error, so a compiler that forgets a cast fails here as it would in the cloud.
 */

import { type Expr, type LogRow, type SelectStatement, SlsQueryError, type Value } from './sql.js';

function typeOf(v: Value): string {
  return v === null
    ? 'null'
    : typeof v === 'number'
      ? 'number'
      : typeof v === 'boolean'
        ? 'boolean'
        : 'varchar';
}

function fieldValue(row: LogRow, name: string): Value {
  if (name === '__time__') return row.__time__ === undefined ? null : Number(row.__time__);
  const v = row[name];
  return v === undefined ? null : v;
}

function castValue(v: Value, type: string): Value {
  if (v === null) return null;
  if (type === 'varchar') return String(v);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) return null;
  if (type === 'bigint') return Number.isInteger(n) ? n : null;
  return n;
}

function compare(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (typeof a !== typeof b)
    throw new SlsQueryError(`'${op}' cannot be applied to ${typeOf(a)}, ${typeOf(b)}`);
  const c = a < b ? -1 : a > b ? 1 : 0;
  switch (op) {
    case '=':
      return c === 0;
    case '<>':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

function arithmetic(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (typeof a !== 'number' || typeof b !== 'number')
    throw new SlsQueryError(`'${op}' cannot be applied to ${typeOf(a)}, ${typeOf(b)}`);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b;
    default:
      return a % b;
  }
}

/** Evaluates a scalar expression over one row (aggregates resolved through `aggs`). */
function evaluate(expr: Expr, row: LogRow, aggs?: Map<Expr, Value>): Value {
  switch (expr.t) {
    case 'lit':
      return expr.value;
    case 'field':
      return fieldValue(row, expr.name);
    case 'cast':
      return castValue(evaluate(expr.arg, row, aggs), expr.type);
    case 'unary': {
      const v = evaluate(expr.arg, row, aggs);
      if (expr.op === 'not') return v === null ? null : !v;
      if (v === null) return null;
      if (typeof v !== 'number') throw new SlsQueryError(`'-' cannot be applied to ${typeOf(v)}`);
      return -v;
    }
    case 'in': {
      const v = evaluate(expr.arg, row, aggs);
      if (v === null) return null;
      return expr.list.some((item) => compare('=', v, evaluate(item, row, aggs)) === true);
    }
    case 'isnull': {
      const isNull = evaluate(expr.arg, row, aggs) === null;
      return expr.not ? !isNull : isNull;
    }
    case 'bin': {
      if (expr.op === 'and' || expr.op === 'or') {
        const a = evaluate(expr.left, row, aggs);
        const b = evaluate(expr.right, row, aggs);
        if (expr.op === 'and')
          return a === false || b === false ? false : a === null || b === null ? null : true;
        return a === true || b === true ? true : a === null || b === null ? null : false;
      }
      const a = evaluate(expr.left, row, aggs);
      const b = evaluate(expr.right, row, aggs);
      return ['=', '<>', '<', '<=', '>', '>='].includes(expr.op)
        ? compare(expr.op, a, b)
        : arithmetic(expr.op, a, b);
    }
    case 'agg': {
      if (!aggs?.has(expr)) throw new SlsQueryError(`aggregate ${expr.fn} is not allowed here`);
      return aggs.get(expr)!;
    }
  }
}

function collectAggregates(expr: Expr, out: Array<Extract<Expr, { t: 'agg' }>>): void {
  switch (expr.t) {
    case 'agg':
      out.push(expr);
      return;
    case 'unary':
    case 'cast':
    case 'isnull':
      collectAggregates(expr.arg, out);
      return;
    case 'in':
      collectAggregates(expr.arg, out);
      for (const e of expr.list) collectAggregates(e, out);
      return;
    case 'bin':
      collectAggregates(expr.left, out);
      collectAggregates(expr.right, out);
      return;
    default:
      return;
  }
}

function aggregate(agg: Extract<Expr, { t: 'agg' }>, rows: LogRow[]): Value {
  if (agg.arg === '*') return rows.length;
  const arg = agg.arg;
  const values = rows.map((r) => evaluate(arg, r)).filter((v): v is Exclude<Value, null> => v !== null);
  switch (agg.fn) {
    case 'count':
      return agg.distinct ? new Set(values.map((v) => `${typeof v}:${String(v)}`)).size : values.length;
    case 'approx_distinct':
      return new Set(values.map((v) => `${typeof v}:${String(v)}`)).size;
    default: {
      if (values.length === 0) return null;
      for (const v of values)
        if (typeof v !== 'number')
          throw new SlsQueryError(`${agg.fn}(${typeOf(v)}) is not supported; cast it first`);
      const nums = values as number[];
      if (agg.fn === 'sum') return nums.reduce((a, b) => a + b, 0);
      if (agg.fn === 'avg') return nums.reduce((a, b) => a + b, 0) / nums.length;
      return agg.fn === 'min' ? Math.min(...nums) : Math.max(...nums);
    }
  }
}

function render(v: Value): string {
  if (v === null) return 'null';
  return String(v);
}

/** Runs `SELECT …` over rows already filtered by time and search. Values come back as strings, as SLS sends them. */
export function runSelect(statement: SelectStatement, rows: LogRow[]): Array<Record<string, string>> {
  const filtered = statement.where ? rows.filter((r) => evaluate(statement.where!, r) === true) : rows;
  const aggs: Array<Extract<Expr, { t: 'agg' }>> = [];
  for (const item of statement.items) collectAggregates(item.expr, aggs);
  // GROUP BY may name a select alias (SLS allows it: `GROUP BY minute`).
  const groupExprs = statement.groupBy.map((e) => {
    if (e.t === 'field' && !e.quoted) return statement.items.find((i) => i.name === e.name)?.expr ?? e;
    return e;
  });
  let out: Array<Record<string, string>>;
  if (aggs.length === 0 && groupExprs.length === 0) {
    out = filtered.map((r) =>
      Object.fromEntries(statement.items.map((i) => [i.name, render(evaluate(i.expr, r))])),
    );
  } else {
    const groups = new Map<string, LogRow[]>();
    for (const r of filtered) {
      const key = JSON.stringify(groupExprs.map((e) => evaluate(e, r)));
      const list = groups.get(key) ?? [];
      list.push(r);
      groups.set(key, list);
    }
    // An aggregate without GROUP BY answers one row even over no input.
    if (groupExprs.length === 0 && groups.size === 0) groups.set('[]', []);
    out = [...groups.values()].map((members) => {
      const values = new Map<Expr, Value>(aggs.map((a) => [a, aggregate(a, members)]));
      const sample = members[0] ?? ({} as LogRow);
      return Object.fromEntries(
        statement.items.map((i) => [i.name, render(evaluate(i.expr, sample, values))]),
      );
    });
  }
  // Like SLS: 100 rows unless LIMIT says otherwise.
  return out.slice(0, statement.limit ?? 100);
}
