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
 * form bundlers recognise (through a blob: bootstrap when the package was loaded from
 * another origin, see workerScriptUrl); SharedArrayBuffer needs a cross-origin isolated page.
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

/**
 * What Node's `new Worker` runs: entry.js of the built package, or (TypeScript sources
 * under tsx) a bootstrap that registers tsx's loader in the new thread and imports entry.ts.
 */
export function nodeWorkerSource(): { spec: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { spec: new URL('./entry.js', import.meta.url), eval: false };
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (resolve === undefined) throw new Error('rnnkit workers: running from TypeScript sources needs import.meta.resolve (Node ≥ 20.6) to find tsx');
  const tsx = resolve('tsx/esm/api');
  const entry = new URL('./entry.ts', import.meta.url).href;
  return { spec: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}

/** Start one worker thread running entry.(js|ts), with its events wired. */
export async function spawnThread(events: ThreadEvents): Promise<ThreadHandle> {
  if (isNode()) {
    const wt = (await import('node:worker_threads')) as unknown as NodeWorkerThreads;
    const source = nodeWorkerSource();
    const w = new wt.Worker(source.spec, { eval: source.eval });
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
  if (typeof Worker !== 'function') throw new Error('fit workers: this runtime has no Worker');
  const boot = crossOriginBootstrap();
  // The same-origin case is written out as `new Worker(new URL('./entry.js', import.meta.url), …)`:
  // bundlers (webpack 5, Vite, Parcel) recognise exactly that form and emit the entry as a worker chunk.
  const w = boot === null ? new Worker(new URL('./entry.js', import.meta.url), { type: 'module' }) : new Worker(boot.url, { type: 'module' });
  const revoke = (): void => boot?.revoke();
  w.addEventListener('message', (e: MessageEvent) => {
    revoke();
    events.message(e.data);
  });
  w.addEventListener('error', (e: Event) => {
    revoke();
    // Keeps the failure out of the page's console: it reaches the user as fit's rejection.
    e.preventDefault();
    // A script that fails to load gives a bare Event (no message), in every engine.
    const message = (e as Partial<ErrorEvent>).message;
    events.error(
      new Error(
        message ||
          `could not start a Web Worker from ${entryHref()}: the file or a module it imports failed to load (it must be served as JavaScript; on a cross-origin isolated page also with Cross-Origin-Embedder-Policy: require-corp, and from another origin with CORS headers)`,
      ),
    );
  });
  w.addEventListener('messageerror', () => events.error(new Error('a message from the worker could not be read')));
  return {
    post: (m, transfer) => w.postMessage(m, transfer ?? []),
    terminate: async () => {
      revoke();
      w.terminate();
    },
  };
}

/** Held in a variable so that bundlers do not also emit the entry as a plain (unbundled) asset. */
const ENTRY_FILE = './entry.js';

function entryHref(): string {
  return new URL(ENTRY_FILE, import.meta.url).href;
}

/**
 * Browsers start workers only from the page's own origin. Where the package itself was
 * loaded from another one (a CDN), the worker starts from a same-origin blob: module that
 * imports the entry by its absolute URL (fetched with CORS, as the page's import of the
 * package was); null where no bootstrap is needed. `revoke` frees the blob once the worker
 * has answered or failed; the worker has fetched its script by then.
 */
function crossOriginBootstrap(): { url: string; revoke: () => void } | null {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (origin === undefined || origin === 'null' || origin === new URL(import.meta.url).origin) return null;
  const url = URL.createObjectURL(new Blob([`import ${JSON.stringify(entryHref())};\n`], { type: 'text/javascript' }));
  let live = true;
  return {
    url,
    revoke: () => {
      if (live) URL.revokeObjectURL(url);
      live = false;
    },
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
