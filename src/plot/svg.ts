/**
 * Dependency-free SVG line charts: axes with "nice" ticks (1, 2, 5 × 10^k), tick labels,
 * axis labels, a title and a legend. Browser-safe: returns the SVG text.
 */

export interface LineSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** CSS colour. Default: from the palette. */
  color?: string;
  /** Dashed line. Default false. */
  dashed?: boolean;
}

/** A shaded band between two curves over the same x (e.g. a prediction interval). */
export interface BandSeries {
  name: string;
  x: readonly number[];
  lower: readonly number[];
  upper: readonly number[];
  /** CSS colour of the fill. Default: from the palette. */
  color?: string;
}

export interface ChartOptions {
  /** Shaded bands, drawn under the lines and named in the legend after them. */
  bands?: readonly BandSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Format of x tick labels. Default: numbers; 'date' treats x as ms since the epoch. */
  xFormat?: 'number' | 'date';
  /** Default 800 × 450. */
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * A tick label: fixed-point with as many decimals as the step needs, or, where that runs past 7
 * characters (billions, millionths) and the mantissa × 10^k with as many digits as the step needs
 * is shorter, that ('2.5e9', '4e-7'): a 70-pixel margin holds about 10 characters of the tick font.
 */
function fmt(v: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const fixed = v.toFixed(Math.min(digits, 10));
  if (fixed.replace('-', '').length <= 7) return fixed;
  if (v === 0) return '0';
  const significant = Math.max(1, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9) + 1);
  const [mantissa, exponent] = v.toExponential(Math.min(significant - 1, 20)).split('e');
  const exp = `${mantissa!.includes('.') ? mantissa!.replace(/\.?0+$/, '') : mantissa}e${Number(exponent)}`;
  return exp.length < fixed.length ? exp : fixed;
}

function dateTicks(lo: number, hi: number): { values: number[]; label(v: number): string } {
  const years = (hi - lo) / (365.25 * 864e5);
  if (years >= 3) {
    const y0 = new Date(lo).getUTCFullYear();
    const y1 = new Date(hi).getUTCFullYear();
    const step = niceTicks(y0, y1, 6);
    // Whole years only: a span of 3–4 years gets half-year steps, and Date.UTC(2002.5, 0, 1) is 2002 again (each tick drawn twice).
    const values = step.filter((y) => Number.isInteger(y)).map((y) => Date.UTC(y, 0, 1)).filter((t) => t >= lo && t <= hi);
    return { values, label: (v) => String(new Date(v).getUTCFullYear()) };
  }
  const values = niceTicks(lo, hi, 6);
  return { values, label: (v) => new Date(v).toISOString().slice(0, 10) };
}

export function lineChart(series: readonly LineSeries[], options: ChartOptions = {}): string {
  const W = options.width ?? 800;
  const H = options.height ?? 450;
  const m = { left: 70, right: 20, top: options.title !== undefined ? 40 : 20, bottom: 55 };
  const bands = options.bands ?? [];
  // A band's points where x and both edges are finite (a polygon cannot skip a point the way a line can).
  const bandPts = bands.map((b) => b.x.map((x, i) => [x, b.lower[i]!, b.upper[i]!] as const).filter((p) => p.every(Number.isFinite)));
  const pts = [...series.flatMap((s) => s.x.map((x, i) => [x, s.y[i]!] as const)), ...bandPts.flatMap((p) => p.flatMap(([x, lo, hi]) => [[x, lo] as const, [x, hi] as const]))].filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of pts) [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  if (pts.length === 0) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const n = (v: number): string => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (options.title !== undefined) out.push(`<text class="title" x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(options.title)}</text>`);
  // Grid, ticks and tick labels.
  const yt = niceTicks(y0, y1);
  const yStep = yt.length > 1 ? yt[1]! - yt[0]! : 1;
  for (const v of yt) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${n(sy(v))}" y2="${n(sy(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text class="ytick" x="${m.left - 6}" y="${n(sy(v) + 4)}" text-anchor="end">${fmt(v, yStep)}</text>`);
  }
  const xt = options.xFormat === 'date' ? dateTicks(x0, x1) : (() => {
    const values = niceTicks(x0, x1);
    const step = values.length > 1 ? values[1]! - values[0]! : 1;
    return { values, label: (v: number) => fmt(v, step) };
  })();
  for (const v of xt.values) {
    out.push(`<line x1="${n(sx(v))}" x2="${n(sx(v))}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text class="xtick" x="${n(sx(v))}" y="${m.top + ph + 18}" text-anchor="middle">${esc(xt.label(v))}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.xLabel !== undefined) out.push(`<text class="xlabel" x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle" font-size="13">${esc(options.xLabel)}</text>`);
  if (options.yLabel !== undefined) out.push(`<text class="ylabel" transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(options.yLabel)}</text>`);
  // Bands under the lines: the upper edge left to right, then the lower edge back (2 points per x).
  bands.forEach((b, i) => {
    const color = b.color ?? PALETTE[(series.length + i) % PALETTE.length]!;
    const p = bandPts[i]!;
    const ring = [...p.map(([x, , hi]) => [x, hi] as const), ...p.map(([x, lo]) => [x, lo] as const).reverse()];
    out.push(`<polygon class="band" data-name="${esc(b.name)}" data-points="${ring.length}" fill="${color}" fill-opacity="0.2" stroke="none" points="${ring.map(([x, y]) => `${n(sx(x))},${n(sy(y))}`).join(' ')}"/>`);
  });
  // Lines (one polyline per series; NaN values break nothing, they are skipped).
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const p = s.x.map((x, k) => [x, s.y[k]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const attrs = `fill="none" stroke="${color}" stroke-width="1.8"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}`;
    out.push(`<polyline class="series" data-name="${esc(s.name)}" data-points="${p.length}" ${attrs} points="${p.map(([x, y]) => `${n(sx(x))},${n(sy(y))}`).join(' ')}"/>`);
  });
  // Legend, top left inside the plot.
  const lw = 40 + Math.max(...series.map((s) => s.name.length), ...bands.map((b) => b.name.length), 1) * 7.5;
  out.push(`<g class="legend"><rect x="${m.left + 10}" y="${m.top + 10}" width="${lw}" height="${(series.length + bands.length) * 18 + 8}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  series.forEach((s, i) => {
    const y = m.top + 24 + i * 18;
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    out.push(`<line x1="${m.left + 16}" x2="${m.left + 34}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${m.left + 40}" y="${y}">${esc(s.name)}</text>`);
  });
  bands.forEach((b, i) => {
    const y = m.top + 24 + (series.length + i) * 18;
    const color = b.color ?? PALETTE[(series.length + i) % PALETTE.length]!;
    out.push(`<rect x="${m.left + 16}" y="${y - 10}" width="18" height="12" fill="${color}" fill-opacity="0.2"/>`);
    out.push(`<text x="${m.left + 40}" y="${y}">${esc(b.name)}</text>`);
  });
  out.push('</g></svg>');
  return out.join('\n') + '\n';
}
