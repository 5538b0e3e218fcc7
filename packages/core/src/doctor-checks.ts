import { describeError, redact } from './errors.js';
import type { DoctorCheck, DoctorOptions } from './platform.js';

/**
 * Helpers both adapters' `doctor` builds its checklist with: one check, field-by-field drift
 * against the plan, and the sink's reachability.
 */
type Drift = NonNullable<DoctorCheck['drift']>;

/** Field-by-field differences; environment values are compared, never printed (they may hold secrets). */
export function driftOf(expected: Record<string, unknown>, actual: object, prefix = ''): Drift {
  const drift: Drift = [];
  for (const [key, want] of Object.entries(expected)) {
    if (want === undefined) continue;
    const have = (actual as Record<string, unknown>)[key];
    const field = `${prefix}${key}`;
    if (key === 'Variables' || key === 'environmentVariables') {
      const a = (have ?? {}) as Record<string, string>;
      const e = (want ?? {}) as Record<string, string>;
      for (const name of new Set([...Object.keys(e), ...Object.keys(a)]))
        if (a[name] !== e[name])
          drift.push({
            field: `${field}.${name}`,
            expected: name in e ? '(set)' : '(absent)',
            actual: name in a ? (name in e ? '(another value)' : '(set)') : '(absent)',
          });
    } else if (want && typeof want === 'object' && !Array.isArray(want)) {
      drift.push(...driftOf(want as Record<string, unknown>, (have ?? {}) as object, `${field}.`));
    } else if (JSON.stringify(want) !== JSON.stringify(have)) {
      drift.push({ field, expected: want, actual: have ?? null });
    }
  }
  return drift;
}

export function check(
  id: string,
  title: string,
  status: DoctorCheck['status'],
  detail: string,
  drift?: Drift,
): DoctorCheck {
  return { id, title, status, detail: redact(detail), ...(drift?.length ? { drift } : {}) };
}

export function driftCheck(id: string, title: string, drift: Drift, what: string): DoctorCheck {
  return drift.length
    ? check(
        id,
        title,
        'fail',
        `${what} differs from the plan in ${drift.length} field(s): run \`windowed deploy\`.`,
        drift,
      )
    : check(id, title, 'ok', `${what} matches the plan.`);
}

export async function sinkCheck(connect: DoctorOptions['checkSink']): Promise<DoctorCheck> {
  const title = 'the sink database is reachable from here';
  if (!connect) return check('sink', title, 'skip', 'No sink check was given.');
  try {
    return check('sink', title, 'ok', await connect());
  } catch (error) {
    return check('sink', title, 'fail', describeError(error));
  }
}
