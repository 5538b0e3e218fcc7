import './style.css';
import { ApiError, get, post } from './api.js';
import { renderCharts } from './charts.js';
import type {
  GridCell,
  RerunAnswer,
  SeriesAnswer,
  StatusAnswer,
  WindowAnswer,
  WindowsAnswer,
} from './contract.js';
import { renderGrid, renderLegend, STATE_LABELS } from './grid.js';
import { el, localFormatter, utc } from './time.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let status: StatusAnswer;
let ready: Promise<StatusAnswer> | undefined;
let local: (iso: string | number) => string = (iso) => utc(iso);
let range: { from: string; to: string } | null = null;

async function start(): Promise<void> {
  // Listeners first: a submit before the status answers must not reload the page.
  $('range').addEventListener('submit', (event) => {
    event.preventDefault();
    void show({ from: $<HTMLInputElement>('from').value, to: $<HTMLInputElement>('to').value });
  });
  $('reset').addEventListener('click', () => void show(status.defaultRange));
  $('zoom-out').addEventListener('click', () => {
    if (!range) return;
    const from = Date.parse(range.from);
    const to = Date.parse(range.to);
    const span = to - from;
    void show({ from: new Date(from - span).toISOString(), to: new Date(to + span).toISOString() });
  });
  $('rerun-range').addEventListener('click', () => {
    if (range) void rerun(range.from, range.to, true);
  });
  ready = get<StatusAnswer>('status');
  status = await ready;
  local = localFormatter(status.timeZone);
  document.title = `${status.job} · windowed`;
  $('title').textContent = status.job;
  $('spec').textContent = `${status.windowSize} windows · ${status.timeZone}`;
  $('mode').hidden = !status.readOnly;
  if (status.readOnly) document.body.classList.add('read-only');
  renderSummary();
  if (!status.ledger) say('The job keeps no run ledger: set a SQL sink or `state` to see its windows.');
  else if (!status.defaultRange)
    say('No windows recorded yet: run `windowed backfill` or `windowed run` first.');
  // A range in the address (?from=…&to=…) opens there; otherwise the latest windows.
  const params = new URLSearchParams(location.search);
  const from = params.get('from');
  const to = params.get('to');
  if (range === null) await show(from && to ? { from, to } : status.defaultRange);
}

function renderSummary(): void {
  $('summary').replaceChildren(
    el('span', { text: `last succeeded ${status.lastSucceeded ? local(status.lastSucceeded) : 'never'}` }),
    el('span', { class: status.failed ? 'bad' : '', text: `${status.failed} failed` }),
    el('span', { class: status.missing ? 'bad' : '', text: `${status.missing} missing` }),
    el('span', { text: `${status.running} running` }),
  );
}

let asked = 0;

async function show(next: { from: string; to: string } | null): Promise<void> {
  if (!next) return;
  // Only the latest request draws: an earlier, slower answer must not replace a newer range.
  const request = ++asked;
  try {
    await ready;
    const [windows, series] = await Promise.all([
      get<WindowsAnswer>('windows', next),
      get<SeriesAnswer>('series', next),
    ]);
    if (request !== asked) return;
    range = { from: windows.from, to: windows.to };
    $<HTMLInputElement>('from').value = windows.from;
    $<HTMLInputElement>('to').value = windows.to;
    $('range-note').textContent = `${local(windows.from)} → ${local(windows.to)} (${status.timeZone})`;
    renderLegend($('legend'), windows.grid.counts, windows.grid.total);
    renderGrid($('grid'), windows, local, pick);
    renderProblems(windows);
    $('series-note').textContent =
      (series.windowsPerPoint > 1
        ? `Each point is the mean over ${series.windowsPerPoint} windows; the window under the pointer is shown exactly below.`
        : 'One point per window.') +
      (series.omittedGroups ? ` ${series.omittedGroups} smaller group(s) not drawn.` : '');
    renderCharts($('charts'), series, status.timeZone, pointAt);
  } catch (error) {
    say(message(error), true);
  }
}

async function pick(cell: GridCell): Promise<void> {
  if (cell.windows > 1) {
    await show({ from: cell.from, to: cell.to });
    return;
  }
  await showDetail(cell.from);
}

let detailAt: string | undefined;

async function showDetail(at: string): Promise<void> {
  detailAt = at;
  const box = $('details');
  try {
    const w = await get<WindowAnswer>('window', { at });
    box.hidden = false;
    box.replaceChildren(
      el('h2', { text: 'Window' }),
      describeWindow(w),
      ...(status.readOnly
        ? []
        : [el('button', { type: 'button', id: 'rerun-window', class: 'write', text: 'Re-run this window' })]),
    );
    box.querySelector('#rerun-window')?.addEventListener('click', () => void rerun(w.start, w.end));
  } catch (error) {
    say(message(error), true);
  }
}

function describeWindow(w: WindowAnswer): HTMLElement {
  const rows: Array<[string, string]> = [
    ['start', `${w.startLocal} (${utc(w.start)})`],
    ['end', `${w.endLocal} (${utc(w.end)})`],
    ['state', STATE_LABELS[w.state]],
    ['attempts', w.attempts === null ? '-' : String(w.attempts)],
    ['computed', w.computedAt ? utc(w.computedAt) : '-'],
  ];
  const list = el('dl', { class: `detail s-${w.state}`, 'data-state': w.state });
  for (const [k, v] of rows) list.append(el('dt', { text: k }), el('dd', { text: v }));
  if (w.lastError)
    list.append(el('dt', { text: 'last error' }), el('dd', { class: 'error', text: w.lastError }));
  for (const row of w.rows)
    list.append(
      el('dt', { text: 'values' }),
      el('dd', {
        text: Object.entries(row)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(' · '),
      }),
    );
  if (w.moreRows) list.append(el('dt', { text: '' }), el('dd', { text: `… ${w.moreRows} more group(s)` }));
  return list;
}

let pointerTimer: ReturnType<typeof setTimeout> | undefined;
let pointerShown = '';

/** The exact window under the chart's pointer, asked for once the pointer rests. */
function pointAt(ms: number): void {
  clearTimeout(pointerTimer);
  pointerTimer = setTimeout(async () => {
    const at = new Date(ms).toISOString();
    try {
      const w = await get<WindowAnswer>('window', { at });
      if (w.start === pointerShown) return;
      pointerShown = w.start;
      $('pointer').replaceChildren(el('h3', { text: 'Under the pointer' }), describeWindow(w));
    } catch {
      // The pointer left the range (before the first window): nothing to show.
    }
  }, 120);
}

function renderProblems(data: WindowsAnswer): void {
  const { ranges, total } = data.problems;
  if (total === 0) {
    $('problems').replaceChildren(el('p', { text: 'None in this range.' }));
    return;
  }
  const table = el(
    'table',
    {},
    el(
      'tr',
      {},
      ...['state', `from (${status.timeZone})`, 'to', 'windows', 'attempts', 'error', ''].map((h) =>
        el('th', { text: h }),
      ),
    ),
  );
  for (const r of ranges) {
    const button = el('button', { type: 'button', class: 'write', text: 'Re-run' });
    button.addEventListener('click', () => void rerun(r.from, r.to, r.windows > 1));
    table.append(
      el(
        'tr',
        { class: `s-${r.state}`, 'data-state': r.state, 'data-from': r.from },
        el('td', { text: STATE_LABELS[r.state] }),
        el('td', { text: local(r.from) }),
        el('td', { text: local(r.to) }),
        el('td', { text: String(r.windows) }),
        el('td', { text: r.attempts === null ? '-' : String(r.attempts) }),
        el('td', { class: 'error', text: r.lastError ?? '' }),
        el('td', {}, button),
      ),
    );
  }
  const more = total > ranges.length ? [el('p', { text: `… ${total - ranges.length} more range(s)` })] : [];
  $('problems').replaceChildren(table, ...more);
}

async function rerun(from: string, to: string, ask = false): Promise<void> {
  // A range re-computes every window in it, succeeded ones included: asked first.
  if (ask && !window.confirm(`Re-run every window from ${local(from)} to ${local(to)} (${status.timeZone})?`))
    return;
  say(`Re-running ${local(from)} → ${local(to)} …`);
  try {
    const result = await post<RerunAnswer>('rerun', { from, to });
    say(
      `Re-ran ${result.total} window(s): ${result.computed} computed, ${result.failed} failed` +
        (result.failures[0]?.error ? ` (${result.failures[0].error})` : ''),
      result.failed > 0,
    );
    status = await get<StatusAnswer>('status');
    renderSummary();
    await show(range);
    if (detailAt) await showDetail(detailAt);
  } catch (error) {
    say(message(error), true);
  }
}

function say(text: string, bad = false): void {
  const box = $('message');
  box.textContent = text;
  box.className = bad ? 'bad' : '';
}

function message(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

void start().catch((error) => say(message(error), true));
