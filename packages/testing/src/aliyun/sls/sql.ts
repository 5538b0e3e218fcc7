/**
 * Just enough of SLS's SQL to parse what windowed's SLS compiler emits: SELECT with aliases, WHERE
 * (AND/OR/NOT, comparisons, IN, IS [NOT] NULL), GROUP BY (expressions or select aliases), LIMIT;
 * count(*), count(DISTINCT x), approx_distinct, sum, min, max, try_cast(x AS double|bigint),
 * + - * / %. Evaluation is in `evaluate.ts`, the `search | SQL` query around it in `query.ts`.
 */

export type LogRow = Record<string, string> & { __time__?: string };
export type Value = string | number | boolean | null;

export class SlsQueryError extends Error {
  override readonly name = 'SlsQueryError';
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'ident'; text: string; quoted: boolean; at: number }
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
      tokens.push({ kind: 'ident', text: sql.slice(i + 1, end), quoted: true, at: i });
      i = end + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0], quoted: false, at: i });
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

export type Expr =
  | { t: 'lit'; value: Value }
  /** `at`: the field's offset in the SQL text, for SLS's `line 1:<column>` messages. */
  | { t: 'field'; name: string; quoted: boolean; at: number }
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
      // "If you use LIMIT x, the valid values of x are [0,1000000]": SLS never returns more rows
      // than that. https://www.alibabacloud.com/help/en/sls/limit-clause (the refusal's wording is
      // not documented).
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
    if (t.quoted) return { t: 'field', name: t.text, quoted: true, at: t.at };
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
    return { t: 'field', name: t.text, quoted: false, at: t.at };
  }
}

export function parseSelect(sql: string): SelectStatement {
  return new Parser(tokenize(sql), sql).statement();
}

/**
 * The log fields a statement reads, in order of appearance. A GROUP BY name that is a select alias
 * (`GROUP BY window_start`) is the alias, not a field.
 */
export function fieldsOf(statement: SelectStatement): Array<Extract<Expr, { t: 'field' }>> {
  const aliases = new Set(statement.items.map((i) => i.name));
  const found: Array<Extract<Expr, { t: 'field' }>> = [];
  const walk = (expr: Expr | '*' | undefined): void => {
    if (expr === undefined || expr === '*') return;
    switch (expr.t) {
      case 'field':
        found.push(expr);
        return;
      case 'unary':
      case 'cast':
      case 'isnull':
      case 'agg':
        walk(expr.arg);
        return;
      case 'in':
        walk(expr.arg);
        for (const e of expr.list) walk(e);
        return;
      case 'bin':
        walk(expr.left);
        walk(expr.right);
        return;
      default:
        return;
    }
  };
  for (const item of statement.items) walk(item.expr);
  walk(statement.where);
  for (const e of statement.groupBy) if (!(e.t === 'field' && !e.quoted && aliases.has(e.name))) walk(e);
  return found.sort((a, b) => a.at - b.at);
}
