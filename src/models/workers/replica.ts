/**
 * The worker thread's side of data-parallel fit (protocol.ts): build a replica of the
 * model from its saved form (the path loadModel takes) on the main thread's backend,
 * then serve batches until told to exit — copy the shared weights in, forward + loss +
 * backward on this thread's rows, write the gradient and the outputs back, signal.
 * Blocking in Atomics.wait is fine here (a worker has no page to keep responsive).
 * Any exception is reported to the main thread (message + FAILED counter) and ends
 * the thread.
 */
import { useBackend, backend } from '../../backend/kernels.js';
import { mixSeeds, setSeed } from '../../core/rng.js';
import { lossFromConfig } from '../../losses/index.js';
import { modelFromArtifacts } from '../loading.js';
import type { Dataset } from '../data.js';
import { CMD, CMD_EXIT, DONE, EPOCH, FAILED, SEQ, SHARD, resultStride, type InitMessage } from './protocol.js';
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
 * Build the replica and serve the fit's batches until CMD_EXIT (throws on failure). A
 * persistent pool worker (poolWorker.ts) calls it too, and returns to its own loop after.
 */
export function serve(init: InitMessage, channel: ParentChannel): void {
  const { dims, buffers, index } = init;
  const ctrl = new Int32Array(buffers.ctrl);
  const results = new Float64Array(buffers.results);
  const P = init.paramCount;
  const sharedParams = new Float32Array(buffers.params);
  const gradSlot = new Float32Array(buffers.grads, (index - 1) * P * 4, P);
  const f32 = (b: SharedArrayBuffer): Float32Array => new Float32Array(b);
  const sx = buffers.x.map(f32);
  const sy = buffers.y.map(f32);
  const ssw = buffers.sw.map(f32);
  const sOut = buffers.out.map(f32);
  const sMask = buffers.mask.map(f32);

  if (backend().name !== init.backend) useBackend(init.backend as Parameters<typeof useBackend>[0]);
  // Replica-local randomness (initializers that run before the weights are copied in,
  // dropout seeds of layers without a seed) depends only on the fit seed and the index.
  setSeed(mixSeeds(init.fitSeed, index));
  const model = modelFromArtifacts(init.modelJson, init.weightData, `fit worker ${index}: model`);
  const engine = model.engine;
  engine.planArena();
  engine.outputs = engine.outputs.map((o, k) => {
    const l = init.losses[k];
    return { ...o, loss: l === null || l === undefined ? null : lossFromConfig(l.className, l.config), weight: init.lossWeights[k] ?? 1, metrics: [] };
  });
  if (engine.params.length !== P) throw new Error(`the replica has ${engine.params.length} parameters, the model ${P}`);
  const maxRows = Math.ceil(dims.batchSize / init.threads);
  const nOut = dims.yWidth.length;
  engine.planBatches({ xWidth: dims.xWidth, xLen: dims.xLen, yWidth: dims.yWidth, swWidth: dims.swWidth } as Dataset, maxRows);
  engine.inputLen = dims.xLen;
  const stride = resultStride(nOut);
  const dropoutSeed = mixSeeds(init.fitSeed, 0x7f4a7c15 + index);
  if (init.fault?.kind === 'silent' && init.fault.worker === index) {
    // Alive but mute until told to exit, like a worker stuck in a broken deployment.
    while (Atomics.load(ctrl, CMD) !== CMD_EXIT) Atomics.wait(ctrl, SEQ, Atomics.load(ctrl, SEQ), 100);
    return;
  }
  channel.post({ type: 'ready', paramCount: P });

  let seen = 0;
  let lastEpoch = -1;
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
    const epoch = Atomics.load(ctrl, EPOCH);
    if (epoch !== lastEpoch) {
      // Each shard draws its own dropout masks: same distribution, another stream.
      engine.executor.beginEpoch(dropoutSeed, epoch);
      lastEpoch = epoch;
    }
    const r0 = Atomics.load(ctrl, SHARD + 2 * index);
    const count = Atomics.load(ctrl, SHARD + 2 * index + 1);
    const base = index * stride;
    results.fill(0, base, base + stride);
    if (count > 0) {
      copy(engine.params, 0, sharedParams, 0, P);
      for (let k = 0; k < sx.length; k++) copy(engine.xb[k]!, 0, sx[k]!, r0 * dims.xWidth[k]!, count * dims.xWidth[k]!);
      for (let o = 0; o < nOut; o++) {
        copy(engine.yb[o]!, 0, sy[o]!, r0 * dims.yWidth[o]!, count * dims.yWidth[o]!);
        if (dims.weighted[o]) copy(engine.swb[o]!, 0, ssw[o]!, r0 * dims.swWidth[o]!, count * dims.swWidth[o]!);
      }
      engine.computeGradients(count, dims.swWidth, dims.weighted);
      copy(gradSlot, 0, engine.grads, 0, P);
      results[base] = engine.stepLoss[0]!;
      for (let o = 0; o < nOut; o++) {
        copy(sOut[o]!, r0 * dims.outWidth[o]!, engine.output(o), 0, count * dims.outWidth[o]!);
        const mask = engine.outputMask(o);
        let valid = 0;
        if (mask !== null) {
          const rows = count * dims.rowsPerSample[o]!;
          copy(sMask[o]!, r0 * dims.rowsPerSample[o]!, mask, 0, rows);
          for (let i = 0; i < rows; i++) valid += mask[i]!;
        }
        results[base + 1 + 2 * o] = engine.outputLoss[o]!;
        results[base + 2 + 2 * o] = valid;
      }
    }
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
    if (init.postDone) channel.post({ type: 'done' });
  }
}

/** dst[d + i] = src[s + i] for i < n. */
function copy(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
