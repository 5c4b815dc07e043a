/**
 * The memory figures tools/memoryLoop.ts and tools/soak.ts report, measured one way:
 * the V8 heap in use, RSS, external memory (ArrayBuffers included, the allocator's
 * collector hints among them), ArrayBuffers alone, and the WebAssembly backend's memory —
 * its size (it only grows) and the bytes its live blocks hold.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { residentBytesInUse, wasmMemoryBytes } from '../src/backend/wasm/runtime.js';

export const MiB = 2 ** 20;

export interface MemorySample {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** Bytes the WebAssembly memory has grown to (0 on the 'ts' backend or before first use). */
  wasmMemory: number;
  /** Bytes held by live blocks in that memory. */
  wasmInUse: number;
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, wasmMemory: wasmMemoryBytes(), wasmInUse: residentBytesInUse() };
}

let gcFn: (() => void) | undefined;
let gcHow = '';

/**
 * A full garbage collection: global.gc where node ran with --expose-gc, otherwise the flag
 * is set now (as test/helpers/allocationProbe.ts does) and gc taken from a new context.
 */
export function collector(): { gc: () => void; how: string } {
  if (gcFn === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') {
      gcFn = exposed;
      gcHow = 'global.gc (--expose-gc)';
    } else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
      gcHow = "gc via v8.setFlagsFromString('--expose-gc')";
    }
  }
  return { gc: gcFn, how: gcHow };
}

/**
 * A settled sample: collect, give the FinalizationRegistry (which returns the WebAssembly
 * blocks of collected models) an event-loop turn to run, collect again, then measure.
 */
export async function settledSample(): Promise<MemorySample> {
  const { gc } = collector();
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  return memorySample();
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
