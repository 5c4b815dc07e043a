/**
 * TextClassifier: texts → labels (sentiment, spam, intent, topics). Binary (one sigmoid:
 * the probability of the second class), multi-class (softmax) or multi-label (a sigmoid
 * per label). A TextVectorizer turns texts into token ids; the default network is
 * Embedding (padding masked) → Bidirectional LSTM → global max pooling over the real
 * tokens → Dense, configurable (cell, units, stacked layers, a Conv1D front end,
 * dropout). Any graph model from token ids [batch, length] to one probability per class
 * can be wrapped (fromModel).
 *
 * A saved TextClassifier is a plain model (loadModel reads it) with the vectorizer's
 * settings and vocabulary and the class names in model.json's metadata. Browser-safe.
 */
import { ModelFormatError, checkBoolean, checkOptions, checkPositiveInt, show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Rng, nextSeed } from '../core/rng.js';
import { layers } from '../layers/index.js';
import { input } from '../layers/inputLayer.js';
import type { Layer } from '../layers/layer.js';
import type { SymbolicTensor } from '../layers/node.js';
import { model as graphModel, type Model, type SaveHandler } from '../models/model.js';
import type { Callback, History } from '../models/callback.js';
import type { ProgressSink } from '../models/progbar.js';
import { loadModel, sourceName, taskMetadata, type LoadOptions } from '../models/loadModel.js';
import { optimizers } from '../optimizers/index.js';
import { losses } from '../losses/index.js';
import { TextVectorizer, type TextFunction, type TextVectorizerArgs, type TextVectorizerConfig } from '../text/vectorizer.js';
import { classifierReport, type ClassifierReport } from './report.js';

export type ClassifierCell = 'lstm' | 'gru';

export interface ConvFrontEnd {
  /** Filters of the Conv1D (ReLU, 'same' padding) before the recurrent layers. */
  filters: number;
  /** Default 5. */
  kernelSize?: number;
}

export interface TextClassifierArgs {
  /** Class names, in output order. Binary: two names, the model gives the second's probability. */
  classes: readonly string[];
  /** Each text has any number of the classes (a sigmoid each). Default false (exactly one). */
  multiLabel?: boolean;
  /** A vectorizer in 'int' mode, or its settings. Default {maxTokens: 20000, outputSequenceLength: 200}. */
  vectorizer?: TextVectorizer | TextVectorizerArgs;
  /** 'lstm' (default) or 'gru'. */
  cell?: ClassifierCell;
  /** Units of each recurrent layer (each direction when bidirectional). Default 32. */
  units?: number;
  /** Stacked recurrent layers. Default 1. */
  layers?: number;
  /** Default true. */
  bidirectional?: boolean;
  /** Width of the token embeddings. Default 64. */
  embeddingDim?: number;
  /** A Conv1D front end (Keras's Conv1D drops the padding mask, so the layers after it see padded steps). Default none. */
  conv?: ConvFrontEnd | null;
  /** Dropout rate before the output layer. Default 0. */
  dropout?: number;
  /** Seed of the initial weights. Default drawn from the global seed. */
  seed?: number;
}

/** One label per text, or (multiLabel) a list of labels per text. */
export type ClassLabels = readonly string[] | readonly (readonly string[])[];

export interface ClassifierFitOptions {
  /** Default 5. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam's learning rate. Default 0.001. */
  learningRate?: number;
  /** Fraction held out, chosen at random (seeded). Default 0. */
  validationSplit?: number;
  /** Held-out texts and labels to validate on instead. */
  validationData?: readonly [readonly string[], ClassLabels];
  /** 'balanced' (n / (classes × count), as scikit-learn) or a weight per class name. Single-label only. */
  classWeight?: 'balanced' | Readonly<Record<string, number>>;
  verbose?: 0 | 1 | 2;
  callbacks?: Callback | readonly Callback[];
  /** Seed of the shuffling and the split. Default drawn from the global seed. */
  seed?: number;
  progressSink?: ProgressSink;
  workers?: number | 'auto';
}

export interface ClassifyOptions {
  /** Multi-label: the probability from which a label is given. Default: the saved threshold (0.5). */
  threshold?: number;
  /** Texts per forward pass. Default 64. */
  batchSize?: number;
}

export interface Prediction {
  /** The most probable class (single-label), or the first of `labels` (multi-label; '' when none). */
  label: string;
  /** Multi-label: every class at or above the threshold. Single-label: [label]. */
  labels: string[];
  /** Every class's probability. */
  probabilities: Record<string, number>;
}

export interface TextClassifierMetadata {
  version: 1;
  classes: string[];
  multiLabel: boolean;
  threshold: number;
  vectorizer: TextVectorizerConfig;
  /** The table columns it was trained from (TextClassifier.columns); absent where not given. */
  columns?: TextClassifierColumns;
}

/** The columns of a table a classifier was trained from: the texts', and the labels' (one, or one per class). */
export interface TextClassifierColumns {
  text: string;
  labels: string[];
}

const METADATA_KEY = 'textClassifier';
const CELLS: readonly ClassifierCell[] = ['lstm', 'gru'];
const DEFAULT_VECTORIZER: TextVectorizerArgs = { maxTokens: 20000, outputSequenceLength: 200 };

export class TextClassifier {
  readonly classes: readonly string[];
  readonly multiLabel: boolean;
  readonly vectorizer: TextVectorizer;
  /** Token ids [batch, length] → one probability per class ([batch, 1] when binary). */
  readonly model: Model;
  /** Multi-label decision threshold used when predict's options do not say (saved). */
  threshold = 0.5;
  /**
   * The table columns it was trained from, where the caller says (the CLI's --text-column and
   * --label-column); saved, so `rnnkit classify predict | evaluate` read the same columns by default.
   */
  columns: TextClassifierColumns | null = null;
  private readonly args: TextClassifierArgs;

  constructor(args: TextClassifierArgs, model?: Model) {
    const where = 'TextClassifier';
    checkOptions(args, ['classes', 'multiLabel', 'vectorizer', 'cell', 'units', 'layers', 'bidirectional', 'embeddingDim', 'conv', 'dropout', 'seed'], where);
    this.args = args;
    this.classes = checkClasses(args.classes, where);
    this.multiLabel = args.multiLabel === undefined ? false : checkBoolean(args.multiLabel, `${where}: multiLabel`);
    if (!this.multiLabel && this.classes.length < 2) throw new RangeError(`${where}: a single-label classifier needs at least 2 classes, got ${show(this.classes)}`);
    const v = args.vectorizer ?? DEFAULT_VECTORIZER;
    this.vectorizer = v instanceof TextVectorizer ? v : new TextVectorizer(v);
    if (this.vectorizer.outputMode !== 'int') throw new RangeError(`${where}: the vectorizer must have outputMode 'int' (token ids for the embedding), got '${this.vectorizer.outputMode}'`);
    if (model !== undefined) {
      this.model = model;
      this.checkModel(model);
      return;
    }
    // Only a network built here takes its embedding's size from maxTokens; a wrapped one has its own.
    if (this.vectorizer.maxTokens === null) throw new RangeError(`${where}: the vectorizer needs maxTokens (the embedding's size)`);
    this.model = this.build();
  }

  /** Outputs of the model: 1 for a binary classifier, else one per class. */
  get outputWidth(): number {
    return this.binary ? 1 : this.classes.length;
  }

  private get binary(): boolean {
    return !this.multiLabel && this.classes.length === 2;
  }

  private build(): Model {
    const where = 'TextClassifier';
    const a = this.args;
    const cell = a.cell ?? 'lstm';
    if (!CELLS.includes(cell)) throw new RangeError(`${where}: cell must be one of ${CELLS.join(', ')}, got ${show(a.cell)}`);
    const units = checkPositiveInt(a.units ?? 32, `${where}: units`);
    const depth = checkPositiveInt(a.layers ?? 1, `${where}: layers`);
    const bidirectional = a.bidirectional === undefined ? true : checkBoolean(a.bidirectional, `${where}: bidirectional`);
    const embeddingDim = checkPositiveInt(a.embeddingDim ?? 64, `${where}: embeddingDim`);
    const dropout = a.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new RangeError(`${where}: dropout must be a number in [0, 1), got ${show(a.dropout)}`);
    if (a.seed !== undefined && (!Number.isInteger(a.seed) || a.seed < 0)) throw new RangeError(`${where}: seed must be a non-negative integer, got ${show(a.seed)}`);
    const seed = a.seed ?? nextSeed();
    const s = (k: number): number => (seed + k) >>> 0;

    const ids = input({ shape: [this.vectorizer.outputSequenceLength], name: 'tokens' });
    // One row per id the vectorizer can give: its vocabulary once adapted (as Keras's
    // Embedding(len(vectorizer.get_vocabulary()))), else maxTokens. A 300-token corpus under
    // maxTokens 20000 would otherwise train (and Adam update) 98% rows no id reaches.
    const rows = this.vectorizer.getVocabulary(false).length > 0 ? this.vectorizer.vocabularySize() : this.vectorizer.maxTokens!;
    let x: SymbolicTensor = layers.embedding({ inputDim: rows, outputDim: embeddingDim, maskZero: true, name: 'embedding', seed: s(1) }).apply(ids);
    if (a.conv !== undefined && a.conv !== null) {
      checkOptions(a.conv, ['filters', 'kernelSize'], `${where}: conv`);
      const filters = checkPositiveInt(a.conv.filters, `${where}: conv.filters`);
      const kernelSize = checkPositiveInt(a.conv.kernelSize ?? 5, `${where}: conv.kernelSize`);
      x = layers.conv1d({ filters, kernelSize, padding: 'same', activation: 'relu', name: 'conv', seed: s(2) }).apply(x);
    }
    for (let i = 0; i < depth; i++) {
      const rnnArgs = { units, returnSequences: true, name: `${cell}_${i}`, seed: s(10 + i) };
      const rnn: Layer = cell === 'lstm' ? layers.lstm(rnnArgs) : layers.gru(rnnArgs);
      x = (bidirectional ? layers.bidirectional({ layer: rnn as never, name: `bidirectional_${i}` }) : rnn).apply(x);
    }
    x = layers.globalMaxPooling1d({ name: 'pool' }).apply(x);
    if (dropout > 0) x = layers.dropout({ rate: dropout, name: 'dropout', seed: s(40) }).apply(x);
    const activation = this.multiLabel || this.binary ? 'sigmoid' : 'softmax';
    const out = layers.dense({ units: this.outputWidth, activation, name: 'output', seed: s(50) }).apply(x);
    return graphModel({ inputs: ids, outputs: out, name: 'text_classifier' });
  }

  /** A wrapped model must take ids [batch, length] and give one probability per class. */
  private checkModel(m: Model): void {
    const bad = (why: string): ModelFormatError => new ModelFormatError(`the model does not fit this TextClassifier: ${why}`);
    if (m.inputs.length !== 1 || m.outputs.length !== 1) throw bad(`it has ${m.inputs.length} inputs and ${m.outputs.length} outputs, expected 1 and 1`);
    const fmt = (shape: readonly (number | null)[]): string => `[${shape.map((d) => d ?? 'null').join(', ')}]`;
    const inShape = m.inputs[0]!.shape;
    if (inShape.length !== 2) throw bad(`its input has shape ${fmt(inShape)}, expected token ids [batch, length]`);
    const outShape = m.outputs[0]!.shape;
    if (outShape.length !== 2 || outShape[1] !== this.outputWidth) {
      throw bad(`its output has shape ${fmt(outShape)}, expected [batch, ${this.outputWidth}] for ${this.classes.length} classes${this.binary ? ' (binary: one sigmoid)' : ''}`);
    }
    const L = inShape[1];
    if (L !== null && L !== undefined && this.vectorizer.outputSequenceLength !== null && L !== this.vectorizer.outputSequenceLength) {
      throw bad(`its input takes ${L} tokens, the vectorizer gives ${this.vectorizer.outputSequenceLength}`);
    }
    // Ids beyond an embedding's table would be refused at predict time; say so now.
    const size = this.vectorizer.vocabularySize();
    for (const l of m.layers) {
      if (l.className !== 'Embedding') continue;
      const inputDim = (l.getConfig() as { inputDim?: number }).inputDim ?? 0;
      if (inputDim < size) throw bad(`its embedding '${l.name}' has ${inputDim} rows, fewer than the vectorizer's ${size} ids`);
    }
  }

  /**
   * A classifier whose vocabulary is learned from these texts and whose classes are the
   * labels' distinct values, sorted (unless args.classes names them, in the order wanted).
   */
  static forData(texts: readonly string[], labels: ClassLabels, args: Partial<TextClassifierArgs> = {}): TextClassifier {
    const where = 'TextClassifier.forData';
    checkTexts(texts, where);
    const multiLabel = args.multiLabel ?? false;
    const found = new Set<string>();
    checkLabelShape(labels, texts.length, multiLabel, where).forEach((ls) => ls.forEach((l) => found.add(l)));
    const classes = args.classes ?? [...found].sort();
    const v = args.vectorizer ?? DEFAULT_VECTORIZER;
    const vectorizer = v instanceof TextVectorizer ? v : new TextVectorizer(v);
    vectorizer.adapt(texts);
    return new TextClassifier({ ...args, classes, multiLabel, vectorizer });
  }

  /**
   * scikit-learn's 'balanced' class weights: n / (classes present × count of the class), so
   * every class weighs as much in total; a class absent from the labels gets 1.
   */
  static balancedWeights(labels: readonly string[], classes: readonly string[]): Record<string, number> {
    const counts = new Map<string, number>(classes.map((c) => [c, 0]));
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    const present = classes.filter((c) => counts.get(c)! > 0).length;
    return Object.fromEntries(classes.map((c) => [c, counts.get(c)! === 0 ? 1 : labels.length / (present * counts.get(c)!)]));
  }

  /**
   * Texts as the model takes them: the texts themselves where the vectorizer is the model's own
   * text input (so the model pads them batch by batch as Keras does: Model.raggedInputs), token
   * ids [N, length] otherwise.
   */
  private modelInput(texts: readonly string[], where: string): Tensor | string[] {
    checkTexts(texts, where);
    return this.model.textInputList().some((t) => t.vectorizer === this.vectorizer) ? [...texts] : this.vectorizer.apply(texts);
  }

  /** Labels → targets: [N, 1] 0/1 (binary), [N] class indices (multi-class), [N, K] 0/1 (multi-label). */
  private targets(labels: ClassLabels, n: number, where: string): Tensor {
    const sets = checkLabelShape(labels, n, this.multiLabel, where);
    const index = new Map(this.classes.map((c, i) => [c, i]));
    const at = (l: string, i: number): number => {
      const k = index.get(l);
      if (k === undefined) throw new RangeError(`${where}: label ${JSON.stringify(l)} of text ${i + 1} is not a class of this classifier (${this.classes.map((c) => JSON.stringify(c)).join(', ')})`);
      return k;
    };
    if (this.multiLabel) {
      const K = this.classes.length;
      const y = new Float32Array(n * K);
      sets.forEach((ls, i) => ls.forEach((l) => (y[i * K + at(l, i)] = 1)));
      return new Tensor(y, [n, K]);
    }
    const y = Float32Array.from(sets, (ls, i) => at(ls[0]!, i));
    return this.binary ? new Tensor(y, [n, 1]) : new Tensor(y, [n]);
  }

  /** Train on texts and their labels; returns fit's History. */
  async fit(texts: readonly string[], labels: ClassLabels, options: ClassifierFitOptions = {}): Promise<History> {
    const where = 'TextClassifier.fit';
    checkOptions(options, ['epochs', 'batchSize', 'learningRate', 'validationSplit', 'validationData', 'classWeight', 'verbose', 'callbacks', 'seed', 'progressSink', 'workers'], where);
    const x = this.modelInput(texts, where);
    const y = this.targets(labels, texts.length, where);
    const seed = options.seed ?? nextSeed();
    // Shuffle once (seeded) so validationSplit, taken from the end, holds out a random part.
    const order = texts.map((_, i) => i);
    new Rng(seed).shuffle(order);
    const xs = Array.isArray(x) ? order.map((i) => x[i]!) : gatherRows(x, order);
    const ys = gatherRows(y, order);
    let validationData: [Tensor | string[], Tensor] | undefined;
    if (options.validationData !== undefined) {
      const vd = options.validationData;
      if (!Array.isArray(vd) || vd.length !== 2) throw new TypeError(`${where}: validationData must be [texts, labels]`);
      validationData = [this.modelInput(vd[0], `${where}: validationData`), this.targets(vd[1], vd[0].length, `${where}: validationData`)];
    }
    let classWeight: Record<number, number> | undefined;
    if (options.classWeight !== undefined) {
      if (this.multiLabel) throw new RangeError(`${where}: classWeight is for single-label classifiers (a multi-label text has several classes)`);
      classWeight = this.classWeights(options.classWeight, y, where);
    }
    if (this.model.optimizer === null) {
      const lr = options.learningRate ?? 0.001;
      if (typeof lr !== 'number' || !(lr > 0)) throw new RangeError(`${where}: learningRate must be a number > 0, got ${show(lr)}`);
      const loss = this.multiLabel || this.binary ? losses.binaryCrossentropy() : losses.sparseCategoricalCrossentropy();
      this.model.compile({ optimizer: optimizers.adam({ learningRate: lr }), loss, metrics: [this.multiLabel ? 'binary_accuracy' : 'accuracy'] });
    }
    return this.model.fit(xs, ys, {
      epochs: options.epochs ?? 5,
      batchSize: options.batchSize ?? 32,
      validationSplit: options.validationSplit,
      validationData,
      classWeight,
      verbose: options.verbose ?? 1,
      callbacks: options.callbacks,
      seed: (seed ^ 0x2545f491) >>> 0,
      progressSink: options.progressSink,
      workers: options.workers,
    });
  }

  /** Class weights by class index from 'balanced' or a weight per class name (classes not named: 1). */
  private classWeights(spec: 'balanced' | Readonly<Record<string, number>>, y: Tensor, where: string): Record<number, number> {
    const byName = spec === 'balanced' ? TextClassifier.balancedWeights(Array.from(y.data, (k) => this.classes[k]!), this.classes) : spec;
    if (byName === null || typeof byName !== 'object' || Array.isArray(byName)) throw new TypeError(`${where}: classWeight must be 'balanced' or an object {class name: weight}`);
    const out: Record<number, number> = {};
    for (const [name, w] of Object.entries(byName)) {
      const k = this.classes.indexOf(name);
      if (k < 0) throw new RangeError(`${where}: classWeight names ${JSON.stringify(name)}, which is not a class (${this.classes.map((c) => JSON.stringify(c)).join(', ')})`);
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new RangeError(`${where}: classWeight[${JSON.stringify(name)}] must be a finite number ≥ 0, got ${show(w)}`);
      out[k] = w;
    }
    for (let k = 0; k < this.classes.length; k++) out[k] ??= 1;
    return out;
  }

  /** Every class's probability, [texts, classes] (binary: [1 − p, p]). */
  probabilities(texts: readonly string[], options: { batchSize?: number } = {}): Tensor {
    const where = 'TextClassifier.probabilities';
    checkOptions(options, ['batchSize'], where);
    const p = this.model.predict(this.modelInput(texts, where), { batchSize: options.batchSize ?? 64 }) as unknown as Tensor;
    if (!this.binary) return p;
    const out = new Float32Array(texts.length * 2);
    for (let i = 0; i < texts.length; i++) {
      out[2 * i] = 1 - p.data[i]!;
      out[2 * i + 1] = p.data[i]!;
    }
    return new Tensor(out, [texts.length, 2]);
  }

  /** Label one text, or many (same order). */
  predict(text: string, options?: ClassifyOptions): Prediction;
  predict(texts: readonly string[], options?: ClassifyOptions): Prediction[];
  predict(texts: string | readonly string[], options: ClassifyOptions = {}): Prediction | Prediction[] {
    const where = 'TextClassifier.predict';
    checkOptions(options, ['threshold', 'batchSize'], where);
    const threshold = checkThreshold(options.threshold ?? this.threshold, where);
    const one = typeof texts === 'string';
    const list = one ? [texts] : texts;
    const P = this.probabilities(list, { batchSize: options.batchSize });
    const K = this.classes.length;
    const out = list.map((_, n): Prediction => {
      const row = P.data.subarray(n * K, (n + 1) * K);
      const probabilities = Object.fromEntries(this.classes.map((c, k) => [c, row[k]!]));
      if (this.multiLabel) {
        const labels = this.classes.filter((_, k) => row[k]! >= threshold);
        return { label: labels[0] ?? '', labels, probabilities };
      }
      let best = 0;
      for (let k = 1; k < K; k++) if (row[k]! > row[best]!) best = k;
      return { label: this.classes[best]!, labels: [this.classes[best]!], probabilities };
    });
    return one ? out[0]! : out;
  }

  /**
   * Score labelled texts: accuracy, per-class precision / recall / F1 / support, micro,
   * macro and weighted averages, ROC AUC and average precision per class (exact, over all
   * thresholds), and the confusion matrix (single-label: [true][predicted]; multi-label:
   * per class [[TN, FP], [FN, TP]]).
   */
  evaluate(texts: readonly string[], labels: ClassLabels, options: ClassifyOptions = {}): ClassifierReport {
    const where = 'TextClassifier.evaluate';
    checkOptions(options, ['threshold', 'batchSize'], where);
    const threshold = checkThreshold(options.threshold ?? this.threshold, where);
    const y = this.targets(labels, texts.length, where);
    const P = this.probabilities(texts, { batchSize: options.batchSize });
    const K = this.classes.length;
    const truth = new Float32Array(texts.length * K);
    if (this.multiLabel) truth.set(y.data);
    else y.data.forEach((c, i) => (truth[i * K + c] = 1));
    return classifierReport(P.data, truth, this.classes, { multiLabel: this.multiLabel, threshold });
  }

  /** What save() stores beside the weights. */
  metadata(): TextClassifierMetadata {
    // A function option is saved by name and given again through loadModel's customObjects, which
    // reach the model's text inputs: only a vectorizer that is one of them may have one.
    const own = this.model.textInputList().some((t) => t.vectorizer === this.vectorizer);
    for (const key of ['standardize', 'split'] as const) {
      if (typeof this.vectorizer[key] === 'function' && !own) throw new TypeError(`TextClassifier: the vectorizer's ${key} is a function, which cannot be saved with a classifier that vectorizes outside its model; use a named ${key} mode`);
    }
    return { version: 1, classes: [...this.classes], multiLabel: this.multiLabel, threshold: this.threshold, vectorizer: this.vectorizer.getConfig(), ...(this.columns === null ? {} : { columns: { text: this.columns.text, labels: [...this.columns.labels] } }) };
  }

  /** Save the model (with optimizer state) and the vectorizer and classes in one model.json. */
  async save(target: string | SaveHandler): Promise<void> {
    await this.model.save(target, { includeOptimizer: this.model.optimizer !== null, metadata: { [METADATA_KEY]: this.metadata() } });
  }

  static async load(source: Parameters<typeof loadModel>[0], options: LoadOptions = {}): Promise<TextClassifier> {
    const m = await loadModel(source, options);
    return TextClassifier.fromModel(m, sourceName(source));
  }

  /** Wrap a loaded model whose metadata holds a TextClassifier's (see save). */
  static fromModel(m: Model, where = 'the model'): TextClassifier {
    const { meta, not } = taskMetadata<TextClassifierMetadata>(m, METADATA_KEY, 'TextClassifier', where);
    try {
      if (meta.vectorizer === null || typeof meta.vectorizer !== 'object') throw new Error('it has no vectorizer settings');
      if (meta.vectorizer.vocabulary === null || meta.vectorizer.vocabulary === undefined) throw new Error('its vectorizer has no vocabulary');
      const c = new TextClassifier({ classes: meta.classes as string[], multiLabel: meta.multiLabel, vectorizer: sharedTextInput(m, meta.vectorizer) ?? TextVectorizer.fromConfig(meta.vectorizer, textFunctionsOf(m)) }, m);
      c.threshold = checkThreshold(meta.threshold ?? 0.5, 'threshold');
      if (meta.columns !== undefined) c.columns = checkColumns(meta.columns);
      return c;
    } catch (e) {
      throw not((e as Error).message.replace(/^the model does not fit this TextClassifier: /, ''));
    }
  }

  /**
   * Free the model's backend memory now (see Model.dispose); afterwards every use
   * throws "… was disposed".
   */
  dispose(): void {
    this.model.dispose();
  }
}


/** Saved columns (untrusted file): a text column name and a non-empty list of label column names. */
function checkColumns(c: unknown): TextClassifierColumns {
  const j = c as Partial<TextClassifierColumns> | null;
  const ok = j !== null && typeof j === 'object' && typeof j.text === 'string' && Array.isArray(j.labels) && j.labels.length > 0 && j.labels.every((l) => typeof l === 'string') && Object.keys(j).every((k) => k === 'text' || k === 'labels');
  if (!ok) throw new Error(`columns must be {text: string, labels: [string, …]}, got ${show(c)?.slice(0, 80)}`);
  return { text: j.text!, labels: [...j.labels!] };
}

function checkThreshold(t: unknown, where: string): number {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new RangeError(`${where}: threshold must be a number in [0, 1], got ${show(t)}`);
  return t;
}

function checkClasses(classes: unknown, where: string): string[] {
  if (!Array.isArray(classes)) throw new TypeError(`${where}: classes must be a list of class names`);
  const seen = new Set<string>();
  classes.forEach((c, i) => {
    if (typeof c !== 'string' || c === '') throw new TypeError(`${where}: classes[${i}] must be a non-empty string, got ${show(c)}`);
    if (seen.has(c)) throw new RangeError(`${where}: class ${JSON.stringify(c)} is listed twice`);
    seen.add(c);
  });
  if (classes.length === 0) throw new RangeError(`${where}: no classes`);
  return [...classes] as string[];
}

function checkTexts(texts: unknown, where: string): void {
  if (!Array.isArray(texts)) throw new TypeError(`${where}: expected a list of texts`);
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new TypeError(`${where}: text ${i + 1} is ${t === null ? 'null' : typeof t}, not a string`);
  });
}

/** Labels as a list of label sets, checked: one string per text (single-label) or a list per text (multi-label). */
function checkLabelShape(labels: unknown, n: number, multiLabel: boolean, where: string): (readonly string[])[] {
  if (!Array.isArray(labels)) throw new TypeError(`${where}: labels must be a list`);
  if (labels.length !== n) throw new RangeError(`${where}: ${n} texts but ${labels.length} labels`);
  return labels.map((l, i) => {
    if (multiLabel) {
      if (!Array.isArray(l) || l.some((x) => typeof x !== 'string')) throw new TypeError(`${where}: labels of text ${i + 1} must be a list of class names (multiLabel)`);
      return l as string[];
    }
    if (typeof l !== 'string') throw new TypeError(`${where}: label of text ${i + 1} must be a class name (a string), got ${show(l)}${Array.isArray(l) ? ' — a list of labels needs multiLabel: true' : ''}`);
    return [l];
  });
}

/** Rows of a [N, …] tensor in the given order. */
function gatherRows(t: Tensor, order: readonly number[]): Tensor {
  const w = t.size / t.shape[0]!;
  const out = new Float32Array(t.size);
  order.forEach((i, r) => out.set(t.data.subarray(i * w, (i + 1) * w), r * w));
  return new Tensor(out, [...t.shape]);
}

/** The model's text input the classifier's vectorizer was when saved (the same configuration), or null. */
function sharedTextInput(m: Model, config: TextVectorizerConfig): TextVectorizer | null {
  const saved = JSON.stringify(config);
  return m.textInputList().find((t) => JSON.stringify(t.vectorizer.getConfig()) === saved)?.vectorizer ?? null;
}

/** The named standardize/split functions of a model's text inputs (loadModel took them from customObjects), by name. */
function textFunctionsOf(m: Model): Record<string, TextFunction> {
  const out: Record<string, TextFunction> = {};
  for (const { vectorizer: v } of m.textInputList()) for (const f of [v.standardize, v.split]) if (typeof f === 'function') out[f.name] = f;
  return out;
}
