/**
 * TerminateOnNaN, ReduceLROnPlateau, LearningRateScheduler and CSVLogger against
 * Keras 3 behaviour, on tiny real models.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential, layers, tensor, callbacks, optimizers, schedules, CSVLogger, ReduceLROnPlateau, type Callback, type Logs, type Tensor } from '../src/index.js';
import { pythonFloatRepr } from '../src/models/trainingCallbacks.js';

function tinyModel(optimizer: Parameters<Sequential['compile']>[0]['optimizer'] = 'sgd'): Sequential {
  const model = new Sequential();
  model.add(layers.simpleRNN({ units: 2, inputShape: [3, 1], seed: 1 }));
  model.add(layers.dense({ units: 1, activation: 'sigmoid', seed: 2 }));
  model.compile({ optimizer, loss: 'binaryCrossentropy' });
  return model;
}

function data(n: number): { x: Tensor; y: Tensor } {
  const xs = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 1.7));
  const ys = Float32Array.from({ length: n }, (_, i) => (xs[i * 3]! + xs[i * 3 + 1]! > 0 ? 1 : 0));
  return { x: tensor(xs, [n, 3, 1]), y: tensor(ys, [n, 1]) };
}

function lrOf(model: Sequential): number {
  return model.optimizer!.learningRate;
}

/** Feeds a fixed sequence of values to the logs as `fake`, one per epoch. */
function fakeMonitor(values: number[], key = 'fake'): Callback {
  return { onEpochEnd: (epoch: number, logs: Logs) => void (logs[key] = values[epoch]!) };
}

describe('terminateOnNaN', () => {
  /** A linear model whose MSE overflows within a few steps of SGD at learning rate 1e30. */
  function explodingModel(): Sequential {
    const model = new Sequential();
    model.add(layers.simpleRNN({ units: 2, inputShape: [3, 1], seed: 1 }));
    model.add(layers.dense({ units: 1, seed: 2 }));
    model.compile({ optimizer: optimizers.sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' });
    return model;
  }

  it('stops after the first batch whose loss overflows (a real non-finite loss from a huge learning rate)', async () => {
    const model = explodingModel();
    const { x, y } = data(32);
    const losses: Array<[number, number]> = [];
    const rec: Callback = { onBatchEnd: (b, logs) => void losses.push([b, logs.loss!]) };
    const ton = callbacks.terminateOnNaN();
    const h = await model.fit(x, y, { epochs: 20, batchSize: 4, shuffle: false, verbose: 0, callbacks: [rec, ton] });
    const last = losses[losses.length - 1]!;
    assert.ok(losses.length < 20 * 8, 'training stopped early');
    assert.ok(!Number.isFinite(last[1]), `last loss ${last[1]} is not finite`);
    assert.ok(losses.slice(0, -1).every(([, l]) => Number.isFinite(l)), 'it stopped at the first invalid loss');
    assert.equal(ton.stoppedBatch, last[0]);
    assert.equal(h.history.loss!.length, Math.floor((losses.length - 1) / 8) + 1, 'no epoch after the interrupted one');
    assert.equal(model.stopTraining, true);
    // the refused batch was not applied: the weights are finite
    assert.ok(model.getWeights().every((t) => t.data.every(Number.isFinite)));
    // without the callback the same run is refused at the same batch (not 20 epochs of NaN)
    const unguarded = explodingModel();
    const n: number[] = [];
    await assert.rejects(unguarded.fit(x, y, { epochs: 20, batchSize: 4, shuffle: false, verbose: 0, callbacks: [{ onBatchEnd: (b) => void n.push(b) }] }), { name: 'NonFiniteError' });
    assert.equal(n.length, losses.length);
  });

  it('catches NaN and -Infinity in the batch loss; ignores batch logs without a loss', () => {
    for (const bad of [NaN, -Infinity, Infinity]) {
      const ton = callbacks.terminateOnNaN();
      const model = { stopTraining: false, getWeights: () => [], setWeights: () => undefined };
      ton.setModel(model);
      ton.onBatchEnd(0, { loss: 0.5 });
      ton.onBatchEnd(1, {});
      assert.equal(model.stopTraining, false);
      ton.onBatchEnd(2, { loss: bad });
      assert.equal(model.stopTraining, true);
      assert.equal(ton.stoppedBatch, 2);
    }
  });

  it('raiseError throws naming the batch, and a finite run is untouched', async () => {
    const model = explodingModel();
    const { x, y } = data(32);
    let lastBatch = -1;
    const rec: Callback = { onBatchEnd: (b) => void (lastBatch = b) };
    let trainEnd = false;
    await assert.rejects(
      model.fit(x, y, { epochs: 20, batchSize: 4, shuffle: false, verbose: 0, callbacks: [rec, callbacks.terminateOnNaN({ raiseError: true }), { onTrainEnd: () => void (trainEnd = true) }] }),
      (e: Error) => e.message.startsWith(`terminateOnNaN: NaN or Inf loss encountered at batch ${lastBatch}. Loss value: `),
    );
    assert.equal(trainEnd, false);
    const ok = tinyModel();
    const d = data(12);
    const h = await ok.fit(d.x, d.y, { epochs: 3, batchSize: 4, verbose: 0, callbacks: [callbacks.terminateOnNaN()] });
    assert.equal(h.history.loss!.length, 3);
  });

  it('rejects unknown options by name', () => {
    assert.throws(() => callbacks.terminateOnNaN({ raise_error: true } as never), /unknown option 'raise_error'/);
    assert.throws(() => callbacks.terminateOnNaN({ raiseError: 1 as never }), /raiseError must be true or false/);
  });
});

describe('reduceLROnPlateau', () => {
  it('and learningRateScheduler refuse, before fit starts, an optimizer whose rate comes from a schedule', async () => {
    const { x, y } = data(8);
    for (const cb of [callbacks.reduceLROnPlateau({ monitor: 'loss' }), callbacks.learningRateScheduler((_e: number, lr: number) => lr)]) {
      const model = tinyModel(optimizers.sgd({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }) }));
      const before = model.getWeights().map((t) => Array.from(t.data));
      await assert.rejects(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [cb] }), /learning rate comes from a schedule \(ExponentialDecay\), which this callback cannot change/);
      assert.deepEqual(model.getWeights().map((t) => Array.from(t.data)), before, 'no batch ran');
    }
  });

  it('follows the Keras algorithm: patience, minDelta, cooldown, minLr', async () => {
    const model = tinyModel(optimizers.sgd({ learningRate: 0.1 }));
    const { x, y } = data(8);
    // Hand-simulated with Keras 3's algorithm (factor 0.5, patience 2, cooldown 2, minLr 0.02, minDelta 0.1):
    //  e0 1.0  improves (best 1.0)
    //  e1 0.95 within minDelta: wait 1
    //  e2 0.95 wait 2 -> lr 0.05, cooldown 2
    //  e3 0.95 cooldown 2->1, in cooldown
    //  e4 0.95 cooldown 1->0, wait 1
    //  e5 0.95 wait 2 -> lr 0.025, cooldown 2
    //  e6 0.5  cooldown 2->1, improves (best 0.5)
    //  e7 0.5  cooldown 1->0, wait 1
    //  e8 0.5  wait 2 -> max(0.0125, 0.02) = 0.02, cooldown 2
    //  e9 0.5  cooldown 2->1
    //  e10 0.5 cooldown 1->0, wait 1
    //  e11 0.5 wait 2, lr 0.02 is not > minLr: no change, no cooldown
    //  e12 0.5 wait 3
    const seq = [1.0, 0.95, 0.95, 0.95, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    const rlr = callbacks.reduceLROnPlateau({ monitor: 'fake', mode: 'min', factor: 0.5, patience: 2, cooldown: 2, minLr: 0.02, minDelta: 0.1 });
    const after: number[] = [];
    const logged: number[] = [];
    const rec: Callback = {
      onEpochEnd: (_e, logs) => {
        after.push(lrOf(model));
        logged.push(logs.learning_rate!);
      },
    };
    await model.fit(x, y, { epochs: seq.length, verbose: 0, callbacks: [fakeMonitor(seq), rlr, rec] });
    assert.deepEqual(after, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02]);
    // learning_rate in the logs is the rate the epoch trained with (read before any reduction)
    assert.deepEqual(logged, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]);
    assert.equal(rlr.wait, 3);
    assert.equal(rlr.cooldownCounter, 0);
    assert.equal(rlr.best, 0.5);
  });

  it('no epoch counts towards patience during cooldown (patience 1, cooldown 2)', async () => {
    const model = tinyModel(optimizers.sgd({ learningRate: 1 }));
    const { x, y } = data(8);
    // e0 improves; e1 wait 1 -> 0.5, cooldown 2; e2 cooldown 2->1 (skipped); e3 cooldown 1->0, wait 1 -> 0.25; e4 skipped; e5 -> 0.125
    const seq = [1, 1, 1, 1, 1, 1];
    const rlr = callbacks.reduceLROnPlateau({ monitor: 'fake', mode: 'min', factor: 0.5, patience: 1, cooldown: 2 });
    const after: number[] = [];
    await model.fit(x, y, { epochs: seq.length, verbose: 0, callbacks: [fakeMonitor(seq), rlr, { onEpochEnd: () => void after.push(lrOf(model)) }] });
    assert.deepEqual(after, [1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  });

  it("mode 'auto' maximises accuracy-like monitors; patience 0 reduces on the first non-improvement", async () => {
    const model = tinyModel(optimizers.sgd({ learningRate: 1 }));
    const { x, y } = data(8);
    const seq = [0.5, 0.6, 0.6, 0.55, 0.7];
    const rlr = new ReduceLROnPlateau({ monitor: 'fake_acc', patience: 0, minDelta: 0 });
    assert.equal(rlr.mode, 'max');
    const after: number[] = [];
    await model.fit(x, y, { epochs: seq.length, verbose: 0, callbacks: [fakeMonitor(seq, 'fake_acc'), rlr, { onEpochEnd: () => void after.push(lrOf(model)) }] });
    // e0 improves, e1 improves, e2 equal: reduce, e3 worse: reduce, e4 improves
    const r = [1, 1, 0.1, 0.1 * 0.1, 0.1 * 0.1];
    assert.deepEqual(after, r);
  });

  it('counters restart at each fit; the best carries over (Keras 3)', async () => {
    const model = tinyModel(optimizers.sgd({ learningRate: 0.1 }));
    const { x, y } = data(8);
    const rlr = callbacks.reduceLROnPlateau({ monitor: 'fake', mode: 'min', patience: 3 });
    await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [fakeMonitor([1, 2, 2]), rlr] });
    assert.equal(rlr.wait, 2);
    assert.equal(lrOf(model), 0.1);
    const after: number[] = [];
    await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [fakeMonitor([2, 2, 2]), rlr, { onEpochEnd: () => void after.push(lrOf(model)) }] });
    // wait restarted at 0, so it takes three more non-improvements (against best 1 from the first fit) to reduce
    assert.equal(rlr.best, 1);
    assert.equal(after.length, 3);
    assert.deepEqual(after.slice(0, 2), [0.1, 0.1]);
    assert.ok(Math.abs(after[2]! - 0.01) < 1e-12, `lr ${after[2]}`);
  });

  it('monitors val_loss by default and reduces a real plateau', async () => {
    // lr 1e-12: val_loss moves far less than minDelta, so every epoch after the first is a plateau
    const { x, y } = data(16);
    const model2lr = [] as number[];
    const m = tinyModel(optimizers.sgd({ learningRate: 1e-12 }));
    const h = await m.fit(x, y, {
      epochs: 4,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [callbacks.reduceLROnPlateau({ patience: 1, factor: 0.5 }), { onEpochEnd: () => void model2lr.push(lrOf(m)) }],
    });
    assert.ok(h.history.val_loss!.length === 4);
    assert.deepEqual(model2lr, [1e-12, 0.5e-12, 0.25e-12, 0.125e-12]);
  });

  it('errors: missing monitor names the available keys; factor >= 1; bad options; no optimizer', async () => {
    const model = tinyModel();
    const { x, y } = data(8);
    await assert.rejects(
      model.fit(x, y, { verbose: 0, callbacks: [callbacks.reduceLROnPlateau()] }),
      /reduceLROnPlateau: monitor 'val_loss' is not in the epoch logs \(available: loss, learning_rate\); pass validationSplit/,
    );
    assert.throws(() => callbacks.reduceLROnPlateau({ factor: 1 }), /does not support a factor >= 1/);
    assert.throws(() => callbacks.reduceLROnPlateau({ factor: 2 }), /factor >= 1/);
    assert.throws(() => callbacks.reduceLROnPlateau({ min_lr: 0.1 } as never), /unknown option 'min_lr'/);
    assert.throws(() => callbacks.reduceLROnPlateau({ patience: 1.5 }), /patience must be a non-negative integer/);
    assert.throws(() => callbacks.reduceLROnPlateau({ monitor: 'fake' }), /cannot tell whether 'fake'/);
    assert.throws(() => callbacks.reduceLROnPlateau({ mode: 'up' as never }), /mode must be/);
    const bare = { stopTraining: false, getWeights: () => [], setWeights: () => undefined };
    assert.throws(() => callbacks.reduceLROnPlateau().setModel(bare), /no optimizer with a numeric learningRate/);
  });
});

describe('learningRateScheduler', () => {
  it('sets lr = schedule(epoch, lr) at each epoch begin and logs it at epoch end', async () => {
    const model = tinyModel(optimizers.sgd({ learningRate: 0.2 }));
    const { x, y } = data(8);
    const calls: Array<[number, number]> = [];
    const schedule = (epoch: number, lr: number): number => {
      calls.push([epoch, lr]);
      return epoch < 2 ? lr : lr * 0.5;
    };
    const during: number[] = [];
    const logged: number[] = [];
    const rec: Callback = {
      onBatchBegin: () => void during.push(lrOf(model)),
      onEpochEnd: (_e, logs) => void logged.push(logs.learning_rate!),
    };
    await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, callbacks: [callbacks.learningRateScheduler(schedule), rec] });
    assert.deepEqual(calls, [
      [0, 0.2],
      [1, 0.2],
      [2, 0.2],
      [3, 0.1],
      [4, 0.05],
    ]);
    assert.deepEqual(during, [0.2, 0.2, 0.1, 0.05, 0.025]);
    assert.deepEqual(logged, during);
    assert.equal(lrOf(model), 0.025);
  });

  it('the scheduled rate is what the optimizer uses (0 freezes the weights); epochs count from initialEpoch', async () => {
    const model = tinyModel(optimizers.sgd({ learningRate: 0.5 }));
    const { x, y } = data(8);
    const before = model.getWeights().map((w) => Array.from(w.data));
    const seen: number[] = [];
    await model.fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0, callbacks: [callbacks.learningRateScheduler((e) => (seen.push(e), 0))] });
    assert.deepEqual(seen, [2, 3]);
    assert.deepEqual(model.getWeights().map((w) => Array.from(w.data)), before);
    await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [callbacks.learningRateScheduler(() => 0.5)] });
    assert.notDeepEqual(model.getWeights().map((w) => Array.from(w.data)), before);
  });

  it('a non-finite, negative or non-number result is an error naming the epoch', async () => {
    const model = tinyModel();
    const { x, y } = data(8);
    for (const bad of [NaN, Infinity, -0.1, '0.1', undefined]) {
      await assert.rejects(
        model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [callbacks.learningRateScheduler((e, lr) => (e === 1 ? (bad as number) : lr))] }),
        /learningRateScheduler: the schedule must return a finite number >= 0; at epoch 1 it returned/,
      );
    }
    assert.throws(() => callbacks.learningRateScheduler(0.1 as never), /schedule must be a function/);
    assert.throws(() => callbacks.learningRateScheduler((_e, lr) => lr, { verbose: 1, foo: 1 } as never), /unknown option 'foo'/);
  });
});

describe('csvLogger', () => {
  async function withTmp(f: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'rnnkit-csv-'));
    try {
      await f(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('writes a header of sorted keys and one row per epoch, as Keras does', async () => {
    await withTmp(async (dir) => {
      const file = join(dir, 'log.csv');
      await writeFile(file, 'stale contents\r\n');
      const model = new Sequential();
      model.add(layers.simpleRNN({ units: 2, inputShape: [3, 1], seed: 1 }));
      model.add(layers.dense({ units: 1, activation: 'sigmoid', seed: 2 }));
      model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      const { x, y } = data(16);
      const h = await model.fit(x, y, { epochs: 3, verbose: 0, validationSplit: 0.25, callbacks: [callbacks.csvLogger({ filename: file })] });
      const text = await readFile(file, 'utf8');
      const lines = text.split('\r\n');
      assert.equal(lines.pop(), '', 'rows end in CRLF (Python csv excel dialect)');
      assert.equal(lines.length, 4);
      assert.equal(lines[0], 'epoch,accuracy,loss,val_accuracy,val_loss');
      for (let e = 0; e < 3; e++) {
        const cells = lines[e + 1]!.split(',');
        assert.equal(cells[0], String(e));
        assert.equal(Number(cells[2]), h.history.loss![e]);
        assert.equal(Number(cells[4]), h.history.val_loss![e]);
        assert.equal(cells[1], pythonFloatRepr(h.history.accuracy![e]!));
      }
    });
  });

  it('append: no second header on a non-empty file; append false truncates; separator', async () => {
    await withTmp(async (dir) => {
      const file = join(dir, 'nested.tsv');
      const model = tinyModel();
      const { x, y } = data(8);
      const logger = callbacks.csvLogger({ filename: file, separator: '\t', append: true });
      await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [logger] }); // file missing: header written
      await model.fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0, callbacks: [logger] }); // appended, no header
      let lines = (await readFile(file, 'utf8')).split('\r\n').slice(0, -1);
      assert.deepEqual(lines.map((l) => l.split('\t')[0]), ['epoch', '0', '1', '2', '3']);
      assert.equal(lines[0], 'epoch\tloss');
      assert.ok(lines.slice(1).every((l) => l.split('\t').length === 2));

      const fresh = callbacks.csvLogger({ filename: file, separator: ';' });
      await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [fresh] });
      lines = (await readFile(file, 'utf8')).split('\r\n').slice(0, -1);
      assert.equal(lines.length, 2);
      assert.equal(lines[0], 'epoch;loss');
      assert.match(lines[1]!, /^0;\d\.\d+$/);

      await writeFile(file, '');
      await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [callbacks.csvLogger({ filename: file, append: true })] });
      assert.equal((await readFile(file, 'utf8')).split('\r\n')[0], 'epoch,loss', 'an empty file gets a header');
    });
  });

  it('keys come from the first epoch (missing later keys are NA), values quoted when needed, Python float format', async () => {
    const out: string[] = [];
    const model = tinyModel();
    const { x, y } = data(8);
    let epoch = 0;
    const inject: Callback = {
      onEpochEnd: (_e, logs) => {
        if (epoch === 0) logs['a,b'] = 1;
        logs.tiny = 1e-5 * (epoch + 1);
        logs.big = epoch === 0 ? 1e16 : -0;
        logs.weird = epoch === 0 ? NaN : -Infinity;
        epoch++;
      },
    };
    const logger = new CSVLogger({ write: (t) => void out.push(t) });
    await model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [inject, logger] });
    assert.equal(out.length, 2, 'one write per epoch (header with the first row)');
    const [header, row0] = out[0]!.split('\r\n');
    assert.equal(header, 'epoch,"a,b",big,loss,tiny,weird');
    const cells0 = row0!.split(',');
    assert.equal(cells0.length, 6);
    assert.deepEqual([cells0[0], cells0[1], cells0[2], cells0[4], cells0[5]], ['0', '1.0', '1e+16', '1e-05', 'nan']);
    assert.match(cells0[3]!, /^0\.\d+$/);
    const row1 = out[1]!.replace(/\r\n$/, '').split(',');
    assert.deepEqual([row1[0], row1[1], row1[2], row1[4], row1[5]], ['1', 'NA', '-0.0', '2e-05', '-inf']);
    // a second fit writes a new header (append false); with append true it would not
    const appended = new CSVLogger({ write: (t) => void out.push(t), append: true });
    await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [appended] });
    await model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [appended] });
    assert.match(out[2]!, /^epoch,loss\r\n0,/);
    assert.match(out[3]!, /^0,[^\r\n]*\r\n$/);
  });

  it('pythonFloatRepr matches Python repr()', () => {
    const cases: Array<[number, string]> = [
      [0.5, '0.5'],
      [1, '1.0'],
      [100, '100.0'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1e-4, '0.0001'],
      [1.5e-5, '1.5e-05'],
      [1234567890123456, '1234567890123456.0'],
      [1e16, '1e+16'],
      [1.25e100, '1.25e+100'],
      [-2.5e-7, '-2.5e-07'],
      [0.6931471824645996, '0.6931471824645996'],
      [0, '0.0'],
      [NaN, 'nan'],
      [-Infinity, '-inf'],
    ];
    for (const [v, s] of cases) assert.equal(pythonFloatRepr(v), s, `repr(${v})`);
  });

  it('options are checked by name', () => {
    assert.throws(() => callbacks.csvLogger({ filename: 'x.csv', sep: ';' } as never), /unknown option 'sep'/);
    assert.throws(() => callbacks.csvLogger({} as never), /needs a filename \(Node\) or a write\(text\) function/);
    assert.throws(() => callbacks.csvLogger({ filename: 'x.csv', write: () => undefined }), /not both/);
    assert.throws(() => callbacks.csvLogger({ filename: 'x.csv', separator: ', ' }), /1-character/);
    assert.throws(() => callbacks.csvLogger({ filename: 'x.csv', append: 'yes' as never }), /append must be true or false/);
  });

  it('in a runtime without Node, a filename is refused at construction', () => {
    const g = globalThis as { process?: unknown };
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'process')!;
    Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
    try {
      assert.throws(() => callbacks.csvLogger({ filename: 'x.csv' }), /needs Node .*pass write/);
      assert.doesNotThrow(() => callbacks.csvLogger({ write: () => undefined }));
    } finally {
      Object.defineProperty(globalThis, 'process', saved);
    }
    assert.ok(g.process !== undefined);
  });
});
