/**
 * The graph at run time: one forward and one backward pass over a Graph's calls in
 * order, each call's runner computing into its own buffers (see layers/node.ts).
 *
 * Per tensor it keeps the buffer that holds it (the producing layer's own, or the
 * caller's input buffer), its time length (the concrete size of an open time axis)
 * and its step mask. Backward, a tensor consumed once simply takes its consumer's
 * input-gradient buffer; a tensor consumed several times (fan-out, a shared input, an
 * output also used inside the graph) sums the contributions into a buffer of its own.
 * Calls whose outputs get no gradient are skipped, and so are input gradients nothing
 * upstream needs. All bookkeeping is planned in the constructor: a pass allocates
 * nothing once its buffers have grown to the batch size.
 */
import type { Layer } from '../layers/layer.js';
import { NodeIO } from '../layers/node.js';
import { ensure } from '../layers/layer.js';
import type { Graph } from './graph.js';

/** How a call's input gets its time length T: the tensor's axis-0 size (a sequence, or index input), or a fixed T (1 for a vector). */
const TIME_FROM_LEN = 1;

export class Executor {
  /** Batch size of the last forward. */
  B = 0;
  /**
   * Streams feed a model declared with a fixed sequence length one step (or chunk) at a
   * time: then every sequence tensor ([batch, time, features]) takes its time length
   * from the data, as open ones always do.
   */
  dynamicTime = false;
  /** Per tensor: buffer, size of its axis 0 in this pass (the time length of a sequence), mask. */
  readonly buf: Float32Array[];
  readonly len: Int32Array;
  readonly mask: (Float32Array | null)[];
  /** The runner of each call (the layer itself, or its twin), in execution order. */
  readonly runners: readonly Layer[];
  private readonly ios: NodeIO[];
  private readonly inIdx: Int32Array[]; // per call: its inputs' tensor indices
  private readonly outIdx: Int32Array[]; // per call: its outputs' tensor indices
  private readonly timeRule: Uint8Array[]; // per call input: TIME_FROM_LEN, or 0 for fixedTime
  private readonly fixedTime: Int32Array[]; // per call input: T when fixed
  private readonly forcedTraining: Int8Array; // per call: -1 follow the pass, 0/1 forced by the call
  private readonly differentiable: Uint8Array[]; // per call input: 1 when the layer has a gradient for it
  private readonly restWidth: Float64Array; // per tensor: product of its per-sample dimensions after axis 0
  private readonly openAxis: Uint8Array; // per tensor: 1 when per-sample axis 0 is open
  private readonly sequence: Uint8Array; // per tensor: 1 for [batch, time, features]
  private readonly fixedLen: Int32Array; // per tensor: size of per-sample axis 0 when known
  private readonly fanout: Int32Array; // per tensor: gradient contributions expected per pass
  private readonly grad: (Float32Array | null)[]; // per tensor: its gradient in this backward
  private readonly gradCount: Int32Array;
  private readonly gradAcc: Float32Array[]; // per tensor: the sum buffer for fan-out
  private readonly needGrad: Uint8Array; // per tensor: some trainable weight lies upstream
  private readonly needGradFromInputs: Uint8Array; // … or a graph input (when input gradients are wanted)
  private readonly outputUses: Int32Array; // per tensor: how often it is a graph output
  private readonly trimmed: Uint8Array; // per tensor: its time length follows the data even when declared (padding trimming)

  constructor(readonly graph: Graph) {
    const nT = graph.tensors.length;
    const nodes = graph.nodes;
    this.buf = Array.from({ length: nT }, () => new Float32Array(0));
    this.len = new Int32Array(nT);
    this.mask = Array.from({ length: nT }, () => null);
    this.grad = Array.from({ length: nT }, () => null);
    this.gradCount = new Int32Array(nT);
    this.gradAcc = Array.from({ length: nT }, () => new Float32Array(0));
    this.needGrad = new Uint8Array(nT);
    this.needGradFromInputs = new Uint8Array(nT);
    this.fanout = new Int32Array(nT);
    this.restWidth = new Float64Array(nT);
    this.openAxis = new Uint8Array(nT);
    this.sequence = new Uint8Array(nT);
    this.fixedLen = new Int32Array(nT);
    this.outputUses = new Int32Array(nT);
    this.trimmed = new Uint8Array(nT);
    graph.tensors.forEach((t, i) => {
      const s = t.shape.slice(1);
      this.openAxis[i] = s[0] === null ? 1 : 0;
      this.sequence[i] = s.length === 2 ? 1 : 0;
      this.fixedLen[i] = s[0] ?? 0;
      this.restWidth[i] = s.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
    });
    for (const t of graph.outputs) {
      const i = graph.indexOf(t);
      this.outputUses[i]++;
      this.fanout[i]++;
    }
    this.runners = nodes.map((n) => n.runner);
    this.ios = nodes.map((n) => {
      const io = new NodeIO(n.inputs.length, n.outputs.length);
      io.call = n.call;
      return io;
    });
    this.inIdx = nodes.map((n) => Int32Array.from(n.inputs, (t) => graph.indexOf(t)));
    this.outIdx = nodes.map((n) => Int32Array.from(n.outputs, (t) => graph.indexOf(t)));
    this.differentiable = nodes.map((n) => Uint8Array.from(n.inputs, (_, i) => (n.runner.hasInputGradient(i) ? 1 : 0)));
    this.forcedTraining = Int8Array.from(nodes, (n) => (n.call.args.training === true ? 1 : n.call.args.training === false ? 0 : -1));
    this.timeRule = [];
    this.fixedTime = [];
    nodes.forEach((n, k) => {
      const rule = new Uint8Array(n.inputs.length);
      const fixed = new Int32Array(n.inputs.length);
      n.inputs.forEach((t, i) => {
        // The consumer's T is the tensor's axis-0 size (a sequence) or a constant (1 for a vector): ask it with two sizes.
        const s = t.shape.slice(1);
        // (A batch of scalars, shape [], has no axis to vary.)
        const a = n.runner.inputTime(s.length === 0 ? [] : ([5, ...s.slice(1)] as number[]));
        const b = n.runner.inputTime(s.length === 0 ? [] : ([6, ...s.slice(1)] as number[]));
        if (a === 5 && b === 6) rule[i] = TIME_FROM_LEN;
        else if (a === b) fixed[i] = a;
        else throw new RangeError(`${n.layer.where}: cannot tell the time length of input ${t.name}`);
      });
      this.timeRule.push(rule);
      this.fixedTime.push(fixed);
      for (const i of this.inIdx[k]!) this.fanout[i]++;
    });
    this.refreshNeedGrad();
  }

  /** Recompute which tensors need gradients (after a change of some layer's trainable flag). */
  refreshNeedGrad(): void {
    this.markNeedGrad(this.needGrad, false);
    this.markNeedGrad(this.needGradFromInputs, true);
  }

  /** need[t] = 1 where a trainable weight (or, with fromInputs, a graph input) lies upstream of tensor t. */
  private markNeedGrad(need: Uint8Array, fromInputs: boolean): void {
    need.fill(0);
    if (fromInputs) for (let k = 0; k < this.graph.inputs.length; k++) need[this.inputTensor(k)] = 1;
    const nodes = this.graph.nodes;
    for (let k = 0; k < nodes.length; k++) {
      let n = this.runners[k]!.weightTrainable().some((t) => t) ? 1 : 0;
      const ins = this.inIdx[k]!;
      for (let i = 0; i < ins.length; i++) if (need[ins[i]!]) n = 1;
      const outs = this.outIdx[k]!;
      for (let j = 0; j < outs.length; j++) need[outs[j]!] = n;
    }
  }

  /** Floats per sample of tensor i in this pass. */
  width(i: number): number {
    return this.restWidth[i]! * this.len[i]!;
  }

  /** Whether tensor i's axis 0 takes its size from the data in this pass. */
  private followsData(i: number): boolean {
    return this.openAxis[i] === 1 || (this.dynamicTime && this.sequence[i] === 1) || this.trimmed[i] === 1;
  }

  /** Let tensor i take its time length from the data although its shape fixes one (a cut batch is shorter). */
  followTime(i: number): void {
    this.trimmed[i] = 1;
  }

  /** Place graph input k: a [B, …] buffer, the size of its axis 0 (used where that is open), its mask or null. */
  setInput(k: number, data: Float32Array, len: number, mask: Float32Array | null): void {
    const i = this.inputTensor(k);
    this.buf[i] = data;
    this.len[i] = this.followsData(i) ? len : this.fixedLen[i]!;
    this.mask[i] = mask;
  }

  /** Tensor index of graph input k / output k. */
  inputTensor(k: number): number {
    return this.graph.indexOf(this.graph.inputs[k]!);
  }
  outputTensor(k: number): number {
    return this.graph.indexOf(this.graph.outputs[k]!);
  }

  /** Run every call on the first B samples of the inputs. */
  forward(B: number, training: boolean): void {
    this.B = B;
    const n = this.runners.length;
    for (let k = 0; k < n; k++) {
      const io = this.ios[k]!;
      const ins = this.inIdx[k]!;
      const rule = this.timeRule[k]!;
      const fixed = this.fixedTime[k]!;
      io.B = B;
      const forced = this.forcedTraining[k]!;
      io.training = forced === -1 ? training : forced === 1;
      for (let i = 0; i < ins.length; i++) {
        const t = ins[i]!;
        io.xs[i] = this.buf[t]!;
        io.xTime[i] = rule[i] === TIME_FROM_LEN ? this.len[t]! : fixed[i]!;
        io.xMasks[i] = this.mask[t]!;
      }
      this.runners[k]!.forwardNode(io);
      const outs = this.outIdx[k]!;
      for (let j = 0; j < outs.length; j++) {
        const t = outs[j]!;
        this.buf[t] = io.ys[j]!;
        this.len[t] = this.followsData(t) ? io.yTime[j]! : this.fixedLen[t]!;
        this.mask[t] = io.yMasks[j]!;
      }
    }
  }

  /** Start a backward pass: no tensor has a gradient yet. */
  beginBackward(): void {
    this.gradCount.fill(0);
  }

  /** Add g ([B, width]) to tensor i's gradient (one of its fanout contributions). */
  addGradient(i: number, g: Float32Array): void {
    const count = this.gradCount[i]!;
    this.gradCount[i] = count + 1;
    if (count === 0 && this.fanout[i] === 1) {
      this.grad[i] = g;
      return;
    }
    const n = this.B * this.width(i);
    if (count === 0) {
      const acc = (this.gradAcc[i] = ensure(this.gradAcc[i]!, n));
      for (let e = 0; e < n; e++) acc[e] = g[e]!;
      this.grad[i] = acc;
      return;
    }
    const acc = this.grad[i]!;
    for (let e = 0; e < n; e++) acc[e] = acc[e]! + g[e]!;
  }

  /** Gradient of graph output k for this backward (call before `backward`); null adds nothing. */
  seedOutput(k: number, g: Float32Array | null): void {
    if (g !== null) this.addGradient(this.outputTensor(k), g);
  }

  /**
   * Backward over every call in reverse, from the gradients seeded on the outputs;
   * weight gradients accumulate into the layers' gradient buffers. With needInputs the
   * graph inputs' gradients are kept too (`inputGradient`).
   */
  backward(needInputs = false): void {
    const n = this.runners.length;
    for (let k = n - 1; k >= 0; k--) {
      const io = this.ios[k]!;
      const outs = this.outIdx[k]!;
      let any = false;
      for (let j = 0; j < outs.length; j++) {
        const t = outs[j]!;
        const g = this.gradCount[t]! > 0 ? this.grad[t]! : null;
        io.dys[j] = g;
        if (g !== null) any = true;
      }
      if (!any) continue;
      const ins = this.inIdx[k]!;
      const need = needInputs ? this.needGradFromInputs : this.needGrad;
      const runner = this.runners[k]!;
      for (let i = 0; i < ins.length; i++) io.needDx[i] = need[ins[i]!]! === 1 && this.differentiable[k]![i] === 1 ? 1 : 0;
      runner.backwardNode(io);
      for (let i = 0; i < ins.length; i++) {
        const d = io.dxs[i]!;
        if (io.needDx[i] === 1 && d !== null) this.addGradient(ins[i]!, d);
      }
    }
  }

  /** Gradient of graph input k after `backward(true)` (null when nothing reached it). */
  inputGradient(k: number): Float32Array | null {
    const i = this.inputTensor(k);
    return this.gradCount[i]! > 0 ? this.grad[i]! : null;
  }

  /** Whether any trainable weight feeds the call graph at all (else backward does nothing). */
  get trainsAnything(): boolean {
    for (const t of this.graph.outputs) if (this.needGrad[this.graph.indexOf(t)] === 1) return true;
    return false;
  }

  /** Reseed every runner's randomness for an epoch (dropout; see Layer.beginEpoch). */
  beginEpoch(fitSeed: number, epoch: number): void {
    for (const r of this.runners) r.beginEpoch(fitSeed, epoch);
  }
}
