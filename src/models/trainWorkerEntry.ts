/**
 * Entry module of trainInWorker's thread (a module Web Worker or a Node worker thread):
 * serves one training request, see trainInWorker.ts.
 */
import { serveTraining } from './trainInWorker.js';

async function channel(): Promise<{ post(m: unknown): void; on(f: (m: unknown) => void): void }> {
  if (typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string') {
    const wt = (await import('node:worker_threads')) as unknown as { parentPort: { postMessage(m: unknown): void; on(e: 'message', f: (m: unknown) => void): void } | null };
    const port = wt.parentPort!;
    return { post: (m) => port.postMessage(m), on: (f) => port.on('message', f) };
  }
  const self = globalThis as unknown as { postMessage(m: unknown): void; addEventListener(t: 'message', f: (e: MessageEvent) => void): void };
  return { post: (m) => self.postMessage(m), on: (f) => self.addEventListener('message', (e) => f(e.data)) };
}

const c = await channel();
await serveTraining((m) => c.post(m), (f) => c.on(f));
