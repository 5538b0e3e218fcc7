import type { WindowedError } from '../errors.js';
import type { Row } from '../query/types.js';
import type { Window } from '../window/types.js';

export interface VerifyOptions {
  /** Start of the range (inclusive): an ISO-8601 instant with a zone, or a Date. */
  from: Date | string;
  /** End of the range (exclusive). */
  to: Date | string;
  /** Check only this many windows, evenly spread over the range (the first and last included). */
  sample?: number;
  signal?: AbortSignal;
}

/**
 * One group of a window whose stored row is not what the source gives now: `stored` is null when the
 * sink lacks the group, `expected` null when the sink has a group the source no longer gives.
 */
export interface GroupDifference {
  /** The group's dimension values as the sink stores them (text or null); empty for an ungrouped query. */
  group: Record<string, string | null>;
  expected: Row | null;
  stored: Row | null;
  /** The metrics whose values differ (all of them for a missing or extra group). */
  metrics: string[];
}

export interface WindowDrift {
  window: Window;
  /** The sink holds no row of this window while the source gives some. */
  missing: boolean;
  differences: GroupDifference[];
}

export interface VerifyResult {
  job: string;
  from: Date;
  to: Date;
  /** Windows in the range. */
  total: number;
  /** Windows recomputed and compared (`total`, or the sample). */
  checked: number;
  /** Windows whose stored rows differ from a recomputation, oldest first. */
  drifted: WindowDrift[];
  /** Windows that could not be recomputed: neither proven right nor wrong. */
  failed: Array<{ window: Window; error: WindowedError }>;
}
