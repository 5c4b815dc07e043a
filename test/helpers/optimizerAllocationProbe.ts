/**
 * Child process for test/optimizersKeras3.test.ts: for each optimizer config given (JSON
 * [className, config][]), warm `apply` up on a 5-segment arena with gradients that include
 * exact zeros, then print how many young-generation bytes 1,000 further steps left behind
 * (the first of up to 5 rounds that stays within `slack`, or the last). Run as:
 *   node --import tsx test/helpers/optimizerAllocationProbe.ts '[["Adam", {...}], ...]'
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { optimizerFromConfig } from '../../src/optimizers/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const used = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
const configs = JSON.parse(process.argv[2]!) as [string, Record<string, unknown>][];
const slack = 4096;
const n = 500;
const segments = [0, 1, 2, 3, 4].map((k) => ({ name: `s${k}`, offset: k * 100, size: 100, shape: [100], trainable: k !== 2 }));

// A few gradient vectors, cycled (apply overwrites its gradients); every third value exactly 0.
let seed = 1;
const pool = Array.from({ length: 7 }, () =>
  Float32Array.from({ length: n }, (_, j) => {
    seed = (seed * 16807) % 2147483647;
    return j % 3 === 0 ? 0 : seed / 2147483647 - 0.5;
  }),
);

const results: { config: string; grown: number }[] = [];
for (const [cls, config] of configs) {
  const opt = optimizerFromConfig(cls, config);
  const params = new Float32Array(n).fill(0.1);
  const grads = new Float32Array(n);
  opt.build(n, segments);
  const steps = (count: number): void => {
    for (let k = 0; k < count; k++) {
      grads.set(pool[k % pool.length]!);
      opt.apply(params, grads);
    }
  };
  steps(6000);
  let grown = 0;
  for (let round = 0; round < 5; round++) {
    gc();
    const before = used();
    steps(1000);
    grown = used() - before;
    if (grown <= slack) break;
  }
  results.push({ config: `${cls} ${JSON.stringify(config)}`, grown });
}
console.log(JSON.stringify(results));
