/**
 * The worker side of the persistent pool (persistent.ts has the main thread's side). A pool
 * worker lives as long as the pool: it blocks in Atomics.wait on its control words and,
 * woken, takes its commands from a MessagePort with receiveMessageOnPort — synchronously,
 * so the main thread can hand it a share of a *synchronous* predict or evaluate and block
 * (Atomics.wait) until it is done; the worker never needs the main thread's event loop.
 * It keeps one replica per model (built from the model's saved form, the path loadModel
 * takes), its weights refreshed when the main thread sends them, freed on 'unload'. A fit
 * borrows the worker whole: it runs replica.ts's serve loop, then comes back here.
 *
 * Node only: a browser's main thread may not Atomics.wait, so there predict stays on one thread.
 */
import { useBackend, backend } from '../../backend/kernels.js';
import { lossFromConfig } from '../../losses/index.js';
import { modelFromArtifacts } from '../loading.js';
import type { Model } from '../model.js';
import { DONE as FIT_DONE, FAILED as FIT_FAILED } from './protocol.js';
import { P_DONE, P_ERRLEN, P_ERR_BYTES, P_FAILED, P_OPEN, P_READY, P_SEQ, type EvaluateCommand, type LoadCommand, type PoolCommand, type EvaluateViews, type PoolWorkerData, type PredictCommand, evaluateBatches, predictBatches } from './poolProtocol.js';
import { serve } from './replica.js';

interface NodeWorkerThreadsSide {
  workerData: unknown;
  parentPort: { postMessage(m: unknown): void } | null;
  receiveMessageOnPort(port: unknown): { message: unknown } | undefined;
}

/** In a worker thread: this worker's pool data, or null (a per-fit worker, replica.ts). */
export async function poolWorkerData(): Promise<{ wt: NodeWorkerThreadsSide; data: PoolWorkerData['rnnkitPool'] } | null> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== 'string') return null;
  const wt = (await import('node:worker_threads')) as unknown as NodeWorkerThreadsSide;
  const data = (wt.workerData as PoolWorkerData | null)?.rnnkitPool;
  return data === undefined ? null : { wt, data };
}

/** Serve pool commands until 'exit' (or until the thread is terminated). */
export function runPoolWorker(wt: NodeWorkerThreadsSide, data: PoolWorkerData['rnnkitPool']): void {
  const ctrl = new Int32Array(data.ctrl);
  const errBytes = new Uint8Array(data.err);
  const replicas = new Map<number, { model: Model; error: string | null }>();
  let current = 0; // ticket of the share being computed (0: none)
  const fail = (ticket: number, message: string): void => {
    const bytes = new TextEncoder().encode(message).subarray(0, P_ERR_BYTES);
    errBytes.set(bytes);
    Atomics.store(ctrl, P_ERRLEN, bytes.length);
    Atomics.store(ctrl, P_FAILED, ticket);
    Atomics.notify(ctrl, P_DONE);
  };
  // A thread that ends in the middle of a share (process.exit in a worker ends the thread)
  // says so where the main thread, blocked in Atomics.wait, can see it.
  (globalThis as unknown as { process: { on(e: 'exit', f: (code: number) => void): void } }).process.on('exit', (code) => {
    if (current !== 0) fail(current, `the thread exited (exit code ${code})`);
  });
  const channel = {
    post: (m: unknown) => wt.parentPort!.postMessage(m),
    onMessage: () => undefined,
    close: () => undefined,
  };

  Atomics.store(ctrl, P_READY, 1);
  Atomics.notify(ctrl, P_READY);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, P_SEQ, seen);
    seen = Atomics.load(ctrl, P_SEQ);
    for (;;) {
      const got = wt.receiveMessageOnPort(data.port);
      if (got === undefined) break;
      const m = got.message as PoolCommand;
      if (m.type === 'exit') return;
      if (m.type === 'load') {
        replicas.get(m.id)?.model.dispose();
        try {
          replicas.set(m.id, { model: loadReplica(m, data.index), error: null });
        } catch (e) {
          replicas.set(m.id, { model: null as unknown as Model, error: (e as Error).message });
        }
      } else if (m.type === 'unload') {
        const r = replicas.get(m.id);
        if (r !== undefined && r.error === null) r.model.dispose();
        replicas.delete(m.id);
      } else if (m.type === 'fit') {
        // Borrowed by a fit: its own protocol (protocol.ts) until CMD_EXIT, then back here.
        try {
          serve(m.init, channel);
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          channel.post({ type: 'error', message: err.message, stack: err.stack });
          const fitCtrl = new Int32Array(m.init.buffers.ctrl);
          Atomics.add(fitCtrl, FIT_FAILED, 1);
          Atomics.notify(fitCtrl, FIT_DONE);
        }
      } else {
        current = m.ticket;
        try {
          const r = replicas.get(m.id);
          if (r === undefined) throw new Error(`no replica of model ${m.id} (an internal error of the pool)`);
          if (r.error !== null) throw new Error(`could not rebuild the model: ${r.error}`);
          if (backend().name !== m.backend) useBackend(m.backend as Parameters<typeof useBackend>[0]);
          const engine = r.model.engine;
          engine.planArena();
          if (m.params !== null) engine.params.set(m.params);
          // Taken by the main thread already (or a share of an earlier call): nothing to do.
          if (Atomics.compareExchange(ctrl, P_OPEN, m.ticket, 0) !== m.ticket) {
            current = 0;
            continue;
          }
          if (m.type === 'predict') predictShare(r.model, m);
          else evaluateShare(r.model, m);
          current = 0;
          Atomics.store(ctrl, P_DONE, m.ticket);
          Atomics.notify(ctrl, P_DONE);
        } catch (e) {
          current = 0;
          fail(m.ticket, e instanceof Error ? e.message : String(e));
        }
      }
    }
  }
}

function loadReplica(m: LoadCommand, index: number): Model {
  if (backend().name !== m.backend) useBackend(m.backend as Parameters<typeof useBackend>[0]);
  const model = modelFromArtifacts(m.modelJson, m.weightData, `pool worker ${index}: model`, { checkFinite: false });
  const engine = model.engine;
  engine.planArena();
  const sizes = engine.segments.map((s) => s.size);
  if (sizes.length !== m.sizes.length || sizes.some((s, i) => s !== m.sizes[i])) {
    throw new Error(`the replica lays out its weights as [${sizes.join(', ')}], the model as [${m.sizes.join(', ')}]`);
  }
  return model;
}

function predictShare(model: Model, m: PredictCommand): void {
  predictBatches(model, m.x.map((b) => new Float32Array(b)), m.xWidth, m.xLen, m.ragged, m.n, m.batchSize, m.out.map((b) => new Float32Array(b)), new Int32Array(m.next), m.fault);
}

function evaluateShare(model: Model, m: EvaluateCommand): void {
  const engine = model.engine;
  engine.outputs = engine.outputs.map((o, k) => {
    const l = m.losses[k];
    return { ...o, loss: l === null || l === undefined ? null : lossFromConfig(l.className, l.config), metrics: [] };
  });
  const f32 = (b: SharedArrayBuffer | null): Float32Array | null => (b === null ? null : new Float32Array(b));
  const views: EvaluateViews = {
    ...m,
    x: m.x.map((b) => new Float32Array(b)),
    y: m.y.map(f32),
    sw: m.sw.map(f32),
    loss: new Float64Array(m.loss),
    out: m.out.map((b) => new Float32Array(b)),
    mask: m.mask.map((b) => new Float32Array(b)),
  };
  evaluateBatches(model, views, new Int32Array(m.next), m.fault);
}
