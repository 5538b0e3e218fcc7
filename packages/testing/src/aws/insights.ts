/**
 * Just enough of the CloudWatch Logs Insights query language to check what windowed's compiler
 * emits against real semantics: `filter` (comparisons, `in [...]`, `and`/`or`/`not`, `ispresent`,
 * `toMillis`), `stats` with count / count_distinct / sum / min / max / avg `by` fields and `bin()`,
 * and the documented two-`stats` rules (at most two; the second sees only what the first defines).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Stats.html
 * Anything else is a MalformedQueryException, so a compiler that drifts is caught.
 */

export class InsightsSyntaxError extends Error {}

/** A log event as the query sees it: discovered fields plus the JSON message's (flattened) fields. */
export type InsightsRecord = Record<string, unknown>;

type Token =
  | { t: 'num'; v: number; raw: string }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string; quoted: boolean }
  | { t: 'op'; v: string };

type Expr =
  | { k: 'lit'; v: unknown }
  | { k: 'field'; name: string }
  | { k: 'call'; fn: string; args: Expr[]; star?: boolean }
  | { k: 'bin'; ms: number }
  | { k: 'cmp'; op: string; l: Expr; r: Expr }
  | { k: 'in'; l: Expr; list: Expr[] }
  | { k: 'and' | 'or'; l: Expr; r: Expr }
  | { k: 'not'; e: Expr };

interface Named {
  expr: Expr;
  name: string;
}

type Command = { cmd: 'filter'; expr: Expr } | { cmd: 'stats'; aggs: Named[]; by: Named[] };

const AGGREGATES = new Set(['count', 'count_distinct', 'sum', 'min', 'max', 'avg']);
const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') {
          const next = text[i + 1];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : (next ?? '');
          i += 2;
        } else value += text[i++];
      }
      if (text[i] !== c) throw new InsightsSyntaxError('Unterminated string literal.');
      i++;
      tokens.push({ t: 'str', v: value });
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw new InsightsSyntaxError('Unterminated backtick.');
      tokens.push({ t: 'id', v: text.slice(i + 1, end), quoted: true });
      i = end + 1;
    } else if (/\d/.test(c)) {
      const m = /^\d+(\.\d+)?/.exec(text.slice(i))![0];
      tokens.push({ t: 'num', v: Number(m), raw: m });
      i += m.length;
    } else if (/[A-Za-z_@]/.test(c)) {
      const m = /^[A-Za-z_@][A-Za-z0-9_.@]*/.exec(text.slice(i))![0];
      tokens.push({ t: 'id', v: m, quoted: false });
      i += m.length;
    } else {
      const two = text.slice(i, i + 2);
      if (['!=', '<=', '>='].includes(two)) {
        tokens.push({ t: 'op', v: two });
        i += 2;
      } else if ('=<>()[],*|-/'.includes(c)) {
        tokens.push({ t: 'op', v: c });
        i++;
      } else throw new InsightsSyntaxError(`Unexpected character ${JSON.stringify(c)}.`);
    }
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(): Token {
    const token = this.tokens[this.i++];
    if (!token) throw new InsightsSyntaxError('Unexpected end of query.');
    return token;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === 'op' && t.v === v;
  }
  isWord(v: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && !t.quoted && t.v.toLowerCase() === v;
  }
  expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new InsightsSyntaxError(`Expected "${v}".`);
  }

  expr(): Expr {
    let left = this.and();
    while (this.isWord('or')) {
      this.next();
      left = { k: 'or', l: left, r: this.and() };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isWord('and')) {
      this.next();
      left = { k: 'and', l: left, r: this.not() };
    }
    return left;
  }
  private not(): Expr {
    if (this.isWord('not')) {
      this.next();
      return { k: 'not', e: this.not() };
    }
    return this.comparison();
  }
  private comparison(): Expr {
    const left = this.primary();
    const t = this.peek();
    if (t?.t === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { k: 'cmp', op: t.v, l: left, r: this.primary() };
    }
    if (this.isWord('in')) {
      this.next();
      this.expectOp('[');
      const list: Expr[] = [];
      while (!this.isOp(']')) {
        list.push(this.primary());
        if (!this.isOp(']')) this.expectOp(',');
      }
      this.expectOp(']');
      return { k: 'in', l: left, list };
    }
    return left;
  }
  primary(): Expr {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '-') {
      const n = this.next();
      if (n.t !== 'num') throw new InsightsSyntaxError('Expected a number after "-".');
      return { k: 'lit', v: -n.v };
    }
    if (t.t === 'op' && t.v === '(') {
      const inner = this.expr();
      this.expectOp(')');
      return inner;
    }
    if (t.t !== 'id') throw new InsightsSyntaxError(`Unexpected "${t.v}".`);
    if (!t.quoted && (t.v === 'true' || t.v === 'false')) return { k: 'lit', v: t.v === 'true' };
    if (!t.quoted && this.isOp('(')) return this.call(t.v.toLowerCase());
    return { k: 'field', name: t.v };
  }
  private call(fn: string): Expr {
    this.expectOp('(');
    if (fn === 'bin') {
      const n = this.next();
      const unit = this.next();
      if (n.t !== 'num' || unit.t !== 'id' || !(unit.v.replace(/s$/, '') in UNIT_MS)) {
        throw new InsightsSyntaxError('bin() takes a period such as 1m, 5m, 1h.');
      }
      this.expectOp(')');
      return { k: 'bin', ms: n.v * UNIT_MS[unit.v.replace(/s$/, '')]! };
    }
    if (this.isOp('*')) {
      this.next();
      this.expectOp(')');
      return { k: 'call', fn, args: [], star: true };
    }
    const args: Expr[] = [];
    while (!this.isOp(')')) {
      args.push(this.expr());
      if (!this.isOp(')')) this.expectOp(',');
    }
    this.expectOp(')');
    return { k: 'call', fn, args };
  }
  /** `expr [as alias]`; without alias, the result field is named after the expression's text. */
  named(text: (from: number, to: number) => string): Named {
    const from = this.i;
    const expr = this.primary();
    const to = this.i;
    if (this.isWord('as')) {
      this.next();
      const alias = this.next();
      if (alias.t !== 'id') throw new InsightsSyntaxError('Expected an alias after "as".');
      return { expr, name: alias.v };
    }
    return { expr, name: expr.k === 'field' ? expr.name : text(from, to) };
  }
}

function tokenText(tokens: Token[], from: number, to: number): string {
  return tokens
    .slice(from, to)
    .map((t) =>
      t.t === 'str'
        ? JSON.stringify(t.v)
        : t.t === 'num'
          ? t.raw
          : t.t === 'id' && t.quoted
            ? `\`${t.v}\``
            : t.v,
    )
    .join('')
    .replace(/,/g, ', ');
}

export function parseInsightsQuery(text: string): Command[] {
  const tokens = tokenize(text);
  const parts: Token[][] = [[]];
  for (const token of tokens) {
    if (token.t === 'op' && token.v === '|') parts.push([]);
    else parts[parts.length - 1]!.push(token);
  }
  const commands = parts.map((part): Command => {
    const parser = new Parser(part);
    const head = parser.next();
    if (head.t !== 'id') throw new InsightsSyntaxError('Expected a command.');
    const name = head.v.toLowerCase();
    let command: Command;
    if (name === 'filter') command = { cmd: 'filter', expr: parser.expr() };
    else if (name === 'stats') {
      const aggs: Named[] = [];
      const by: Named[] = [];
      const text = (a: number, b: number) => tokenText(part, a, b);
      do {
        if (aggs.length) parser.expectOp(',');
        const agg = parser.named(text);
        if (agg.expr.k !== 'call' || !AGGREGATES.has(agg.expr.fn))
          throw new InsightsSyntaxError('stats expects aggregation functions.');
        aggs.push(agg);
      } while (parser.isOp(','));
      if (parser.isWord('by')) {
        parser.next();
        do {
          if (by.length) parser.expectOp(',');
          by.push(parser.named(text));
        } while (parser.isOp(','));
      }
      command = { cmd: 'stats', aggs, by };
    } else throw new InsightsSyntaxError(`The loopback does not implement the "${name}" command.`);
    if (!parser.done) throw new InsightsSyntaxError(`Unexpected "${String(parser.peek()?.v)}" in ${name}.`);
    return command;
  });
  const stats = commands.filter((c) => c.cmd === 'stats') as Array<Extract<Command, { cmd: 'stats' }>>;
  if (stats.length > 2) throw new InsightsSyntaxError('A query can have a maximum of two stats commands.');
  if (stats.length === 2) {
    const defined = new Set([...stats[0]!.aggs, ...stats[0]!.by].map((n) => n.name));
    for (const named of [...stats[1]!.aggs, ...stats[1]!.by]) {
      for (const field of fieldsIn(named.expr)) {
        if (!defined.has(field)) {
          throw new InsightsSyntaxError(
            `In the second stats command you can refer only to fields defined in the first: ${field}.`,
          );
        }
      }
      if (containsBin(named.expr))
        throw new InsightsSyntaxError('bin() cannot be used in the second stats command.');
    }
  }
  return commands;
}

function fieldsIn(expr: Expr): string[] {
  switch (expr.k) {
    case 'field':
      return [expr.name];
    case 'call':
      return expr.args.flatMap(fieldsIn);
    case 'cmp':
    case 'and':
    case 'or':
      return [...fieldsIn(expr.l), ...fieldsIn(expr.r)];
    case 'in':
      return [...fieldsIn(expr.l), ...expr.list.flatMap(fieldsIn)];
    case 'not':
      return fieldsIn(expr.e);
    default:
      return [];
  }
}

function containsBin(expr: Expr): boolean {
  return expr.k === 'bin' || (expr.k === 'call' && expr.args.some(containsBin));
}

/** Runs a parsed query over records; result values are strings, as GetQueryResults returns them. */
export function evaluateInsightsQuery(
  commands: Command[],
  records: InsightsRecord[],
): Array<Record<string, string>> {
  let rows = records;
  let aggregated = false;
  for (const command of commands) {
    if (command.cmd === 'filter') rows = rows.filter((row) => truthy(evaluate(command.expr, row)));
    else {
      rows = aggregate(command, rows);
      aggregated = true;
    }
  }
  if (!aggregated) rows = rows.map((r) => ({ '@timestamp': r['@timestamp'], '@message': r['@message'] }));
  return rows.map((row) => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(row))
      if (value !== undefined && value !== null) out[key] = format(value);
    return out;
  });
}

function aggregate(command: Extract<Command, { cmd: 'stats' }>, rows: InsightsRecord[]): InsightsRecord[] {
  const groups = new Map<string, { keys: unknown[]; rows: InsightsRecord[] }>();
  for (const row of rows) {
    const keys = command.by.map((b) => evaluate(b.expr, row) ?? null);
    const id = JSON.stringify(keys.map((k) => (k instanceof Date ? k.getTime() : k)));
    const group = groups.get(id) ?? { keys, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  return [...groups.values()].map(({ keys, rows: members }) => {
    const out: InsightsRecord = {};
    command.by.forEach((b, i) => {
      out[b.name] = keys[i];
    });
    for (const agg of command.aggs)
      out[agg.name] = aggregateValue(agg.expr as Extract<Expr, { k: 'call' }>, members);
    return out;
  });
}

function aggregateValue(call: Extract<Expr, { k: 'call' }>, rows: InsightsRecord[]): unknown {
  if (call.fn === 'count' && (call.star || call.args.length === 0)) return rows.length;
  const arg = call.args[0];
  if (!arg) throw new InsightsSyntaxError(`${call.fn}() needs a field.`);
  const values = rows.map((r) => evaluate(arg, r)).filter((v) => v !== undefined && v !== null);
  switch (call.fn) {
    case 'count':
      return values.length;
    case 'count_distinct':
      return new Set(values.map((v) => JSON.stringify(v))).size;
    case 'sum':
      return values.length ? values.reduce((a: number, v) => a + Number(v), 0) : null;
    case 'avg':
      return values.length ? values.reduce((a: number, v) => a + Number(v), 0) / values.length : null;
    case 'min':
    case 'max': {
      if (!values.length) return null;
      const numeric = values.every((v) => typeof v === 'number');
      return values.reduce((best, v) =>
        (call.fn === 'min') === (numeric ? Number(v) < Number(best) : String(v) < String(best)) ? v : best,
      );
    }
  }
  throw new InsightsSyntaxError(`Unknown aggregation ${call.fn}.`);
}

function evaluate(expr: Expr, row: InsightsRecord): unknown {
  switch (expr.k) {
    case 'lit':
      return expr.v;
    case 'field':
      return row[expr.name];
    case 'bin': {
      const ts = row['@timestamp'];
      if (!(ts instanceof Date)) throw new InsightsSyntaxError('bin() needs @timestamp.');
      return new Date(Math.floor(ts.getTime() / expr.ms) * expr.ms);
    }
    case 'call': {
      const [arg] = expr.args;
      if (expr.fn === 'ispresent') {
        const value = arg ? evaluate(arg, row) : undefined;
        return value !== undefined && value !== null;
      }
      if (expr.fn === 'tomillis') {
        const value = arg ? evaluate(arg, row) : undefined;
        return value instanceof Date ? value.getTime() : undefined;
      }
      throw new InsightsSyntaxError(`The loopback does not implement ${expr.fn}() here.`);
    }
    case 'cmp':
      return compare(expr.op, evaluate(expr.l, row), evaluate(expr.r, row));
    case 'in': {
      const value = evaluate(expr.l, row);
      return expr.list.some((item) => compare('=', value, evaluate(item, row)));
    }
    case 'and':
      return truthy(evaluate(expr.l, row)) && truthy(evaluate(expr.r, row));
    case 'or':
      return truthy(evaluate(expr.l, row)) || truthy(evaluate(expr.r, row));
    case 'not':
      return !truthy(evaluate(expr.e, row));
  }
}

/** A missing field compares false (even with !=), like SQL's NULL. */
function compare(op: string, left: unknown, right: unknown): boolean {
  if (left === undefined || left === null || right === undefined || right === null) return false;
  const l = left instanceof Date ? left.getTime() : left;
  const r = right instanceof Date ? right.getTime() : right;
  const numeric = typeof l === 'number' || typeof r === 'number';
  const a = numeric ? Number(l) : String(l);
  const b = numeric ? Number(r) : String(r);
  if (numeric && (Number.isNaN(a) || Number.isNaN(b))) return op === '!=';
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
  return false;
}

function truthy(value: unknown): boolean {
  return value === true;
}

/** `2026-11-27 10:01:00.000`, the way Insights prints timestamps. */
function format(value: unknown): string {
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  return typeof value === 'string' ? value : String(value);
}
