/**
 * Streaming inference: feed a model one time step (or a chunk of steps) at a time and
 * get its outputs, each recurrent layer carrying its state from call to call — O(1)
 * work per step, nothing recomputed. Works on any trained model, stateful or not, at
 * any batch size, without rebuilding it.
 *
 *   const stream = model.stream();        // batch size 1
 *   for (const x of sensor) console.log(stream.step([[x]]).data);
 *   stream.reset();
 *
 * A graph model steps all its inputs together (a list in input order, or an object by
 * name). An input that only gives a recurrent layer its initial state (a decoder's
 * h and c inputs) sets that layer's stream state when it is given, and may be left
 * out (null) to carry on from the state the stream holds: run an encoder, hand its
 * states to the decoder's stream once, then feed the decoder one token at a time.
 */
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';
import { weightsVersion } from '../core/weightsVersion.js';
import { checkOptions, show } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { checkSamplingOptions, sampleIndex, sampleIndexWith, type SampleIndexOptions } from '../core/sampling.js';
import { Recurrent } from '../layers/recurrent.js';
import { LSTM } from '../layers/lstm.js';
import { Embedding } from '../layers/embedding.js';
import { Dense } from '../layers/dense.js';
import { Activation } from '../layers/activation.js';
import { isStepwise } from '../layers/registry.js';
import { Act, backend } from '../backend/kernels.js';
import { WasmLstmSampler } from '../backend/wasm/sample.js';
import { isResident } from '../backend/wasm/runtime.js';
import type { Engine } from './engine.js';
import { splitByName } from './modelData.js';

/** What a Stream needs from its model. */
export interface StreamableModel {
  readonly where: string;
  readonly engine: Engine;
  readonly inputNames: readonly string[];
}

/**
 * The largest input-projection table a stream keeps, in floats (vocab · 4 · units): 4 MiB.
 * A character or subword vocabulary fits many times over (100 symbols · LSTM(512) is 0.8 MiB);
 * a 20,000-word vocabulary into LSTM(128) (40 MiB) does not, and steps as before.
 */
export const PROJECTION_MAX_FLOATS = 1 << 20;

/**
 * @internal Switches for tests and bench/sampleBench.ts. fused: sampleNext of an Embedding →
 * LSTM → Dense(softmax) model on the wasm backend takes the one-call step (FusedSampling);
 * off, it runs the model's layers and sampleIndex as before (the same numbers and draws).
 */
export const sampleTuning = { fused: true };

/** What stream({precision}) accepts: the float32 model as it is, or its recurrent product in 8-bit weights. */
export type StreamPrecision = 'float32' | 'int8';
const PRECISIONS: readonly StreamPrecision[] = ['float32', 'int8'];

/**
 * An Embedding reading model input `input` ([batch, steps] indices) straight into an LSTM
 * (its only input, no initial-state inputs): one step's input product x·kernel + bias is
 * then a row of a [vocab, 4H] table, computed once per weights version instead of per step.
 */
interface Projection {
  readonly input: number;
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  /** weightsVersion() when the table was filled; −1: never. */
  version: number;
  /** What the LSTM is handed for a step (one object, so a step allocates nothing). */
  view: { readonly table: Float32Array; readonly ids: Float32Array } | null;
}

/** What sampleNext keeps between calls (made at its first call). */
interface Sampling {
  readonly where: string;
  /** Width of the probability output: the vocabulary. */
  readonly vocab: number;
  /** The step's indices as the model's input. */
  readonly input: Float32Array;
  /** The drawn indices (returned). */
  readonly out: Int32Array;
  readonly scratch: Float64Array;
  /** The options object whose keys were last checked, and the temperature and topK last checked. */
  checked: SampleIndexOptions | null;
  temperature: number | undefined;
  topK: number | undefined;
  /** The one-call step, where the model and backend allow it (null: the layers run). */
  fused: FusedSampling | null;
}

/**
 * sampleNext of a model that is exactly Embedding → LSTM → Dense(softmax) on resident
 * weights: the step, the probabilities and the draws in one WebAssembly call
 * (backend/wasm/sample.ts), instead of the executor running three layers and sampleIndex
 * running in JavaScript. Same numbers as the layers' kernels, same draws as sampleIndex.
 */
interface FusedSampling {
  readonly sampler: WasmLstmSampler;
  readonly projection: Projection;
  readonly dense: Dense;
  /** weightsVersion() when the operands were bound (their arrays are re-read when it moves); −1: never. */
  version: number;
  /** The banned list set in the sampler's mask (a copy). */
  readonly bannedNow: number[];
}

const NO_OPTIONS: SampleIndexOptions = Object.freeze({});

/** A model input that only carries initial states: where its values go. */
interface StateInput {
  input: number;
  /** The recurrent runner and which of its states (0 = h, 1 = c). */
  runner: number;
  state: number;
}

export class Stream {
  private readonly engine: Engine;
  private readonly recurrent: Recurrent[];
  private readonly states: Float32Array[][];
  private readonly stateInputs: StateInput[];
  /** Error-message prefix, built once (a template string per step would allocate). */
  private readonly what: string;
  /** Per output, the shape for the last (steps, single) seen: a step is usually like the one before. */
  private lastT = -1;
  private lastSingle = false;
  private lastShapes: number[][] = [];
  private readonly projection: Projection | null;
  // The projection's buffers are fields of the stream itself, where releaseBuffers (dispose) finds them.
  /** [vocab, 4H], allocated at the first single step. */
  private projectionTable: Float32Array = new Float32Array(0);
  /** The step's indices, copied into backend memory for the kernel. */
  private projectionIds: Float32Array = new Float32Array(0);
  /** Per model input, the values fed at this step (set by feedInputs). */
  private readonly fed: (Float32Array | null)[];
  private sampling: Sampling | null = null;
  /** The fused samplers' WebAssembly blocks, as a field of the stream: releaseBuffers (TextGenerator.dispose) frees them with the states. */
  private samplerBlocks: Float32Array[] = [];

  /**
   * precision 'int8' (inference only, wasm backend, Embedding → LSTM → Dense(softmax) models
   * with units a multiple of 4): the LSTM's recurrent kernel — the product that is most of a
   * sampling step — held as 8-bit integers with one scale per column (max |w| / 127), the
   * state h rounded to 16 bits per step, the product by WebAssembly's i32x4.dot_i16x8_s;
   * everything else in float32. The weights are quantised again whenever they are written.
   * step() runs a chunk one step at a time through the same kernel.
   */
  readonly precision: StreamPrecision;
  /** precision 'int8': the fused step every single step takes. */
  private readonly int8: FusedSampling | null = null;

  constructor(
    private readonly model: StreamableModel,
    readonly batchSize: number,
    precision: StreamPrecision = 'float32',
  ) {
    this.engine = model.engine;
    const ex = this.engine.executor;
    for (const l of ex.runners) {
      if (!isStepwise(l)) {
        const names = [...new Set(ex.runners.filter(isStepwise).map((r) => r.className))];
        throw new RangeError(`${model.where}: ${l.where} cannot run step by step (it needs the whole sequence); stream() supports ${names.length > 0 ? names.join(', ') : 'recurrent, Dense, Embedding and elementwise layers'}`);
      }
    }
    this.what = `${model.where}: stream step`;
    this.recurrent = ex.runners.filter((l): l is Recurrent => l instanceof Recurrent);
    // Allocated by the backend, so kernels can read and write the carried state in place.
    this.states = this.recurrent.map((l) => Array.from({ length: l.numStates }, () => backend().alloc(batchSize * l.units)));
    this.stateInputs = [];
    const g = this.engine.graph;
    g.inputs.forEach((t, k) => {
      const uses = g.nodes.flatMap((n) => n.inputs.map((x, i) => ({ n, i })).filter((u) => u.n.inputs[u.i] === t));
      const asState = uses.filter((u) => u.i >= u.n.mainCount && u.n.runner instanceof Recurrent);
      if (uses.length === 0 || asState.length !== uses.length || uses.length !== 1) return;
      const u = asState[0]!;
      this.stateInputs.push({ input: k, runner: this.recurrent.indexOf(u.n.runner as Recurrent), state: u.i - u.n.mainCount });
    });
    this.fed = g.inputs.map(() => null);
    this.projection = this.findProjection();
    if (!PRECISIONS.includes(precision)) {
      const hint = precision === ('bfloat16' as string) ? ' (bfloat16 is not offered: it halves the bytes read but not the float multiply-adds, which bound a step here)' : '';
      throw new RangeError(`${model.where}: stream: precision must be ${PRECISIONS.map((p) => `'${p}'`).join(' or ')}, got ${show(precision)}${hint}`);
    }
    this.precision = precision;
    if (precision === 'int8') this.int8 = this.int8Sampling();
  }

  /** precision 'int8's fused step, or a RangeError saying why this model or backend has none. */
  private int8Sampling(): FusedSampling {
    const where = `${this.model.where}: stream: precision 'int8'`;
    const g = this.engine.graph;
    const outT = g.outputs[0]!;
    const V = outT.shape[outT.shape.length - 1];
    const lstm = this.projection?.lstm;
    if (lstm !== undefined && lstm.units % 4 !== 0) throw new RangeError(`${where} needs LSTM units that are a multiple of 4; ${lstm.where} has ${lstm.units}`);
    const f = g.inputs.length === 1 && g.outputs.length === 1 && typeof V === 'number' ? this.findFused(V, true) : null;
    if (f !== null) return f;
    if (lstm !== undefined && !isResident(lstm.weights[1]!.value)) {
      throw new RangeError(`${where} needs the wasm backend (int8 products are WebAssembly kernels; the TypeScript backend computes in float32 only): build the model after useBackend('wasm')`);
    }
    throw new RangeError(`${where} is implemented for models that are Embedding → LSTM → Dense(softmax) (its one input indices, its one output the probabilities), with activations the wasm backend has; this one has layers ${this.engine.executor.runners.map((l) => l.where).join(' → ')}`);
  }

  /** The first Embedding → LSTM pair a table can serve (see Projection), where the table fits PROJECTION_MAX_FLOATS. */
  private findProjection(): Projection | null {
    const g = this.engine.graph;
    for (const n of g.nodes) {
      if (!(n.runner instanceof LSTM) || n.inputs.length !== 1) continue;
      const lstm = n.runner;
      const e = g.nodes.find((m) => m.outputs.includes(n.inputs[0]!));
      if (e === undefined || !(e.runner instanceof Embedding) || e.inputs.length !== 1) return null;
      const input = g.inputs.indexOf(e.inputs[0]!);
      // Indices [batch, steps]: one index per row and step (not [batch, steps, k]).
      if (input < 0 || g.inputs[input]!.shape.length !== 2) return null;
      const embedding = e.runner;
      if (embedding.inputDim * 4 * lstm.units > PROJECTION_MAX_FLOATS) return null;
      return { input, embedding, lstm, version: -1, view: null };
    }
    return null;
  }

  /**
   * Before a single step: the table filled for the current weights (rebuilt whenever any
   * weights were written since), the step's indices copied, and the LSTM handed both.
   */
  private prepareProjection(p: Projection): void {
    const ids = this.fed[p.input];
    if (ids === null || ids === undefined) return;
    this.fillProjectionTable(p);
    // Unchecked here: the Embedding, which runs first, refuses an index outside [0, vocab).
    p.view!.ids.set(ids);
    p.lstm.inputProjection = p.view;
  }

  /** The projection's buffers made (once) and the table filled for the current weights. */
  private fillProjectionTable(p: Projection): void {
    const V = p.embedding.inputDim;
    if (p.view === null) {
      this.projectionTable = backend().alloc(V * 4 * p.lstm.units);
      this.projectionIds = backend().alloc(this.batchSize);
      p.view = { table: this.projectionTable, ids: this.projectionIds };
    }
    if (p.version !== weightsVersion()) {
      // The Embedding's one weight is its embeddings [vocab, outputDim].
      p.lstm.fillInputProjection(p.view.table, p.embedding.weights[0]!.value, V);
      p.version = weightsVersion();
    }
  }

  /**
   * Feed x: [batch, features] for one step, or [batch, steps, features] for a chunk
   * (for an Embedding first layer: [batch] or [batch, steps] of indices); several
   * inputs as a list or an object by name. Returns the model's outputs for these steps
   * (the time axis dropped for a single step); a list for several outputs.
   */
  step(input: Tensor | NestedArray | readonly (Tensor | NestedArray | null)[] | Readonly<Record<string, Tensor | NestedArray | null>>): Tensor {
    const g = this.engine.graph;
    const ex = this.engine.executor;
    const nIn = g.inputs.length;
    const given: unknown[] = nIn === 1 ? [input] : splitByName<Tensor | NestedArray | null>(input, this.model.inputNames, this.what, (k) => this.stateInputs.some((s) => s.input === k));
    let T = -1;
    let single = false;
    let int8Out: Float32Array | null = null;
    ex.dynamicTime = true;
    try {
      ({ T, single } = this.feedInputs(given));
      if (this.int8 !== null) int8Out = this.stepInt8(this.int8, T);
      else {
        for (let i = 0; i < this.recurrent.length; i++) this.recurrent[i]!.externalStates = this.states[i]!;
        if (this.projection !== null && T === 1) this.prepareProjection(this.projection);
        ex.forward(this.batchSize, false);
      }
    } finally {
      ex.dynamicTime = false;
      for (const l of this.recurrent) l.externalStates = null;
      if (this.projection !== null) this.projection.lstm.inputProjection = null;
      this.fed.fill(null);
    }
    if (T !== this.lastT || single !== this.lastSingle) this.cacheOutputShapes(T, single);
    const outs = g.outputs.map((_, o) => {
      const shape = this.lastShapes[o]!;
      const size = shape.reduce((a, b) => a * b, 1);
      return new Tensor((int8Out ?? ex.buf[ex.outputTensor(o)]!).slice(0, size), shape.slice());
    });
    return (outs.length === 1 ? outs[0]! : outs) as unknown as Tensor;
  }

  /**
   * step() of an int8 stream: each step through the fused kernel, whose probabilities are the
   * output ([B, V] for one step; a chunk's [B, T, V], or its last step's [B, V] where the LSTM
   * returns only its last output). Every step's ids are checked before the first runs.
   */
  private stepInt8(f: FusedSampling, T: number): Float32Array {
    const B = this.batchSize;
    const x = this.fed[0]!;
    const ids = T === 1 ? x : new Float32Array(B);
    const at = (t: number): Float32Array => {
      if (T > 1) for (let b = 0; b < B; b++) ids[b] = x[b * T + t]!;
      return ids;
    };
    for (let t = 0; t < T; t++) {
      if (!this.fusedReady(f, at(t))) {
        // An id the Embedding refuses, or a disposed model: the layers throw what a float32 stream throws.
        this.engine.executor.forward(B, false);
        throw new RangeError(`${this.what}: precision 'int8' could not take this step`);
      }
    }
    const probs = f.sampler.probs;
    if (T === 1) {
      f.sampler.run(false);
      return probs;
    }
    const V = f.sampler.V;
    const all = f.projection.lstm.returnSequences;
    const out = new Float32Array(all ? B * T * V : B * V);
    for (let t = 0; t < T; t++) {
      f.sampler.ids.set(at(t));
      f.sampler.run(false);
      if (!all && t < T - 1) continue;
      for (let b = 0; b < B; b++) out.set(probs.subarray(b * V, (b + 1) * V), all ? (b * T + t) * V : b * V);
    }
    return out;
  }

  /**
   * One sampling step that allocates nothing: feed one index per row (`ids`, batchSize of
   * them: each row's last token) and draw each row's next index from the model's output
   * probabilities for that step, exactly as sampleIndex draws (temperature, topK, banned;
   * row r with `rng[r]`, or with the one `rng` for every row in row order). The
   * probabilities are read where the model's softmax wrote them, not copied. Returns an
   * Int32Array the stream owns, overwritten by the next call. For models with one input of
   * indices read by an Embedding and one output of softmax probabilities.
   *
   *   let ids = Int32Array.of(startId);
   *   for (let i = 0; i < 100; i++) ids = stream.sampleNext(ids, rng, { temperature: 0.8 });
   */
  sampleNext(ids: ArrayLike<number>, rng: Rng | readonly Rng[], options: SampleIndexOptions = NO_OPTIONS): Int32Array {
    const s = this.sampling ?? (this.sampling = this.prepareSampling());
    const B = this.batchSize;
    const where = s.where;
    if (ids === null || typeof ids !== 'object' || ids.length !== B) {
      throw new RangeError(`${where}: ids must hold one index per row of the stream (${B}), got ${ids === null || typeof ids !== 'object' ? show(ids) : `${ids.length} values`}`);
    }
    const perRow = Array.isArray(rng);
    if (perRow) {
      if (rng.length !== B) throw new RangeError(`${where}: rng must be one Rng, or one per row (${B}), got ${rng.length}`);
      for (let r = 0; r < B; r++) if (!(rng[r] instanceof Rng)) throw new TypeError(`${where}: rng[${r}] must be an Rng, got ${show(rng[r])}`);
    } else if (!(rng instanceof Rng)) throw new TypeError(`${where}: rng must be an Rng (or one per row), got ${show(rng)}`);
    // The values are compared every call (the object may have changed since it was checked)
    // and checked when new: passing a number to a checking function every call would box it.
    if (options !== s.checked || options.temperature !== s.temperature || options.topK !== s.topK) {
      if (options !== s.checked) checkOptions(options, ['temperature', 'topK', 'banned'], where);
      checkSamplingOptions(options.temperature, options.topK, where);
      s.checked = options;
      s.temperature = options.temperature;
      s.topK = options.topK;
    }
    const banned = options.banned;
    if (banned !== undefined) {
      if (!Array.isArray(banned)) throw new TypeError(`${where}: banned must be an array of indices, got ${show(banned)}`);
      for (let i = 0; i < banned.length; i++) if (!Number.isInteger(banned[i])) throw new RangeError(`${where}: banned[${i}] must be an integer index, got ${show(banned[i])}`);
    }
    const f = s.fused;
    if (f !== null && (sampleTuning.fused || f === this.int8) && this.fusedReady(f, ids)) return this.sampleFused(f, s, perRow, rng, options);
    const x = s.input;
    // Unchecked here: the Embedding refuses whatever is not an index in [0, vocab), NaN included.
    for (let r = 0; r < B; r++) x[r] = ids[r]!;
    const ex = this.engine.executor;
    ex.dynamicTime = true;
    try {
      ex.setInput(0, x, 1, null);
      this.fed[0] = x;
      for (let i = 0; i < this.recurrent.length; i++) this.recurrent[i]!.externalStates = this.states[i]!;
      if (this.projection !== null) this.prepareProjection(this.projection);
      ex.forward(B, false);
    } finally {
      ex.dynamicTime = false;
      for (const l of this.recurrent) l.externalStates = null;
      if (this.projection !== null) this.projection.lstm.inputProjection = null;
      this.fed[0] = null;
    }
    // The softmax output of this step, [B, vocab], in the output layer's own buffer.
    const probs = ex.buf[ex.outputTensor(0)]!;
    const V = s.vocab;
    const out = s.out;
    for (let r = 0; r < B; r++) out[r] = sampleIndex(probs, r * V, V, perRow ? (rng as readonly Rng[])[r]! : (rng as Rng), options, s.scratch);
    return out;
  }

  /** sampleNext's checks of the model (once) and its buffers. */
  private prepareSampling(): Sampling {
    const where = `${this.model.where}: stream sampleNext`;
    const g = this.engine.graph;
    if (g.inputs.length !== 1 || g.outputs.length !== 1) {
      throw new RangeError(`${where}: needs a model with one input (indices) and one output (probabilities); this one has ${g.inputs.length} inputs and ${g.outputs.length} outputs`);
    }
    const inp = g.inputs[0]!;
    if (inp.shape.length !== 2 || !g.nodes.some((n) => n.inputs.includes(inp) && n.runner instanceof Embedding)) {
      throw new RangeError(`${where}: needs indices read by an Embedding as the model's input ([batch, steps]); this input has shape ${formatShape(inp.shape)}`);
    }
    const outT = g.outputs[0]!;
    const last = g.nodes.find((n) => n.outputs.includes(outT))!.runner;
    const softmax = (last instanceof Dense || last instanceof Activation) && last.activation === Act.softmax;
    if (!softmax) throw new RangeError(`${where}: draws from probabilities, so the model's output must be a softmax (Dense or Activation with activation 'softmax'); it comes from ${last.where}`);
    const V = outT.shape[outT.shape.length - 1];
    if (typeof V !== 'number' || outT.shape.length < 2 || outT.shape.length > 3) throw new RangeError(`${where}: expected an output of shape [batch, vocab] per step, got ${formatShape(outT.shape)}`);
    return { where, vocab: V, input: new Float32Array(this.batchSize), out: new Int32Array(this.batchSize), scratch: new Float64Array(V), checked: null, temperature: undefined, topK: undefined, fused: this.int8 ?? this.findFused(V) };
  }

  /** The one-call sampling step for this model, or null (see FusedSampling). */
  private findFused(V: number, int8 = false): FusedSampling | null {
    const p = this.projection;
    const runners = this.engine.executor.runners;
    if (p === null || runners.length !== 3 || runners[0] !== p.embedding || runners[1] !== p.lstm || !(runners[2] instanceof Dense)) return null;
    const dense = runners[2];
    const g = this.engine.graph;
    const node = g.nodes.find((n) => n.runner === dense)!;
    const lstmNode = g.nodes.find((n) => n.runner === p.lstm)!;
    if (node.inputs.length !== 1 || node.inputs[0] !== lstmNode.outputs[0] || node.outputs[0] !== g.outputs[0] || dense.activation !== Act.softmax) return null;
    const H = p.lstm.units;
    const rk = p.lstm.weights[1]!;
    const dk = dense.weights[0]!;
    if (rk.shape[0] !== H || rk.shape[1] !== 4 * H || dk.shape[0] !== H || dk.shape[1] !== V) return null;
    const sampler = WasmLstmSampler.create(this.batchSize, H, V, p.lstm.activation, p.lstm.recurrentActivation, rk.value, int8);
    if (sampler === null) return null;
    this.samplerBlocks.push(...sampler.blocks());
    return { sampler, projection: p, dense, version: -1, bannedNow: [] };
  }

  /**
   * Whether this step can take the fused path: the layers not disposed, every id an index
   * the Embedding accepts and not masked (maskZero's 0 takes every row through the time
   * loop) — else the layers run, and refuse what they refuse — and the operands bound for the
   * current weights (the input-projection table refilled when they moved).
   */
  private fusedReady(f: FusedSampling, ids: ArrayLike<number>): boolean {
    const p = f.projection;
    const emb = p.embedding;
    // Disposed layers, or this stream's buffers released (its states then are empty): the layers run, and throw.
    if (emb.isDisposed || p.lstm.isDisposed || f.dense.isDisposed || this.states[0]![0]!.length === 0) return false;
    const n = emb.inputDim;
    const zero = emb.maskZero ? 0 : -1;
    const x = f.sampler.ids;
    for (let r = 0; r < this.batchSize; r++) {
      const v = ids[r]!;
      if (!(v >= 0 && v < n && Math.floor(v) === v)) return false;
      if (v === zero) {
        // The layers would run this step in float32: an int8 stream has no masked step.
        if (f === this.int8) throw new RangeError(`${this.model.where}: stream: precision 'int8' steps no padding: ${emb.where} masks index 0 (maskZero), given for row ${r}`);
        return false;
      }
      x[r] = v;
    }
    if (f.version !== weightsVersion()) {
      this.fillProjectionTable(p);
      const bias = f.dense.useBias ? f.dense.weights[1]!.value : null;
      const states = this.states[0]!;
      if (!f.sampler.bind(this.projectionTable, p.lstm.weights[1]!.value, states[0]!, states[1]!, f.dense.weights[0]!.value, bias)) {
        if (f === this.int8) throw new RangeError(`${this.model.where}: stream: precision 'int8' needs the model's weights in WebAssembly memory (the wasm backend); they are not since they were last written`);
        if (this.sampling !== null) this.sampling.fused = null;
        return false;
      }
      f.version = weightsVersion();
    }
    return true;
  }

  /** sampleNext's step and draws through the fused kernel (ids already placed by fusedReady). */
  private sampleFused(f: FusedSampling, s: Sampling, perRow: boolean, rng: Rng | readonly Rng[], options: SampleIndexOptions): Int32Array {
    const B = this.batchSize;
    const sm = f.sampler;
    const u = sm.uniforms;
    // One uniform per row in row order, as sampleIndex draws them.
    for (let r = 0; r < B; r++) u[r] = (perRow ? (rng as readonly Rng[])[r]! : (rng as Rng)).uniform();
    this.setBanned(f, options.banned);
    // The kernel draws sampleIndex's temperature-1, no-top-k way; other draws take logarithms
    // and exponentials, which only JavaScript's Math rounds as sampleIndex does.
    const draw = (options.temperature === undefined || options.temperature === 1) && options.topK === undefined;
    sm.run(draw);
    const V = s.vocab;
    const out = s.out;
    const drawn = sm.out;
    for (let r = 0; r < B; r++) {
      const o = draw ? drawn[r]! : -1;
      out[r] = o >= 0 ? o : sampleIndexWith(sm.probs, r * V, V, u, r, options, s.scratch);
    }
    return out;
  }

  /** The sampler's banned mask for this call's list (rewritten only when the list changed). */
  private setBanned(f: FusedSampling, banned: readonly number[] | undefined): void {
    const now = f.bannedNow;
    const len = banned === undefined ? 0 : banned.length;
    let same = len === now.length;
    for (let i = 0; same && i < len; i++) same = banned![i] === now[i];
    if (same) return;
    const mask = f.sampler.banned;
    const V = mask.length;
    for (let i = 0; i < now.length; i++) {
      const b = now[i]!;
      if (b >= 0 && b < V) mask[b] = 0;
    }
    now.length = 0;
    for (let i = 0; i < len; i++) {
      const b = banned![i]!;
      now.push(b);
      if (b >= 0 && b < V) mask[b] = 1;
    }
  }

  /** Check each given input and place it in the executor; returns the steps of this call. */
  private feedInputs(given: readonly unknown[]): { T: number; single: boolean } {
    const g = this.engine.graph;
    const ex = this.engine.executor;
    const nIn = g.inputs.length;
    let T = -1;
    let single = false;
    for (let k = 0; k < nIn; k++) {
      const v = given[k];
      const si = this.stateInput(k);
      if (si !== null) {
        if (v !== undefined && v !== null) this.loadState(si, v as Tensor | NestedArray, k);
        ex.setInput(k, this.states[si.runner]![si.state]!, 1, null);
        continue;
      }
      if (v === undefined || v === null) throw new RangeError(`${this.what}: input '${this.model.inputNames[k]}' is required at every step`);
      const x = toTensor(v as Tensor | NestedArray, this.what);
      // A NaN fed in would stay in the carried state and every later output: refuse it here.
      const bad = x.data.findIndex((e) => !Number.isFinite(e));
      if (bad >= 0) throw new RangeError(`${this.inputWhere(k)}: holds ${x.data[bad]} at index ${bad}; a stream takes finite values only (its state would carry the NaN forever)`);
      const want = g.inputs[k]!.shape.slice(1); // per sample, time axis first
      const one = x.rank === want.length; // [B, F] (or [B] of indices): one step
      if (x.rank !== want.length + 1 && !one) {
        throw new RangeError(`${this.inputWhere(k)}: a stream step takes [${this.batchSize}, …features] or [${this.batchSize}, steps, …features], got ${formatShape(x.shape)}`);
      }
      if (x.shape[0] !== this.batchSize) throw new RangeError(`${this.what}: this stream has batch size ${this.batchSize}, got ${x.shape[0]} samples`);
      const steps = one ? 1 : x.shape[1]!;
      if (T !== -1 && (steps !== T || one !== single)) throw new RangeError(`${this.what}: every input must have the same number of steps in one call`);
      T = steps;
      single = one;
      const featureAxis = one ? 1 : 2;
      for (let i = 1; i < want.length; i++) {
        const d = want[i];
        if (x.shape[featureAxis + i - 1] !== d && d !== null) {
          throw new RangeError(`${this.inputWhere(k)}: expected steps of shape ${formatShape([this.batchSize, ...want.slice(1)])}, got ${formatShape(x.shape)}`);
        }
      }
      ex.setInput(k, x.data, steps, null);
      this.fed[k] = x.data;
    }
    return { T: T === -1 ? 1 : T, single: T === -1 ? true : single };
  }

  private stateInput(k: number): StateInput | null {
    for (const s of this.stateInputs) if (s.input === k) return s;
    return null;
  }

  private inputWhere(k: number): string {
    const g = this.engine.graph;
    const consumer = g.nodes.find((n) => n.inputs.includes(g.inputs[k]!));
    return consumer?.layer.where ?? `input '${this.model.inputNames[k]}'`;
  }

  /** Copy a given initial state ([batch, units]) into the stream's state. */
  private loadState(si: StateInput, v: Tensor | NestedArray, k: number): void {
    const t = toTensor(v, this.what);
    const dst = this.states[si.runner]![si.state]!;
    const units = this.recurrent[si.runner]!.units;
    if (t.rank !== 2 || t.shape[0] !== this.batchSize || t.shape[1] !== units) {
      throw new RangeError(`${this.what}: input '${this.model.inputNames[k]}' is a state of ${this.recurrent[si.runner]!.where}: expected [${this.batchSize}, ${units}], got ${formatShape(t.shape)}`);
    }
    dst.set(t.data);
  }

  private cacheOutputShapes(T: number, single: boolean): void {
    const g = this.engine.graph;
    const xLen = g.inputs.map(() => T);
    const shapes = g.concreteShapes(xLen);
    // The time axis of a sequence output has this call's length, whatever length the model declared.
    this.lastShapes = g.outputs.map((t) => {
      const declared = t.shape.slice(1);
      const s = (shapes[g.indexOf(t)] as number[]).map((d, i) => (i === 0 && declared.length >= 2 ? T : d));
      return single && declared.length === 2 ? [this.batchSize, s[1]!] : [this.batchSize, ...s];
    });
    this.lastT = T;
    this.lastSingle = single;
  }

  /** Back to the zero state. */
  reset(): void {
    for (const s of this.states) for (const a of s) a.fill(0);
  }

  /** Current states per recurrent layer (h, then c for LSTM), as [batch, units] Tensors. */
  getStates(): Tensor[][] {
    return this.states.map((s, i) => s.map((a) => new Tensor(a.slice(), [this.batchSize, this.recurrent[i]!.units])));
  }
}
