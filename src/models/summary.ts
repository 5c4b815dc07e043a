/**
 * model.summary() in Keras 3's layout: a box-drawn table of layers, output shapes
 * and parameter counts (and, for a graph that is not a chain, the calls' inputs),
 * then totals with their float32 sizes.
 */
import { InputLayer } from '../layers/inputLayer.js';
import type { Layer } from '../layers/layer.js';
import type { Node } from '../layers/node.js';
import type { Graph } from './graph.js';

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: readonly (number | null)[] | null;
  params: number | null;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${fixed2(v)} ${units[u]}`;
}

/**
 * v with two decimals as Python's '{:.2f}' writes it: an exact tie rounds to even
 * (1.625 → '1.62'), where JS toFixed rounds it up.
 */
function fixed2(v: number): string {
  const scaled = v * 100;
  const floor = Math.floor(scaled);
  const tie = scaled - floor === 0.5 && (v * 1000) % 10 === 5;
  return tie && floor % 2 === 0 ? (floor / 100).toFixed(2) : v.toFixed(2);
}

const thousands = (n: number): string => n.toLocaleString('en-US');

/** (None, 10, 32): Python tuple notation with None for the batch, as Keras prints. */
export function formatOutputShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

export function formatSummary(
  modelName: string,
  rows: readonly SummaryRow[],
  totals: { trainable: number; nonTrainable: number; optimizer: number | null },
): string {
  const cells = rows.map((r) => [
    [`${r.name} (${r.className})`],
    [r.outputShape === null ? '?' : formatOutputShape(r.outputShape)],
    [r.params === null ? '0 (unbuilt)' : thousands(r.params)],
  ]);
  return [`Model: "${modelName}"`, ...formatTable(['Layer (type)', 'Output Shape', 'Param #'], cells, [33, 24, 15], new Set([2])), ...footer(totals)].join('\n');
}

/**
 * The summary of a graph model (Keras 3 print_summary): as Sequential's when the
 * graph is a plain chain, else with a "Connected to" column listing each call's
 * inputs as `layer[node][tensor]`.
 */
export function formatGraphSummary(modelName: string, graph: Graph, counts: { trainable: number; nonTrainable: number }, optimizer: number | null): string {
  const chain = isChain(graph);
  const inGraph = new Set<Node>(graph.nodes);
  const rows = graph.layers.map((l) => {
    const nodes = l instanceof InputLayer ? l.inboundNodes : l.inboundNodes.filter((n) => inGraph.has(n));
    const last = nodes[nodes.length - 1];
    const shapes = last === undefined ? [] : last.outputs.map((t) => formatOutputShape(t.shape));
    const cells: string[][] = [[`${l.name} (${l.className})`], [shapes.length === 1 ? shapes[0]! : shapes.length === 0 ? '?' : `[${shapes.join(', ')}]`], [thousands(l.countParams())]];
    if (!chain) {
      const links = nodes.flatMap((n) => n.inputs.map((t) => `${t.sourceLayer.name}[${t.nodeIndex}][${t.tensorIndex}]`));
      cells.push(links.length === 0 ? ['-'] : wrapList(links, 26));
    }
    return cells;
  });
  const header = chain ? ['Layer (type)', 'Output Shape', 'Param #'] : ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const widths = chain ? [33, 24, 15] : [33, 24, 15, 28];
  return [`Model: "${modelName}"`, ...formatTable(header, rows, widths, new Set([2])), ...footer({ ...counts, optimizer })].join('\n');
}

/** Whether a graph is a plain chain: one call per depth, each with one input, no layer called twice (Keras prints it as Sequential). */
function isChain(graph: Graph): boolean {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) return false;
  const layers = new Set<Layer>();
  for (const n of graph.nodes) {
    if (n.inputs.length !== 1 || layers.has(n.layer)) return false;
    layers.add(n.layer);
  }
  for (let i = 1; i < graph.nodes.length; i++) if (graph.nodes[i]!.inputs[0]!.sourceLayer !== graph.nodes[i - 1]!.layer) return false;
  return graph.nodes.length === 0 || graph.nodes[0]!.inputs[0] === graph.inputs[0];
}

/** "a, b, c" broken into lines of at most `width` characters at the commas. */
function wrapList(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  items.forEach((item, i) => {
    const piece = i < items.length - 1 ? `${item},` : item;
    if (cur !== '' && cur.length + 1 + piece.length > width) {
      lines.push(cur);
      cur = piece;
    } else cur = cur === '' ? piece : `${cur} ${piece}`;
  });
  if (cur !== '') lines.push(cur);
  return lines;
}

/** A box-drawn table (heavy header rule, a rule between rows); cells may span several lines. */
function formatTable(header: readonly string[], rows: readonly (readonly (readonly string[])[])[], minWidths: readonly number[], rightAligned: ReadonlySet<number>): string[] {
  const widths = [...minWidths];
  for (const row of [header.map((h) => [h]), ...rows]) row.forEach((lines, i) => lines.forEach((c) => (widths[i] = Math.max(widths[i]!, c.length + 2))));
  const pad = (c: string, i: number): string => (rightAligned.has(i) ? ` ${c.padStart(widths[i]! - 2)} ` : ` ${c.padEnd(widths[i]! - 2)} `);
  const rule = (l: string, m: string, r: string, fill: string): string => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const lines = [rule('┏', '┳', '┓', '━'), '┃' + header.map(pad).join('┃') + '┃', rule('┡', '╇', '┩', '━')];
  rows.forEach((row, r) => {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) lines.push('│' + row.map((c, i) => pad(c[k] ?? '', i)).join('│') + '│');
    lines.push(r === rows.length - 1 ? rule('└', '┴', '┘', '─') : rule('├', '┼', '┤', '─'));
  });
  if (rows.length === 0) lines.push(rule('└', '┴', '┘', '─'));
  return lines;
}

function footer(totals: { trainable: number; nonTrainable: number; optimizer: number | null }): string[] {
  const total = totals.trainable + totals.nonTrainable;
  const lines = [
    ` Total params: ${thousands(total)} (${formatBytes(total * 4)})`,
    ` Trainable params: ${thousands(totals.trainable)} (${formatBytes(totals.trainable * 4)})`,
    ` Non-trainable params: ${thousands(totals.nonTrainable)} (${formatBytes(totals.nonTrainable * 4)})`,
  ];
  if (totals.optimizer !== null) lines.push(` Optimizer params: ${thousands(totals.optimizer)} (${formatBytes(totals.optimizer * 4)})`);
  return lines;
}
