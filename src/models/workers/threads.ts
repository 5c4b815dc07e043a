/**
 * Threads for data-parallel fit, one small interface over Node's worker_threads and
 * browsers' Web Workers (Node modules are loaded with dynamic imports, so the package
 * stays browser-safe). Both run ./entry.(js|ts) and speak protocol.ts.
 *
 * Node, built package: `new Worker(new URL('./entry.js', import.meta.url))`.
 * Node, TypeScript sources under tsx (tests, `npm run bench`): this file's URL ends in
 * .ts; the worker is started from a two-line bootstrap that registers tsx's loader
 * (`tsx/esm/api`) in the new thread and then imports entry.ts (Node 20 runs a worker's
 * entry before any `--import tsx` of its execArgv could apply).
 * Browsers: `new Worker(new URL('./entry.js', import.meta.url), {type: 'module'})`, the
 * form bundlers recognise; SharedArrayBuffer needs a cross-origin isolated page.
 */

/** The main thread's handle on one worker thread. */
export interface ThreadHandle {
  post(message: unknown, transfer?: Transferable[]): void;
  /** Stop the thread now (also one blocked in Atomics.wait). */
  terminate(): Promise<void>;
}

export interface ThreadEvents {
  message(data: unknown): void;
  /** An uncaught exception in the thread (or a failure to start it). */
  error(err: Error): void;
  /** The thread ended (Node only; browsers do not report it). */
  exit(code: number): void;
}

/** The worker side: its link to the main thread. */
export interface ParentChannel {
  post(message: unknown): void;
  onMessage(handler: (data: unknown) => void): void;
  /** End this thread's message port so the thread can finish. */
  close(): void;
}

interface NodeWorker {
  postMessage(m: unknown, transfer?: readonly unknown[]): void;
  on(event: string, f: (arg: never) => void): void;
  terminate(): Promise<number>;
}
interface NodeWorkerThreads {
  Worker: new (spec: URL | string, options?: Record<string, unknown>) => NodeWorker;
  parentPort: { postMessage(m: unknown): void; on(event: 'message', f: (m: unknown) => void): void; close(): void } | null;
  isMainThread: boolean;
}

export function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

/** Whether threads can share memory here: SharedArrayBuffer and Atomics (browsers: a cross-origin isolated page). */
export function sharedMemoryAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  return isNode() || g.crossOriginIsolated !== false;
}

/** Whether this runtime can start worker threads for fit (and share memory with them). */
export function threadsAvailable(): boolean {
  if (!sharedMemoryAvailable()) return false;
  return isNode() || typeof (globalThis as { Worker?: unknown }).Worker === 'function';
}

/** Logical cores available to this process (Node availableParallelism, browsers hardwareConcurrency). */
export async function availableCores(): Promise<number> {
  if (isNode()) {
    const os = (await import('node:os')) as unknown as { availableParallelism?: () => number; cpus(): unknown[] };
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 1;
}

/** Start one worker thread running entry.(js|ts), with its events wired. */
export async function spawnThread(events: ThreadEvents): Promise<ThreadHandle> {
  if (isNode()) {
    const wt = (await import('node:worker_threads')) as unknown as NodeWorkerThreads;
    let w: NodeWorker;
    if (import.meta.url.endsWith('.ts')) {
      const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
      if (resolve === undefined) throw new Error('fit workers: running from TypeScript sources needs import.meta.resolve (Node ≥ 20.6) to find tsx');
      const tsx = resolve('tsx/esm/api');
      const entry = new URL('./entry.ts', import.meta.url).href;
      const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
      w = new wt.Worker(boot, { eval: true });
    } else {
      w = new wt.Worker(new URL('./entry.js', import.meta.url));
    }
    w.on('message', (m: never) => events.message(m));
    w.on('error', (e: never) => events.error(e as Error));
    w.on('exit', (code: never) => events.exit(code as number));
    return {
      post: (m, transfer) => w.postMessage(m, transfer),
      terminate: async () => {
        await w.terminate();
      },
    };
  }
  const W = (globalThis as { Worker?: new (url: URL, options: { type: 'module' }) => Worker }).Worker;
  if (W === undefined) throw new Error('fit workers: this runtime has no Worker');
  const w = new W(new URL('./entry.js', import.meta.url), { type: 'module' });
  w.addEventListener('message', (e: MessageEvent) => events.message(e.data));
  w.addEventListener('error', (e: ErrorEvent) => {
    e.preventDefault();
    events.error(new Error(e.message || 'the worker script failed to load'));
  });
  w.addEventListener('messageerror', () => events.error(new Error('a message from the worker could not be read')));
  return {
    post: (m, transfer) => w.postMessage(m, transfer ?? []),
    terminate: async () => w.terminate(),
  };
}

/** In a worker thread: the channel to the main thread. */
export async function parentChannel(): Promise<ParentChannel> {
  if (isNode()) {
    const wt = (await import('node:worker_threads')) as unknown as NodeWorkerThreads;
    const port = wt.parentPort;
    if (port === null) throw new Error('rnnkit worker entry: not running in a worker thread');
    return { post: (m) => port.postMessage(m), onMessage: (h) => port.on('message', h), close: () => port.close() };
  }
  const self = globalThis as unknown as { postMessage(m: unknown): void; addEventListener(t: 'message', f: (e: MessageEvent) => void): void; close(): void };
  return { post: (m) => self.postMessage(m), onMessage: (h) => self.addEventListener('message', (e) => h(e.data)), close: () => self.close() };
}
