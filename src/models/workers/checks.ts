/**
 * What both the per-fit workers (pool.ts) and the persistent pool (persistent.ts) check
 * about a model before giving it to worker threads, the FLOP estimate their 'auto' rules
 * use, and the test-only hooks. Apart from pool.ts so persistent.ts need not import it.
 */
import { Bidirectional, Recurrent, TimeDistributed, type Layer } from '../../layers/index.js';
import { builtInClass } from '../../layers/registry.js';
import type { Graph } from '../graph.js';
import type { InjectedFault } from './protocol.js';

/**
 * Test-only hooks (not exported from the package): make a worker fail on purpose; shorten
 * the startup deadline and the grace a batch's workers get after the main thread's shard;
 * cap the threads fit's 'auto' may use (as a 1-core machine or a browser page without
 * isolation would), to check that the thread count never changes a fit's bits.
 */
export const workerTestHooks: {
  fault: InjectedFault | null;
  startupTimeoutMs: number;
  stallGraceMs: number;
  maxFitThreads: number;
  /** The last fit's shard and thread counts (written by fit, read by tests). */
  lastFit: { shards: number; threads: number } | null;
} = {
  fault: null,
  startupTimeoutMs: 60_000,
  stallGraceMs: 30_000,
  maxFitThreads: Infinity,
  lastFit: null,
};

/** The first stateful recurrent layer (stateful layers carry state across batches: no data parallelism). */
export function statefulLayer(layers: readonly Layer[]): Layer | null {
  for (const l of layers) {
    const inner = l instanceof Bidirectional ? l.forwardLayer : l;
    if (inner instanceof Recurrent && inner.stateful) return l;
  }
  return null;
}

/**
 * The first layer a worker could not rebuild from its config as the same computation:
 * anything but rnnkit's own classes (a subclass too, even one keeping its parent's
 * className), looking inside wrappers and nested models.
 */
export function customLayer(layers: readonly Layer[]): Layer | null {
  for (const l of layers) {
    if ('graph' in l) {
      if (customLayer((l as unknown as { graph: Graph }).graph.weightedLayers) !== null) return l;
      continue;
    }
    if (builtInClass(l.className) !== l.constructor) return l;
    const inner = l instanceof Bidirectional ? [l.forwardLayer] : l instanceof TimeDistributed ? [l.layer] : [];
    if (customLayer(inner) !== null) return l;
  }
  return null;
}

/**
 * Estimated training FLOPs of one batch: every 2-D weight matrix (kernels, recurrent
 * kernels; not embeddings or biases) multiplies once per sample and time step it sees,
 * 2 FLOPs per multiply-add, ×3 for forward + the two backward products. For a
 * recurrent layer that is 6·B·T·(I + H)·G·H; a layer called twice counts twice.
 */
export function estimateBatchFlops(graph: Graph, B: number, xLen: readonly number[]): number {
  const shapes = graph.concreteShapes(xLen);
  let flops = 0;
  for (const n of graph.nodes) {
    const s = shapes[graph.indexOf(n.inputs[0]!)]!;
    const steps = s.length >= 2 ? (s[0] as number) : 1;
    if (n.layer.className === 'Embedding') continue;
    for (const w of n.layer.weights) if (w.shape.length === 2 && !w.name.includes('bias')) flops += 6 * B * steps * w.shape[0]! * w.shape[1]!;
  }
  return flops;
}
