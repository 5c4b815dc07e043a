/**
 * `npm run soak`: does memory stay flat over long training and over many models?
 *
 *   npm run soak -- [--batches 10000] [--models 1000] [--only train|workers|models] [--every N]
 *
 * Runs, each in its own child process (so each starts from a fresh process and its figures
 * are its own):
 *   train    one fit() of many epochs (100 batches of 32 each) — Embedding(16) → LSTM(64,
 *            returnSequences) → Dense(V, softmax) on 20-character windows of the built-in
 *            names corpus, sparse categorical cross-entropy, Adam — on the main thread
 *            (workers: 1, the default: no worker threads);
 *   workers  the same fit with workers: 2 (one worker thread; its heap and WebAssembly
 *            memory are in the process RSS, not in the other columns, which are the main
 *            thread's);
 *   models-dispose, models-yield (--only models runs both)
 *            tools/memoryLoop.ts's loop: create that model, train it one batch, predict,
 *            drop it — with dispose(), or without and awaiting setImmediate.
 * A callback samples memory every --every batches (default 500; every 50 models), each
 * sample settled: a full garbage collection, an event-loop turn (the FinalizationRegistry
 * frees dropped models' WebAssembly blocks), another collection. The first sample after
 * warm-up (batch 500, model 100) is "start"; growth is the least-squares slope over the
 * settled samples from there, per 1,000 batches (models). models-yield settles only at
 * warm-up and at the end — collecting every 50 models would do the collector's work for
 * it — and samples as it goes otherwise: its peak is what a yielding loop holds at most.
 * Exit 1 when a figure exceeds its limit.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Sequential, Tensor, getBackend, layers, losses, optimizers, type Callback, type Model } from '../src/index.js';
import { Vocabulary, windowDataset } from '../src/text/index.js';
import { builtInNames } from '../src/cli/names.js';
import { MiB, collector, memorySample, mib, settledSample, type MemorySample } from './memory.js';
import { modelLoop } from './memoryLoop.js';

type Run = 'train' | 'workers' | 'models-dispose' | 'models-yield';
type Measure = keyof MemorySample;

const { values } = parseArgs({
  options: { batches: { type: 'string' }, models: { type: 'string' }, only: { type: 'string' }, every: { type: 'string' }, child: { type: 'string' } },
});
const BATCHES = Number(values.batches ?? 10000);
const MODELS = Number(values.models ?? 1000);
const ONLY = values.only;
/** Batches (models) between samples, and the warm-up after which growth is measured. */
const EVERY_BATCHES = Number(values.every ?? Math.min(500, Math.floor(BATCHES / 10)));
const ok = (n: number, least: number): boolean => Number.isInteger(n) && n >= least;
if (!ok(BATCHES, 200) || !ok(MODELS, 200) || !ok(EVERY_BATCHES, 1) || 2 * EVERY_BATCHES > BATCHES || (ONLY !== undefined && !['train', 'workers', 'models'].includes(ONLY))) {
  console.error('usage: npm run soak -- [--batches N ≥ 200] [--models N ≥ 200] [--only train|workers|models] [--every N ≤ batches / 2]');
  process.exit(2);
}
const WARMUP_BATCHES = EVERY_BATCHES;
const EVERY_MODELS = 50;
const WARMUP_MODELS = 100;

/**
 * What a measure may do after warm-up: grow at most `max` bytes per 1,000 batches (models)
 * ('slope'), not grow at all ('flat': WebAssembly memory only grows and blocks are whole,
 * so exact bytes, no slope), or stay under `max` bytes ('peak').
 */
type Limit = { kind: 'slope'; max: number } | { kind: 'flat' } | { kind: 'peak'; max: number };

/**
 * Chosen from the measured runs (README, "Soak") with headroom. The settled heap grows by a
 * few hundred KiB in the first thousands of batches and up to 0.8 MiB over 1,000 models
 * (V8's optimised code: heap snapshot diffs over 1,500 models, disposed or dropped, show
 * only code objects). RSS moves with the allocator and the OS by a few MiB without any
 * leak, over models by up to ~15 MiB (malloc keeps what the collector hints of dropped
 * models used). External memory and ArrayBuffers stayed within ±0.01 MiB per 1,000 in every
 * run, so 0.1 MiB catches one 64-float array kept per batch (+0.24 MiB per 1,000 batches,
 * checked by adding such a leak); a model's WebAssembly blocks kept per model would be
 * 4 GiB per 1,000 models.
 */
const TRAIN_LIMITS: Record<Measure, Limit> = {
  heapUsed: { kind: 'slope', max: 0.5 * MiB },
  rss: { kind: 'slope', max: 5 * MiB },
  external: { kind: 'slope', max: 0.1 * MiB },
  arrayBuffers: { kind: 'slope', max: 0.1 * MiB },
  wasmMemory: { kind: 'flat' },
  wasmInUse: { kind: 'flat' },
};
const LIMITS: Record<Run, Record<Measure, Limit>> = {
  train: TRAIN_LIMITS,
  workers: TRAIN_LIMITS,
  'models-dispose': { ...TRAIN_LIMITS, heapUsed: { kind: 'slope', max: 2 * MiB }, rss: { kind: 'slope', max: 32 * MiB } },
  // Without dispose() the memory a yielding loop holds depends on when the collector runs:
  // judged by its peak. 192 MiB is ~45 of these 4.2 MiB models (measured: 67–97 MiB of
  // WebAssembly memory, RSS 230–290 MiB; before blocks under 1 MiB had a collector hint,
  // 189 MiB here and 0.6–1.4 GiB in the same loop without the soak's collections).
  'models-yield': { ...TRAIN_LIMITS, heapUsed: { kind: 'slope', max: 2 * MiB }, rss: { kind: 'peak', max: 448 * MiB }, wasmMemory: { kind: 'peak', max: 192 * MiB } },
};
const LABEL: Record<Measure, string> = {
  heapUsed: 'heap used',
  rss: 'RSS',
  external: 'external',
  arrayBuffers: 'arrayBuffers',
  wasmMemory: 'wasm memory',
  wasmInUse: 'wasm in use',
};

interface RunResult {
  run: Run;
  unit: 'batches' | 'models';
  warmup: number;
  /** [units done, sample, whether it was settled]. */
  samples: [number, MemorySample, boolean][];
  seconds: number;
  /** The OS's maximum resident set size of the child (unsettled), bytes. */
  maxRss: number;
  backend: string;
  gc: string;
  note: string;
}

// ------------------------------------------------------------------ the model and data

const SEQ = 20;
const ROWS = 3200; // 100 batches of 32 per epoch

function corpus(): { x: Tensor; y: Tensor; vocab: Vocabulary } {
  const text = builtInNames().join('\n');
  const vocab = Vocabulary.fromCorpus(text);
  const ds = windowDataset(text, vocab, { seqLength: SEQ, stride: 3 });
  if (ds.x.shape[0]! < ROWS) throw new Error(`soak: the corpus gives ${ds.x.shape[0]} windows, fewer than ${ROWS}`);
  const rows = (t: Tensor): Tensor => new Tensor(t.data.slice(0, ROWS * SEQ), [ROWS, SEQ]);
  return { x: rows(ds.x), y: rows(ds.y), vocab };
}

function charModel(vocabSize: number, seed: number): Model {
  const m = new Sequential({
    layers: [
      layers.embedding({ inputDim: vocabSize, outputDim: 16, inputShape: [SEQ], seed }),
      layers.lstm({ units: 64, returnSequences: true, seed: seed + 1 }),
      layers.dense({ units: vocabSize, activation: 'softmax', seed: seed + 2 }),
    ],
  });
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: losses.sparseCategoricalCrossentropy() });
  return m;
}

// ------------------------------------------------------------------ child: one run

async function trainRun(run: 'train' | 'workers'): Promise<RunResult> {
  const { x, y, vocab } = corpus();
  const model = charModel(vocab.size, 1);
  const steps = ROWS / 32;
  const epochs = Math.ceil(BATCHES / steps);
  const samples: [number, MemorySample, boolean][] = [[0, await settledSample(), true]];
  let done = 0;
  const t0 = performance.now();
  const sampler: Callback = {
    async onBatchEnd() {
      done++;
      if (done % EVERY_BATCHES === 0 || done === epochs * steps) {
        samples.push([done, await settledSample(), true]);
        progress(run, done, epochs * steps, samples.at(-1)!);
      }
    },
  };
  const history = await model.fit(x, y, { epochs, batchSize: 32, verbose: 0, seed: 7, callbacks: [sampler], workers: run === 'workers' ? 2 : 1 });
  const loss = history.history.loss!;
  return finish(run, 'batches', WARMUP_BATCHES, samples, t0, `one fit of ${epochs} epochs × ${steps} batches of 32; loss ${loss[0]!.toFixed(3)} → ${loss.at(-1)!.toFixed(3)}`);
}

async function modelsRun(run: 'models-dispose' | 'models-yield'): Promise<RunResult> {
  const { x, y, vocab } = corpus();
  const bx = new Tensor(x.data.slice(0, 32 * SEQ), [32, SEQ]);
  const by = new Tensor(y.data.slice(0, 32 * SEQ), [32, SEQ]);
  const samples: [number, MemorySample, boolean][] = [[0, await settledSample(), true]];
  const settleAll = run === 'models-dispose';
  const t0 = performance.now();
  const result = await modelLoop({
    mode: run === 'models-dispose' ? 'dispose' : 'yield',
    models: MODELS,
    make: (i) => charModel(vocab.size, 10 * i),
    use: async (m) => {
      await m.fit(bx, by, { epochs: 1, batchSize: 32, verbose: 0, seed: 1 });
      m.predict(bx);
    },
    after: async (made) => {
      if (made % EVERY_MODELS === 0 || made === MODELS) {
        const settle = settleAll || made === WARMUP_MODELS || made === MODELS;
        samples.push([made, settle ? await settledSample() : memorySample(), settle]);
        progress(run, made, MODELS, samples.at(-1)!);
      }
    },
  });
  if (result.error !== null) throw result.error;
  return finish(
    run,
    'models',
    WARMUP_MODELS,
    samples,
    t0,
    `${result.made} models created, trained one batch of 32, predicted, ${run === 'models-dispose' ? 'disposed' : 'dropped (no dispose(), setImmediate between models)'}; peak ${mib(result.peakInUse)} MiB of wasm in use between samples`,
  );
}

function progress(run: Run, done: number, of: number, [, s, settled]: [number, MemorySample, boolean]): void {
  console.error(`  ${run} ${done}/${of}${settled ? '' : ' (unsettled)'}: heap ${mib(s.heapUsed)} MiB, RSS ${mib(s.rss)} MiB, external ${mib(s.external)} MiB, wasm ${mib(s.wasmMemory)} MiB (${mib(s.wasmInUse)} in use)`);
}

function finish(run: Run, unit: RunResult['unit'], warmup: number, samples: RunResult['samples'], t0: number, note: string): RunResult {
  return { run, unit, warmup, samples, seconds: (performance.now() - t0) / 1000, maxRss: process.resourceUsage().maxRSS * 1024, backend: getBackend(), gc: collector().how, note };
}

// ------------------------------------------------------------------ parent: report

/** Least-squares slope of value over units, per 1,000 units. */
function slopePer1000(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return (sxy / sxx) * 1000;
}

interface Row {
  measure: Measure;
  start: number;
  end: number;
  peak: number;
  growth: number;
  limit: Limit;
  failed: string | null;
}

function judge(r: RunResult): Row[] {
  const after = r.samples.filter(([u, , settled]) => u >= r.warmup && settled);
  return (Object.keys(LABEL) as Measure[]).map((measure) => {
    const start = after[0]![1][measure];
    const end = after.at(-1)![1][measure];
    const peak = Math.max(...r.samples.map(([, s]) => s[measure]));
    const growth = slopePer1000(after.map(([u, s]) => [u, s[measure]]));
    const limit = LIMITS[r.run][measure];
    let failed: string | null = null;
    if (limit.kind === 'flat') {
      const most = Math.max(...after.map(([, s]) => s[measure]));
      if (most > start) failed = `${LABEL[measure]} grew after warm-up: ${mib(start)} → ${mib(most)} MiB`;
    } else if (limit.kind === 'slope') {
      if (growth > limit.max) failed = `${LABEL[measure]} grows ${(growth / MiB).toFixed(3)} MiB per 1,000 ${r.unit} (limit ${(limit.max / MiB).toFixed(2)})`;
    } else if (peak > limit.max) failed = `${LABEL[measure]} peaked at ${mib(peak)} MiB (limit ${mib(limit.max)})`;
    return { measure, start, end, peak, growth, limit, failed };
  });
}

function showLimit(l: Limit): string {
  return l.kind === 'flat' ? 'no growth' : l.kind === 'slope' ? `< ${(l.max / MiB).toFixed(l.max < MiB ? 2 : 1)}/1k` : `peak < ${mib(l.max)}`;
}

function table(results: RunResult[]): string[] {
  const head = ['run', 'measure', 'start MiB', 'end MiB', 'peak MiB', 'growth MiB/1k', 'limit', ''];
  const rows: string[][] = [];
  for (const r of results) {
    for (const row of judge(r)) {
      rows.push([r.run, LABEL[row.measure], mib(row.start), mib(row.end), mib(row.peak), (row.growth >= 0 ? '+' : '') + (row.growth / MiB).toFixed(3), showLimit(row.limit), row.failed === null ? 'ok' : 'FAIL']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function runChild(run: Run): Promise<RunResult> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', run, '--batches', String(BATCHES), '--models', String(MODELS), '--every', String(EVERY_BATCHES)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('SOAK '));
      if (code !== 0 || line === undefined) reject(new Error(`the ${run} run ended with ${signal ?? `exit code ${code}`}${out.trim() === '' ? '' : `: ${out.trim().slice(-2000)}`}`));
      else resolve(JSON.parse(line.slice(5)) as RunResult);
    });
  });
}

if (values.child !== undefined) {
  const run = values.child as Run;
  const r = run === 'train' || run === 'workers' ? await trainRun(run) : await modelsRun(run as 'models-dispose' | 'models-yield');
  console.log(`SOAK ${JSON.stringify(r)}`);
} else {
  const runs: Run[] = ONLY === undefined ? ['train', 'workers', 'models-dispose', 'models-yield'] : ONLY === 'models' ? ['models-dispose', 'models-yield'] : [ONLY as Run];
  console.log(`soak: ${BATCHES} batches, ${MODELS} models; runs: ${runs.join(', ')}`);
  const results: RunResult[] = [];
  let failures = 0;
  for (const run of runs) {
    try {
      const r = await runChild(run);
      results.push(r);
      const s0 = r.samples[0]![1];
      console.log(`${run}: ${r.note}; ${r.seconds.toFixed(0)} s; before: heap ${mib(s0.heapUsed)}, RSS ${mib(s0.rss)}, wasm ${mib(s0.wasmMemory)} MiB; OS max RSS ${mib(r.maxRss)} MiB`);
    } catch (e) {
      failures++;
      console.log(`${run}: FAILED — ${(e as Error).message}`);
    }
  }
  if (results.length > 0) {
    const r0 = results[0]!;
    console.log(
      `\nbackend ${r0.backend}; samples settled (${r0.gc}, an event-loop turn, gc again) — models-yield only at warm-up and end; ` +
        `start = first settled sample after warm-up (${WARMUP_BATCHES} batches, ${WARMUP_MODELS} models), end = last; ` +
        `growth = least-squares slope of the settled samples from start, per 1,000 batches (models); peak over all samples\n`,
    );
    for (const l of table(results)) console.log(l);
    for (const r of results) for (const row of judge(r)) if (row.failed !== null) {
      failures++;
      console.log(`FAIL ${r.run}: ${row.failed}`);
    }
  }
  console.log(failures === 0 ? '\nsoak: ok' : `\nsoak: ${failures} failure(s)`);
  process.exitCode = failures === 0 ? 0 : 1;
}
