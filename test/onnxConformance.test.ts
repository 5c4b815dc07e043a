/**
 * ONNX import against ONNX's own conformance cases: test/fixtures/onnx-conformance holds the
 * LSTM / GRU / RNN backend node tests of ONNX (tools/onnx_conformance_fixtures.py runs their
 * generators from Debian's python3-onnx 1.12) as models with W, R, B as initializers, and the
 * outputs of ONNX's numpy reference implementations (LSTM_Helper, GRU_Helper, RNN_Helper) on the
 * case's input and on a second one of another batch size and length. Variants: GRU with
 * linear_before_reset = 1 (the cases use the default 0), LSTM with seeded random weights (the
 * cases give every gate the same ones, so they cannot see the gate order), and the node with
 * outputs Y and Y_h (the cases output Y_h alone, except the layout-1 ones).
 *
 * What loadOnnx reads must give the reference within TOL (absolute; every output is a hidden
 * state in [-1, 1] and rnnkit computes in float32, the helpers mostly in float32 with float64
 * in places). What it does not read must be refused by an OnnxImportError naming the attribute
 * or input — never a model that predicts something else.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnnx, OnnxImportError, tensor, type Model, type Tensor } from '../src/index.js';

const TOL = 1e-6;
const DIR = new URL('./fixtures/onnx-conformance/', import.meta.url).pathname;

interface Arr {
  dims: number[];
  data: number[];
}
interface Fixture {
  name: string;
  onnxCase: string;
  op: 'LSTM' | 'GRU' | 'RNN';
  attributes: Record<string, unknown>;
  inputs: string[];
  layout: 0 | 1;
  outputs: ('Y' | 'Y_h')[];
  runs: ({ X: Arr } & Partial<Record<'Y' | 'Y_h', Arr>>)[];
}

const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture);

/** ONNX's LSTM / GRU / RNN backend node tests (onnx 1.12): each must have its fixture. */
const ONNX_CASES = [
  'test_lstm_defaults',
  'test_lstm_with_initial_bias',
  'test_lstm_with_peepholes',
  'test_lstm_batchwise',
  'test_gru_defaults',
  'test_gru_with_initial_bias',
  'test_gru_seq_length',
  'test_gru_batchwise',
  'test_simple_rnn_defaults',
  'test_simple_rnn_with_initial_bias',
  'test_rnn_seq_length',
  'test_simple_rnn_batchwise',
];

/**
 * Fixtures loadOnnx refuses, and what its error must name. Every other fixture must load and
 * match; a refused one that starts loading fails here until its numbers are checked.
 */
const REFUSED: Record<string, RegExp[]> = {
  // P (peepholes) and sequence_lens given as constants: rnnkit's LSTM has no peepholes, and it
  // reads sequence_lens only as the lengths of a mask.
  lstm_with_peepholes: [/LSTM 'Y_h': .*input P \(peephole/, /input sequence_lens/],
};

/** X as rnnkit takes it, [B, T, I] (layout 0 is [T, B, I]). */
function inputOf(fx: Fixture, x: Arr): Tensor {
  if (fx.layout === 1) return tensor(x.data, x.dims);
  const [T, B, I] = x.dims as [number, number, number];
  const out = new Array<number>(x.data.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let k = 0; k < I; k++) out[(b * T + t) * I + k] = x.data[(t * B + b) * I + k]!;
  return tensor(out, [B, T, I]);
}

/** ONNX's output as rnnkit gives it: Y [T, 1, B, H] (layout 1: [B, T, 1, H]) → [B, T, H]; Y_h [1, B, H] ([B, 1, H]) → [B, H]. */
function expected(fx: Fixture, which: 'Y' | 'Y_h', o: Arr): Arr {
  if (which === 'Y_h') {
    assert.equal(o.dims[fx.layout === 1 ? 1 : 0], 1, 'one direction');
    return { dims: fx.layout === 1 ? [o.dims[0]!, o.dims[2]!] : o.dims.slice(1), data: o.data };
  }
  if (fx.layout === 1) return { dims: [o.dims[0]!, o.dims[1]!, o.dims[3]!], data: o.data };
  const [T, , B, H] = o.dims as [number, number, number, number];
  const out = new Array<number>(o.data.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) out[(b * T + t) * H + h] = o.data[(t * B + b) * H + h]!;
  return { dims: [B, T, H], data: out };
}

const outputsOf = (m: Model, x: Tensor): Tensor[] => {
  const y = m.predict(x) as unknown as Tensor | Tensor[];
  return Array.isArray(y) ? y : [y];
};

describe('loadOnnx: ONNX conformance cases (LSTM, GRU, RNN) give ONNX’s reference outputs', () => {
  it('has a fixture for every ONNX case, and every refusal listed has its fixture', () => {
    const cases = new Set(fixtures.map((f) => f.onnxCase));
    for (const c of ONNX_CASES) assert.ok(cases.has(c), `no fixture for ${c}`);
    const names = new Set(fixtures.map((f) => f.name));
    for (const r of Object.keys(REFUSED)) assert.ok(names.has(r), `no fixture ${r}`);
    // The variants: linear_before_reset = 1, LSTM gates with different weights, and Y as a graph output.
    assert.ok(fixtures.some((f) => f.op === 'LSTM' && f.name.includes('randw') && !(f.name in REFUSED)));
    assert.ok(fixtures.some((f) => f.op === 'GRU' && f.attributes['linear_before_reset'] === 1 && !(f.name in REFUSED)));
    assert.ok(fixtures.some((f) => f.op === 'GRU' && f.attributes['linear_before_reset'] === undefined && !(f.name in REFUSED)));
    for (const op of ['LSTM', 'GRU', 'RNN']) assert.ok(fixtures.some((f) => f.op === op && f.outputs.includes('Y') && !(f.name in REFUSED)), `${op} with Y read`);
  });

  let worst = 0;
  let checked = 0;
  for (const fx of fixtures) {
    const refusal = REFUSED[fx.name];
    if (refusal !== undefined) {
      it(`${fx.name}: refused, naming ${refusal.map((r) => r.source).join(' and ')}`, async () => {
        await assert.rejects(loadOnnx(join(DIR, `${fx.name}.onnx`)), (e: Error) => {
          assert.ok(e instanceof OnnxImportError, `${e.name}: ${e.message}`);
          for (const r of refusal) assert.match(e.message, r);
          return true;
        });
      });
      continue;
    }
    it(`${fx.name} (${fx.op} ${JSON.stringify(fx.attributes)}, outputs ${fx.outputs.join(', ')})`, async () => {
      const m = await loadOnnx(join(DIR, `${fx.name}.onnx`));
      assert.equal(fx.runs.length, 2);
      for (const run of fx.runs) {
        const ys = outputsOf(m, inputOf(fx, run.X));
        assert.equal(ys.length, fx.outputs.length, 'one output per graph output');
        fx.outputs.forEach((which, i) => {
          const want = expected(fx, which, run[which]!);
          assert.deepEqual(ys[i]!.shape, want.dims, `${which} shape`);
          const got = ys[i]!.data;
          let d = 0;
          for (let k = 0; k < want.data.length; k++) d = Math.max(d, Math.abs(got[k]! - want.data[k]!));
          worst = Math.max(worst, d);
          assert.ok(d <= TOL, `${which} (X ${run.X.dims.join('×')}): max |rnnkit − ONNX reference| = ${d}`);
        });
      }
      checked++;
    });
  }

  it('reports the largest difference', () => {
    console.log(`# loadOnnx vs ONNX's reference helpers: max abs difference ${worst.toExponential(2)} over ${checked} models`);
    assert.equal(checked, fixtures.length - Object.keys(REFUSED).length);
    assert.ok(worst <= TOL);
  });
});
