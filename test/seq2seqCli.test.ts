/**
 * `rnnkit seq2seq` and `rnnkit g2p` end to end (child processes): train on a TSV of
 * pairs → translate (arguments and stdin, in order) → evaluate; the G2P demo on a small
 * slice of the dictionary → say; and every user mistake as one line and a non-zero exit.
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import { assertUserError, rnnkit, rnnkitWithInput } from './helpers/cli.js';
import { readPairs } from '../src/cli/seq2seq.js';

let dir = '';
let pairs = '';
let heldOut = '';
let model = '';
const reverse = (s: string): string => [...s].reverse().join('');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-s2s-cli-'));
  const rng = new Rng(3);
  const word = (): string => Array.from({ length: 1 + rng.int(5) }, () => 'abcdef'[rng.int(6)]).join('');
  const lines = (n: number): string => Array.from({ length: n }, () => word()).map((w) => `${w}\t${reverse(w)}`).join('\n') + '\n';
  pairs = join(dir, 'pairs.tsv');
  heldOut = join(dir, 'held-out.tsv');
  model = join(dir, 'model');
  await writeFile(pairs, lines(1200));
  await writeFile(heldOut, lines(100));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('seq2seq train → translate (arguments, stdin in order) → evaluate', () => {
  const t = rnnkit('seq2seq', 'train', pairs, '--out', model, '--units', '48', '--embedding-dim', '16', '--epochs', '10', '--batch-size', '32', '--lr', '0.01', '--workers', '1', '--beam', '2', '--seed', '1');
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.stderr, '');
  assert.match(t.stdout, /Training LSTM\(48\) encoder–decoder with dot attention on .*pairs\.tsv \(1200 pairs, 120 held out for validation\); vocabularies: 6 source, 6 target characters/);
  assert.match(t.stdout, /Epoch 10\/10/);
  assert.match(t.stdout, /Best model \(val_loss \d\.\d{4}, epoch \d+\) saved in /);

  const a = rnnkit('seq2seq', 'translate', model, 'abc', 'fedd', 'e');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, 'cba\nddef\ne\n');
  const s = rnnkitWithInput('abcde\nb\n\nfaced\n', 'seq2seq', 'translate', model, '--beam', '3');
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout, 'edcba\nb\n\ndecaf\n');
  // an unknown symbol is read as the unknown one, with a warning naming it and where
  const u = rnnkitWithInput('ab\naxb\n', 'seq2seq', 'translate', model);
  assert.equal(u.code, 0);
  assert.equal(u.stdout.split('\n').length, 3);
  assert.match(u.stderr, /^rnnkit: warning: line 2: "x" is not in the model's source vocabulary; read as the unknown symbol/);

  const e = rnnkit('seq2seq', 'evaluate', model, heldOut);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /beam width 2: \d+ distinct sources of 100 pairs/);
  const row = /\nmodel\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(e.stdout);
  assert.ok(row !== null, e.stdout);
  assert.ok(Number(row[1]) >= 95, `exact match ${row[1]}%`);
  assert.ok(Math.abs(Number(row[1]) + Number(row[2]) - 100) < 0.02);
});

test('seq2seq errors: missing, empty or malformed pairs files named by line; --out holding something else; bad models', async () => {
  const out = join(dir, 'fresh');
  assertUserError(rnnkit('seq2seq', 'train', join(dir, 'nope.tsv'), '--out', out), 1, /pairs file .*nope\.tsv does not exist/);
  const empty = join(dir, 'empty.tsv');
  await writeFile(empty, '\n\n');
  assertUserError(rnnkit('seq2seq', 'train', empty, '--out', out), 1, /pairs file .*empty\.tsv is empty/);
  const bad = async (name: string, text: string): Promise<string> => {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  };
  assertUserError(rnnkit('seq2seq', 'train', await bad('notab.tsv', 'ab\tba\n\nabc cba\n'), '--out', out), 1, /notab\.tsv:3: no tab; each line must be source<TAB>target/);
  assertUserError(rnnkit('seq2seq', 'train', await bad('tabs.tsv', 'ab\tba\nab\tb\ta\n'), '--out', out), 1, /tabs\.tsv:2: 2 tabs/);
  assertUserError(rnnkit('seq2seq', 'train', await bad('nosrc.tsv', '\tba\n'), '--out', out), 1, /nosrc\.tsv:1: the source \(before the tab\) is empty/);
  assertUserError(rnnkit('seq2seq', 'train', await bad('notgt.tsv', 'ab\tba\nab\t \n'), '--out', out), 1, /notgt\.tsv:2: the target \(after the tab\) is empty/);
  const busy = join(dir, 'busy');
  await mkdir(busy);
  await writeFile(join(busy, 'notes.txt'), 'mine');
  assertUserError(rnnkit('seq2seq', 'train', pairs, '--out', busy), 1, /--out .*busy is not empty and holds no rnnkit model .*refusing to overwrite it/);
  assertUserError(rnnkit('seq2seq', 'train', pairs), 2, /--out DIR is required/);
  assertUserError(rnnkit('seq2seq', 'train', pairs, '--out', out, '--attention', 'luong'), 2, /--attention must be one of none, dot, additive, got "luong"/);
  assertUserError(rnnkit('seq2seq', 'train', pairs, '--out', out, '--bidirectional', '--units', '7'), 2, /--bidirectional needs an even --units/);
  assertUserError(rnnkit('seq2seq', 'train', pairs, '--out', out, '--frobnicate'), 2, /Unknown option '--frobnicate'/);
  assertUserError(rnnkit('seq2seq', 'translate', join(dir, 'missing'), 'ab'), 1, /model directory .*missing does not exist/);
  assertUserError(rnnkit('seq2seq', 'translate', busy, 'ab'), 1, /busy holds no model \(no model\.json\)/);
  assertUserError(rnnkit('seq2seq', 'evaluate', busy), 2, /expected a model directory and a pairs file/);
  assertUserError(rnnkit('seq2seq', 'frobnicate'), 2, /unknown command "frobnicate"; commands: train, translate, evaluate/);
});

test('g2p demo on a slice of the dictionary: scores beside both baselines; g2p say uses the model and shows the dictionary', async () => {
  const out = join(dir, 'g2p');
  const d = rnnkit('g2p', 'demo', '--out', out, '--words', '600', '--epochs', '1', '--units', '16', '--embedding-dim', '8', '--beam', '2', '--workers', '1');
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /CMU Pronouncing Dictionary: 600 words \(of 12\d{4}\) → 540 train, 30 validation, 30 test words/);
  for (const row of ['dot attention, greedy', 'dot attention, beam 2', 'no attention, greedy', 'letter → phonemes']) {
    assert.match(d.stdout, new RegExp(`\\n${row}\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+\\n`), `row ${row}`);
  }
  assert.match(d.stdout, /exact match %\s+WER %\s+PER %/);
  const s = rnnkit('g2p', 'say', '--model', out, 'Cat', 'zyx');
  assert.equal(s.code, 0, s.stderr);
  const lines = s.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^cat\s+[A-Z ]*\s+\(dictionary: K AE T\)$/);
  assertUserError(rnnkit('g2p', 'say', '--model', out, 'c3po'), 1, /word 1 "c3po": "3" is not a letter the model knows/);
  assertUserError(rnnkit('g2p', 'say', '--model', join(dir, 'none'), 'cat'), 1, /model directory .*none does not exist/);
  assertUserError(rnnkit('g2p', 'say'), 2, /expected one or more words/);
  assertUserError(rnnkit('g2p', 'demo', '--units', '15'), 2, /--units must be even/);
});

test("a pairs file with further columns on every line (Keras's fra.txt: source, target, attribution) reads the first two and says so; a line with fewer is refused", async () => {
  const f = join(dir, 'fra.txt');
  await writeFile(f, 'Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\nHi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM)\n');
  const notes: string[] = [];
  assert.deepEqual(await readPairs(f, (s) => notes.push(s)), [['Go.', 'Va !'], ['Hi.', 'Salut !']]);
  assert.deepEqual(notes, [`${f}: 3 tab-separated columns on every line; the first is the source, the second the target, the third is not read`]);
  await writeFile(f, 'Go.\tVa !\tCC-BY\nHi.\tSalut !\n');
  await assert.rejects(readPairs(f, () => {}), /fra\.txt:2: 1 tab, the first line 2; each line must be source<TAB>target \(further columns, such as an attribution, only when every line has them\)/);
});
