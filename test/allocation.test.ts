/**
 * No allocation in the training step: after a warm-up epoch, 1,000 further training
 * steps must leave the young generation where it was (no garbage, no collection).
 * new_space's used size is exact to the byte, unlike heapUsed. Each model trains in
 * its own process, as a user's would: a process that also ran other models' code
 * can have V8 box a few numbers in shared kernels it compiled for them.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import type { ProbeConfig } from './helpers/allocationProbe.js';
import { runProbe } from './helpers/probeProcess.js';

/** The measurement itself costs about 2 KB; one boxed number per step would be 16 KB. */
const HEAP_SLACK_BYTES = 8192;
const probe = fileURLToPath(new URL('./helpers/allocationProbe.ts', import.meta.url));

function run(cfg: ProbeConfig): { steps: number; grown: number; gcs: number; rounds: number } {
  return runProbe<{ steps: number; grown: number; gcs: number; rounds: number }>(probe, [JSON.stringify(cfg)], HEAP_SLACK_BYTES);
}

const base: ProbeConfig = { cell: 'simpleRNN', optimizer: 'adam', returnSequences: false, fromLogits: false, masked: false, dropout: 0, slackBytes: HEAP_SLACK_BYTES };
const cases: [string, ProbeConfig][] = [
  ['SimpleRNN, adam, softmax', base],
  ['SimpleRNN, rmsprop, sequences, logits', { ...base, optimizer: 'rmsprop', returnSequences: true, fromLogits: true }],
  ['LSTM, adam, sequences, masked', { ...base, cell: 'lstm', returnSequences: true, masked: true }],
  ['GRU, sgd, dropout and recurrent dropout', { ...base, cell: 'gru', optimizer: 'sgd', dropout: 0.2 }],
  ['graph: shared LSTM on two masked inputs, attention, add, sequences', { ...base, cell: 'lstm', returnSequences: true, masked: true, graph: true }],
  ['graph: shared GRU, attention, add, average pooling', { ...base, cell: 'gru', graph: true }],
];

describe('training step allocation', () => {
  for (const [name, cfg] of cases) {
    it(`${name}: young generation flat over 1000 steps`, () => {
      const { steps, grown, gcs, rounds } = run(cfg);
      assert.equal(gcs, 0, `the steps triggered ${gcs} garbage collections (round ${rounds})`);
      assert.ok(grown <= HEAP_SLACK_BYTES, `heap grew by ${grown} bytes over ${steps} steps in the last of ${rounds} rounds (limit ${HEAP_SLACK_BYTES})`);
    });
  }
});
