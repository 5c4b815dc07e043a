/**
 * Regularizers: penalties against hand computations, gradients against central
 * differences of the penalty (in float64 on a float32 grid of weights), the sign(0) = 0
 * convention, skipped zero-factor terms, name lookup, config round trips, and
 * validation messages. OrthogonalRegularizer: Keras 3's test_orthogonal_regularizer
 * formula in float64, hand values, its gradient against central differences (both
 * modes, and the clamped norm of a vector shorter than ε), binding to a layer's weight
 * shape, and the penalty in a compiled model's loss.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { youngGrowth } from './helpers/allocation.js';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers, tensor } from '../src/index.js';
import {
  OrthogonalRegularizer,
  getRegularizer,
  regularizerFromConfig,
  regularizers,
  serializeRegularizer,
  type Regularizer,
} from '../src/regularizers/index.js';

/** Penalty vs a float64 hand computation on the same float32 inputs. */
const PENALTY_RTOL = 1e-12;
/** Finite-difference step for the gradient check. */
const FD_STEP = 1e-3;
/**
 * Tolerance of analytic vs central-difference gradient. The difference quotient is
 * exact here (piecewise quadratic penalty, float32-exact probes, |w| > step); what is
 * left is the float32 rounding of grad (|grad| ≤ ~3 → ulp/2 ≈ 1.2e-7).
 */
const GRAD_ATOL = 1e-6;
/** Young-generation bytes an allocation-free loop may add (the measurement itself costs ~2 KB). */
const HEAP_SLACK_BYTES = 8192;

// Float32-exact values, none within FD_STEP of the kink at 0.
const W = new Float32Array([0.5, -1.25, 2, -0.75, 0.125, -3]);
const SUM_ABS = 0.5 + 1.25 + 2 + 0.75 + 0.125 + 3; // 7.625
const SUM_SQ = 0.25 + 1.5625 + 4 + 0.5625 + 0.015625 + 9; // 15.390625

function close(actual: number, expected: number, rtol: number, what: string): void {
  const d = Math.abs(actual - expected);
  assert.ok(d <= rtol * Math.abs(expected), `${what}: got ${actual}, expected ${expected}, |diff| ${d.toExponential(3)}`);
}

/** Penalty with w[i] replaced by a float32 probe value. */
function penaltyAt(reg: Regularizer, w: Float32Array, i: number, value: number): number {
  const probe = Float32Array.from(w);
  probe[i] = value;
  return reg.penalty(probe);
}

function checkGradient(reg: Regularizer, w: Float32Array, what: string): void {
  const grad = new Float32Array(w.length).fill(0.25); // addGradient must add, not overwrite
  reg.addGradient(grad, w);
  let worst = 0;
  let where = -1;
  for (let i = 0; i < w.length; i++) {
    // Divide by the float32 probes' actual distance so their rounding cancels.
    const h = FD_STEP;
    const wp = Math.fround(w[i]! + h);
    const wm = Math.fround(w[i]! - h);
    const numeric = (penaltyAt(reg, w, i, wp) - penaltyAt(reg, w, i, wm)) / (wp - wm);
    const d = Math.abs(grad[i]! - 0.25 - numeric);
    if (d > worst) {
      worst = d;
      where = i;
    }
  }
  assert.ok(worst <= GRAD_ATOL, `${what}: gradient max |diff| ${worst.toExponential(3)} at index ${where}; got [${Array.from(grad, (g) => g - 0.25).join(', ')}]`);
}

test('l1 / l2 / l1l2 penalties match hand computations (no ½ on L2)', () => {
  close(regularizers.l1().penalty(W), 0.01 * SUM_ABS, PENALTY_RTOL, 'l1 default');
  close(regularizers.l1({ l1: 0.3 }).penalty(W), 0.3 * SUM_ABS, PENALTY_RTOL, 'l1 0.3');
  close(regularizers.l2().penalty(W), 0.01 * SUM_SQ, PENALTY_RTOL, 'l2 default');
  close(regularizers.l2({ l2: 0.1 }).penalty(W), 0.1 * SUM_SQ, PENALTY_RTOL, 'l2 0.1');
  close(regularizers.l1l2({ l1: 0.2, l2: 0.05 }).penalty(W), 0.2 * SUM_ABS + 0.05 * SUM_SQ, PENALTY_RTOL, 'l1l2');
  // Keras docstring examples: L2(2.)(ones(5, 5)) = 50; L1(0.01) on a 5×5 kernel of 1s... = 0.25.
  assert.equal(regularizers.l2({ l2: 2 }).penalty(new Float32Array(25).fill(1)), 50);
  close(regularizers.l1({ l1: 0.01 }).penalty(new Float32Array(25).fill(1)), 0.25, PENALTY_RTOL, 'Keras L1 doc example');
});

test('l1l2 defaults to l1 = l2 = 0 (Keras 3 L1L2), l1 and l2 to 0.01', () => {
  assert.deepEqual(regularizers.l1l2().getConfig(), { l1: 0, l2: 0 });
  assert.equal(regularizers.l1l2().penalty(W), 0);
  assert.deepEqual(regularizers.l1().getConfig(), { l1: 0.01 });
  assert.deepEqual(regularizers.l2().getConfig(), { l2: 0.01 });
  assert.deepEqual(regularizers.l1l2({ l2: 0.1 }).getConfig(), { l1: 0, l2: 0.1 });
});

test('a zero factor skips its term, as Keras `if self.l1:` does', () => {
  const inf = new Float32Array([1, Infinity]);
  assert.equal(regularizers.l2({ l2: 0.5 }).penalty(inf), Infinity);
  assert.equal(regularizers.l1l2({ l1: 0, l2: 0.5 }).penalty(inf), Infinity);
  assert.equal(regularizers.l1l2({ l1: 0.5, l2: 0 }).penalty(inf), Infinity);
  assert.equal(regularizers.l1l2().penalty(inf), 0);
});

test('gradients match central differences', () => {
  checkGradient(regularizers.l1(), W, 'l1');
  checkGradient(regularizers.l1({ l1: 0.7 }), W, 'l1 0.7');
  checkGradient(regularizers.l2({ l2: 0.3 }), W, 'l2 0.3');
  checkGradient(regularizers.l1l2({ l1: 0.2, l2: 0.05 }), W, 'l1l2');
  checkGradient(regularizers.l1l2({ l1: 0.2 }), W, 'l1l2 l1 only');
  checkGradient(regularizers.l1l2({ l2: 0.05 }), W, 'l1l2 l2 only');
});

test('gradient hand values: l1·sign(w) + 2·l2·w, sign(0) = 0, added into grad', () => {
  const w = new Float32Array([0, 2, -0.5, -0]);
  const grad = new Float32Array([1, 1, 1, 1]);
  regularizers.l1l2({ l1: 0.25, l2: 0.5 }).addGradient(grad, w);
  assert.deepEqual(Array.from(grad), [1, 1 + 0.25 + 2, 1 - 0.25 - 0.5, 1]);
  const g1 = new Float32Array(4);
  regularizers.l1({ l1: 0.5 }).addGradient(g1, w);
  assert.deepEqual(Array.from(g1), [0, 0.5, -0.5, 0]);
  const g2 = new Float32Array(4);
  regularizers.l2({ l2: 0.5 }).addGradient(g2, w);
  assert.deepEqual(Array.from(g2), [0, 2, -0.5, 0]);
  assert.throws(() => regularizers.l2().addGradient(new Float32Array(3), w), /RangeError|gradient length 3 does not match weight length 4/);
});

test('names: tfjs, snake_case and class names give the defaults', () => {
  const where = "Dense 'dense_1': kernelRegularizer";
  for (const [name, cls, config] of [
    ['l1', 'L1', { l1: 0.01 }],
    ['L1', 'L1', { l1: 0.01 }],
    ['l2', 'L2', { l2: 0.01 }],
    ['L2', 'L2', { l2: 0.01 }],
    ['l1l2', 'L1L2', { l1: 0, l2: 0 }],
    ['l1_l2', 'L1L2', { l1: 0, l2: 0 }],
    ['L1L2', 'L1L2', { l1: 0, l2: 0 }],
  ] as const) {
    const r = getRegularizer(name, where);
    assert.ok(r !== null);
    assert.equal(r.className, cls, name);
    assert.deepEqual(r.getConfig(), config, name);
  }
  assert.equal(getRegularizer(null, where), null);
  assert.equal(getRegularizer(undefined, where), null);
  const own = regularizers.l2({ l2: 0.3 });
  assert.equal(getRegularizer(own, where), own);
  const custom: Regularizer = { className: 'Mine', penalty: () => 1, addGradient: () => {}, getConfig: () => ({}) };
  assert.equal(getRegularizer(custom, where), custom);
});

test('config round trips through serialize / getRegularizer / regularizerFromConfig / JSON', () => {
  for (const reg of [regularizers.l1({ l1: 0.3 }), regularizers.l2({ l2: 0.125 }), regularizers.l1l2({ l1: 0.01, l2: 0.02 }), regularizers.l1l2()]) {
    const s = serializeRegularizer(reg);
    const back = JSON.parse(JSON.stringify(s)) as { className: string; config: Record<string, unknown> };
    assert.deepEqual(back, s);
    const r1 = getRegularizer(back, 'x')!;
    const r2 = regularizerFromConfig(back.className, back.config);
    for (const r of [r1, r2]) {
      assert.equal(r.className, reg.className);
      assert.deepEqual(r.getConfig(), reg.getConfig());
      assert.equal(r.penalty(W), reg.penalty(W));
    }
  }
  // tfjs writes every built-in as L1L2 {l1, l2}; Keras 3 float32 factors come back as written.
  const tfjsL1 = getRegularizer({ className: 'L1L2', config: { l1: 0.01, l2: 0 } }, 'x')!;
  close(tfjsL1.penalty(W), 0.01 * SUM_ABS, PENALTY_RTOL, 'tfjs-style L1L2');
  assert.equal(regularizerFromConfig('L1', { l1: 0.009999999776482582 }).penalty(W), 0.009999999776482582 * SUM_ABS);
});

test('errors: unknown names list valid ones; bad factors and options are named', () => {
  const where = "LSTM 'lstm_1': kernelRegularizer";
  assert.throws(
    () => getRegularizer('l3', where),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message.startsWith(`${where}: unknown regularizer "l3"; valid names: `) &&
      ['l1', 'l2', 'l1l2', 'l1_l2', 'L1L2'].every((n) => e.message.includes(n)),
  );
  assert.throws(() => getRegularizer(42 as never, where), (e: unknown) => e instanceof TypeError && e.message.startsWith(where));
  assert.throws(() => getRegularizer({ className: 'L3', config: {} }, where), (e: unknown) => e instanceof RangeError && /LSTM 'lstm_1': kernelRegularizer: unknown regularizer class "L3"; valid names: L1, L2, L1L2/.test(e.message));
  assert.throws(() => regularizers.l1({ l1: -0.1 }), (e: unknown) => e instanceof RangeError && /l1 regularizer: l1 must be a finite number ≥ 0, got -0\.1/.test(e.message));
  assert.throws(() => regularizers.l2({ l2: -1 }), (e: unknown) => e instanceof RangeError && /l2 regularizer: l2 must be/.test(e.message));
  assert.throws(() => regularizers.l1l2({ l2: Number.NaN }), (e: unknown) => e instanceof RangeError && /l1l2 regularizer: l2 must be a finite number ≥ 0, got NaN/.test(e.message));
  assert.throws(() => regularizers.l1l2({ l1: Infinity }), (e: unknown) => e instanceof RangeError && /l1l2 regularizer: l1 must be/.test(e.message));
  assert.throws(() => regularizers.l1({ l1: '0.1' as never }), (e: unknown) => e instanceof TypeError && /l1 must be a number/.test(e.message));
  assert.throws(() => regularizers.l1({ l2: 0.1 } as never), (e: unknown) => e instanceof RangeError && /l1 regularizer: unknown option 'l2'; supported options: l1/.test(e.message));
  assert.throws(() => regularizerFromConfig('L2', { l1: 0.1 }), /l2 regularizer: unknown option 'l1'/);
});

test('penalty and addGradient allocate nothing per call', async () => {
  // Integer and zero factors too: V8 keeps integer-valued fields as small integers,
  // where mixing them with doubles can box.
  const regs = [
    regularizers.l1(),
    regularizers.l2({ l2: 2 }),
    regularizers.l1l2({ l1: 1, l2: 0.5 }),
    regularizers.l1l2({ l1: 0, l2: 3 }),
    regularizers.l1l2({ l1: 0.01, l2: 0.01 }),
  ];
  const w = new Float32Array(1024).map((_, i) => Math.sin(i));
  const grad = new Float32Array(1024);
  const sink = new Float64Array(1); // a closure `let` would box every number stored into it
  const step = (): void => {
    for (let j = 0; j < regs.length; j++) {
      const reg = regs[j]!;
      sink[0] = sink[0]! + reg.penalty(w);
      reg.addGradient(grad, w);
    }
  };
  const grown = await youngGrowth(() => {
    for (let i = 0; i < 1000; i++) step();
  }, HEAP_SLACK_BYTES);
  assert.ok(grown <= HEAP_SLACK_BYTES, `young generation grew by ${grown} bytes over 1000 calls`);
  assert.ok(Number.isFinite(sink[0]));
});


// ---------- OrthogonalRegularizer ----------

/** Keras's test_orthogonal_regularizer formula in float64: factor·½·Σ|UUᵀ ∘ (1 − I)| / (n(n − 1)/2), U = rows / ‖rows‖. */
function orthogonalReference(w: Float32Array, rows: number, cols: number, factor: number, mode: 'rows' | 'columns'): number {
  const n = mode === 'rows' ? rows : cols;
  const d = mode === 'rows' ? cols : rows;
  const at = (i: number, k: number): number => (mode === 'rows' ? w[i * cols + k]! : w[k * cols + i]!);
  const u = Array.from({ length: n }, (_, i) => {
    const norm = Math.hypot(...Array.from({ length: d }, (_, k) => at(i, k)));
    return Array.from({ length: d }, (_, k) => at(i, k) / norm);
  });
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) sum += Math.abs(u[i]!.reduce((s, v, k) => s + v * u[j]![k]!, 0));
  return (factor * 0.5 * sum) / ((n * (n - 1)) / 2);
}

function randomMatrix(rows: number, cols: number, seed: number, lo = -1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * cols }, () => lo + (1 - lo) * rng.uniform());
}

test("OrthogonalRegularizer: Keras 3's test_orthogonal_regularizer formula (4×4 in [0, 1), factor 0.1), both modes, hand values", () => {
  const w = randomMatrix(4, 4, 1, 0);
  const rows = regularizers.orthogonalRegularizer({ factor: 0.1, mode: 'rows' }).forWeight!([4, 4], 'test');
  close(rows.penalty(w), orthogonalReference(w, 4, 4, 0.1, 'rows'), 1e-12, 'rows 4×4');
  const w35 = randomMatrix(3, 5, 2);
  for (const mode of ['rows', 'columns'] as const) {
    const reg = regularizers.orthogonalRegularizer({ factor: 0.3, mode }).forWeight!([3, 5], 'test');
    close(reg.penalty(w35), orthogonalReference(w35, 3, 5, 0.3, mode), 1e-12, `${mode} 3×5`);
  }
  // columns of W are the rows of Wᵀ
  const t = new Float32Array(15);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 5; c++) t[c * 3 + r] = w35[r * 5 + c]!;
  close(
    regularizers.orthogonalRegularizer({ mode: 'columns' }).forWeight!([3, 5], 'test').penalty(w35),
    regularizers.orthogonalRegularizer({ mode: 'rows' }).forWeight!([5, 3], 'test').penalty(t),
    1e-15,
    'columns = rows of the transpose',
  );
  // orthogonal rows cost nothing; two parallel rows cost factor (one pair, |cos| 1); opposite ones too
  const bound = (shape: number[]): Regularizer => regularizers.orthogonalRegularizer({ factor: 0.5 }).forWeight!(shape, 'test');
  assert.equal(bound([3, 3]).penalty(new Float32Array([2, 0, 0, 0, -3, 0, 0, 0, 0.5])), 0);
  close(bound([2, 2]).penalty(new Float32Array([1, 1, 3, 3])), 0.5, 1e-15, 'parallel');
  close(bound([2, 2]).penalty(new Float32Array([1, 1, -2, -2])), 0.5, 1e-15, 'opposite');
  // a zero row has no direction: it contributes 0 (Keras's clamped norm), never NaN
  close(bound([3, 2]).penalty(new Float32Array([0, 0, 1, 0, 1, 1])), (0.5 * 2 * Math.SQRT1_2) / 6, 1e-15, 'zero row');
  assert.equal(regularizers.orthogonalRegularizer({ factor: 0 }).forWeight!([2, 2], 'test').penalty(new Float32Array([1, 1, 1, 1])), 0);
});

test('OrthogonalRegularizer: gradient matches central differences (rows, columns; a vector shorter than ε)', () => {
  // h: the step for elements of magnitude ≥ 1e-6 (1e-9 below, where a float32 step of h would vanish)
  const check = (reg: Regularizer, w: Float32Array, step: number, tol: number, what: string): void => {
    const grad = new Float32Array(w.length).fill(0.25);
    reg.addGradient(grad, w);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < w.length; i++) {
      const h = Math.abs(w[i]!) < 1e-6 ? 1e-9 : step;
      const wp = Math.fround(w[i]! + h);
      const wm = Math.fround(w[i]! - h);
      const numeric = (penaltyAt(reg, w, i, wp) - penaltyAt(reg, w, i, wm)) / (wp - wm);
      worst = Math.max(worst, Math.abs(grad[i]! - 0.25 - numeric));
      scale = Math.max(scale, Math.abs(numeric));
    }
    assert.ok(scale > 0, `${what}: a nonzero gradient`);
    assert.ok(worst <= tol * scale, `${what}: max |diff| ${worst.toExponential(3)} vs gradient scale ${scale.toExponential(3)}`);
  };
  for (const [rows, cols, mode, seed] of [[5, 3, 'rows', 3], [5, 3, 'columns', 4], [4, 6, 'rows', 5], [2, 7, 'columns', 6]] as const) {
    const w = randomMatrix(rows, cols, seed);
    check(regularizers.orthogonalRegularizer({ factor: 0.7, mode }).forWeight!([rows, cols], 'test'), w, 1e-3, 2e-5, `${mode} ${rows}×${cols}`);
  }
  // a row shorter than ε is scaled by 1/ε, not normalized: the penalty is linear in it there
  const tiny = new Float32Array([3e-8, -2e-8, 0.6, 0.8, -0.3, 0.9]);
  check(regularizers.orthogonalRegularizer({ factor: 1 }).forWeight!([3, 2], 'test'), tiny, 1e-3, 2e-5, 'clamped row');
});

test('OrthogonalRegularizer: binds to a layer weight; refuses shapes Keras cannot take; names and configs', () => {
  const reg = regularizers.orthogonalRegularizer({ factor: 0.05, mode: 'columns' });
  assert.throws(() => reg.penalty(W), /OrthogonalRegularizer: penalty needs the weight's 2-D shape: pass it as a layer regularizer, or call forWeight/);
  assert.throws(() => reg.forWeight!([2, 3, 4], "Dense 'd': weight kernel"), /Dense 'd': weight kernel: OrthogonalRegularizer needs a 2-D weight \(as Keras\), got shape \[2, 3, 4\]/);
  assert.throws(() => reg.forWeight!([4, 1], 'x'), /mode 'columns' on shape \[4, 1\] has 1 column: no pairs/);
  assert.throws(() => reg.forWeight!([4, 3], 'x').penalty(new Float32Array(10)), /bound to shape \[4, 3\] \(12 values\), got 10/);
  // a Dense bias is 1-D: refused when the layer builds, naming the weight
  const m = new Sequential();
  assert.throws(() => m.add(layers.dense({ units: 3, inputShape: [4], biasRegularizer: 'orthogonal_regularizer' })), /weight bias: OrthogonalRegularizer needs a 2-D weight/);
  // names and configs
  for (const name of ['orthogonal_regularizer', 'OrthogonalRegularizer', 'orthogonalRegularizer']) {
    const r = getRegularizer(name, 'x')!;
    assert.ok(r instanceof OrthogonalRegularizer, name);
    assert.deepEqual(r.getConfig(), { factor: 0.01, mode: 'rows' });
  }
  const s = serializeRegularizer(reg);
  assert.deepEqual(s, { className: 'OrthogonalRegularizer', config: { factor: 0.05, mode: 'columns' } });
  const back = regularizerFromConfig(s.className, JSON.parse(JSON.stringify(s.config)) as Record<string, unknown>);
  assert.deepEqual(back.getConfig(), s.config);
  const w = randomMatrix(4, 3, 7);
  assert.equal(back.forWeight!([4, 3], 'x').penalty(w), reg.forWeight!([4, 3], 'x').penalty(w));
  assert.throws(() => regularizers.orthogonalRegularizer({ mode: 'diagonal' as 'rows' }), /orthogonalRegularizer: mode must be 'rows' or 'columns', got "diagonal"/);
  assert.throws(() => regularizers.orthogonalRegularizer({ factor: -1 }), /factor must be a finite number ≥ 0, got -1/);
  assert.throws(() => regularizers.orthogonalRegularizer({ l2: 1 } as object), /unknown option 'l2'; supported options: factor, mode/);
});

test("OrthogonalRegularizer in a model: evaluate's loss is the data loss plus the kernel's penalty, and fit lowers it", async () => {
  const m = new Sequential();
  m.add(layers.dense({ units: 4, inputShape: [5], kernelRegularizer: regularizers.orthogonalRegularizer({ factor: 2, mode: 'columns' }), useBias: false, seed: 3 }));
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = tensor(new Float32Array(10), [2, 5]); // zero inputs: the data loss is mse(0, 0) = 0
  const y = tensor(new Float32Array(8), [2, 4]);
  const kernel = () => m.getWeights()[0]!.data;
  const expected = orthogonalReference(kernel(), 5, 4, 2, 'columns');
  assert.ok(expected > 0.05);
  const loss = m.evaluate(x, y, { verbose: 0 })[0]!;
  close(loss, expected, 1e-6, 'evaluate loss');
  await m.fit(x, y, { epochs: 30, batchSize: 2, verbose: 0 });
  const after = orthogonalReference(kernel(), 5, 4, 2, 'columns');
  assert.ok(after < 0.9 * expected, `penalty ${expected} → ${after}`);
});

test('OrthogonalRegularizer: penalty and addGradient allocate nothing per call', async () => {
  const reg = regularizers.orthogonalRegularizer({ factor: 0.1 }).forWeight!([16, 24], 'x');
  const w = randomMatrix(16, 24, 8);
  const grad = new Float32Array(w.length);
  const sink = new Float64Array(1);
  const grown = await youngGrowth(() => {
    for (let i = 0; i < 300; i++) {
      sink[0] = sink[0]! + reg.penalty(w);
      reg.addGradient(grad, w);
    }
  }, HEAP_SLACK_BYTES);
  assert.ok(grown <= HEAP_SLACK_BYTES, `young generation grew by ${grown} bytes over 300 calls`);
});
