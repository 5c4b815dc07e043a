/**
 * Activation idioms: the subgraphs rnnkit's exporter writes for the activations ONNX has no op
 * for (export.ts `activation`), read back as that activation, so an exported model loads again.
 *
 *   squareplus  (x + √(x·x + 4)) · 0.5
 *   sparsePlus  Where(x < 1, Where(x > −1, (x + 1)·(x + 1) · 0.25, 0), x)
 *
 * `rewriteIdioms` runs before the importer reads the graph (as loop.ts's rewrite does). A match
 * is exact: the same ops on the same x, the constants float32 scalars of those values, Add and
 * Mul operands in either order, and every intermediate read by the idiom alone (its output may be
 * read anywhere). The idiom's nodes become one node of an op type of the importer's own
 * (IDIOM_OPS), which it accepts only on the nodes made here (`isIdiomNode`): a file that names
 * such an op itself is refused like any unknown op.
 */
import type { ModelData, NodeData, TensorData } from './decode.js';

/** The importer's own op types → the rnnkit activation each computes. */
export const IDIOM_OPS: Readonly<Record<string, string>> = Object.freeze({ 'rnnkit:Squareplus': 'squareplus', 'rnnkit:SparsePlus': 'sparsePlus' });

const made = new WeakSet<NodeData>();

/** Whether a node is an idiom found by rewriteIdioms (not a node of the file). */
export function isIdiomNode(n: NodeData): boolean {
  return made.has(n);
}

interface Graph {
  producer: Map<string, NodeData>;
  uses: Map<string, number>;
  inits: Map<string, TensorData>;
}

const isDefault = (n: NodeData | undefined): n is NodeData => n !== undefined && (n.domain === '' || n.domain === 'ai.onnx') && n.attributes.size === 0;

/** The node of this op type computing `name`, or undefined. */
function op(g: Graph, name: string, type: string): NodeData | undefined {
  const n = g.producer.get(name);
  return isDefault(n) && n.opType === type && n.outputs.length === 1 ? n : undefined;
}

/** A float32 scalar (one element, any rank) given as an initializer or a Constant, or null. */
function floatScalar(g: Graph, name: string): number | null {
  let t = g.inits.get(name);
  if (t === undefined) {
    const c = g.producer.get(name);
    const v = c !== undefined && c.opType === 'Constant' && (c.domain === '' || c.domain === 'ai.onnx') && c.attributes.size === 1 ? c.attributes.get('value') : undefined;
    if (v?.type === 'tensor') t = v.value;
  }
  if (t === undefined || t.dtype !== 1 || t.external || t.dims.some((d) => d !== 1)) return null;
  if (t.raw !== null) return t.raw.byteLength === 4 ? new DataView(t.raw.buffer, t.raw.byteOffset, 4).getFloat32(0, true) : null;
  return t.floats !== null && t.floats.length === 1 ? t.floats[0]! : null;
}

const is = (g: Graph, name: string, value: number): boolean => floatScalar(g, name) === Math.fround(value);

/** The operand of a two-input op that is not the scalar `value` (either order), or null. */
function besideScalar(g: Graph, n: NodeData, value: number): string | null {
  const [a, b] = n.inputs as [string, string];
  if (n.inputs.length !== 2) return null;
  return is(g, b, value) ? a : is(g, a, value) ? b : null;
}

/** squareplus ending at y = Mul(c, 0.5): its nodes and x, or null. */
function squareplus(g: Graph, y: NodeData): { x: string; nodes: NodeData[] } | null {
  const cName = besideScalar(g, y, 0.5);
  const c = cName === null ? undefined : op(g, cName, 'Add');
  if (c === undefined || c.inputs.length !== 2) return null;
  for (const [x, sName] of [c.inputs, [...c.inputs].reverse()] as [string, string][]) {
    const s = op(g, sName, 'Sqrt');
    if (s === undefined || s.inputs.length !== 1) continue;
    const b = op(g, s.inputs[0]!, 'Add');
    const aName = b === undefined ? null : besideScalar(g, b, 4);
    const a = aName === null ? undefined : op(g, aName, 'Mul');
    if (b === undefined || a === undefined || a.inputs.length !== 2 || a.inputs[0] !== x || a.inputs[1] !== x) continue;
    return { x, nodes: [a, b, s, c, y] };
  }
  return null;
}

/** sparsePlus ending at y = Where(Less(x, 1), Where(Greater(x, −1), q, 0), x): its nodes and x, or null. */
function sparsePlus(g: Graph, y: NodeData): { x: string; nodes: NodeData[] } | null {
  if (y.inputs.length !== 3) return null;
  const [lName, wName, x] = y.inputs as [string, string, string];
  const l = op(g, lName, 'Less');
  const w = op(g, wName, 'Where');
  if (l === undefined || l.inputs[0] !== x || !is(g, l.inputs[1]!, 1) || w === undefined || w.inputs.length !== 3 || !is(g, w.inputs[2]!, 0)) return null;
  const gt = op(g, w.inputs[0]!, 'Greater');
  const q = op(g, w.inputs[1]!, 'Mul');
  if (gt === undefined || gt.inputs[0] !== x || !is(g, gt.inputs[1]!, -1) || q === undefined) return null;
  const q0Name = besideScalar(g, q, 0.25);
  const q0 = q0Name === null ? undefined : op(g, q0Name, 'Mul');
  if (q0 === undefined || q0.inputs.length !== 2) return null;
  const plusOne = q0.inputs.map((i) => op(g, i, 'Add'));
  if (!plusOne.every((p) => p !== undefined && besideScalar(g, p, 1) === x)) return null;
  return { x, nodes: [...new Set([...(plusOne as NodeData[]), q0, q, gt, w, l, y])] };
}

/** The graph with every idiom replaced by one node (the model itself when there is none). */
export function rewriteIdioms(m: ModelData): ModelData {
  const nodes = m.graph.nodes;
  if (!nodes.some((n) => n.opType === 'Sqrt' || n.opType === 'Where')) return m;
  const g: Graph = { producer: new Map(), uses: new Map(), inits: new Map(m.graph.initializers.map((t) => [t.name, t])) };
  for (const n of nodes) {
    for (const out of n.outputs) {
      if (out === '') continue;
      // A name made twice (or also an initializer) is the importer's to refuse: nothing is rewritten that could hide it.
      if (g.producer.has(out) || g.inits.has(out)) return m;
      g.producer.set(out, n);
    }
    for (const i of n.inputs) if (i !== '') g.uses.set(i, (g.uses.get(i) ?? 0) + 1);
  }
  for (const v of m.graph.outputs) g.uses.set(v.name, (g.uses.get(v.name) ?? 0) + 1);
  const replaced = new Map<NodeData, NodeData | null>(); // the last node of an idiom → its node; the others → null
  for (const y of nodes) {
    if (!isDefault(y) || replaced.has(y)) continue;
    const [type, found] = y.opType === 'Mul' ? ['rnnkit:Squareplus', squareplus(g, y)] : y.opType === 'Where' ? ['rnnkit:SparsePlus', sparsePlus(g, y)] : ['', null];
    if (found === null || found.nodes.some((n) => replaced.has(n))) continue;
    // Every intermediate is read only inside the idiom (the Add of x + 1 may be read twice, by its square).
    const inside = new Map<string, number>();
    for (const n of found.nodes) for (const i of n.inputs) inside.set(i, (inside.get(i) ?? 0) + 1);
    if (found.nodes.some((n) => n !== y && n.outputs.some((o) => g.uses.get(o) !== inside.get(o)))) continue;
    const idiom: NodeData = { opType: type, domain: '', name: y.name, inputs: [found.x], outputs: [...y.outputs], attributes: new Map(), offset: y.offset };
    made.add(idiom);
    for (const n of found.nodes) replaced.set(n, null);
    replaced.set(y, idiom);
  }
  if (replaced.size === 0) return m;
  const out = nodes.flatMap((n) => (replaced.has(n) ? (replaced.get(n) === null ? [] : [replaced.get(n)!]) : [n]));
  return { ...m, graph: { ...m.graph, nodes: out } };
}
