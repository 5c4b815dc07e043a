/**
 * The topology of a model: from its input and output symbolic tensors, the calls
 * (nodes) between them in an order that computes every tensor before its use, and the
 * layers in Keras order. Checked here, once: inputs come from `input()` and appear
 * once, every output can be computed from the inputs alone, every input reaches an
 * output. Errors name the tensor and layer concerned.
 */
import { InputLayer } from '../layers/inputLayer.js';
import type { Layer, Shape } from '../layers/layer.js';
import { SymbolicTensor, type Node } from '../layers/node.js';

export class Graph {
  /** Calls in execution order (input layers excluded). */
  readonly nodes: readonly Node[];
  /** Every layer, input layers first, then by depth from the outputs (deepest first), as Keras and tfjs list them. */
  readonly layers: readonly Layer[];
  /** Every tensor the graph computes or reads; a tensor's index is its position here. */
  readonly tensors: readonly SymbolicTensor[];
  private readonly index = new Map<SymbolicTensor, number>();

  constructor(
    readonly inputs: readonly SymbolicTensor[],
    readonly outputs: readonly SymbolicTensor[],
    where: string,
  ) {
    if (inputs.length === 0) throw new RangeError(`${where}: needs at least one input`);
    if (outputs.length === 0) throw new RangeError(`${where}: needs at least one output`);
    inputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new TypeError(`${where}: inputs[${i}] must be a symbolic tensor from input(), got ${String(t)}`);
      if (!(t.sourceLayer instanceof InputLayer)) {
        throw new RangeError(`${where}: inputs[${i}] (${t.name}) must come from input(); it is an output of ${t.sourceLayer.where}`);
      }
      if (inputs.indexOf(t) !== i) throw new RangeError(`${where}: input ${t.name} is listed twice`);
    });
    outputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) throw new TypeError(`${where}: outputs[${i}] must be a symbolic tensor (a layer's apply() on symbolic inputs), got ${String(t)}`);
    });

    // Depth of each node: 0 for the nodes making outputs, 1 + the deepest consumer otherwise.
    const depth = new Map<Node, number>();
    const order: Node[] = []; // first visit order, for ties
    const visiting = new Set<Node>();
    const visit = (t: SymbolicTensor, d: number, path: readonly string[]): void => {
      const node = t.sourceLayer.inboundNodes[t.nodeIndex];
      if (node === undefined) throw new RangeError(`${where}: tensor ${t.name} has no call that makes it`);
      if (visiting.has(node)) throw new RangeError(`${where}: the graph has a cycle through ${node.layer.where}`);
      if (node.layer instanceof InputLayer && !inputs.includes(t)) {
        throw new RangeError(
          `${where}: graph disconnected: ${path[path.length - 1] ?? 'an output'} needs ${t.name} (input '${node.layer.name}'), which is not one of the model's inputs (${inputs.map((x) => x.sourceLayer.name).join(', ')})`,
        );
      }
      const known = depth.get(node);
      if (known === undefined) order.push(node);
      if (known !== undefined && known >= d) return;
      depth.set(node, d);
      visiting.add(node);
      for (const x of node.inputs) visit(x, d + 1, [...path, node.layer.where]);
      visiting.delete(node);
    };
    for (const t of outputs) visit(t, 0, []);
    for (const t of inputs) {
      const node = t.sourceLayer.inboundNodes[t.nodeIndex]!;
      if (!depth.has(node)) throw new RangeError(`${where}: input ${t.name} (input '${t.sourceLayer.name}') does not reach any output`);
    }

    const byDepth = (a: Node, b: Node): number => depth.get(b)! - depth.get(a)! || order.indexOf(a) - order.indexOf(b);
    const all = [...order].sort(byDepth);
    this.nodes = all.filter((n) => !(n.layer instanceof InputLayer));
    const layers: Layer[] = inputs.map((t) => t.sourceLayer);
    for (const n of this.nodes) if (!layers.includes(n.layer)) layers.push(n.layer);
    this.layers = layers;
    const tensors: SymbolicTensor[] = [...inputs];
    for (const n of this.nodes) tensors.push(...n.outputs);
    tensors.forEach((t, i) => this.index.set(t, i));
    this.tensors = tensors;
  }

  /** The index of a tensor in `tensors` (throws for a tensor outside the graph). */
  indexOf(t: SymbolicTensor): number {
    const i = this.index.get(t);
    if (i === undefined) throw new RangeError(`tensor ${t.name} is not part of this graph`);
    return i;
  }

  /**
   * Per-sample shapes of every tensor when the inputs' open time axes have these
   * lengths (a dry run of the calls' shape rules: no data). Cached for the last lengths.
   */
  concreteShapes(xLen: readonly number[]): Shape[] {
    const key = xLen.join(',');
    if (this.shapeCache !== null && this.shapeCache.key === key) return this.shapeCache.shapes;
    const shapes: Shape[] = this.tensors.map(() => []);
    this.inputs.forEach((t, k) => {
      const s = t.shape.slice(1);
      shapes[k] = s[0] === null ? [xLen[k]!, ...s.slice(1)] : s;
    });
    for (const n of this.nodes) {
      const outs = n.runner.computeOutputShapes(n.inputs.map((t) => shapes[this.indexOf(t)]!), n.call);
      n.outputs.forEach((t, j) => (shapes[this.indexOf(t)] = outs[j]!));
    }
    this.shapeCache = { key, shapes };
    return shapes;
  }
  private shapeCache: { key: string; shapes: Shape[] } | null = null;

  /** The layers whose weights the graph trains (no input layers), each once. */
  get weightedLayers(): Layer[] {
    return this.layers.filter((l) => !(l instanceof InputLayer));
  }
}
