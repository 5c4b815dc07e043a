/**
 * TextGenerator: a character-level language model —
 *   Embedding(V, E, maskZero) → stacked SimpleRNN/LSTM/GRU(units, returnSequences) → Dense(V, softmax)
 * trained with sparse categorical cross-entropy (padding masked) and Adam, sampled one
 * character at a time through model.stream() (O(1) work per character, the prefix fed
 * through the network first), scored in nats per character, saved with its vocabulary
 * inside model.json (userDefinedMetadata). Browser-safe: saving to a path and load() use
 * Node's file system through the library's dynamic imports; save(handler) works anywhere.
 */
import { Rng, mixSeeds, nextSeed } from '../core/rng.js';
import { checkOptions, show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { layers } from '../layers/index.js';
import { Embedding } from '../layers/embedding.js';
import { Dense } from '../layers/dense.js';
import { Recurrent } from '../layers/recurrent.js';
import { losses } from '../losses/index.js';
import { optimizers } from '../optimizers/index.js';
import { Sequential } from '../models/sequential.js';
import type { Model, SaveHandler } from '../models/model.js';
import { releaseBuffers } from '../layers/layer.js';
import { loadModel, sourceName, taskMetadata, type LoadOptions } from '../models/loadModel.js';
import type { Callback, History } from '../models/callback.js';
import type { ProgressSink } from '../models/progbar.js';
import type { Stream, StreamPrecision } from '../models/stream.js';
import { EOS, PAD, UNK, Vocabulary, formatUnknown, type VocabularyJSON } from './vocabulary.js';
import { lineDataset, windowDataset } from './datasets.js';
import { checkSamplingOptions, sampleIndex } from '../core/sampling.js';

export type CellType = 'lstm' | 'gru' | 'simple';
/** 'lines': one example per line, EOS ends each; 'text': running text in sliding windows. */
export type CorpusMode = 'lines' | 'text';

export interface TextGeneratorArgs {
  /** The character vocabulary (Vocabulary.fromCorpus). */
  vocab: Vocabulary;
  /** Recurrent cell. Default 'lstm'. */
  cell?: CellType;
  /** Units per recurrent layer. Default 128. */
  units?: number;
  /** Stacked recurrent layers. Default 1. */
  layers?: number;
  /** Embedding width. Default 16. */
  embeddingDim?: number;
  /** Seed for the initial weights; default drawn from the global seed (setSeed). */
  seed?: number;
}

export interface TextFitOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam learning rate (used when the model is first compiled). Default 0.01. */
  learningRate?: number;
  /** Fraction of the examples held out for validation, chosen at random (seeded) — not the end of the corpus. Default 0. */
  validationSplit?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback | readonly Callback[];
  /** Seed for the split and the shuffling. Default drawn from the global seed. */
  seed?: number;
  /** Lines: longest line kept (default: the longest line). */
  maxLength?: number;
  /** Running text: window length. Default 100. */
  seqLength?: number;
  /** Running text: characters between windows. Default seqLength. */
  stride?: number;
  progressSink?: ProgressSink;
  /** Data-parallel shards (see Model.fit's workers). Default 'auto'. */
  workers?: number | 'auto';
}

export interface SampleOptions {
  /** Text to continue; fed through the network before sampling. Default ''. */
  prefix?: string;
  /** > 0; lower is more conservative (→ 0: always the most likely character). Default 1. */
  temperature?: number;
  /** Draw only among the k most likely characters (≥ 1). Default: no limit. */
  topK?: number;
  /** Longest result in characters, prefix included. Default: the longest training line (lines) or 200 (text). */
  maxLength?: number;
  /** Seed; the same seed gives the same text. Default drawn from the global seed. */
  seed?: number;
  /**
   * 'int8': sample through model.stream({precision: 'int8'}) — the LSTM's recurrent product in
   * 8-bit weights (faster at batch 1; an LSTM model on the wasm backend). Default 'float32'.
   */
  precision?: StreamPrecision;
}

export interface TextEvaluation {
  /** Mean cross-entropy per predicted character, in nats (lines: every character and each line's end). */
  crossEntropy: number;
  /** exp(crossEntropy). */
  perplexity: number;
  /** crossEntropy / ln 2. */
  bitsPerChar: number;
  /** Number of predictions scored. */
  predictions: number;
}

/** What save() puts in model.json's userDefinedMetadata under METADATA_KEY. */
export interface TextGeneratorMetadata {
  version: 1;
  vocabulary: VocabularyJSON;
  cell: CellType;
  units: number;
  layers: number;
  embeddingDim: number;
  mode: CorpusMode;
  /** Longest training line (lines mode) or window length (text mode). */
  maxLength: number;
}

export const METADATA_KEY = 'rnnkitTextGenerator';
const CELLS: readonly CellType[] = ['lstm', 'gru', 'simple'];
/** Texts generated together by sampleMany (rows of one batch). */
const SAMPLE_BATCH = 64;

function posInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${show(v)}`);
  return v;
}

export class TextGenerator {
  readonly vocab: Vocabulary;
  readonly model: Model;
  readonly cell: CellType;
  readonly units: number;
  readonly numLayers: number;
  readonly embeddingDim: number;
  /** Set by fit (or load): how the corpus was cut into examples. */
  mode: CorpusMode = 'lines';
  /** Longest training line (lines) or window length (text); 0 before fit. */
  maxLength = 0;
  /** Streams kept for reuse: batch size 1 (sample, evaluate) and SAMPLE_BATCH (sampleMany). */
  /** Sampling streams by batch size and precision ('1:float32'). */
  private readonly streams = new Map<string, Stream>();
  private readonly scratch: Float64Array;
  private readonly stepInput = new Tensor(new Float32Array(1), [1]);

  constructor(args: TextGeneratorArgs, model?: Model) {
    const where = 'TextGenerator';
    checkOptions(args, ['vocab', 'cell', 'units', 'layers', 'embeddingDim', 'seed'], where);
    if (!(args.vocab instanceof Vocabulary)) throw new TypeError(`${where}: vocab must be a Vocabulary (Vocabulary.fromCorpus(text))`);
    this.vocab = args.vocab;
    this.cell = args.cell ?? 'lstm';
    if (!CELLS.includes(this.cell)) throw new RangeError(`${where}: cell must be one of ${CELLS.join(', ')}, got ${show(args.cell)}`);
    this.units = args.units === undefined ? 128 : posInt(args.units, `${where}: units`);
    this.numLayers = args.layers === undefined ? 1 : posInt(args.layers, `${where}: layers`);
    this.embeddingDim = args.embeddingDim === undefined ? 16 : posInt(args.embeddingDim, `${where}: embeddingDim`);
    if (args.seed !== undefined && (!Number.isInteger(args.seed) || args.seed < 0)) throw new RangeError(`${where}: seed must be a non-negative integer, got ${show(args.seed)}`);
    const V = this.vocab.size;
    this.scratch = new Float64Array(V);
    if (model !== undefined) {
      this.model = model;
      return;
    }
    const seed = (k: number): number | undefined => (args.seed === undefined ? undefined : (args.seed + k) >>> 0);
    const m = new Sequential();
    m.add(layers.embedding({ inputDim: V, outputDim: this.embeddingDim, maskZero: true, inputShape: [null], seed: seed(0) }));
    for (let i = 0; i < this.numLayers; i++) {
      const rnnArgs = { units: this.units, returnSequences: true, seed: seed(1 + i) };
      m.add(this.cell === 'lstm' ? layers.lstm(rnnArgs) : this.cell === 'gru' ? layers.gru(rnnArgs) : layers.simpleRNN(rnnArgs));
    }
    m.add(layers.dense({ units: V, activation: 'softmax', seed: seed(1000) }));
    this.model = m;
  }

  /**
   * Train on lines (an array: one example per line, empty lines skipped) or running text
   * (a string: sliding windows). Returns fit's History.
   */
  async fit(corpus: string | readonly string[], options: TextFitOptions = {}): Promise<History> {
    const where = 'TextGenerator.fit';
    checkOptions(options, ['epochs', 'batchSize', 'learningRate', 'validationSplit', 'verbose', 'callbacks', 'seed', 'maxLength', 'seqLength', 'stride', 'progressSink', 'workers'], where);
    const seed = options.seed ?? nextSeed();
    let ds;
    if (typeof corpus === 'string') {
      this.mode = 'text';
      ds = windowDataset(corpus, this.vocab, { seqLength: options.seqLength, stride: options.stride });
      this.maxLength = ds.x.shape[1]!;
    } else if (Array.isArray(corpus)) {
      this.mode = 'lines';
      const lines = corpus.filter((l) => l.length > 0);
      if (lines.length === 0) throw new RangeError(`${where}: the corpus has no non-empty lines`);
      ds = lineDataset(lines, this.vocab, { maxLength: options.maxLength });
      this.maxLength = ds.x.shape[1]! - 1;
    } else throw new TypeError(`${where}: expected lines (string[]) or text (string)`);
    // Shuffle the examples once (seeded) so validationSplit, which Keras takes from the end,
    // holds out a random fraction rather than one end of a sorted list.
    const [N, T] = ds.x.shape as [number, number];
    const order = Array.from({ length: N }, (_, i) => i);
    new Rng(seed).shuffle(order);
    const x = new Float32Array(N * T);
    const y = new Float32Array(N * T);
    order.forEach((src, dst) => {
      x.set(ds.x.data.subarray(src * T, src * T + T), dst * T);
      y.set(ds.y.data.subarray(src * T, src * T + T), dst * T);
    });
    if (this.model.optimizer === null) {
      const lr = options.learningRate ?? 0.01;
      if (typeof lr !== 'number' || !(lr > 0)) throw new RangeError(`${where}: learningRate must be a number > 0, got ${show(lr)}`);
      this.model.compile({ optimizer: optimizers.adam({ learningRate: lr, globalClipnorm: 5 }), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
    }
    this.streams.clear();
    return this.model.fit(new Tensor(x, [N, T]), new Tensor(y, [N, T]), {
      epochs: options.epochs ?? 10,
      batchSize: options.batchSize ?? 32,
      validationSplit: options.validationSplit,
      verbose: options.verbose ?? 1,
      callbacks: options.callbacks,
      seed: (seed ^ 0x5f3759df) >>> 0, // unsigned: a negative seed is refused by fit
      progressSink: options.progressSink,
      workers: options.workers,
    });
  }

  private stream(batchSize = 1, precision: StreamPrecision = 'float32'): Stream {
    const key = `${batchSize}:${precision}`;
    let s = this.streams.get(key);
    if (s === undefined) {
      s = this.model.stream({ batchSize, precision });
      // A last, partial batch of sampleMany gets a stream of its own, not kept.
      if (batchSize === 1 || batchSize === SAMPLE_BATCH) this.streams.set(key, s);
    }
    return s;
  }

  /** Check sample options and encode the prefix (RangeError naming unknown characters). */
  private prepareSample(options: SampleOptions, where: string): { prefix: number[]; maxLength: number } {
    checkOptions(options, ['prefix', 'temperature', 'topK', 'maxLength', 'seed', 'precision'], where);
    checkSamplingOptions(options.temperature, options.topK, where);
    const prefixText = options.prefix ?? '';
    if (typeof prefixText !== 'string') throw new TypeError(`${where}: prefix must be a string`);
    const unknown = this.vocab.unknownChars(prefixText);
    if (unknown.length > 0) throw new RangeError(`${where}: prefix ${JSON.stringify(prefixText)}: ${formatUnknown(unknown)} not in the vocabulary`);
    const maxLength = options.maxLength === undefined ? (this.mode === 'lines' ? Math.max(this.maxLength, 1) : 200) : posInt(options.maxLength, `${where}: maxLength`);
    if (options.seed !== undefined && (!Number.isInteger(options.seed) || options.seed < 0)) throw new RangeError(`${where}: seed must be a non-negative integer, got ${show(options.seed)}`);
    return { prefix: this.vocab.encode(prefixText), maxLength };
  }

  /**
   * Generate one text: the prefix is fed through the network, then characters are drawn
   * one at a time (state carried) until the end-of-sequence token or maxLength characters.
   * Returns the prefix followed by the generated characters.
   */
  sample(options: SampleOptions = {}): string {
    const { prefix, maxLength } = this.prepareSample(options, 'TextGenerator.sample');
    return this.generate(prefix, maxLength, options, [new Rng(options.seed ?? nextSeed())])[0]!;
  }

  /**
   * `count` texts, generated SAMPLE_BATCH at a time as the rows of one batch (a product
   * per step instead of a vector product per text: several times the characters per
   * second). Text i draws from its own generator, seeded from `seed` and i, so the same
   * seed gives the same texts.
   */
  sampleMany(count: number, options: SampleOptions = {}): string[] {
    posInt(count, 'TextGenerator.sampleMany: count');
    const { prefix, maxLength } = this.prepareSample(options, 'TextGenerator.sampleMany');
    const seed = options.seed ?? nextSeed();
    const texts: string[] = [];
    for (let first = 0; first < count; first += SAMPLE_BATCH) {
      const rngs = Array.from({ length: Math.min(SAMPLE_BATCH, count - first) }, (_, i) => new Rng(mixSeeds(seed, first + i)));
      texts.push(...this.generate(prefix, maxLength, options, rngs));
    }
    return texts;
  }

  /**
   * One text per generator, as the rows of one stream: the prefix is fed through the
   * network, then each row draws one character at a time (state carried) until the
   * end-of-sequence token or maxLength characters. Returns prefix + generated characters.
   */
  private generate(prefix: number[], maxLength: number, options: SampleOptions, rngs: Rng[]): string[] {
    const V = this.vocab.size;
    const rows = rngs.length;
    const s = this.stream(rows, options.precision);
    s.reset();
    // Lines start from the EOS token (as in training); running text from the prefix itself,
    // or from a character drawn uniformly when there is none.
    const starts = rngs.map((rng) => (this.mode === 'lines' ? [EOS, ...prefix] : prefix.length > 0 ? prefix : [3 + rng.int(this.vocab.chars.length)]));
    const L = starts[0]!.length;
    const outs = starts.map((start) => (this.mode === 'lines' ? [...prefix] : [...start]));
    const first = new Float32Array(rows * L);
    starts.forEach((start, r) => first.set(start, r * L));
    const probs = s.step(new Tensor(first, [rows, L])).data;
    const banned = this.mode === 'lines' ? [PAD, UNK] : [PAD, UNK, EOS];
    const opts = { temperature: options.temperature, topK: options.topK, banned };
    const done = outs.map((out) => out.length >= maxLength);
    let active = done.filter((d) => !d).length;
    const input = rows === 1 ? this.stepInput.data : new Float32Array(rows);
    // The prefix's last step gives the first draws; then each step feeds the drawn tokens
    // and draws the next ones in one call (stream.sampleNext: no copy of the probabilities).
    let next: ArrayLike<number> = Int32Array.from({ length: rows }, (_, r) => (done[r] ? EOS : sampleIndex(probs, (r * L + L - 1) * V, V, rngs[r]!, opts, this.scratch)));
    while (active > 0) {
      for (let r = 0; r < rows; r++) {
        // A finished row still steps (its draws unused: each row has its own generator) on a
        // token that is not padding, which would mask the step and take every row off the fused step.
        input[r] = EOS;
        if (done[r]) continue;
        const id = next[r]!;
        const out = outs[r]!;
        if (id !== EOS) out.push(id);
        if (id === EOS || out.length >= maxLength) {
          done[r] = true;
          active--;
        } else input[r] = id;
      }
      if (active === 0) break;
      next = s.sampleNext(input, rngs, opts);
    }
    return outs.map((out) => this.vocab.decode(out));
  }

  /**
   * Cross-entropy per character in nats on lines (string[]; or a string split into lines in
   * 'lines' mode), or on running text (a string in 'text' mode: every character after the first,
   * predicted from all before it).
   */
  evaluate(corpus: string | readonly string[]): TextEvaluation {
    const where = 'TextGenerator.evaluate';
    const V = this.vocab.size;
    let sum = 0;
    let n = 0;
    if (this.mode === 'lines') {
      const lines = (typeof corpus === 'string' ? corpus.split(/\r?\n/) : [...corpus]).filter((l) => l.length > 0);
      if (lines.length === 0) throw new RangeError(`${where}: no non-empty lines to score`);
      const ds = lineDataset(lines, this.vocab);
      const probs = this.model.predict(ds.x, { batchSize: 256 }).data;
      const y = ds.y.data;
      for (let i = 0; i < y.length; i++) {
        const target = y[i]!;
        if (target === PAD) continue;
        sum -= Math.log(Math.max(probs[i * V + target]!, 1e-30));
        n++;
      }
    } else {
      const text = typeof corpus === 'string' ? corpus : corpus.join('\n');
      const unknown = this.vocab.unknownChars(text);
      if (unknown.length > 0) throw new RangeError(`${where}: ${formatUnknown(unknown)} not in the vocabulary`);
      const ids = this.vocab.encode(text);
      if (ids.length < 2) throw new RangeError(`${where}: needs at least 2 characters of text`);
      const s = this.stream();
      s.reset();
      const CHUNK = 1024;
      for (let start = 0; start < ids.length - 1; start += CHUNK) {
        const end = Math.min(start + CHUNK, ids.length - 1);
        const probs = s.step(new Tensor(Float32Array.from(ids.slice(start, end)), [1, end - start])).data;
        for (let t = start; t < end; t++) {
          sum -= Math.log(Math.max(probs[(t - start) * V + ids[t + 1]!]!, 1e-30));
          n++;
        }
      }
    }
    const ce = sum / n;
    return { crossEntropy: ce, perplexity: Math.exp(ce), bitsPerChar: ce / Math.LN2, predictions: n };
  }

  /** Cross-entropy per character in nats (see evaluate). */
  crossEntropy(corpus: string | readonly string[]): number {
    return this.evaluate(corpus).crossEntropy;
  }

  /** exp(cross-entropy per character): the per-character perplexity (see evaluate). */
  perplexity(corpus: string | readonly string[]): number {
    return this.evaluate(corpus).perplexity;
  }

  /** The metadata that save() stores. */
  metadata(): TextGeneratorMetadata {
    return { version: 1, vocabulary: this.vocab.toJSON(), cell: this.cell, units: this.units, layers: this.numLayers, embeddingDim: this.embeddingDim, mode: this.mode, maxLength: this.maxLength };
  }

  /** Save the model (with optimizer state) and the vocabulary in one model.json, to a directory (Node) or a handler. */
  async save(target: string | SaveHandler): Promise<void> {
    await this.model.save(target, { includeOptimizer: this.model.optimizer !== null, metadata: { [METADATA_KEY]: this.metadata() } });
  }

  /** Load what save() wrote; a model without a text generator's metadata is refused. */
  static async load(source: Parameters<typeof loadModel>[0], options: LoadOptions = {}): Promise<TextGenerator> {
    const model = await loadModel(source, options);
    return TextGenerator.fromModel(model, sourceName(source));
  }

  /** Wrap a loaded model whose metadata holds a text generator's (see save). */
  static fromModel(model: Model, where = 'the model'): TextGenerator {
    const { meta, not } = taskMetadata<TextGeneratorMetadata>(model, METADATA_KEY, 'text generator', where);
    let vocab: Vocabulary;
    try {
      vocab = Vocabulary.fromJSON(meta.vocabulary);
    } catch (e) {
      throw not(`bad vocabulary (${(e as Error).message})`);
    }
    const first = model.layers[0];
    const last = model.layers[model.layers.length - 1];
    if (!(first instanceof Embedding) || first.inputDim !== vocab.size) throw not(`expected an Embedding of ${vocab.size} indices first`);
    if (!(last instanceof Dense) || last.units !== vocab.size) throw not(`expected a Dense layer of ${vocab.size} units last`);
    const rnns = model.layers.filter((l) => l instanceof Recurrent);
    if (rnns.length === 0) throw not('no recurrent layer');
    const gen = new TextGenerator(
      { vocab, cell: meta.cell ?? 'lstm', units: meta.units ?? (rnns[0] as Recurrent).units, layers: meta.layers ?? rnns.length, embeddingDim: meta.embeddingDim ?? first.outputDim },
      model,
    );
    gen.mode = meta.mode === 'text' ? 'text' : 'lines';
    gen.maxLength = typeof meta.maxLength === 'number' ? meta.maxLength : 0;
    return gen;
  }

  /**
   * Free the model's backend memory now (see Model.dispose), the sampling streams' states too; afterwards every use
   * throws "… was disposed".
   */
  dispose(): void {
    for (const s of this.streams.values()) releaseBuffers(s);
    this.streams.clear();
    this.model.dispose();
  }
}
