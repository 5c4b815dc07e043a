/**
 * The persistent pool's messages and control words (persistent.ts: the main thread,
 * poolWorker.ts: the workers). Each worker has its own Int32 control words and an error
 * buffer; commands travel on a MessagePort the worker reads synchronously after the main
 * thread bumps P_SEQ; a share's end is its ticket in P_DONE (or P_FAILED).
 */
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
 * The ticket of the share on offer, until taken: by the worker as it starts it, or by the
 * main thread, which computes a share itself when its worker has not started it by the time
 * the main thread's own is done (a worker kept off its core by a loaded machine would
 * otherwise make the split slower than one thread). Whoever swaps it to 0 computes the share.
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
 * Evaluate's batches (batchSize rows each, the last possibly fewer): per batch and output
 * the loss and whether the output has a mask into `loss` ([batches, outputs, 2] float64),
 * the outputs (at full length) into out[o] and their masks into mask[o].
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
export function predictBatches(model: Model, x: readonly Float32Array[], xWidth: readonly number[], xLen: readonly number[], n: number, bs: number, out: readonly Float32Array[], next: Int32Array, fault: PoolFault | null): void {
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
    );
    res.forEach((r, o) => out[o]!.set(r, r0 * (r.length / B)));
    Atomics.add(next, BATCHES_DONE, 1);
    Atomics.notify(next, BATCHES_DONE);
  }
}
