/**
 * Small timing and formatting helpers for the benchmark: medians, a monotonic clock,
 * per-batch/epoch clocks fed by training callbacks, time budgets, and fixed-width table
 * printing. No dependencies on rnnkit or tfjs. (bench/torch_bench.py mirrors budgetCount.)
 */

export function now(): number {
  return performance.now();
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Seconds taken by one call of `fn` (awaited). */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const t0 = now();
  await fn();
  return (now() - t0) / 1000;
}

/**
 * Durations of consecutive units (batches or epochs) of one fit call, from its callbacks:
 * `begin()` at every unit's start (only the first one counts), `end()` at every unit's end;
 * unit k lasts from the end of unit k-1 (the first unit's start) to its own end, so whatever
 * the library does between units (logs, yielding to the event loop) is counted too.
 */
export class UnitClock {
  readonly times: number[] = [];
  private last = NaN;

  begin(): void {
    if (Number.isNaN(this.last)) this.last = now();
  }

  end(): void {
    const t = now();
    this.times.push((t - this.last) / 1000);
    this.last = t;
  }
}

/**
 * How many units of `unitSeconds` each fit into `budgetSeconds`, clamped to [min, max]:
 * fast contestants get more timed batches (a steadier median), slow ones the minimum.
 */
export function budgetCount(unitSeconds: number, budgetSeconds: number, min: number, max: number): number {
  const n = unitSeconds > 0 ? Math.floor(budgetSeconds / unitSeconds) : max;
  return Math.max(min, Math.min(max, n));
}

/** max |a[i] - b[i]| (Infinity when the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

/** |a - b| / max(|a|, |b|, tiny). */
export function relDiff(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b), 1e-30);
  return Math.abs(a - b) / scale;
}

/** Format seconds with 4 significant digits. */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  return s >= 100 ? s.toFixed(1) : s.toPrecision(4);
}

export function fmtNum(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** Render rows as a Markdown-style table with padded columns. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string => '| ' + cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ') + ' |';
  const sep = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(header), sep, ...rows.map(line)].join('\n');
}

/**
 * Median seconds per repetition of `run(reps)` (which performs `reps` repetitions and returns
 * the seconds they took): reps calibrated so one block lasts about `blockSeconds`, then the
 * median over `blocks` blocks. For micro rows whose single repetition is too short to time.
 */
export function secondsPerRep(run: (reps: number) => number, blockSeconds: number, blocks: number): number {
  let reps = 1;
  for (;;) {
    const s = run(reps);
    if (s >= blockSeconds / 4 || reps >= 1 << 20) {
      reps = Math.max(1, Math.round((reps * blockSeconds) / Math.max(s, 1e-9)));
      break;
    }
    reps *= 4;
  }
  const per: number[] = [];
  for (let b = 0; b < blocks; b++) per.push(run(reps) / reps);
  return median(per);
}
