/**
 * The persistent worker pool, the main thread's side (poolWorker.ts is the worker's): one
 * per process, started lazily, reused by predict, evaluate and fit, `unref`'d so an idle
 * pool never keeps Node's process alive, closed by shutdownWorkers() (or process exit).
 *
 * predict and evaluate are synchronous (tfjs's call shapes), so the split is synchronous
 * too: the main thread posts each worker its command, computes the batches it claims from a
 * shared counter, as the workers do, then blocks in Atomics.wait until every batch is done
 * (Node allows that on the main
 * thread; browsers do not, so there predict and evaluate stay on one thread, and this
 * pool is Node-only; fit in a browser starts its own Web Workers, pool.ts). A worker that
 * fails, exits or stalls during a share makes the call throw an error naming the worker
 * and the call; the pool is then stopped and starts again at the next call.
 *
 * Splits are by whole batches, each the batch one thread would run (predict's length
 * order kept), so the outputs and evaluate's numbers equal one thread's: every batch runs
 * the same kernels on the same rows, and evaluate sums the batches' losses in batch order
 * on the main thread. Only where there are fewer batches than threads does predict cut
 * smaller batches (equal within float32 rounding).
 */
import { backend } from '../../backend/kernels.js';
import { weightsVersion } from '../../core/weightsVersion.js';
import type { Logs } from '../callback.js';
import type { Dataset } from '../data.js';
import type { Graph } from '../graph.js';
import type { Model } from '../model.js';
import { modelToArtifacts } from '../saving.js';
import { customLayer, estimateBatchFlops, statefulLayer, workerTestHooks } from './checks.js';
import type { WorkersOption } from './pool.js';
import { P_CTRL_SIZE, P_ERRLEN, P_ERR_BYTES, P_FAILED, P_OPEN, P_READY, P_SEQ, type EvaluateCommand, type PoolCommand, type EvaluateViews, type PoolFault, type PredictCommand, BATCHES_DONE, NEXT_BATCH, evaluateBatches, predictBatches } from './poolProtocol.js';
import { isNode, nodeWorkerSource, sharedMemoryAvailable, type ThreadEvents, type ThreadHandle } from './threads.js';

/**
 * The 'auto' rule of predict and evaluate: t > 1 threads only where each gets at least
 * AUTO_PREDICT_MIN_FLOPS of estimated inference work (the 2-D weight matrices'
 * multiply-adds ×2 per sample and step: 2·n·T·(I+H)·G·H for a recurrent layer) and at
 * least AUTO_PREDICT_MIN_ROWS rows. A split costs a wake-up each way and copies of the
 * inputs and outputs (a few hundredths of a millisecond idle, more under load); see the
 * README's Speed section for the measurements behind these constants.
 */
export const AUTO_PREDICT_MIN_FLOPS = 1e8;
export const AUTO_PREDICT_MIN_ROWS = 8;

/** Test-only hooks (not exported from the package): make a pool worker fail during a share. */
export const poolTestHooks: { fault: { worker: number; kind: PoolFault } | null } = { fault: null };

interface NodePort {
  postMessage(m: unknown): void;
  unref?(): void;
  close(): void;
}
interface NodeWorker {
  on(event: string, f: (arg: never) => void): void;
  postMessage(m: unknown): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}
interface NodeMods {
  Worker: new (spec: URL | string, options?: Record<string, unknown>) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
  cores: number;
}

/**
 * Node's worker_threads and core count. predict is synchronous and cannot await an import
 * when it first needs a thread: process.getBuiltinModule (Node ≥ 20.16) gives them at once;
 * older Nodes get them from a dynamic import started when this module loads.
 */
let node: NodeMods | null = null;
function setNode(wt: unknown, os: unknown): void {
  const o = os as { availableParallelism?: () => number; cpus(): unknown[] };
  const w = wt as Omit<NodeMods, 'cores'>;
  node = { Worker: w.Worker, MessageChannel: w.MessageChannel, cores: o.availableParallelism?.() ?? o.cpus().length };
}
const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
if (isNode() && typeof getBuiltin === 'function') setNode(getBuiltin('node:worker_threads'), getBuiltin('node:os'));
const nodeLoading: Promise<void> | null =
  isNode() && node === null
    ? Promise.all([import('node:worker_threads'), import('node:os')])
        .then(([wt, os]) => setNode(wt, os))
        .catch(() => undefined)
    : null;

interface Slot {
  index: number; // 1-based: thread 0 is the main thread
  worker: NodeWorker;
  port: NodePort;
  ctrl: Int32Array;
  err: Uint8Array;
  /** Per model id: the graph its replica was built from and the weights version it holds. */
  models: Map<number, { graph: Graph; version: number }>;
  /** Where a fit that borrowed the worker wants its events (null: the pool's own). */
  events: ThreadEvents | null;
  dead: string | null;
}

let generations = 0;

class Pool {
  /** Which pool this is, counting from 1 (tests: a pool reused, or started again). */
  readonly generation = ++generations;
  readonly slots: Slot[] = [];
  leased = false;
  closing = false;
  ticket = 0;
}

let pool: Pool | null = null;

/** Model ids (a replica per model per worker), and freeing a collected model's replicas. */
const ids = new WeakMap<Model, number>();
let nextId = 1;
const collected =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<number>((id) => {
        if (pool !== null) unloadId(pool, id);
      })
    : null;

function idOf(model: Model): number {
  let id = ids.get(model);
  if (id === undefined) {
    id = nextId++;
    ids.set(model, id);
    collected?.register(model, id);
  }
  return id;
}

function send(slot: Slot, cmd: PoolCommand): void {
  slot.port.postMessage(cmd);
  Atomics.add(slot.ctrl, P_SEQ, 1);
  Atomics.notify(slot.ctrl, P_SEQ);
}

function unloadId(p: Pool, id: number): void {
  for (const s of p.slots) {
    if (s.dead === null && s.models.delete(id)) send(s, { type: 'unload', id });
  }
}

/** Free a model's replicas in the pool's workers (model.dispose). */
export function releaseReplicas(model: Model): void {
  const id = ids.get(model);
  if (id === undefined || pool === null) return;
  // While a fit borrows the workers the message waits in their ports until they come back.
  unloadId(pool, id);
  collected?.unregister(model);
}

/** The current pool (tests): its generation and live workers, or null when none runs. */
export function poolState(): { generation: number; workers: number; leased: boolean } | null {
  return pool === null ? null : { generation: pool.generation, workers: pool.slots.filter((s) => s.dead === null).length, leased: pool.leased };
}

/** Replicas of a model the pool holds (tests: dispose frees them). */
export function replicaCount(model: Model): number {
  const id = ids.get(model);
  return id === undefined || pool === null ? 0 : pool.slots.filter((s) => s.models.has(id)).length;
}

/** Start the pool's k-th worker (synchronous: Node's modules are loaded by now). */
function spawn(p: Pool): Slot {
  const n = node!;
  const { port1, port2 } = new n.MessageChannel();
  const ctrl = new SharedArrayBuffer(P_CTRL_SIZE * 4);
  const err = new SharedArrayBuffer(P_ERR_BYTES);
  const index = p.slots.length + 1;
  const source = nodeWorkerSource();
  const worker = new n.Worker(source.spec, { eval: source.eval, workerData: { rnnkitPool: { index, ctrl, err, port: port2 } }, transferList: [port2] });
  const slot: Slot = { index, worker, port: port1, ctrl: new Int32Array(ctrl), err: new Uint8Array(err), models: new Map(), events: null, dead: null };
  worker.on('message', (m: never) => slot.events?.message(m));
  worker.on('error', (e: never) => {
    slot.dead ??= `an uncaught error: ${(e as Error).message}`;
    slot.events?.error(e as Error);
    if (!p.leased) void retire(p);
  });
  worker.on('exit', (code: never) => {
    slot.dead ??= `the thread exited (exit code ${code as number})`;
    slot.events?.exit(code as number);
    if (!p.leased) void retire(p);
  });
  // An idle pool must not keep the process alive (a fit that borrows a worker refs it meanwhile).
  // After the listeners: adding a 'message' listener refs the worker's port again.
  worker.unref();
  port1.unref?.();
  p.slots.push(slot);
  return slot;
}

/** Stop a pool's workers (it is no longer the current one: the next call starts a fresh pool). */
function retire(p: Pool): Promise<void> {
  if (pool === p) pool = null;
  if (p.closing) return Promise.resolve();
  p.closing = true;
  return Promise.all(
    p.slots.map((s) => {
      if (s.dead === null) send(s, { type: 'exit' });
      s.port.close();
      return s.worker.terminate().catch(() => undefined);
    }),
  ).then(() => undefined);
}

/** The current pool with at least k workers spawned (not necessarily ready), or null where there can be none. */
function poolWith(k: number): Pool | null {
  if (node === null || !sharedMemoryAvailable()) return null;
  pool ??= new Pool();
  while (pool.slots.length < k) spawn(pool);
  return pool;
}

function ready(p: Pool, k: number): boolean {
  for (let i = 0; i < k; i++) if (Atomics.load(p.slots[i]!.ctrl, P_READY) !== 1) return false;
  return true;
}

/**
 * Start the worker pool now (Node; elsewhere it resolves and does nothing): `workers`
 * threads besides the main thread, default one per core but one. predict and evaluate
 * with workers 'auto' use the pool only once it is running (they start it in the
 * background on first use, and meanwhile run on one thread); awaiting this first makes
 * the first call split already. Resolves when every worker waits for work.
 */
export async function startWorkers(workers?: number): Promise<void> {
  await nodeLoading;
  if (node === null || !sharedMemoryAvailable()) return;
  const k = workers ?? Math.max(0, node.cores - 1);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`startWorkers: workers must be a non-negative integer, got ${String(workers)}`);
  if (k === 0) return;
  const p = poolWith(k)!;
  const deadline = Date.now() + workerTestHooks.startupTimeoutMs;
  while (!ready(p, k)) {
    const dead = p.slots.find((s) => s.dead !== null);
    if (dead !== undefined) throw new Error(`startWorkers: pool worker thread ${dead.index} failed to start: ${dead.dead}`);
    if (Date.now() > deadline) {
      void retire(p);
      throw new Error(`startWorkers: the pool's worker threads did not start within ${workerTestHooks.startupTimeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Stop the worker pool (idempotent; refused while a fit borrows it). An idle pool never
 * keeps the process from exiting, so this is needed only to free its threads and
 * replicas early; the next call that wants threads starts a new pool.
 */
export async function shutdownWorkers(): Promise<void> {
  const p = pool;
  if (p === null) return;
  if (p.leased) throw new Error('shutdownWorkers: a fit is using the worker pool; await the fit first');
  await retire(p);
}

/**
 * How many threads predict or evaluate uses on `rows` rows (the main thread counts as one).
 * 1 wherever a split is impossible or, for 'auto', not expected to pay; an explicit n > 1
 * that is impossible throws, naming why.
 */
export function inferenceThreads(option: WorkersOption, model: Model, rows: number, batches: number, xLen: readonly number[], what: 'predict' | 'evaluate', ragged: boolean): number {
  if (option === 1) return 1;
  const auto = option === 'auto';
  const refuse = (message: string): number => {
    if (auto) return 1;
    throw new RangeError(`${model.where}: ${what}: workers: ${option} ${message}; use workers: 1 or 'auto'`);
  };
  // evaluate, and predict of texts padded batch by batch, split whole batches of batchSize rows.
  const wholeBatches = what === 'evaluate' || ragged;
  if (!isNode() || !sharedMemoryAvailable()) return refuse(`needs Node worker threads (a browser's main thread cannot wait for workers, so ${what} stays on one thread there)`);
  if (node === null) return refuse('needs node:worker_threads, which is still loading or failed to load');
  const layers = model.graph.weightedLayers;
  const stateful = statefulLayer(layers);
  if (stateful !== null) return refuse(`cannot split batches: ${stateful.where} is stateful and carries its state from one batch to the next`);
  const custom = customLayer(layers);
  if (custom !== null) return refuse(`needs rnnkit's own layer classes (worker threads rebuild the model from its config); ${custom.where} is ${custom.constructor.name}`);
  if (pool?.leased) return refuse('cannot run while a fit is using the worker pool');
  if (!auto) {
    const n = Math.min(option, rows);
    if (wholeBatches && batches < n) return refuse(`splits whole batches and this ${what} has ${batches}`);
    return n;
  }
  const cores = node.cores;
  const flops = estimateBatchFlops(model.graph, rows, xLen) / 3; // inference: the forward third
  let n = Math.min(cores, Math.floor(rows / AUTO_PREDICT_MIN_ROWS), wholeBatches ? batches : Infinity);
  while (n > 1 && flops / n < AUTO_PREDICT_MIN_FLOPS) n--;
  if (n <= 1) return 1;
  // 'auto' never blocks on starting threads: the first call starts the pool and runs on one.
  const p = poolWith(n - 1)!;
  if (!ready(p, n - 1)) return 1;
  return n;
}

/** The pool, warm with k workers, for an explicit `workers` (blocks until they are up; throws on failure). */
function warmPool(k: number, model: Model, what: string): Pool {
  const p = poolWith(k)!;
  const deadline = Date.now() + workerTestHooks.startupTimeoutMs;
  for (let i = 0; i < k; i++) {
    const s = p.slots[i]!;
    while (Atomics.load(s.ctrl, P_READY) !== 1) {
      const left = deadline - Date.now();
      if (s.dead !== null || left <= 0) {
        void retire(p);
        throw new Error(`${model.where}: ${what}: pool worker thread ${s.index} did not start${s.dead === null ? ` within ${workerTestHooks.startupTimeoutMs / 1000} s` : `: ${s.dead}`}`);
      }
      Atomics.wait(s.ctrl, P_READY, 0, Math.min(left, 50));
    }
  }
  return p;
}

/** Make sure worker `s` holds model's replica with the current weights; the weights to send with the share, or null. */
function syncReplica(s: Slot, model: Model, id: number): Float32Array | null {
  const engine = model.engine;
  const have = s.models.get(id);
  const version = weightsVersion();
  if (have === undefined || have.graph !== model.graph) {
    const { modelJson, weightData } = modelToArtifacts(model, {}, 'weights.bin', false);
    send(s, { type: 'load', id, backend: backend().name, modelJson, weightData, sizes: engine.segments.map((g) => g.size) });
    s.models.set(id, { graph: model.graph, version });
    return null;
  }
  if (have.version === version) return null;
  have.version = version;
  // A copy: cloning a view would copy its whole buffer (the backend's memory).
  return engine.params.slice();
}

/**
 * The model's replica on each of the first threads − 1 workers (the weights to send with
 * each share), or null where the model cannot be sent (its saved form fails): 'auto' then
 * runs on one thread, an explicit count throws saying why.
 */
function replicasFor(p: Pool, threads: number, model: Model, id: number, option: WorkersOption, where: string): (Float32Array | null)[] | null {
  try {
    return p.slots.slice(0, threads - 1).map((s) => syncReplica(s, model, id));
  } catch (e) {
    if (option === 'auto') return null;
    throw new Error(`${where}: workers: ${option}: the model cannot be sent to the worker threads: ${(e as Error).message}`);
  }
}

/** Send a share and put it on offer (P_OPEN): its worker takes it when it starts it. */
function offer(s: Slot, cmd: PredictCommand | EvaluateCommand): void {
  Atomics.store(s.ctrl, P_OPEN, cmd.ticket);
  send(s, cmd);
}

/** A worker gets this many times the main thread's time for its share (plus the grace) before the call calls it stalled. */
const STALL_FACTOR = 20;

function shared(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

/** rows' values of x ([*, w]) gathered in order into dst. */
function gather(dst: Float32Array, x: Float32Array, rows: ArrayLike<number>, w: number): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    dst.set(x.subarray(r * w, (r + 1) * w), i * w);
  }
}

/**
 * predict split over `threads` threads (see the file comment): the same outputs as
 * engine.predict(x, …) on one thread. The batches (predict's own, in its length order) are
 * claimed one at a time by whichever thread is free — the main thread too — so a worker
 * kept off its core by a loaded machine holds up at most the one batch it is running.
 */
export function predictSplit(model: Model, option: WorkersOption, threads: number, x: readonly Float32Array[], xWidth: readonly number[], xLen: readonly number[], n: number, batchSize: number, ragged: readonly number[]): Float32Array[] {
  const where = `${model.where}: predict`;
  const p = option === 'auto' ? pool! : warmPool(threads - 1, model, 'predict');
  const engine = model.engine;
  engine.planArena();
  const id = idOf(model);
  const params = replicasFor(p, threads, model, id, option, where);
  if (params === null) return engine.predict(x, xWidth, xLen, n, batchSize, ragged);
  // Fewer batches than threads: smaller batches, one per thread — unless texts are padded per
  // batch (Engine.cutRagged), whose batches are batchSize rows in call order, as on one thread.
  const bs = ragged.length === 0 && Math.ceil(n / batchSize) < threads ? Math.ceil(n / threads) : batchSize;
  const order = ragged.length === 0 ? engine.predictOrder(x, xLen, n, bs) : null;
  const nb = Math.ceil(n / bs);
  // Every row in batch order, in memory the workers share.
  const rows = order ?? Int32Array.from({ length: n }, (_, i) => i);
  const xs = x.map((v, k) => {
    const buf = shared(n * xWidth[k]!);
    gather(buf, v, rows, xWidth[k]!);
    return buf;
  });
  const widths = model.graph.outputs.map((_, o) => engine.outputWidth(o, xLen));
  const out = widths.map((w) => shared(n * w));
  const next = new Int32Array(new SharedArrayBuffer(8));
  const shares: { slot: Slot; ticket: number }[] = [];
  for (let t = 1; t < threads; t++) {
    const slot = p.slots[t - 1]!;
    const ticket = ++p.ticket;
    const cmd: PredictCommand = {
      type: 'predict',
      ticket,
      id,
      backend: backend().name,
      params: params[t - 1]!,
      x: xs.map((b) => b.buffer as SharedArrayBuffer),
      xWidth: [...xWidth],
      xLen: [...xLen],
      ragged: [...ragged],
      n,
      batchSize: bs,
      fault: poolTestHooks.fault?.worker === slot.index ? poolTestHooks.fault.kind : null,
      out: out.map((b) => b.buffer as SharedArrayBuffer),
      next: next.buffer as SharedArrayBuffer,
    };
    offer(slot, cmd);
    shares.push({ slot, ticket });
  }
  // A test fault must hit a batch: let the faulty worker claim one first.
  if (poolTestHooks.fault !== null) waitFaultClaimed(p, shares, next, where, threads - 1);
  const started = Date.now();
  predictBatches(model, xs, xWidth, xLen, ragged, n, bs, out, next, null);
  waitBatches(p, shares, next, nb, workerTestHooks.stallGraceMs + STALL_FACTOR * (Date.now() - started), where, threads - 1);
  const results = widths.map((w) => new Float32Array(n * w));
  scatter(results, out, rows, widths);
  return results;
}

/**
 * Test faults only: wait until every worker has started its share and claimed a batch, before
 * the main thread claims any. Started is not enough: a worker slow to set up its share (a
 * loaded machine) could find every batch already taken by the main thread, and its fault would
 * never fire.
 */
function waitFaultClaimed(p: Pool, shares: readonly { slot: Slot; ticket: number }[], next: Int32Array, where: string, total: number): void {
  for (const s of shares) waitClaimed(p, s.slot, s.ticket, where, total);
  const deadline = Date.now() + workerTestHooks.startupTimeoutMs;
  for (;;) {
    const claimed = Atomics.load(next, NEXT_BATCH);
    if (claimed >= shares.length) return;
    for (const s of shares) checkShare(p, s.slot, s.ticket, where, total, Date.now() > deadline ? workerTestHooks.startupTimeoutMs : null);
    Atomics.wait(next, NEXT_BATCH, claimed, 20);
  }
}

/** Wait until worker s has started share `ticket` (test faults only). */
function waitClaimed(p: Pool, s: Slot, ticket: number, where: string, total: number): void {
  const deadline = Date.now() + workerTestHooks.startupTimeoutMs;
  while (Atomics.load(s.ctrl, P_OPEN) === ticket) {
    checkShare(p, s, ticket, where, total, Date.now() > deadline ? workerTestHooks.startupTimeoutMs : null);
    Atomics.wait(s.ctrl, P_OPEN, ticket, 20);
  }
}

/** Throw (stopping the pool) if worker s failed on `ticket`, died, or — stalledAfterMs given — stalled. */
function checkShare(p: Pool, s: Slot, ticket: number, where: string, total: number, stalledAfterMs: number | null): void {
  let why: string | null = null;
  if (Atomics.load(s.ctrl, P_FAILED) === ticket) why = new TextDecoder().decode(s.err.slice(0, Atomics.load(s.ctrl, P_ERRLEN)));
  else if (s.dead !== null) why = s.dead;
  else if (stalledAfterMs !== null) why = `no result ${(stalledAfterMs / 1000).toFixed(1)} s after the main thread finished its share`;
  if (why === null) return;
  void retire(p);
  throw new Error(`${where}: pool worker thread ${s.index} (of ${total}) failed: ${why}; the worker pool was stopped and starts again at the next call`);
}

function scatter(results: Float32Array[], part: readonly Float32Array[], rows: ArrayLike<number>, widths: readonly number[]): void {
  for (let o = 0; o < results.length; o++) {
    const w = widths[o]!;
    const src = part[o]!;
    const dst = results[o]!;
    for (let i = 0; i < rows.length; i++) dst.set(src.subarray(i * w, (i + 1) * w), rows[i]! * w);
  }
}

/**
 * evaluate split over `threads` threads: its batches are claimed one at a time as predict's
 * are, each thread writing the batch's losses, outputs and masks to shared memory; the main
 * thread then adds them to the loss sums and metrics in batch order, as
 * engine.evaluateDataset does on one thread — the same numbers.
 */
export function evaluateSplit(model: Model, option: WorkersOption, threads: number, ds: Dataset, batchSize: number, prefix: string, onBatch?: (step: number, logs: Logs) => void): Logs {
  const where = `${model.where}: evaluate`;
  const p = option === 'auto' ? pool! : warmPool(threads - 1, model, 'evaluate');
  const engine = model.engine;
  engine.planArena();
  const id = idOf(model);
  const params = replicasFor(p, threads, model, id, option, where);
  if (params === null) return engine.evaluateDataset(ds, batchSize, prefix, onBatch);
  const n = ds.n;
  const steps = Math.ceil(n / batchSize);
  const nOut = engine.outputs.length;
  const outWidth = engine.outputs.map((_, o) => engine.outputWidth(o, ds.xLen));
  const rowsPerSample = outWidth.map((w, o) => w / engine.cols(o));
  const copy = (data: Float32Array | null): Float32Array | null => {
    if (data === null) return null;
    const buf = shared(data.length);
    buf.set(data);
    return buf;
  };
  const views: EvaluateViews = {
    x: ds.x.map((t) => copy(t.data)!),
    xWidth: ds.xWidth,
    xLen: ds.xLen,
    ragged: ds.ragged,
    y: ds.y.map((t) => (t === null ? null : copy(t.data))),
    yWidth: ds.yWidth,
    sw: ds.sw.map(copy),
    swWidth: ds.swWidth,
    n,
    batchSize,
    loss: new Float64Array(new SharedArrayBuffer(steps * nOut * 2 * 8)),
    out: outWidth.map((w) => shared(n * w)),
    outWidth,
    rowsPerSample,
    mask: rowsPerSample.map((r) => shared(n * r)),
  };
  const sab = (a: Float32Array | null): SharedArrayBuffer | null => (a === null ? null : (a.buffer as SharedArrayBuffer));
  const next = new Int32Array(new SharedArrayBuffer(8));
  const losses = engine.outputs.map((o) => (o.loss === null ? null : { className: o.loss.className, config: o.loss.getConfig() }));
  const shares: { slot: Slot; ticket: number }[] = [];
  for (let t = 1; t < threads; t++) {
    const slot = p.slots[t - 1]!;
    const ticket = ++p.ticket;
    const cmd: EvaluateCommand = {
      type: 'evaluate',
      ticket,
      id,
      backend: backend().name,
      params: params[t - 1]!,
      x: views.x.map((a) => sab(a)!),
      xWidth: [...ds.xWidth],
      xLen: [...ds.xLen],
      ragged: [...ds.ragged],
      n,
      batchSize,
      fault: poolTestHooks.fault?.worker === slot.index ? poolTestHooks.fault.kind : null,
      losses,
      y: views.y.map(sab),
      yWidth: [...ds.yWidth],
      sw: views.sw.map(sab),
      swWidth: [...ds.swWidth],
      loss: views.loss.buffer as SharedArrayBuffer,
      out: views.out.map((a) => sab(a)!),
      outWidth,
      rowsPerSample,
      mask: views.mask.map((a) => sab(a)!),
      next: next.buffer as SharedArrayBuffer,
    };
    offer(slot, cmd);
    shares.push({ slot, ticket });
  }
  if (poolTestHooks.fault !== null) waitFaultClaimed(p, shares, next, where, threads - 1);
  const started = Date.now();
  evaluateBatches(model, views, next, null);
  waitBatches(p, shares, next, steps, workerTestHooks.stallGraceMs + STALL_FACTOR * (Date.now() - started), where, threads - 1);

  // Every batch's numbers in batch order, as evaluateDataset adds them.
  engine.resetMetrics();
  let lossSum = 0;
  const outSums = new Float64Array(nOut);
  const penalty = engine.penalty();
  for (let step = 0; step < steps; step++) {
    const start = step * batchSize;
    const B = Math.min(batchSize, n - start);
    for (let o = 0; o < nOut; o++) {
      const spec = engine.outputs[o]!;
      if (spec.loss !== null) {
        const v = views.loss[(step * nOut + o) * 2]!;
        outSums[o] += v * B;
        lossSum += spec.weight * v * B;
      }
      if (spec.metrics.length > 0) {
        const rps = rowsPerSample[o]!;
        const masked = views.loss[(step * nOut + o) * 2 + 1] === 1;
        const y = ds.y[o]!.data;
        engine.updateOutputMetrics(o, views.out[o]!.subarray(start * outWidth[o]!, (start + B) * outWidth[o]!), y.subarray(start * ds.yWidth[o]!, (start + B) * ds.yWidth[o]!), B * rps, masked ? views.mask[o]!.subarray(start * rps, (start + B) * rps) : null);
      }
    }
    onBatch?.(step, engine.logs(lossSum / (start + B) + penalty, outSums.map((v) => v / (start + B)), prefix));
  }
  return engine.logs(lossSum / n + penalty, outSums.map((v) => v / n), prefix);
}

/** Wait (blocking) until all `nb` batches are done; throws a worker's failure, or a stall after patienceMs. */
function waitBatches(p: Pool, shares: readonly { slot: Slot; ticket: number }[], next: Int32Array, nb: number, patienceMs: number, where: string, total: number): void {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const done = Atomics.load(next, BATCHES_DONE);
    if (done >= nb) return;
    for (const s of shares) checkShare(p, s.slot, s.ticket, where, total, Date.now() > deadline ? patienceMs : null);
    Atomics.wait(next, BATCHES_DONE, done, 20);
  }
}

/**
 * Borrow k pool workers for a fit (Node, when the pool is free): handles that speak fit's
 * protocol (protocol.ts) through the pool worker, which runs replica.ts's loop until the
 * fit's CMD_EXIT and then comes back to the pool. null where the pool cannot lend them
 * (browsers, another fit holds it): fit then starts its own threads.
 */
export async function leaseWorkers(k: number, events: (i: number) => ThreadEvents): Promise<{ handles: ThreadHandle[]; release: (failed: boolean) => Promise<void> } | null> {
  await nodeLoading;
  if (node === null || !sharedMemoryAvailable() || pool?.leased) return null;
  await startWorkers(k);
  const p = pool;
  if (p === null || p.leased || p.slots.length < k) return null;
  p.leased = true;
  const slots = p.slots.slice(0, k);
  slots.forEach((s, i) => {
    s.events = events(i + 1);
    // A fit's workers keep the process alive while it runs (its promise alone would not).
    s.worker.ref();
  });
  const handles: ThreadHandle[] = slots.map((s) => ({
    post: (m) => send(s, { type: 'fit', init: m as never }),
    terminate: async () => undefined,
  }));
  const release = async (failed: boolean): Promise<void> => {
    for (const s of slots) {
      s.events = null;
      s.worker.unref();
    }
    p.leased = false;
    // A failed, stalled or hung worker cannot be trusted to come back: a fresh pool next time.
    if (failed || slots.some((s) => s.dead !== null)) await retire(p);
  };
  return { handles, release };
}
