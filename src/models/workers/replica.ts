/**
 * The shard side of data-parallel fit (protocol.ts): a replica of the model built from its
 * saved form (the path loadModel takes) on the main thread's backend, which computes one
 * shard of each batch — copy the shared weights in, forward + loss + backward on the shard's
 * rows, write the gradient and the outputs back. A worker thread serves its shard until told
 * to exit (`serve`); where fewer threads than shards run, the main thread computes the other
 * shards on replicas of its own (pool.ts), built and run by the same code, so a shard's
 * gradient is the same bits whichever thread computes it.
 * Blocking in Atomics.wait is fine in a worker (it has no page to keep responsive).
 * Any exception is reported to the main thread (message + FAILED counter) and ends
 * the thread.
 */
import { useBackend, backend } from '../../backend/kernels.js';
import { mixSeeds, setSeed } from '../../core/rng.js';
import { lossFromConfig } from '../../losses/index.js';
import { modelFromArtifacts } from '../loading.js';
import type { Dataset } from '../data.js';
import type { Engine } from '../engine.js';
import type { Model } from '../model.js';
import { CMD, CMD_EXIT, DONE, EPOCH, FAILED, SEQ, SHARD, lengthsAt, replicaSeed, resultStride, type BatchDims, type InitMessage } from './protocol.js';
import { parentChannel, type ParentChannel } from './threads.js';

/** Start serving: wait for the init message, then run until exit. */
export async function runWorker(): Promise<void> {
  const channel = await parentChannel();
  channel.onMessage((data) => {
    const msg = data as InitMessage;
    if (msg?.type !== 'init') return;
    try {
      serve(msg, channel);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      channel.post({ type: 'error', message: err.message, stack: err.stack });
      const ctrl = new Int32Array(msg.buffers.ctrl);
      Atomics.add(ctrl, FAILED, 1);
      Atomics.notify(ctrl, DONE);
    }
    channel.close();
  });
}

/**
 * One shard's replica (shard `init.index` of every batch). Build it with the global
 * generator seeded to replicaSeed(fit seed, index): setSeed in a worker, withGlobalSeed on
 * the main thread.
 */
export class ShardReplica {
  readonly model: Model;
  private readonly engine: Engine;
  private readonly dims: BatchDims;
  private readonly index: number;
  private readonly ctrl: Int32Array;
  private readonly results: Float64Array;
  private readonly sharedParams: Float32Array;
  private readonly gradSlot: Float32Array;
  private readonly sx: Float32Array[];
  private readonly sy: Float32Array[];
  private readonly ssw: Float32Array[];
  private readonly sOut: Float32Array[];
  private readonly sMask: Float32Array[];
  private readonly stride: number;
  private readonly dropoutSeed: number;
  private lastEpoch = -1;
  private readonly shards: number;
  /** The current batch's time length per input (read from ctrl each step). */
  private readonly lengths: number[];

  constructor(init: InitMessage) {
    const { dims, buffers, index } = init;
    this.dims = dims;
    this.index = index;
    this.shards = init.shards;
    this.lengths = [...dims.xLen];
    const P = init.paramCount;
    this.ctrl = new Int32Array(buffers.ctrl);
    this.results = new Float64Array(buffers.results);
    this.sharedParams = new Float32Array(buffers.params);
    this.gradSlot = new Float32Array(buffers.grads, (index - 1) * P * 4, P);
    const f32 = (b: ArrayBufferLike): Float32Array => new Float32Array(b);
    this.sx = buffers.x.map(f32);
    this.sy = buffers.y.map(f32);
    this.ssw = buffers.sw.map(f32);
    this.sOut = buffers.out.map(f32);
    this.sMask = buffers.mask.map(f32);
    const model = modelFromArtifacts(init.modelJson, init.weightData, `fit shard ${index}: model`);
    this.model = model;
    const engine = (this.engine = model.engine);
    engine.planArena();
    engine.outputs = engine.outputs.map((o, k) => {
      const l = init.losses[k];
      return { ...o, loss: l === null || l === undefined ? null : lossFromConfig(l.className, l.config), weight: init.lossWeights[k] ?? 1, metrics: [] };
    });
    if (engine.params.length !== P) throw new Error(`the replica has ${engine.params.length} parameters, the model ${P}`);
    const maxRows = Math.ceil(dims.batchSize / init.shards);
    engine.planBatches({ xWidth: dims.xWidth, xLen: dims.xLen, yWidth: dims.yWidth, swWidth: dims.swWidth } as Dataset, maxRows);
    engine.setBatchLengths(dims.xLen);
    // One pass at full size first (on zeros; its gradient is discarded): the engine runs a batch
    // larger than any before uncut (engine.ts cutInputs), so without it the replica's first real
    // batch would be computed uncut and the later ones cut — rounding that would depend on when
    // the replica was built, and a resumed fit (initialEpoch) would not repeat an unbroken one.
    engine.computeGradients(maxRows, dims.swWidth, dims.weighted);
    this.stride = resultStride(dims.yWidth.length);
    this.dropoutSeed = mixSeeds(init.fitSeed, 0x7f4a7c15 + index);
  }

  /** Compute this shard of the batch in the shared buffers and write its gradient, losses, outputs and masks. */
  run(): void {
    const { engine, dims, index, ctrl, results } = this;
    const nOut = dims.yWidth.length;
    const epoch = Atomics.load(ctrl, EPOCH);
    if (epoch !== this.lastEpoch) {
      // Each shard draws its own dropout masks: same distribution, another stream.
      engine.executor.beginEpoch(this.dropoutSeed, epoch);
      this.lastEpoch = epoch;
    }
    const r0 = Atomics.load(ctrl, SHARD + 2 * index);
    const count = Atomics.load(ctrl, SHARD + 2 * index + 1);
    const base = index * this.stride;
    results.fill(0, base, base + this.stride);
    if (count === 0) return;
    engine.params.set(this.sharedParams); // both P floats: a memcpy
    // The batch's time lengths (shorter than xLen where texts were padded to the batch's longest).
    const at = lengthsAt(this.shards);
    for (let k = 0; k < this.lengths.length; k++) this.lengths[k] = Atomics.load(ctrl, at + k);
    engine.setBatchLengths(this.lengths);
    for (let k = 0; k < this.sx.length; k++) {
      const width = (dims.xWidth[k]! / dims.xLen[k]!) * this.lengths[k]!;
      copy(engine.xb[k]!, 0, this.sx[k]!, r0 * width, count * width);
    }
    for (let o = 0; o < nOut; o++) {
      copy(engine.yb[o]!, 0, this.sy[o]!, r0 * dims.yWidth[o]!, count * dims.yWidth[o]!);
      if (dims.weighted[o]) copy(engine.swb[o]!, 0, this.ssw[o]!, r0 * dims.swWidth[o]!, count * dims.swWidth[o]!);
    }
    engine.computeGradients(count, dims.swWidth, dims.weighted);
    this.gradSlot.set(engine.grads);
    results[base] = engine.stepLoss[0]!;
    for (let o = 0; o < nOut; o++) {
      copy(this.sOut[o]!, r0 * dims.outWidth[o]!, engine.output(o), 0, count * dims.outWidth[o]!);
      const mask = engine.outputMask(o);
      let valid = 0;
      if (mask !== null) {
        const rows = count * dims.rowsPerSample[o]!;
        copy(this.sMask[o]!, r0 * dims.rowsPerSample[o]!, mask, 0, rows);
        for (let i = 0; i < rows; i++) valid += mask[i]!;
      }
      results[base + 1 + 2 * o] = engine.outputLoss[o]!;
      results[base + 2 + 2 * o] = valid;
    }
  }
}

/**
 * Build the replica and serve the fit's batches until CMD_EXIT (throws on failure). A
 * persistent pool worker (poolWorker.ts) calls it too, and returns to its own loop after.
 */
export function serve(init: InitMessage, channel: ParentChannel): void {
  const { buffers, index } = init;
  const ctrl = new Int32Array(buffers.ctrl);
  if (backend().name !== init.backend) useBackend(init.backend as Parameters<typeof useBackend>[0]);
  // Replica-local randomness (initializers that run before the weights are copied in,
  // dropout seeds of layers without a seed) depends only on the fit seed and the index.
  setSeed(replicaSeed(init.fitSeed, index));
  const replica = new ShardReplica(init);
  try {
    if (init.fault?.kind === 'silent' && init.fault.worker === index) {
      // Alive but mute until told to exit, like a worker stuck in a broken deployment.
      while (Atomics.load(ctrl, CMD) !== CMD_EXIT) Atomics.wait(ctrl, SEQ, Atomics.load(ctrl, SEQ), 100);
      return;
    }
    channel.post({ type: 'ready', paramCount: init.paramCount });

    let seen = 0;
    let batches = 0;
    for (;;) {
      Atomics.wait(ctrl, SEQ, seen);
      seen = Atomics.load(ctrl, SEQ);
      if (Atomics.load(ctrl, CMD) === CMD_EXIT) return;
      batches++;
      const fault = init.fault;
      if (fault !== null && fault.worker === index && fault.batch === batches) {
        if (fault.kind === 'exit') (globalThis as { process?: { exit(code: number): never } }).process?.exit(7);
        // Blocked for good, as a thread the browser has frozen or killed without an event.
        if (fault.kind === 'hang') for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
        throw new Error(`injected fault at batch ${batches}`);
      }
      replica.run();
      Atomics.add(ctrl, DONE, 1);
      Atomics.notify(ctrl, DONE);
      if (init.postDone) channel.post({ type: 'done' });
    }
  } finally {
    // A pool worker outlives the fit: its replica's memory (WebAssembly arenas) goes with it.
    replica.model.dispose();
  }
}

/** dst[d + i] = src[s + i] for i < n. */
function copy(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
