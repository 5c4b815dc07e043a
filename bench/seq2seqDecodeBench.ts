/**
 * seq2seq-decode: decoding speed of rnnkit's Seq2Seq (words/s: source words translated per
 * second) against PyTorch (bench/torch_decode.py) running the same model with the same
 * weights and the same greedy / beam-search algorithm, side by side.
 *
 * The model: a grapheme-to-phoneme-sized Seq2Seq.forPairs(pairs, {tokens: {source: 'char',
 * target: 'word'}, units: 192, bidirectional: true, attention: 'dot', embeddingDim: 64, seed}):
 * 28 source symbols (a–z, ' and -), 39 target tokens (phoneme names). The pairs are synthetic:
 * random letter strings of 3..12 letters → a fixed toy pronunciation rule (each letter one
 * phoneme that depends on whether a vowel follows; x two; a doubled letter, ' and - none), so
 * that a short fit (DECODE.trainPairs pairs, DECODE.epochs epochs) gives outputs of varied
 * lengths that end with the end symbol well before maxLength (the check line reports the
 * lengths). Trained once on one backend; every contestant gets those weights.
 *
 * Cases (the same inputs for every contestant; held-out words of the same generator):
 *   greedy b1     beamWidth 1, translate(inputs, {batchSize: 1}): one word at a time
 *   greedy b64    beamWidth 1, translate's default batchSize 64 (the words sorted by length
 *                 and decoded 64 at a time as the rows of one batch)
 *   beam5 b1      beamWidth 5, one word at a time (5 rows per step)
 *   beam5 b64     beamWidth 5, 64 words at a time (320 rows per step)
 * maxLength DECODE.maxLength, lengthPenalty 0. PyTorch does what Seq2Seq.translate does:
 * the same sort and chunks, the encoder once per chunk, then one decoder step per symbol
 * with (h, c) carried (no re-running of the prefix); greedy rows leave the batch when they
 * end, as in decode.ts; PyTorch's beam search computes every row of the chunk at every step
 * (decode.ts drops the beams of inputs whose search is over).
 *
 * Check before timing: every contestant's outputs for the timed inputs against the reference
 * row (the first rnnkit backend run, normally 'ts'): identical token sequences, or at least
 * DECODE.minAgreement of them with each difference a near-tie, as judged on the reference
 * model by teacher forcing: greedy, the two symbols' probabilities at the first differing
 * step within DECODE.nearTieProb; beam, the two outputs' scores (Σ log p, the end symbol
 * included) within DECODE.nearTieLogp.
 *
 * Timing, per contestant and case: the check run (also the warm-up), then as many runs over
 * all the case's inputs as fit in DECODE.budgetSeconds at that speed (1..DECODE.maxRuns);
 * words/s = inputs / median run time. rnnkit's runs are Seq2Seq.translate calls (text in,
 * text out); PyTorch's the same from text to text (bench/torch_decode.py: translate).
 * TensorFlow.js is not a contestant here (tfjs-layers has no such model to run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Seq2Seq, tensor, useBackend, type Tensor } from '../src/index.js';
import { getBackend, wasmSupported } from '../src/backend/kernels.js';
import { budgetCount, median, timeOnce } from './stats.js';
import { runTorchScript, type TorchFound } from './torch.js';
import type { Target } from './workloads.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_decode.py');

export const DECODE = {
  units: 192,
  embeddingDim: 64,
  seed: 2024,
  dataSeed: 42,
  trainPairs: 1024,
  epochs: 3,
  learningRate: 0.01,
  trainBatchSize: 32,
  maxLength: 20,
  lengthPenalty: 0,
  /** Inputs of the batched cases, and of the one-word-at-a-time cases (the first ones of the same list). */
  inputs: 256,
  inputsBatch1: 64,
  budgetSeconds: 2,
  maxRuns: 3,
  minAgreement: 0.99,
  nearTieProb: 1e-4,
  nearTieLogp: 1e-4,
} as const;

export interface DecodeCase {
  name: string;
  beamWidth: number;
  batchSize: number;
  /** How many of the inputs it decodes. */
  count: number;
  targets: Target[];
}

export const DECODE_CASES: readonly DecodeCase[] = [
  { name: 'seq2seq-decode greedy b1', beamWidth: 1, batchSize: 1, count: DECODE.inputsBatch1, targets: [] },
  {
    name: 'seq2seq-decode greedy b64',
    beamWidth: 1,
    batchSize: 64,
    count: DECODE.inputs,
    targets: [{ label: 'faster than PyTorch 1T', vs: 'torch 1T', min: 1, rows: 'best' }],
  },
  { name: 'seq2seq-decode beam5 b1', beamWidth: 5, batchSize: 1, count: DECODE.inputsBatch1, targets: [] },
  { name: 'seq2seq-decode beam5 b64', beamWidth: 5, batchSize: 64, count: DECODE.inputs, targets: [] },
];

export const DECODE_TITLE =
  `Seq2Seq (characters → word tokens): Embedding(${DECODE.embeddingDim}) → Bidirectional LSTM(${DECODE.units / 2}+${DECODE.units / 2}) → ` +
  `LSTM(${DECODE.units}) decoder + dot attention (learned scale) → Dense(${DECODE.units}, tanh) → Dense(softmax); maxLength ${DECODE.maxLength}; ` +
  `greedy and beam 5, one word at a time (${DECODE.inputsBatch1} words) and 64 at a time (${DECODE.inputs} words)`;

export interface DecodeCheck {
  reference: string;
  line: string;
  ok: boolean;
}

export interface DecodeRow {
  workload: string;
  contestant: string;
  framework: 'rnnkit' | 'torch';
  ranOn: string;
  status: 'ok' | 'n/a' | 'error';
  wordsPerSecond: number;
  times: number[];
  perRun: number;
  note?: string;
  check?: DecodeCheck;
}

export interface DecodeResult {
  rows: DecodeRow[];
  /** What the model and its outputs look like (printed under the table). */
  summary: string;
}

// ---------------------------------------------------------------- data

const LETTERS = "abcdefghijklmnopqrstuvwxyz'-".split('');
const VOWELS = new Set('aeiouy');
const PHONEMES = 'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(' ');

/**
 * The toy pronunciation: letter c → before[c] when a vowel follows, else other[c] (x: both);
 * a letter equal to the previous one, ' and - are silent. Every phoneme is used.
 */
function makeRule(seed: number): (word: string) => string[] {
  const rng = new Rng(seed);
  const ph = [...PHONEMES];
  rng.shuffle(ph);
  const before = new Map<string, string>();
  const other = new Map<string, string>();
  const letters = LETTERS.filter((c) => /[a-z]/.test(c));
  letters.forEach((c, i) => {
    before.set(c, ph[i % ph.length]!);
    other.set(c, ph[(i + letters.length) % ph.length]!);
  });
  return (word) => {
    const out: string[] = [];
    for (let i = 0; i < word.length; i++) {
      const c = word[i]!;
      if (!before.has(c) || (i > 0 && word[i - 1] === c)) continue;
      const next = word[i + 1];
      if (c === 'x') out.push(before.get(c)!, other.get(c)!);
      else out.push(next !== undefined && VOWELS.has(next) ? before.get(c)! : other.get(c)!);
    }
    return out;
  };
}

/** Distinct random words of 3..12 letters with their pronunciations: the training pairs, then the timed inputs. */
export function decodeData(): { pairs: [string, string][]; inputs: string[]; truths: string[] } {
  const rng = new Rng(DECODE.dataSeed);
  const rule = makeRule(DECODE.dataSeed + 1);
  const seen = new Set<string>();
  const words: [string, string][] = [];
  while (words.length < DECODE.trainPairs + DECODE.inputs) {
    const n = 3 + rng.int(10);
    let w = '';
    for (let i = 0; i < n; i++) w += LETTERS[rng.int(LETTERS.length)]!;
    const p = rule(w);
    if (p.length === 0 || seen.has(w)) continue;
    seen.add(w);
    words.push([w, p.join(' ')]);
  }
  const held = words.slice(DECODE.trainPairs);
  return { pairs: words.slice(0, DECODE.trainPairs), inputs: held.map((p) => p[0]), truths: held.map((p) => p[1]) };
}

// ---------------------------------------------------------------- rnnkit

function build(backendName: 'ts' | 'wasm', pairs: readonly (readonly [string, string])[]): Seq2Seq {
  useBackend(backendName); // layers take their kernels when they are built
  return Seq2Seq.forPairs(pairs, { tokens: { source: 'char', target: 'word' }, units: DECODE.units, bidirectional: true, attention: 'dot', embeddingDim: DECODE.embeddingDim, seed: DECODE.seed });
}

/** The check run, then the timed runs (see the header). */
async function timeRuns(run: () => string[]): Promise<{ outputs: string[]; times: number[] }> {
  let outputs: string[] = [];
  const first = await timeOnce(() => (outputs = run()));
  const runs = budgetCount(first, DECODE.budgetSeconds, 1, DECODE.maxRuns);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(await timeOnce(run));
  return { outputs, times };
}

// ---------------------------------------------------------------- check

/** Probabilities [len + 1, V] of the symbols of `target` (then the end symbol) after `source`, teacher-forced. */
function forced(s: Seq2Seq, backendName: 'ts' | 'wasm', source: string, target: readonly number[]): { p: Float32Array; V: number } {
  useBackend(backendName);
  const src = s.source.encode(source);
  const tgtIn = [1, ...target]; // EOS starts the target
  const y = s.model.predict([tensor(Float32Array.from(src), [1, src.length]), tensor(Float32Array.from(tgtIn), [1, tgtIn.length])]);
  return { p: Float32Array.from(y.data), V: s.target.size };
}

/** Σ log p of an output, the end symbol included unless the output was cut at maxLength. */
function score(s: Seq2Seq, b: 'ts' | 'wasm', source: string, ids: readonly number[]): number {
  const { p, V } = forced(s, b, source, ids);
  let sum = 0;
  ids.forEach((id, t) => (sum += Math.log(Math.max(p[t * V + id]!, 1e-45))));
  if (ids.length < DECODE.maxLength) sum += Math.log(Math.max(p[ids.length * V + 1]!, 1e-45));
  return sum;
}

/** How close the reference model finds two different outputs (see the header): the gap and whether it is a near-tie. */
function nearTie(s: Seq2Seq, b: 'ts' | 'wasm', beam: boolean, source: string, ours: string, theirs: string): { gap: number; tie: boolean } {
  const a = s.target.encode(ours);
  const c = s.target.encode(theirs);
  if (beam) {
    const gap = Math.abs(score(s, b, source, a) - score(s, b, source, c));
    return { gap, tie: gap <= DECODE.nearTieLogp };
  }
  let d = 0;
  while (d < a.length && d < c.length && a[d] === c[d]) d++;
  const at = (x: number[]): number => (d < x.length ? x[d]! : 1);
  const { p, V } = forced(s, b, source, a);
  const gap = Math.abs(p[d * V + at(a)]! - p[d * V + at(c)]!);
  return { gap, tie: gap <= DECODE.nearTieProb };
}

function check(refModel: Seq2Seq, refBackend: 'ts' | 'wasm', refLabel: string, c: DecodeCase, inputs: readonly string[], ref: readonly string[], outs: readonly string[]): DecodeCheck {
  if (outs.length !== ref.length) return { reference: refLabel, line: `${outs.length} outputs for ${ref.length} inputs`, ok: false };
  let same = 0;
  const diffs: string[] = [];
  let allTies = true;
  for (let i = 0; i < ref.length; i++) {
    if (outs[i] === ref[i]) {
      same++;
      continue;
    }
    const t = nearTie(refModel, refBackend, c.beamWidth > 1, inputs[i]!, ref[i]!, outs[i]!);
    allTies &&= t.tie;
    diffs.push(`${JSON.stringify(inputs[i])}: ${JSON.stringify(outs[i])} vs ${JSON.stringify(ref[i])} (${c.beamWidth > 1 ? 'score' : 'probability'} gap ${t.gap.toExponential(1)}${t.tie ? ', near-tie' : ', NOT a near-tie'})`);
  }
  const ok = same / ref.length >= DECODE.minAgreement && allTies;
  const tol = c.beamWidth > 1 ? `score gap ≤ ${DECODE.nearTieLogp}` : `probability gap ≤ ${DECODE.nearTieProb}`;
  const line =
    `${same}/${ref.length} outputs identical (token sequences)` +
    (diffs.length === 0 ? '' : `; ${diffs.length} differ: ${diffs.slice(0, 5).join('; ')}${diffs.length > 5 ? '; …' : ''}`) +
    (ok ? '' : ` (need ≥ ${DECODE.minAgreement * 100}% identical, the rest near-ties: ${tol})`);
  return { reference: refLabel, line, ok };
}

// ---------------------------------------------------------------- PyTorch

interface TorchDecodeRun {
  version: string;
  threads: number;
  results: Record<string, { outputs?: string[]; times?: number[]; perRun?: number; error?: string }>;
}

function writeTorchManifest(dir: string, s: Seq2Seq, weights: readonly Tensor[], inputs: readonly string[]): object {
  const names = s.model.weightPaths();
  return {
    plan: { budgetSeconds: DECODE.budgetSeconds, maxRuns: DECODE.maxRuns },
    model: {
      units: DECODE.units,
      embeddingDim: DECODE.embeddingDim,
      sourceSymbols: [...s.source.chars],
      targetSymbols: [...s.target.chars],
      maxLength: DECODE.maxLength,
      lengthPenalty: DECODE.lengthPenalty,
    },
    weights: weights.map((w, i) => {
      const file = `w${i}.f32`;
      fs.writeFileSync(path.join(dir, file), new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
      return { file, shape: [...w.shape], name: names[i]! };
    }),
    cases: DECODE_CASES.map((c) => ({ name: c.name, beamWidth: c.beamWidth, batchSize: c.batchSize, inputs: inputs.slice(0, c.count) })),
  };
}

// ---------------------------------------------------------------- the workload

/**
 * Trains the model, then runs every case on each rnnkit backend, then on PyTorch with each
 * thread count (a child process per thread count, after the rnnkit rows); checks every row's
 * outputs against the reference row's.
 */
export async function benchSeq2SeqDecode(backends: readonly ('ts' | 'wasm')[], torch: TorchFound | null, torchThreads: readonly number[], note: (line: string) => void): Promise<DecodeResult> {
  const { pairs, inputs, truths } = decodeData();
  const trainOn = wasmSupported() ? 'wasm' : 'ts';
  note(`seq2seq-decode: training the model (${pairs.length} pairs, ${DECODE.epochs} epochs, on ${trainOn})`);
  const trained = build(trainOn, pairs);
  const trainStart = performance.now();
  const h = await trained.fit(pairs, { epochs: DECODE.epochs, batchSize: DECODE.trainBatchSize, learningRate: DECODE.learningRate, verbose: 0, seed: DECODE.seed });
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const loss = h.history.loss![h.history.loss!.length - 1]!;
  const weights = trained.model.getWeights().map((w) => tensor(Float32Array.from(w.data), [...w.shape]));

  const rows: DecodeRow[] = [];
  const refs = new Map<string, string[]>(); // case → the reference row's outputs
  let ref: { model: Seq2Seq; backend: 'ts' | 'wasm'; label: string } | null = null;
  for (const b of backends) {
    const label = `rnnkit ${b}`;
    if (b === 'wasm' && !wasmSupported()) {
      for (const c of DECODE_CASES) rows.push({ workload: c.name, contestant: label, framework: 'rnnkit', ranOn: '', status: 'n/a', wordsPerSecond: NaN, times: [], perRun: 0, note: 'WebAssembly SIMD is not available' });
      continue;
    }
    const s = build(b, pairs);
    s.model.setWeights(weights);
    ref ??= { model: s, backend: b, label };
    for (const c of DECODE_CASES) {
      note(`${c.name}: ${label}`);
      const words = inputs.slice(0, c.count);
      try {
        const r = await timeRuns(() => {
          useBackend(b);
          return s.translate(words, { beamWidth: c.beamWidth, batchSize: c.batchSize, maxLength: DECODE.maxLength, lengthPenalty: DECODE.lengthPenalty });
        });
        const row: DecodeRow = { workload: c.name, contestant: label, framework: 'rnnkit', ranOn: getBackend(), status: 'ok', wordsPerSecond: words.length / median(r.times), times: r.times, perRun: words.length };
        if (!refs.has(c.name)) refs.set(c.name, r.outputs);
        else row.check = check(ref.model, ref.backend, ref.label, c, words, refs.get(c.name)!, r.outputs);
        rows.push(row);
      } catch (e) {
        rows.push({ workload: c.name, contestant: label, framework: 'rnnkit', ranOn: getBackend(), status: 'error', wordsPerSecond: NaN, times: [], perRun: 0, note: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  if (torch !== null) {
    if ('version' in torch) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-bench-decode-'));
      try {
        const manifest = writeTorchManifest(dir, trained, weights, inputs);
        for (const n of torchThreads) {
          note(`seq2seq-decode: PyTorch, ${n} thread${n > 1 ? 's' : ''}`);
          const label = `torch ${n}T`;
          const ranOn = `${n} thread${n > 1 ? 's' : ''}`;
          let out: TorchDecodeRun | null = null;
          let failure = '';
          try {
            out = runTorchScript(torch.python, SCRIPT, dir, { threads: n, ...manifest }, n) as TorchDecodeRun;
          } catch (e) {
            failure = e instanceof Error ? e.message : String(e);
          }
          for (const c of DECODE_CASES) {
            const r = out?.results[c.name];
            if (r === undefined || r.error !== undefined || r.outputs === undefined || r.times === undefined) {
              rows.push({ workload: c.name, contestant: label, framework: 'torch', ranOn, status: 'error', wordsPerSecond: NaN, times: [], perRun: 0, note: r?.error ?? (failure || 'no result') });
              continue;
            }
            const row: DecodeRow = { workload: c.name, contestant: label, framework: 'torch', ranOn, status: 'ok', wordsPerSecond: r.perRun! / median(r.times), times: r.times, perRun: r.perRun! };
            const words = inputs.slice(0, c.count);
            if (ref !== null && refs.has(c.name)) row.check = check(ref.model, ref.backend, ref.label, c, words, refs.get(c.name)!, r.outputs);
            else row.note = 'not checked: no rnnkit reference row';
            rows.push(row);
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } else {
      for (const c of DECODE_CASES) for (const n of torchThreads) rows.push({ workload: c.name, contestant: `torch ${n}T`, framework: 'torch', ranOn: '', status: 'n/a', wordsPerSecond: NaN, times: [], perRun: 0, note: 'not installed' });
    }
  }

  // What the outputs look like: lengths, and how many were cut at maxLength (reference row, batched greedy and beam).
  const lengths = (name: string): string => {
    const o = refs.get(name);
    if (o === undefined) return 'n/a';
    const lens = o.map((x) => (x === '' ? 0 : x.split(' ').length));
    const cut = lens.filter((l) => l >= DECODE.maxLength).length;
    const right = o.filter((x, i) => x === truths[i]).length;
    return `lengths ${Math.min(...lens)}–${Math.max(...lens)} (mean ${(lens.reduce((p, q) => p + q, 0) / lens.length).toFixed(1)}), ${cut}/${lens.length} cut at maxLength, ${right}/${lens.length} equal to the rule's`;
  };
  const summary =
    `seq2seq-decode: ${DECODE_TITLE}; ${trained.source.chars.length} source and ${trained.target.chars.length} target symbols (+ padding, end, unknown). Trained on ${trainOn} for the bench: ${pairs.length} synthetic pairs (toy letter→phoneme rule), ${DECODE.epochs} epochs, ` +
    `lr ${DECODE.learningRate}, batch ${DECODE.trainBatchSize}, ${trainSeconds.toFixed(1)} s, final loss ${loss.toFixed(3)}; ` +
    `reference outputs (${ref?.label ?? 'none'}): greedy ${lengths(DECODE_CASES[1]!.name)}; beam 5 ${lengths(DECODE_CASES[3]!.name)}. ` +
    `words/s = words translated (text to text) per second, median of up to ${DECODE.maxRuns} runs after the check run (bench/seq2seqDecodeBench.ts, bench/torch_decode.py).`;
  return { rows, summary };
}
