/**
 * Memory that returns and saves that tidy up (issue 17):
 * - model.dispose() (and the task classes') frees WebAssembly blocks at once and makes
 *   every later use an error; the allocator reuses freed blocks first-fit, so a synchronous
 *   create/dispose loop stays in bounded memory; dropped models are reclaimed by the
 *   FinalizationRegistry when the loop yields; a full memory is a clear error; a memory
 *   that cannot be reserved falls back to the TypeScript backend with one warning;
 * - a save sweeps stale temporary and orphan weight files (rnnkit's own names only);
 *   `train` into a directory holding a model is refused without --overwrite.
 */
import { describe, it, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential, Seq2Seq, TextGenerator, Tensor, Vocabulary, getBackend, layers, loadModel } from '../src/index.js';
import { residentAlloc, residentBytesInUse, residentFree, wasmMemoryBytes, wasmSupported } from '../src/backend/wasm/runtime.js';
import { assertUserError, rnnkit } from './helpers/cli.js';

const wasm = getBackend() === 'wasm';
const noWasm = !wasm && 'runs on the wasm backend (this pass uses the TypeScript kernels)';
const noWasmChild = !wasmSupported() && 'WebAssembly SIMD not available';
const MiB = 2 ** 20;
const SRC = new URL('../src/index.ts', import.meta.url).href;
const RT = new URL('../src/backend/wasm/runtime.ts', import.meta.url).href;

const dirs: string[] = [];
async function tempDir(name: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `rnnkit-${name}-`));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** An LSTM model; zero initializers keep the loops fast (the memory is the same). */
function lstmModel(units: number, compile = false): Sequential {
  const m = new Sequential({
    layers: [layers.lstm({ units, inputShape: [5, 4], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }), layers.dense({ units: 2, kernelInitializer: 'zeros' })],
  });
  if (compile) m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return m;
}

const X = new Tensor(new Float32Array(3 * 5 * 4).fill(0.5), [3, 5, 4]);
const Y = new Tensor(new Float32Array(3 * 2).fill(1), [3, 2]);

/** Run `code` (an ES module body) in a child Node; its last stdout line is JSON. */
function child(code: string, opts: { gc?: boolean; env?: Record<string, string | undefined> } = {}): { out: Record<string, unknown>; stderr: string } {
  const env: Record<string, string | undefined> = { ...process.env, RNNKIT_BACKEND: 'wasm', ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [...(opts.gc ? ['--expose-gc'] : []), '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>, stderr: r.stderr };
}

describe('the allocator', { skip: noWasm }, () => {
  it('reuses freed blocks first-fit and merges neighbours (runs first: no holes yet)', () => {
    const a = residentAlloc(1000); // 4000 bytes in a 4032-byte block
    const b = residentAlloc(1000);
    const c = residentAlloc(1000);
    assert.deepEqual([b.byteOffset - a.byteOffset, c.byteOffset - b.byteOffset], [4032, 4032]);
    assert.equal(residentFree(b), 4032);
    assert.equal(residentFree(b), 0, 'freeing twice frees nothing');
    const b2 = residentAlloc(1000);
    assert.equal(b2.byteOffset, b.byteOffset, 'the freed block is reused');
    residentFree(a);
    residentFree(b2);
    const ab = residentAlloc(2000);
    assert.equal(ab.byteOffset, a.byteOffset, 'two freed neighbours make one block');
    assert.equal(residentFree(residentAlloc(10).subarray(0, 5)), 0, 'a view made from a block frees nothing');
    residentFree(ab);
    residentFree(c);
  });

  it('a request of 2 GiB or more (an UpSampling1D of a hostile size) is refused whole, naming the size, with nothing reserved', () => {
    // The block size was rounded with int32 bit operations, which wrap from 2 GiB: 8 GiB became a
    // negative size and the refusal a typed-array offset error.
    const before = residentBytesInUse();
    assert.throws(() => residentAlloc(2 ** 31), /^RangeError: rnnkit: WebAssembly memory is full \(.*\): cannot allocate 8 GiB more/);
    assert.equal(residentBytesInUse(), before);
    const small = residentAlloc(16);
    assert.equal(small.length, 16);
    residentFree(small);
  });

  it('keeps memory bounded over 200 LSTM(256) models created, used and disposed in a synchronous loop', () => {
    const base = residentBytesInUse();
    let memoryAfterFirst = 0;
    let perModel = 0;
    for (let i = 0; i < 200; i++) {
      const m = lstmModel(256);
      m.predict(X);
      if (i === 0) perModel = residentBytesInUse() - base;
      m.dispose();
      if (i === 0) memoryAfterFirst = wasmMemoryBytes();
    }
    assert.ok(perModel > 2 * MiB, `a model holds ${perModel} bytes`); // 200 of them would need 400+ MiB
    assert.ok(residentBytesInUse() <= base + 64 * 1024, `${residentBytesInUse() - base} bytes still in use`);
    assert.ok(wasmMemoryBytes() <= memoryAfterFirst + MiB, `memory grew from ${memoryAfterFirst} to ${wasmMemoryBytes()} bytes`);
  });
});

describe('dispose()', () => {
  it('frees the model’s WebAssembly blocks at once; every later use throws "… was disposed"', async () => {
    const m = lstmModel(32, true);
    await m.fit(X, Y, { epochs: 1, verbose: 0 });
    m.predict(X);
    const layer = m.layers[0]!;
    const stream = m.stream();
    stream.step(new Tensor(new Float32Array(4), [1, 4]));
    const params = m.countParams();
    const before = residentBytesInUse();
    m.dispose();
    const freed = before - residentBytesInUse();
    // weights + gradients + Adam's two slots (4 bytes each), plus every layer's caches
    if (wasm) assert.ok(freed >= 4 * 4 * params, `dispose freed ${freed} bytes for ${params} parameters`);
    const gone = /Sequential '.*' was disposed; build or load the model again/;
    assert.throws(() => m.predict(X), gone);
    assert.throws(() => m.evaluate(X, Y), gone);
    assert.throws(() => m.getWeights(), gone);
    assert.throws(() => m.summary(() => undefined), gone);
    assert.throws(() => m.layers, gone);
    await assert.rejects(m.fit(X, Y, { epochs: 1, verbose: 0 }), gone);
    await assert.rejects(m.save(await tempDir('disposed')), gone);
    // what was taken from the model before: its layer, a stream
    assert.throws(() => layer.apply(X), /LSTM '.*' was disposed/);
    assert.throws(() => stream.step(new Tensor(new Float32Array(4), [1, 4])), /LSTM '.*' was disposed \(its weight \w+ is freed\)/);
    assert.equal(layer.isDisposed, true);
    m.dispose(); // again: nothing
  });

  it('is refused while fit runs', async () => {
    const m = lstmModel(8, true);
    const outcomes: string[] = [];
    const tryDispose = (): void => {
      try {
        m.dispose();
        outcomes.push('disposed');
      } catch (e) {
        outcomes.push((e as Error).message);
      }
    };
    await m.fit(X, Y, { epochs: 1, verbose: 0, callbacks: [{ onBatchEnd: tryDispose }] });
    assert.ok(outcomes.length > 0);
    for (const o of outcomes) {
      assert.match(o, /dispose/);
      assert.match(o, /fit is (already )?running on this model/);
    }
    m.predict(X); // still whole
    m.dispose();
  });

  it('on the task classes frees their models, streams and decoding buffers', { skip: noWasm }, async () => {
    const base = residentBytesInUse();
    const lines = ['hello world', 'hello there', 'world peace'];
    const g = new TextGenerator({ vocab: Vocabulary.fromCorpus(lines.join('\n')), units: 8, seed: 1 });
    await g.fit(lines, { epochs: 1, verbose: 0 });
    g.sample({ maxLength: 4, seed: 1 });
    g.sampleMany(3, { maxLength: 4, seed: 1 });
    const pairs: [string, string][] = [['ab', 'ba'], ['abc', 'cba']];
    const s = Seq2Seq.forPairs(pairs, { units: 8, seed: 1 });
    await s.fit(pairs, { epochs: 1, verbose: 0 });
    s.translate(['ab', 'abc'], { beamWidth: 2 });
    assert.ok(residentBytesInUse() > base);
    g.dispose();
    s.dispose();
    // the GEMM's scratch block (one for the process) may have been made meanwhile
    assert.ok(residentBytesInUse() <= base + 64 * 1024, `${residentBytesInUse() - base} bytes still in use`);
    assert.throws(() => g.sample(), /was disposed/);
    assert.throws(() => s.translate('ab'), /was disposed/);
  });
});

describe('WebAssembly memory in a child process', { skip: noWasmChild }, () => {
  it('dropped models are reclaimed when the loop yields (FinalizationRegistry), without dispose()', () => {
    const { out } = child(
      `const { Sequential, layers, Tensor } = await import(${JSON.stringify(SRC)});
      const { residentBytesInUse, wasmMemoryBytes } = await import(${JSON.stringify(RT)});
      const x = new Tensor(new Float32Array(20), [1, 5, 4]);
      let peak = 0;
      for (let i = 0; i < 150; i++) {
        const m = new Sequential({ layers: [layers.lstm({ units: 256, inputShape: [5, 4], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' })] });
        m.predict(x);
        peak = Math.max(peak, residentBytesInUse());
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 0)); // finalizers run between tasks
      }
      console.log(JSON.stringify({ peak, memory: wasmMemoryBytes() }));`,
      { gc: true },
    );
    // one model holds about 2.2 MiB: 150 would need 330 MiB
    assert.ok((out.peak as number) < 16 * MiB, `peak ${out.peak} bytes in use`);
    assert.ok((out.memory as number) < 32 * MiB, `memory grew to ${out.memory} bytes`);
  });

  it('… and without --expose-gc: the collector sees the WebAssembly memory dropped models hold (100 × LSTM(512) fit in 256 MiB)', () => {
    // Without the hint V8 would not collect for some 150 such models (1.8 GiB); here the engine grants 256 MiB.
    const { out } = child(
      `const M = WebAssembly.Memory;
      WebAssembly.Memory = function (d) { if (d.maximum > 4096) throw new RangeError('could not allocate memory'); return new M(d); };
      const { Sequential, layers, Tensor } = await import(${JSON.stringify(SRC)});
      const { residentBytesInUse, wasmMemoryBytes } = await import(${JSON.stringify(RT)});
      const x = new Tensor(new Float32Array(20), [1, 5, 4]);
      let peak = 0;
      for (let i = 0; i < 100; i++) {
        const m = new Sequential({ layers: [layers.lstm({ units: 512, inputShape: [5, 4], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' })] });
        m.compile({ optimizer: 'adam', loss: 'mse' });
        m.predict(x);
        peak = Math.max(peak, residentBytesInUse());
        await new Promise((r) => setImmediate(r));
      }
      console.log(JSON.stringify({ peak, memory: wasmMemoryBytes() }));`,
    );
    assert.ok((out.memory as number) <= 256 * MiB, `memory ${out.memory}`);
    assert.ok((out.peak as number) < 200 * MiB, `peak ${out.peak} bytes in use`);
  });

  it('… also for small models trained in the loop: blocks under 1 MiB (80 char models, 4.2 MiB each, in a 256 MiB memory)', () => {
    // Embedding → LSTM(64) → Dense softmax trained one batch of [32, 20]: 34 blocks, none of 1 MiB. With the
    // hint only on blocks of 1 MiB or more V8 first collected such models after 130–290 of them (0.6–1.2 GiB).
    const { out } = child(
      `const M = WebAssembly.Memory;
      WebAssembly.Memory = function (d) { if (d.maximum > 4096) throw new RangeError('could not allocate memory'); return new M(d); };
      const { Sequential, layers, Tensor } = await import(${JSON.stringify(SRC)});
      const { residentBytesInUse } = await import(${JSON.stringify(RT)});
      const x = new Tensor(Float32Array.from({ length: 640 }, (_, i) => (i * 7) % 55), [32, 20]);
      let peak = 0, one = 0;
      for (let i = 0; i < 80; i++) {
        const m = new Sequential({ layers: [
          layers.embedding({ inputDim: 55, outputDim: 16, inputShape: [20] }),
          layers.lstm({ units: 64, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
          layers.dense({ units: 55, activation: 'softmax' }),
        ] });
        m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        // workers: 1 — the whole batch on this model's engine (fit's default, 'auto', would cut it into
        // 2 shards and this model would size its buffers for 16 rows, holding less than the case needs).
        await m.fit(x, x, { epochs: 1, batchSize: 32, verbose: 0, workers: 1 });
        if (i === 0) one = residentBytesInUse();
        peak = Math.max(peak, residentBytesInUse());
        await new Promise((r) => setImmediate(r));
      }
      console.log(JSON.stringify({ peak, one }));`,
    );
    assert.ok((out.one as number) > 3.5 * MiB, `one model holds ${out.one} bytes`);
    assert.ok((out.peak as number) < 160 * MiB, `peak ${out.peak} bytes in use`);
  });

  it('a full memory is a clear error naming the cure; the same synchronous loop with dispose() fits', () => {
    // An engine that grants only the smallest reservation tried, 256 MiB (4 GiB take too long to fill).
    const { out } = child(
      `const M = WebAssembly.Memory;
      WebAssembly.Memory = function (d) { if (d.maximum > 4096) throw new RangeError('could not allocate memory'); return new M(d); };
      const { Sequential, layers } = await import(${JSON.stringify(SRC)});
      const make = () => new Sequential({ layers: [layers.lstm({ units: 512, inputShape: [5, 4], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' })] });
      let withDispose = 0;
      for (let i = 0; i < 100; i++) { make().dispose(); withDispose++; }
      let without = 0, error = '';
      try { for (let i = 0; i < 100; i++) { make(); without++; } } catch (e) { error = e.message; }
      console.log(JSON.stringify({ withDispose, without, error }));`,
    );
    assert.equal(out.withDispose, 100);
    assert.ok((out.without as number) < 100, `${out.without} models fit in 256 MiB without dispose`);
    assert.match(out.error as string, /^rnnkit: WebAssembly memory is full \(256\.0 MiB\): cannot allocate .* more \(.* in use by live buffers\); dispose\(\) models you no longer need/);
  });

  it('falls back to the TypeScript backend, warning once, when the memory cannot be reserved', () => {
    const { out, stderr } = child(
      `WebAssembly.Memory = function () { throw new RangeError('WebAssembly.Memory(): could not allocate memory'); };
      const { Sequential, layers, Tensor, getBackend, useBackend, wasmSupported } = await import(${JSON.stringify(SRC)});
      const m = new Sequential({ layers: [layers.lstm({ units: 4, inputShape: [2, 1] })] });
      const y = m.predict(new Tensor(new Float32Array(2), [1, 2, 1]));
      new Sequential({ layers: [layers.dense({ units: 1, inputShape: [1] })] });
      let refusal = '';
      try { useBackend('wasm'); } catch (e) { refusal = e.message; }
      useBackend('auto');
      console.log(JSON.stringify({ backend: getBackend(), size: y.size, refusal, supported: wasmSupported() }));`,
      { env: { RNNKIT_BACKEND: undefined } },
    );
    assert.deepEqual(out, {
      backend: 'ts',
      size: 4,
      refusal: "useBackend('wasm'): WebAssembly memory could not be reserved (WebAssembly.Memory(): could not allocate memory)",
      supported: false,
    });
    const warnings = stderr.split('\n').filter((l) => l.trim() !== '');
    assert.deepEqual(warnings, ['rnnkit: WebAssembly memory could not be reserved (WebAssembly.Memory(): could not allocate memory); using the TypeScript backend']);
  });
});

describe('saves tidy up', () => {
  it('a save sweeps stale temporary and orphan weight files; other files, and a save still running elsewhere, are left alone', async () => {
    const dir = await tempDir('sweep');
    const m = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    await m.save(dir);
    const hourAgo = (Date.now() - 3_600_000).toString(36);
    const justNow = (Date.now() - 5_000).toString(36);
    const stale = [`weights-${hourAgo}k2x.bin`, `weights-${hourAgo}.bin`, `model.json.tmp-${hourAgo}-a1b2c3`, `weights-${hourAgo}q.bin.tmp-${hourAgo}-zz`];
    const running = [`weights-${justNow}ab.bin`, `model.json.tmp-${justNow}-abc`]; // another process's save, mid-way
    const mine = ['notes.txt', 'weights.bin', 'weights-final.bin', 'weights-checkpoint.bin', 'model.json.bak', 'weights-1.bin', `my-weights-${hourAgo}.bin`];
    for (const f of [...stale, ...running, ...mine]) await writeFile(join(dir, f), 'x');
    await m.save(dir);
    const files = await readdir(dir);
    for (const f of stale) assert.ok(!files.includes(f), `${f} was not swept`);
    for (const f of [...running, ...mine]) assert.ok(files.includes(f), `${f} was removed`);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    const own = files.filter((f) => !running.includes(f) && !mine.includes(f)).sort();
    assert.deepEqual(own, ['model.json', json.weightsManifest[0]!.paths[0]!]);
    await loadModel(dir);
  });

  it('train into a directory that holds a model: one line and exit 1 without --overwrite (model untouched); with it the new run replaces it', async () => {
    const dir = await tempDir('cli-out');
    const corpus = join(dir, 'names.txt');
    const out = join(dir, 'model');
    await writeFile(corpus, 'anna\nbob\ncarla\ndora\nemil\nfrida\n');
    const train = (...extra: string[]) => rnnkit('textgen', 'train', corpus, '--out', out, '--epochs', '1', '--units', '4', '--samples', '0', ...extra);
    const first = train('--seed', '1');
    assert.equal(first.code, 0, first.stderr);
    const before = await readFile(join(out, 'model.json'), 'utf8');
    assertUserError(train('--seed', '2'), 1, /^rnnkit: --out .*model already holds an rnnkit model; pass --overwrite to replace it/);
    assertUserError(rnnkit('classify', 'train', corpus, '--out', out), 1, /--out .*model already holds an rnnkit model; pass --overwrite/);
    assert.equal(await readFile(join(out, 'model.json'), 'utf8'), before);
    const leftover = `weights-${(Date.now() - 3_600_000).toString(36)}ab.bin`; // a killed save's
    await writeFile(join(out, leftover), 'x');
    const again = train('--seed', '2', '--overwrite');
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(await readFile(join(out, 'model.json'), 'utf8'), before);
    assert.deepEqual((await readdir(out)).filter((f) => f.endsWith('.bin')).length, 1, 'one weights file: the leftover and the old model’s are gone');
  });
});
