/**
 * plotModel: a model's graph as an SVG picture (Keras `plot_model`, without Graphviz):
 * one box per layer, an arrow per connection, layered from the inputs (longest path)
 * and ordered within a layer by the mean position of its parents, so branches and
 * merges read at a glance. Browser-safe: returns the SVG text; with a file path (Node)
 * it is also written there.
 */
import { checkBoolean, checkOptions, show } from '../core/errors.js';
import type { Layer } from '../layers/layer.js';
import type { Node } from '../layers/node.js';
import { writeTextFile } from '../io/node.js';

/** What the plot needs of a model. */
export interface PlottableModel {
  readonly name: string;
  readonly graph: { readonly layers: readonly Layer[]; readonly nodes: readonly Node[]; readonly inputs: readonly { sourceLayer: Layer }[] };
}

export interface PlotModelOptions {
  /** Show each layer's input and output shapes. Default false (Keras). */
  showShapes?: boolean;
  /** Show the dtype. Default false. */
  showDtype?: boolean;
  /** Show layer names beside their classes. Default false (Keras 3). */
  showLayerNames?: boolean;
  /** Top to bottom ('TB', default) or left to right ('LR'). */
  rankdir?: 'TB' | 'LR';
  /** Show each layer's activation (Dense and recurrent layers). Default false. */
  showLayerActivations?: boolean;
  /** Show whether each layer is trainable. Default false. */
  showTrainable?: boolean;
}

const LATER = {
  expandNested: 'a nested model is drawn as one box',
  dpi: 'the plot is SVG, which has no resolution; scale it as you like',
  toFile: "pass the path as plotModel's second argument",
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const shape = (s: readonly (number | null)[]): string => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;

/** The SVG of a model's graph. */
export function modelSvg(model: PlottableModel, options: PlotModelOptions = {}): string {
  checkOptions(options, ['showShapes', 'showDtype', 'showLayerNames', 'rankdir', 'showLayerActivations', 'showTrainable'], 'plotModel', LATER);
  const flag = (v: unknown, name: string): boolean => (v === undefined ? false : checkBoolean(v, `plotModel: ${name}`));
  const showShapes = flag(options.showShapes, 'showShapes');
  const showDtype = flag(options.showDtype, 'showDtype');
  const showNames = flag(options.showLayerNames, 'showLayerNames');
  const showAct = flag(options.showLayerActivations, 'showLayerActivations');
  const showTrainable = flag(options.showTrainable, 'showTrainable');
  const dir = options.rankdir ?? 'TB';
  if (dir !== 'TB' && dir !== 'LR') throw new RangeError(`plotModel: rankdir must be 'TB' or 'LR', got ${show(dir)}`);

  const g = model.graph;
  const layers = g.layers;
  const index = new Map(layers.map((l, i) => [l, i]));
  const calls = g.nodes;
  // Edges (layer → layer), once each; the calls of each layer in this graph.
  const edges: [number, number][] = [];
  const parents: number[][] = layers.map(() => []); // grows with the virtual points below
  const callsOf = new Map<Layer, Node[]>();
  for (const n of calls) {
    callsOf.set(n.layer, [...(callsOf.get(n.layer) ?? []), n]);
    for (const t of n.inputs) {
      const a = index.get(t.sourceLayer)!;
      const b = index.get(n.layer)!;
      if (!edges.some(([x, y]) => x === a && y === b)) {
        edges.push([a, b]);
        parents[b]!.push(a);
      }
    }
  }
  // Ranks: the longest path from an input (layers are in dependency order).
  const rank = layers.map(() => 0);
  for (const n of calls) {
    const b = index.get(n.layer)!;
    for (const t of n.inputs) rank[b] = Math.max(rank[b]!, rank[index.get(t.sourceLayer)!]! + 1);
  }
  // An edge across several ranks passes through a virtual point on each rank between
  // (Sugiyama), so it is ordered with the boxes and never runs through one.
  const L = layers.length;
  const vRank: number[] = [];
  const routes: number[][] = edges.map(([a, b]) => {
    const path = [a];
    for (let k = rank[a]! + 1; k < rank[b]!; k++) {
      const v = L + vRank.length;
      vRank.push(k);
      parents[v] = [path[path.length - 1]!];
      path.push(v);
    }
    if (path.length > 1) parents[b] = parents[b]!.map((p) => (p === a ? path[path.length - 1]! : p));
    path.push(b);
    return path;
  });
  const allRank = [...rank, ...vRank];
  const depth = Math.max(...rank) + 1;
  const rows: number[][] = Array.from({ length: depth }, () => []);
  allRank.forEach((k, i) => rows[k]!.push(i));
  // Order within a rank by the mean position of the parents (two passes settle simple graphs).
  const pos = allRank.map(() => 0);
  for (let pass = 0; pass < 2; pass++) {
    for (const row of rows) {
      row.forEach((i, k) => (pos[i] = (parents[i] ?? []).length === 0 ? k : parents[i]!.reduce((s, p) => s + pos[p]!, 0) / parents[i]!.length));
      row.sort((a, b) => pos[a]! - pos[b]! || a - b);
      row.forEach((i, k) => (pos[i] = k));
    }
  }

  // Box texts and sizes (a virtual point is a thin slot).
  const lines = layers.map((l) => {
    const out: string[] = [showNames ? `${l.name} (${l.className})` : l.className];
    const act = (l as { activation?: unknown }).activation;
    if (showAct && typeof act === 'number') out.push(`activation: ${activationLabel(l)}`);
    if (showTrainable) out.push(`Trainable: ${l.trainable ? 'Y' : 'N'}`);
    if (showDtype) out.push('dtype: float32');
    if (showShapes) {
      const ns = callsOf.get(l) ?? [];
      const ins = ns.flatMap((n) => n.inputs.map((t) => shape(t.shape)));
      const outs = l.inboundNodes.length > 0 ? (ns[0] ?? l.inboundNodes[0]!).outputs.map((t) => shape(t.shape)) : [];
      if (ins.length > 0) out.push(`Input shape: ${[...new Set(ins)].join(', ')}`);
      out.push(`Output shape: ${outs.join(', ')}`);
    }
    return out;
  });
  const CHAR = 7.2;
  const LINE = 17;
  const PAD = 10;
  const VIRTUAL = 12;
  const w = allRank.map((_, i) => (i < L ? Math.max(...lines[i]!.map((t) => t.length)) * CHAR + 2 * PAD : dir === 'TB' ? VIRTUAL : 0));
  const h = allRank.map((_, i) => (i < L ? lines[i]!.length * LINE + PAD : dir === 'TB' ? 0 : VIRTUAL));
  const GAP_MAIN = 46;
  const GAP_CROSS = 24;
  // Main axis: ranks (down for TB, right for LR); cross axis: the order within a rank.
  const mainSize = (i: number): number => (dir === 'TB' ? h[i]! : w[i]!);
  const crossSize = (i: number): number => (dir === 'TB' ? w[i]! : h[i]!);
  const rankExtent = rows.map((row) => Math.max(...row.map(mainSize)));
  const rowExtent = rows.map((row) => row.reduce((t, i) => t + crossSize(i), 0) + GAP_CROSS * (row.length - 1));
  const cross = Math.max(...rowExtent);
  const x = allRank.map(() => 0);
  const y = allRank.map(() => 0);
  let main = 20;
  rows.forEach((row, k) => {
    let c = 20 + (cross - rowExtent[k]!) / 2;
    for (const i of row) {
      // a virtual point spans its rank's band, so its edge runs straight through it
      if (i >= L) {
        if (dir === 'TB') h[i] = rankExtent[k]!;
        else w[i] = rankExtent[k]!;
      }
      const m = main + (rankExtent[k]! - mainSize(i)) / 2;
      if (dir === 'TB') {
        x[i] = c;
        y[i] = m;
      } else {
        x[i] = m;
        y[i] = c;
      }
      c += crossSize(i) + GAP_CROSS;
    }
    main += rankExtent[k]! + GAP_MAIN;
  });
  const width = Math.ceil(dir === 'TB' ? cross + 40 : main - GAP_MAIN + 20);
  const height = Math.ceil(dir === 'TB' ? main - GAP_MAIN + 20 : cross + 40);
  // Ports: a box's incoming (outgoing) edges spread along its top (bottom) side, ordered by the other end.
  const port = (i: number, other: number, incoming: boolean): [number, number] => {
    const ends = routes.filter((rt) => (incoming ? rt[rt.length - 1] === i : rt[0] === i)).map((rt) => (incoming ? rt[rt.length - 2]! : rt[1]!));
    ends.sort((a, b) => (dir === 'TB' ? x[a]! - x[b]! : y[a]! - y[b]!));
    const f = i >= L ? 0.5 : (ends.indexOf(other) + 1) / (ends.length + 1);
    if (dir === 'TB') return [x[i]! + w[i]! * f, incoming ? y[i]! : y[i]! + h[i]!];
    return [incoming ? x[i]! : x[i]! + w[i]!, y[i]! + h[i]! * f];
  };

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">`,
    `<title>${esc(model.name)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
  ];
  routes.forEach((rt) => {
    // a curve through the route's points: out of a box, through each virtual point, into a box
    const pts: [number, number][] = [];
    for (let k = 0; k < rt.length; k++) {
      const i = rt[k]!;
      if (k > 0) pts.push(port(i, rt[k - 1]!, true));
      if (k < rt.length - 1) pts.push(port(i, rt[k + 1]!, false));
    }
    let d = `M ${r(pts[0]![0])} ${r(pts[0]![1])}`;
    for (let k = 1; k < pts.length; k++) {
      const [x1, y1] = pts[k - 1]!;
      const [x2, y2] = pts[k]!;
      const [c1x, c1y, c2x, c2y] = dir === 'TB' ? [x1, (y1 + y2) / 2, x2, (y1 + y2) / 2] : [(x1 + x2) / 2, y1, (x1 + x2) / 2, y2];
      d += k % 2 === 1 ? ` C ${r(c1x)} ${r(c1y)}, ${r(c2x)} ${r(c2y)}, ${r(x2)} ${r(y2)}` : ` L ${r(x2)} ${r(y2)}`;
    }
    const a = rt[0]!;
    const b = rt[rt.length - 1]!;
    parts.push(`<path class="edge" data-from="${esc(layers[a]!.name)}" data-to="${esc(layers[b]!.name)}" d="${d}" fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>`);
  });
  layers.forEach((l, i) => {
    const input = l.className === 'InputLayer';
    parts.push(`<g class="layer" data-name="${esc(l.name)}" data-class="${esc(l.className)}">`);
    parts.push(`<rect x="${r(x[i]!)}" y="${r(y[i]!)}" width="${r(w[i]!)}" height="${r(h[i]!)}" rx="6" fill="${input ? '#eef5ff' : '#fff'}" stroke="#333"/>`);
    lines[i]!.forEach((s, k) => parts.push(`<text x="${r(x[i]! + w[i]! / 2)}" y="${r(y[i]! + PAD / 2 + LINE * (k + 0.75))}" text-anchor="middle"${k === 0 ? ' font-weight="bold"' : ''}>${esc(s)}</text>`));
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const r = (v: number): string => (Math.round(v * 10) / 10).toString();

function activationLabel(l: Layer): string {
  const c = l.getConfig() as { activation?: unknown };
  return typeof c.activation === 'string' ? c.activation : 'linear';
}

/**
 * Draw a model's graph (Keras plot_model): returns the SVG text; with a file path it
 * is also written there (Node), e.g. `await plotModel(model, 'model.svg', {showShapes: true})`.
 */
export async function plotModel(model: PlottableModel, file?: string, options: PlotModelOptions = {}): Promise<string> {
  const svg = modelSvg(model, options);
  if (file !== undefined) await writeTextFile(file, svg, 'plotModel');
  return svg;
}
