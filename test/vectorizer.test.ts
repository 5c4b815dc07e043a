import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextVectorizer } from '../src/index.js';

const rows = (v: TextVectorizer, texts: string[]): number[][] => {
  const t = v.apply(texts);
  const [N, D] = t.shape as [number, number];
  return Array.from({ length: N }, (_, n) => Array.from(t.data.subarray(n * D, (n + 1) * D)));
};
const close = (a: number[][], b: number[][]): void => {
  assert.equal(a.length, b.length);
  a.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(x - b[i]![j]!) < 1e-6, `[${i}][${j}] ${x} vs ${b[i]![j]}`)));
};

test("Keras's documented example: adapt, then int ids padded to outputSequenceLength", () => {
  const v = new TextVectorizer({ maxTokens: 5000, outputMode: 'int', outputSequenceLength: 4 });
  v.adapt(['foo bar', 'bar baz', 'baz bada boom']);
  // counts bar 2, baz 2, then 1 each; ties by the token in decreasing order (Keras's lexsort reversed)
  assert.deepEqual(v.getVocabulary(), ['', '[UNK]', 'baz', 'bar', 'foo', 'boom', 'bada']);
  assert.deepEqual(rows(v, ['foo qux bar', 'qux baz']), [
    [4, 1, 3, 0],
    [1, 2, 0, 0],
  ]);
  // a given vocabulary: the special tokens are put in front
  const w = new TextVectorizer({ maxTokens: 5000, outputSequenceLength: 4, vocabulary: ['earth', 'wind', 'and', 'fire'] });
  assert.deepEqual(w.getVocabulary(), ['', '[UNK]', 'earth', 'wind', 'and', 'fire']);
  assert.deepEqual(w.getVocabulary(false), ['earth', 'wind', 'and', 'fire']);
  assert.equal(w.vocabularySize(), 6);
});

test('standardize modes: Keras punctuation set, lowercasing, none, a function', () => {
  const text = "Hello, World! It's (fine) — ÉTÉ_2024";
  const tok = (standardize: ConstructorParameters<typeof TextVectorizer>[0] extends infer A ? A extends { standardize?: infer S } ? S : never : never) => new TextVectorizer({ standardize }).tokenize(text);
  assert.deepEqual(tok('lower_and_strip_punctuation'), ['hello', 'world', 'its', 'fine', '—', 'été2024']);
  assert.deepEqual(tok('lower'), ['hello,', 'world!', "it's", '(fine)', '—', 'été_2024']);
  assert.deepEqual(tok('strip_punctuation'), ['Hello', 'World', 'Its', 'fine', '—', 'ÉTÉ2024']);
  assert.deepEqual(tok(null), ['Hello,', 'World!', "It's", '(fine)', '—', 'ÉTÉ_2024']);
  assert.deepEqual(tok((s) => s.replace(/[aeiou]/gi, '')), ['Hll,', 'Wrld!', "t's", '(fn)', '—', 'ÉTÉ_2024']);
});

test('split modes: ASCII whitespace runs, Unicode characters (spaces included), none, a function', () => {
  assert.deepEqual(new TextVectorizer({ standardize: null }).tokenize('  a\tb\n\nc  '), ['a', 'b', 'c']);
  assert.deepEqual(new TextVectorizer({ split: 'character', standardize: null }).tokenize('a😀 b'), ['a', '😀', ' ', 'b']);
  assert.deepEqual(new TextVectorizer({ split: null }).tokenize('A b'), ['a b']);
  assert.deepEqual(new TextVectorizer({ split: (s) => s.split('-'), standardize: null }).tokenize('x-y-z'), ['x', 'y', 'z']);
  assert.throws(() => new TextVectorizer({ split: (() => 'no') as never }).tokenize('x'), /split function must return an array of strings/);
});

test('ngrams: n gives 1..n-grams in order of width, a list gives those widths; short texts give none', () => {
  assert.deepEqual(new TextVectorizer({ ngrams: 2 }).tokenize('a b c'), ['a', 'b', 'c', 'a b', 'b c']);
  assert.deepEqual(new TextVectorizer({ ngrams: [2, 3] }).tokenize('a b c'), ['a b', 'b c', 'a b c']);
  assert.deepEqual(new TextVectorizer({ ngrams: [3] }).tokenize('a b'), []);
  assert.deepEqual(new TextVectorizer({ ngrams: 2, split: 'character', standardize: null }).tokenize('abc'), ['a', 'b', 'c', 'a b', 'b c']);
});

test('multi_hot, count and tf_idf against hand-computed vectors; [UNK] is index 0 there', () => {
  const vocabulary = ['a', 'b', 'c', 'd'];
  const texts = ['a c d d', 'd z b z'];
  close(rows(new TextVectorizer({ outputMode: 'multi_hot', vocabulary }), texts), [
    [0, 1, 0, 1, 1],
    [1, 0, 1, 0, 1],
  ]);
  close(rows(new TextVectorizer({ outputMode: 'count', vocabulary }), texts), [
    [0, 1, 0, 1, 2],
    [2, 0, 1, 0, 1],
  ]);
  // Keras's StringLookup tf_idf example: the OOV weight is the mean of the given ones (0.5)
  close(rows(new TextVectorizer({ outputMode: 'tf_idf', vocabulary, idfWeights: [0.25, 0.75, 0.6, 0.4] }), texts), [
    [0, 0.25, 0, 0.6, 0.8],
    [1.0, 0, 0.75, 0, 0.4],
  ]);
  // padToMaxTokens widens the vectors with zeros
  close(rows(new TextVectorizer({ outputMode: 'count', vocabulary, maxTokens: 7, padToMaxTokens: true }), ['b b']), [[0, 0, 2, 0, 0, 0, 0]]);
});

test('adapt in tf_idf mode: idf = log(1 + documents / (1 + documents containing the token))', () => {
  const v = new TextVectorizer({ outputMode: 'tf_idf' }).adapt(['a a b', 'b c', 'b']);
  assert.deepEqual(v.getVocabulary(), ['[UNK]', 'b', 'a', 'c']);
  const idf = [Math.log(1 + 3 / 4), Math.log(1 + 3 / 2), Math.log(1 + 3 / 2)];
  const oov = (idf[0]! + idf[1]! + idf[2]!) / 3;
  close(rows(v, ['a a x b']), [[oov, idf[0]!, 2 * idf[1]!, 0]]);
});

test('maxTokens caps the learned vocabulary, special tokens included; truncate pre/post; no outputSequenceLength pads to the longest', () => {
  const v = new TextVectorizer({ maxTokens: 4 }).adapt(['x x x y y z', 'w']);
  assert.deepEqual(v.getVocabulary(), ['', '[UNK]', 'x', 'y']);
  assert.deepEqual(rows(v, ['x z', 'y']), [
    [2, 1],
    [3, 0],
  ]);
  const post = new TextVectorizer({ vocabulary: ['a', 'b', 'c', 'd'], outputSequenceLength: 2 });
  assert.deepEqual(rows(post, ['a b c d']), [[2, 3]]);
  const pre = new TextVectorizer({ vocabulary: ['a', 'b', 'c', 'd'], outputSequenceLength: 2, truncate: 'pre' });
  assert.deepEqual(rows(pre, ['a b c d']), [[4, 5]]);
  assert.deepEqual(rows(new TextVectorizer({ maxTokens: 3, outputMode: 'multi_hot' }).adapt(['q q r']), ['r q']), [[0, 1, 1]]);
  // adapt's steps × batchSize limit
  assert.deepEqual(new TextVectorizer().adapt(['a', 'b', 'c'], { batchSize: 1, steps: 2 }).getVocabulary(false), ['b', 'a']);
});

test('getConfig → fromConfig keeps the vocabulary, idf weights and settings; outputs identical', () => {
  const v = new TextVectorizer({ outputMode: 'tf_idf', ngrams: [1, 2], maxTokens: 50 }).adapt(['the cat sat', 'the dog sat down', 'a cat']);
  const json = JSON.parse(JSON.stringify(v.getConfig()));
  const w = TextVectorizer.fromConfig(json);
  assert.deepEqual(w.getVocabulary(), v.getVocabulary());
  assert.deepEqual(Array.from(w.apply(['the cat sat down', 'zebra']).data), Array.from(v.apply(['the cat sat down', 'zebra']).data));
  const i = new TextVectorizer({ outputSequenceLength: 5, truncate: 'pre' }).adapt(['b a', 'a']);
  const j = TextVectorizer.fromConfig(JSON.parse(JSON.stringify(i.getConfig())));
  assert.deepEqual(Array.from(j.apply('a b c a b a').data), Array.from(i.apply('a b c a b a').data));
  // A function is saved by its name and taken again from customObjects (wrapped under the key's name when its own differs).
  const bySpace = function bySpace(s: string): string[] {
    return s.split(' ');
  };
  const f = new TextVectorizer({ split: bySpace, outputSequenceLength: 4 }).adapt(['b. a', 'a']);
  const fc = JSON.parse(JSON.stringify(f.getConfig()));
  assert.deepEqual(fc.split, { function: 'bySpace' });
  assert.equal(TextVectorizer.fromConfig(fc, { bySpace }).split, bySpace);
  const renamed = TextVectorizer.fromConfig({ ...fc, split: { function: 'tokens' } }, { tokens: bySpace });
  assert.equal((renamed.split as (t: string) => string[]).name, 'tokens');
  assert.deepEqual(renamed.getConfig().split, { function: 'tokens' });
  assert.deepEqual(Array.from(renamed.apply('a b. c').data), Array.from(f.apply('a b. c').data));
  assert.throws(() => TextVectorizer.fromConfig(fc), /split is the function 'bySpace', saved by its name; give it again: loadModel\(file, \{customObjects: \{'bySpace': \(text\) => \[…tokens\]\}\}\)/);
  assert.throws(() => TextVectorizer.fromConfig({ ...fc, split: { function: 'bySpace', extra: 1 } as never }, { bySpace }), /split must be a mode, null or \{function: name\}/);
  // Without a name of its own: an arrow in the options object is named after the option ('split'), an inline one has ''.
  assert.throws(() => new TextVectorizer({ split: (s) => [s] }).getConfig(), /split is a function without a name of its own \("split"\), which cannot be saved.*function mySplit\(text\)/);
  assert.throws(() => new TextVectorizer({ standardize: [(s: string) => s][0] }).getConfig(), /standardize is a function without a name of its own \(""\)/);
});

test('errors name the option and the problem', () => {
  assert.throws(() => new TextVectorizer({ maxToken: 3 } as never), /unknown option 'maxToken'/);
  assert.throws(() => new TextVectorizer({ outputMode: 'one_hot' as never }), /'one_hot'.*not supported/);
  assert.throws(() => new TextVectorizer({ outputMode: 'multi_hot', outputSequenceLength: 4 }), /outputSequenceLength is for outputMode 'int' only/);
  assert.throws(() => new TextVectorizer({ outputMode: 'count', padToMaxTokens: true }), /padToMaxTokens needs maxTokens/);
  assert.throws(() => new TextVectorizer({ sparse: true }), /sparse/);
  assert.throws(() => new TextVectorizer({ ragged: true }), /ragged/);
  assert.throws(() => new TextVectorizer({ encoding: 'latin-1' }), /encoding must be 'utf-8'/);
  assert.throws(() => new TextVectorizer({ ngrams: 0 }), /ngrams must be a positive integer/);
  assert.throws(() => new TextVectorizer({ ngrams: 2, split: null }), /ngrams needs split/);
  assert.throws(() => new TextVectorizer({ maxTokens: 2 }), /maxTokens must be an integer from 3/);
  assert.throws(() => new TextVectorizer().apply('x'), /no vocabulary yet: call adapt/);
  assert.throws(() => new TextVectorizer({ vocabulary: ['a', 'a'] }), /token "a" appears twice/);
  assert.throws(() => new TextVectorizer({ vocabulary: ['a', '[UNK]'] }), /reserved token "\[UNK\]"/);
  assert.throws(() => new TextVectorizer({ outputMode: 'tf_idf', vocabulary: ['a'] }), /needs idfWeights/);
  assert.throws(() => new TextVectorizer({ vocabulary: ['a'], idfWeights: [1] }), /idfWeights is only for outputMode 'tf_idf'/);
  assert.throws(() => new TextVectorizer({ outputMode: 'tf_idf', vocabulary: ['a'], idfWeights: [NaN] }), /idfWeights\[0\] must be a finite number/);
  assert.throws(() => new TextVectorizer({ maxTokens: 3, vocabulary: ['a', 'b'] }), /more than maxTokens 3/);
  assert.throws(() => new TextVectorizer().adapt(['a', 3 as never]), /text 1 is number/);
  assert.throws(() => new TextVectorizer().adapt('abc' as never), /expected a list of texts/);
});

test("lowercase 'ascii' lowers as TensorFlow's tf.strings.lower (ASCII letters only); 'unicode' is the default; saved with the config", () => {
  const ascii = new TextVectorizer({ lowercase: 'ascii', vocabulary: ['café', 'école'] });
  const unicode = new TextVectorizer({ vocabulary: ['café', 'école'] });
  assert.deepEqual(ascii.tokenize('CAFÉ École Ärger'), ['cafÉ', 'École', 'Ärger']);
  assert.deepEqual(unicode.tokenize('CAFÉ École Ärger'), ['café', 'école', 'ärger']);
  assert.deepEqual(Array.from(ascii.apply(['Café ÉCOLE']).data), [2, 1]);
  assert.deepEqual(Array.from(unicode.apply(['Café ÉCOLE']).data), [2, 3]);
  const again = TextVectorizer.fromConfig(ascii.getConfig());
  assert.equal(again.lowercase, 'ascii');
  // A config saved before the option existed reads as before.
  const { lowercase: _, ...old } = unicode.getConfig();
  assert.equal(TextVectorizer.fromConfig(old).lowercase, 'unicode');
  assert.throws(() => new TextVectorizer({ lowercase: 'turkish' as never }), /lowercase must be 'unicode' or 'ascii', got "turkish"/);
});
