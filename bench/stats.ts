/**
 * Small timing and formatting helpers for the benchmark: medians, a monotonic clock,
 * and fixed-width table printing. No dependencies on rnnkit or tfjs.
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
