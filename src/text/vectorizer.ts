/**
 * TextVectorizer: texts → token ids or bag-of-words vectors, with the semantics of Keras 3's
 * `TextVectorization` layer (tfjs spellings for the options). Browser-safe.
 *
 * A text goes through four steps:
 *   1. standardize: 'lower_and_strip_punctuation' (default), 'lower', 'strip_punctuation',
 *      null, or a function. Punctuation is Keras's set, ASCII `string.punctuation`.
 *   2. split: 'whitespace' (default: runs of ASCII whitespace, as tf.strings.split),
 *      'character' (Unicode code points, spaces included), null (the whole text is one
 *      token), or a function.
 *   3. ngrams: n → the 1-, 2-, …, n-grams; [a, b] → the a- and b-grams (in that order,
 *      each joined by one space, as tf.strings.ngrams).
 *   4. lookup by the vocabulary, then the output mode:
 *      - 'int': one id per token. Index 0 pads, 1 is the out-of-vocabulary token '[UNK]',
 *        the vocabulary from 2. Padded at the end (or truncated) to outputSequenceLength,
 *        else to the longest text of the call. `truncate: 'pre'` (an rnnkit option) keeps
 *        a long text's last tokens instead of its first.
 *      - 'multi_hot' / 'count' / 'tf_idf': one vector per text over the vocabulary, index 0
 *        being '[UNK]' (no padding token); tf_idf multiplies counts by
 *        log(1 + documents / (1 + documents with the token)), '[UNK]' getting the mean.
 *        padToMaxTokens makes every vector maxTokens wide.
 *
 * `adapt(texts)` builds the vocabulary: tokens by decreasing frequency, ties by the token
 * itself in decreasing code-point order (Keras: numpy lexsort reversed), at most maxTokens
 * entries counting the special ones.
 *
 * Differences from Keras, on purpose: lowercasing is Unicode by default (TensorFlow's
 * tf.strings.lower lowers ASCII letters only, leaving 'É' as is: `lowercase: 'ascii'` does
 * that, as a TextVectorization read from a Keras file does), and a vocabulary is required before the first call
 * (Keras maps everything to '[UNK]'). Refused with an error naming them: output mode
 * 'one_hot', `sparse`, `ragged`, encodings other than UTF-8, a vocabulary file path.
 */
import { checkBoolean, checkOptions, show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

export type StandardizeMode = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation';
export type SplitMode = 'whitespace' | 'character';
export type VectorizerOutputMode = 'int' | 'multi_hot' | 'count' | 'tf_idf';
export type LowercaseMode = 'unicode' | 'ascii';
/** A JavaScript standardize or split function (a Python one's stand-in, given through loadModel's customObjects). */
export type TextFunction = ((text: string) => string) | ((text: string) => string[]);
/**
 * A function option as saved: by its name, as Keras saves a Python function by its __name__.
 * Loading takes the function again from customObjects under that name.
 */
export interface SavedTextFunction {
  function: string;
}

export interface TextVectorizerArgs {
  /** Largest vocabulary, special tokens included ('' and '[UNK]' in 'int' mode, '[UNK]' otherwise). Default: no limit. */
  maxTokens?: number | null;
  standardize?: StandardizeMode | null | ((text: string) => string);
  /** Which letters the 'lower' modes lower: 'unicode' (default) or 'ascii' (TensorFlow's tf.strings.lower, what Keras's TextVectorization does). */
  lowercase?: LowercaseMode;
  split?: SplitMode | null | ((text: string) => string[]);
  /** n: 1- to n-grams; a list: those sizes. Default none. */
  ngrams?: number | readonly number[] | null;
  /** Default 'int'. */
  outputMode?: VectorizerOutputMode;
  /** 'int' mode: pad or truncate every text to this many ids. */
  outputSequenceLength?: number | null;
  /** Which end of a long text is cut to outputSequenceLength: 'post' (default, Keras) keeps the first tokens, 'pre' the last. */
  truncate?: 'pre' | 'post';
  /** Non-'int' modes: vectors maxTokens wide even when the vocabulary is smaller. */
  padToMaxTokens?: boolean;
  /** A fixed vocabulary (no adapt needed), with or without the special tokens in front. */
  vocabulary?: readonly string[] | null;
  /** 'tf_idf' with a fixed vocabulary: one weight per vocabulary entry. */
  idfWeights?: readonly number[] | null;
  sparse?: boolean;
  ragged?: boolean;
  encoding?: string;
  name?: string;
}

/** What getConfig returns and fromConfig reads (what is saved with a model). */
export interface TextVectorizerConfig {
  name: string;
  maxTokens: number | null;
  standardize: StandardizeMode | null | SavedTextFunction;
  /** Absent in files saved before it existed: 'unicode'. */
  lowercase?: LowercaseMode;
  split: SplitMode | null | SavedTextFunction;
  ngrams: number | number[] | null;
  outputMode: VectorizerOutputMode;
  outputSequenceLength: number | null;
  truncate: 'pre' | 'post';
  padToMaxTokens: boolean;
  /** The learned or given tokens, special tokens excluded, in index order. */
  vocabulary: string[] | null;
  /** tf_idf: the weight of every index, '[UNK]' first. */
  idfWeights: number[] | null;
}

export interface AdaptOptions {
  /** Texts per step (with steps). */
  batchSize?: number;
  /** Read only the first steps × batchSize texts. */
  steps?: number;
}

export const OOV_TOKEN = '[UNK]';
const MASK_TOKEN = '';
const STANDARDIZE: readonly string[] = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];
const SPLIT: readonly string[] = ['whitespace', 'character'];
const MODES: readonly string[] = ['int', 'multi_hot', 'count', 'tf_idf'];
const OPTIONS = ['maxTokens', 'standardize', 'lowercase', 'split', 'ngrams', 'outputMode', 'outputSequenceLength', 'truncate', 'padToMaxTokens', 'vocabulary', 'idfWeights', 'sparse', 'ragged', 'encoding', 'name'];
/** Keras's DEFAULT_STRIP_REGEX: ASCII punctuation. */
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
const WHITESPACE = /[ \t\n\v\f\r]+/;
const ASCII_UPPER = /[A-Z]/g;
/** Ids travel as float32: above 2^24 they would no longer be exact. */
const MAX_IDS = 1 << 24;

let counter = 0;

export class TextVectorizer {
  readonly name: string;
  readonly maxTokens: number | null;
  readonly standardize: StandardizeMode | null | ((text: string) => string);
  readonly lowercase: LowercaseMode;
  readonly split: SplitMode | null | ((text: string) => string[]);
  readonly ngrams: number | readonly number[] | null;
  readonly outputMode: VectorizerOutputMode;
  readonly outputSequenceLength: number | null;
  readonly truncate: 'pre' | 'post';
  readonly padToMaxTokens: boolean;
  /** Widths of the n-grams made, in order; null for none. */
  private readonly widths: readonly number[] | null;
  /** Learned or given tokens (no special tokens), in index order. */
  private tokens: string[] | null = null;
  private index = new Map<string, number>();
  /** tf_idf: one weight per output index. */
  private idf: Float64Array | null = null;

  constructor(args: TextVectorizerArgs = {}) {
    const where = 'TextVectorizer';
    checkOptions(args, OPTIONS, where);
    if (args.sparse !== undefined && checkBoolean(args.sparse, `${where}: sparse`)) throw new RangeError(`${where}: sparse outputs are not supported (outputs are dense tensors)`);
    if (args.ragged !== undefined && checkBoolean(args.ragged, `${where}: ragged`)) throw new RangeError(`${where}: ragged outputs are not supported; use tokenIds(text) for one text's ids without padding`);
    if (args.encoding !== undefined && !/^utf-?8$/i.test(String(args.encoding))) throw new RangeError(`${where}: encoding must be 'utf-8' (JavaScript strings are Unicode), got ${show(args.encoding)}`);
    this.name = args.name ?? `text_vectorization_${++counter}`;
    if (typeof this.name !== 'string') throw new TypeError(`${where}: name must be a string`);

    const mode = (args.outputMode as string | undefined) ?? 'int';
    if (mode === 'one_hot') throw new RangeError(`${where}: outputMode 'one_hot' (a one-hot vector per token) is not supported; use 'int' with an embedding, or 'multi_hot'`);
    const legacy: Record<string, string> = { binary: 'multi_hot', 'tf-idf': 'tf_idf' };
    const m = legacy[mode] ?? mode;
    if (!MODES.includes(m)) throw new RangeError(`${where}: outputMode must be one of ${MODES.join(', ')}, got ${show(args.outputMode)}`);
    this.outputMode = m as VectorizerOutputMode;
    const isInt = this.outputMode === 'int';

    this.maxTokens = args.maxTokens ?? null;
    if (this.maxTokens !== null) {
      const least = isInt ? 3 : 2;
      if (!Number.isInteger(this.maxTokens) || this.maxTokens < least || this.maxTokens > MAX_IDS) {
        throw new RangeError(`${where}: maxTokens must be an integer from ${least} (the special tokens and one more) to ${MAX_IDS}, got ${show(args.maxTokens)}`);
      }
    }
    const std = args.standardize === undefined ? 'lower_and_strip_punctuation' : args.standardize;
    if (!(std === null || typeof std === 'function' || STANDARDIZE.includes(std as string))) {
      throw new RangeError(`${where}: standardize must be one of ${STANDARDIZE.join(', ')}, null or a function, got ${show(std)}`);
    }
    this.standardize = std;
    this.lowercase = args.lowercase ?? 'unicode';
    if (this.lowercase !== 'unicode' && this.lowercase !== 'ascii') throw new RangeError(`${where}: lowercase must be 'unicode' or 'ascii', got ${show(args.lowercase)}`);
    const split = args.split === undefined ? 'whitespace' : args.split;
    if (!(split === null || typeof split === 'function' || SPLIT.includes(split as string))) {
      throw new RangeError(`${where}: split must be one of ${SPLIT.join(', ')}, null or a function, got ${show(split)}`);
    }
    this.split = split;

    const ng = args.ngrams ?? null;
    if (ng === null) this.widths = null;
    else {
      const list = typeof ng === 'number' ? Array.from({ length: ng }, (_, i) => i + 1) : Array.isArray(ng) ? [...ng] : null;
      const ok = list !== null && list.length > 0 && list.every((n) => Number.isInteger(n) && n >= 1) && (typeof ng !== 'number' || Number.isInteger(ng));
      if (!ok) throw new RangeError(`${where}: ngrams must be a positive integer or a list of them, got ${show(ng)}`);
      if (this.split === null) throw new RangeError(`${where}: ngrams needs split (tokens to join), but split is null`);
      this.widths = list;
    }
    this.ngrams = ng;

    const L = args.outputSequenceLength ?? null;
    if (L !== null) {
      if (!isInt) throw new RangeError(`${where}: outputSequenceLength is for outputMode 'int' only, got it with '${this.outputMode}'`);
      if (!Number.isInteger(L) || L < 1) throw new RangeError(`${where}: outputSequenceLength must be a positive integer, got ${show(L)}`);
    }
    this.outputSequenceLength = L;
    this.truncate = args.truncate ?? 'post';
    if (this.truncate !== 'pre' && this.truncate !== 'post') throw new RangeError(`${where}: truncate must be 'pre' or 'post', got ${show(args.truncate)}`);
    this.padToMaxTokens = args.padToMaxTokens === undefined ? false : checkBoolean(args.padToMaxTokens, `${where}: padToMaxTokens`);
    if (this.padToMaxTokens && isInt) throw new RangeError(`${where}: padToMaxTokens is for the 'multi_hot', 'count' and 'tf_idf' modes, not 'int'`);
    if (this.padToMaxTokens && this.maxTokens === null) throw new RangeError(`${where}: padToMaxTokens needs maxTokens`);

    if (args.vocabulary !== undefined && args.vocabulary !== null) this.setVocabulary(args.vocabulary, args.idfWeights ?? undefined);
    else if (args.idfWeights !== undefined && args.idfWeights !== null) throw new RangeError(`${where}: idfWeights needs a vocabulary`);
  }

  /** Indices before the first learned token: ['', '[UNK]'] in 'int' mode, ['[UNK]'] otherwise. */
  private get specials(): string[] {
    return this.outputMode === 'int' ? [MASK_TOKEN, OOV_TOKEN] : [OOV_TOKEN];
  }

  private get oovIndex(): number {
    return this.outputMode === 'int' ? 1 : 0;
  }

  /** Steps 1–3 (standardize, split, ngrams): the tokens of one text. */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new TypeError(`${this.name}: expected a string, got ${text === null ? 'null' : typeof text}`);
    let s = text;
    const std = this.standardize;
    if (std === 'lower' || std === 'lower_and_strip_punctuation') s = this.lowercase === 'unicode' ? s.toLowerCase() : s.replace(ASCII_UPPER, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
    if (std === 'strip_punctuation' || std === 'lower_and_strip_punctuation') s = s.replace(PUNCTUATION, '');
    if (typeof std === 'function') {
      s = std(s);
      if (typeof s !== 'string') throw new TypeError(`${this.name}: the standardize function must return a string, got ${typeof s}`);
    }
    let tokens: string[];
    const split = this.split;
    if (split === 'whitespace') tokens = s.split(WHITESPACE).filter((t) => t !== '');
    else if (split === 'character') tokens = Array.from(s);
    else if (split === null) tokens = [s];
    else {
      tokens = split(s);
      if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) throw new TypeError(`${this.name}: the split function must return an array of strings`);
    }
    if (this.widths === null) return tokens;
    const out: string[] = [];
    for (const n of this.widths) {
      for (let i = 0; i + n <= tokens.length; i++) out.push(n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' '));
    }
    return out;
  }

  /**
   * Learn the vocabulary (and in 'tf_idf' mode the document frequencies) from texts,
   * replacing any earlier one.
   */
  adapt(texts: Iterable<string>, options: AdaptOptions = {}): this {
    const where = `${this.name}.adapt`;
    checkOptions(options, ['batchSize', 'steps'], where);
    if (texts === null || typeof texts !== 'object' || typeof (texts as Iterable<string>)[Symbol.iterator] !== 'function' || typeof texts === 'string') {
      throw new TypeError(`${where}: expected a list of texts`);
    }
    let limit = Infinity;
    if (options.steps !== undefined) {
      const batch = options.batchSize ?? 32;
      if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${where}: batchSize must be a positive integer, got ${show(options.batchSize)}`);
      if (!Number.isInteger(options.steps) || options.steps < 1) throw new RangeError(`${where}: steps must be a positive integer, got ${show(options.steps)}`);
      limit = options.steps * batch;
    } else if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
      throw new RangeError(`${where}: batchSize must be a positive integer, got ${show(options.batchSize)}`);
    }
    const counts = new Map<string, number>();
    const docs = new Map<string, number>();
    const tfidf = this.outputMode === 'tf_idf';
    let n = 0;
    for (const text of texts) {
      if (n >= limit) break;
      if (typeof text !== 'string') throw new TypeError(`${where}: text ${n} is ${text === null ? 'null' : typeof text}, not a string`);
      const tokens = this.tokenize(text);
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      if (tfidf) for (const t of new Set(tokens)) docs.set(t, (docs.get(t) ?? 0) + 1);
      n++;
    }
    counts.delete(MASK_TOKEN);
    counts.delete(OOV_TOKEN);
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareCodePoints(b[0], a[0]));
    const room = this.maxTokens === null ? sorted.length : this.maxTokens - this.specials.length;
    this.tokens = sorted.slice(0, room).map(([t]) => t);
    if (this.tokens.length + this.specials.length > MAX_IDS) throw new RangeError(`${where}: the vocabulary would have more than ${MAX_IDS} entries; set maxTokens`);
    this.buildIndex();
    if (tfidf) {
      const weights = this.tokens.map((t) => Math.log(1 + n / (1 + (docs.get(t) ?? 0))));
      this.setIdf(weights, true);
    }
    return this;
  }

  /** Keras's order of idf weights: the special token's (mean of the others, when not given) first, then zeros up to maxTokens with padToMaxTokens. */
  private setIdf(weights: readonly number[], withoutSpecials: boolean): void {
    const depth = this.depth();
    const idf = new Float64Array(depth);
    const mean = weights.length === 0 ? 0 : weights.reduce((a, b) => a + b, 0) / weights.length;
    const start = withoutSpecials ? 1 : 0;
    if (withoutSpecials) idf[0] = mean;
    weights.forEach((w, i) => (idf[start + i] = w));
    this.idf = idf;
  }

  private buildIndex(): void {
    const start = this.specials.length;
    this.index = new Map(this.tokens!.map((t, i) => [t, start + i]));
  }

  /**
   * Use a fixed vocabulary: tokens in index order, with or without the special tokens in
   * front (['', '[UNK]'] in 'int' mode, ['[UNK]'] otherwise). idfWeights in 'tf_idf' mode:
   * one per entry given.
   */
  setVocabulary(vocabulary: readonly string[], idfWeights?: readonly number[]): void {
    const where = `${this.name}.setVocabulary`;
    if (typeof vocabulary === 'string') throw new TypeError(`${where}: a vocabulary file path is not read (browser-safe); pass the tokens as an array`);
    if (!Array.isArray(vocabulary)) throw new TypeError(`${where}: expected an array of tokens`);
    vocabulary.forEach((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`${where}: entry ${i} is not a string`);
    });
    const specials = this.specials;
    const withSpecials = specials.every((s, i) => vocabulary[i] === s);
    const tokens = withSpecials ? vocabulary.slice(specials.length) : [...vocabulary];
    if (tokens.length === 0) throw new RangeError(`${where}: the vocabulary is empty`);
    const seen = new Set<string>();
    tokens.forEach((t, i) => {
      const at = i + (withSpecials ? specials.length : 0);
      if (t === MASK_TOKEN || t === OOV_TOKEN) throw new RangeError(`${where}: entry ${at} is the reserved token ${JSON.stringify(t)}; special tokens go only at the start, as ${JSON.stringify(specials)}`);
      if (seen.has(t)) throw new RangeError(`${where}: token ${JSON.stringify(t)} appears twice (entry ${at})`);
      seen.add(t);
    });
    const size = tokens.length + specials.length;
    if (this.maxTokens !== null && size > this.maxTokens) throw new RangeError(`${where}: ${size} entries with the special tokens, more than maxTokens ${this.maxTokens}`);
    if (size > MAX_IDS) throw new RangeError(`${where}: more than ${MAX_IDS} entries`);
    if (this.outputMode === 'tf_idf') {
      if (idfWeights === undefined || idfWeights === null) throw new RangeError(`${where}: outputMode 'tf_idf' needs idfWeights with the vocabulary`);
      if (!Array.isArray(idfWeights) || idfWeights.length !== vocabulary.length) throw new RangeError(`${where}: idfWeights must have one number per vocabulary entry (${vocabulary.length}), got ${Array.isArray(idfWeights) ? idfWeights.length : typeof idfWeights}`);
      idfWeights.forEach((w, i) => {
        if (typeof w !== 'number' || !Number.isFinite(w)) throw new RangeError(`${where}: idfWeights[${i}] must be a finite number, got ${show(w)}`);
      });
    } else if (idfWeights !== undefined && idfWeights !== null) throw new RangeError(`${where}: idfWeights is only for outputMode 'tf_idf', this vectorizer's is '${this.outputMode}'`);
    this.tokens = tokens;
    this.buildIndex();
    if (this.outputMode === 'tf_idf') this.setIdf(idfWeights!, !withSpecials);
  }

  /** The vocabulary in index order, with the special tokens in front unless asked not to. */
  getVocabulary(includeSpecialTokens = true): string[] {
    const tokens = this.tokens ?? [];
    return includeSpecialTokens ? [...this.specials, ...tokens] : [...tokens];
  }

  /** Entries in the vocabulary, special tokens included. */
  vocabularySize(): number {
    return this.specials.length + (this.tokens?.length ?? 0);
  }

  /** Width of the non-'int' outputs. */
  private depth(): number {
    return this.padToMaxTokens ? this.maxTokens! : this.vocabularySize();
  }

  private ready(where: string): void {
    if (this.tokens === null) throw new Error(`${where}: the vectorizer has no vocabulary yet: call adapt(texts) or give one (vocabulary option, setVocabulary)`);
  }

  /** One text's ids ('int' lookup), neither padded nor truncated. */
  tokenIds(text: string): Int32Array {
    this.ready(`${this.name}.tokenIds`);
    const tokens = this.tokenize(text);
    const ids = new Int32Array(tokens.length);
    const oov = this.oovIndex;
    let k = 0;
    for (const t of tokens) {
      if (t === MASK_TOKEN) {
        if (this.outputMode === 'int') ids[k++] = 0; // the mask token is padding; other modes drop it
        continue;
      }
      ids[k++] = this.index.get(t) ?? oov;
    }
    return ids.subarray(0, k);
  }

  /**
   * Vectorize texts: 'int' → [texts, length] ids; other modes → [texts, depth]. One string
   * gives one row.
   */
  apply(texts: string | readonly string[]): Tensor {
    const where = `${this.name}.apply`;
    this.ready(where);
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list)) throw new TypeError(`${where}: expected a string or a list of strings`);
    const rows = list.map((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`${where}: texts[${i}] is ${t === null ? 'null' : typeof t}, not a string`);
      return this.tokenIds(t);
    });
    const N = rows.length;
    if (this.outputMode === 'int') {
      const L = this.outputSequenceLength ?? rows.reduce((m, r) => Math.max(m, r.length), 0);
      const out = new Float32Array(N * L);
      rows.forEach((r, n) => {
        const kept = r.length <= L ? r : this.truncate === 'post' ? r.subarray(0, L) : r.subarray(r.length - L);
        out.set(kept, n * L);
      });
      return new Tensor(out, [N, L]);
    }
    const D = this.depth();
    const out = new Float32Array(N * D);
    rows.forEach((r, n) => {
      const row = out.subarray(n * D, (n + 1) * D);
      if (this.outputMode === 'multi_hot') for (const id of r) row[id] = 1;
      else for (const id of r) row[id]! += 1;
      if (this.outputMode === 'tf_idf') for (let d = 0; d < D; d++) row[d] = row[d]! * this.idf![d]!;
    });
    return new Tensor(out, [N, D]);
  }

  /**
   * JSON-safe configuration with the vocabulary (what a model saves). A function option is saved
   * by its name (SavedTextFunction), so it must have one that a customObjects key can give back.
   */
  getConfig(): TextVectorizerConfig {
    return {
      name: this.name,
      maxTokens: this.maxTokens,
      standardize: typeof this.standardize === 'function' ? savedFunction(this.standardize, 'standardize', this.name) : this.standardize,
      lowercase: this.lowercase,
      split: typeof this.split === 'function' ? savedFunction(this.split, 'split', this.name) : this.split,
      ngrams: this.ngrams === null ? null : typeof this.ngrams === 'number' ? this.ngrams : [...this.ngrams],
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      truncate: this.truncate,
      padToMaxTokens: this.padToMaxTokens,
      vocabulary: this.tokens === null ? null : [...this.tokens],
      idfWeights: this.idf === null ? null : Array.from(this.idf.subarray(0, this.vocabularySize())),
    };
  }

  /**
   * Rebuild from getConfig's output (as read from an untrusted file: every field checked). A
   * function option saved by name is taken from `customObjects`; the names taken are added to `used`.
   */
  static fromConfig(config: TextVectorizerConfig, customObjects: Readonly<Record<string, TextFunction>> = {}, used?: Set<string>): TextVectorizer {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError('TextVectorizer.fromConfig: expected an object');
    const { vocabulary, idfWeights, standardize, split, ...rest } = config;
    const args: TextVectorizerArgs = { ...rest };
    if (standardize !== undefined) args.standardize = savedOption(standardize, 'standardize', customObjects, used) as TextVectorizerArgs['standardize'];
    if (split !== undefined) args.split = savedOption(split, 'split', customObjects, used) as TextVectorizerArgs['split'];
    const v = new TextVectorizer(args);
    if (vocabulary !== null && vocabulary !== undefined) {
      v.setVocabulary(Array.isArray(vocabulary) ? [...v.specials, ...vocabulary] : vocabulary, idfWeights ?? undefined);
    } else if (idfWeights !== null && idfWeights !== undefined) throw new RangeError('TextVectorizer.fromConfig: idfWeights without a vocabulary');
    return v;
  }
}

/** A name a customObjects key can repeat: a JavaScript or Keras registered name ('Custom>fn'); not '' (an unnamed function), 'anonymous' (new Function) or 'bound f'. */
const FUNCTION_NAME = /^[^\s]+$/;

function savedFunction(fn: TextFunction, key: 'standardize' | 'split', where: string): SavedTextFunction {
  // An arrow written in the options object takes the option's name ({split: (t) => …}.split.name is 'split'): unnamed too.
  if (!FUNCTION_NAME.test(fn.name) || fn.name === 'anonymous' || fn.name === key) {
    const own = key === 'split' ? 'mySplit' : 'myStandardize';
    throw new TypeError(`${where}: ${key} is a function without a name of its own (${show(fn.name)}), which cannot be saved: it is saved by its name, given again when loading. Give it one, function ${own}(text) {…}, then loadModel(file, {customObjects: {${own}}})`);
  }
  return { function: fn.name };
}

/**
 * A saved standardize or split value: a mode or null as it is, a SavedTextFunction taken from
 * customObjects. The function comes back named as saved (see namedFunction), so it saves again.
 */
function savedOption(v: unknown, key: 'standardize' | 'split', customObjects: Readonly<Record<string, TextFunction>>, used: Set<string> | undefined): unknown {
  if (v === null || typeof v !== 'object') return v; // a mode, or a bad value the constructor names
  const keys = Object.keys(v);
  const name = (v as { function?: unknown }).function;
  if (keys.length !== 1 || typeof name !== 'string') throw new RangeError(`TextVectorizer.fromConfig: ${key} must be a mode, null or {function: name}, got ${show(v)?.slice(0, 80)}`);
  if (!Object.prototype.hasOwnProperty.call(customObjects, name) || typeof customObjects[name] !== 'function') {
    throw new RangeError(`TextVectorizer.fromConfig: ${key} is the function '${name}', saved by its name; give it again: loadModel(file, {customObjects: {'${name}': (text) => ${key === 'split' ? '[…tokens]' : '…'}}})`);
  }
  used?.add(name);
  return namedFunction(customObjects[name]!, name);
}

/** fn under the given name (a wrapper when its own differs): a function saves by its name, and a customObjects key is the name the file knows it by. */
export function namedFunction<F extends TextFunction>(fn: F, name: string): F {
  if (fn.name === name) return fn;
  const named = { [name]: (text: string) => fn(text) }[name]!;
  return named as F;
}

/** Order of strings by Unicode code points (numpy's order), not UTF-16 code units. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
