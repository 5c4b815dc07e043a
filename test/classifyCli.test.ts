/**
 * `rnnkit classify` end to end (child processes): train on a CSV → predict (arguments, stdin,
 * --input CSV, JSON) → evaluate; a directory per class; multi-label columns; the SpamAssassin
 * demo on a small sample; every user mistake as one line and a non-zero exit.
 */
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/index.js';
import { ROOT, assertUserError, rnnkit, rnnkitWithInput } from './helpers/cli.js';
import { spawnSync } from 'node:child_process';

let dir = '';
const rng = new Rng(11);
const noise = (): string => Array.from({ length: 5 + rng.int(8) }, () => `n${rng.int(80)}`).join(' ');
const POS = ['good', 'great', 'lovely'];
const NEG = ['bad', 'awful', 'dreadful'];
/** A text of noise words with one planted word of its class. */
const text = (pos: boolean): string => `${noise()} ${(pos ? POS : NEG)[rng.int(3)]} ${noise()}`;
const csvRows = (n: number): string => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? `"${text(true)}, really",pos` : `"${text(false)}",neg`)).join('\n');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rnnkit-cls-cli-'));
  await writeFile(join(dir, 'train.csv'), `id,text,label\n${csvRows(500).split('\n').map((r, i) => `${i},${r}`).join('\n')}\n`);
  await writeFile(join(dir, 'test.csv'), `text,label\n${csvRows(100)}\n`);
  for (const [c, pos] of [['neg', false], ['pos', true]] as const) {
    await mkdir(join(dir, 'bydir', c), { recursive: true });
    for (let i = 0; i < 60; i++) await writeFile(join(dir, 'bydir', c, `${i}.txt`), text(pos));
    await writeFile(join(dir, 'bydir', c, 'notes.md'), 'ignored: not .txt');
  }
  const multi = Array.from({ length: 400 }, () => {
    const a = rng.uniform() < 0.5;
    const b = rng.uniform() < 0.5;
    return `${noise()}${a ? ' good' : ''}${b ? ' bad' : ''} ${noise()},${a ? 1 : 0},${b ? 'true' : 'false'}`;
  });
  await writeFile(join(dir, 'multi.csv'), `text,happy,sad\n${multi.join('\n')}\n`);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = ['--units', '8', '--embedding-dim', '16', '--sequence-length', '24', '--max-tokens', '200', '--lr', '0.01', '--workers', '1', '--seed', '1'];

test('classify train (CSV) → predict (arguments, stdin, --input, JSON) → evaluate', () => {
  const model = join(dir, 'model');
  const t = rnnkit('classify', 'train', join(dir, 'train.csv'), '--out', model, '--epochs', '6', ...small);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Training a binary classifier \(Bidirectional, [\d,]+ weights\) on .*train\.csv: 500 texts \(50 held out for validation\), classes neg, pos/);
  assert.match(t.stdout, /Best model \(val_loss \d\.\d{4}, epoch \d\) saved in /);

  const a = rnnkit('classify', 'predict', model, 'n1 n2 lovely n3', 'awful n4');
  assert.equal(a.code, 0, a.stderr);
  const lines = a.stdout.trim().split('\n');
  assert.equal(lines[0], 'label,neg,pos');
  assert.match(lines[1]!, /^pos,0\.\d{6},0\.\d{6}$/);
  assert.match(lines[2]!, /^neg,/);
  const s = rnnkitWithInput('great n1\nn2 bad\n', 'classify', 'predict', model, '--format', 'json');
  assert.equal(s.code, 0, s.stderr);
  const json = s.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string; probabilities: Record<string, number> });
  assert.deepEqual(json.map((j) => [j.text, j.label]), [
    ['great n1', 'pos'],
    ['n2 bad', 'neg'],
  ]);
  assert.ok(Math.abs(json[0]!.probabilities.pos! + json[0]!.probabilities.neg! - 1) < 1e-5);
  // A reader that stops early (| head) ends the command quietly (an unhandled EPIPE printed a stack and exit 1).
  writeFileSync(join(dir, 'many.txt'), 'n1 lovely n2\n'.repeat(20_000));
  const head = spawnSync('bash', ['-c', `set -o pipefail; node --import tsx src/cli/main.ts classify predict '${model}' < '${join(dir, 'many.txt')}' | head -1`], { cwd: ROOT, encoding: 'utf8' });
  assert.deepEqual([head.status, head.stdout, head.stderr], [0, 'label,neg,pos\n', '']);
  const i = rnnkit('classify', 'predict', model, '--input', join(dir, 'test.csv'));
  assert.equal(i.code, 0, i.stderr);
  assert.equal(i.stdout.trim().split('\n').length, 101);

  const e = rnnkit('classify', 'evaluate', model, join(dir, 'test.csv'));
  assert.equal(e.code, 0, e.stderr);
  const acc = /accuracy (\d\.\d+) on 100 texts/.exec(e.stdout);
  assert.ok(acc !== null, e.stdout);
  assert.ok(Number(acc[1]) >= 0.9, e.stdout);
  assert.match(e.stdout, /confusion \(rows: true class, columns: predicted\)\n\s+neg\s+pos\nneg\s+\d+\s+\d+\npos\s+\d+\s+\d+/);
  // A test set may hold one example of a class, or one class only (training's rules are not evaluate's).
  const tests = (name: string, rows: string[]): string => {
    const p = join(dir, name);
    writeFileSync(p, `text,label\n${rows.join('\n')}\n`);
    return p;
  };
  const one = rnnkit('classify', 'evaluate', model, tests('one-pos.csv', ['n1 lovely n2,pos', 'n3 awful,neg', 'bad n4,neg']));
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /on 3 texts/);
  const only = rnnkit('classify', 'evaluate', model, tests('only-neg.csv', ['n3 awful,neg', 'bad n4,neg']));
  assert.equal(only.code, 0, only.stderr);
  assert.match(only.stdout, /on 2 texts/);
});

test('classify train --split character reads Chinese texts character by character (whitespace tokens would be whole phrases: a note says so); predict splits as training did', () => {
  const han = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年';
  const phrase = (good: boolean): string => {
    const cs = Array.from({ length: 6 + rng.int(6) }, () => han[rng.int(han.length)]!);
    cs.splice(rng.int(cs.length), 0, good ? '好' : '坏');
    return cs.join('');
  };
  const rows = Array.from({ length: 300 }, () => (rng.uniform() < 0.5 ? `${phrase(true)},pos` : `${phrase(false)},neg`));
  const file = join(dir, 'zh.csv');
  writeFileSync(file, `text,label\n${rows.join('\n')}\n`);
  const model = join(dir, 'zh-model');
  const t = rnnkit('classify', 'train', file, '--out', model, '--epochs', '8', '--split', 'character', ...small);
  assert.equal(t.code, 0, t.stderr);
  assert.doesNotMatch(t.stderr, /Chinese or Japanese/);
  const p = rnnkit('classify', 'predict', model, `${phrase(true)}`, `${phrase(false)}`);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(p.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[0]), ['pos', 'neg']);
  const w = rnnkit('classify', 'train', file, '--out', join(dir, 'zh-words'), '--epochs', '1', ...small);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /note: .*zh\.csv: 300 of 300 texts are written in Chinese or Japanese, without spaces between words, so a token is a whole phrase; --split character reads them character by character/);
  assertUserError(rnnkit('classify', 'train', file, '--out', join(dir, 'zh-bad'), '--split', 'words'), 2, /--split must be one of whitespace, character/);
});

test('classify train on a directory per class (only .txt files) and on multi-label columns', () => {
  const model = join(dir, 'dirmodel');
  // 120 × 0.13 = 15.6: fit holds out 120 − ⌊120 · 0.87⌋ = 16 (the line said ⌊15.6⌋ = 15).
  const t = rnnkit('classify', 'train', join(dir, 'bydir'), '--out', model, '--epochs', '6', '--class-weight', 'balanced', '--validation-split', '0.13', ...small);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /120 texts \(16 held out for validation\), classes neg, pos/);
  const e = rnnkit('classify', 'evaluate', model, join(dir, 'bydir'));
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /accuracy (0\.9\d\d|1\.000) on 120 texts/);

  const mm = join(dir, 'multimodel');
  const m = rnnkit('classify', 'train', join(dir, 'multi.csv'), '--label-column', 'happy', '--label-column', 'sad', '--out', mm, '--epochs', '8', ...small);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /multi-label \(2 labels\) classifier/);
  const p = rnnkit('classify', 'predict', mm, 'n1 good n2 bad', 'n3 n4');
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(p.stdout.trim().split('\n').map((l) => l.split(',')[0]), ['label', 'happy;sad', '']);
  const e2 = rnnkit('classify', 'evaluate', mm, join(dir, 'multi.csv'));
  assert.equal(e2.code, 0, e2.stderr);
  assert.match(e2.stdout, /confusion per label: \[\[TN, FP\], \[FN, TP\]\]/);
});

test('classify demo on a stratified sample of SpamAssassin: model and both baselines scored', () => {
  const out = join(dir, 'spam');
  const r = rnnkit('classify', 'demo', '--messages', '300', '--epochs', '2', '--units', '8', '--sequence-length', '64', '--workers', '1', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /SpamAssassin public corpus: 300 messages \(of 6046\) → 240 train \(31\.\d% spam\), 60 test/);
  for (const name of ['rnnkit BiLSTM', 'naive Bayes', 'logistic regression']) {
    const row = new RegExp(`\\n${name}\\s+(\\d\\.\\d{4})\\s+(\\d\\.\\d{4}|—)\\s+(\\d\\.\\d{4})\\s+(\\d\\.\\d{4})\\s+(\\d\\.\\d{4})`).exec(r.stdout);
    assert.ok(row !== null, `${name} row missing:\n${r.stdout}`);
    assert.ok(Number(row[1]) >= 0.6, `${name} accuracy ${row[1]}`);
  }
  assert.ok(/naive Bayes\s+0\.(8|9)\d{3}/.test(r.stdout), r.stdout);
  const p = rnnkit('classify', 'predict', out, 'Subject: meeting notes for tomorrow');
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^label,ham,spam\n(ham|spam),/);
});

test('classify: every user mistake is one line with a non-zero exit', async () => {
  const bad = async (name: string, content: string): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, content);
    return p;
  };
  const out = join(dir, 'never');
  assertUserError(rnnkit('classify', 'train', join(dir, 'train.csv'), '--out', out, '--text-column', 'body'), 1, /--text-column "body": no such column in .*train\.csv; columns: id, text, label/);
  assertUserError(rnnkit('classify', 'train', join(dir, 'train.csv'), '--out', out, '--label-column', 'id'), 1, /--label-column "id" has 500 distinct values in 500 rows: is it really the label column\?/);
  assertUserError(rnnkit('classify', 'train', await bad('one.csv', 'text,label\na b,x\nc d,y\ne f,y\ng,z\n'), '--out', out), 1, /2 classes have only 1 example: "x" \(.*one\.csv:2\), "z" \(.*one\.csv:5\); every class needs at least 2/);
  assertUserError(rnnkit('classify', 'train', await bad('only.csv', 'text,label\na b,x\nc d,x\n'), '--out', out), 1, /only one class \("x"\); a classifier needs at least 2/);
  assertUserError(rnnkit('classify', 'train', await bad('empty.csv', 'text,label\na b,x\n"",y\n'), '--out', out), 1, /empty\.csv:3: empty text in column "text"/);
  assertUserError(rnnkit('classify', 'train', await bad('multi-bad.csv', 'text,a,b\nx,1,maybe\n'), '--label-column', 'a', '--label-column', 'b', '--out', out), 1, /multi-bad\.csv:2: column "b" is "maybe"; multi-label columns hold 0 or 1/);
  await mkdir(join(dir, 'bin', 'a'), { recursive: true });
  await mkdir(join(dir, 'bin', 'b'), { recursive: true });
  await writeFile(join(dir, 'bin', 'a', '1.txt'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]));
  assertUserError(rnnkit('classify', 'train', join(dir, 'bin'), '--out', out), 1, /bin\/a\/1\.txt is not text \(it contains NUL bytes\)/);
  assertUserError(rnnkit('classify', 'train', join(dir, 'nothing.csv'), '--out', out), 1, /nothing\.csv does not exist/);
  assertUserError(rnnkit('classify', 'train', join(dir, 'train.csv')), 2, /--out DIR is required/);
  assertUserError(rnnkit('classify', 'train', join(dir, 'train.csv'), '--out', out, '--class-weight', 'heavy'), 2, /--class-weight must be 'balanced'/);
  assertUserError(rnnkit('classify', 'predict', join(dir, 'no-model')), 1, /model directory .*no-model does not exist/);
  assertUserError(rnnkit('classify', 'predict', join(dir, 'model'), '--format', 'xml'), 2, /--format must be one of csv, json/);
  assertUserError(rnnkit('classify', 'evaluate', join(dir, 'model'), await bad('other.csv', 'text,label\na b,cat\nc d,cat\ne,dog\nf,dog\n')), 1, /classes "cat", "dog" unknown to the model \(it knows neg, pos\)/);
  assertUserError(rnnkit('classify', 'fly'), 2, /unknown command "fly"/);
});

test("predict and evaluate read the columns the model was trained from (saved with it); a refused input leaves stdout empty", async () => {
  // A published sms-spam file's columns are v1 (label) and v2 (text): evaluate said '--text-column "text": no such column'
  // unless both options were given again, and predict printed its CSV header before failing.
  const file = join(dir, 'sms.csv');
  await writeFile(file, `v1,v2\n${csvRows(200).split('\n').map((r) => { const i = r.lastIndexOf(','); return `${r.slice(i + 1)},${r.slice(0, i)}`; }).join('\n')}\n`);
  const model = join(dir, 'smsmodel');
  const t = rnnkit('classify', 'train', file, '--out', model, '--epochs', '2', '--text-column', 'v2', '--label-column', 'v1', ...small);
  assert.equal(t.code, 0, t.stderr);
  const e = rnnkit('classify', 'evaluate', model, file);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /on 200 texts/);
  const p = rnnkit('classify', 'predict', model, '--input', file);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout.trim().split('\n').length, 201);
  // Options still win over the saved columns; the refusal names the column and prints nothing.
  const bad = rnnkit('classify', 'predict', model, '--input', file, '--text-column', 'body');
  assertUserError(bad, 1, /--text-column "body": no such column/);
  assert.equal(bad.stdout, '');
  assertUserError(rnnkit('classify', 'evaluate', model, join(dir, 'test.csv')), 1, /--text-column "v2": no such column .*test\.csv/);
});
