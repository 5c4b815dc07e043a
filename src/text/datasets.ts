/**
 * (input, next-character) datasets for character-level language models.
 *
 * Lines (word lists such as names), one example per line, T = maxLength + 1 steps:
 *   input  = [EOS, c1, c2, …, cn, 0, 0, …]      (EOS doubles as the start token)
 *   target = [c1,  c2, …, cn, EOS, 0, 0, …]
 * right-padded with 0. Index 0 is never a character, so Embedding({maskZero: true}) masks
 * exactly the padded steps and the loss (and accuracy) skip them: each line contributes
 * n + 1 predictions — its characters and the end of the line. A line longer than maxLength
 * keeps its first maxLength characters and its last target is the next character (no EOS).
 *
 * Running text, sliding windows of seqLength steps every `stride` characters:
 *   input = text[i … i+seqLength),  target = text[i+1 … i+seqLength]
 * (no start or end tokens; newlines are ordinary characters).
 * Browser-safe: no Node imports.
 */
import { show } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { EOS, type EncodeOptions, type Vocabulary } from './vocabulary.js';

export interface TextDataset {
  /** [N, T] character indices (as float32, what Embedding takes). */
  x: Tensor;
  /** [N, T] next-character indices; 0 where padded. */
  y: Tensor;
  /** Number of scored predictions (non-padding targets). */
  predictions: number;
}

export interface LineDatasetOptions {
  /** Longest line kept, in characters; the sequences have maxLength + 1 steps. Default: the longest line. */
  maxLength?: number;
  /** Characters outside the vocabulary: 'error' (default) or 'map' to the unknown index. */
  unknown?: EncodeOptions['unknown'];
}

export interface WindowDatasetOptions {
  /** Steps per window. Default 100. */
  seqLength?: number;
  /** Characters between window starts. Default seqLength (no overlap). */
  stride?: number;
  /** Characters outside the vocabulary: 'error' (default) or 'map' to the unknown index. */
  unknown?: EncodeOptions['unknown'];
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${show(v)}`);
  return v;
}

/** One example per line (see the file header for the layout). */
export function lineDataset(lines: readonly string[], vocab: Vocabulary, options: LineDatasetOptions = {}): TextDataset {
  const where = 'lineDataset';
  if (!Array.isArray(lines)) throw new TypeError(`${where}: expected an array of lines`);
  if (lines.length === 0) throw new RangeError(`${where}: no lines`);
  const encoded = lines.map((line, i) => {
    if (typeof line !== 'string') throw new TypeError(`${where}: line ${i} is not a string`);
    try {
      return vocab.encode(line, { unknown: options.unknown ?? 'error' });
    } catch (e) {
      throw new RangeError(`${where}: line ${i + 1}: ${(e as Error).message.replace(/^Vocabulary\.encode: /, '')}`);
    }
  });
  const maxLength = options.maxLength === undefined ? Math.max(1, ...encoded.map((e) => e.length)) : positiveInt(options.maxLength, `${where}: maxLength`);
  const T = maxLength + 1;
  const N = encoded.length;
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * T);
  let predictions = 0;
  encoded.forEach((ids, n) => {
    const row = n * T;
    const len = Math.min(ids.length, maxLength);
    x[row] = EOS;
    for (let t = 0; t < len; t++) {
      x[row + t + 1] = ids[t]!;
      y[row + t] = ids[t]!;
    }
    // After the last kept character: the end of the line, or (truncated) the next character.
    y[row + len] = ids.length > maxLength ? ids[maxLength]! : EOS;
    predictions += len + 1;
  });
  return { x: new Tensor(x, [N, T]), y: new Tensor(y, [N, T]), predictions };
}

/** Sliding windows over running text (see the file header). */
export function windowDataset(text: string, vocab: Vocabulary, options: WindowDatasetOptions = {}): TextDataset {
  const where = 'windowDataset';
  if (typeof text !== 'string') throw new TypeError(`${where}: expected a string`);
  const T = options.seqLength === undefined ? 100 : positiveInt(options.seqLength, `${where}: seqLength`);
  const stride = options.stride === undefined ? T : positiveInt(options.stride, `${where}: stride`);
  let ids: number[];
  try {
    ids = vocab.encode(text, { unknown: options.unknown ?? 'error' });
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message.replace(/^Vocabulary\.encode: /, '')}`);
  }
  if (ids.length < T + 1) throw new RangeError(`${where}: the text has ${ids.length} characters; a window of seqLength ${T} needs at least ${T + 1}`);
  const N = Math.floor((ids.length - T - 1) / stride) + 1;
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * T);
  for (let n = 0; n < N; n++) {
    const start = n * stride;
    for (let t = 0; t < T; t++) {
      x[n * T + t] = ids[start + t]!;
      y[n * T + t] = ids[start + t + 1]!;
    }
  }
  return { x: new Tensor(x, [N, T]), y: new Tensor(y, [N, T]), predictions: N * T };
}
