/**
 * Regularizers: penalties against hand computations, gradients against central
 * differences of the penalty (in float64 on a float32 grid of weights), the sign(0) = 0
 * convention, skipped zero-factor terms, name lookup, config round trips, and
 * validation messages.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { youngGrowth } from './helpers/allocation.js';
import {
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

