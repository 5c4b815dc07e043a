/**
 * `trainInWorker(model, x, y, options)`: fit on another thread (a module Web Worker in
 * browsers, a worker_threads Worker in Node) so that the calling thread only draws.
 *
 * The compiled model goes over in its saved form (model.json + weights, optimizer state
 * included), the worker rebuilds it on the same backend and runs `fit`; progress comes
 * back as events (`batch`, `epoch`) and at the end (or on abort) the trained weights and
 * optimizer state are copied into `model`. After every epoch the model here already holds
 * that epoch's weights, so it can predict/sample while the worker trains on.
 *
 * Limits: the model must be savable (built-in layers, losses and optimizers) and x/y are
 * copied to the worker once. Cancel with `signal`: the worker stops at its next batch
 * boundary and the promise rejects with an Error named 'AbortError' (as fit does), after
 * the weights of the last applied batch have been copied into `model`.
 */
import { backend, useBackend } from '../backend/kernels.js';
import { Tensor } from '../core/tensor.js';
import { modelToArtifacts, type ModelJSON } from './saving.js';
import type { Model, FitArgs } from './model.js';
import type { Logs } from './callback.js';
import type { OptimizerState } from '../optimizers/optimizer.js';

/** The fit options that can cross to the worker (no callbacks, progressSink or validation tensors). */
export type WorkerFitArgs = Pick<FitArgs, 'epochs' | 'batchSize' | 'shuffle' | 'validationSplit' | 'validationFreq' | 'seed' | 'initialEpoch' | 'workers'>;

export interface TrainInWorkerOptions extends WorkerFitArgs {
  /** After each batch: its index in the epoch and the running logs (loss, metrics). */
  onBatch?: (event: { epoch: number; batch: number; logs: Logs }) => void;
  /** After each epoch; `model` holds this epoch's weights when it is called. */
  onEpoch?: (event: { epoch: number; logs: Logs }) => void;
  /** Stop at the worker's next batch boundary; the promise rejects with an 'AbortError'. */
  signal?: AbortSignal;
}

export interface TrainResult {
  /** Per-epoch logs, as fit's History.history. */
  history: Record<string, number[]>;
  epoch: number[];
}

/** Plain, cloneable form of a tensor (or list of tensors). */
type Wire = { data: Float32Array; shape: number[] } | { data: Float32Array; shape: number[] }[];

export interface TrainRequest {
  type: 'train';
  backend: string;
  modelJson: ModelJSON;
  weightData: ArrayBuffer;
  x: Wire;
  y: Wire;
  args: WorkerFitArgs;
}

export type TrainReply =
  | { type: 'batch'; epoch: number; batch: number; logs: Logs }
  | { type: 'epoch'; epoch: number; logs: Logs; weights: Float32Array[] }
  | { type: 'done'; aborted: boolean; message?: string; history: Record<string, number[]>; epoch: number[]; weights: Float32Array[]; optimizer: OptimizerState | null }
  | { type: 'error'; message: string; name: string }
  | { type: 'ready' };

const ALLOWED = ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationFreq', 'seed', 'initialEpoch', 'workers', 'onBatch', 'onEpoch', 'signal'];

function toWire(d: unknown, what: string): Wire {
  if (d instanceof Tensor) return { data: Float32Array.from(d.data), shape: [...d.shape] };
  if (Array.isArray(d) && d.length > 0 && d.every((t) => t instanceof Tensor)) return d.map((t: Tensor) => ({ data: Float32Array.from(t.data), shape: [...t.shape] }));
  throw new TypeError(`trainInWorker: ${what} must be a Tensor or a list of Tensors`);
}

function abortError(message: string, history: TrainResult): Error {
  const e = new Error(message) as Error & { history: TrainResult };
  e.name = 'AbortError';
  e.history = history;
  return e;
}

/** A started training thread: post, receive, stop. */
interface TrainThread {
  post(m: unknown): void;
  onMessage(f: (m: unknown) => void): void;
  onError(f: (e: Error) => void): void;
  terminate(): void;
}

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

async function startThread(): Promise<TrainThread> {
  if (isNode()) {
    const wt = (await import('node:worker_threads')) as unknown as {
      Worker: new (s: URL | string, o?: Record<string, unknown>) => { postMessage(m: unknown): void; on(e: string, f: (a: never) => void): void; terminate(): Promise<number> };
    };
    let w;
    if (import.meta.url.endsWith('.ts')) {
      const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
      if (resolve === undefined) throw new Error('trainInWorker: running from TypeScript sources needs import.meta.resolve (Node ≥ 20.6)');
      const entry = new URL('./trainWorkerEntry.ts', import.meta.url).href;
      const boot = `import(${JSON.stringify(resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
      w = new wt.Worker(boot, { eval: true });
    } else {
      w = new wt.Worker(new URL('./trainWorkerEntry.js', import.meta.url));
    }
    const errs: ((e: Error) => void)[] = [];
    w.on('error', (e: never) => errs.forEach((f) => f(e as Error)));
    w.on('exit', (code: never) => {
      if (code !== 0) errs.forEach((f) => f(new Error(`trainInWorker: the worker thread exited with code ${code}`)));
    });
    return { post: (m) => w.postMessage(m), onMessage: (f) => w.on('message', f as (a: never) => void), onError: (f) => errs.push(f), terminate: () => void w.terminate() };
  }
  if (typeof Worker !== 'function') throw new Error('trainInWorker: this runtime has no Worker');
  // Written out so bundlers recognise the worker entry.
  const w = new Worker(new URL('./trainWorkerEntry.js', import.meta.url), { type: 'module' });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (f) => w.addEventListener('message', (e: MessageEvent) => f(e.data)),
    onError: (f) =>
      w.addEventListener('error', (e: Event) => {
        e.preventDefault();
        f(new Error((e as Partial<ErrorEvent>).message || 'trainInWorker: the worker script failed to load (served as JavaScript, with COEP on an isolated page?)'));
      }),
    terminate: () => w.terminate(),
  };
}

function setWeightsFrom(model: Model, values: Float32Array[]): void {
  const shapes = model.weights.map((w) => [...w.shape]);
  model.setWeights(values.map((v, i) => new Tensor(v, shapes[i]!)));
}

/**
 * Run `model.fit(x, y, options)` on a worker thread; resolves with the history once the
 * trained weights (and optimizer state) are back in `model`. The model must be compiled
 * and built. Until it settles it counts as the model's running fit: fit, evaluate, compile
 * and dispose on `model` are refused meanwhile (predict is fine).
 */
export async function trainInWorker(model: Model, x: Tensor | Tensor[], y: Tensor | Tensor[], options: TrainInWorkerOptions = {}): Promise<TrainResult> {
  for (const k of Object.keys(options)) if (!ALLOWED.includes(k)) throw new RangeError(`trainInWorker: unknown option '${k}'; known: ${ALLOWED.join(', ')}`);
  return model.holdingFitLock('trainInWorker', () => trainOnThread(model, x, y, options));
}

async function trainOnThread(model: Model, x: Tensor | Tensor[], y: Tensor | Tensor[], options: TrainInWorkerOptions): Promise<TrainResult> {
  if (model.optimizer === null || model.compileConfig() === null) throw new Error(`${model.where}: trainInWorker needs a compiled model`);
  if (!model.isBuilt) model.predict(Array.isArray(x) ? x.map((t) => sliceFirst(t)) : sliceFirst(x));
  const { onBatch, onEpoch, signal, ...args } = options;
  const empty: TrainResult = { history: {}, epoch: [] };
  if (signal?.aborted) throw abortError('trainInWorker: aborted before it started', empty);
  const { modelJson, weightData } = modelToArtifacts(model, { includeOptimizer: true }, 'weights.bin', false);
  const request: TrainRequest = { type: 'train', backend: backend().name, modelJson, weightData, x: toWire(x, 'x'), y: toWire(y, 'y'), args };
  const thread = await startThread();
  return new Promise<TrainResult>((resolve, reject) => {
    let settled = false;
    const end = (f: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      thread.terminate();
      f();
    };
    const onAbort = (): void => thread.post({ type: 'abort' });
    signal?.addEventListener('abort', onAbort);
    thread.onError((e) => end(() => reject(e)));
    thread.onMessage((raw) => {
      const m = raw as TrainReply;
      try {
        if (m.type === 'ready') thread.post(request);
        else if (m.type === 'batch') onBatch?.({ epoch: m.epoch, batch: m.batch, logs: m.logs });
        else if (m.type === 'epoch') {
          setWeightsFrom(model, m.weights);
          onEpoch?.({ epoch: m.epoch, logs: m.logs });
        } else if (m.type === 'done') {
          setWeightsFrom(model, m.weights);
          if (m.optimizer !== null) model.optimizer!.setState(m.optimizer);
          const result = { history: m.history, epoch: m.epoch };
          end(() => (m.aborted ? reject(abortError(m.message ?? 'trainInWorker: aborted', result)) : resolve(result)));
        } else if (m.type === 'error') {
          const e = new Error(m.message);
          e.name = m.name;
          end(() => reject(e));
        }
      } catch (e) {
        end(() => reject(e));
      }
    });
    // The request goes when the worker says it listens (a module worker's messages that
    // arrive before its listener is added, during its imports, would be lost).
  });
}

function sliceFirst(t: Tensor): Tensor {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from(t.data.subarray(0, row)), [1, ...t.shape.slice(1)]);
}

/** Worker side: serve one training request (see trainWorkerEntry.ts). */
export async function serveTraining(post: (m: TrainReply) => void, onMessage: (f: (m: unknown) => void) => void): Promise<void> {
  const { modelFromArtifacts } = await import('./loading.js');
  const controller = new AbortController();
  let started = false;
  onMessage(async (raw) => {
    const m = raw as TrainRequest | { type: 'abort' };
    if (m.type === 'abort') return controller.abort();
    if (m.type !== 'train' || started) return;
    started = true;
    try {
      if (backend().name !== m.backend) useBackend(m.backend as 'ts' | 'wasm');
      const model = modelFromArtifacts(m.modelJson, m.weightData, 'trainInWorker: model');
      const fromWire = (w: Wire): Tensor | Tensor[] => (Array.isArray(w) ? w.map((t) => new Tensor(t.data, t.shape)) : new Tensor(w.data, w.shape));
      const weights = (): Float32Array[] => model.getWeights().map((t) => Float32Array.from(t.data));
      let aborted = false;
      let message: string | undefined;
      const epochs: number[] = [];
      let current = m.args.initialEpoch ?? 0;
      const hist: Record<string, number[]> = {};
      try {
        await model.fit(fromWire(m.x) as never, fromWire(m.y) as never, {
          ...m.args,
          verbose: 0,
          signal: controller.signal,
          callbacks: {
            onEpochBegin: (epoch: number) => {
              current = epoch;
            },
            onBatchEnd: (batch: number, logs?: Logs) => post({ type: 'batch', epoch: current, batch, logs: { ...(logs ?? {}) } }),
            onEpochEnd: (epoch: number, logs?: Logs) => {
              epochs.push(epoch);
              for (const [k, v] of Object.entries(logs ?? {})) if (typeof v === 'number') (hist[k] ??= []).push(v);
              post({ type: 'epoch', epoch, logs: { ...(logs ?? {}) }, weights: weights() });
            },
          },
        });
      } catch (e) {
        if ((e as Error).name !== 'AbortError') throw e;
        aborted = true;
        message = (e as Error).message;
      }
      post({ type: 'done', aborted, message, history: hist, epoch: epochs, weights: weights(), optimizer: model.optimizer?.getState() ?? null });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', message: err.message, name: err.name });
    }
  });
  post({ type: 'ready' });
}
