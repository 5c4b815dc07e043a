/**
 * `rnnkit model summary | predict | convert` in a child process: the formats told by name,
 * predictions equal to the library's (each float32 printed as the shortest decimal that
 * reads back to it), conversions through every writable format predicting the same, and the
 * one-line refusals (nothing existing is replaced without --overwrite).
 */
import { after, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, loadOnnx, input, layers, model, setSeed, tensor, type Model } from '../src/index.js';
import { ROOT, assertUserError, rnnkit, rnnkitWithInput } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-model-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', name);
const AUTOENCODER = fixture('tfkeras2-conv-autoencoder.h5');
const LOOP_GRU = fixture(join('onnx-loop', 'gru_stack.onnx'));

const samples = (B: number, T: number, F: number): number[][][] =>
  Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: F }, (_, f) => Math.sin(1 + b * 7 + t * 3 + f))));

/** Every printed number is the float32 the library computes, written shortest. */
function assertPrinted(printed: unknown, want: Float32Array, what: string): void {
  const flat = (JSON.stringify(printed).match(/-?[\d.]+(e[-+]?\d+)?/g) ?? []).map(Number);
  assert.equal(flat.length, want.length, `${what}: count`);
  flat.forEach((v, i) => {
    assert.equal(Math.fround(v), want[i], `${what} [${i}]`);
    const digits = String(v).replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '');
    assert.ok(digits.length <= 9, `${what}: ${v} has at most 9 significant digits`);
  });
}

describe('rnnkit model', () => {
  it('summary: the format, inputs and outputs with shapes, and the layer table', () => {
    const r = rnnkit('model', 'summary', AUTOENCODER);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], `${AUTOENCODER}: Keras HDF5`);
    assert.match(lines[1]!, /^inputs: \S+ \[batch, 12, 1\]$/);
    assert.equal(lines[2], 'outputs: conv1d_transpose_2 [batch, 12, 1]');
    assert.match(r.stdout, /conv1d_transpose_1 \(Conv1DTranspose\)\s+│ \(None, 12, 4\)\s+│\s+88 │/);
    assert.match(r.stdout, /Total params: 302/);
  });

  it('predict: JSON in, JSON out equal to the library (float32s written shortest); stdin; --output; several inputs by name', async () => {
    const x = samples(3, 12, 1);
    const file = join(dir, 'x.json');
    writeFileSync(file, JSON.stringify(x));
    const want = (await loadModel(AUTOENCODER)).predict(tensor(x)).data as Float32Array;
    const r = rnnkit('model', 'predict', AUTOENCODER, '--input', file, '--batch-size', '2');
    assert.equal(r.code, 0, r.stderr);
    assertPrinted(JSON.parse(r.stdout), want, 'from a file');
    const s = rnnkitWithInput(JSON.stringify(x), 'model', 'predict', AUTOENCODER, '--input', '-', '--output', join(dir, 'y.json'));
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout.trim(), `wrote ${join(dir, 'y.json')}: conv1d_transpose_2 [3, 12, 1]`);
    assertPrinted(JSON.parse(readFileSync(join(dir, 'y.json'), 'utf8')), want, 'written');
    // A graph of two inputs and two outputs, saved as a TF.js directory.
    setSeed(7);
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    const m = model({ inputs: [a, b], outputs: [layers.dense({ units: 2, name: 'sum' }).apply(layers.concatenate().apply([a, b]) as never) as never, layers.dense({ units: 1, name: 'one' }).apply(b) as never] }) as Model;
    await m.save(join(dir, 'two'));
    const feeds = { b: [[1, 2]], a: [[0.5, -1, 2]] };
    const t = rnnkitWithInput(JSON.stringify(feeds), 'model', 'predict', join(dir, 'two'), '--input', '-');
    assert.equal(t.code, 0, t.stderr);
    const got = JSON.parse(t.stdout) as Record<string, number[][]>;
    assert.deepEqual(Object.keys(got), ['sum', 'one']);
    const [ys, yo] = m.predict([tensor(feeds.a), tensor(feeds.b)]) as ReturnType<Model['predict']> & unknown[];
    assertPrinted(got.sum, (ys as { data: Float32Array }).data, 'sum');
    assertPrinted(got.one, (yo as { data: Float32Array }).data, 'one');
    assertUserError(rnnkitWithInput('[[1, 2, 3]]', 'model', 'predict', join(dir, 'two'), '--input', '-'), 1, /takes 2 inputs \(a, b\); give --input as an object with one array per input name/);
    assertUserError(rnnkitWithInput('{"a": [[1, 2, 3]], "c": [[1]]}', 'model', 'predict', join(dir, 'two'), '--input', '-'), 1, /names 'c', which the model has no input of \(inputs: a, b\)/);
    assertUserError(rnnkitWithInput('{"a": [[1, 2, 3]]}', 'model', 'predict', join(dir, 'two'), '--input', '-'), 1, /has no array for input 'b'/);
    assertUserError(rnnkitWithInput('[[[1], [2]]]', 'model', 'predict', AUTOENCODER, '--input', '-'), 1, /expected input of shape \[\*, 12, 1\], got \[1, 2, 1\]/);
    assertUserError(rnnkitWithInput('[[[1], ["x"]]]', 'model', 'predict', AUTOENCODER, '--input', '-'), 1, /--input -: tensor: expected a number at \[0\]\[1\]\[0\], got the string "x"/);
    assertUserError(rnnkitWithInput('[[1', 'model', 'predict', AUTOENCODER, '--input', '-'), 1, /--input - is not valid JSON/);
    assertUserError(rnnkit('model', 'predict', AUTOENCODER), 2, /--input FILE\.json is required/);
  });

  it("convert: ONNX (tf2onnx's Loop form) → TF.js directory → .keras → .onnx, each predicting the same; Keras .h5 → .onnx", async () => {
    const x = tensor(samples(2, 4, 3));
    const want = (await loadOnnx(LOOP_GRU)).predict(x).data;
    const tfjs = join(dir, 'gru');
    const keras = join(dir, 'gru.keras');
    const onnx = join(dir, 'gru.onnx');
    for (const [from, to] of [[LOOP_GRU, tfjs], [tfjs, keras], [keras, onnx]] as const) {
      const r = rnnkit('model', 'convert', from, to);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^wrote ${to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    for (const got of [await loadModel(tfjs), await loadModel(keras), await loadOnnx(onnx)]) {
      const y = got.predict(x).data;
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y[i]! - want[i]!) <= 1e-6, `${i}: ${y[i]} vs ${want[i]}`);
    }
    const r = rnnkit('model', 'convert', AUTOENCODER, join(dir, 'ae.onnx'), '--opset', '18');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ONNX opset 18\) from Keras HDF5/);
  });

  it('refuses in one line: unknown names, missing files, existing targets (left as they were), HDF5 output, misplaced options', () => {
    const kept = join(dir, 'kept.onnx');
    writeFileSync(kept, 'mine');
    assertUserError(rnnkit('model', 'convert', AUTOENCODER, kept), 1, /kept\.onnx exists; pass --overwrite to replace it/);
    assert.equal(readFileSync(kept, 'utf8'), 'mine');
    assertUserError(rnnkit('model', 'convert', AUTOENCODER, join(dir, 'out.h5')), 1, /writing Keras HDF5 .* is not supported; write a \.keras file/);
    assertUserError(rnnkit('model', 'convert', AUTOENCODER, join(dir, 'x.keras'), '--opset', '18'), 2, /--opset applies to an \.onnx OUT only/);
    assertUserError(rnnkit('model', 'convert', AUTOENCODER, join(dir, 'x.txt')), 1, /neither \.onnx nor \.keras, and a TF\.js layers model is a directory/);
    assertUserError(rnnkit('model', 'summary', join(ROOT, 'README.md')), 1, /cannot tell the model format from the name/);
    assertUserError(rnnkit('model', 'summary', join(dir, 'none.h5')), 1, /none\.h5: no such file or directory/);
    assertUserError(rnnkit('model', 'summary', join(ROOT, 'package.json')), 1, /no modelTopology/);
    assertUserError(rnnkit('model', 'predict', AUTOENCODER, '--input', 'x.json', '--opset', '3'), 2, /--opset is not an option of this subcommand/);
    assertUserError(rnnkit('model', 'frobnicate', AUTOENCODER), 2, /unknown subcommand "frobnicate"; subcommands: summary, predict, convert/);
    assertUserError(rnnkit('model', 'summary'), 2, /expected MODEL, got 0 arguments/);
  });
});
