/**
 * `npm run fuzz`: a seeded mutation fuzzer over saved models (model.json and weight files).
 * Each variant is a seed model with one to three mutations — a JSON value replaced (huge or
 * negative sizes, wrong types, 'constructor' / '__proto__', paths out of the directory,
 * deep nesting), a key deleted or renamed, a weight file truncated, extended or given
 * NaN/Infinity, a weights path leading to a secret file, /dev/zero or a FIFO — loaded by a
 * separate process (tools/fuzz/child.ts) under a memory limit and a time limit.
 *
 * Binary seeds too — the ONNX, Keras .h5 and .keras fixtures in test/fixtures — mutated byte by
 * byte (values overwritten, runs zeroed or set to 0xFF, a slice repeated, the file cut), and
 * loaded by loadOnnx or loadModel as their extension says.
 *
 * Counted: loaded (and ran with finite outputs), refused (ModelFormatError with rnnkit's own
 * message); and the faults: raw (any other error, or an engine message), nan (a loaded
 * model computing NaN), outside (a load reading outside its directory), hang, crash / out of
 * memory, slow (> 1 s). Exit 1 when there is any fault.
 *
 *   npm run fuzz -- [--variants 10000] [--seed 1] [--jobs 2] [--timeout-ms 5000] [--memory-mb 512] [--faults DIR]
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Rng, Sequential, input, layers, model as graphModel, optimizers, tensor } from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: { variants: { type: 'string' }, seed: { type: 'string' }, jobs: { type: 'string' }, 'timeout-ms': { type: 'string' }, 'memory-mb': { type: 'string' }, quiet: { type: 'boolean' }, faults: { type: 'string' } },
});
const VARIANTS = Number(values.variants ?? 10000);
const SEED = Number(values.seed ?? 1);
const JOBS = Number(values.jobs ?? 2);
const TIMEOUT = Number(values['timeout-ms'] ?? 5000);
const MEMORY = Number(values['memory-mb'] ?? 512);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

async function seedModels(dir: string): Promise<string[]> {
  const out: string[] = [];
  const a = new Sequential({ layers: [layers.lstm({ units: 4, inputShape: [5, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })] });
  a.compile({ optimizer: optimizers.adam(), loss: 'mse' });
  await a.fit(tensor(new Float32Array(40).fill(0.5), [4, 5, 2]), tensor([[1], [0], [1], [0]]), { epochs: 1, verbose: 0 });
  await a.save(join(dir, 'seq'), { includeOptimizer: true });
  out.push(join(dir, 'seq'));
  const x = input({ shape: [6], name: 'ids' });
  let h = layers.embedding({ inputDim: 20, outputDim: 4, maskZero: true, seed: 3 }).apply(x);
  h = layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true, seed: 4 }) as never }).apply(h);
  h = layers.globalMaxPooling1d().apply(h);
  const g = graphModel({ inputs: x, outputs: layers.dense({ units: 2, activation: 'softmax', seed: 5 }).apply(h) });
  await g.save(join(dir, 'graph'));
  out.push(join(dir, 'graph'));
  const c = new Sequential({
    layers: [
      layers.conv1d({ filters: 3, kernelSize: 2, inputShape: [7, 2], seed: 6 }),
      layers.maxPooling1d(),
      layers.zeroPadding1d({ padding: [1, 2] }),
      layers.upSampling1d({ size: 2 }),
      layers.cropping1d({ cropping: [1, 0] }),
      layers.conv1dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1, seed: 10 }),
      layers.simpleRNN({ units: 2, seed: 7 }),
    ],
  });
  await c.save(join(dir, 'conv'));
  out.push(join(dir, 'conv'));
  // The layers whose options carry arrays, axes and constants: Normalization, PReLU, Softmax, noise.
  const n = new Sequential({
    layers: [
      layers.normalization({ inputShape: [5, 3] }),
      layers.gaussianNoise({ stddev: 0.1 }),
      layers.lstm({ units: 4, returnSequences: true, seed: 8 }),
      layers.prelu({ sharedAxes: [1], alphaInitializer: 'randomUniform', seed: 9 }),
      layers.alphaDropout({ rate: 0.1, noiseShape: [null, 1, 4] }),
      layers.normalization({ axis: [1, 2], mean: [0.5, 0, 0, 0.1], variance: [1, 2, 3, 4] }),
      layers.leakyReLU({ alpha: 0.2 }),
      layers.softmax({ axis: 1 }),
    ],
  });
  (n.layers[0] as unknown as { adapt(x: unknown): void }).adapt(tensor(new Float32Array(30).map((_, i) => Math.sin(i)), [2, 5, 3]));
  await n.save(join(dir, 'norm'));
  out.push(join(dir, 'norm'));
  return out;
}

const SPECIAL: Json[] = [null, -1, 0, 1, 1e9, 1e300, -1e9, 2.5, '', 'x', '__proto__', 'constructor', 'toString', 'hasOwnProperty', true, [], {}, [null], ['../secret.bin'], '../secret.bin', '/etc/passwd', '/dev/zero', 'float64', 'NaN', [1e9, 1e9], [-1, 3], { class_name: 'constructor', config: {} }];

/** Every [parent, key] in a JSON tree. */
function places(root: Json): [Json[] | { [k: string]: Json }, string | number][] {
  const out: [Json[] | { [k: string]: Json }, string | number][] = [];
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) v.forEach((c, i) => (out.push([v, i]), stack.push(c)));
    else for (const [k, c] of Object.entries(v)) (out.push([v, k]), stack.push(c));
  }
  return out;
}

/** Write variant i of a seed model into `dir`; returns what was done. */
function makeVariant(seedDir: string, dir: string, rng: Rng, secret: string): string {
  mkdirSync(dir);
  const json = JSON.parse(readFileSync(join(seedDir, 'model.json'), 'utf8')) as { [k: string]: Json };
  const bins = readdirSync(seedDir).filter((f) => f.endsWith('.bin'));
  for (const b of bins) copyFileSync(join(seedDir, b), join(dir, b));
  const done: string[] = [];
  const n = 1 + rng.int(3);
  let jsonText: string | null = null;
  for (let k = 0; k < n; k++) {
    const op = rng.int(10);
    const all = places(json);
    const [parent, key] = all[rng.int(all.length)]!;
    if (op <= 3) {
      const v = SPECIAL[rng.int(SPECIAL.length)]!;
      (parent as Record<string, Json>)[key as string] = structuredClone(v);
      done.push(`set ${String(key)}=${JSON.stringify(v)}`);
    } else if (op === 4) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      done.push(`delete ${String(key)}`);
    } else if (op === 5) {
      const v = (parent as Record<string, Json>)[key as string];
      if (typeof v === 'number') (parent as Record<string, Json>)[key as string] = v * (rng.uniform() < 0.5 ? -1 : 1e6);
      else if (typeof v === 'string') (parent as Record<string, Json>)[key as string] = v + v;
      done.push(`scale ${String(key)}`);
    } else if (op === 6) {
      // A marker, expanded after stringify (JSON.stringify itself cannot nest 20,000 deep).
      (parent as Record<string, Json>)[key as string] = `@@DEEP${rng.uniform() < 0.5 ? 200 : 20000}@@`;
      done.push(`deep ${String(key)}`);
    } else if (op === 7) {
      const b = bins[rng.int(bins.length)]!;
      const buf = readFileSync(join(dir, b));
      const r = rng.int(4);
      if (r === 0) writeFileSync(join(dir, b), buf.subarray(0, rng.int(buf.length + 1)));
      else if (r === 1) writeFileSync(join(dir, b), Buffer.concat([buf, Buffer.alloc(1 + rng.int(4096), 7)]));
      else {
        const at = 4 * rng.int(Math.max(1, Math.floor(buf.length / 4)));
        if (at + 4 <= buf.length) buf.writeFloatLE(r === 2 ? NaN : -Infinity, at);
        writeFileSync(join(dir, b), buf);
      }
      done.push(`bin ${['truncate', 'extend', 'NaN', '-Infinity'][r]}`);
    } else if (op === 8) {
      const groups = json.weightsManifest as { paths: Json[] }[] | undefined;
      if (Array.isArray(groups) && groups.length > 0 && groups[0] !== null && typeof groups[0] === 'object' && Array.isArray(groups[0].paths)) {
        const r = rng.int(4);
        const target = ['../secret.bin', secret, 'zero.bin', 'fifo.bin'][r]!;
        if (r === 2 && !existsSync(join(dir, 'zero.bin'))) symlinkSync('/dev/zero', join(dir, 'zero.bin'));
        if (r === 3 && !existsSync(join(dir, 'fifo.bin'))) execFileSync('mkfifo', [join(dir, 'fifo.bin')]);
        groups[0].paths = [target];
        done.push(`path ${target}`);
      }
    } else {
      // invalid JSON text
      jsonText = JSON.stringify(json).slice(0, rng.int(200));
      done.push('truncated json');
    }
  }
  const text = (jsonText ?? JSON.stringify(json)).replace(/"@@DEEP(\d+)@@"/g, (_m, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)));
  writeFileSync(join(dir, 'model.json'), text);
  return done.join('; ');
}

/** The binary fixtures: ONNX, Keras HDF5 and .keras files (weights-only .h5 files left out). */
function binarySeeds(): string[] {
  const dir = join(ROOT, 'test', 'fixtures');
  const files: string[] = [];
  // test/fixtures itself and every onnx* folder under it (onnx, onnx-loop, onnx-conv, …).
  for (const sub of ['', ...readdirSync(dir).filter((d) => /^onnx/.test(d) && !d.includes('.'))]) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (/\.(onnx|keras)$/.test(f) || (/\.h5$/.test(f) && !/weights\.h5$/.test(f))) files.push(join(d, f));
  }
  return files;
}

/** Write a byte-mutated copy of a binary seed into `dir` as model.<ext>; returns what was done. */
function makeBinaryVariant(seedFile: string, dir: string, rng: Rng): string {
  mkdirSync(dir);
  let buf = Buffer.from(readFileSync(seedFile));
  const done: string[] = [seedFile.split('/').slice(-2).join('/')];
  const n = 1 + rng.int(6);
  for (let k = 0; k < n && buf.length > 0; k++) {
    const at = rng.int(buf.length);
    const op = rng.int(6);
    if (op <= 1) {
      buf[at] = rng.int(256);
      done.push(`byte ${at}`);
    } else if (op === 2) {
      buf.fill(0xff, at, Math.min(buf.length, at + 1 + rng.int(8)));
      done.push(`ff ${at}`);
    } else if (op === 3) {
      buf.fill(0, at, Math.min(buf.length, at + 1 + rng.int(64)));
      done.push(`zero ${at}`);
    } else if (op === 4) {
      const len = 1 + rng.int(256);
      buf = Buffer.concat([buf.subarray(0, at + len), buf.subarray(at, at + len), buf.subarray(at + len)]);
      done.push(`repeat ${at}+${len}`);
    } else {
      buf = buf.subarray(0, at);
      done.push(`cut ${at}`);
    }
  }
  const ext = seedFile.slice(seedFile.lastIndexOf('.'));
  writeFileSync(join(dir, `model${ext}`), buf);
  return done.join('; ');
}

interface Result {
  i: number;
  outcome: string;
  ms?: number;
  message?: string;
}

class Loader {
  private child!: ChildProcessWithoutNullStreams;
  private buf = '';
  private stderr = '';
  private pending: { i: number; resolve: (r: Result) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  /** Resolves when the current child has printed 'ready' (started; its imports done). */
  private ready!: Promise<void>;
  private onReady: () => void = () => {};
  private startFailed: (e: Error) => void = () => {};
  private started = false;

  constructor() {
    this.start();
  }

  private start(): void {
    this.child = spawn(process.execPath, [`--max-old-space-size=${MEMORY}`, '--import', 'tsx', join(ROOT, 'tools', 'fuzz', 'child.ts')], { cwd: ROOT, stdio: 'pipe' });
    this.buf = '';
    this.stderr = '';
    this.started = false;
    this.ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.startFailed = reject;
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line === 'ready') {
          this.started = true;
          this.onReady();
          continue;
        }
        const p = this.pending;
        if (p === null) continue;
        this.pending = null;
        clearTimeout(p.timer);
        p.resolve(JSON.parse(line) as Result);
      }
    });
    this.child.stderr.on('data', (d: Buffer) => void (this.stderr += d.toString()));
    this.child.on('exit', () => {
      // A loader that cannot even start is the fuzzer's failure, not a variant's.
      if (!this.started) return this.startFailed(new Error(`fuzz: the loader process ended before it started: ${this.stderr.slice(-2000)}`));
      const p = this.pending;
      if (p === null) return;
      this.pending = null;
      clearTimeout(p.timer);
      p.resolve({ i: p.i, outcome: /heap out of memory|Allocation failed/i.test(this.stderr) ? 'oom' : 'crash', message: this.stderr.split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ') });
      this.start();
    });
  }

  /** Load one variant; the timeout counts from the request to a started child, not from its start. */
  async load(i: number, dir: string): Promise<Result> {
    await this.ready;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.child.removeAllListeners('exit');
        this.child.kill('SIGKILL');
        resolve({ i, outcome: 'hang', message: `no answer within ${TIMEOUT} ms` });
        this.start();
      }, TIMEOUT);
      this.pending = { i, resolve, timer };
      this.child.stdin.write(`${i}\t${dir}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

const work = mkdtempSync(join(tmpdir(), 'rnnkit-fuzz-'));
const secret = join(work, 'secret.bin');
writeFileSync(secret, Buffer.alloc(64, 0x41));
const seeds = await seedModels(join(work, 'seeds'));
const binaries = binarySeeds();
mkdirSync(join(work, 'v'));
const counts: Record<string, number> = {};
const faults: (Result & { what: string })[] = [];
let slow = 0;
let next = 0;
const t0 = performance.now();
const loaders = Array.from({ length: JOBS }, () => new Loader());
await Promise.all(
  loaders.map(async (loader) => {
    for (;;) {
      const i = next++;
      if (i >= VARIANTS) break;
      const rng = new Rng((SEED * 1_000_003 + i) >>> 0);
      const dir = join(work, 'v', String(i));
      // Half the variants mutate a saved model's JSON and weight files, half a binary fixture.
      const what = rng.uniform() < 0.5 ? makeVariant(seeds[rng.int(seeds.length)]!, dir, rng, secret) : makeBinaryVariant(binaries[rng.int(binaries.length)]!, dir, rng);
      const r = await loader.load(i, dir);
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      if ((r.ms ?? 0) > 1000) slow++;
      if (!['loaded', 'refused'].includes(r.outcome)) {
        faults.push({ ...r, what });
        // --faults DIR keeps each faulty variant (as DIR/<i>) to reproduce it.
        if (typeof values.faults === 'string') cpSync(dir, join(values.faults, String(i)), { recursive: true, verbatimSymlinks: true });
      }
      rmSync(dir, { recursive: true, force: true });
      if (!values.quiet && (i + 1) % 1000 === 0) console.error(`${i + 1} variants, ${Math.round((performance.now() - t0) / 1000)} s`);
    }
  }),
);
for (const l of loaders) l.close();
rmSync(work, { recursive: true, force: true });
const seconds = (performance.now() - t0) / 1000;
console.log(`fuzz: ${VARIANTS} variants (seed ${SEED}) in ${seconds.toFixed(0)} s: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; slower than 1 s: ${slow}`);
for (const f of faults.slice(0, 20)) console.log(`  FAULT ${f.outcome} #${f.i} [${f.what}]: ${f.message ?? ''}`);
if (faults.length > 20) console.log(`  … ${faults.length - 20} more`);
process.exitCode = faults.length > 0 || slow > 0 ? 1 : 0;
