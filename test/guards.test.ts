/**
 * Guards a careless caller meets (issue 17): non-finite values refused where they would
 * spread (setWeights, stream steps, targets, a diverging fit), one fit at a time per model,
 * and the small bugs a new user hit (seeds, monitor names, a lingering worker timer,
 * require() from CommonJS, the LICENSE file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { Model, Seq2Seq, Sequential, TextClassifier, TextGenerator, Vocabulary, callbacks, input, layers, model as graphModel, optimizers, setSeed, tensor, type Tensor } from '../src/index.js';
import { mixSeeds, nextSeed } from '../src/core/rng.js';

function small(): Sequential {
  return new Sequential({ layers: [layers.simpleRNN({ units: 4, inputShape: [3, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
}
const x = tensor(Array.from({ length: 16 }, (_, i) => [[i / 16, 1], [0.5, -i / 16], [1, 0]]));
const y = tensor(Array.from({ length: 16 }, (_, i) => [i % 2]));
const values = (ts: readonly Tensor[]): number[][] => ts.map((t) => Array.from(t.data));

test('setWeights refuses NaN and Infinity naming the weight and the index, and writes nothing', () => {
  const m = small();
  const w = m.getWeights();
  const bad = w.map((t) => tensor(Array.from(t.data), t.shape));
  bad[1]!.data[2] = NaN;
  assert.throws(() => m.setWeights(bad), /SimpleRNN '.*': setWeights: recurrent_kernel holds NaN at index 2; weights must be finite/);
  // The bad value in the last layer: the first layer's weights must not have been written either.
  const late = w.map((t) => tensor(Array.from(t.data, (v) => v + 1), t.shape));
  late[4]!.data[0] = -Infinity;
  assert.throws(() => m.setWeights(late), /Dense '.*': setWeights: bias holds -Infinity at index 0; weights must be finite/);
  assert.deepEqual(values(m.getWeights()), values(w), 'nothing was written');
  // A layer on its own, and a nested model's layers, are checked the same way.
  assert.throws(() => m.layers[0]!.setWeights(bad.slice(0, 3)), /recurrent_kernel holds NaN at index 2/);
  const inp = input({ shape: [3, 2] });
  const outer = graphModel({ inputs: inp, outputs: m.apply(inp) as never });
  assert.throws(() => outer.setWeights(late), /bias holds -Infinity at index 0/);
  assert.deepEqual(values(m.getWeights()), values(w), 'nothing was written through the outer model');
  m.setWeights(w);
});

test('stream steps refuse NaN and Infinity naming the input and the index, and keep working', () => {
  const s = small().stream({ batchSize: 1 });
  assert.throws(() => s.step([[Infinity, 0]]), /holds Infinity at index 0; a stream takes finite values only/);
  assert.throws(() => s.step([[0.5, NaN]]), /holds NaN at index 1; a stream takes finite values only/);
  const out = s.step([[0.1, 0.2]]) as Tensor;
  assert.ok(Number.isFinite(out.data[0]!), 'the stream still works');
});

test('targets: binary and categorical cross-entropy take [0, 1] only, naming the value and where it is', async () => {
  const m = small();
  m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
  const y2 = tensor(Array.from({ length: 16 }, (_, i) => [i === 5 ? 2 : 0]));
  await assert.rejects(m.fit(x, y2, { verbose: 0 }), /fit: y: target 5 is 2; binary cross-entropy takes targets in \[0, 1\]/);
  assert.throws(() => m.evaluate(x, tensor(Array.from({ length: 16 }, (_, i) => [i === 9 ? -0.5 : 1]))), /target 9 is -0.5; binary cross-entropy/);

  const wide = new Sequential({ layers: [layers.dense({ units: 3, activation: 'softmax', inputShape: [2], seed: 1 })] });
  wide.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  const xs = tensor([[0, 1], [1, 0]]);
  await assert.rejects(wide.fit(xs, tensor([[1, 0, 0], [0, 2, 0]]), { verbose: 0 }), /target 4 is 2; categorical cross-entropy takes one-hot or probability targets in \[0, 1\] \(row 1, column 1\); for class indices use loss 'sparseCategoricalCrossentropy'/);
  await wide.fit(xs, tensor([[1, 0, 0], [0.25, 0.75, 0]]), { verbose: 0 });

  const bce = small();
  bce.compile({ optimizer: 'sgd', loss: 'mse' });
  const yn = tensor(Array.from({ length: 16 }, (_, i) => [i === 3 ? NaN : 0]));
  await assert.rejects(bce.fit(x, yn, { verbose: 0 }), /y contains NaN at \[3, 0\]; every value must be a finite number/);
});

test('a diverging fit stops at the first non-finite step, naming it, with the weights from before it', async () => {
  for (const workers of [1, 2] as const) {
    const m = small();
    m.compile({ optimizer: optimizers.sgd({ learningRate: 1e10 }), loss: 'mse' });
    let before: number[][] = [];
    const keep = { onBatchBegin: () => void (before = values(m.getWeights())) };
    await assert.rejects(m.fit(x, tensor(Array.from({ length: 16 }, () => [1e3])), { epochs: 20, batchSize: 4, verbose: 0, callbacks: keep, workers }), (e: Error) => {
      assert.equal(e.name, 'NonFiniteError');
      assert.match(e.message, /fit stopped at epoch \d+, batch \d of 4: (the loss is (NaN|Infinity)|the gradient of '[\w/]+' holds (NaN|-?Infinity) at index \d+|the update made .* hold (NaN|-?Infinity) at index \d+); this batch was not applied, so the weights and the optimizer state are those from before it/);
      return true;
    });
    const after = m.getWeights();
    after.forEach((t, i) => assert.ok(t.data.every(Number.isFinite), `weight ${i} finite (workers ${workers})`));
    assert.deepEqual(values(after), before, `the weights from before the refused batch (workers ${workers})`);
  }
});

test('an update that overflows (finite gradients) is undone: weights, optimizer state and step count as before it', async () => {
  // Dense(1) on x = 1, y = 0, mse, SGD with momentum at lr 5e36: the first step takes the
  // weights to about −1e37 (finite); the second step's loss (4e74, a double) and gradient
  // (about −4e37) are finite too, but its update (about 2e74) overflows float32.
  for (const workers of [1, 2] as const) {
    const m = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
    const opt = optimizers.sgd({ learningRate: 5e36, momentum: 0.5 });
    m.compile({ optimizer: opt, loss: 'mse' });
    let before: number[][] = [];
    let state: { iterations: number; slots: Record<string, number[]> } | null = null;
    const keep = {
      onBatchBegin: () => {
        before = values(m.getWeights());
        const s = opt.getState();
        state = { iterations: s.iterations, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, Array.from(v)])) };
      },
    };
    await assert.rejects(m.fit(tensor([[1], [1]]), tensor([[0], [0]]), { epochs: 5, batchSize: 2, shuffle: false, verbose: 0, callbacks: keep, workers }), (e: Error) => {
      assert.equal(e.name, 'NonFiniteError');
      assert.match(e.message, /fit stopped at epoch 2, batch 1 of 1: the update made '[\w/]+\/kernel' hold -?Infinity at index 0; this batch was not applied/);
      return true;
    });
    assert.deepEqual(values(m.getWeights()), before, `weights as before the batch (workers ${workers})`);
    assert.ok(m.getWeights().every((t) => t.data.every(Number.isFinite)));
    const s = opt.getState();
    assert.equal(s.iterations, 1);
    assert.deepEqual({ iterations: s.iterations, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, Array.from(v)])) }, state, `optimizer state as before the batch (workers ${workers})`);
  }
});

test('one fit at a time: a second fit, an evaluate or an add while one runs is refused; predict is allowed; afterwards all work', async () => {
  for (const workers of [1, 2] as const) {
    const m = small();
    m.compile({ optimizer: 'adam', loss: 'mse' });
    let inside: Error[] = [];
    let predicted = false;
    const probe = {
      onEpochEnd: async (epoch: number) => {
        if (epoch > 0) return;
        for (const f of [() => m.evaluate(x, y, { verbose: 0 }), () => m.add(layers.dense({ units: 1 }))]) {
          try {
            f();
          } catch (e) {
            inside.push(e as Error);
          }
        }
        predicted = Number.isFinite((m.predict(x) as Tensor).data[0]!);
      },
    };
    const first = m.fit(x, y, { epochs: 2, verbose: 0, callbacks: probe, yieldEvery: 'batch', workers });
    await assert.rejects(m.fit(x, y, { verbose: 0, workers }), /fit refused: fit is already running on this model; wait for it \(await the running fit\) before calling fit again \(predict is allowed meanwhile\)/);
    await first;
    assert.equal(inside.length, 2, `evaluate and add were refused (workers ${workers})`);
    assert.match(inside[0]!.message, /evaluate refused: fit is already running on this model/);
    assert.match(inside[1]!.message, /add refused: fit is already running/);
    assert.ok(predicted);
    inside = [];
    await m.fit(x, y, { verbose: 0, workers });
    assert.equal(m.evaluate(x, y, { verbose: 0 }).length, 1);
  }
});

test('compile during fit is checked at once and takes effect when the fit settles (Keras); the running fit keeps its optimizer', async () => {
  const run = async (compileInside: boolean): Promise<{ weights: number[][]; optimizer: string }> => {
    setSeed(3);
    const m = small();
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const errors: string[] = [];
    const cb = {
      onEpochEnd: (epoch: number) => {
        if (!compileInside || epoch > 0) return;
        try {
          m.compile({ optimizer: 'sgd', loss: 'nope' as never });
        } catch (e) {
          errors.push((e as Error).message);
        }
        m.compile({ optimizer: 'sgd', loss: 'mae' });
      },
    };
    await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, callbacks: cb });
    if (compileInside) assert.equal(errors.length, 1, 'a bad compile inside fit throws at once');
    return { weights: values(m.getWeights()), optimizer: m.optimizer!.getConfig().name as string };
  };
  const plain = await run(false);
  const recompiled = await run(true);
  assert.deepEqual(recompiled.weights, plain.weights, 'the running fit kept adam and mse');
  assert.equal(plain.optimizer.toLowerCase(), 'adam');
  assert.equal(recompiled.optimizer.toLowerCase(), 'sgd', 'the new compile took effect after the fit');
});

test('the running flag is cleared however fit ends: after a rejected fit the next one runs', async () => {
  const m = small();
  const initial = m.getWeights();
  m.compile({ optimizer: optimizers.sgd({ learningRate: 1e10 }), loss: 'mse' });
  await assert.rejects(m.fit(x, y, { verbose: 0, batchSize: 0 }), /batchSize must be a positive integer/);
  await assert.rejects(m.fit(x, tensor(Array.from({ length: 16 }, () => [1e3])), { epochs: 20, batchSize: 4, verbose: 0 }), { name: 'NonFiniteError' });
  // (The weights kept are finite but huge: start again from the initial ones.)
  m.setWeights(initial);
  m.compile({ optimizer: 'adam', loss: 'mse' });
  await assert.rejects(m.fit(x, y, { verbose: 0, callbacks: { onEpochEnd: () => Promise.reject(new Error('boom')) } }), /boom/);
  await assert.rejects(m.fit(x, y, { verbose: 0, workers: 2, callbacks: { onBatchEnd: () => Promise.reject(new Error('bang')) } }), /bang/);
  await m.fit(x, y, { verbose: 0, workers: 2 });
  await m.fit(x, y, { verbose: 0 });
});

test('a model built on the same layers during fit (an inference graph, from a callback) does not stop the training', async () => {
  const run = async (buildInside: boolean): Promise<number[][]> => {
    const rnn = layers.lstm({ units: 3, seed: 4 });
    const head = layers.dense({ units: 1, seed: 5 });
    const inp = input({ shape: [3, 2] });
    const m = graphModel({ inputs: inp, outputs: head.apply(rnn.apply(inp) as never) as never });
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const cb = {
      onEpochEnd: () => {
        if (!buildInside) return;
        // A second model over the same layers plans the weights into its own arenas.
        const other = input({ shape: [null, 2] });
        graphModel({ inputs: other, outputs: head.apply(rnn.apply(other) as never) as never }).predict(tensor([[[1, 2]]]));
      },
    };
    await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, callbacks: cb });
    return values(m.getWeights());
  };
  assert.deepEqual(await run(true), await run(false));
});

test('predict during fit, on inputs of another length, does not disturb the training', async () => {
  const run = async (withPredict: boolean): Promise<number[][]> => {
    const m = new Sequential({ layers: [layers.lstm({ units: 3, inputShape: [null, 2], seed: 4 }), layers.dense({ units: 1, seed: 5 })] });
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const cb = { onBatchEnd: () => void (withPredict && m.predict(tensor([[[1, 2], [3, 4], [5, 6], [7, 8], [9, 0]]]))) };
    await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: cb });
    return values(m.getWeights());
  };
  assert.deepEqual(await run(true), await run(false));
});

test('seeds xor-mixed with a constant stay non-negative: every seed, explicit or drawn from setSeed, reaches fit as a valid seed', async () => {
  // Capture the seed the task classes hand to Model.fit without training.
  const seen: unknown[] = [];
  const original = Model.prototype.fit;
  Model.prototype.fit = async function (_x, _y, args = {}) {
    seen.push(args.seed);
    return { epoch: [], history: {} } as never;
  };
  try {
    const seeds = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 12345, 0x5f3759df, 0xa0c8a620, 2 ** 32 - 1];
    for (let i = 0; i < 40; i++) seeds.push(Math.floor(Math.random() * 2 ** 32));
    const g = new TextGenerator({ vocab: Vocabulary.fromCorpus(['abc', 'bca']), units: 2, embeddingDim: 2, seed: 1 });
    const s2s = new Seq2Seq({ source: Vocabulary.fromCorpus(['ab']), target: Vocabulary.fromCorpus(['ba']), units: 2, embeddingDim: 2, seed: 1 });
    const clf = TextClassifier.forData(['a b', 'b a'], ['no', 'yes'], { units: 2, embeddingDim: 2, seed: 1, vectorizer: { maxTokens: 10, outputSequenceLength: 3 } });
    const fits = [
      (seed?: number) => g.fit(['abc', 'bca', 'cab'], { epochs: 1, verbose: 0, seed }),
      (seed?: number) => s2s.fit([['ab', 'ba'], ['ba', 'ab']], { epochs: 1, verbose: 0, seed }),
      (seed?: number) => clf.fit(['a b', 'b a', 'a a'], ['no', 'yes', 'no'], { epochs: 1, verbose: 0, seed }),
    ];
    for (const fit of fits) {
      for (const seed of seeds) await fit(seed);
      for (let k = 0; k < 40; k++) {
        setSeed(k);
        await fit(undefined);
      }
    }
    assert.equal(seen.length, fits.length * (seeds.length + 40));
    for (const s of seen) assert.ok(typeof s === 'number' && Number.isInteger(s) && s >= 0 && s < 2 ** 32, `fit got seed ${s}`);
  } finally {
    Model.prototype.fit = original;
  }
  for (let i = 0; i < 1000; i++) {
    const a = nextSeed();
    const m = mixSeeds(a, i);
    assert.ok(a >= 0 && Number.isInteger(a) && m >= 0 && Number.isInteger(m) && m < 2 ** 32);
  }
  // Every xor with a constant in the sources is made unsigned at once (a signed result is negative half the time).
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.includes(`${join('src', 'wasm')}`) && !p.endsWith('rng.ts')) {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          if (/seed\w*\s*\^\s*0x/i.test(line) && !/\^\s*0x[0-9a-f]+\)\s*>>>\s*0/i.test(line)) offenders.push(`${p}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  walk(join(ROOT, 'src'));
  assert.deepEqual(offenders, []);
});

test('TextGenerator without a seed draws it from setSeed: reproducible', async () => {
  const run = async (): Promise<string> => {
    setSeed(123);
    const g = new TextGenerator({ vocab: Vocabulary.fromCorpus(['abc', 'bca']), units: 4, embeddingDim: 3 });
    await g.fit(['abc', 'bca', 'cab'], { epochs: 1, verbose: 0 });
    return g.sample({ maxLength: 8 });
  };
  for (let i = 0; i < 3; i++) assert.equal(await run(), await run());
});

test('a monitor that is not logged: the message lists the logged keys and says whether the name or the validation is missing', async () => {
  const m = small();
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  const fit = (cb: unknown, validationSplit?: number) => m.fit(x, y, { epochs: 1, verbose: 0, validationSplit, callbacks: [cb as never] });
  await assert.rejects(fit(callbacks.earlyStopping({ monitor: 'val_mean', mode: 'min' }), 0.25), /earlyStopping: monitor 'val_mean' is not in the epoch logs \(available: loss, mae, val_loss, val_mae\)$/);
  await assert.rejects(fit(callbacks.earlyStopping({ monitor: 'val_ma', mode: 'min' }), 0.25), /is not in the epoch logs \(available: loss, mae, val_loss, val_mae\); did you mean 'val_mae'\?$/);
  await assert.rejects(fit(callbacks.earlyStopping({ monitor: 'val_loss' })), /monitor 'val_loss' is not in the epoch logs \(available: loss, mae\); pass validationSplit or validationData to fit \(without validation no val_ key is logged\)$/);
  const acc = small();
  acc.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const fitAcc = (cb: unknown, validationSplit?: number) => acc.fit(x, y, { epochs: 1, verbose: 0, validationSplit, callbacks: [cb as never] });
  // The case: val_acc with validation data is a name problem, not a validation one.
  await assert.rejects(fitAcc(callbacks.earlyStopping({ monitor: 'val_acc' }), 0.25), (e: Error) => {
    assert.match(e.message, /monitor 'val_acc' is not in the epoch logs \(available: loss, accuracy, val_loss, val_accuracy\); did you mean 'val_accuracy'\?$/);
    assert.doesNotMatch(e.message, /validationSplit/);
    return true;
  });
  await assert.rejects(fitAcc(callbacks.earlyStopping({ monitor: 'val_acc' })), /pass validationSplit or validationData to fit \(without validation no val_ key is logged\), and monitor 'val_accuracy': the metric is logged as 'accuracy'$/);
  await assert.rejects(fitAcc(callbacks.reduceLROnPlateau({ monitor: 'val_acc' }), 0.25), /reduceLROnPlateau: monitor 'val_acc' is not in the epoch logs .*did you mean 'val_accuracy'\?/);
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-ckpt-'));
  try {
    await assert.rejects(fitAcc(callbacks.modelCheckpoint({ filepath: dir, monitor: 'Accuracy', saveBestOnly: true })), /modelCheckpoint: monitor 'Accuracy' is not in the epoch logs \(available: loss, accuracy\); did you mean 'accuracy'\?/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a fit with worker threads lets the process exit as soon as it returns', () => {
  const script = `import { Sequential, layers, tensor } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
const m = new Sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(tensor([[1, 2], [3, 4], [5, 6], [7, 8]]), tensor([[1], [0], [1], [0]]), { epochs: 3, verbose: 0, workers: 2, batchSize: 4 });
const t0 = performance.now();
process.on('exit', () => console.log(Math.round(performance.now() - t0)));`;
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-exit-'));
  try {
    writeFileSync(join(dir, 'run.mts'), script);
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'run.mts')], { cwd: ROOT, encoding: 'utf8' });
    assert.ok(Number(out.trim()) < 300, `the process lingered ${out.trim()} ms after fit`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A CommonJS project (what `npm init -y` makes) with rnnkit in node_modules. */
function cjsProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-cjs-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'rnnkit'));
  writeFileSync(join(dir, 'package.json'), '{"name": "app", "version": "1.0.0"}');
  return dir;
}

const built = existsSync(join(ROOT, 'dist', 'index.js'));

test("require('rnnkit') from CommonJS gives the same module as import() where Node can require ES modules", { skip: !built && 'dist/ not built' }, () => {
  const dir = cjsProject();
  try {
    const code = "const r = require('rnnkit'); import('rnnkit').then((m) => console.log(typeof r.Sequential, typeof r.loadModel, m.Sequential === r.Sequential))";
    const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
    // process.features.require_module: true where require(esm) is on (20.19+, 22.12+); absent before it existed.
    if ((process.features as { require_module?: boolean }).require_module === true) {
      assert.equal(r.stdout.trim(), 'function function true', r.stderr);
    } else {
      assert.match(r.stderr, /rnnkit is an ES module: use `const rnnkit = await import\('rnnkit'\)`/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("require('rnnkit') where Node cannot require ES modules: an error that says to use import()", { skip: !built && 'dist/ not built' }, () => {
  const dir = cjsProject();
  try {
    // Node 20.19+/22.12+ turn require(esm) off with this flag; older Node has it off already.
    const flags = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];
    const r = spawnSync(process.execPath, [...flags, '-e', "try { require('rnnkit') } catch (e) { console.log(e.code + ': ' + e.message) }"], { cwd: dir, encoding: 'utf8' });
    assert.match(r.stdout, /^ERR_REQUIRE_ESM: rnnkit is an ES module: use `const rnnkit = await import\('rnnkit'\)` from CommonJS/, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the package ships a LICENSE (MIT) and the CommonJS entry', () => {
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 rnnkit contributors\n/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; exports: Record<string, Record<string, string>> };
  assert.equal(pkg.license, 'MIT');
  assert.equal(pkg.exports['.']!['require'], './cjs/index.cjs');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const f of ['LICENSE', 'cjs/index.cjs', 'package.json']) assert.ok(files.includes(f), `npm pack includes ${f}`);
});

test('messages print NaN and Infinity as themselves, not as null', () => {
  assert.throws(() => layers.dense({ units: NaN }), /units must be a positive integer, got NaN$/);
  assert.throws(() => layers.dropout({ rate: Infinity }), /rate must be a number in \[0, 1\), got Infinity$/);
  assert.throws(() => optimizers.adam({ learningRate: -Infinity }), /got -Infinity/);
  assert.throws(() => small().predict(x, { verbose: NaN as never }), /predict: verbose NaN is not supported/);
  assert.throws(() => callbacks.earlyStopping({ patience: Infinity }), /patience must be a non-negative integer, got Infinity/);
});
