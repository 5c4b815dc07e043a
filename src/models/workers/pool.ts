/**
 * Data-parallel fit, the main thread's side (protocol.ts has the shared layout, replica.ts
 * the worker's side): `workers` option checks, the 'auto' rule, and ParallelTrainer, which
 * drives the worker threads of one fit — in Node borrowed from the persistent pool
 * (persistent.ts) and given back when fit ends, elsewhere started by fit and terminated
 * when it ends, however it ends.
 *
 * A step splits the batch into contiguous shards, as many as the model and the batch shapes
 * say (resolveShards: never the machine); the main thread computes shard 0 while each worker
 * thread computes its own, and the main thread the shards no worker took (fewer threads than
 * shards: a 1-core machine, a page without isolation), each on a replica built as a worker
 * builds it; the gradients are combined once per batch in shard order (Σ shardScale · shard
 * gradient), then the main thread alone applies regularizers, the optimizer and constraints
 * and updates the metrics from every shard's outputs. So the bits of a fit depend on the
 * shard count, never on how many threads computed the shards.
 */
import { BatchNormalization, Bidirectional, TimeDistributed, type Layer } from '../../layers/index.js';
import { lossFromConfig, type Loss } from '../../losses/index.js';
import { backend } from '../../backend/kernels.js';
import { withGlobalSeed } from '../../core/rng.js';
import type { Dataset } from '../data.js';
import type { Engine } from '../engine.js';
import type { Graph } from '../graph.js';
import type { Model } from '../model.js';
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
  lengthsAt,
  allocShared,
  replicaSeed,
  resultStride,
  shardScale,
  shardSize,
  shardStart,
  type BatchDims,
  type InitMessage,
  type WorkerMessage,
} from './protocol.js';
import { customLayer, estimateBatchFlops, statefulLayer, workerTestHooks } from './checks.js';
import { leaseWorkers } from './persistent.js';
import type { ShardReplica } from './replica.js';
import { availableCores, spawnThread, threadsAvailable, type ThreadEvents, type ThreadHandle } from './threads.js';

export { customLayer, estimateBatchFlops, statefulLayer, workerTestHooks };

/** fit's `workers` option: threads doing the work (the main thread counts as one), or 'auto'. */
export type WorkersOption = number | 'auto';

/**
 * A worker's shard is the size of the main thread's: once the main thread is done, the
 * workers get this many times its time (plus the grace) before fit calls them stalled.
 * Node reports a dead thread ('exit'); a browser does not, and fit would wait forever.
 */
const STALL_FACTOR = 20;

/**
 * The 'auto' rule's constants. A step's synchronisation costs ~0.015–0.05 ms idle, more
 * under load (one wake-up each way; measured on a 2-core x86 machine), plus a few ns per
 * parameter (weights out, each worker's gradient back, the reduction). 'auto' cuts s > 1
 * shards only when each shard gets ≥ AUTO_MIN_ROWS rows (narrower shards run the
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
/**
 * 'auto' cuts a batch into at most this many shards, whatever the machine: the shard count
 * sets the order of the gradient's float sums, so it must not follow the core count for a
 * seeded fit to give the same bits everywhere. Two is what the 2-core machines measured gain
 * from; with fewer threads the main thread computes the second shard itself.
 */
export const AUTO_MAX_SHARDS = 2;

export function checkWorkersOption(v: unknown, what = 'fit'): WorkersOption {
  if (v === 'auto') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  const shown = typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
  throw new RangeError(`${what}: workers must be a positive integer or 'auto', got ${shown}`);
}

/**
 * The first trainable BatchNormalization, looking inside wrappers and nested models. In
 * training it normalises with its batch's statistics, so shards would each use their own
 * (and update the moving statistics from their own): not the model workers: 1 trains.
 */
function batchStatisticsLayer(layers: readonly Layer[]): Layer | null {
  for (const l of layers) {
    if (l instanceof BatchNormalization && l.trainable) return l;
    const inner = 'graph' in l ? (l as unknown as { graph: Graph }).graph.weightedLayers : l instanceof Bidirectional ? [l.forwardLayer] : l instanceof TimeDistributed ? [l.layer] : [];
    const found = batchStatisticsLayer(inner);
    if (found !== null) return found;
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
 * How many shards fit cuts each batch into: a function of the model and the batch shapes
 * only (never the machine), so a seeded fit gives the same bits on any machine. An explicit
 * n > 1 must be possible for this model (else an error saying why) and is capped at
 * batchSize; 'auto' is 1 wherever shards would train another model than one shard would
 * (stateful layers, trainable BatchNormalization, several outputs whose losses split
 * unevenly) or a replica could not be rebuilt (custom layers or losses), else up to
 * AUTO_MAX_SHARDS such that each shard gets enough rows and work (AUTO_MIN_ROWS,
 * AUTO_MIN_FLOPS, AUTO_FLOPS_PER_PARAM).
 */
export function resolveShards(option: WorkersOption, model: Model, batchSize: number, xLen: readonly number[]): number {
  if (option === 1) return 1;
  const auto = option === 'auto';
  const graph = model.graph;
  const layers = graph.weightedLayers;
  const refuse = (message: string): number => {
    if (auto) return 1;
    throw new RangeError(message);
  };
  const stateful = statefulLayer(layers);
  if (stateful !== null) return refuse(`${stateful.where}: a stateful layer carries its state from one batch to the next, so it cannot train data-parallel (fit option workers: ${option}); use workers: 1`);
  const batchStats = batchStatisticsLayer(layers);
  if (batchStats !== null) {
    return refuse(`${batchStats.where}: BatchNormalization trains on each batch's statistics, and data-parallel fit (workers: ${option}) would give every shard its own, training a different model than workers: 1; use workers: 1 (or freeze the layer with trainable false)`);
  }
  const custom = customLayer(layers);
  if (custom !== null) return refuse(`${custom.where}: fit option workers: ${option} needs rnnkit's own layer classes (worker threads rebuild the model from its config); this one is ${custom.constructor.name}`);
  const losses = model.engine.outputs.map((o) => o.loss);
  for (const loss of losses) {
    if (loss !== null && !lossTransferable(loss)) return refuse(`fit: workers: ${option} needs a built-in loss (worker threads rebuild it from its config); '${loss.name}' (${loss.className}) is not one`);
  }
  const why = unevenShards(model, losses);
  if (why !== null) return refuse(`fit: workers: ${option}: ${why}; use workers: 1`);
  if (!auto) return Math.min(option, batchSize);
  const flops = estimateBatchFlops(graph, batchSize, xLen);
  const enough = Math.max(AUTO_MIN_FLOPS, AUTO_FLOPS_PER_PARAM * model.countParams());
  let n = Math.min(AUTO_MAX_SHARDS, Math.floor(batchSize / AUTO_MIN_ROWS));
  while (n > 1 && flops / n < enough) n--;
  return Math.max(1, n);
}

/**
 * How many threads compute a fit's `shards` shards (the main thread included): for an
 * explicit n, all of them (else an error: this runtime has no worker threads); for 'auto',
 * as many as the machine has cores and the runtime allows, the main thread computing the rest.
 */
export async function resolveThreads(option: WorkersOption, shards: number): Promise<number> {
  const threads = await threadsFor(option, shards);
  workerTestHooks.lastFit = { shards, threads };
  return threads;
}

async function threadsFor(option: WorkersOption, shards: number): Promise<number> {
  if (shards === 1) return 1;
  if (!threadsAvailable()) {
    if (option === 'auto') return 1;
    throw new Error(`fit: workers: ${option} needs worker threads with SharedArrayBuffer, which this runtime lacks (in a browser the page must be cross-origin isolated); use workers: 1 or 'auto'`);
  }
  if (option !== 'auto') return shards;
  return Math.max(1, Math.min(shards, await availableCores(), workerTestHooks.maxFitThreads));
}

/**
 * Why shard gradients could not be combined with one factor per shard, or null. A
 * shard's share of an output's loss depends on that output's reduction and, for a
 * masked sequence output, on how many of its rows the mask keeps — per output. One
 * gradient per shard mixes the outputs, so with several trained outputs they must all
 * share a reduction and none may be masked.
 */
function unevenShards(model: Model, losses: readonly (Loss | null)[]): string | null {
  const trained = losses.map((l, o) => ({ l, o })).filter((x) => x.l !== null);
  for (const { l } of trained) if (l!.unshardable !== null) return l!.unshardable;
  if (trained.length <= 1) return null;
  if (new Set(trained.map((x) => x.l!.reduction)).size > 1) return 'the trained outputs use different loss reductions';
  for (const { o } of trained) {
    const t = model.graph.outputs[o]!;
    if (t.rank === 3 && masksUpstream(model.graph, o)) return `output '${model.outputNames[o]}' may be masked, and with several trained outputs each shard's share of the loss would differ per output`;
  }
  return null;
}

/** Whether a mask can reach output o (a Masking layer or an Embedding with maskZero upstream). */
function masksUpstream(graph: Graph, o: number): boolean {
  const seen = new Set<unknown>();
  const stack = [graph.outputs[o]!];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const node = t.sourceLayer.inboundNodes[t.nodeIndex]!;
    if (seen.has(node)) continue;
    seen.add(node);
    const l = node.layer as { className: string; maskZero?: boolean };
    if (l.className === 'Masking' || l.maskZero === true) return true;
    stack.push(...node.inputs);
  }
  return false;
}

interface WaitAsync {
  (a: Int32Array, index: number, value: number, timeout?: number): { async: boolean; value: Promise<string> | string };
}
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** The shards of one fit: its worker threads, its main-thread replicas and the memory they work in. */
export class ParallelTrainer {
  private readonly handles: ThreadHandle[] = [];
  /** Replicas of shards threads … shards − 1, computed on the main thread (no worker took them). */
  private readonly locals: ShardReplica[] = [];
  private readonly ctrl: Int32Array;
  private readonly results: Float64Array;
  private readonly sharedParams: Float32Array;
  private readonly sharedGrads: Float32Array;
  private readonly sx: Float32Array[];
  private readonly sy: Float32Array[];
  private readonly ssw: Float32Array[];
  private readonly sOut: Float32Array[];
  private readonly sMask: Float32Array[];
  private failure: Error | null = null;
  private closed = false;
  /** Gives borrowed pool workers back (persistent.ts); null when this fit started its own threads. */
  private release: ((failed: boolean) => Promise<void>) | null = null;
  private wake: (() => void) | null = null; // resolves the main thread's wait on a message
  private doneMessages = 0;
  private readonly scale: Float64Array; // per shard: its factor in the gradient reduction
  private readonly stride: number; // results per shard
  private readonly lead: number; // the output whose rows and mask set the shard factors
  private readonly valid0: Float64Array; // per output: the main thread's mask Σ

  private constructor(
    private readonly engine: Engine,
    private readonly shards: number,
    /** Threads computing the shards, the main thread included (≤ shards). */
    private readonly threads: number,
    private readonly dims: BatchDims,
    private readonly paramCount: number,
    buffers: InitMessage['buffers'],
  ) {
    const f32 = (b: ArrayBufferLike): Float32Array => new Float32Array(b);
    this.ctrl = new Int32Array(buffers.ctrl);
    this.results = new Float64Array(buffers.results);
    this.sharedParams = f32(buffers.params);
    this.sharedGrads = f32(buffers.grads);
    this.sx = buffers.x.map(f32);
    this.sy = buffers.y.map(f32);
    this.ssw = buffers.sw.map(f32);
    this.sOut = buffers.out.map(f32);
    this.sMask = buffers.mask.map(f32);
    this.scale = new Float64Array(shards);
    const nOut = engine.outputs.length;
    this.stride = resultStride(nOut);
    this.lead = Math.max(0, engine.outputs.findIndex((o) => o.loss !== null));
    this.valid0 = new Float64Array(nOut);
  }

  /**
   * Prepare `shards` shards for a fit on `ds` (the model built and compiled, its arenas
   * planned): threads − 1 worker threads take shards 1 … threads − 1 (started, or borrowed
   * from the pool, and waited for until each has built its replica); the main thread builds
   * replicas for the rest.
   */
  static async start(model: Model, shards: number, threads: number, ds: Dataset, batchSize: number, fitSeed: number): Promise<ParallelTrainer> {
    const engine = model.engine;
    const outWidth = engine.outputs.map((_, o) => engine.outputWidth(o, ds.xLen));
    const dims: BatchDims = {
      xWidth: [...ds.xWidth],
      xLen: [...ds.xLen],
      yWidth: [...ds.yWidth],
      swWidth: [...ds.swWidth],
      outWidth,
      rowsPerSample: outWidth.map((w, o) => w / engine.cols(o)),
      weighted: ds.sw.map((w) => w !== null),
      batchSize,
    };
    const P = engine.params.length;
    const buffers = allocShared(shards, P, dims, threads > 1);
    const trainer = new ParallelTrainer(engine, shards, threads, dims, P, buffers);
    const { modelJson, weightData } = modelToArtifacts(model, {}, 'weights.bin', false);
    const initFor = (i: number): InitMessage => ({
      type: 'init',
      index: i,
      shards,
      backend: backend().name,
      modelJson,
      weightData,
      losses: engine.outputs.map((o) => (o.loss === null ? null : { className: o.loss.className, config: o.loss.getConfig() })),
      lossWeights: engine.outputs.map((o) => o.weight),
      paramCount: P,
      dims,
      buffers,
      fitSeed,
      postDone: waitAsync === undefined,
      fault: workerTestHooks.fault,
    });
    const ready = new Set<number>();
    let startupDone: (() => void) | null = null;
    const allReady = new Promise<void>((resolve) => (startupDone = resolve));
    const events = (i: number): ThreadEvents => ({
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
    try {
      // The persistent pool's threads where it can lend them (Node); else this fit's own.
      const lease = threads > 1 ? await leaseWorkers(threads - 1, events) : null;
      if (lease !== null) {
        trainer.handles.push(...lease.handles);
        trainer.release = lease.release;
      }
      for (let i = 1; i < threads; i++) {
        const handle = lease !== null ? lease.handles[i - 1]! : await spawnThread(events(i));
        if (lease === null) trainer.handles.push(handle);
        handle.post(initFor(i));
      }
      // The shards no worker takes, built as a worker builds its replica (same global seed).
      // replica.ts rebuilds models (loading.ts), which import model.ts: loaded here, only when
      // needed, rather than as a static import that would close a circle through model.ts.
      if (threads < shards) {
        const { ShardReplica: Replica } = await import('./replica.js');
        for (let i = threads; i < shards; i++) trainer.locals.push(withGlobalSeed(replicaSeed(fitSeed, i), () => new Replica(initFor(i))));
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
        await trainer.wakeOrTimeout(Math.min(left, 1000), allReady);
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

  /**
   * The next wake-up, `also` settling, or `ms` later, whichever comes first. The timer is
   * cleared however the wait ends: a timer left running keeps Node's process alive after fit.
   */
  private async wakeOrTimeout(ms: number, also?: Promise<unknown>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waits: Promise<unknown>[] = [this.nextWake(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))];
    if (also !== undefined) waits.push(also);
    try {
      await Promise.race(waits);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One training step on the first B samples of the engine's batch buffers (gathered
   * by fit as for a single-thread step): gradients of every shard, one reduction, one
   * update, metrics; the losses go to engine.stepLoss / outputLoss as trainStep's do.
   */
  async step(B: number, epoch: number): Promise<void> {
    const { engine, ctrl, dims, shards: n } = this;
    const workers = this.threads - 1;
    if (this.failure !== null) throw this.failure;
    const P = this.paramCount;
    const nOut = engine.outputs.length;
    const B0 = shardSize(B, n, 0);
    for (let i = 1; i < n; i++) {
      ctrl[SHARD + 2 * i] = shardStart(B, n, i);
      ctrl[SHARD + 2 * i + 1] = shardSize(B, n, i);
    }
    // Texts padded batch by batch: the whole batch cut to its longest row first, its lengths for every shard.
    const lengths = engine.cutBatch(B);
    const at = lengthsAt(n);
    for (let k = 0; k < lengths.length; k++) ctrl[at + k] = lengths[k]!;
    // The workers' rows (row r of the batch at r · width, as in the engine's buffers) and the weights.
    for (let k = 0; k < this.sx.length; k++) {
      const width = (dims.xWidth[k]! / dims.xLen[k]!) * lengths[k]!;
      copy(this.sx[k]!, engine.xb[k]!, B0 * width, B * width);
    }
    for (let o = 0; o < nOut; o++) {
      copy(this.sy[o]!, engine.yb[o]!, B0 * dims.yWidth[o]!, B * dims.yWidth[o]!);
      if (dims.weighted[o]) copy(this.ssw[o]!, engine.swb[o]!, B0 * dims.swWidth[o]!, B * dims.swWidth[o]!);
    }
    this.sharedParams.set(engine.params); // both P floats: a memcpy
    this.doneMessages = 0;
    Atomics.store(ctrl, EPOCH, epoch);
    Atomics.store(ctrl, DONE, 0);
    if (workers > 0) {
      Atomics.store(ctrl, CMD, CMD_BATCH);
      Atomics.add(ctrl, SEQ, 1);
      Atomics.notify(ctrl, SEQ);
    }

    // Shard 0 on this thread meanwhile; its metrics now, before another forward reuses its output.
    const started = Date.now();
    engine.computeGradients(B0, dims.swWidth, dims.weighted);
    for (let o = 0; o < nOut; o++) {
      const mask = engine.outputMask(o);
      let valid = 0;
      if (mask !== null) for (let i = 0; i < engine.lastRows[o]!; i++) valid += mask[i]!;
      this.valid0[o] = valid;
    }
    engine.updateMetrics();

    const ownMs = Date.now() - started;
    // The shards no worker took, in order, on this thread (each writes only its own slots).
    for (let i = 0; i < this.locals.length; i++) this.locals[i]!.run();
    if (workers > 0) await this.waitDone(workers, workerTestHooks.stallGraceMs + STALL_FACTOR * ownMs);

    // Each output's share per shard (its reduction, its rows, its mask); the gradient mixes the
    // outputs, so it takes the lead output's factors (resolveThreads made sure they agree).
    const res = this.results;
    const stride = this.stride;
    let total = 0;
    for (let o = 0; o < nOut; o++) {
      const spec = engine.outputs[o]!;
      if (spec.loss === null) continue;
      const rows = B * dims.rowsPerSample[o]!;
      const masked = engine.outputMask(o) !== null;
      let valid = this.valid0[o]!;
      for (let i = 1; i < n; i++) valid += res[i * stride + 2 + 2 * o]!;
      let lossO = shardScale(spec.loss.reduction, masked, B0 * dims.rowsPerSample[o]!, this.valid0[o]!, rows, valid) * engine.outputLoss[o]!;
      for (let i = 1; i < n; i++) {
        const c = shardScale(spec.loss.reduction, masked, shardSize(B, n, i) * dims.rowsPerSample[o]!, res[i * stride + 2 + 2 * o]!, rows, valid);
        lossO += c * res[i * stride + 1 + 2 * o]!;
        if (o === this.lead) this.scale[i] = c;
      }
      if (o === this.lead) this.scale[0] = shardScale(spec.loss.reduction, masked, B0 * dims.rowsPerSample[o]!, this.valid0[o]!, rows, valid);
      engine.outputLoss[o] = lossO;
      total += spec.weight * lossO;
    }
    combineGradients(engine.grads, this.sharedGrads, this.scale, n, P);
    engine.stepLoss[0] = total;
    engine.applyGradients();

    for (let i = 1; i < n; i++) {
      const r0 = shardStart(B, n, i);
      const count = shardSize(B, n, i);
      if (count === 0) continue;
      for (let o = 0; o < nOut; o++) {
        if (engine.outputs[o]!.metrics.length === 0) continue;
        const rps = dims.rowsPerSample[o]!;
        const masked = engine.outputMask(o) !== null;
        engine.updateOutputMetrics(
          o,
          this.sOut[o]!.subarray(r0 * dims.outWidth[o]!, (r0 + count) * dims.outWidth[o]!),
          engine.yb[o]!.subarray(r0 * dims.yWidth[o]!, (r0 + count) * dims.yWidth[o]!),
          count * rps,
          masked ? this.sMask[o]!.subarray(r0 * rps, (r0 + count) * rps) : null,
        );
      }
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
        // No timeout on the wait itself (a pending waitAsync timeout keeps Node's event loop
        // alive after fit returns): wakeOrTimeout's cleared timer bounds it, and close()
        // notifies DONE to release a waiter left behind.
        const r = waitAsync(ctrl, DONE, done);
        if (r.async) await this.wakeOrTimeout(1000, r.value as Promise<string>);
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
    Atomics.notify(this.ctrl, DONE); // releases a waitDone waiter that lost its race to the timer
    for (const r of this.locals) r.model.dispose();
    if (this.release !== null) await this.release(this.failure !== null);
    else await Promise.all(this.handles.map((h) => h.terminate().catch(() => undefined)));
  }
}

/**
 * g = Σ_i scale[i] · (shard i's gradient), in shard order, each sum in float64 rounded once
 * to float32 (g holds shard 0's, sg shards 1 … n − 1's). Apart from step, an async function,
 * so V8 optimises this hot loop as a small plain function.
 */
function combineGradients(g: Float32Array, sg: Float32Array, scale: Float64Array, n: number, P: number): void {
  if (n === 2) {
    const c0 = scale[0]!;
    const c1 = scale[1]!;
    for (let k = 0; k < P; k++) g[k] = c0 * g[k]! + c1 * sg[k]!;
    return;
  }
  for (let k = 0; k < P; k++) {
    let acc = scale[0]! * g[k]!;
    for (let i = 1; i < n; i++) acc += scale[i]! * sg[(i - 1) * P + k]!;
    g[k] = acc;
  }
}

/** dst[i] = src[i] for i in [from, to). */
function copy(dst: Float32Array, src: Float32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) dst[i] = src[i]!;
}
