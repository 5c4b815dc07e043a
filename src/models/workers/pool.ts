/**
 * Data-parallel fit, the main thread's side (protocol.ts has the shared layout, replica.ts
 * the worker's side): `workers` option checks, the 'auto' rule, and ParallelTrainer, which
 * owns the worker threads of one fit — started by fit, closed (terminated) when fit ends,
 * however it ends.
 *
 * A step splits the batch into `threads` contiguous shards; the main thread computes
 * shard 0 while each worker computes its own; the gradients are combined once per batch
 * (Σ shardScale · shard gradient), then the main thread alone applies regularizers, the
 * optimizer and constraints and updates the metrics from every shard's outputs.
 */
import {
  Activation,
  Bidirectional,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  GRU,
  LSTM,
  Masking,
  Recurrent,
  RepeatVector,
  SimpleRNN,
  TimeDistributed,
  type Layer,
} from '../../layers/index.js';
import { lossFromConfig, type Loss } from '../../losses/index.js';
import { backend } from '../../backend/index.js';
import type { Dataset } from '../data.js';
import type { Engine } from '../engine.js';
import type { Sequential } from '../sequential.js';
import { modelToArtifacts } from '../saving.js';
import {
  CMD,
  CMD_BATCH,
  CMD_EXIT,
  DONE,
  EPOCH,
  FAILED,
  SEQ,
  SHARD,
  allocShared,
  shardScale,
  shardSize,
  shardStart,
  type BatchDims,
  type InitMessage,
  type InjectedFault,
  type WorkerMessage,
} from './protocol.js';
import { availableCores, spawnThread, threadsAvailable, type ThreadHandle } from './threads.js';

/** fit's `workers` option: threads doing the work (the main thread counts as one), or 'auto'. */
export type WorkersOption = number | 'auto';

/**
 * Test-only hooks (not exported from the package): make a worker fail on purpose; shorten
 * the startup deadline and the grace a batch's workers get after the main thread's shard.
 */
export const workerTestHooks: { fault: InjectedFault | null; startupTimeoutMs: number; stallGraceMs: number } = {
  fault: null,
  startupTimeoutMs: 60_000,
  stallGraceMs: 30_000,
};

/**
 * A worker's shard is the size of the main thread's: once the main thread is done, the
 * workers get this many times its time (plus the grace) before fit calls them stalled.
 * Node reports a dead thread ('exit'); a browser does not, and fit would wait forever.
 */
const STALL_FACTOR = 20;

/**
 * The 'auto' rule's constants. A step's synchronisation costs ~0.015–0.05 ms idle, more
 * under load (one wake-up each way; measured on a 2-core x86 machine), plus a few ns per
 * parameter (weights out, each worker's gradient back, the reduction). 'auto' uses t > 1
 * threads only when each thread gets ≥ AUTO_MIN_ROWS rows (narrower shards run the
 * products too thin to pay), ≥ AUTO_MIN_FLOPS estimated training FLOPs per batch and
 * ≥ AUTO_FLOPS_PER_PARAM per parameter. Measured with the WebAssembly kernels, LSTM(32)
 * on [32, 10, 8] batches (1e7 FLOPs, 5e6 per thread) gains nothing from 2 threads
 * (0.54 ms per batch either way), [32, 20, 8] (1e7 per thread) goes from 1.04 to 0.72 ms,
 * and the bigger the work the closer to 2× (LSTM(128), [64, 50, 16]: 54 → 30–34 ms; with
 * the TypeScript kernels 364 → 187 ms).
 */
export const AUTO_MIN_ROWS = 8;
export const AUTO_MIN_FLOPS = 1e7;
export const AUTO_FLOPS_PER_PARAM = 1000;

export function checkWorkersOption(v: unknown): WorkersOption {
  if (v === 'auto') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  const shown = typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
  throw new RangeError(`fit: workers must be a positive integer or 'auto', got ${shown}`);
}

/** The first stateful recurrent layer (stateful layers carry state across batches: no data parallelism). */
function statefulLayer(layers: readonly Layer[]): Layer | null {
  for (const l of layers) {
    const inner = l instanceof Bidirectional ? l.forwardLayer : l;
    if (inner instanceof Recurrent && inner.stateful) return l;
  }
  return null;
}

const BUILT_IN: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['Dense', Dense],
  ['SimpleRNN', SimpleRNN],
  ['LSTM', LSTM],
  ['GRU', GRU],
  ['Embedding', Embedding],
  ['Masking', Masking],
  ['Dropout', Dropout],
  ['Activation', Activation],
  ['RepeatVector', RepeatVector],
  ['Flatten', Flatten],
  ['Bidirectional', Bidirectional],
  ['TimeDistributed', TimeDistributed],
]);

/**
 * The first layer a worker could not rebuild from its config as the same computation:
 * anything but rnnkit's own classes (a subclass too, even one keeping its parent's className).
 */
function customLayer(layers: readonly Layer[]): Layer | null {
  for (const l of layers) {
    if (BUILT_IN.get(l.className) !== l.constructor) return l;
    const inner = l instanceof Bidirectional ? l.forwardLayer : l instanceof TimeDistributed ? l.layer : null;
    if (inner !== null && customLayer([inner]) !== null) return l;
  }
  return null;
}

/** Whether a worker can rebuild this loss from its config (built-in losses only). */
function lossTransferable(loss: Loss): boolean {
  try {
    return lossFromConfig(loss.className, loss.getConfig()).constructor === loss.constructor;
  } catch {
    return false;
  }
}

/**
 * Estimated training FLOPs of one batch: every 2-D weight matrix (kernels, recurrent
 * kernels; not embeddings or biases) multiplies once per sample and time step it sees,
 * 2 FLOPs per multiply-add, ×3 for forward + the two backward products. For a
 * recurrent layer that is 6·B·T·(I + H)·G·H.
 */
export function estimateBatchFlops(layers: readonly Layer[], B: number, T: number): number {
  let t = T;
  let flops = 0;
  for (const l of layers) {
    const steps = l.inputShape.length === 2 ? t : 1;
    if (l.className !== 'Embedding') {
      for (const w of l.weights) if (w.shape.length === 2 && !w.name.includes('bias')) flops += 6 * B * steps * w.shape[0]! * w.shape[1]!;
    }
    t = l.outputTime(t);
  }
  return flops;
}

/**
 * How many threads fit uses. An explicit n > 1 must be possible here (else an error
 * saying why); 'auto' is 1 wherever n > 1 is impossible or not expected to win (see
 * AUTO_MIN_ROWS, AUTO_MIN_FLOPS, AUTO_FLOPS_PER_PARAM), else the most threads (≤ cores)
 * that each get enough work. More threads than rows in a batch would idle: n is capped at batchSize.
 */
export async function resolveThreads(option: WorkersOption, layers: readonly Layer[], loss: Loss, batchSize: number, T: number): Promise<number> {
  if (option === 1) return 1;
  const auto = option === 'auto';
  const stateful = statefulLayer(layers);
  if (stateful !== null) {
    if (auto) return 1;
    throw new RangeError(`${stateful.where}: a stateful layer carries its state from one batch to the next, so it cannot train data-parallel (fit option workers: ${option}); use workers: 1`);
  }
  if (!threadsAvailable()) {
    if (auto) return 1;
    throw new Error(`fit: workers: ${option} needs worker threads with SharedArrayBuffer, which this runtime lacks (in a browser the page must be cross-origin isolated); use workers: 1 or 'auto'`);
  }
  const custom = customLayer(layers);
  if (custom !== null) {
    if (auto) return 1;
    throw new RangeError(`${custom.where}: fit option workers: ${option} needs rnnkit's own layer classes (worker threads rebuild the model from its config); this one is ${custom.constructor.name}`);
  }
  if (!lossTransferable(loss)) {
    if (auto) return 1;
    throw new RangeError(`fit: workers: ${option} needs a built-in loss (worker threads rebuild it from its config); '${loss.name}' (${loss.className}) is not one`);
  }
  if (!auto) return Math.min(option, batchSize);
  const cores = await availableCores();
  const flops = estimateBatchFlops(layers, batchSize, T);
  const params = layers.reduce((k, l) => k + l.countParams(), 0);
  const enough = Math.max(AUTO_MIN_FLOPS, AUTO_FLOPS_PER_PARAM * params);
  let n = Math.min(cores, Math.floor(batchSize / AUTO_MIN_ROWS));
  while (n > 1 && flops / n < enough) n--;
  return Math.max(1, n);
}

interface WaitAsync {
  (a: Int32Array, index: number, value: number, timeout?: number): { async: boolean; value: Promise<string> | string };
}
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** The worker threads of one fit and the shared memory they work in. */
export class ParallelTrainer {
  private readonly handles: ThreadHandle[] = [];
  private readonly ctrl: Int32Array;
  private readonly results: Float64Array;
  private readonly sharedParams: Float32Array;
  private readonly sharedGrads: Float32Array;
  private readonly sx: Float32Array;
  private readonly sy: Float32Array;
  private readonly ssw: Float32Array;
  private readonly sOut: Float32Array;
  private readonly sMask: Float32Array;
  private failure: Error | null = null;
  private closed = false;
  private wake: (() => void) | null = null; // resolves the main thread's wait on a message
  private doneMessages = 0;
  private readonly scale: Float64Array; // per shard: its factor in the reduction

  private constructor(
    private readonly engine: Engine,
    private readonly loss: Loss,
    private readonly threads: number,
    private readonly dims: BatchDims,
    private readonly paramCount: number,
    buffers: InitMessage['buffers'],
  ) {
    this.ctrl = new Int32Array(buffers.ctrl);
    this.results = new Float64Array(buffers.results);
    this.sharedParams = new Float32Array(buffers.params);
    this.sharedGrads = new Float32Array(buffers.grads);
    this.sx = new Float32Array(buffers.x);
    this.sy = new Float32Array(buffers.y);
    this.ssw = new Float32Array(buffers.sw);
    this.sOut = new Float32Array(buffers.out);
    this.sMask = new Float32Array(buffers.mask);
    this.scale = new Float64Array(threads);
  }

  /**
   * Start threads − 1 workers for a fit on `ds` (the model built and compiled, its
   * arenas planned) and wait until each has built its replica.
   */
  static async start(model: Sequential, threads: number, ds: Dataset, batchSize: number, fitSeed: number): Promise<ParallelTrainer> {
    const engine = model.engine;
    const loss = model.loss!;
    const outShape = model.outputShape;
    const cols = outShape[outShape.length - 1] as number;
    const outWidth = engine.outputWidth(ds.T);
    const dims: BatchDims = {
      T: ds.T,
      xWidth: ds.xWidth,
      yWidth: ds.yWidth,
      swWidth: ds.swWidth,
      outWidth,
      rowsPerSample: outWidth / cols,
      cols,
      batchSize,
      weighted: ds.sw !== null,
    };
    const P = engine.params.length;
    const buffers = allocShared(threads, P, dims);
    const trainer = new ParallelTrainer(engine, loss, threads, dims, P, buffers);
    const { modelJson, weightData } = modelToArtifacts(model, {}, 'weights.bin');
    const ready = new Set<number>();
    let startupDone: (() => void) | null = null;
    const allReady = new Promise<void>((resolve) => (startupDone = resolve));
    try {
      for (let i = 1; i < threads; i++) {
        const handle = await spawnThread({
          message: (data) => {
            const m = data as WorkerMessage;
            if (m.type === 'ready') {
              ready.add(i);
              if (ready.size === threads - 1) startupDone!();
            } else if (m.type === 'error') trainer.fail(i, m.message);
            else if (m.type === 'done') {
              trainer.doneMessages++;
              trainer.wakeUp();
            }
          },
          error: (err) => trainer.fail(i, err.message),
          exit: (code) => trainer.fail(i, `the thread exited unexpectedly (exit code ${code})`),
        });
        trainer.handles.push(handle);
        const init: InitMessage = {
          type: 'init',
          index: i,
          threads,
          backend: backend().name,
          modelJson,
          weightData,
          loss: { className: loss.className, config: loss.getConfig() },
          paramCount: P,
          dims,
          buffers,
          fitSeed,
          postDone: waitAsync === undefined,
          fault: workerTestHooks.fault,
        };
        handle.post(init);
      }
      // Wait for every replica, or the first failure, or the deadline: a worker whose
      // script loaded but never answers (a broken deployment) must not hang fit.
      const limit = workerTestHooks.startupTimeoutMs;
      const deadline = Date.now() + limit;
      while (ready.size < threads - 1 && trainer.failure === null) {
        const left = deadline - Date.now();
        if (left <= 0) {
          for (let i = 1; i < threads; i++) if (!ready.has(i)) trainer.fail(i, `it did not start within ${limit / 1000} s`);
          break;
        }
        await Promise.race([allReady, trainer.wakeOrTimeout(Math.min(left, 1000))]);
      }
      if (trainer.failure !== null) throw trainer.failure;
    } catch (e) {
      await trainer.close();
      throw e;
    }
    return trainer;
  }

  private fail(i: number, message: string): void {
    if (this.closed) return;
    this.failure ??= new Error(`fit: worker thread ${i} (of ${this.threads - 1}) failed: ${message}`);
    Atomics.notify(this.ctrl, DONE);
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private nextWake(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** The next wake-up, or `ms` later (the timer is cleared: it keeps no process alive). */
  private async wakeOrTimeout(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.nextWake(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /**
   * One training step on the first B samples of the engine's batch buffers (gathered
   * by fit as for a single-thread step): gradients of every shard, one reduction, one
   * update, metrics; the loss goes to engine.stepLoss[0] as trainStep's does.
   */
  async step(B: number, epoch: number, sparseTargets: boolean): Promise<void> {
    const { engine, ctrl, dims, threads: n } = this;
    if (this.failure !== null) throw this.failure;
    const P = this.paramCount;
    const B0 = shardSize(B, n, 0);
    for (let i = 1; i < n; i++) {
      ctrl[SHARD + 2 * i] = shardStart(B, n, i);
      ctrl[SHARD + 2 * i + 1] = shardSize(B, n, i);
    }
    // The workers' rows (row r of the batch at r · width, as in the engine's buffers) and the weights.
    copy(this.sx, engine.xb, B0 * dims.xWidth, B * dims.xWidth);
    copy(this.sy, engine.yb, B0 * dims.yWidth, B * dims.yWidth);
    if (dims.weighted) copy(this.ssw, engine.swb, B0 * dims.swWidth, B * dims.swWidth);
    copy(this.sharedParams, engine.params, 0, P);
    this.doneMessages = 0;
    Atomics.store(ctrl, EPOCH, epoch);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, CMD, CMD_BATCH);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);

    // Shard 0 on this thread meanwhile; its metrics now, before another forward reuses its output.
    const started = Date.now();
    const out = engine.computeGradients(engine.xb, B0, dims.T, dims.cols, dims.swWidth, dims.weighted);
    const rows0 = engine.lastRows;
    const mask = engine.outputMask;
    let valid = 0;
    if (mask !== null) for (let i = 0; i < rows0; i++) valid += mask[i]!;
    const valid0 = valid;
    const loss0 = engine.stepLoss[0]!;
    engine.updateMetrics(out, engine.yb, rows0, dims.cols, sparseTargets, mask);

    const ownMs = Date.now() - started;
    await this.waitDone(n - 1, workerTestHooks.stallGraceMs + STALL_FACTOR * ownMs);

    // One reduction: g = Σ_s scale_s · g_s (in doubles), loss likewise.
    const rows = B * dims.rowsPerSample;
    for (let i = 1; i < n; i++) valid += this.results[2 * i + 1]!;
    const masked = mask !== null;
    const red = this.loss.reduction;
    const scale = this.scale;
    scale[0] = shardScale(red, masked, rows0, valid0, rows, valid);
    let loss = scale[0]! * loss0;
    for (let i = 1; i < n; i++) {
      const rowsI = shardSize(B, n, i) * dims.rowsPerSample;
      scale[i] = shardScale(red, masked, rowsI, this.results[2 * i + 1]!, rows, valid);
      loss += scale[i]! * this.results[2 * i]!;
    }
    const g = engine.grads;
    const sg = this.sharedGrads;
    if (n === 2) {
      const c0 = scale[0]!;
      const c1 = scale[1]!;
      for (let k = 0; k < P; k++) g[k] = c0 * g[k]! + c1 * sg[k]!;
    } else {
      for (let k = 0; k < P; k++) {
        let acc = scale[0]! * g[k]!;
        for (let i = 1; i < n; i++) acc += scale[i]! * sg[(i - 1) * P + k]!;
        g[k] = acc;
      }
    }
    engine.stepLoss[0] = loss;
    engine.applyGradients();

    for (let i = 1; i < n; i++) {
      const r0 = shardStart(B, n, i);
      const count = shardSize(B, n, i);
      if (count === 0) continue;
      const rps = dims.rowsPerSample;
      engine.updateMetrics(
        this.sOut.subarray(r0 * dims.outWidth, (r0 + count) * dims.outWidth),
        engine.yb.subarray(r0 * dims.yWidth, (r0 + count) * dims.yWidth),
        count * rps,
        dims.cols,
        sparseTargets,
        masked ? this.sMask.subarray(r0 * rps, (r0 + count) * rps) : null,
      );
    }
  }

  /** Wait (without blocking the event loop) until `expected` workers are done, or one fails, or `patienceMs` pass. */
  private async waitDone(expected: number, patienceMs: number): Promise<void> {
    const ctrl = this.ctrl;
    const deadline = Date.now() + patienceMs;
    for (;;) {
      if (this.failure !== null) throw this.failure;
      if (Date.now() > deadline) {
        const late = expected - Atomics.load(ctrl, DONE);
        this.failure = new Error(`fit: ${late} of ${expected} worker threads stopped responding (no result ${(patienceMs / 1000).toFixed(1)} s after the main thread finished its shard)`);
        throw this.failure;
      }
      if (Atomics.load(ctrl, FAILED) > 0) {
        // The worker's message says why; it is on its way.
        await this.wakeOrTimeout(5000);
        throw this.failure ?? new Error('fit: a worker thread failed');
      }
      const done = Atomics.load(ctrl, DONE);
      if (done >= expected) return;
      if (waitAsync !== undefined) {
        const r = waitAsync(ctrl, DONE, done, 1000);
        if (r.async) await r.value;
      } else if (this.doneMessages < expected) {
        await this.wakeOrTimeout(1000);
      }
    }
  }

  /** Stop every worker thread (idempotent); fit calls it however it ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CMD, CMD_EXIT);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    await Promise.all(this.handles.map((h) => h.terminate().catch(() => undefined)));
  }
}

/** dst[i] = src[i] for i in [from, to). */
function copy(dst: Float32Array, src: Float32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) dst[i] = src[i]!;
}
