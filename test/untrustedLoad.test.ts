/**
 * Loading model files as untrusted input: paths stay inside the model's directory and name
 * regular files, nothing is read or allocated beyond what the manifest and maxBytes allow,
 * names from the file find only rnnkit's own tables, every malformed field is a
 * ModelFormatError naming it, NaN weights are refused, and http(s) loads keep to their
 * origin, their size and their time.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Forecaster, ModelFormatError, Seq2Seq, Sequential, TextClassifier, TextGenerator, layers, loadModel, optimizers, tensor } from '../src/index.js';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}
interface Json {
  modelTopology: { class_name: string; config: { layers: LayerJson[] } };
  weightsManifest: { paths: unknown[]; weights: { name: string; shape: unknown[]; dtype: string }[] }[];
  trainingConfig?: unknown;
}

let root = '';
let good = ''; // Dense(2) on 3 features, Adam state saved
let emb = ''; // Embedding → LSTM → Dense
let json: Json;
let embJson: Json;
let bin = '';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'rnnkit-untrusted-'));
  good = join(root, 'good');
  const m = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
  m.compile({ optimizer: optimizers.adam(), loss: 'mse' });
  await m.fit(tensor([[1, 2, 3]]), tensor([[1, 0]]), { epochs: 1, verbose: 0 });
  await m.save(good, { includeOptimizer: true });
  json = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
  bin = readdirSync(good).find((f) => f.endsWith('.bin'))!;
  emb = join(root, 'emb');
  const e = new Sequential({ layers: [layers.embedding({ inputDim: 10, outputDim: 3, inputShape: [4] }), layers.lstm({ units: 2 }), layers.dense({ units: 1 })] });
  await e.save(emb);
  embJson = JSON.parse(readFileSync(join(emb, 'model.json'), 'utf8'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let made = 0;
/** A copy of a good model (`from`) with model.json changed by `edit` and extra files made by `files`. */
function variant(edit: (j: Json) => void, files: (dir: string) => void = () => undefined, from = good): string {
  const dir = join(root, `v${made++}`);
  mkdirSync(dir);
  for (const f of readdirSync(from)) if (f.endsWith('.bin')) copyFileSync(join(from, f), join(dir, f));
  const j = structuredClone(from === good ? json : embJson);
  edit(j);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
  files(dir);
  return dir;
}

/** `p`, or a rejection when it has not settled within `ms` (a missing cap or timeout then fails the test instead of hanging it). */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Loads `source`, which must be refused with a ModelFormatError matching `pattern` (within 10 s); gives the milliseconds it took. */
async function refused(source: Parameters<typeof loadModel>[0], pattern: RegExp, options = {}): Promise<number> {
  const t0 = performance.now();
  await assert.rejects(within(10_000, loadModel(source, options)), (e: Error) => {
    assert.ok(e instanceof ModelFormatError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
  return performance.now() - t0;
}

/** Like refused, but fails (instead of hanging the test run) when the load does not settle within `ms`. */
async function refusedWithin(ms: number, source: string, pattern: RegExp, unblock: () => void = () => undefined): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((res) => (timer = setTimeout(() => res('hang'), ms)));
  const t0 = performance.now();
  const outcome = await Promise.race([loadModel(source).then(() => 'loaded', (e: Error) => e), hang]);
  clearTimeout(timer);
  if (outcome === 'hang') unblock();
  assert.notEqual(outcome, 'hang', `loadModel did not settle within ${ms} ms`);
  assert.ok(outcome instanceof ModelFormatError, `expected a ModelFormatError, got ${String(outcome)}`);
  assert.match(outcome.message, pattern);
  return performance.now() - t0;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

test('weights paths: ../ out of the directory, absolute, URL-like, non-strings and empty are refused naming the entry', async () => {
  const secret = join(root, 'secret.bin');
  writeFileSync(secret, Buffer.alloc(32, 7));
  const paths = (p: unknown): string => variant((j) => (j.weightsManifest[0]!.paths = [p]));
  await refused(paths('../secret.bin'), /model\.json: weights path "\.\.\/secret\.bin" \(weightsManifest\[0\]\.paths\[0\]\) leads outside the model's directory$/);
  await refused(paths('sub/../../secret.bin'), /\(weightsManifest\[0\]\.paths\[0\]\) leads outside/);
  await refused(paths('..'), /weights path "\.\." \(weightsManifest\[0\]\.paths\[0\]\) leads outside/);
  await refused(paths(secret), /\(weightsManifest\[0\]\.paths\[0\]\) is absolute/);
  await refused(paths('/etc/passwd'), /weights path "\/etc\/passwd" \(weightsManifest\[0\]\.paths\[0\]\) is absolute/);
  await refused(paths('http://127.0.0.1:1/w.bin'), /weights path "http:\/\/127\.0\.0\.1:1\/w\.bin" \(weightsManifest\[0\]\.paths\[0\]\) is a URL/);
  await refused(paths('file:///etc/passwd'), /\(weightsManifest\[0\]\.paths\[0\]\) is a URL/);
  await refused(paths(42), /weightsManifest\[0\]\.paths\[0\] must be a non-empty file name, got 42/);
  await refused(paths(null), /weightsManifest\[0\]\.paths\[0\] must be a non-empty file name, got null/);
  await refused(paths(''), /weightsManifest\[0\]\.paths\[0\] must be a non-empty file name, got ""/);
  await refused(paths({ path: 'w.bin' }), /weightsManifest\[0\]\.paths\[0\] must be a non-empty file name/);
  await refused(paths('w\u0000.bin'), /weightsManifest\[0\]\.paths\[0\] .* holds a NUL character/);
  await refused(
    variant((j) => ((j.weightsManifest[0] as { paths: unknown }).paths = 'w.bin')),
    /weightsManifest\[0\]\.paths must be a list of file names/,
  );
  await refused(
    variant((j) => (j.weightsManifest[0]!.paths = [bin, 7])),
    /weightsManifest\[0\]\.paths\[1\] must be a non-empty file name, got 7/,
  );
  await refused(variant((j) => (j.weightsManifest[0]!.paths = [])), /weightsManifest\[0\] lists 7 weights \(\d+ bytes\) but no files/);
  await refused(paths('missing.bin'), /weights path "missing\.bin" \(weightsManifest\[0\]\.paths\[0\]\) names a file that does not exist/);
  // Inside the directory, names that merely start with '..' and links that stay inside load.
  await loadModel(variant((j) => (j.weightsManifest[0]!.paths = ['..w.bin']), (d) => copyFileSync(join(d, bin), join(d, '..w.bin'))));
  await loadModel(
    variant(
      (j) => (j.weightsManifest[0]!.paths = ['link.bin']),
      (d) => {
        mkdirSync(join(d, 'data'));
        copyFileSync(join(d, bin), join(d, 'data', 'w.bin'));
        symlinkSync(join('data', 'w.bin'), join(d, 'link.bin'));
      },
    ),
  );
});

test('symbolic links out, /dev/zero, a FIFO, a directory: refused at once, nothing read', async (t) => {
  const secret = join(root, 'secret2.bin');
  writeFileSync(secret, readFileSync(join(good, bin))); // exactly the right size: only containment refuses it
  await refused(
    variant((j) => (j.weightsManifest[0]!.paths = ['w.bin']), (d) => symlinkSync(secret, join(d, 'w.bin'))),
    /weights path "w\.bin" \(weightsManifest\[0\]\.paths\[0\]\) leads outside the model's directory \(through a symbolic link\)/,
  );
  // a directory that is a link out
  await refused(
    variant((j) => (j.weightsManifest[0]!.paths = ['out/secret2.bin']), (d) => symlinkSync(root, join(d, 'out'))),
    /weights path "out\/secret2\.bin" .* \(through a symbolic link\)/,
  );

  const rss0 = process.memoryUsage().rss;
  const zeroLink = await refusedWithin(2000, variant((j) => (j.weightsManifest[0]!.paths = ['z.bin']), (d) => symlinkSync('/dev/zero', join(d, 'z.bin'))), /"z\.bin" .*leads outside the model's directory \(through a symbolic link\)/);
  const zeroDots = await refusedWithin(2000, variant((j) => (j.weightsManifest[0]!.paths = ['../'.repeat(30) + 'dev/zero'])), /leads outside the model's directory/);
  const zeroGrowth = process.memoryUsage().rss - rss0;
  t.diagnostic(`/dev/zero: refused in ${zeroLink.toFixed(1)} ms (link) and ${zeroDots.toFixed(1)} ms (../), RSS +${mb(zeroGrowth)}`);
  assert.ok(zeroLink < 1000 && zeroDots < 1000);
  assert.ok(zeroGrowth < 100 * 2 ** 20, `RSS grew ${mb(zeroGrowth)}`);

  // A FIFO inside the directory: no writer ever comes, so opening or reading it would wait forever.
  let fifoPath = '';
  const fifo = await refusedWithin(
    2000,
    variant(
      (j) => (j.weightsManifest[0]!.paths = ['f.bin']),
      (d) => {
        fifoPath = join(d, 'f.bin');
        execFileSync('mkfifo', [fifoPath]);
      },
    ),
    /weights path "f\.bin" \(weightsManifest\[0\]\.paths\[0\]\) is a FIFO \(named pipe\), not a regular file/,
    () => closeSync(openSync(fifoPath, 'w')), // let a hung reader go, so that the run can end
  );
  t.diagnostic(`FIFO: refused in ${fifo.toFixed(1)} ms`);
  assert.ok(fifo < 1000, `${fifo} ms`);
  // model.json itself a FIFO
  const d = join(root, 'jsonfifo');
  mkdirSync(d);
  execFileSync('mkfifo', [join(d, 'model.json')]);
  const t0 = performance.now();
  await assert.rejects(loadModel(d), /cannot read .*model\.json: is a FIFO \(named pipe\), not a regular file/);
  assert.ok(performance.now() - t0 < 1000);

  await refused(
    variant((j) => (j.weightsManifest[0]!.paths = ['sub']), (dir) => mkdirSync(join(dir, 'sub'))),
    /weights path "sub" \(weightsManifest\[0\]\.paths\[0\]\) is a directory, not a regular file/,
  );
  // A character device inside the directory (a copy of /dev/zero: needs mknod, i.e. root).
  let dev = '';
  try {
    dev = variant((j) => (j.weightsManifest[0]!.paths = ['zero.bin']), (dir) => execFileSync('mknod', [join(dir, 'zero.bin'), 'c', '1', '5'], { stdio: 'ignore' }));
  } catch {
    t.diagnostic('mknod not permitted here: the device-inside-the-directory case is skipped');
  }
  if (dev !== '') {
    const ms = await refusedWithin(2000, dev, /weights path "zero\.bin" \(weightsManifest\[0\]\.paths\[0\]\) is a character device, not a regular file/);
    t.diagnostic(`a /dev/zero device node inside the directory: refused in ${ms.toFixed(1)} ms`);
  }
});

test('file sizes are compared with the manifest before reading: larger, smaller, several shards', async (t) => {
  const size = readFileSync(join(good, bin)).byteLength;
  await refused(
    variant(() => undefined, (d) => writeFileSync(join(d, bin), Buffer.alloc(size + 10))),
    new RegExp(`weights file "${bin}" \\(weightsManifest\\[0\\]\\.paths\\[0\\]\\) holds ${size + 10} bytes but the manifest needs only ${size} for it`),
  );
  await refused(
    variant(() => undefined, (d) => truncateSync(join(d, bin), size - 6)),
    new RegExp(`weights file "${bin}" \\(weightsManifest\\[0\\]\\.paths\\[0\\]\\) holds ${size - 6} bytes but the manifest needs ${size} for it; weight data has ${size - 6} bytes .*the data ends inside 'optimizer/`),
  );
  // A sparse 8 GiB file: refused from its size alone (reading it would take seconds and gigabytes).
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await refused(variant(() => undefined, (d) => truncateSync(join(d, bin), 8 * 2 ** 30)), /holds 8589934592 bytes but the manifest needs only/);
  const ms = performance.now() - t0;
  t.diagnostic(`an 8 GiB weights file: refused in ${ms.toFixed(1)} ms, RSS +${mb(process.memoryUsage().rss - rss0)}`);
  assert.ok(ms < 1000 && process.memoryUsage().rss - rss0 < 100 * 2 ** 20);
  // The group's bytes split over two files load; with a byte missing both files are named.
  const whole = readFileSync(join(good, bin));
  const split = (cut: number, drop = 0): string =>
    variant(
      (j) => (j.weightsManifest[0]!.paths = ['a.bin', 'b.bin']),
      (d) => {
        writeFileSync(join(d, 'a.bin'), whole.subarray(0, cut));
        writeFileSync(join(d, 'b.bin'), whole.subarray(cut, whole.byteLength - drop));
      },
    );
  const m = await loadModel(split(7));
  assert.deepEqual(Array.from(m.getWeights()[0]!.data), Array.from((await loadModel(good)).getWeights()[0]!.data));
  await refused(split(7, 1), new RegExp(`the weight files of weightsManifest\\[0\\] \\("a\\.bin" 7 bytes, "b\\.bin" ${size - 8} bytes\\) hold ${size - 1} bytes together but the manifest needs ${size}`));
});

test('sizes are checked before allocating: units 1e9, inputDim 1e12, shapes, maxBytes', async (t) => {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await refused(variant((j) => (j.modelTopology.config.layers[0]!.config.units = 1e9)), /Dense 'dense[^']*': weight kernel \[3, 1000000000\]: 3000000000 values is more than rnnkit can allocate for one weight/);
  const ms = performance.now() - t0;
  const growth = process.memoryUsage().rss - rss0;
  t.diagnostic(`units: 1e9 refused in ${ms.toFixed(1)} ms, RSS +${mb(growth)}`);
  assert.ok(ms < 1000, `${ms} ms`);
  assert.ok(growth < 100 * 2 ** 20, `RSS grew ${mb(growth)}`);
  // Under the one-weight limit but past what the manifest provides: refused before allocating.
  await refused(variant((j) => (j.modelTopology.config.layers[0]!.config.units = 1e8)), /weight kernel \[3, 100000000\] would take the model's weights past the \d+ bytes its weights manifest/);
  await refused(variant((j) => (j.modelTopology.config.layers[0]!.config.input_dim = 1e12), undefined, emb), /Embedding 'embedding[^']*': weight embeddings \[1000000000000, 3\]/);
  await refused(variant((j) => (j.modelTopology.config.layers[1]!.config.units = 1e9), undefined, emb), /LSTM 'lstm[^']*': weight kernel \[3, 4000000000\]/);
  await refused(variant((j) => (j.modelTopology.config.layers[0]!.config.batch_input_shape = [null, 1e9])), /weight kernel \[1000000000, 2\] would take the model's weights past the \d+ bytes/);
  assert.ok(process.memoryUsage().rss - rss0 < 100 * 2 ** 20);
  // Weight shapes in the manifest: non-negative safe integers.
  const shape = (s: unknown[]): string => variant((j) => (j.weightsManifest[0]!.weights[0]!.shape = s));
  for (const bad of [[1.5, 2], [-1, 6], ['3', 2], [null, 2], [2 ** 53, 1], [1e300]]) {
    await refused(shape(bad), /weightsManifest\[0\]: weight '[^']*dense[^']*\/kernel' has an invalid shape .*expected a list of non-negative integers/);
  }
  await refused(shape([1e6, 1e6]), /the weights need more than 2147483648 bytes \(up to '[^']*kernel' \[1000000, 1000000\]\); loadModel's maxBytes option sets the limit/);
  await refused(good, /the weights need more than 8 bytes/, { maxBytes: 8 });
  await loadModel(good, { maxBytes: 10_000 });
  // In memory too: the manifest is checked, and weightData must be bytes (a number would allocate).
  const art = { modelJson: JSON.parse(readFileSync(join(good, 'model.json'), 'utf8')), weightData: readFileSync(join(good, bin)) };
  await loadModel(art);
  await refused({ ...art, modelJson: { ...art.modelJson, weightsManifest: [{ paths: [], weights: [{ name: 'x', shape: [1e6, 1e6], dtype: 'float32' }] }] } }, /the weights need more than/);
  await assert.rejects(loadModel({ ...art, weightData: 1e9 as never }), /weightData must be an ArrayBuffer, a typed array, or a list of them, got 1000000000/);
});

test('options: unknown keys and wrong types are refused; the task classes take and pass them', async () => {
  await assert.rejects(loadModel(good, { maxbytes: 1 } as never), /unknown option 'maxbytes'/);
  await assert.rejects(loadModel(good, { maxBytes: -1 }), /maxBytes must be a non-negative integer, got -1/);
  await assert.rejects(loadModel(good, { maxBytes: 1.5 }), /maxBytes must be a non-negative integer/);
  await assert.rejects(loadModel(good, { timeout: 0 }), /timeout must be a number of milliseconds > 0/);
  await assert.rejects(loadModel(good, { checkFinite: 'yes' as never }), /checkFinite/);
  await assert.rejects(loadModel(good, { signal: 'stop' as never }), /signal must be an AbortSignal, got "stop"/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(loadModel(good, { signal: ac.signal }), (e: Error) => e.name === 'AbortError' && /loadModel: aborted/.test(e.message));
  for (const cls of [TextGenerator, Forecaster, Seq2Seq, TextClassifier] as { load(s: string, o?: object): Promise<unknown>; name: string }[]) {
    await assert.rejects(cls.load(good, { maxBytes: 8 }), /the weights need more than 8 bytes/, cls.name);
    await assert.rejects(cls.load(good, { bogus: true }), /unknown option 'bogus'/, cls.name);
  }
});

test("deep nesting, names like 'constructor', wrong types: ModelFormatErrors naming the place", async () => {
  const deep = join(root, 'deep');
  mkdirSync(deep);
  copyFileSync(join(good, bin), join(deep, bin));
  const text = JSON.stringify(json);
  writeFileSync(join(deep, 'model.json'), `${text.slice(0, -1)},"extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
  await refused(deep, /nested more than 100 levels deep/);
  let nested: unknown = {};
  for (let i = 0; i < 20_000; i++) nested = { a: nested };
  await refused({ modelJson: { ...json, userDefinedMetadata: nested } as never, weightData: readFileSync(join(good, bin)) }, /nested more than 100 levels deep/);

  const layer0 = (f: (c: Record<string, unknown>, l: LayerJson) => void): string => variant((v) => f(v.modelTopology.config.layers[0]!.config, v.modelTopology.config.layers[0]!));
  const lstm = (f: (c: Record<string, unknown>) => void): string => variant((v) => f(v.modelTopology.config.layers[1]!.config), undefined, emb);
  const training = (tc: unknown): string => variant((v) => (v.trainingConfig = tc));
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const q = name.replace(/_/g, '_');
    await refused(layer0((_c, l) => (l.class_name = name)), new RegExp(`layer 0: unknown layer class '${q}'`));
    await refused(variant((v) => (v.modelTopology.class_name = name)), new RegExp(`unknown model class '${q}'`));
    await refused(layer0((c) => (c.kernel_initializer = { class_name: name, config: {} })), new RegExp(`Dense '[^']+'.*kernelInitializer: unknown initializer class "${q}"`));
    await refused(layer0((c) => (c.kernel_initializer = name)), new RegExp(`kernelInitializer: unknown initializer "${q}"`));
    await refused(layer0((c) => (c.activation = name)), new RegExp(`Dense '[^']+'.*unknown activation "${q}"`));
    await refused(lstm((c) => (c.recurrent_activation = name)), new RegExp(`LSTM '[^']+'.*unknown activation "${q}"`));
    await refused(layer0((c) => (c.kernel_regularizer = { class_name: name, config: {} })), new RegExp(`kernelRegularizer: unknown regularizer class "${q}"`));
    await refused(layer0((c) => (c.bias_constraint = { class_name: name, config: {} })), new RegExp(`biasConstraint: unknown constraint class "${q}"`));
    await refused(training({ loss: name, optimizer_config: { class_name: 'Adam', config: {} } }), new RegExp(`trainingConfig: unknown loss "${q}"`));
    await refused(training({ loss: { class_name: name, config: {} }, optimizer_config: { class_name: 'Adam', config: {} } }), new RegExp(`trainingConfig: unknown loss class "${q}"`));
    await refused(training({ loss: 'mse', optimizer_config: { class_name: name, config: {} } }), new RegExp(`trainingConfig: unknown optimizer class "${q}"`));
    await refused(training({ loss: 'mse', metrics: [name], optimizer_config: { class_name: 'Adam', config: {} } }), new RegExp(`trainingConfig: unknown metric "${q}"`));
  }
  // '__proto__' as a key of a layer's config (JSON.parse makes it an own key) is not an option.
  const proto = join(root, 'proto');
  mkdirSync(proto);
  copyFileSync(join(good, bin), join(proto, bin));
  writeFileSync(join(proto, 'model.json'), JSON.stringify(json).replace('"units":2', '"__proto__":{"units":2},"units":2'));
  await refused(proto, /layer 0 \(Dense '[^']+'\): option '__proto__' is not a layer option/);
  // Wrong types: the field is named.
  await refused(variant((v) => ((v as unknown as { modelTopology: null }).modelTopology = null)), /modelTopology must be an object, got null/);
  await refused(variant((v) => ((v as unknown as { modelTopology: unknown }).modelTopology = [])), /modelTopology must be an object/);
  await refused(variant((v) => ((v as unknown as { weightsManifest: unknown }).weightsManifest = {})), /weightsManifest is missing or not a list/);
  await refused(variant((v) => ((v.weightsManifest as unknown[])[0] = 'w.bin')), /weightsManifest\[0\] must be an object with paths and weights/);
  await refused(variant((v) => ((v.weightsManifest[0]!.weights as unknown[])[0] = 5)), /weightsManifest\[0\]: weightsManifest entry 0 is not an object/);
  await refused(variant((v) => (v.weightsManifest[0]!.weights[0]!.dtype = 'float64')), /weight '[^']*kernel' has dtype 'float64', which rnnkit cannot load/);
  await refused(variant((v) => ((v.modelTopology.config as { layers: unknown }).layers = 'dense')), /modelTopology\.config\.layers is missing or not a list/);
  await refused(layer0((c) => (c.units = '2')), /Dense '[^']+'.*units/);
  await refused(layer0((c) => (c.kernel_initializer = { class_name: 'GlorotUniform', config: 5 })), /Dense '[^']+'.*kernel_initializer: config must be an object, got 5/);
  await refused(training(5), /trainingConfig must be an object, got 5/);
  await refused(training({ loss: 'mse', optimizer_config: null }), /trainingConfig\.optimizer_config must be \{class_name, config\}, got null/);
});

test('NaN or Infinity in weights or optimizer state is refused with the weight and index (checkFinite: false loads it)', async () => {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const poisoned = (name: string, index: number, value: number): string =>
    variant(
      () => undefined,
      (d) => {
        const buf = readFileSync(join(d, bin));
        let offset = 0;
        for (const w of specs) {
          if (w.name === name) break;
          offset += 4 * (w.shape as number[]).reduce((a, b) => a * b, 1);
        }
        buf.writeFloatLE(value, offset + 4 * index);
        writeFileSync(join(d, bin), buf);
      },
    );
  const kernel = specs[0]!.name;
  await refused(poisoned(kernel, 4, NaN), new RegExp(`weight '${kernel}' holds NaN at index 4; loadModel refuses non-finite weights`));
  await refused(poisoned(kernel, 0, -Infinity), new RegExp(`weight '${kernel}' holds -Infinity at index 0`));
  const slot = specs.find((w) => w.name.startsWith('optimizer/') && w.name !== 'optimizer/iterations')!;
  assert.ok(slot !== undefined, 'the optimizer state is saved');
  await refused(poisoned(slot.name, 1, NaN), new RegExp(`weight '${slot.name}' holds NaN at index 1`));
  await refused(poisoned('optimizer/iterations', 0, Infinity), /weight 'optimizer\/iterations' holds Infinity at index 0/);
  const m = await loadModel(poisoned(specs[1]!.name, 1, NaN), { checkFinite: false });
  assert.ok(Number.isNaN(m.getWeights()[1]!.data[1]));
});

test('http(s): same-origin weights and redirects, size caps, a timeout, an AbortSignal', async (t) => {
  const weights = readFileSync(join(good, bin));
  const modelWith = (paths: unknown[]): string => JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] });
  const requests: string[] = [];
  let other: Server;
  const otherPort = await new Promise<number>((res) => {
    other = createServer((q, r) => {
      requests.push(`other ${q.url}`);
      r.end(q.url === '/model.json' ? modelWith(['w.bin']) : weights);
    }).listen(0, '127.0.0.1', () => res((other.address() as { port: number }).port));
  });
  /** An endless body, 1 MiB at a time, until the client goes away. */
  const endless = (r: ServerResponse): void => {
    const chunk = Buffer.alloc(2 ** 20, 32);
    const send = (): void => {
      while (!r.destroyed && r.write(chunk));
      if (!r.destroyed) r.once('drain', send);
    };
    r.on('close', () => r.removeAllListeners('drain'));
    send();
  };
  const routes: Record<string, (q: IncomingMessage, r: ServerResponse) => void> = {
    '/ok/model.json': (_q, r) => r.end(modelWith([bin])),
    [`/ok/${bin}`]: (_q, r) => r.end(weights),
    '/xorigin/model.json': (_q, r) => r.end(modelWith([`http://127.0.0.1:${otherPort}/w.bin`])),
    '/protocol/model.json': (_q, r) => r.end(modelWith(['file:///etc/passwd'])),
    '/redirect/model.json': (_q, r) => r.writeHead(302, { location: `http://127.0.0.1:${otherPort}/model.json` }).end(),
    '/redirect/w.bin': (_q, r) => r.writeHead(302, { location: `http://127.0.0.1:${otherPort}/w.bin` }).end(),
    '/moved/model.json': (_q, r) => r.writeHead(301, { location: '/ok/model.json' }).end(),
    [`/moved/${bin}`]: (_q, r) => r.writeHead(307, { location: `/ok/${bin}` }).end(),
    '/loop/model.json': (_q, r) => r.writeHead(302, { location: '/loop/model.json' }).end(),
    '/bigjson/model.json': (_q, r) => endless(r),
    '/bigbin/model.json': (_q, r) => r.end(modelWith(['w.bin'])),
    '/bigbin/w.bin': (_q, r) => endless(r),
    '/liar/model.json': (_q, r) => r.end(modelWith(['w.bin'])),
    '/liar/w.bin': (_q, r) => r.writeHead(200, { 'content-length': String(10 * 2 ** 30) }).end(weights),
    '/short/model.json': (_q, r) => r.end(modelWith(['w.bin'])),
    '/short/w.bin': (_q, r) => r.end(weights.subarray(0, 10)),
    '/slow/model.json': () => undefined, // never answers
  };
  const server = createServer((q, r) => {
    requests.push(q.url!);
    const route = routes[q.url!];
    if (route !== undefined) return route(q, r);
    r.statusCode = 404;
    r.end();
  });
  const port = await new Promise<number>((res) => server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port)));
  const base = `http://127.0.0.1:${port}`;
  try {
    const m = await loadModel(`${base}/ok/model.json`);
    assert.deepEqual(Array.from(m.getWeights()[0]!.data), Array.from((await loadModel(good)).getWeights()[0]!.data));
    // Weights on another origin: refused before any request goes there, unless allowed.
    requests.length = 0;
    await refused(`${base}/xorigin/model.json`, /weights path "http:\/\/127\.0\.0\.1:\d+\/w\.bin" \(weightsManifest\[0\]\.paths\[0\]\) is on another origin .*allowCrossOrigin/);
    assert.deepEqual(requests, ['/xorigin/model.json']);
    await loadModel(`${base}/xorigin/model.json`, { allowCrossOrigin: true });
    assert.ok(requests.includes('other /w.bin'));
    await refused(`${base}/protocol/model.json`, /"file:\/\/\/etc\/passwd" \(weightsManifest\[0\]\.paths\[0\]\) is a file: URL; only http\(s\) weights are fetched/, { allowCrossOrigin: true });
    // Redirects: same origin followed (at most 5), another origin refused before it is asked.
    requests.length = 0;
    await refused(`${base}/redirect/model.json`, /redirects to another origin \(http:\/\/127\.0\.0\.1:\d+\); pass allowCrossOrigin: true/);
    assert.deepEqual(requests, ['/redirect/model.json']);
    await loadModel(`${base}/redirect/model.json`, { allowCrossOrigin: true });
    await loadModel(`${base}/moved/model.json`);
    requests.length = 0;
    await refused(`${base}/loop/model.json`, /\/loop\/model\.json redirects more than 5 times/);
    assert.equal(requests.length, 6);
    // Size caps: model.json at most maxBytes; a weights file at most what the manifest needs.
    let rss0 = process.memoryUsage().rss;
    let t0 = performance.now();
    await refused(`${base}/bigjson/model.json`, /bigjson\/model\.json: model\.json is more than 100000 bytes, more than the 100000 bytes accepted \(loadModel's maxBytes option\)/, { maxBytes: 100_000 });
    t.diagnostic(`an endless model.json (maxBytes 100 kB): refused in ${(performance.now() - t0).toFixed(1)} ms, RSS +${mb(process.memoryUsage().rss - rss0)}`);
    rss0 = process.memoryUsage().rss;
    t0 = performance.now();
    await refused(`${base}/bigbin/model.json`, new RegExp(`weights file "w\\.bin" \\(weightsManifest\\[0\\]\\.paths\\[0\\]\\) is more than ${weights.byteLength} bytes, but the manifest needs only ${weights.byteLength}`));
    const endlessMs = performance.now() - t0;
    const endlessGrowth = process.memoryUsage().rss - rss0;
    t.diagnostic(`an endless weights file: refused in ${endlessMs.toFixed(1)} ms, RSS +${mb(endlessGrowth)}`);
    assert.ok(endlessMs < 1000 && endlessGrowth < 100 * 2 ** 20);
    await refused(`${base}/liar/model.json`, /weights file "w\.bin" .* is 10737418240 bytes \(its content-length\), but the manifest needs only/);
    await refused(`${base}/short/model.json`, new RegExp(`weights file "w\\.bin" \\(weightsManifest\\[0\\]\\.paths\\[0\\]\\) holds 10 bytes but the manifest needs ${weights.byteLength}`));
    // Time: the timeout option, and an AbortSignal.
    t0 = performance.now();
    await assert.rejects(within(3000, loadModel(`${base}/slow/model.json`, { timeout: 300 })), (e: Error) => e.name === 'TimeoutError' && /no answer within 300 ms \(the timeout option\)/.test(e.message));
    const slow = performance.now() - t0;
    assert.ok(slow >= 250 && slow < 2000, `${slow} ms`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    t0 = performance.now();
    await assert.rejects(within(3000, loadModel(`${base}/slow/model.json`, { signal: ac.signal })), (e: Error) => e.name === 'AbortError' && /loadModel: aborted/.test(e.message));
    assert.ok(performance.now() - t0 < 2000);
  } finally {
    server.closeAllConnections();
    server.close();
    other!.closeAllConnections();
    other!.close();
  }
});
