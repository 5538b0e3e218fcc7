import type { Source } from '../sources/types.js';
import type { Window } from '../window/types.js';

export type Metric =
  | { readonly kind: 'count' }
  | { readonly kind: 'countDistinct'; readonly field: string; readonly approximate: boolean }
  | { readonly kind: 'sum' | 'min' | 'max'; readonly field: string };

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
export type FilterScalar = string | number | boolean | null;

export interface Filter {
  field: string;
  op: FilterOp;
  value: FilterScalar | FilterScalar[];
}

/** The declarative query every source compiles to its own engine. */
export interface DeclarativeQuery {
  metrics: Record<string, Metric>;
  where?: Filter[];
  groupBy?: string[];
}

/** A result row: group-by fields and metric values. */
export type Row = Record<string, string | number | null>;

export interface QueryFnArgs {
  window: Window;
  source: Source | undefined;
  signal: AbortSignal;
}

/** The functional escape hatch: return the rows for one window. */
export type QueryFn = (args: QueryFnArgs) => Promise<Array<Record<string, unknown>>>;
