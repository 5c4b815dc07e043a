/**
 * Seq2Seq: turn one sequence into another of a different length — words into
 * pronunciations, dates into ISO form, one language into another. The Keras
 * lstm_seq2seq recipe as a first-class model: an encoder (stacked, optionally
 * bidirectional; LSTM or GRU) whose final states start a decoder of the same depth,
 * optionally with attention over the encoder's outputs (Luong 'dot', or Bahdanau
 * 'additive'; padding masked), trained with teacher forcing.
 *
 * Symbols are characters, or whitespace-separated tokens (Vocabulary mode 'word'); index
 * 0 pads, 1 starts and ends a target, 2 stands for an unknown symbol.
 *
 * Decoding reuses the trained layers in two inference graphs — the encoder (memory and
 * initial states) and one decoder step (previous symbol and states in, probabilities and
 * states out) — and advances every output one symbol at a time (decode.ts: greedy or
 * beam search), many inputs at once as the rows of one batch. A saved Seq2Seq is a plain
 * graph model (loadModel reads it) with the vocabularies and settings in its metadata.
 * Browser-safe.
 */
import { ModelFormatError, checkBoolean, checkOptions, checkPositiveInt, show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { backend } from '../backend/kernels.js';
import { Rng, nextSeed } from '../core/rng.js';
import { layers } from '../layers/index.js';
import { input } from '../layers/inputLayer.js';
import { releaseBuffers, type Layer } from '../layers/layer.js';
import type { SymbolicTensor } from '../layers/node.js';
import { model as graphModel, type Model, type SaveHandler } from '../models/model.js';
import type { Callback, History } from '../models/callback.js';
import type { ProgressSink } from '../models/progbar.js';
import { loadModel, sourceName, taskMetadata, type LoadOptions } from '../models/loadModel.js';
import { optimizers } from '../optimizers/index.js';
import { losses } from '../losses/index.js';
import { EOS, PAD, UNK, Vocabulary, formatUnknown, type VocabularyJSON, type VocabularyMode } from '../text/vocabulary.js';
import { decode, type DecoderStep } from './decode.js';
import { scoreSequences, type SequenceScores } from './metrics.js';

export type Seq2SeqCell = 'lstm' | 'gru';
export type Seq2SeqAttention = 'none' | 'dot' | 'additive';

export interface Seq2SeqArgs {
  /** The source symbols (Vocabulary.fromCorpus(sources), or with {mode: 'word'}). */
  source: Vocabulary;
  /** The target symbols. */
  target: Vocabulary;
  /** 'lstm' (default) or 'gru'. */
  cell?: Seq2SeqCell;
  /** State size of the decoder (and of the encoder's outputs). Default 128. */
  units?: number;
  /** Stacked layers in the encoder and in the decoder. Default 1. */
  layers?: number;
  /** A bidirectional encoder (each direction units/2; units must be even). Default false. */
  bidirectional?: boolean;
  /** Attention over the encoder outputs: 'dot' (Luong, learned scale; default), 'additive' (Bahdanau) or 'none' (lstm_seq2seq). */
  attention?: Seq2SeqAttention;
  /** Width of the symbol embeddings. Default 64. */
  embeddingDim?: number;
  /** Seed of the initial weights. Default drawn from the global seed. */
  seed?: number;
}

/** Symbols of each side: 'char' (default) or 'word' (whitespace-separated tokens), for both or per side. */
export type Seq2SeqTokens = VocabularyMode | { source?: VocabularyMode; target?: VocabularyMode };

export type Seq2SeqPairsArgs = Omit<Seq2SeqArgs, 'source' | 'target'> & { tokens?: Seq2SeqTokens };

export interface Seq2SeqFitOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Adam's learning rate (global gradient norm clipped at 5). Default 0.001. */
  learningRate?: number;
  /** Fraction of the pairs held out, chosen at random (seeded). Default 0. */
  validationSplit?: number;
  /** Held-out pairs to validate on instead (validationSplit is then not read, as in Keras). */
  validationData?: readonly (readonly [string, string])[];
  /** Default 1 (progress bar). */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback | readonly Callback[];
  /** Seed of the shuffling and the split. Default drawn from the global seed (setSeed). */
  seed?: number;
  progressSink?: ProgressSink;
  /** Data-parallel shards (see Model.fit's workers). Default 'auto'. */
  workers?: number | 'auto';
}

export interface TranslateOptions {
  /** Hypotheses kept per input: 1 = greedy (default), more = beam search. */
  beamWidth?: number;
  /** Most output symbols. Default: twice the longest training target, at least 10. */
  maxLength?: number;
  /** α of the beam's length penalty ((5 + length) / 6)^α. Default 0. */
  lengthPenalty?: number;
  /** A source symbol outside the vocabulary: 'error' (default) or 'map' to the unknown symbol. */
  unknown?: 'error' | 'map';
  /** Inputs decoded together as the rows of one batch. Default 64. */
  batchSize?: number;
}

export interface Seq2SeqEvaluation extends SequenceScores {
  /** The outputs, in the order of the distinct sources. */
  outputs: { source: string; output: string; references: string[] }[];
}

/** What translate and evaluate use when their options do not say (saved with the model). */
export interface DecodingDefaults {
  /** Default 1 (greedy). */
  beamWidth: number;
  /** Default 0. */
  lengthPenalty: number;
  /** null (default): twice the longest training target, at least 10. */
  maxLength: number | null;
}

export interface Seq2SeqMetadata {
  version: 1;
  source: VocabularyJSON;
  target: VocabularyJSON;
  cell: Seq2SeqCell;
  units: number;
  layers: number;
  bidirectional: boolean;
  attention: Seq2SeqAttention;
  embeddingDim: number;
  /** Longest training target (symbols): the default decoding limit is twice it. */
  maxTargetLength: number;
  decoding: DecodingDefaults;
}

const METADATA_KEY = 'seq2seq';
const CELLS: readonly Seq2SeqCell[] = ['lstm', 'gru'];
const ATTENTIONS: readonly Seq2SeqAttention[] = ['none', 'dot', 'additive'];

/** The trained layers, by the names they carry in the model. */
interface Parts {
  sourceEmbedding: Layer;
  targetEmbedding: Layer;
  encoders: Layer[];
  /** Bidirectional encoders: the layers joining each direction's state i (h, then c). */
  stateJoins: Layer[][];
  decoders: Layer[];
  attention: Layer | null;
  attentionConcat: Layer | null;
  attentionDense: Layer | null;
  output: Layer;
}

export class Seq2Seq {
  readonly source: Vocabulary;
  readonly target: Vocabulary;
  readonly cell: Seq2SeqCell;
  readonly units: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly attention: Seq2SeqAttention;
  readonly embeddingDim: number;
  /** The training model: [source ids, target ids shifted right] → target probabilities per step. */
  readonly model: Model;
  /** Longest training target, in symbols (0 before fit). */
  maxTargetLength = 0;
  /** Decoding settings translate and evaluate use by default (saved with the model; set with setDecoding). */
  get decoding(): Readonly<DecodingDefaults> {
    return this.decodingDefaults;
  }
  private decodingDefaults: DecodingDefaults = { beamWidth: 1, lengthPenalty: 0, maxLength: null };
  private readonly parts: Parts;
  private inference: { encoder: Model; step: Model } | null = null;
  private readonly buffers = new BufferPool();

  constructor(args: Seq2SeqArgs, model?: Model) {
    const where = 'Seq2Seq';
    checkOptions(args, ['source', 'target', 'cell', 'units', 'layers', 'bidirectional', 'attention', 'embeddingDim', 'seed'], where);
    if (!(args.source instanceof Vocabulary) || !(args.target instanceof Vocabulary)) throw new TypeError(`${where}: source and target must be Vocabulary objects (Vocabulary.fromCorpus)`);
    this.source = args.source;
    this.target = args.target;
    this.cell = args.cell ?? 'lstm';
    if (!CELLS.includes(this.cell)) throw new RangeError(`${where}: cell must be one of ${CELLS.join(', ')}, got ${show(args.cell)}`);
    this.units = checkPositiveInt(args.units ?? 128, `${where}: units`);
    this.numLayers = checkPositiveInt(args.layers ?? 1, `${where}: layers`);
    this.bidirectional = args.bidirectional === undefined ? false : checkBoolean(args.bidirectional, `${where}: bidirectional`);
    if (this.bidirectional && this.units % 2 !== 0) throw new RangeError(`${where}: a bidirectional encoder needs even units (each direction gets units/2), got ${this.units}`);
    this.attention = args.attention ?? 'dot';
    if (!ATTENTIONS.includes(this.attention)) throw new RangeError(`${where}: attention must be one of ${ATTENTIONS.join(', ')}, got ${show(args.attention)}`);
    this.embeddingDim = checkPositiveInt(args.embeddingDim ?? 64, `${where}: embeddingDim`);
    if (args.seed !== undefined && (!Number.isInteger(args.seed) || args.seed < 0)) throw new RangeError(`${where}: seed must be a non-negative integer, got ${show(args.seed)}`);
    if (model !== undefined) {
      this.model = model;
      this.parts = this.findParts(model);
      return;
    }
    this.parts = this.makeParts(args.seed);
    const src = input({ shape: [null], name: 'source' });
    const tgt = input({ shape: [null], name: 'target_in' });
    const { memory, states } = this.encode(src);
    const out = this.decodeSteps(tgt, states, memory).probs;
    this.model = graphModel({ inputs: [src, tgt], outputs: out, name: 'seq2seq' });
  }

  /**
   * A Seq2Seq whose vocabularies are the symbols of these pairs' sources and targets
   * (characters, or with `tokens` 'word', whitespace-separated tokens; per side with
   * {source, target}).
   */
  static forPairs(pairs: readonly (readonly [string, string])[], args: Seq2SeqPairsArgs = {}): Seq2Seq {
    const where = 'Seq2Seq.forPairs';
    const { tokens, ...rest } = args;
    const modes = typeof tokens === 'object' && tokens !== null ? tokens : { source: tokens, target: tokens };
    if (typeof tokens === 'object' && tokens !== null) checkOptions(tokens, ['source', 'target'], `${where}: tokens`);
    checkPairs(pairs, where);
    const vocab = (side: 0 | 1, mode: VocabularyMode | undefined): Vocabulary => {
      if (mode !== undefined && mode !== 'char' && mode !== 'word') throw new RangeError(`${where}: tokens must be 'char' or 'word', got ${show(mode)}`);
      return Vocabulary.fromCorpus(pairs.map((p) => p[side]), { mode });
    };
    return new Seq2Seq({ ...rest, source: vocab(0, modes.source), target: vocab(1, modes.target) });
  }

  private makeParts(seed: number | undefined): Parts {
    const s = (k: number): number | undefined => (seed === undefined ? undefined : (seed + k) >>> 0);
    const rnn = (units: number, name: string, k: number): Layer => {
      const a = { units, returnSequences: true, returnState: true, name, seed: s(k) };
      return this.cell === 'lstm' ? layers.lstm(a) : layers.gru(a);
    };
    const encoders: Layer[] = [];
    const stateJoins: Layer[][] = [];
    for (let i = 0; i < this.numLayers; i++) {
      if (this.bidirectional) {
        encoders.push(layers.bidirectional({ layer: rnn(this.units / 2, `encoder_${i}_cell`, 10 + i) as never, name: `encoder_${i}` }));
        stateJoins.push(Array.from({ length: this.stateCount }, (_, k) => layers.concatenate({ name: `encoder_${i}_state_${k}` })));
      } else encoders.push(rnn(this.units, `encoder_${i}`, 10 + i));
    }
    const attention = this.attention === 'none' ? null : this.attention === 'dot' ? layers.attention({ useScale: true, name: 'attention' }) : layers.additiveAttention({ name: 'attention' });
    return {
      sourceEmbedding: layers.embedding({ inputDim: this.source.size, outputDim: this.embeddingDim, maskZero: true, name: 'source_embedding', seed: s(1) }),
      targetEmbedding: layers.embedding({ inputDim: this.target.size, outputDim: this.embeddingDim, maskZero: true, name: 'target_embedding', seed: s(2) }),
      encoders,
      stateJoins,
      decoders: Array.from({ length: this.numLayers }, (_, i) => rnn(this.units, `decoder_${i}`, 30 + i)),
      attention,
      attentionConcat: attention === null ? null : layers.concatenate({ name: 'attention_concat' }),
      attentionDense: attention === null ? null : layers.dense({ units: this.units, activation: 'tanh', name: 'attention_dense', seed: s(50) }),
      output: layers.dense({ units: this.target.size, activation: 'softmax', name: 'output', seed: s(60) }),
    };
  }

  /**
   * The trained layers of a loaded model, by name, checked against the settings (a model
   * that lacks one, or whose layer has another kind or size, is not this Seq2Seq).
   */
  private findParts(m: Model): Parts {
    const bad = (why: string): ModelFormatError => new ModelFormatError(`the model is not an rnnkit Seq2Seq: ${why}`);
    const get = (name: string, className: string, want: Record<string, unknown> = {}): Layer => {
      let layer: Layer;
      try {
        layer = m.getLayer(name);
      } catch {
        throw bad(`it has no layer '${name}'`);
      }
      if (layer.className !== className) throw bad(`layer '${name}' is a ${layer.className}, expected a ${className}`);
      const config = layer.getConfig() as Record<string, unknown>;
      const inner = className === 'Bidirectional' ? ((config.layer as { className?: string; config?: Record<string, unknown> } | undefined) ?? {}) : null;
      if (inner !== null && inner.className !== want.className) throw bad(`layer '${name}' wraps a ${String(inner.className)}, expected a ${String(want.className)}`);
      const have = inner === null ? config : (inner.config ?? {});
      for (const [key, value] of Object.entries(want)) {
        if (key !== 'className' && have[key] !== value) throw bad(`layer '${name}' has ${key} ${JSON.stringify(have[key])}, the settings say ${JSON.stringify(value)}`);
      }
      return layer;
    };
    const cell = this.cell === 'lstm' ? 'LSTM' : 'GRU';
    const rnn = { returnSequences: true, returnState: true };
    const n = this.numLayers;
    const range = (count: number, f: (i: number) => Layer): Layer[] => Array.from({ length: count }, (_, i) => f(i));
    const attention = this.attention === 'none' ? null : get('attention', this.attention === 'dot' ? 'Attention' : 'AdditiveAttention');
    return {
      sourceEmbedding: get('source_embedding', 'Embedding', { inputDim: this.source.size, outputDim: this.embeddingDim, maskZero: true }),
      targetEmbedding: get('target_embedding', 'Embedding', { inputDim: this.target.size, outputDim: this.embeddingDim, maskZero: true }),
      encoders: range(n, (i) => (this.bidirectional ? get(`encoder_${i}`, 'Bidirectional', { className: cell, units: this.units / 2, ...rnn }) : get(`encoder_${i}`, cell, { units: this.units, ...rnn }))),
      stateJoins: this.bidirectional ? Array.from({ length: n }, (_, i) => range(this.stateCount, (k) => get(`encoder_${i}_state_${k}`, 'Concatenate'))) : [],
      decoders: range(n, (i) => get(`decoder_${i}`, cell, { units: this.units, ...rnn })),
      attention,
      attentionConcat: attention === null ? null : get('attention_concat', 'Concatenate'),
      attentionDense: attention === null ? null : get('attention_dense', 'Dense', { units: this.units }),
      output: get('output', 'Dense', { units: this.target.size, activation: 'softmax' }),
    };
  }

  /** States per recurrent layer: [h, c] for LSTM, [h] for GRU. */
  private get stateCount(): number {
    return this.cell === 'lstm' ? 2 : 1;
  }

  /** The encoder on source ids: its last layer's outputs (the memory) and each layer's final states. */
  private encode(src: SymbolicTensor): { memory: SymbolicTensor; states: SymbolicTensor[][] } {
    const p = this.parts;
    let x = p.sourceEmbedding.apply(src);
    const states: SymbolicTensor[][] = [];
    p.encoders.forEach((enc, i) => {
      const [seq, ...st] = enc.apply(x) as unknown as SymbolicTensor[];
      x = seq!;
      const S = this.stateCount;
      // Bidirectional: [forward h, c, backward h, c] → the decoder's state i joins both directions'.
      states.push(this.bidirectional ? Array.from({ length: S }, (_, k) => p.stateJoins[i]![k]!.apply([st[k]!, st[S + k]!])) : st);
    });
    return { memory: x, states };
  }

  /** The decoder on target ids from given states (and attention over the memory): probabilities and final states. */
  private decodeSteps(tgt: SymbolicTensor, states: SymbolicTensor[][], memory: SymbolicTensor | null): { probs: SymbolicTensor; states: SymbolicTensor[] } {
    const p = this.parts;
    let x = p.targetEmbedding.apply(tgt);
    const finals: SymbolicTensor[] = [];
    p.decoders.forEach((dec, i) => {
      const [seq, ...st] = dec.apply(x, { initialState: states[i]! }) as unknown as SymbolicTensor[];
      x = seq!;
      finals.push(...st);
    });
    if (p.attention !== null && memory !== null) {
      const context = p.attention.apply([x, memory]);
      x = p.attentionDense!.apply(p.attentionConcat!.apply([x, context]));
    }
    return { probs: p.output.apply(x), states: finals };
  }

  /** The inference graphs, built once from the trained layers. */
  private graphs(): { encoder: Model; step: Model } {
    if (this.inference !== null) return this.inference;
    const src = input({ shape: [null], name: 'source' });
    const { memory, states } = this.encode(src);
    const useMemory = this.attention !== 'none';
    const encoder = graphModel({ inputs: src, outputs: [...(useMemory ? [memory] : []), ...states.flat()], name: 'seq2seq_encoder' });
    const token = input({ shape: [null], name: 'token' });
    const stateInputs = states.map((st, i) => st.map((_, k) => input({ shape: [this.units], name: `state_${i}_${k}` })));
    // The memory's padding mask is given with it (StepRunner), as the encoder made it.
    const memoryIn = useMemory ? input({ shape: [null, this.units], name: 'memory' }) : null;
    const out = this.decodeSteps(token, stateInputs, memoryIn);
    const step = graphModel({ inputs: [token, ...stateInputs.flat(), ...(memoryIn === null ? [] : [memoryIn])], outputs: [out.probs, ...out.states], name: 'seq2seq_step' });
    this.inference = { encoder, step };
    return this.inference;
  }

  /** Pairs (taken in `order`) → padded [source], [start, target], [target, end] id tensors. */
  private tensors(pairs: readonly (readonly [string, string])[], order: readonly number[], where: string): { src: Tensor; tgtIn: Tensor; tgtOut: Tensor; maxTarget: number } {
    const srcAll = pairs.map(([s], i) => this.encodeSide(this.source, s, `${where}: pair ${i + 1}, source`));
    const tgtAll = pairs.map(([, t], i) => this.encodeSide(this.target, t, `${where}: pair ${i + 1}, target`));
    const srcIds = order.map((i) => srcAll[i]!);
    const tgtIds = order.map((i) => tgtAll[i]!);
    const Ts = Math.max(...srcIds.map((s) => s.length));
    const maxTarget = Math.max(...tgtIds.map((t) => t.length));
    const Tt = maxTarget + 1;
    const N = pairs.length;
    const src = new Float32Array(N * Ts);
    const tgtIn = new Float32Array(N * Tt);
    const tgtOut = new Float32Array(N * Tt);
    for (let n = 0; n < N; n++) {
      src.set(srcIds[n]!, n * Ts);
      const t = tgtIds[n]!;
      tgtIn[n * Tt] = EOS;
      tgtIn.set(t, n * Tt + 1);
      tgtOut.set(t, n * Tt);
      tgtOut[n * Tt + t.length] = EOS;
    }
    return { src: new Tensor(src, [N, Ts]), tgtIn: new Tensor(tgtIn, [N, Tt]), tgtOut: new Tensor(tgtOut, [N, Tt]), maxTarget };
  }

  private encodeSide(vocab: Vocabulary, text: string, where: string): number[] {
    if (typeof text !== 'string') throw new TypeError(`${where} must be a string, got ${typeof text}`);
    const unknown = vocab.unknownChars(text);
    if (unknown.length > 0) throw new RangeError(`${where}: ${formatUnknown(unknown, vocab.mode)} not in the vocabulary`);
    const ids = vocab.encode(text);
    if (ids.length === 0) throw new RangeError(`${where} is empty`);
    return ids;
  }

  /** Teacher-forced training on [source, target] pairs; returns fit's History. */
  async fit(pairs: readonly (readonly [string, string])[], options: Seq2SeqFitOptions = {}): Promise<History> {
    const where = 'Seq2Seq.fit';
    checkOptions(options, ['epochs', 'batchSize', 'learningRate', 'validationSplit', 'validationData', 'verbose', 'callbacks', 'seed', 'progressSink', 'workers'], where);
    checkPairs(pairs, where);
    const seed = options.seed ?? nextSeed();
    // Shuffle once (seeded) so validationSplit, taken from the end, holds out a random part.
    const order = pairs.map((_, i) => i);
    new Rng(seed).shuffle(order);
    const t = this.tensors(pairs, order, where);
    let validationData: [Tensor[], Tensor] | undefined;
    if (options.validationData !== undefined) {
      checkPairs(options.validationData, `${where}: validationData`);
      const v = this.tensors(options.validationData, options.validationData.map((_, i) => i), `${where}: validationData`);
      validationData = [[v.src, v.tgtIn], v.tgtOut];
    }
    this.maxTargetLength = Math.max(this.maxTargetLength, t.maxTarget);
    if (this.model.optimizer === null) {
      const lr = options.learningRate ?? 0.001;
      if (typeof lr !== 'number' || !(lr > 0)) throw new RangeError(`${where}: learningRate must be a number > 0, got ${show(lr)}`);
      this.model.compile({ optimizer: optimizers.adam({ learningRate: lr, globalClipnorm: 5 }), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
    }
    return this.model.fit([t.src, t.tgtIn], t.tgtOut, {
      epochs: options.epochs ?? 10,
      batchSize: options.batchSize ?? 64,
      validationSplit: options.validationSplit,
      validationData,
      verbose: options.verbose ?? 1,
      callbacks: options.callbacks,
      seed: (seed ^ 0x2545f491) >>> 0,
      progressSink: options.progressSink,
      workers: options.workers,
    });
  }

  /** Change the default decoding settings (checked as translate checks them). */
  setDecoding(settings: Partial<DecodingDefaults>): void {
    const where = 'Seq2Seq.setDecoding';
    checkOptions(settings, ['beamWidth', 'lengthPenalty', 'maxLength'], where);
    const d = { ...this.decodingDefaults, ...settings };
    this.decodingDefaults = {
      beamWidth: checkPositiveInt(d.beamWidth, `${where}: beamWidth`),
      lengthPenalty: checkLengthPenalty(d.lengthPenalty, where),
      maxLength: d.maxLength === null ? null : checkPositiveInt(d.maxLength, `${where}: maxLength`),
    };
  }

  /** Translate one text, or many (decoded together, batchSize at a time); same order as given. */
  translate(text: string, options?: TranslateOptions): string;
  translate(texts: readonly string[], options?: TranslateOptions): string[];
  translate(texts: string | readonly string[], options: TranslateOptions = {}): string | string[] {
    const where = 'Seq2Seq.translate';
    checkOptions(options, ['beamWidth', 'maxLength', 'lengthPenalty', 'unknown', 'batchSize'], where);
    const one = typeof texts === 'string';
    const list = one ? [texts] : texts;
    if (!Array.isArray(list)) throw new TypeError(`${where}: expected a string or a list of strings`);
    const d = this.decodingDefaults;
    const beamWidth = checkPositiveInt(options.beamWidth ?? d.beamWidth, `${where}: beamWidth`);
    const maxLength = checkPositiveInt(options.maxLength ?? d.maxLength ?? Math.max(10, 2 * this.maxTargetLength), `${where}: maxLength`);
    const batchSize = checkPositiveInt(options.batchSize ?? 64, `${where}: batchSize`);
    const lengthPenalty = checkLengthPenalty(options.lengthPenalty ?? d.lengthPenalty, where);
    const unknown = options.unknown ?? 'error';
    if (unknown !== 'error' && unknown !== 'map') throw new RangeError(`${where}: unknown must be 'error' or 'map', got ${show(unknown)}`);
    const ids = list.map((s, i) => {
      if (typeof s !== 'string') throw new TypeError(`${where}: texts[${i}] is not a string`);
      if (unknown === 'error') {
        const u = this.source.unknownChars(s);
        if (u.length > 0) throw new RangeError(`${where}: ${list.length > 1 ? `texts[${i}] ` : ''}${JSON.stringify(s)}: ${formatUnknown(u, this.source.mode)} not in the vocabulary`);
      }
      return this.source.encode(s, { unknown: 'map' });
    });
    // Similar lengths decode together (less padding); results go back in the given order.
    // An empty input has nothing to translate: its output is empty.
    const order = ids.map((_, i) => i).filter((i) => ids[i]!.length > 0).sort((a, b) => ids[a]!.length - ids[b]!.length || a - b);
    const out: string[] = new Array<string>(list.length).fill('');
    for (let start = 0; start < order.length; start += batchSize) {
      const chunk = order.slice(start, start + batchSize);
      const decoded = this.decodeBatch(chunk.map((i) => ids[i]!), { beamWidth, maxLength, lengthPenalty });
      chunk.forEach((i, k) => (out[i] = this.target.decode(decoded[k]!)));
    }
    return one ? out[0]! : out;
  }

  /** Encode a batch of sources, then decode every one of them. */
  private decodeBatch(sources: readonly number[][], o: { beamWidth: number; maxLength: number; lengthPenalty: number }): number[][] {
    const { encoder, step } = this.graphs();
    const N = sources.length;
    const Ts = Math.max(...sources.map((s) => s.length));
    const src = new Float32Array(N * Ts);
    sources.forEach((s, n) => src.set(s, n * Ts));
    const encoded = encoder.predict(new Tensor(src, [N, Ts]), { batchSize: N }) as unknown as Tensor | Tensor[];
    const outs = Array.isArray(encoded) ? encoded : [encoded];
    const useMemory = this.attention !== 'none';
    let memory: { data: Float32Array; mask: Float32Array } | null = null;
    if (useMemory) {
      const mask = new Float32Array(N * Ts);
      sources.forEach((s, n) => mask.fill(1, n * Ts, n * Ts + s.length));
      memory = { data: outs[0]!.data, mask };
    }
    const W = o.beamWidth;
    const runner = new StepRunner(step, this.buffers, outs.slice(useMemory ? 1 : 0).map((t) => t.data), memory, N, W, Ts, this.units);
    return decode(runner, N, { start: EOS, end: EOS, vocabSize: this.target.size, maxLength: o.maxLength, beamWidth: W, lengthPenalty: o.lengthPenalty, banned: [PAD, UNK] });
  }

  /**
   * Translate the sources of `pairs` (a source listed with several targets has several
   * correct answers) and score: exact match, word error rate, token error rate
   * (edit distance), and BLEU for word-level targets.
   */
  evaluate(pairs: readonly (readonly [string, string])[], options: TranslateOptions = {}): Seq2SeqEvaluation {
    const where = 'Seq2Seq.evaluate';
    checkPairs(pairs, where);
    const refs = new Map<string, string[]>();
    pairs.forEach((p) => {
      const list = refs.get(p[0]) ?? [];
      list.push(p[1]);
      refs.set(p[0], list);
    });
    const sources = [...refs.keys()];
    const outputs = this.translate(sources, options);
    const split = (s: string): string[] => this.target.split(s);
    const scores = scoreSequences(
      outputs.map(split),
      sources.map((s) => refs.get(s)!.map(split)),
      this.target.mode === 'word',
    );
    return { ...scores, outputs: sources.map((s, i) => ({ source: s, output: outputs[i]!, references: refs.get(s)! })) };
  }

  /** What save() stores beside the weights. */
  metadata(): Seq2SeqMetadata {
    return {
      version: 1,
      source: this.source.toJSON(),
      target: this.target.toJSON(),
      cell: this.cell,
      units: this.units,
      layers: this.numLayers,
      bidirectional: this.bidirectional,
      attention: this.attention,
      embeddingDim: this.embeddingDim,
      maxTargetLength: this.maxTargetLength,
      decoding: { ...this.decodingDefaults },
    };
  }

  /** Save the training model (with optimizer state) and the vocabularies and settings in one model.json. */
  async save(target: string | SaveHandler): Promise<void> {
    await this.model.save(target, { includeOptimizer: this.model.optimizer !== null, metadata: { [METADATA_KEY]: this.metadata() } });
  }

  static async load(source: Parameters<typeof loadModel>[0], options: LoadOptions = {}): Promise<Seq2Seq> {
    const m = await loadModel(source, options);
    return Seq2Seq.fromModel(m, sourceName(source));
  }

  /** Wrap a loaded model whose metadata holds a Seq2Seq's (see save). */
  static fromModel(m: Model, where = 'the model'): Seq2Seq {
    const { meta, not } = taskMetadata<Seq2SeqMetadata>(m, METADATA_KEY, 'Seq2Seq', where);
    let s: Seq2Seq;
    try {
      s = new Seq2Seq(
        {
          source: Vocabulary.fromJSON(meta.source),
          target: Vocabulary.fromJSON(meta.target),
          cell: meta.cell,
          units: meta.units,
          layers: meta.layers,
          bidirectional: meta.bidirectional,
          attention: meta.attention,
          embeddingDim: meta.embeddingDim,
        },
        m,
      );
    } catch (e) {
      throw e instanceof ModelFormatError ? not(e.message.replace(/^the model is not an rnnkit Seq2Seq: /, '')) : not((e as Error).message);
    }
    if (meta.maxTargetLength !== undefined && !(Number.isInteger(meta.maxTargetLength) && meta.maxTargetLength >= 0)) throw not(`maxTargetLength must be a non-negative integer, got ${show(meta.maxTargetLength)}`);
    s.maxTargetLength = meta.maxTargetLength ?? 0;
    if (meta.decoding !== undefined) {
      try {
        s.setDecoding(meta.decoding);
      } catch (e) {
        throw not(`its decoding settings: ${(e as Error).message}`);
      }
    }
    return s;
  }

  /**
   * Free the model's backend memory now (see Model.dispose), the inference graphs' and decoding buffers too; afterwards every use
   * throws "… was disposed".
   */
  dispose(): void {
    releaseBuffers(this.buffers);
    this.inference?.encoder.dispose();
    this.inference?.step.dispose();
    this.model.dispose();
  }
}

/**
 * One decoder step of the inference graph as decode.ts wants it: the rows' states kept
 * here (reordered as decode asks: beams move, finished rows leave), fed with the
 * previous symbols and each row's input's memory and padding mask.
 */
class StepRunner implements DecoderStep {
  private states: Float32Array[];
  private scratch: Float32Array[];
  private readonly tokens: Float32Array;
  /** Row r decodes input rowInput[r] (its memory and mask are in row r of memory/mask). */
  private rowInput: Int32Array;
  private nextInput: Int32Array;
  private readonly memory: Float32Array | null;
  private readonly mask: Float32Array | null;

  constructor(
    private readonly model: Model,
    pool: BufferPool,
    encoderStates: readonly Float32Array[],
    private readonly encoded: { data: Float32Array; mask: Float32Array } | null,
    N: number,
    W: number,
    private readonly Ts: number,
    private readonly H: number,
  ) {
    const rows = N * W;
    // Every beam of input n starts from input n's states.
    this.rowInput = Int32Array.from({ length: rows }, (_, r) => Math.floor(r / W));
    this.nextInput = new Int32Array(rows);
    const perRow = (name: string, src: Float32Array, width: number): Float32Array => {
      const out = pool.get(name, rows * width);
      for (let r = 0; r < rows; r++) out.set(src.subarray(this.rowInput[r]! * width, (this.rowInput[r]! + 1) * width), r * width);
      return out;
    };
    this.states = encoderStates.map((s, k) => perRow(`state ${k}`, s, H));
    this.scratch = this.states.map((s, k) => pool.get(`scratch ${k}`, s.length));
    this.memory = encoded === null ? null : perRow('memory', encoded.data, Ts * H);
    this.mask = encoded === null ? null : perRow('mask', encoded.mask, Ts);
    this.tokens = pool.get('tokens', rows);
  }

  step(tokens: Int32Array, parents: Int32Array | null, rows: number): Float32Array {
    const H = this.H;
    if (parents !== null) this.follow(parents, rows);
    for (let r = 0; r < rows; r++) this.tokens[r] = tokens[r]!;
    const ex = this.model.engine.executor;
    ex.setInput(0, this.tokens, 1, null);
    this.states.forEach((s, k) => ex.setInput(1 + k, s, H, null));
    if (this.memory !== null) ex.setInput(1 + this.states.length, this.memory, this.Ts, this.mask);
    ex.forward(rows, false);
    this.states.forEach((s, k) => s.set(ex.buf[ex.outputTensor(1 + k)]!.subarray(0, rows * H)));
    return ex.buf[ex.outputTensor(0)]!;
  }

  /** Row r continues row parents[r]: move the states, and the memory of rows that now decode another input. */
  private follow(parents: Int32Array, rows: number): void {
    const H = this.H;
    let identity = true;
    for (let r = 0; r < rows && identity; r++) identity = parents[r] === r;
    if (identity) return;
    this.states.forEach((s, k) => {
      const dst = this.scratch[k]!;
      for (let r = 0; r < rows; r++) dst.set(s.subarray(parents[r]! * H, (parents[r]! + 1) * H), r * H);
      this.scratch[k] = s;
      this.states[k] = dst;
    });
    for (let r = 0; r < rows; r++) this.nextInput[r] = this.rowInput[parents[r]!]!;
    [this.rowInput, this.nextInput] = [this.nextInput, this.rowInput];
    if (this.memory === null) return;
    const e = this.encoded!;
    const M = this.Ts * H;
    const Ts = this.Ts;
    for (let r = 0; r < rows; r++) {
      const n = this.rowInput[r]!;
      if (n === this.nextInput[r]) continue; // row r already holds input n's memory (rows only ever shrink)
      this.memory.set(e.data.subarray(n * M, (n + 1) * M), r * M);
      this.mask!.set(e.mask.subarray(n * Ts, (n + 1) * Ts), r * Ts);
    }
  }
}

/**
 * Buffers in backend memory (where the kernels read them in place, no copy per step),
 * kept from batch to batch: allocating them for every batch costs more than it saves.
 */
class BufferPool {
  private readonly buffers = new Map<string, Float32Array>();
  get(name: string, n: number): Float32Array {
    const key = `${backend().name} ${name}`;
    let b = this.buffers.get(key);
    if (b === undefined || b.length < n) {
      b = backend().alloc(Math.max(n, Math.ceil((b?.length ?? 0) * 1.5)));
      this.buffers.set(key, b);
    }
    return b.subarray(0, n);
  }
}

/** A non-empty list of [source, target] string pairs. */
function checkPairs(pairs: unknown, where: string): asserts pairs is readonly (readonly [string, string])[] {
  if (!Array.isArray(pairs) || pairs.length === 0) throw new RangeError(`${where}: expected a non-empty list of [source, target] pairs`);
  pairs.forEach((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') throw new TypeError(`${where}: pair ${i + 1} must be [source, target] strings`);
  });
}

function checkLengthPenalty(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${where}: lengthPenalty must be a number ≥ 0, got ${show(v)}`);
  return v;
}

