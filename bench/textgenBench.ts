/**
 * textgen-names (issue 18): the real names job end to end — rnnkit's TextGenerator on the
 * built-in names (src/cli/names.ts: the @stdlib English first names, lowercased, deduplicated),
 * Embedding(V, 32, maskZero) → LSTM(128, returnSequences) → Dense(V, softmax), batch 64, Adam
 * 3e-3 (TextGenerator's: global clipnorm 5, ε 1e-7), every other setting TextGenerator.fit's
 * default, TEXTGEN.epochs epochs — against PyTorch doing the same job the way PyTorch users do
 * it (bench/torch_textgen.py: each batch padded to its own longest line, the loss masked with
 * ignore_index=0).
 *
 * The same data on both sides: the names shuffled with a fixed seed (DATA_SEED), the first
 * TEXTGEN.heldOut of them held out, the rest trained on; the vocabulary from all of them (so
 * every held-out character is known); both sides start from the TextGenerator's initial
 * weights (seeded), copied into PyTorch. The per-epoch order differs (each library shuffles
 * with its own generator).
 *
 * Measured per contestant: the wall time of the whole training (rnnkit: the TextGenerator.fit
 * call, dataset building included; PyTorch: from the encoded lines to the last optimizer step,
 * per-batch padding included) — one run, no warm-up dropped, since the job is what a user runs —
 * (and the CPU seconds of the training, every thread of the process, in the details: steadier
 * than the wall time on a loaded machine) and held-out nats per character before and after training: the mean of −log p(target) over
 * every held-out target that is not padding (each character and each line's end), as
 * TextGenerator.evaluate defines it. Check: the score before training must agree between the
 * two sides within TEXTGEN.initialTolerance nats (same model, same data, same loss definition).
 * Targets (on the rnnkit row): faster than PyTorch 1T, and held-out nats/char within 0.02 of
 * PyTorch 1T's.
 *
 * Epochs: 15 (the job); RNNKIT_BENCH_TEXTGEN_EPOCHS=N runs N instead for a quick look
 * (the targets then speak of that shorter job).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, TextGenerator, Vocabulary, useBackend } from '../src/index.js';
import { getBackend } from '../src/backend/kernels.js';
import { builtInNames } from '../src/cli/names.js';
import { median } from './stats.js';
import { runTorchScript, type TorchFound } from './torch.js';
import { DATA_SEED, WEIGHT_SEED } from './workloads.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_textgen.py');

export const TEXTGEN_NAME = 'textgen-names';

function epochsFromEnv(): number {
  const v = process.env['RNNKIT_BENCH_TEXTGEN_EPOCHS'];
  if (v === undefined || v === '') return 15;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`RNNKIT_BENCH_TEXTGEN_EPOCHS must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export const TEXTGEN = {
  embeddingDim: 32,
  units: 128,
  batchSize: 64,
  learningRate: 3e-3,
  /** TextGenerator's Adam: Keras's ε, global clipnorm 5 (src/text/textGenerator.ts). */
  epsilon: 1e-7,
  clipnorm: 5,
  epochs: epochsFromEnv(),
  heldOut: 0.1,
  splitSeed: DATA_SEED,
  weightSeed: WEIGHT_SEED,
  fitSeed: 7,
  /** Held-out nats/char before training, rnnkit vs PyTorch (float32 sums over ~5,000 targets). */
  initialTolerance: 1e-4,
  /** The quality target: held-out nats/char within this of PyTorch 1T's. */
  qualityTolerance: 0.02,
};

export const TEXTGEN_TITLE =
  `the names job: TextGenerator Embedding(${TEXTGEN.embeddingDim}, maskZero) → LSTM(${TEXTGEN.units}) → Dense(softmax) on the built-in names, ` +
  `batch ${TEXTGEN.batchSize}, Adam ${TEXTGEN.learningRate} (clipnorm ${TEXTGEN.clipnorm}), ${TEXTGEN.epochs} epochs, ${TEXTGEN.heldOut * 100}% held out; ` +
  `PyTorch pads each batch to its longest line (masked loss); s/job = wall time of the whole training; held-out nats/char in the details`;

export interface TextgenCheck {
  reference: string;
  losses: { value: number; reference: number; rel: number }[];
  outputsMaxAbsDiff: number;
  extra?: string;
  ok: boolean;
}

export interface TextgenRow {
  contestant: string;
  framework: 'rnnkit' | 'torch';
  ranOn: string;
  status: 'ok' | 'n/a' | 'error';
  /** Seconds of the whole training; NaN when the row did not run. */
  value: number;
  /** Seconds per epoch. */
  times: number[];
  /** Training loss of the last epoch. */
  loss?: number;
  /** CPU seconds of the training (every thread of the process): steadier than wall time on a loaded machine. */
  cpuSeconds?: number;
  initialNats?: number;
  finalNats?: number;
  note?: string;
  detail?: string;
  check?: TextgenCheck;
  targets: { label: string; pass: boolean | null }[];
}

export interface TextgenResult {
  rows: TextgenRow[];
  summary: string;
}

export interface TextgenOptions {
  /** rnnkit backends selected (--backend): the row runs on the default backend, when it is one of them. */
  backends: readonly string[];
  torch: TorchFound | null;
  torchThreads: readonly number[];
  note: (message: string) => void;
}

interface Split {
  vocab: Vocabulary;
  train: string[];
  test: string[];
}

function split(): Split {
  const names = builtInNames();
  new Rng(TEXTGEN.splitSeed).shuffle(names);
  const k = Math.round(names.length * TEXTGEN.heldOut);
  return { vocab: Vocabulary.fromCorpus(names), test: names.slice(0, k), train: names.slice(k) };
}

function detail(r: TextgenRow): string {
  const cpu = r.cpuSeconds === undefined ? '' : `, ${r.cpuSeconds.toFixed(1)} CPU s`;
  return `held-out ${r.finalNats!.toFixed(4)} nats/char (before training ${r.initialNats!.toFixed(4)}), ${r.times.length} epochs, median ${median(r.times).toFixed(2)} s/epoch${cpu}`;
}

export async function benchTextgen(o: TextgenOptions): Promise<TextgenResult> {
  const s = split();
  const rows: TextgenRow[] = [];
  // The TextGenerator's initial weights (seeded), for PyTorch too.
  useBackend('auto'); // the default backend (another workload may have switched it)
  const make = (): TextGenerator => new TextGenerator({ vocab: s.vocab, embeddingDim: TEXTGEN.embeddingDim, units: TEXTGEN.units, seed: TEXTGEN.weightSeed });
  const weights = (() => {
    const g = make();
    const w = g.model.getWeights().map((t) => ({ shape: [...t.shape], data: Array.from(t.data) }));
    g.dispose();
    return w;
  })();
  const summary =
    `${TEXTGEN_NAME}: ${TEXTGEN_TITLE}; ${s.train.length} training and ${s.test.length} held-out names, vocabulary ${s.vocab.size} ids ` +
    `(set RNNKIT_BENCH_TEXTGEN_EPOCHS=N for a shorter job)`;

  useBackend('auto');
  const defaultBackend = getBackend();
  if (o.backends.length > 0 && !o.backends.includes(defaultBackend)) {
    // "Default settings" is the job: the one backend it runs on is the default one.
    rows.push({ contestant: 'rnnkit default', framework: 'rnnkit', ranOn: defaultBackend, status: 'n/a', value: NaN, times: [], note: `runs on the default backend (${defaultBackend}), not among --backend ${o.backends.join(',')}`, targets: [] });
  } else if (o.backends.length > 0) {
    o.note(`${TEXTGEN_NAME}: rnnkit (default settings), ${TEXTGEN.epochs} epochs`);
    try {
      useBackend('auto');
      const gen = make();
      const initialNats = gen.evaluate(s.test).crossEntropy;
      const times: number[] = [];
      let began = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const h = await gen.fit(s.train, {
        epochs: TEXTGEN.epochs,
        batchSize: TEXTGEN.batchSize,
        learningRate: TEXTGEN.learningRate,
        verbose: 0,
        seed: TEXTGEN.fitSeed,
        callbacks: { onEpochBegin: () => void (began = performance.now()), onEpochEnd: () => void times.push((performance.now() - began) / 1000) },
      });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const finalNats = gen.evaluate(s.test).crossEntropy;
      const losses = h.history['loss'] ?? [];
      rows.push({
        contestant: 'rnnkit default',
        framework: 'rnnkit',
        ranOn: getBackend(),
        status: 'ok',
        value: seconds,
        times,
        loss: losses[losses.length - 1]!,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        initialNats,
        finalNats,
        targets: [],
      });
      gen.dispose();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      o.note(`${TEXTGEN_NAME} rnnkit: ERROR ${msg}`);
      rows.push({ contestant: 'rnnkit default', framework: 'rnnkit', ranOn: getBackend(), status: 'error', value: NaN, times: [], note: msg, targets: [] });
    }
  }

  if (o.torch !== null) {
    if ('version' in o.torch) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-textgen-'));
      try {
        const manifest = {
          config: TEXTGEN,
          epochs: TEXTGEN.epochs,
          seed: TEXTGEN.fitSeed,
          vocabSize: s.vocab.size,
          train: s.train.map((l) => s.vocab.encode(l)),
          test: s.test.map((l) => s.vocab.encode(l)),
          weights,
        };
        for (const n of o.torchThreads) {
          const label = `torch ${n}T`;
          o.note(`${TEXTGEN_NAME}: PyTorch, ${n} thread${n > 1 ? 's' : ''}`);
          try {
            const out = runTorchScript(o.torch.python, SCRIPT, dir, { threads: n, ...manifest }, n) as {
              seconds: number;
              cpuSeconds: number;
              epochTimes: number[];
              epochLosses: number[];
              initialNats: number;
              finalNats: number;
            };
            rows.push({
              contestant: label,
              framework: 'torch',
              ranOn: `${n} thread${n > 1 ? 's' : ''}`,
              status: 'ok',
              value: out.seconds,
              times: out.epochTimes,
              loss: out.epochLosses[out.epochLosses.length - 1]!,
              cpuSeconds: out.cpuSeconds,
              initialNats: out.initialNats,
              finalNats: out.finalNats,
              targets: [],
            });
          } catch (e) {
            rows.push({ contestant: label, framework: 'torch', ranOn: '', status: 'error', value: NaN, times: [], note: e instanceof Error ? e.message : String(e), targets: [] });
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } else for (const n of o.torchThreads) rows.push({ contestant: `torch ${n}T`, framework: 'torch', ranOn: '', status: 'n/a', value: NaN, times: [], note: 'not installed', targets: [] });
  }

  // Check (every row against the rnnkit row's score before training), details, targets.
  const ref = rows.find((r) => r.framework === 'rnnkit' && r.status === 'ok');
  const torch1 = rows.find((r) => r.contestant === 'torch 1T' && r.status === 'ok');
  for (const r of rows) {
    if (r.status !== 'ok') continue;
    r.detail = detail(r);
    if (ref !== undefined && r !== ref) {
      const d = Math.abs(r.initialNats! - ref.initialNats!);
      const ok = d <= TEXTGEN.initialTolerance && Number.isFinite(r.finalNats!);
      r.check = {
        reference: ref.contestant,
        losses: [],
        outputsMaxAbsDiff: d,
        extra: `held-out nats/char before training ${r.initialNats!.toFixed(6)} vs ${ref.initialNats!.toFixed(6)} (|Δ| ${d.toExponential(1)}, tolerance ${TEXTGEN.initialTolerance})`,
        ok,
      };
    }
    if (r === ref) {
      r.targets = [
        { label: 'faster than PyTorch 1T', pass: torch1 === undefined ? null : r.value < torch1.value },
        {
          label: `held-out nats/char within ${TEXTGEN.qualityTolerance} of PyTorch 1T`,
          pass: torch1 === undefined ? null : Math.abs(r.finalNats! - torch1.finalNats!) <= TEXTGEN.qualityTolerance,
        },
      ];
    }
  }
  return { rows, summary };
}
