/**
 * The persistent pool's messages and control words (persistent.ts: the main thread,
 * poolWorker.ts: the workers). Each worker has its own Int32 control words and an error
 * buffer; commands travel on a MessagePort the worker reads synchronously after the main
 * thread bumps P_SEQ; a share's end is its ticket in P_DONE (or P_FAILED).
 */
import type { Dataset } from '../data.js';
import type { Model } from '../model.js';
import type { ModelJSON } from '../saving.js';
import type { InitMessage } from './protocol.js';

/** Int32 control words of one pool worker. */
export const P_SEQ = 0; // bumped by the main thread after posting a command
export const P_READY = 1; // 1 once the worker waits for commands
export const P_DONE = 2; // ticket of the last command finished
export const P_FAILED = 3; // ticket of the last command that failed (message in the error buffer)
export const P_ERRLEN = 4; // bytes of that message
/**
 * The ticket of the command on offer until its worker starts it (swapping it to 0): a
 * command whose ticket is no longer on offer belongs to an earlier call and is skipped.
 */
export const P_OPEN = 5;
export const P_CTRL_SIZE = 8;
export const P_ERR_BYTES = 4096;

/** What the worker gets at start (Node workerData). */
export interface PoolWorkerData {
  rnnkitPool: { index: number; ctrl: SharedArrayBuffer; err: SharedArrayBuffer; port: unknown };
}

/** A test-only failure of a pool worker during a predict or evaluate share. */
export type PoolFault = 'throw' | 'exit' | 'hang';

export interface LoadCommand {
  type: 'load';
  id: number;
  backend: string;
  modelJson: ModelJSON;
  weightData: ArrayBuffer;
  /** Sizes of the model's weights in arena order: the replica must lay them out alike. */
  sizes: number[];
}

interface Share {
  ticket: number;
  id: number;
  backend: string;
  /** The current weights in arena order, when the worker's copy is out of date; else null. */
  params: Float32Array | null;
  /** Per input: this worker's rows [n, width] (contiguous, in the order the main thread chose). */
  x: SharedArrayBuffer[];
  xWidth: number[];
  xLen: number[];
  /** The inputs padded batch by batch to each batch's longest row (Engine.cutRagged). */
  ragged: number[];
  n: number;
  batchSize: number;
  fault: PoolFault | null;
}

/**
 * Inference on n rows in batches of batchSize, claimed one at a time by every thread taking
 * part (the main thread too): next[0] is the next batch to claim (Atomics.add), next[1] the
 * batches finished; each batch's outputs go to out[o] ([n, width], rows in x's order).
 */
export interface PredictCommand extends Share {
  type: 'predict';
  out: SharedArrayBuffer[];
  next: SharedArrayBuffer;
}

/** predict's claim counters (PredictCommand.next). */
export const NEXT_BATCH = 0;
export const BATCHES_DONE = 1;

/**
 * evaluate's batches (batchSize rows each, the last possibly fewer), claimed one at a time
 * as predict's are (next): per batch and output the loss and whether the output has a mask
 * into `loss` ([batches, outputs, 2] float64), the outputs (at full length) into out[o] and
 * their masks into mask[o]; the main thread adds them up in batch order afterwards.
 */
export interface EvaluateCommand extends Share {
  type: 'evaluate';
  losses: ({ className: string; config: Record<string, unknown> } | null)[];
  y: (SharedArrayBuffer | null)[];
  yWidth: number[];
  sw: (SharedArrayBuffer | null)[];
  swWidth: number[];
  loss: SharedArrayBuffer;
  out: SharedArrayBuffer[];
  outWidth: number[];
  rowsPerSample: number[];
  mask: SharedArrayBuffer[];
  next: SharedArrayBuffer;
}

export type PoolCommand =
  | LoadCommand
  | { type: 'unload'; id: number }
  | PredictCommand
  | EvaluateCommand
  | { type: 'fit'; init: InitMessage }
  | { type: 'exit' };

/**
 * Claim predict's batches one at a time until none is left (the main thread and every
 * worker run this over the same buffers): each batch is the rows one thread would run
 * together, so its outputs are one thread's. With a test fault, fail after claiming one.
 */
export function predictBatches(model: Model, x: readonly Float32Array[], xWidth: readonly number[], xLen: readonly number[], ragged: readonly number[], n: number, bs: number, out: readonly Float32Array[], next: Int32Array, fault: PoolFault | null): void {
  const engine = model.engine;
  const nb = Math.ceil(n / bs);
  for (;;) {
    const b = Atomics.add(next, NEXT_BATCH, 1);
    if (b >= nb) return;
    if (fault === 'exit') (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(7);
    if (fault === 'hang') for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    if (fault === 'throw') throw new Error('injected fault');
    const r0 = b * bs;
    const B = Math.min(bs, n - r0);
    const res = engine.predict(
      x.map((v, k) => v.subarray(r0 * xWidth[k]!, (r0 + B) * xWidth[k]!)),
      xWidth,
      xLen,
      B,
      bs,
      ragged,
    );
    res.forEach((r, o) => out[o]!.set(r, r0 * (r.length / B)));
    Atomics.add(next, BATCHES_DONE, 1);
    Atomics.notify(next, BATCHES_DONE);
  }
}

/** evaluate's buffers as typed arrays (EvaluateCommand's, or the main thread's own). */
export interface EvaluateViews {
  x: Float32Array[];
  xWidth: readonly number[];
  xLen: readonly number[];
  ragged: readonly number[];
  y: (Float32Array | null)[];
  yWidth: readonly number[];
  sw: (Float32Array | null)[];
  swWidth: readonly number[];
  n: number;
  batchSize: number;
  loss: Float64Array;
  out: Float32Array[];
  outWidth: readonly number[];
  rowsPerSample: readonly number[];
  mask: Float32Array[];
}

/**
 * Claim evaluate's batches one at a time until none is left (main thread and workers alike):
 * load the batch, engine.evaluateBatch, write its losses, outputs and masks. The engine's
 * outputs carry the losses; its batch buffers are planned here. With a test fault, fail
 * after claiming one.
 */
export function evaluateBatches(model: Model, v: EvaluateViews, next: Int32Array, fault: PoolFault | null): void {
  const engine = model.engine;
  const nOut = v.yWidth.length;
  const weighted = v.sw.map((w) => w !== null);
  engine.planBatches({ xWidth: v.xWidth, xLen: v.xLen, yWidth: v.yWidth, swWidth: v.swWidth } as unknown as Dataset, v.batchSize);
  const into = new Float64Array(nOut);
  const nb = Math.ceil(v.n / v.batchSize);
  for (;;) {
    const b = Atomics.add(next, NEXT_BATCH, 1);
    if (b >= nb) return;
    if (fault === 'exit') (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(7);
    if (fault === 'hang') for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    if (fault === 'throw') throw new Error('injected fault');
    const start = b * v.batchSize;
    const B = Math.min(v.batchSize, v.n - start);
    engine.setBatchLengths([...v.xLen], v.ragged);
    for (let k = 0; k < v.x.length; k++) engine.xb[k]!.set(v.x[k]!.subarray(start * v.xWidth[k]!, (start + B) * v.xWidth[k]!));
    for (let o = 0; o < nOut; o++) {
      const yo = v.y[o];
      if (yo !== null && yo !== undefined) engine.yb[o]!.set(yo.subarray(start * v.yWidth[o]!, (start + B) * v.yWidth[o]!));
      const so = v.sw[o];
      if (so !== null && so !== undefined) engine.swb[o]!.set(so.subarray(start * v.swWidth[o]!, (start + B) * v.swWidth[o]!));
    }
    engine.evaluateBatch(B, v.swWidth, weighted, into);
    for (let o = 0; o < nOut; o++) {
      v.loss[(b * nOut + o) * 2] = into[o]!;
      v.out[o]!.set(engine.output(o).subarray(0, B * v.outWidth[o]!), start * v.outWidth[o]!);
      const mk = engine.outputMask(o);
      v.loss[(b * nOut + o) * 2 + 1] = mk === null ? 0 : 1;
      if (mk !== null) v.mask[o]!.set(mk.subarray(0, B * v.rowsPerSample[o]!), start * v.rowsPerSample[o]!);
    }
    Atomics.add(next, BATCHES_DONE, 1);
    Atomics.notify(next, BATCHES_DONE);
  }
}
