/**
 * Vocabulary: a character ↔ index map built from a corpus, for character-level models.
 *
 * Layout: index 0 = padding (never a character; Embedding maskZero masks it), 1 = the
 * end-of-sequence token (also used as the start token of a line), 2 = unknown character,
 * then the corpus's distinct characters sorted by code point from index 3. Characters are
 * whole Unicode code points (an emoji is one character, not two UTF-16 halves).
 * Browser-safe: no Node imports.
 */

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
  /** The characters at indices 3, 4, … in order. */
  chars: string[];
}

export class Vocabulary {
  /** The characters at indices 3, 4, … (sorted by code point). */
  readonly chars: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  /** From an explicit list of distinct single characters (kept in the given order). */
  constructor(chars: readonly string[]) {
    if (!Array.isArray(chars)) throw new TypeError(`Vocabulary: expected an array of characters, got ${String(chars)}`);
    const index = new Map<string, number>();
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) throw new TypeError(`Vocabulary: entry ${i} must be a single character, got ${JSON.stringify(c)}`);
      if (index.has(c)) throw new RangeError(`Vocabulary: character ${describeChar(c)} appears twice`);
      index.set(c, FIRST_CHAR + i);
    });
    if (chars.length === 0) throw new RangeError('Vocabulary: needs at least one character');
    this.chars = Object.freeze([...chars]);
    this.index = index;
  }

  /**
   * The sorted distinct characters of a corpus: a string (every character, newlines
   * included) or lines (every character of every line; line breaks are not characters).
   */
  static fromCorpus(corpus: string | readonly string[]): Vocabulary {
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
    const chars = (json as VocabularyJSON | null)?.chars;
    if (!Array.isArray(chars)) throw new TypeError('Vocabulary.fromJSON: expected {chars: string[]}');
    return new Vocabulary(chars as string[]);
  }

  toJSON(): VocabularyJSON {
    return { chars: [...this.chars] };
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

  /** Characters of `text` that are not in the vocabulary (distinct, in order of appearance). */
  unknownChars(text: string): string[] {
    const out = new Set<string>();
    for (const c of text) if (!this.index.has(c)) out.add(c);
    return [...out];
  }

  /** Indices of the characters of `text` (no start or end token added). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new TypeError(`Vocabulary.encode: expected a string, got ${typeof text}`);
    const unknown = options.unknown ?? 'error';
    if (unknown !== 'error' && unknown !== 'map') throw new RangeError(`Vocabulary.encode: unknown must be 'error' or 'map', got ${JSON.stringify(unknown)}`);
    const out: number[] = [];
    for (const c of text) {
      const i = this.index.get(c);
      if (i !== undefined) out.push(i);
      else if (unknown === 'map') out.push(UNK);
      else throw new RangeError(`Vocabulary.encode: ${formatUnknown(this.unknownChars(text))} not in the vocabulary`);
    }
    return out;
  }

  /** Text of indices: padding and end-of-sequence are dropped, unknown becomes '\uFFFD'. */
  decode(indices: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < indices.length; i++) s += this.charAt(indices[i]!);
    return s;
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

/** "character '€' is" / "characters '€', 'ß' are". */
export function formatUnknown(chars: readonly string[]): string {
  const shown = chars.slice(0, 10).map(describeChar).join(', ') + (chars.length > 10 ? `, … (${chars.length} in all)` : '');
  return chars.length === 1 ? `character ${shown} is` : `characters ${shown} are`;
}
