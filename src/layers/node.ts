/**
 * The graph's vocabulary.
 *
 * A SymbolicTensor stands for a tensor a model will compute: its shape (batch axis
 * first, null = not known until data arrives) and where it comes from — output
 * `tensorIndex` of call `nodeIndex` of `sourceLayer`. A Node records one call of a
 * layer on symbolic tensors (Keras's node: a layer applied twice has two nodes and one
 * set of weights). `input()` and `layer.apply()` create them; `model({inputs,
 * outputs})` walks them back from the outputs.
 *
 * NodeIO is one node's run-time view, allocated once when a model plans its graph and
 * reused for every batch: the graph executor fills the inputs, the layer's
 * forwardNode fills the outputs; backward, the executor fills the output gradients
 * and backwardNode the input gradients. Buffers are batch-major [B, …] and belong to
 * whoever wrote them (valid until their owner's next pass).
 */
import { formatShape } from '../core/tensor.js';
import type { Layer } from './layer.js';

let nextTensorId = 0;

export class SymbolicTensor {
  /** Unique within the process (creation order). */
  readonly id = nextTensorId++;
  readonly dtype = 'float32' as const;
  /** Shape with the batch axis first; null = known only at run time. */
  readonly shape: readonly (number | null)[];

  constructor(
    /** The layer whose call computes this tensor. */
    readonly sourceLayer: Layer,
    /** Which call of that layer (its index in sourceLayer.inboundNodes). */
    readonly nodeIndex: number,
    /** Which of that call's outputs. */
    readonly tensorIndex: number,
    shape: readonly (number | null)[],
  ) {
    this.shape = [...shape];
  }

  get rank(): number {
    return this.shape.length;
  }

  /** tfjs-style name: `layer/layer:tensorIndex` reads badly; Keras writes `layer[node][tensor]`. */
  get name(): string {
    return `${this.sourceLayer.name}[${this.nodeIndex}][${this.tensorIndex}]`;
  }

  toString(): string {
    return `SymbolicTensor ${this.name} ${formatShape(this.shape)}`;
  }
}

/**
 * Keyword arguments of a layer call that the graph records and saves with the node:
 * `training` (forces training or inference behaviour for this call, whatever
 * fit/predict ask) and the layer's own call options (e.g. Attention's
 * returnAttentionScores). JSON-safe values only.
 */
export type NodeArgs = Readonly<Record<string, boolean | number | string | null>>;

/** How a layer is called: how many trailing inputs are initial states, and the call options. */
export interface CallSpec {
  readonly stateCount: number;
  readonly args: NodeArgs;
}

export class Node {
  /** This node's index in layer.inboundNodes. */
  readonly index: number;
  readonly outputs: readonly SymbolicTensor[];

  constructor(
    readonly layer: Layer,
    /** The call's inputs: the main inputs, then `call.stateCount` initial states. */
    readonly inputs: readonly SymbolicTensor[],
    readonly call: CallSpec,
    /** Output shapes, batch axis first. */
    outputShapes: readonly (readonly (number | null)[])[],
    /**
     * The instance that computes this call: the layer itself for its first call, else a
     * twin holding the same weight records (so both calls train one set of weights, their
     * gradients adding up) with caches of its own.
     */
    readonly runner: Layer,
  ) {
    this.index = layer.inboundNodes.length;
    layer.inboundNodes.push(this);
    this.outputs = outputShapes.map((s, i) => new SymbolicTensor(layer, this.index, i, s));
  }

  /** Number of main (non-state) inputs. */
  get mainCount(): number {
    return this.inputs.length - this.call.stateCount;
  }
}

/** One node's buffers at run time (see the file header). */
export class NodeIO {
  /** Batch size of the current pass. */
  B = 0;
  /** Training behaviour for this pass (dropout on). */
  training = false;
  /** The call: how many trailing inputs are initial states, and its options. */
  call: CallSpec = { stateCount: 0, args: {} };
  readonly xs: Float32Array[];
  /** Per input: the time length its consumer works with (1 for an input without a time axis). */
  readonly xTime: Int32Array;
  /** Per input: its [B, T] step mask (1 = keep), or null. */
  readonly xMasks: (Float32Array | null)[];
  readonly ys: Float32Array[];
  /** Per output: its time length (set by forwardNode; used where the output's time axis is open). */
  readonly yTime: Int32Array;
  readonly yMasks: (Float32Array | null)[];
  /** Per output: d loss / d output, or null when no gradient reaches it (treat as zero). */
  readonly dys: (Float32Array | null)[];
  /** Per input: whether backwardNode must write its gradient … */
  readonly needDx: Uint8Array;
  /** … into here (the layer's own buffer), or null. */
  readonly dxs: (Float32Array | null)[];

  constructor(inputs: number, outputs: number) {
    const empty = new Float32Array(0);
    this.xs = Array.from({ length: inputs }, () => empty);
    this.xTime = new Int32Array(inputs);
    this.xMasks = Array.from({ length: inputs }, () => null);
    this.ys = Array.from({ length: outputs }, () => empty);
    this.yTime = new Int32Array(outputs);
    this.yMasks = Array.from({ length: outputs }, () => null);
    this.dys = Array.from({ length: outputs }, () => null);
    this.needDx = new Uint8Array(inputs);
    this.dxs = Array.from({ length: inputs }, () => null);
  }
}
