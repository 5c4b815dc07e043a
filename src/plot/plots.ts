/**
 * Plots people can look at: training curves from any fit() History, and forecasts (history,
 * actual values, forecast). Each returns SVG text; given a file path (Node), it also writes it.
 * Browser-safe: the file is written through the library's Node file handler (dynamic import).
 */
import type { History } from '../models/callback.js';
import { lineChart, type LineSeries } from './svg.js';
import { writeTextFile } from '../io/node.js';
import { checkOptions, show } from '../core/errors.js';

async function maybeWrite(svg: string, file: string | undefined): Promise<string> {
  if (file !== undefined) await writeTextFile(file, svg, 'plot');
  return svg;
}

export interface PlotHistoryOptions {
  /** Default 'Training history'. */
  title?: string;
}

/**
 * Training curves: one panel of every log (loss, val_loss, metrics) per epoch. Losses and
 * their validation twins share colours (validation dashed). Returns the SVG text; with a
 * file path it is also written there (Node).
 */
export async function plotHistory(history: History, file?: string, options: PlotHistoryOptions = {}): Promise<string> {
  return maybeWrite(historySvg(history, options), file);
}

export function historySvg(history: History, options: PlotHistoryOptions = {}): string {
  const epochs = history.epoch.map((e) => e + 1);
  const keys = Object.keys(history.history);
  const base = keys.filter((k) => !k.startsWith('val_'));
  const order = [...base, ...keys.filter((k) => k.startsWith('val_') && !base.includes(k.slice(4)))];
  const series: LineSeries[] = [];
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  order.forEach((k, i) => {
    const color = palette[i % palette.length]!;
    series.push({ name: k, x: epochs, y: history.history[k]!, color });
    const v = history.history[`val_${k}`];
    if (v !== undefined && !k.startsWith('val_')) series.push({ name: `val_${k}`, x: epochs, y: v, color, dashed: true });
  });
  return lineChart(series, { title: options.title ?? 'Training history', xLabel: 'epoch', yLabel: 'value' });
}

export interface ForecastPlotData {
  /** x of the history (row numbers or ms since the epoch with xFormat 'date'). */
  historyX: readonly number[];
  historyY: readonly number[];
  /** Actual values where the forecast is (the test part); optional. */
  actualX?: readonly number[];
  actualY?: readonly number[];
  forecastX: readonly number[];
  forecastY: readonly number[];
  /**
   * A prediction interval around the forecast (e.g. its 10% and 90% quantiles), shaded in the
   * forecast's colour and named in the legend (e.g. '80% interval'). Every value must be finite,
   * with lower ≤ upper.
   */
  interval?: { name: string; x: readonly number[]; lower: readonly number[]; upper: readonly number[] };
  /** Other forecasts drawn beside the model's (e.g. a Holt-Winters baseline), dashed, named in the legend. */
  baselines?: readonly { name: string; x: readonly number[]; y: readonly number[] }[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xFormat?: 'number' | 'date';
}

/** The forecast chart's SVG text; `size` (pixels, default 800 × 450) is for panels of forecastPanelsSvg. */
export function forecastSvg(d: ForecastPlotData, size: { width: number; height: number } = { width: 800, height: 450 }): string {
  const series: LineSeries[] = [{ name: 'history', x: d.historyX, y: d.historyY, color: '#555' }];
  if (d.actualX !== undefined && d.actualY !== undefined) series.push({ name: 'actual', x: d.actualX, y: d.actualY, color: '#1f77b4' });
  series.push({ name: 'forecast', x: d.forecastX, y: d.forecastY, color: '#d62728', dashed: true });
  const colors = ['#2ca02c', '#9467bd', '#ff7f0e'];
  if (d.baselines !== undefined && !Array.isArray(d.baselines)) throw new TypeError(`plotForecast: baselines must be an array of {name, x, y}, got ${show(d.baselines)}`);
  (d.baselines ?? []).forEach((b, i) => {
    const where = `plotForecast: baselines[${i}]`;
    checkOptions(b, ['name', 'x', 'y'], where);
    if (typeof b.name !== 'string') throw new TypeError(`${where}: name must be a string, got ${show(b.name)}`);
    if (b.x?.length !== b.y?.length) throw new RangeError(`${where} '${b.name}': ${b.x?.length} x values but ${b.y?.length} y values`);
    series.push({ name: b.name, x: b.x, y: b.y, color: colors[i % colors.length], dashed: true });
  });
  const bands = d.interval === undefined ? [] : [{ ...checkInterval(d.interval), color: '#d62728' }];
  return lineChart(series, { title: d.title ?? 'Forecast', xLabel: d.xLabel ?? (d.xFormat === 'date' ? 'time' : 'step'), yLabel: d.yLabel ?? 'value', xFormat: d.xFormat, bands, width: size.width, height: size.height });
}

function checkInterval(b: NonNullable<ForecastPlotData['interval']>): NonNullable<ForecastPlotData['interval']> {
  const where = 'plotForecast: interval';
  if (b === null || typeof b !== 'object') throw new TypeError(`${where} must be {name, x, lower, upper}, got ${show(b)}`);
  checkOptions(b, ['name', 'x', 'lower', 'upper'], where);
  if (typeof b.name !== 'string') throw new TypeError(`${where}: name must be a string, got ${show(b.name)}`);
  for (const k of ['x', 'lower', 'upper'] as const) if (b[k] === undefined || typeof b[k].length !== 'number') throw new TypeError(`${where} '${b.name}': ${k} must be an array of numbers, got ${show(b[k])}`);
  if (b.lower.length !== b.x.length || b.upper.length !== b.x.length) throw new RangeError(`${where} '${b.name}': ${b.x.length} x values but ${b.lower.length} lower and ${b.upper.length} upper values`);
  // A band cannot skip a point as a line does: a NaN edge would silently cut the interval short.
  for (let i = 0; i < b.x.length; i++) {
    const [x, lo, hi] = [b.x[i]!, b.lower[i]!, b.upper[i]!];
    if (!Number.isFinite(x) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`${where} '${b.name}': point ${i} is not finite (x ${x}, lower ${lo}, upper ${hi})`);
    if (lo > hi) throw new RangeError(`${where} '${b.name}': point ${i} has lower ${lo} above upper ${hi}`);
  }
  return b;
}

/** A forecast plot (see ForecastPlotData); returns the SVG text and, with a file path, writes it (Node). */
export async function plotForecast(data: ForecastPlotData, file?: string): Promise<string> {
  return maybeWrite(forecastSvg(data), file);
}

export interface ForecastPanelsOptions {
  /** Above all the panels. Default none. */
  title?: string;
  /** Panels per row. Default min(3, panels). */
  columns?: number;
  /** Pixels per panel. Default 480 × 300. */
  panelWidth?: number;
  panelHeight?: number;
}

/**
 * Small multiples: one forecast chart per series (each its own axes, titled by its `title`, e.g.
 * the series id), laid out `columns` to a row in one SVG. Each panel is a nested <svg> element
 * of class "panel", so a panel reads back exactly as forecastSvg draws it.
 */
export function forecastPanelsSvg(panels: readonly ForecastPlotData[], options: ForecastPanelsOptions = {}): string {
  const where = 'plotForecastPanels';
  checkOptions(options, ['title', 'columns', 'panelWidth', 'panelHeight'], where);
  if (!Array.isArray(panels) || panels.length === 0) throw new RangeError(`${where}: panels must be a non-empty array of forecast plots, got ${show(panels)}`);
  const int = (v: unknown, name: string, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`${where}: ${name} must be an integer ≥ ${min}, got ${show(v)}`);
    return v as number;
  };
  const cols = int(options.columns, 'columns', Math.min(3, panels.length), 1);
  const pw = int(options.panelWidth, 'panelWidth', 480, 100);
  const ph = int(options.panelHeight, 'panelHeight', 300, 100);
  const top = options.title !== undefined ? 36 : 0;
  const rows = Math.ceil(panels.length / cols);
  const W = Math.min(cols, panels.length) * pw;
  const H = top + rows * ph;
  const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  if (options.title !== undefined) out.push(`<text class="title" x="${W / 2}" y="24" text-anchor="middle" font-size="17">${esc(options.title)}</text>`);
  panels.forEach((d, i) => {
    const svg = forecastSvg(d, { width: pw, height: ph });
    const x = (i % cols) * pw;
    const y = top + Math.floor(i / cols) * ph;
    // The panel's own <svg> root, placed at (x, y): nested SVG keeps its coordinates and viewBox.
    out.push(svg.replace(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /, `<svg class="panel" data-name="${esc(d.title ?? `panel ${i + 1}`)}" x="${x}" y="${y}" `).trimEnd());
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Small multiples of forecast plots (see forecastPanelsSvg); returns the SVG text and, with a file path, writes it (Node). */
export async function plotForecastPanels(panels: readonly ForecastPlotData[], file?: string, options: ForecastPanelsOptions = {}): Promise<string> {
  return maybeWrite(forecastPanelsSvg(panels, options), file);
}
