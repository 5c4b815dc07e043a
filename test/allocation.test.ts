/**
 * No allocation in the training step: after a warm-up epoch, further training steps
 * must leave the young generation where it was (no garbage created, no GC run).
 * new_space's used size is exact to the byte, unlike heapUsed.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, losses, tensor } from '../src/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const STEPS = 1000;
/**
 * Young-generation bytes the whole loop may add. The measurement itself costs about
 * 2 KB; one boxed number per step would be 16 KB.
 */
const HEAP_SLACK_BYTES = 8192;
const newSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

async function measure(optimizer: string, returnSequences: boolean): Promise<{ grown: number; gcs: number }> {
  const rng = new Rng(5);
  const N = 256;
  const T = 10;
  const x = tensor(Float32Array.from({ length: N * T * 2 }, () => rng.uniform()), [N, T, 2]);
  const model = new Sequential();
  model.add(layers.simpleRNN({ units: 16, inputShape: [T, 2], returnSequences, seed: 1 }));
  model.add(layers.dense({ units: 3, activation: optimizer === 'adam' ? 'softmax' : 'linear', seed: 2 }));
  const y = returnSequences
    ? tensor(Float32Array.from({ length: N * T }, () => rng.int(3)), [N, T])
    : tensor(Float32Array.from({ length: N }, () => rng.int(3)), [N]);
  // rmsprop runs on logits: a linear Dense feeding a from-logits loss
  const loss = optimizer === 'adam' ? 'sparseCategoricalCrossentropy' : losses.sparseCategoricalCrossentropy({ fromLogits: true });
  model.compile({ optimizer, loss, metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, seed: 3 });
  // Warm the step itself, then measure 200 more.
  for (let i = 0; i < 2000; i++) model.trainStep(32, T, 3, true);
  let gcs = 0;
  // Count young-generation collections only: the forced full gc() below reports late.
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs++;
  });
  obs.observe({ entryTypes: ['gc'] });
  gc();
  await new Promise((r) => setImmediate(r));
  gcs = 0;
  const before = newSpaceUsed();
  for (let i = 0; i < STEPS; i++) model.trainStep(32, T, 3, true);
  const after = newSpaceUsed();
  await new Promise((r) => setImmediate(r));
  obs.disconnect();
  return { grown: after - before, gcs };
}

describe('training step allocation', () => {
  for (const optimizer of ['adam', 'rmsprop']) {
    for (const returnSequences of [false, true]) {
      it(`${optimizer}, returnSequences=${returnSequences}: heap flat over ${STEPS} steps`, async () => {
        const { grown, gcs } = await measure(optimizer, returnSequences);
        assert.equal(gcs, 0, `the steps triggered ${gcs} garbage collections`);
        assert.ok(grown <= HEAP_SLACK_BYTES, `heap grew by ${grown} bytes over ${STEPS} steps (limit ${HEAP_SLACK_BYTES})`);
      });
    }
  }
});
