/**
 * Data-parallel fit: what the main thread and the shard replicas share. Browser-safe
 * (no Node imports): the same protocol runs over Node worker_threads and Web Workers, and
 * in plain memory where the main thread computes every shard itself.
 *
 * A batch is cut into `shards` contiguous shards (their number set by the model and the
 * batch shapes only: pool.ts resolveShards); shard 0 is the main engine's, shard i ≥ 1 a
 * replica's — in worker thread i where one runs, else on the main thread (replica.ts).
 *
 * Memory (allocated once per fit by the main thread; SharedArrayBuffers when workers run):
 *   ctrl    Int32   [CTRL_SIZE + 2·shards + inputs]  sequence number, command, done/failed
 *                                            counters, epoch, per shard its first row and rows,
 *                                            and per input the batch's time length (lengthsAt)
 *   results Float64 [shards · (1 + 2·outputs)] per shard: its total loss, then per
 *                                            output its loss and its output mask's Σ
 *   params  Float32 [P]                      the weights, written by the main thread per batch
 *   grads   Float32 [(shards − 1)·P]         one gradient slot per replica shard
 *   x[k]    Float32 [batchSize · width]      per input, the batch, row r at r·width
 *   y[o], sw[o] Float32 [batchSize · width]  per output, targets and sample weights
 *   out[o]  Float32 [batchSize · outWidth]   per output, the replicas' output rows (for the metrics)
 *   mask[o] Float32 [batchSize · steps]      per output, the replicas' output-mask rows
 *
 * A step: the main thread writes the replicas' rows and the weights, sets each shard,
 * zeroes DONE and bumps SEQ (Atomics.notify). Each worker wakes (Atomics.wait), copies
 * the weights into its replica, runs forward + loss + backward on its rows, writes its
 * gradient, loss, mask sum, output and mask rows, then adds 1 to DONE (notify). The main
 * thread computes shard 0 itself meanwhile, then the shards no worker took, then waits for
 * DONE (Atomics.waitAsync: never blocking its event loop), combines the gradients in shard
 * order (`shardScale`) and updates.
 */
import { mixSeeds } from '../../core/rng.js';
import type { Reduction } from '../../losses/index.js';
import type { ModelJSON } from '../saving.js';

/** The global seed a shard's replica is built under (unseeded layers draw their dropout seeds from it). */
export function replicaSeed(fitSeed: number, index: number): number {
  return mixSeeds(fitSeed, index);
}

/** Int32 control words. */
export const SEQ = 0; // bumped by the main thread for every command
export const CMD = 1; // the command for the current SEQ
export const DONE = 2; // workers that finished the current command
export const FAILED = 3; // workers that failed (any time)
export const EPOCH = 4; // epoch of the current batch (workers reseed dropout when it changes)
export const CTRL_SIZE = 8;
/** ctrl[SHARD + 2i] = first row of thread i's shard, ctrl[SHARD + 2i + 1] = its row count. */
export const SHARD = CTRL_SIZE;

/**
 * Where ctrl holds the current batch's time length per input (after the shards): the batch's
 * rows in x[k] are that many steps long, which is less than xLen[k] where texts of open length
 * were padded to the batch's longest (Engine.cutBatch), else xLen[k].
 */
export function lengthsAt(shards: number): number {
  return SHARD + 2 * shards;
}

export const CMD_BATCH = 1;
export const CMD_EXIT = 2;

/** Sizes of one fit's batches: per input, then per output. */
export interface BatchDims {
  /** Per input: floats per sample, and the size of its open time axis. */
  xWidth: number[];
  xLen: number[];
  /** Per output: floats per sample of the targets and of the sample weights. */
  yWidth: number[];
  swWidth: number[];
  /** Per output: floats per sample of the output, output rows per sample (steps of a sequence output, else 1). */
  outWidth: number[];
  rowsPerSample: number[];
  /** Per output: whether the batches carry sample weights (sampleWeight or classWeight). */
  weighted: boolean[];
  batchSize: number;
}

/** SharedArrayBuffers where worker threads run; plain ArrayBuffers where every shard runs on the main thread. */
export interface SharedBuffers {
  ctrl: ArrayBufferLike;
  results: ArrayBufferLike;
  params: ArrayBufferLike;
  grads: ArrayBufferLike;
  x: ArrayBufferLike[];
  y: ArrayBufferLike[];
  sw: ArrayBufferLike[];
  out: ArrayBufferLike[];
  mask: ArrayBufferLike[];
}

/** Float64 results per thread: the total loss, then (loss, mask Σ) per output. */
export function resultStride(outputs: number): number {
  return 1 + 2 * outputs;
}

/** A test-only failure, injected through `workerTestHooks` (never a public option). */
export interface InjectedFault {
  /** Which worker (1-based) fails, and at which of its batches (1-based). */
  worker: number;
  batch: number;
  /** 'throw' an Error, or 'exit' the thread without a word, or 'hang' (block forever); 'silent': never answer init (batch unused). */
  kind: 'throw' | 'exit' | 'hang' | 'silent';
}

/** The first message to a worker: everything it needs to build its replica. */
export interface InitMessage {
  type: 'init';
  /** The shard this replica computes (1 … shards − 1; shard 0 is the main engine's) and the shard count. */
  index: number;
  shards: number;
  /** backend().name on the main thread. */
  backend: string;
  /** The model as save writes it (topology + weights); the same path loadModel reads. */
  modelJson: ModelJSON;
  weightData: ArrayBuffer;
  /** Per output: its loss (null: none) and loss weight, as compile resolved them. */
  losses: ({ className: string; config: Record<string, unknown> } | null)[];
  lossWeights: number[];
  /** Parameter count the replica must have (checked). */
  paramCount: number;
  dims: BatchDims;
  buffers: SharedBuffers;
  /** fit's seed: the replica reseeds its dropout from (fit seed, worker index, epoch). */
  fitSeed: number;
  /** Post {type: 'done'} after each command (where Atomics.waitAsync is missing). */
  postDone: boolean;
  fault: InjectedFault | null;
}

/** Messages from a worker. */
export type WorkerMessage =
  | { type: 'ready'; paramCount: number }
  | { type: 'error'; message: string; stack?: string }
  | { type: 'done' };

/**
 * The buffers of one fit (see the layout above; "thread" there is a shard, of which `shards`),
 * shared when worker threads compute some of the shards, else ordinary memory (a runtime
 * without SharedArrayBuffer can still compute every shard on its main thread).
 */
export function allocShared(shards: number, paramCount: number, dims: BatchDims, shared: boolean): SharedBuffers {
  const bytes = (n: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  const f32 = (n: number): ArrayBufferLike => bytes(n * 4);
  const B = dims.batchSize;
  const threads = shards;
  return {
    ctrl: bytes((lengthsAt(threads) + dims.xLen.length) * 4),
    results: bytes(resultStride(dims.yWidth.length) * threads * 8),
    params: f32(paramCount),
    grads: f32((threads - 1) * paramCount),
    x: dims.xWidth.map((w) => f32(B * w)),
    y: dims.yWidth.map((w) => f32(B * w)),
    sw: dims.swWidth.map((w, o) => f32(dims.weighted[o] ? B * w : 0)),
    out: dims.outWidth.map((w) => f32(B * w)),
    mask: dims.rowsPerSample.map((r) => f32(B * r)),
  };
}

/**
 * Split B rows into `threads` (= shards) contiguous shards, the first B mod threads one row
 * larger: shard i is [start(i), start(i) + size(i)). Shard 0 (the main thread's) is
 * never smaller than another.
 */
export function shardSize(B: number, threads: number, i: number): number {
  return Math.floor(B / threads) + (i < B % threads ? 1 : 0);
}

export function shardStart(B: number, threads: number, i: number): number {
  return i * Math.floor(B / threads) + Math.min(i, B % threads);
}

/** Keras's mask factor divide_no_nan(total, valid) in float32, as maskToWeights computes it. */
function maskFactor(rows: number, valid: number): number {
  return valid === 0 ? 0 : Math.fround(Math.fround(rows) / Math.fround(valid));
}

/**
 * The factor that turns a shard's loss (and gradient) — computed as if the shard were
 * the whole batch — into its part of the whole batch's loss. The reductions are linear
 * in the per-row weights and divide by the row count, and a mask scales the weights by
 * rows / valid, so with the batch's (rows, valid) and the shard's (rowsS, validS):
 *   'sum':                   1
 *   'sum_over_batch_size':   (rowsS / rows) · (F(rows, valid) / F(rowsS, validS)) with a mask,
 *                            rowsS / rows without,
 * F being maskToWeights' factor. Σ over shards of factor · shard gradient is then the
 * whole-batch gradient up to float rounding (exactly, for an even split of a power-of-two
 * batch without masks), and no thread needs another's mask before its backward pass.
 */
export function shardScale(reduction: Reduction, masked: boolean, rowsS: number, validS: number, rows: number, valid: number): number {
  if (reduction === 'sum' || rowsS === 0) return reduction === 'sum' ? 1 : 0;
  const c = rowsS / rows;
  if (!masked) return c;
  // a shard with no valid row has all-zero weights: its loss and gradient are 0 whatever the factor
  const fs = maskFactor(rowsS, validS);
  return fs === 0 ? 0 : (c * maskFactor(rows, valid)) / fs;
}
