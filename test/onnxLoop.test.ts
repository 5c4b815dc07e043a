/**
 * tf2onnx's Loop form of Keras recurrent layers (src/io/onnx/loop.ts), against onnxruntime:
 * test/fixtures/onnx-loop holds Loop graphs built node for node as tf2onnx 1.16–1.17 writes
 * them (tools/onnx_loop_fixtures.py), and tampered ones. loadOnnx + predict must give
 * onnxruntime-node's outputs on the same file at several batch sizes; a Loop whose body is
 * not the cell it looks like (a swapped gate, an extra op, a mask select, a condition that
 * stops early, a Loop inside, an output that depends on the step number, a non-zero initial
 * state) is refused with the reason, never imported.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { exportOnnx, loadOnnx, OnnxImportError, tensor, type Model, type Tensor } from '../src/index.js';

const DIR = new URL('./fixtures/onnx-loop/', import.meta.url).pathname;
const TOL = 1e-6;
const read = (name: string): Uint8Array => readFileSync(`${DIR}${name}.onnx`);

/** Largest |rnnkit − onnxruntime| over the file's output at each batch size. */
async function worstDiff(m: Model, bytes: Uint8Array, T: number, F: number, batches: readonly number[]): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  let worst = 0;
  for (const B of batches) {
    const x = Float32Array.from({ length: B * T * F }, (_, i) => Math.sin(i * 1.7 + B) * 1.5);
    const want = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [B, T, F]) }))[session.outputNames[0]!]!;
    const got = m.predict(tensor(Array.from(x), [B, T, F])) as unknown as Tensor;
    assert.deepEqual([...got.shape], [...want.dims], 'output shape');
    const w = want.data as Float32Array;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - w[i]!));
  }
  return worst;
}

const layerSummary = (m: Model): string[] =>
  m.layers
    .filter((l) => l.constructor.name !== 'InputLayer')
    .map((l) => {
      const c = l.getConfig() as Record<string, unknown>;
      return [l.constructor.name, c.activation, c.recurrentActivation, c.returnSequences, c.resetAfter].filter((v) => v !== undefined).join(' ');
    });

describe("ONNX import: tf2onnx's Loop form of Keras recurrent layers", () => {
  const cases: { name: string; T: number; batches: number[]; layers: string[] }[] = [
    { name: 'lstm_seq', T: 5, batches: [1, 2, 5], layers: ['LSTM tanh sigmoid true', 'Dense linear'] },
    { name: 'lstm_relu_last', T: 7, batches: [1, 3], layers: ['LSTM relu sigmoid false', 'Dense sigmoid'] },
    { name: 'gru_stack', T: 4, batches: [1, 2, 4], layers: ['GRU tanh sigmoid true true', 'GRU tanh sigmoid false true', 'Dense linear'] },
    { name: 'simple_rnn_seq', T: 1, batches: [1, 3], layers: ['SimpleRNN tanh true'] },
    // tf.keras GRU(reset_after=False): h·R[:, :2H] and (r ⊙ h)·R[:, 2H:] in the body.
    { name: 'gru_reset_before_last', T: 6, batches: [1, 2], layers: ['GRU tanh sigmoid false false'] },
    // The file runs at batch 1 only (its Reshapes are transposes there); the imported layers run any batch.
    { name: 'lstm_batch1_stack', T: 6, batches: [1], layers: ['LSTM tanh sigmoid true', 'LSTM tanh sigmoid false', 'Dense linear'] },
    // x[:, -5:] before the Loop: its input's length is declared nowhere; the importer follows it through the crop.
    { name: 'gru_after_crop', T: 7, batches: [1, 3], layers: ['Cropping1D', 'GRU tanh sigmoid false true', 'Dense linear'] },
  ];
  for (const c of cases) {
    it(`${c.name}: the Loops become ${c.layers.join(', ')} and predict as onnxruntime does`, async () => {
      const bytes = read(c.name);
      const m = await loadOnnx(bytes);
      assert.deepEqual(layerSummary(m), c.layers);
      const F = (m.inputs[0]!.shape as (number | null)[])[2]!;
      const worst = await worstDiff(m, bytes, c.T, F, c.batches);
      assert.ok(worst < TOL, `${c.name}: max |rnnkit − onnxruntime| = ${worst}`);
    });
  }

  it('an imported Loop-form model is an ordinary model: exported again, onnxruntime gives the same outputs', async () => {
    const m = await loadOnnx(read('gru_stack'));
    const again = await exportOnnx(m);
    const worst = await worstDiff(m, again, 4, 3, [2]);
    assert.ok(worst < 1e-5, `re-export differs by ${worst}`);
  });

  it('batch-1 files generalize row by row: a batch of 3 equals three batches of 1', async () => {
    const m = await loadOnnx(read('lstm_batch1_stack'));
    const x = Array.from({ length: 3 * 6 * 3 }, (_, i) => Math.cos(i));
    const all = (m.predict(tensor(x, [3, 6, 3])) as unknown as Tensor).data;
    for (let b = 0; b < 3; b++) {
      const one = (m.predict(tensor(x.slice(b * 18, (b + 1) * 18), [1, 6, 3])) as unknown as Tensor).data;
      assert.ok(Math.abs(one[0]! - all[b]!) < 1e-6);
    }
  });

  const refused: [string, RegExp][] = [
    ['bad_lstm_swap', /op Loop 'sequential\/lstm\/while_loop_\d+': not read as a Keras recurrent layer: its body does not compute a Keras LSTM cell of the kernels it reads \(checked in float64 on random inputs, activations among Sigmoid, Tanh: largest difference \d/],
    ['bad_gru_swap', /op Loop 'sequential\/gru\/while_loop_\d+': not read as a Keras recurrent layer: its body does not compute a Keras GRU cell/],
    ['bad_lstm_extra', /op Loop 'sequential\/lstm\/while_loop_\d+': not read as a Keras recurrent layer: its body does not compute a Keras LSTM cell/],
    ['bad_rnn_mask', /op Loop 'sequential\/simple_rnn\/while_loop_\d+': not read as a Keras recurrent layer: the body's op Where '[^']+' \(a mask select/],
    // A Loop in the body: its graph (two levels down) is not decoded, and the op is named.
    ['bad_rnn_nested', /op Loop 'sequential\/simple_rnn\/while_loop_\d+': not read as a Keras recurrent layer: the body's op Loop 'simple_rnn\/while\/inner_loop_\d+'/],
    // h' + 0 · counter: equal to the cell at every step checked, but refused by the dependency analysis.
    ['bad_lstm_stepdep', /op Loop 'sequential\/lstm\/while_loop_\d+': not read as a Keras recurrent layer: output '[^']+' depends on the step number other than through x_t/],
    ['bad_rnn_init', /op Loop 'sequential\/simple_rnn\/while_loop_\d+': not read as a Keras recurrent layer: loop-carried value 1 \('sequential\/simple_rnn\/h0_\d+:0'\): an initial state loadOnnx cannot prove to be zeros/],
    ['bad_lstm_early', /op Loop 'sequential\/lstm\/while_loop_\d+': not read as a Keras recurrent layer: the condition stops the loop after step 4 of 5/],
    // A trip count of 3 over x[:, -4:]: checked once the importer knows the crop's length.
    ['bad_gru_crop_trips', /GRU 'sequential\/gru\/while_loop_\d+': a Loop read as a Keras GRU whose input sequence has 4 steps, not the Loop's trip count 3/],
  ];
  for (const [name, why] of refused) {
    it(`${name}: refused with the reason, not imported (onnxruntime runs it)`, async () => {
      const bytes = read(name);
      // The file is a valid model that computes something else: onnxruntime runs it.
      const session = await ort.InferenceSession.create(bytes);
      await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(2 * 5 * 3).fill(0.5), [2, 5, 3]) });
      await assert.rejects(loadOnnx(bytes), (e: Error) => e instanceof OnnxImportError && why.test(e.message));
    });
  }
});
