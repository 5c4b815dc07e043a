/**
 * The worker thread's side of data-parallel fit (protocol.ts): build a replica of the
 * model from its saved form (the path loadModel takes) on the main thread's backend,
 * then serve batches until told to exit — copy the shared weights in, forward + loss +
 * backward on this thread's rows, write the gradient and the outputs back, signal.
 * Blocking in Atomics.wait is fine here (a worker has no page to keep responsive).
 * Any exception is reported to the main thread (message + FAILED counter) and ends
 * the thread.
 */
import { useBackend, backend } from '../../backend/index.js';
import { mixSeeds, setSeed } from '../../core/rng.js';
import { lossFromConfig } from '../../losses/index.js';
import { Sequential } from '../sequential.js';
import { modelFromArtifacts } from '../saving.js';
import type { Dataset } from '../data.js';
import { CMD, CMD_EXIT, DONE, EPOCH, FAILED, SEQ, SHARD, type InitMessage } from './protocol.js';
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

function serve(init: InitMessage, channel: ParentChannel): void {
  const { dims, buffers, index } = init;
  const ctrl = new Int32Array(buffers.ctrl);
  const results = new Float64Array(buffers.results);
  const P = init.paramCount;
  const sharedParams = new Float32Array(buffers.params);
  const gradSlot = new Float32Array(buffers.grads, (index - 1) * P * 4, P);
  const sx = new Float32Array(buffers.x);
  const sy = new Float32Array(buffers.y);
  const ssw = new Float32Array(buffers.sw);
  const sOut = new Float32Array(buffers.out);
  const sMask = new Float32Array(buffers.mask);

  if (backend().name !== init.backend) useBackend(init.backend as Parameters<typeof useBackend>[0]);
  // Replica-local randomness (initializers that run before the weights are copied in,
  // dropout seeds of layers without a seed) depends only on the fit seed and the index.
  setSeed(mixSeeds(init.fitSeed, index));
  const model = modelFromArtifacts(init.modelJson, init.weightData, `fit worker ${index}: model`, (name) => new Sequential({ name }));
  const engine = model.engine;
  engine.loss = lossFromConfig(init.loss.className, init.loss.config);
  if (engine.params.length !== P) throw new Error(`the replica has ${engine.params.length} parameters, the model ${P}`);
  const maxRows = Math.ceil(dims.batchSize / init.threads);
  engine.planBatches({ T: dims.T, xWidth: dims.xWidth, yWidth: dims.yWidth, swWidth: dims.swWidth } as Dataset, maxRows);
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
      for (const l of model.layers) l.beginEpoch(dropoutSeed, epoch);
      lastEpoch = epoch;
    }
    const r0 = Atomics.load(ctrl, SHARD + 2 * index);
    const count = Atomics.load(ctrl, SHARD + 2 * index + 1);
    let loss = 0;
    let valid = 0;
    if (count > 0) {
      copy(engine.params, 0, sharedParams, 0, P);
      copy(engine.xb, 0, sx, r0 * dims.xWidth, count * dims.xWidth);
      copy(engine.yb, 0, sy, r0 * dims.yWidth, count * dims.yWidth);
      if (dims.weighted) copy(engine.swb, 0, ssw, r0 * dims.swWidth, count * dims.swWidth);
      const out = engine.computeGradients(engine.xb, count, dims.T, dims.cols, dims.swWidth, dims.weighted);
      copy(gradSlot, 0, engine.grads, 0, P);
      copy(sOut, r0 * dims.outWidth, out, 0, count * dims.outWidth);
      const mask = engine.outputMask;
      if (mask !== null) {
        const rows = count * dims.rowsPerSample;
        copy(sMask, r0 * dims.rowsPerSample, mask, 0, rows);
        for (let i = 0; i < rows; i++) valid += mask[i]!;
      }
      loss = engine.stepLoss[0]!;
    }
    results[2 * index] = loss;
    results[2 * index + 1] = valid;
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
    if (init.postDone) channel.post({ type: 'done' });
  }
}

/** dst[d + i] = src[s + i] for i < n. */
function copy(dst: Float32Array, d: number, src: Float32Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}
