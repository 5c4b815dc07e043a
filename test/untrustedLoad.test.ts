/**
 * Loading model files as untrusted input: paths stay inside the model's directory, nothing
 * is read or allocated beyond what the manifest and maxBytes allow, names from the file find
 * only rnnkit's own tables, NaN weights are refused, and http(s) loads keep to their origin,
 * their size and their time.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, symlinkSync, mkdirSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError, Sequential, layers, loadModel, optimizers, tensor } from '../src/index.js';

let root = '';
let good = '';
let json: { modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; weightsManifest: { paths: unknown[]; weights: { name: string; shape: number[] }[] }[] };
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
});
after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the good model with model.json changed by `edit` (and extra files made by `files`). */
function variant(name: string, edit: (j: typeof json) => void, files: (dir: string) => void = () => undefined): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const f of readdirSync(good)) if (f.endsWith('.bin')) copyFileSync(join(good, f), join(dir, f));
  const j = structuredClone(json);
  edit(j);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
  files(dir);
  return dir;
}

async function refused(dir: string, pattern: RegExp, options = {}): Promise<number> {
  const t0 = performance.now();
  await assert.rejects(loadModel(dir, options), (e: Error) => {
    assert.ok(e instanceof ModelFormatError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
  return performance.now() - t0;
}

test('weight paths cannot leave the model directory: ../, a symbolic link out, /dev/zero, a FIFO', async () => {
  const secret = join(root, 'secret.bin');
  writeFileSync(secret, Buffer.alloc(32, 7));
  await refused(variant('dotdot', (j) => (j.weightsManifest[0]!.paths = ['../secret.bin'])), /weights path "\.\.\/secret\.bin" leads outside the model's directory/);
  await refused(
    variant('link', (j) => (j.weightsManifest[0]!.paths = ['w.bin']), (d) => symlinkSync(secret, join(d, 'w.bin'))),
    /weights path "w\.bin" leads outside the model's directory \(through a symbolic link\)/,
  );
  const zero = await refused(variant('zero', (j) => (j.weightsManifest[0]!.paths = ['z.bin']), (d) => symlinkSync('/dev/zero', join(d, 'z.bin'))), /leads outside/);
  assert.ok(zero < 1000, `${zero} ms`);
  const fifo = await refused(
    variant('fifo', (j) => (j.weightsManifest[0]!.paths = ['f.bin']), (d) => execFileSync('mkfifo', [join(d, 'f.bin')])),
    /weights path "f\.bin" is not a regular file/,
  );
  assert.ok(fifo < 1000, `${fifo} ms`);
  await refused(variant('abs', (j) => (j.weightsManifest[0]!.paths = [secret])), /leads outside/);
  await refused(variant('nonstring', (j) => (j.weightsManifest[0]!.paths = [42])), /weightsManifest\[0\]\.paths\[0\] must be a non-empty file name, got 42/);
  await refused(variant('bigger', () => undefined, (d) => writeFileSync(join(d, bin), Buffer.alloc(10_000))), /the weight files hold 10000 bytes .* but the manifest needs only \d+/);
  // a model.json that is a FIFO is not waited on either
  const d = join(root, 'jsonfifo');
  mkdirSync(d);
  execFileSync('mkfifo', [join(d, 'model.json')]);
  await assert.rejects(loadModel(d), /not a regular file/);
});

test('sizes are checked before allocating: units 1e9, a huge manifest, maxBytes', async () => {
  const before = process.memoryUsage().rss;
  const ms = await refused(
    variant('huge-units', (j) => (j.modelTopology.config.layers[0]!.config.units = 1e8)),
    /weight kernel \[3, 100000000\] would take the model's weights past the \d+ bytes its weights manifest/,
  );
  await refused(variant('huger-units', (j) => (j.modelTopology.config.layers[0]!.config.units = 1e9)), /3000000000 values is more than rnnkit can allocate for one weight/);
  assert.ok(ms < 1000, `${ms} ms`);
  assert.ok(process.memoryUsage().rss - before < 100 * 2 ** 20, 'no large allocation');
  await refused(variant('huge-manifest', (j) => (j.weightsManifest[0]!.weights[0]!.shape = [1e6, 1e6])), /the weights need more than 2147483648 bytes/);
  await refused(good, /the weights need more than 8 bytes/, { maxBytes: 8 });
  await assert.rejects(loadModel(good, { maxbytes: 1 } as never), /unknown option 'maxbytes'/);
});

test("deep nesting and names like 'constructor' are ModelFormatErrors naming the place", async () => {
  const deep = join(root, 'deep');
  mkdirSync(deep);
  copyFileSync(join(good, bin), join(deep, bin));
  const text = JSON.stringify(json);
  writeFileSync(join(deep, 'model.json'), `${text.slice(0, -1)},"extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
  await refused(deep, /nested more than 100 levels deep/);
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    await refused(variant(`init-${name}`, (v) => (v.modelTopology.config.layers[0]!.config.kernel_initializer = { class_name: name, config: {} })), new RegExp(`unknown initializer class "${name}"`));
    await refused(variant(`class-${name}`, (v) => (v.modelTopology.config.layers[0]!.class_name = name)), new RegExp(`unknown layer class '${name}'`));
  }
  await refused(variant('null-topology', (v) => ((v as unknown as { modelTopology: null }).modelTopology = null)), /modelTopology must be an object, got null|no modelTopology/);
});

test('NaN or Infinity in weights or optimizer state is refused with the weight and index (checkFinite: false loads it)', async () => {
  const nanAt = (name: string, index: number, value: number): string =>
    variant(`nan-${name.replace(/\W/g, '_')}-${value}`, () => undefined, (d) => {
      const buf = readFileSync(join(d, bin));
      let offset = 0;
      for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
        if (w.name === name) break;
        offset += 4 * w.shape.reduce((a, b) => a * b, 1);
      }
      buf.writeFloatLE(value, offset + 4 * index);
      writeFileSync(join(d, bin), buf);
    });
  await refused(nanAt('dense/kernel', 4, NaN), /weight 'dense\/kernel' holds NaN at index 4/);
  const opt = json.weightsManifest.flatMap((g) => g.weights).find((w) => w.name.startsWith('optimizer/') && w.name !== 'optimizer/iterations')!;
  assert.ok(opt !== undefined, 'the optimizer state is saved');
  await refused(nanAt(opt.name, 0, Infinity), new RegExp(`weight '${opt.name}' holds Infinity at index 0`));
  const m = await loadModel(nanAt('dense/bias', 1, NaN), { checkFinite: false });
  assert.ok(Number.isNaN(m.getWeights()[1]!.data[1]));
});

test('http(s): same-origin weights and redirects, a size cap, a timeout, an AbortSignal', async () => {
  const weights = readFileSync(join(good, bin));
  const model = (paths: string[]): string => JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] });
  let other: Server;
  const otherPort = await new Promise<number>((res) => {
    other = createServer((_q, r) => r.end(weights)).listen(0, '127.0.0.1', () => res((other.address() as { port: number }).port));
  });
  const server = createServer((q, r) => {
    if (q.url === '/ok/model.json') return r.end(model([bin]));
    if (q.url === `/ok/${bin}`) return r.end(weights);
    if (q.url === '/xorigin/model.json') return r.end(model([`http://127.0.0.1:${otherPort}/w.bin`]));
    if (q.url === '/redirect/model.json') {
      r.writeHead(302, { location: `http://127.0.0.1:${otherPort}/model.json` });
      return r.end();
    }
    if (q.url === '/big/model.json') {
      r.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(2 ** 20, 32);
      let n = 0;
      const send = (): void => {
        while (n < 64 && r.write(chunk)) n++;
        if (n < 64) r.once('drain', send);
        else r.end();
      };
      return send();
    }
    if (q.url === '/slow/model.json') return; // never answers
    r.statusCode = 404;
    r.end();
  });
  const port = await new Promise<number>((res) => server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port)));
  const base = `http://127.0.0.1:${port}`;
  try {
    const m = await loadModel(`${base}/ok/model.json`);
    assert.deepEqual(Array.from(m.getWeights()[0]!.data), Array.from((await loadModel(good)).getWeights()[0]!.data));
    await assert.rejects(loadModel(`${base}/xorigin/model.json`), /is on another origin .*allowCrossOrigin/);
    await loadModel(`${base}/xorigin/model.json`, { allowCrossOrigin: true });
    await assert.rejects(loadModel(`${base}/redirect/model.json`), /redirects to another origin/);
    await assert.rejects(loadModel(`${base}/big/model.json`, { maxBytes: 1000 }), /more than the \d+ bytes left under maxBytes/);
    const t0 = performance.now();
    await assert.rejects(loadModel(`${base}/slow/model.json`, { timeout: 300 }), /no answer within 300 ms/);
    assert.ok(performance.now() - t0 < 2000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(loadModel(`${base}/slow/model.json`, { signal: ac.signal }), /aborted/);
  } finally {
    server.closeAllConnections();
    server.close();
    other!.close();
  }
});
