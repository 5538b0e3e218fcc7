/**
 * Just enough of SLS's `search | SQL` to evaluate what windowed's SLS compiler emits, over rows a
 * test puts in: SELECT with aliases, WHERE (AND/OR/NOT, comparisons, IN, IS [NOT] NULL), GROUP BY
 * (expressions or select aliases), LIMIT; count(*), count(DISTINCT x), approx_distinct, sum, min,
 * max, try_cast(x AS double|bigint), + - * / %. Types are checked the way SLS does: comparing text
 * with a number is an error, so a compiler that forgets a cast fails here as it would in the cloud.
 */

export type LogRow = Record<string, string> & { __time__?: string };
type Value = string | number | boolean | null;

export class SlsQueryError extends Error {
  override readonly name = 'SlsQueryError';
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'ident'; text: string; quoted: boolean }
  | { kind: 'string'; text: string }
  | { kind: 'number'; value: number }
  | { kind: 'op'; text: string }
  | { kind: 'eof' };

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SlsQueryError('unterminated string literal');
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i++];
      }
      tokens.push({ kind: 'string', text });
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) throw new SlsQueryError('unterminated quoted identifier');
      tokens.push({ kind: 'ident', text: sql.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], quoted: false });
      i += m[0].length;
    } else {
      const two = sql.slice(i, i + 2);
      if (['<=', '>=', '<>', '!='].includes(two)) {
        tokens.push({ kind: 'op', text: two });
        i += 2;
      } else if ('=<>(),*+-/%'.includes(c)) {
        tokens.push({ kind: 'op', text: c });
        i++;
      } else throw new SlsQueryError(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ kind: 'eof' });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Syntax

type Expr =
  | { t: 'lit'; value: Value }
  | { t: 'field'; name: string; quoted: boolean }
  | { t: 'unary'; op: string; arg: Expr }
  | { t: 'bin'; op: string; left: Expr; right: Expr }
  | { t: 'in'; arg: Expr; list: Expr[] }
  | { t: 'isnull'; arg: Expr; not: boolean }
  | { t: 'cast'; arg: Expr; type: string }
  | { t: 'agg'; fn: string; arg: Expr | '*'; distinct: boolean };

export interface SelectStatement {
  items: Array<{ expr: Expr; name: string }>;
  where?: Expr;
  groupBy: Expr[];
  limit?: number;
}

const KEYWORDS = new Set([
  'select',
  'from',
  'where',
  'group',
  'by',
  'limit',
  'and',
  'or',
  'not',
  'in',
  'is',
  'null',
  'as',
  'distinct',
  'order',
  'true',
  'false',
]);
const AGGREGATES = new Set(['count', 'approx_distinct', 'sum', 'min', 'max', 'avg']);

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && !t.quoted && t.text.toLowerCase() === word;
  }
  private acceptKeyword(word: string): boolean {
    if (this.isKeyword(word)) {
      this.pos++;
      return true;
    }
    return false;
  }
  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) this.fail(`expected ${word.toUpperCase()}`);
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }
  private acceptOp(text: string): boolean {
    if (this.isOp(text)) {
      this.pos++;
      return true;
    }
    return false;
  }
  private expectOp(text: string): void {
    if (!this.acceptOp(text)) this.fail(`expected "${text}"`);
  }
  private fail(message: string): never {
    throw new SlsQueryError(`line 1: ${message} near token ${this.pos} in: ${this.source}`);
  }

  statement(): SelectStatement {
    this.expectKeyword('select');
    const items: SelectStatement['items'] = [];
    do {
      const start = this.pos;
      const expr = this.expr();
      let name: string;
      if (this.acceptKeyword('as')) {
        const alias = this.next();
        if (alias.kind !== 'ident') this.fail('expected an alias');
        name = alias.text;
      } else name = expr.t === 'field' ? expr.name : `_col${start}`;
      items.push({ expr, name });
    } while (this.acceptOp(','));
    if (this.acceptKeyword('from')) {
      const table = this.next();
      if (table.kind !== 'ident' || table.text !== 'log') this.fail('only FROM log is supported');
    }
    const statement: SelectStatement = { items, groupBy: [] };
    if (this.acceptKeyword('where')) statement.where = this.expr();
    if (this.acceptKeyword('group')) {
      this.expectKeyword('by');
      do statement.groupBy.push(this.expr());
      while (this.acceptOp(','));
    }
    if (this.acceptKeyword('limit')) {
      const n = this.next();
      if (n.kind !== 'number') this.fail('expected a number after LIMIT');
      if (n.value > 1_000_000) this.fail('LIMIT exceeds 1000000');
      statement.limit = n.value;
    }
    if (this.peek().kind !== 'eof') this.fail('unexpected trailing input');
    return statement;
  }

  private expr(): Expr {
    let left = this.and();
    while (this.acceptKeyword('or')) left = { t: 'bin', op: 'or', left, right: this.and() };
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.acceptKeyword('and')) left = { t: 'bin', op: 'and', left, right: this.not() };
    return left;
  }
  private not(): Expr {
    if (this.acceptKeyword('not')) return { t: 'unary', op: 'not', arg: this.not() };
    return this.comparison();
  }
  private comparison(): Expr {
    const left = this.additive();
    const t = this.peek();
    if (t.kind === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      this.pos++;
      return { t: 'bin', op: t.text === '!=' ? '<>' : t.text, left, right: this.additive() };
    }
    if (this.acceptKeyword('in')) {
      this.expectOp('(');
      const list: Expr[] = [];
      do list.push(this.additive());
      while (this.acceptOp(','));
      this.expectOp(')');
      return { t: 'in', arg: left, list };
    }
    if (this.acceptKeyword('is')) {
      const not = this.acceptKeyword('not');
      this.expectKeyword('null');
      return { t: 'isnull', arg: left, not };
    }
    return left;
  }
  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
        this.pos++;
        left = { t: 'bin', op: t.text, left, right: this.multiplicative() };
      } else return left;
    }
  }
  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.pos++;
        left = { t: 'bin', op: t.text, left, right: this.unary() };
      } else return left;
    }
  }
  private unary(): Expr {
    if (this.acceptOp('-')) return { t: 'unary', op: '-', arg: this.unary() };
    return this.primary();
  }
  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'number') return { t: 'lit', value: t.value };
    if (t.kind === 'string') return { t: 'lit', value: t.text };
    if (t.kind === 'op' && t.text === '(') {
      const e = this.expr();
      this.expectOp(')');
      return e;
    }
    if (t.kind !== 'ident') this.fail('expected an expression');
    if (t.quoted) return { t: 'field', name: t.text, quoted: true };
    const lower = t.text.toLowerCase();
    if (lower === 'null') return { t: 'lit', value: null };
    if (lower === 'true' || lower === 'false') return { t: 'lit', value: lower === 'true' };
    if (this.isOp('(')) {
      this.pos++;
      if (lower === 'try_cast' || lower === 'cast') {
        const arg = this.expr();
        this.expectKeyword('as');
        const type = this.next();
        if (type.kind !== 'ident' || !['double', 'bigint', 'varchar'].includes(type.text.toLowerCase()))
          this.fail('unsupported cast type');
        this.expectOp(')');
        return { t: 'cast', arg, type: type.text.toLowerCase() };
      }
      if (!AGGREGATES.has(lower)) this.fail(`unknown function ${t.text}`);
      if (this.acceptOp('*')) {
        if (lower !== 'count') this.fail(`${lower}(*) is not a function`);
        this.expectOp(')');
        return { t: 'agg', fn: lower, arg: '*', distinct: false };
      }
      const distinct = this.acceptKeyword('distinct');
      const arg = this.expr();
      this.expectOp(')');
      return { t: 'agg', fn: lower, arg, distinct };
    }
    if (KEYWORDS.has(lower)) this.fail(`unexpected keyword ${t.text}`);
    return { t: 'field', name: t.text, quoted: false };
  }
}

export function parseSelect(sql: string): SelectStatement {
  return new Parser(tokenize(sql), sql).statement();
}

// ---------------------------------------------------------------------------------------------
// Search statement: `*`, or `field: value` terms joined by `and`.

export function matchesSearch(search: string, row: LogRow): boolean {
  const text = search.trim();
  if (text === '' || text === '*') return true;
  return text.split(/\s+and\s+/i).every((term) => {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*"?([^"]*)"?$/.exec(term.trim());
    if (!m) throw new SlsQueryError(`unsupported search term ${JSON.stringify(term)}`);
    return row[m[1]!] === m[2];
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluation

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

/** `search | SELECT …` over rows in `[from, to)` (epoch seconds of `__time__`). */
export function runSlsQuery(
  query: string,
  rows: LogRow[],
  from: number,
  to: number,
): { sql: boolean; data: Array<Record<string, string>> } {
  const bar = query.indexOf('|');
  const search = bar < 0 ? query : query.slice(0, bar);
  const inRange = rows.filter((r) => {
    const t = Number(r.__time__);
    return t >= from && t < to && matchesSearch(search, r);
  });
  if (bar < 0) return { sql: false, data: inRange.map((r) => ({ ...r })) };
  return { sql: true, data: runSelect(parseSelect(query.slice(bar + 1).trim()), inRange) };
}
