/**
 * The rnnkit CLI end to end (src/cli/main.ts run through tsx in a child process):
 * train on a small corpus into a temp dir, sample from it, and every user mistake —
 * one line on stderr, no stack trace, non-zero exit (2 usage, 1 bad input).
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUserError, rnnkit } from './helpers/cli.js';
import { Sequential, layers } from '../src/index.js';

const NAMES = ['anna', 'anton', 'bob', 'carla', 'dora', 'emil', 'frida', 'greta', 'hans', 'ida', 'jonas', 'karl', 'lena', 'maria', 'nils', 'olga', 'paul', 'rosa', 'sven', 'tina'];
const CHARS = new Set(NAMES.join(''));

let dir = '';
let corpus = '';
let model = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-cli-'));
  corpus = join(dir, 'names.txt');
  model = join(dir, 'model');
  await writeFile(corpus, NAMES.join('\n') + '\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('train → DIR → sample: progress bar, samples per epoch, best model kept; samples shaped and seeded', () => {
  const plot = join(dir, 'curves.svg');
  const t = rnnkit('textgen', 'train', corpus, '--out', model, '--epochs', '3', '--units', '16', '--cell', 'gru', '--batch-size', '4', '--validation-split', '0.2', '--samples', '2', '--seed', '1', '--plot', plot);
  assert.equal(t.code, 0, t.stderr);
  const svg = readFileSync(plot, 'utf8');
  assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  for (const key of ['loss', 'val_loss', 'accuracy', 'val_accuracy']) assert.ok(svg.includes(`>${key}<`), `legend names ${key}`);
  assert.equal(t.stderr, '');
  assert.match(t.stdout, /Training a GRU\(16\) character model on .*names\.txt \(20 lines\)/);
  for (const e of [1, 2, 3]) assert.match(t.stdout, new RegExp(`Epoch ${e}/3`));
  assert.match(t.stdout, /\d+\/\d+ .*loss: \d\.\d{4} - val_accuracy: .* - val_loss: \d\.\d{4}/);
  assert.equal(t.stdout.match(/ {2}samples: /g)?.length, 3);
  assert.match(t.stdout, /Best model \(val_loss \d\.\d{4}, epoch \d\) saved in /);

  const s = rnnkit('textgen', 'sample', model, '--count', '7', '--seed', '3', '--temperature', '1.2', '--top-k', '5');
  assert.equal(s.code, 0, s.stderr);
  const lines = s.stdout.split('\n').slice(0, -1);
  assert.equal(lines.length, 7);
  for (const l of lines) for (const c of l) assert.ok(CHARS.has(c), `sample ${JSON.stringify(l)} has ${JSON.stringify(c)}`);
  assert.equal(rnnkit('textgen', 'sample', model, '--count', '7', '--seed', '3', '--temperature', '1.2', '--top-k', '5').stdout, s.stdout);
  const p = rnnkit('textgen', 'sample', model, '--prefix', 'an', '--count', '4', '--seed', '2', '--max-length', '8');
  assert.equal(p.code, 0, p.stderr);
  const plines = p.stdout.split('\n').slice(0, -1);
  assert.equal(plines.length, 4);
  for (const l of plines) assert.ok(l.startsWith('an') && l.length <= 8, l);
});

test('training again into a directory that holds an rnnkit model needs --overwrite; the model stays untouched without it', async () => {
  const before = await readFile(join(model, 'model.json'), 'utf8');
  for (const cmd of [['textgen', 'train', corpus], ['seq2seq', 'train', corpus], ['classify', 'train', corpus], ['timeseries', 'train', corpus, '--target', 'x', '--lookback', '2', '--horizon', '1']]) {
    assertUserError(rnnkit(...cmd, '--out', model, '--epochs', '1'), 1, /--out .*model already holds an rnnkit model; pass --overwrite to replace it/);
  }
  assert.equal(await readFile(join(model, 'model.json'), 'utf8'), before);
  const t = rnnkit('textgen', 'train', corpus, '--out', model, '--epochs', '1', '--units', '8', '--samples', '0', '--seed', '2', '--overwrite');
  assert.equal(t.code, 0, t.stderr);
  assert.notEqual(await readFile(join(model, 'model.json'), 'utf8'), before);
});

test('--help on every command', () => {
  for (const args of [['--help'], ['textgen', '--help'], ['textgen', 'train', '--help'], ['textgen', 'sample', '--help'], ['textgen', 'demo', '--help']]) {
    const r = rnnkit(...args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /^Usage: rnnkit/, args.join(' '));
  }
});

test('bad corpus: missing, empty, not text, a directory', async () => {
  const out = join(dir, 'unused');
  assertUserError(rnnkit('textgen', 'train', join(dir, 'nope.txt'), '--out', out), 1, /corpus .*nope\.txt does not exist/);
  await writeFile(join(dir, 'empty.txt'), '\n \n');
  assertUserError(rnnkit('textgen', 'train', join(dir, 'empty.txt'), '--out', out), 1, /corpus .*empty\.txt is empty/);
  await writeFile(join(dir, 'bin.dat'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]));
  assertUserError(rnnkit('textgen', 'train', join(dir, 'bin.dat'), '--out', out), 1, /corpus .*bin\.dat is not text/);
  // Not UTF-8: read as Windows-1252 (é is the byte 0xE9), saying so (src/cli/textFile.ts).
  await writeFile(join(dir, 'latin1.txt'), new Uint8Array([0x61, 0xe9, 0x0a, 0x62]));
  const latin1 = rnnkit('textgen', 'train', join(dir, 'latin1.txt'), '--out', join(dir, 'latin1-model'), '--epochs', '1');
  assert.equal(latin1.code, 0, latin1.stderr);
  assert.match(latin1.stderr, /warning: corpus .*latin1\.txt is not UTF-8 \(line 1 holds the byte 0xE9\); read as Windows-1252/);
  assert.match(latin1.stdout, /vocabulary 3 characters/);
  assertUserError(rnnkit('textgen', 'train', dir, '--out', out), 1, /is a directory/);
  assertUserError(rnnkit('textgen', 'train', '--workers', '0', '--out', out), 2, /--workers must be an integer ≥ 1, got "0"/);
});

test('--out that holds something other than an rnnkit model is refused and left untouched', async () => {
  const foreign = join(dir, 'photos');
  await mkdir(foreign);
  await writeFile(join(foreign, 'cat.jpg'), 'meow');
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', foreign, '--epochs', '1'), 1, /--out .*photos is not empty and holds no rnnkit model .*refusing to overwrite/);
  assert.deepEqual(await readdir(foreign), ['cat.jpg']);
  assert.equal(await readFile(join(foreign, 'cat.jpg'), 'utf8'), 'meow');
  const other = join(dir, 'other');
  await mkdir(other);
  await writeFile(join(other, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: 'keras v2.15' }));
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', other, '--epochs', '1'), 1, /not written by rnnkit; refusing to overwrite/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', corpus, '--epochs', '1'), 1, /is not a directory; refusing/);
});

test('bad option values and usage mistakes exit 2 with one line', () => {
  assertUserError(rnnkit('textgen', 'train', corpus), 2, /--out DIR is required/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--units', '0'), 2, /--units must be an integer ≥ 1, got "0"/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--epochs', 'many'), 2, /--epochs must be an integer/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--cell', 'rnn'), 2, /--cell must be one of lstm, gru, simple/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--lr=-1'), 2, /--lr must be a number > 0/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--validation-split', '1'), 2, /--validation-split must be a number in \[0, 1\)/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--bogus'), 2, /Unknown option '--bogus'/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--seed', '-3'), 2, /--seed needs a value; write a value starting with '-' as --seed=-1/);
  assertUserError(rnnkit('textgen', 'train', corpus, '--out', join(dir, 'x'), '--seed=-3'), 2, /--seed must be an integer ≥ 0/);
  assertUserError(rnnkit('textgen', 'sample', model, '--temperature', '0'), 2, /--temperature must be a number > 0/);
  assertUserError(rnnkit('textgen', 'sample', model, '--top-k', '0'), 2, /--top-k must be an integer ≥ 1/);
  assertUserError(rnnkit('textgen', 'sample'), 2, /expected one model directory/);
  assertUserError(rnnkit('textgen', 'frobnicate'), 2, /unknown command "frobnicate"/);
  assertUserError(rnnkit('nope'), 2, /unknown command "nope"/);
});

test('sample: prefix characters outside the vocabulary are named; a directory that is not a text generator is refused', async () => {
  assertUserError(rnnkit('textgen', 'sample', model, '--prefix', 'aXn!'), 1, /--prefix "aXn!": "X", "!" are not in the model's vocabulary/);
  assertUserError(rnnkit('textgen', 'sample', join(dir, 'missing')), 1, /model directory .*missing does not exist/);
  const emptyDir = join(dir, 'emptydir');
  await mkdir(emptyDir);
  assertUserError(rnnkit('textgen', 'sample', emptyDir), 1, /holds no model \(no model\.json\)/);
  const plain = new Sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
  await plain.save(join(dir, 'plain'));
  assertUserError(rnnkit('textgen', 'sample', join(dir, 'plain')), 1, /plain is not an rnnkit text generator/);
  await writeFile(join(emptyDir, 'model.json'), '{not json');
  const r = rnnkit('textgen', 'sample', emptyDir);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('running text (--seq-len): windows, samples of --max-length characters', async () => {
  const text = join(dir, 'story.txt');
  await writeFile(text, 'the cat sat on the mat. the dog sat on the log. '.repeat(12));
  const out = join(dir, 'story-model');
  const t = rnnkit('textgen', 'train', text, '--out', out, '--seq-len', '20', '--epochs', '1', '--units', '8', '--samples', '1', '--seed', '3');
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /characters of running text/);
  const s = rnnkit('textgen', 'sample', out, '--prefix', 'the ', '--count', '2', '--max-length', '30', '--seed', '1');
  assert.equal(s.code, 0, s.stderr);
  const lines = s.stdout.split('\n').slice(0, -1);
  assert.ok(lines.length >= 2 && s.stdout.startsWith('the '), s.stdout);
  assertUserError(rnnkit('textgen', 'train', text, '--out', join(dir, 'too-long'), '--seq-len', '5000'), 1, /too few for windows of 5000/);
  // Running text with line breaks: samples hold them, so they come apart by an empty line, or as JSON Lines.
  const verse = join(dir, 'verse.txt');
  await writeFile(verse, 'the cat sat\non the mat\n'.repeat(30));
  const vout = join(dir, 'verse-model');
  assert.equal(rnnkit('textgen', 'train', verse, '--out', vout, '--seq-len', '12', '--epochs', '2', '--units', '8', '--samples', '0', '--seed', '3').code, 0);
  const args = ['textgen', 'sample', vout, '--prefix', 'the cat sat\non', '--count', '3', '--max-length', '30', '--seed', '1'];
  const j = rnnkit(...args, '--format', 'json');
  assert.equal(j.code, 0, j.stderr);
  const samples = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as string);
  assert.equal(samples.length, 3);
  for (const x of samples) assert.ok(x.startsWith('the cat sat\non'), x);
  assert.equal(rnnkit(...args).stdout, samples.join('\n\n') + '\n');
  assertUserError(rnnkit(...args, '--format', 'xml'), 2, /--format must be one of text, json/);
});
