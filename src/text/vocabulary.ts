/**
 * Vocabulary: a symbol ↔ index map built from a corpus. Symbols are characters (whole
 * Unicode code points: an emoji is one character, not two UTF-16 halves) or, with
 * mode 'word', whitespace-separated tokens (words, phonemes).
 *
 * Layout: index 0 = padding (never a symbol; Embedding maskZero masks it), 1 = the
 * end-of-sequence token (also used as the start token of a line), 2 = unknown symbol,
 * then the corpus's distinct symbols, sorted, from index 3.
 * Browser-safe: no Node imports.
 */
import { show } from '../core/errors.js';

export const PAD = 0;
export const EOS = 1;
export const UNK = 2;
/** Index of the first real character. */
export const FIRST_CHAR = 3;

export interface EncodeOptions {
  /** What to do with a character outside the vocabulary: 'error' throws a RangeError naming them; 'map' encodes it as the unknown index (2). Default 'error'. */
  unknown?: 'error' | 'map';
}

/** JSON form (what travels in model.json). */
export interface VocabularyJSON {
  /** The symbols at indices 3, 4, … in order. */
  chars: string[];
  /** 'word' for whitespace-separated tokens; absent for characters. */
  mode?: 'word';
}

/** Characters, or whitespace-separated tokens. */
export type VocabularyMode = 'char' | 'word';

export class Vocabulary {
  /** The symbols at indices 3, 4, … (sorted: characters by code point, tokens by code units). */
  readonly chars: readonly string[];
  readonly mode: VocabularyMode;
  private readonly index: ReadonlyMap<string, number>;

  /** From an explicit list of distinct symbols (kept in the given order): single characters, or tokens without whitespace with mode 'word'. */
  constructor(chars: readonly string[], options: { mode?: VocabularyMode } = {}) {
    if (!Array.isArray(chars)) throw new TypeError(`Vocabulary: expected an array of characters, got ${String(chars)}`);
    const mode = options.mode ?? 'char';
    if (mode !== 'char' && mode !== 'word') throw new RangeError(`Vocabulary: mode must be 'char' or 'word', got ${show(mode)}`);
    const index = new Map<string, number>();
    chars.forEach((c, i) => {
      if (mode === 'char' && (typeof c !== 'string' || [...c].length !== 1)) throw new TypeError(`Vocabulary: entry ${i} must be a single character, got ${show(c)}`);
      if (mode === 'word' && (typeof c !== 'string' || c === '' || /\s/.test(c))) throw new TypeError(`Vocabulary: entry ${i} must be a token without whitespace, got ${show(c)}`);
      if (index.has(c)) throw new RangeError(`Vocabulary: ${mode === 'char' ? 'character' : 'token'} ${describeChar(c)} appears twice`);
      index.set(c, FIRST_CHAR + i);
    });
    if (chars.length === 0) throw new RangeError(`Vocabulary: needs at least one ${mode === 'char' ? 'character' : 'token'}`);
    this.chars = Object.freeze([...chars]);
    this.mode = mode;
    this.index = index;
  }

  /**
   * The sorted distinct symbols of a corpus: a string (every character, newlines
   * included) or lines (every character of every line; line breaks are not characters).
   * With mode 'word', the whitespace-separated tokens of the lines.
   */
  static fromCorpus(corpus: string | readonly string[], options: { mode?: VocabularyMode } = {}): Vocabulary {
    if (options.mode === 'word') {
      const set = new Set<string>();
      const lines = typeof corpus === 'string' ? [corpus] : corpus;
      if (!Array.isArray(lines)) throw new TypeError('Vocabulary.fromCorpus: expected a string or an array of lines');
      lines.forEach((line, i) => {
        if (typeof line !== 'string') throw new TypeError(`Vocabulary.fromCorpus: line ${i} is not a string`);
        for (const t of splitWords(line)) set.add(t);
      });
      if (set.size === 0) throw new RangeError('Vocabulary.fromCorpus: the corpus has no tokens');
      return new Vocabulary([...set].sort(), { mode: 'word' });
    }
    const set = new Set<string>();
    const add = (s: string): void => {
      for (const c of s) set.add(c);
    };
    if (typeof corpus === 'string') add(corpus);
    else if (Array.isArray(corpus)) {
      corpus.forEach((line, i) => {
        if (typeof line !== 'string') throw new TypeError(`Vocabulary.fromCorpus: line ${i} is not a string`);
        add(line);
      });
    } else throw new TypeError('Vocabulary.fromCorpus: expected a string or an array of lines');
    if (set.size === 0) throw new RangeError('Vocabulary.fromCorpus: the corpus is empty');
    return new Vocabulary([...set].sort(compareCodePoints));
  }

  static fromJSON(json: unknown): Vocabulary {
    const j = json as VocabularyJSON | null;
    if (!Array.isArray(j?.chars)) throw new TypeError('Vocabulary.fromJSON: expected {chars: string[]}');
    if (j!.mode !== undefined && j!.mode !== 'word') throw new TypeError(`Vocabulary.fromJSON: mode must be 'word' or absent, got ${show(j!.mode)}`);
    return new Vocabulary(j!.chars as string[], { mode: j!.mode ?? 'char' });
  }

  toJSON(): VocabularyJSON {
    return this.mode === 'word' ? { chars: [...this.chars], mode: 'word' } : { chars: [...this.chars] };
  }

  /** The symbols of a text: its characters, or its whitespace-separated tokens. */
  split(text: string): string[] {
    return this.mode === 'word' ? splitWords(text) : [...text];
  }

  /** Number of indices, special tokens included (the Embedding inputDim and the Dense units). */
  get size(): number {
    return FIRST_CHAR + this.chars.length;
  }

  has(char: string): boolean {
    return this.index.has(char);
  }

  /** Index of one character, or undefined. */
  indexOf(char: string): number | undefined {
    return this.index.get(char);
  }

  /** The character at an index ('' for padding and end-of-sequence, '\uFFFD' for unknown). */
  charAt(i: number): string {
    if (i >= FIRST_CHAR && i < this.size) return this.chars[i - FIRST_CHAR]!;
    if (i === UNK) return '\uFFFD';
    if (i === PAD || i === EOS) return '';
    throw new RangeError(`Vocabulary: index ${i} is outside [0, ${this.size})`);
  }

  /** Symbols of `text` that are not in the vocabulary (distinct, in order of appearance). */
  unknownChars(text: string): string[] {
    const out = new Set<string>();
    for (const c of this.split(text)) if (!this.index.has(c)) out.add(c);
    return [...out];
  }

  /** Indices of the symbols of `text` (no start or end token added). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new TypeError(`Vocabulary.encode: expected a string, got ${typeof text}`);
    const unknown = options.unknown ?? 'error';
    if (unknown !== 'error' && unknown !== 'map') throw new RangeError(`Vocabulary.encode: unknown must be 'error' or 'map', got ${show(unknown)}`);
    const out: number[] = [];
    for (const c of this.split(text)) {
      const i = this.index.get(c);
      if (i !== undefined) out.push(i);
      else if (unknown === 'map') out.push(UNK);
      else throw new RangeError(`Vocabulary.encode: ${formatUnknown(this.unknownChars(text), this.mode)} not in the vocabulary`);
    }
    return out;
  }

  /** Text of indices: padding and end-of-sequence are dropped, unknown becomes '\uFFFD'; tokens are joined by spaces. */
  decode(indices: ArrayLike<number>): string {
    const parts: string[] = [];
    for (let i = 0; i < indices.length; i++) {
      const c = this.charAt(indices[i]!);
      if (c !== '') parts.push(c);
    }
    return parts.join(this.mode === 'word' ? ' ' : '');
  }
}

function compareCodePoints(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/** 'x' or U+000A for invisible characters. */
export function describeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  return cp < 0x21 || (cp >= 0x7f && cp < 0xa1) ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(c);
}

/** "character '€' is" / "characters '€', 'ß' are" (tokens for word vocabularies). */
export function formatUnknown(chars: readonly string[], mode: VocabularyMode = 'char'): string {
  const shown = chars.slice(0, 10).map(describeChar).join(', ') + (chars.length > 10 ? `, … (${chars.length} in all)` : '');
  const what = mode === 'word' ? 'token' : 'character';
  return chars.length === 1 ? `${what} ${shown} is` : `${what}s ${shown} are`;
}

function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((t) => t !== '');
}
