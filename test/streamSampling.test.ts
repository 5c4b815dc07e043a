/**
 * Fast sampling (issue 18): a stream of an Embedding → LSTM model looks each step's input
 * product up in a table of embedding row · kernel + bias, rebuilt whenever weights are
 * written; stream.sampleNext steps and draws without copying the probabilities. Checked:
 * the same outputs as the plain step (the table's kernel switched off), the table rebuilt
 * after setWeights and fit (a stale table gives other outputs: the tests would fail), the same
 * draws as step() + sampleIndex, texts sampled from a seed unchanged, no allocation per step.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { runProbe } from './helpers/probeProcess.js';
import { Rng, Sequential, TextGenerator, Vocabulary, layers, sampleIndex, tensor, type Tensor } from '../src/index.js';
import { backend, getBackend } from '../src/backend/kernels.js';
import { PROJECTION_MAX_FLOATS } from '../src/models/stream.js';
import { countTaken } from './helpers/check.js';

const V = 11;

function charModel(units = 7, vocab = V, maskZero = false): Sequential {
  const m = new Sequential();
  m.add(layers.embedding({ inputDim: vocab, outputDim: 5, maskZero, inputShape: [null], seed: 4 }));
  m.add(layers.lstm({ units, returnSequences: true, seed: 1 }));
  m.add(layers.dense({ units: vocab, activation: 'softmax', seed: 3 }));
  return m;
}

/** Larger weights than the initializers give: peaked outputs, so a stale table shows. */
function randomWeights(m: Sequential, seed: number): Tensor[] {
  const rng = new Rng(seed);
  return m.getWeights().map((w) => tensor(Float32Array.from(w.data, () => rng.uniformIn(-0.7, 0.7)), w.shape));
}

/** Run `body` with the table's kernel declining, so every step takes the plain path (x·kernel computed). */
function withoutTable<T>(body: () => T): T {
  const k = backend();
  const kernel = k.lstmStepProjected;
  k.lstmStepProjected = () => false;
  try {
    return body();
  } finally {
    k.lstmStepProjected = kernel;
  }
}

/** Step ids[t] ([rows] per step) through a fresh stream; every step's outputs, concatenated. */
function streamOutputs(m: Sequential, ids: number[][], between?: (t: number) => void): number[] {
  const rows = ids[0]!.length;
  const s = m.stream({ batchSize: rows });
  const out: number[] = [];
  ids.forEach((step, t) => {
    between?.(t);
    out.push(...s.step(tensor(Float32Array.from(step), [rows])).data);
  });
  return out;
}

function randomIds(steps: number, rows: number, seed: number, vocab = V): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: steps }, () => Array.from({ length: rows }, () => 1 + rng.int(vocab - 1)));
}

describe('stream input-projection table', () => {
  for (const rows of [1, 2, 5]) {
    it(`${rows} row(s): outputs with the table equal the plain step's exactly`, () => {
      const m = charModel();
      m.setWeights(randomWeights(m, 1));
      const ids = randomIds(9, rows, 2);
      const plain = withoutTable(() => streamOutputs(m, ids));
      const { result: fast, taken } = countTaken(backend(), 'lstmStepProjected', () => streamOutputs(m, ids));
      // The TypeScript backend fuses a step of at most 2 rows (more multiply a transposed copy).
      assert.equal(taken, getBackend() === 'ts' && rows > 2 ? 0 : ids.length, 'steps that used the table');
      assert.deepEqual(fast, plain);
    });
  }

  it('is rebuilt after setWeights (the model, one layer) — a stale table would give the old weights\' outputs', () => {
    const m = charModel();
    const w0 = randomWeights(m, 3);
    const w1 = randomWeights(m, 4);
    const ids = randomIds(8, 2, 5);
    const layer = (i: number) => m.layers[i]!;
    const run = (): number[] => {
      m.setWeights(w0);
      return streamOutputs(m, ids, (t) => {
        if (t === 3) m.setWeights(w1);
        if (t === 5) layer(0).setWeights([w0[0]!]); // the embeddings alone
        if (t === 6) layer(1).setWeights(w0.slice(1, 4)); // the LSTM alone
      });
    };
    const expected = withoutTable(run);
    const { result: got, taken } = countTaken(backend(), 'lstmStepProjected', run);
    assert.equal(taken, ids.length);
    assert.deepEqual(got, expected);
    // The writes matter: with w0 throughout, steps 3… differ.
    m.setWeights(w0);
    const unchanged = withoutTable(() => streamOutputs(m, ids));
    assert.notDeepEqual(unchanged.slice(3 * 2 * V), expected.slice(3 * 2 * V));
  });

  it('is rebuilt after fit', async () => {
    const ids = randomIds(6, 1, 6);
    const x = tensor(Float32Array.from(randomIds(16, 8, 7).flat()), [16, 8]);
    const y = tensor(Float32Array.from(randomIds(16, 8, 8).flat()), [16, 8]);
    const run = async (): Promise<number[]> => {
      const m = charModel();
      m.setWeights(randomWeights(m, 9));
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const s = m.stream();
      const out: number[] = [];
      for (let t = 0; t < ids.length; t++) {
        if (t === 3) await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 1 });
        out.push(...s.step(tensor(Float32Array.from(ids[t]!), [1])).data);
      }
      return out;
    };
    const k = backend();
    const kernel = k.lstmStepProjected;
    k.lstmStepProjected = () => false;
    let expected: number[];
    try {
      expected = await run();
    } finally {
      k.lstmStepProjected = kernel;
    }
    assert.deepEqual(await run(), expected);
  });

  it(`is not built past ${PROJECTION_MAX_FLOATS} floats (vocab · 4 · units); the stream steps as before`, () => {
    const vocab = Math.floor(PROJECTION_MAX_FLOATS / (4 * 16)) + 1;
    const m = charModel(16, vocab);
    const ids = randomIds(3, 1, 10, vocab);
    const { result, taken } = countTaken(backend(), 'lstmStepProjected', () => streamOutputs(m, ids));
    assert.equal(taken, 0);
    assert.deepEqual(result, withoutTable(() => streamOutputs(m, ids)));
  });

  it('a padded step (maskZero, index 0) takes the time loop for every row; the rows around it still match', () => {
    const m = charModel(7, V, true);
    m.setWeights(randomWeights(m, 11));
    const ids = randomIds(6, 2, 12);
    ids[2]![1] = 0;
    assert.deepEqual(streamOutputs(m, ids), withoutTable(() => streamOutputs(m, ids)));
  });
});

describe('stream.sampleNext', () => {
  it('draws what step() + sampleIndex draw (one Rng for all rows, or one per row; temperature, topK, banned)', () => {
    const m = charModel();
    m.setWeights(randomWeights(m, 13));
    const rows = 3;
    for (const options of [{}, { temperature: 0.6 }, { topK: 3, banned: [0, 2] }, { temperature: 1.7, topK: 5 }]) {
      for (const perRow of [false, true]) {
        const reference = (): number[] => {
          const s = m.stream({ batchSize: rows });
          const rngs = Array.from({ length: rows }, (_, r) => new Rng(20 + r));
          const one = new Rng(19);
          let ids = [1, 2, 3];
          const drawn: number[] = [];
          for (let t = 0; t < 40; t++) {
            const p = s.step(tensor(Float32Array.from(ids), [rows])).data;
            ids = ids.map((_, r) => sampleIndex(p, r * V, V, perRow ? rngs[r]! : one, options));
            drawn.push(...ids);
          }
          return drawn;
        };
        const s = m.stream({ batchSize: rows });
        const rngs = Array.from({ length: rows }, (_, r) => new Rng(20 + r));
        const one = new Rng(19);
        let ids: ArrayLike<number> = [1, 2, 3];
        const drawn: number[] = [];
        for (let t = 0; t < 40; t++) {
          ids = s.sampleNext(ids, perRow ? rngs : one, options);
          drawn.push(...Array.from(ids));
        }
        assert.deepEqual(drawn, reference(), `${JSON.stringify(options)}, ${perRow ? 'one Rng per row' : 'one Rng'}`);
      }
    }
  });

  it('refuses wrong ids, generators, options and models it cannot sample from, naming them', () => {
    const m = charModel();
    const s = m.stream({ batchSize: 2 });
    const rng = new Rng(1);
    assert.throws(() => s.sampleNext([1], rng), /sampleNext: ids must hold one index per row of the stream \(2\), got 1 values/);
    assert.throws(() => s.sampleNext([1, 2], [rng]), /rng must be one Rng, or one per row \(2\), got 1/);
    assert.throws(() => s.sampleNext([1, 2], 7 as never), /rng must be an Rng/);
    assert.throws(() => s.sampleNext([1, 2], rng, { temprature: 1 } as never), /unknown option 'temprature'; supported options: temperature, topK, banned/);
    const options = { temperature: 1 };
    s.sampleNext([1, 2], rng, options);
    options.temperature = -1; // the same object, changed: its values are checked every call
    assert.throws(() => s.sampleNext([1, 2], rng, options), /temperature must be a number > 0, got -1/);
    assert.throws(() => s.sampleNext([1, 2], rng, { banned: [0.5] }), /banned\[0\] must be an integer index/);
    assert.throws(() => s.sampleNext([1, 2.5], rng), /embedding.*index 2\.5 .*is not an integer index/);
    assert.throws(() => s.sampleNext([1, V], rng), /index 11 .*is out of range/);
    const logits = new Sequential();
    logits.add(layers.embedding({ inputDim: V, outputDim: 3, inputShape: [null] }));
    logits.add(layers.lstm({ units: 4, returnSequences: true }));
    logits.add(layers.dense({ units: V }));
    assert.throws(() => logits.stream().sampleNext([1], rng), /the model's output must be a softmax .*it comes from Dense/);
    const dense = new Sequential();
    dense.add(layers.lstm({ units: 4, inputShape: [null, 3] }));
    dense.add(layers.dense({ units: V, activation: 'softmax' }));
    assert.throws(() => dense.stream().sampleNext([1], rng), /needs indices read by an Embedding/);
  });
});

describe('sampling results', () => {
  it('texts sampled from a seed are the ones sampled before the table and sampleNext existed', async () => {
    // Recorded with the code before the input-projection table (identical on both backends).
    const names = ['anna', 'marta', 'karl', 'olaf', 'maria', 'mark', 'ola', 'kara', 'ann', 'otto', 'klara', 'tomas', 'lars', 'malin', 'kim', 'nora'];
    const gen = new TextGenerator({ vocab: Vocabulary.fromCorpus(names.join('\n')), units: 24, embeddingDim: 8, seed: 5 });
    await gen.fit(names, { epochs: 3, batchSize: 4, verbose: 0, seed: 2, learningRate: 0.05 });
    assert.equal(gen.sample({ seed: 3 }), 'oll');
    assert.equal(gen.sample({ seed: 5, temperature: 0.7, prefix: 'ma' }), 'mara');
    assert.equal(gen.sample({ seed: 6, topK: 3 }), 'mamr');
    assert.deepEqual(gen.sampleMany(5, { seed: 11 }), ['r', 'arrk', 'aaor', 'rol', 'kaaas']);
    assert.deepEqual(gen.sampleMany(3, { seed: 12, temperature: 1.3, topK: 5 }), ['alas', 'mraaa', 'maois']);
  });

  it('sampling one character at a time through the table draws the recorded sequence', () => {
    const m = new Sequential();
    m.add(layers.embedding({ inputDim: 30, outputDim: 16, inputShape: [null], seed: 3 }));
    m.add(layers.lstm({ units: 64, returnSequences: true, seed: 1 }));
    m.add(layers.dense({ units: 30, activation: 'softmax', seed: 2 }));
    const rng = new Rng(4);
    m.setWeights(m.getWeights().map((w) => tensor(Float32Array.from(w.data, () => rng.uniformIn(-0.6, 0.6)), w.shape)));
    const s = m.stream();
    const r = new Rng(7);
    let ids: ArrayLike<number> = [1];
    const drawn: number[] = [];
    for (let i = 0; i < 60; i++) {
      ids = s.sampleNext(ids, r, i % 3 === 0 ? { temperature: 0.8 } : {});
      drawn.push(ids[0]!);
    }
    // The first 60 of 300 draws recorded with step() + sampleIndex before the table existed.
    const recorded = '9,16,20,20,27,22,16,10,22,10,5,29,8,25,28,11,14,19,20,2,20,1,28,22,20,1,26,23,16,11,28,10,5,17,22,20,28,22,25,19,4,2,19,28,9,22,26,21,19,22,10,11,23,26,22,16,28,10,22,17';
    assert.equal(drawn.join(','), recorded);
  });
});

describe('sampling allocation', () => {
  const probe = fileURLToPath(new URL('./helpers/samplingProbe.ts', import.meta.url));
  for (const rows of [1, 64]) {
    it(`sampleNext, ${rows} stream(s): young generation flat over 2000 steps`, () => {
      const { grown, gcs, slack, steps } = runProbe<{ grown: number; gcs: number; slack: number; steps: number }>(probe, [String(rows)]);
      assert.equal(gcs, 0, `${steps} steps triggered ${gcs} young-generation collections`);
      assert.ok(grown <= slack, `the young generation grew by ${grown} bytes over ${steps} steps (limit ${slack})`);
    });
  }
});
