/**
 * Optimizer tests: every Keras 3 update rule against a float64 reference written here
 * (plain number arrays, textbook form of each rule), plus clipping, weight decay,
 * non-trainable segments, config round trip, state resume and option errors.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Optimizer, getOptimizer, optimizerFromConfig, optimizers } from '../src/optimizers/index.js';
import type { ParamSegment } from '../src/optimizers/index.js';
import { backend, getBackend, useBackend, wasmSupported } from '../src/backend/kernels.js';
import { countTaken } from './helpers/check.js';

/** float32 state and params against a float64 reference, over ≤ 10 steps. */
const ABS_TOL = 1e-6;
const REL_TOL = 1e-6;

// ---------------------------------------------------------------------------------------------
// Fixtures: two trainable segments of different sizes and one non-trainable segment.

const SEGMENTS: readonly ParamSegment[] = [
  { name: 'dense/kernel', offset: 0, size: 7, shape: [7], trainable: true },
  { name: 'dense/bias', offset: 7, size: 12, shape: [3, 4], trainable: true },
  { name: 'bn/moving_mean', offset: 19, size: 5, shape: [5], trainable: false },
];
const N = 24;
const STEPS = 8;

/** Deterministic values in [−1, 1) (LCG), rounded to float32 so both sides see the same inputs. */
function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(s / 2 ** 31 - 1);
  };
}

function initialParams(seed = 1): Float32Array {
  const r = makeRng(seed);
  return Float32Array.from({ length: N }, () => 0.5 * r());
}

/** Per-step gradients; `scale(step, index)` shapes them for clipping tests. */
function gradSequence(seed = 7, scale: (step: number, i: number) => number = () => 1, steps = STEPS): Float32Array[] {
  const r = makeRng(seed);
  return Array.from({ length: steps }, (_, k) => Float32Array.from({ length: N }, (_, i) => Math.fround(r() * scale(k, i))));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, abs = ABS_TOL, rel = REL_TOL): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstDiff = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    const ok = d <= abs + rel * Math.abs(expected[i]!) || (Number.isNaN(actual[i]!) && Number.isNaN(expected[i]!));
    if (!ok && (worst < 0 || d > worstDiff || Number.isNaN(d))) {
      worst = i;
      worstDiff = d;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${what}: max diff ${worstDiff} at [${worst}] (got ${actual[worst]}, expected ${expected[worst]}); ` +
        `first values got [${Array.from(actual).slice(0, 4).join(', ')}], expected [${Array.from(expected).slice(0, 4).join(', ')}]`,
    );
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Run an optimizer over the gradient sequence; grads are copied because clipping edits them. */
function runOptimizer(opt: Optimizer, grads: readonly Float32Array[], params = initialParams()): Float32Array {
  opt.build(N, SEGMENTS);
  for (const g of grads) opt.apply(params, g.slice());
  return params;
}

// ---------------------------------------------------------------------------------------------
// float64 reference: clipping, weight decay and each rule, written independently.

interface RefOptions {
  lr: number;
  weightDecay?: number;
  clipnorm?: number;
  clipvalue?: number;
  globalClipnorm?: number;
  segments?: readonly ParamSegment[];
}
/** One rule on w[lo, hi) with state `s` (arrays of length N), step t ≥ 1. */
type RefRule = (w: number[], g: number[], lo: number, hi: number, lr: number, t: number) => void;

function refRun(rule: RefRule, o: RefOptions, grads: readonly Float32Array[], init = initialParams()): number[] {
  const w = Array.from(init);
  const segs = (o.segments ?? SEGMENTS).filter((s) => s.trainable);
  grads.forEach((g32, k) => {
    const g = Array.from(g32);
    if (o.clipvalue !== undefined) {
      for (const s of segs) for (let i = s.offset; i < s.offset + s.size; i++) g[i] = Math.min(o.clipvalue, Math.max(-o.clipvalue, g[i]!));
    }
    if (o.clipnorm !== undefined) {
      for (const s of segs) {
        let ss = 0;
        for (let i = s.offset; i < s.offset + s.size; i++) ss += g[i]! ** 2;
        const f = o.clipnorm / Math.max(Math.sqrt(ss), o.clipnorm);
        for (let i = s.offset; i < s.offset + s.size; i++) g[i] = g[i]! * f;
      }
    }
    if (o.globalClipnorm !== undefined) {
      let ss = 0;
      for (const s of segs) for (let i = s.offset; i < s.offset + s.size; i++) ss += g[i]! ** 2;
      const f = o.globalClipnorm / Math.max(Math.sqrt(ss), o.globalClipnorm);
      for (const s of segs) for (let i = s.offset; i < s.offset + s.size; i++) g[i] = g[i]! * f;
    }
    if (o.weightDecay !== undefined) {
      for (const s of segs) for (let i = s.offset; i < s.offset + s.size; i++) w[i] = w[i]! * (1 - o.weightDecay * o.lr);
    }
    for (const s of segs) rule(w, g, s.offset, s.offset + s.size, o.lr, k + 1);
  });
  return w;
}

const zeros = (): number[] => new Array<number>(N).fill(0);

function refSgd(mu: number, nesterov: boolean): RefRule {
  const m = zeros();
  return (w, g, lo, hi, lr) => {
    for (let i = lo; i < hi; i++) {
      if (mu === 0) {
        w[i] = w[i]! - lr * g[i]!;
        continue;
      }
      m[i] = mu * m[i]! - lr * g[i]!;
      w[i] = nesterov ? w[i]! + mu * m[i]! - lr * g[i]! : w[i]! + m[i]!;
    }
  };
}

function refAdam(b1: number, b2: number, eps: number, amsgrad: boolean): RefRule {
  const m = zeros();
  const v = zeros();
  const vMax = zeros();
  return (w, g, lo, hi, lr, t) => {
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = lo; i < hi; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      vMax[i] = Math.max(vMax[i]!, v[i]!);
      w[i] = w[i]! - (alpha * m[i]!) / (Math.sqrt(amsgrad ? vMax[i]! : v[i]!) + eps);
    }
  };
}

/** PyTorch/tfjs placement: ε added after bias correction. Only to show the Keras form differs. */
function refAdamTorchStyle(b1: number, b2: number, eps: number): RefRule {
  const m = zeros();
  const v = zeros();
  return (w, g, lo, hi, lr, t) => {
    for (let i = lo; i < hi; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      w[i] = w[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  };
}

function refRmsprop(rho: number, mu: number, eps: number, centered: boolean): RefRule {
  const v = zeros();
  const mg = zeros();
  const m = zeros();
  return (w, g, lo, hi, lr) => {
    for (let i = lo; i < hi; i++) {
      v[i] = rho * v[i]! + (1 - rho) * g[i]! ** 2;
      mg[i] = rho * mg[i]! + (1 - rho) * g[i]!;
      const denom = centered ? v[i]! - mg[i]! ** 2 + eps : v[i]! + eps;
      const inc = (lr * g[i]!) / Math.sqrt(denom);
      if (mu > 0) {
        m[i] = mu * m[i]! + inc;
        w[i] = w[i]! - m[i]!;
      } else {
        w[i] = w[i]! - inc;
      }
    }
  };
}

function refAdagrad(init: number, eps: number): RefRule {
  const a = new Array<number>(N).fill(init);
  return (w, g, lo, hi, lr) => {
    for (let i = lo; i < hi; i++) {
      a[i] = a[i]! + g[i]! ** 2;
      w[i] = w[i]! - (lr * g[i]!) / Math.sqrt(a[i]! + eps);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Update rules.

const grads = gradSequence();

test('SGD plain matches the Keras rule', () => {
  const got = runOptimizer(optimizers.sgd({ learningRate: 0.1 }), grads);
  assertClose(got, refRun(refSgd(0, false), { lr: 0.1 }, grads), 'sgd');
});

test('SGD momentum matches, including a learning-rate change mid-run', () => {
  const opt = optimizers.sgd({ learningRate: 0.1, momentum: 0.9 });
  const params = initialParams();
  opt.build(N, SEGMENTS);
  grads.slice(0, 4).forEach((g) => opt.apply(params, g.slice()));
  opt.learningRate = 0.03;
  grads.slice(4).forEach((g) => opt.apply(params, g.slice()));
  // Reference: same rule, lr switched after 4 steps (the momentum slot carries over).
  const rule = refSgd(0.9, false);
  const w = refRun(rule, { lr: 0.1 }, grads.slice(0, 4));
  const expected = refRun(rule, { lr: 0.03 }, grads.slice(4), Float32Array.from(w));
  assertClose(params, expected, 'sgd momentum');
  assert.equal(opt.iterations, STEPS);
});

test('SGD nesterov matches and differs from plain momentum', () => {
  const got = runOptimizer(optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), grads);
  assertClose(got, refRun(refSgd(0.9, true), { lr: 0.1 }, grads), 'sgd nesterov');
  const plain = runOptimizer(optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), grads);
  assert.ok(maxDiff(got, plain) > 1e-3);
});

test('Adam matches the Keras rule', () => {
  const got = runOptimizer(optimizers.adam({ learningRate: 0.01 }), grads);
  assertClose(got, refRun(refAdam(0.9, 0.999, 1e-7, false), { lr: 0.01 }, grads), 'adam');
});

test('Adam amsgrad matches and differs from plain Adam', () => {
  // Shrinking gradients and a fast β2 make v fall, so the running max matters.
  const shrinking = gradSequence(11, (k) => 1 / (k + 1) ** 2);
  const opts = { learningRate: 0.01, beta2: 0.5 };
  const got = runOptimizer(optimizers.adam({ ...opts, amsgrad: true }), shrinking);
  assertClose(got, refRun(refAdam(0.9, 0.5, 1e-7, true), { lr: 0.01 }, shrinking), 'adam amsgrad');
  const plain = runOptimizer(optimizers.adam(opts), shrinking);
  assert.ok(maxDiff(got, plain) > 1e-3, `amsgrad made no difference (${maxDiff(got, plain)})`);
});

test('Adam puts epsilon on the uncorrected sqrt(v) (Keras), not on the corrected one (PyTorch)', () => {
  // Gradients near ε in size: there the two placements give very different steps.
  const tiny = gradSequence(5, () => 1e-6, 3);
  const got = runOptimizer(optimizers.adam({ learningRate: 0.01 }), tiny);
  const keras = refRun(refAdam(0.9, 0.999, 1e-7, false), { lr: 0.01 }, tiny);
  const torch = refRun(refAdamTorchStyle(0.9, 0.999, 1e-7), { lr: 0.01 }, tiny);
  assert.ok(maxDiff(keras, torch) > 1e-4, `fixture too weak: forms differ by only ${maxDiff(keras, torch)}`);
  assertClose(got, keras, 'adam epsilon placement');
  assert.ok(maxDiff(got, torch) > 1e-4);
});

test('AdamW = Adam + decoupled weight decay (default 0.004)', () => {
  const opt = optimizers.adamw({ learningRate: 0.01 });
  assert.equal(opt.weightDecay, 0.004);
  const got = runOptimizer(opt, grads);
  assertClose(got, refRun(refAdam(0.9, 0.999, 1e-7, false), { lr: 0.01, weightDecay: 0.004 }, grads), 'adamw');
  const strong = runOptimizer(optimizers.adamw({ learningRate: 0.01, weightDecay: 0.5 }), grads);
  assertClose(strong, refRun(refAdam(0.9, 0.999, 1e-7, false), { lr: 0.01, weightDecay: 0.5 }, grads), 'adamw wd 0.5');
  const adam = runOptimizer(optimizers.adam({ learningRate: 0.01 }), grads);
  assert.ok(maxDiff(got, adam) > 1e-5);
});

for (const [label, o] of [
  ['plain', { rho: 0.9, momentum: 0, centered: false }],
  ['centered', { rho: 0.8, momentum: 0, centered: true }],
  ['momentum', { rho: 0.9, momentum: 0.7, centered: false }],
  ['centered + momentum', { rho: 0.9, momentum: 0.5, centered: true }],
] as const) {
  test(`RMSprop ${label} matches the Keras rule`, () => {
    const got = runOptimizer(optimizers.rmsprop({ learningRate: 0.01, ...o }), grads);
    assertClose(got, refRun(refRmsprop(o.rho, o.momentum, 1e-7, o.centered), { lr: 0.01 }, grads), `rmsprop ${label}`);
  });
}

test('Adagrad matches the Keras rule', () => {
  const got = runOptimizer(optimizers.adagrad({ learningRate: 0.1 }), grads);
  assertClose(got, refRun(refAdagrad(0.1, 1e-7), { lr: 0.1 }, grads), 'adagrad');
  const got2 = runOptimizer(optimizers.adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-3 }), grads);
  assertClose(got2, refRun(refAdagrad(0.5, 1e-3), { lr: 0.1 }, grads), 'adagrad custom');
});

// ---------------------------------------------------------------------------------------------
// Clipping, weight decay, non-trainable weights.

test('clipnorm is per tensor, globalClipnorm is over all tensors: both match and they differ', () => {
  // Segment 0 has a huge norm, segment 1 a small one: per-tensor clipping leaves segment 1 alone.
  const skewed = gradSequence(3, (_, i) => (i < 7 ? 50 : 0.1));
  const perTensor = runOptimizer(optimizers.sgd({ learningRate: 0.1, clipnorm: 1 }), skewed);
  const global = runOptimizer(optimizers.sgd({ learningRate: 0.1, globalClipnorm: 1 }), skewed);
  assertClose(perTensor, refRun(refSgd(0, false), { lr: 0.1, clipnorm: 1 }, skewed), 'clipnorm');
  assertClose(global, refRun(refSgd(0, false), { lr: 0.1, globalClipnorm: 1 }, skewed), 'globalClipnorm');
  assert.ok(maxDiff(perTensor, global) > 1e-3, `clipnorm and globalClipnorm agree (${maxDiff(perTensor, global)})`);
});

test('clipvalue clamps each element', () => {
  const big = gradSequence(9, () => 2);
  const got = runOptimizer(optimizers.sgd({ learningRate: 0.1, momentum: 0.9, clipvalue: 0.5 }), big);
  assertClose(got, refRun(refSgd(0.9, false), { lr: 0.1, clipvalue: 0.5 }, big), 'clipvalue');
  const unclipped = runOptimizer(optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), big);
  assert.ok(maxDiff(got, unclipped) > 1e-3);
});

test('a non-Finite global norm poisons every trainable gradient; per-tensor clipnorm only its tensor', () => {
  const g = gradSequence(4, () => 1, 1);
  g[0]![2] = Infinity;
  const global = runOptimizer(optimizers.sgd({ globalClipnorm: 1 }), g);
  for (let i = 0; i < 19; i++) assert.ok(Number.isNaN(global[i]), `param ${i} should be NaN`);
  const perTensor = runOptimizer(optimizers.sgd({ clipnorm: 1 }), g);
  for (let i = 7; i < 19; i++) assert.ok(Number.isFinite(perTensor[i]), `param ${i} should stay finite`);
  const init = initialParams();
  for (let i = 19; i < N; i++) assert.equal(global[i], init[i]);
});

test('non-trainable segments are untouched and left out of the global norm', () => {
  // Huge gradients in the non-trainable segment would dominate the global norm if counted.
  const g = gradSequence(8, (_, i) => (i >= 19 ? 1e3 : 1));
  const opt = optimizers.sgd({ learningRate: 0.1, momentum: 0.5, weightDecay: 0.1, globalClipnorm: 1 });
  const got = runOptimizer(opt, g);
  const init = initialParams();
  for (let i = 19; i < N; i++) assert.equal(got[i], init[i], `non-trainable param ${i} changed`);
  assertClose(got, refRun(refSgd(0.5, false), { lr: 0.1, weightDecay: 0.1, globalClipnorm: 1 }, g), 'non-trainable');
});

// ---------------------------------------------------------------------------------------------
// Config, state, build.

test('defaults and getConfig follow Keras 3', () => {
  assert.deepEqual(optimizers.sgd().getConfig(), { name: 'SGD', learningRate: 0.01, momentum: 0, nesterov: false });
  assert.deepEqual(optimizers.adam().getConfig(), { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
  assert.deepEqual(optimizers.adamw().getConfig(), {
    name: 'adamw', learningRate: 0.001, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false,
  });
  assert.deepEqual(optimizers.rmsprop().getConfig(), { name: 'rmsprop', learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  assert.deepEqual(optimizers.adagrad().getConfig(), { name: 'adagrad', learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 });
  assert.deepEqual(optimizers.sgd({ clipnorm: 2 }).getConfig()['clipnorm'], 2);
});

const configured = (): Optimizer[] => [
  optimizers.sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, clipvalue: 0.3, name: 'my_sgd' }),
  optimizers.adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-5, amsgrad: true, clipnorm: 0.7 }),
  optimizers.adamw({ learningRate: 0.02, weightDecay: 0.01, globalClipnorm: 1.5 }),
  optimizers.rmsprop({ learningRate: 0.01, rho: 0.85, momentum: 0.3, centered: true, weightDecay: 0.001 }),
  optimizers.adagrad({ learningRate: 0.2, initialAccumulatorValue: 0.3, epsilon: 1e-6 }),
];

test('getConfig → optimizerFromConfig round trip (through JSON) gives the same optimizer', () => {
  for (const opt of configured()) {
    const config = JSON.parse(JSON.stringify(opt.getConfig())) as Record<string, unknown>;
    const copy = optimizerFromConfig(opt.className, config);
    assert.equal(copy.className, opt.className);
    assert.equal(copy.constructor, opt.constructor);
    assert.deepEqual(copy.getConfig(), opt.getConfig());
    const a = runOptimizer(opt, grads);
    const b = runOptimizer(copy, grads);
    assert.deepEqual(b, a, `${opt.className}: copy steps differently`);
  }
});

test('getState/setState resumes exactly, before or after build', () => {
  for (const opt of configured()) {
    const params = initialParams();
    opt.build(N, SEGMENTS);
    grads.slice(0, 3).forEach((g) => opt.apply(params, g.slice()));
    const state = opt.getState();
    assert.equal(state.iterations, 3);

    const resumedEarly = optimizerFromConfig(opt.className, opt.getConfig());
    resumedEarly.setState(state); // before build: slots sized from the state
    resumedEarly.build(N, SEGMENTS);
    const resumedLate = optimizerFromConfig(opt.className, opt.getConfig());
    resumedLate.build(N, SEGMENTS);
    resumedLate.setState(JSON.parse(JSON.stringify({ iterations: state.iterations, slots: Object.fromEntries(Object.entries(state.slots).map(([k, v]) => [k, Array.from(v)])) })));
    // The state is a copy: scribbling on it must not reach the optimizers.
    for (const s of Object.values(state.slots)) s.fill(123);

    const pEarly = params.slice();
    const pLate = params.slice();
    for (const g of grads.slice(3)) {
      opt.apply(params, g.slice());
      resumedEarly.apply(pEarly, g.slice());
      resumedLate.apply(pLate, g.slice());
    }
    assert.deepEqual(pEarly, params, `${opt.className}: resume (setState before build) diverged`);
    assert.deepEqual(pLate, params, `${opt.className}: resume (setState after build) diverged`);
    assert.deepEqual(resumedEarly.getState(), opt.getState());
  }
});

test('setState rejects wrong slots and sizes', () => {
  const opt = optimizers.adam();
  opt.build(N, SEGMENTS);
  assert.throws(() => opt.setState({ iterations: 1, slots: { momentum: new Float32Array(N) } }), /Adam: state slots must be \[momentum, velocity\]/);
  assert.throws(() => opt.setState({ iterations: 1, slots: { momentum: new Float32Array(N), velocity: new Float32Array(3) } }), /slot 'velocity' has 3 values, expected 24/);
  assert.throws(() => opt.setState({ iterations: -1, slots: {} }), /iterations must be a non-negative integer/);
});

test('build allocates once: rebuilding with the same size keeps state, another size is an error', () => {
  const opt = optimizers.rmsprop({ momentum: 0.5 });
  const params = initialParams();
  opt.build(N, SEGMENTS);
  opt.apply(params, grads[0]!.slice());
  const before = opt.getState();
  opt.build(N, SEGMENTS);
  assert.deepEqual(opt.getState(), before);
  assert.throws(() => opt.build(N + 1, SEGMENTS), /RMSprop: optimizer state is sized for 24 parameters, got 25/);
});

test('numStateValues counts the slots in use', () => {
  const built = (o: Optimizer) => (o.build(N, SEGMENTS), o.numStateValues());
  assert.equal(optimizers.adam().numStateValues(), 0);
  assert.equal(built(optimizers.sgd()), 0);
  assert.equal(built(optimizers.sgd({ momentum: 0.9 })), N);
  assert.equal(built(optimizers.adam()), 2 * N);
  assert.equal(built(optimizers.adam({ amsgrad: true })), 3 * N);
  assert.equal(built(optimizers.adamw()), 2 * N);
  assert.equal(built(optimizers.rmsprop()), N);
  assert.equal(built(optimizers.rmsprop({ momentum: 0.5, centered: true })), 3 * N);
  assert.equal(built(optimizers.adagrad()), N);
});

test('apply checks build and lengths', () => {
  const opt = optimizers.sgd();
  assert.throws(() => opt.apply(new Float32Array(N), new Float32Array(N)), /SGD: call build/);
  opt.build(N, SEGMENTS);
  assert.throws(() => opt.apply(new Float32Array(N), new Float32Array(N - 1)), RangeError);
  assert.throws(() => opt.build(10, SEGMENTS), /optimizer state is sized|outside/);
  assert.throws(() => optimizers.sgd().build(10, SEGMENTS), /segment 'dense\/bias' \[offset 7, size 12\] lies outside the 10-parameter arena/);
});

// ---------------------------------------------------------------------------------------------
// Lookup and errors.

test('getOptimizer accepts names in any case and instances', () => {
  const a = getOptimizer('Adam');
  assert.equal(a.className, 'Adam');
  assert.equal(a.learningRate, 0.001);
  assert.equal(getOptimizer('RMSPROP').className, 'RMSprop');
  assert.equal(getOptimizer('sgd').learningRate, 0.01);
  assert.equal(getOptimizer('adamw').className, 'AdamW');
  assert.equal(getOptimizer('adagrad').className, 'Adagrad');
  const inst = optimizers.sgd();
  assert.equal(getOptimizer(inst), inst);
  assert.notEqual(getOptimizer('adam'), getOptimizer('adam'));
});

test('errors name the problem', () => {
  assert.throws(() => getOptimizer('lamb'), { name: 'RangeError', message: 'unknown optimizer "lamb"; valid names: sgd, adam, adamw, rmsprop, adagrad, adamax, nadam, lion, adadelta, ftrl' });
  assert.throws(() => getOptimizer(42 as unknown as string), TypeError);
  assert.throws(() => optimizerFromConfig('Lamb', {}), /unknown optimizer class "Lamb"; valid names: SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, Nadam, Lion, Adadelta, Ftrl/);
  assert.throws(() => optimizers.adam({ beta_1: 0.9 } as never), {
    name: 'RangeError',
    message:
      /^Adam: unknown option 'beta_1'; supported options: learningRate, weightDecay, clipnorm, clipvalue, globalClipnorm, name, useEma, emaMomentum, emaOverwriteFrequency, lossScaleFactor, gradientAccumulationSteps, beta1, beta2, epsilon, amsgrad$/,
  });
  assert.throws(() => optimizers.sgd({ clipnorm: 1, globalClipnorm: 1 }), {
    name: 'RangeError',
    message: 'SGD: only one of clipnorm, clipvalue, globalClipnorm may be set, got clipnorm and globalClipnorm',
  });
  // Keras 3 takes `decay` only to ignore it: refused by name here.
  assert.throws(() => optimizers.adam({ decay: 0.01 } as never), { name: 'RangeError', message: /^Adam: option 'decay' is not supported \(Keras 3 accepts it only to ignore it.*schedules\.inverseTimeDecay\)$/ });
});

test('bad option values are RangeErrors naming optimizer and option', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => optimizers.sgd({ learningRate: -1 }), /^SGD: learningRate must be/],
    [() => optimizers.sgd({ momentum: 1.5 }), /^SGD: momentum must be a number in \[0, 1\]/],
    [() => optimizers.adam({ beta1: 1 }), /^Adam: beta1 must be a number in \[0, 1\)/],
    [() => optimizers.adamw({ beta2: -0.1 }), /^AdamW: beta2/],
    [() => optimizers.adam({ epsilon: 0 }), /^Adam: epsilon/],
    [() => optimizers.rmsprop({ epsilon: -1e-7 }), /^RMSprop: epsilon/],
    [() => optimizers.rmsprop({ rho: 1.1 }), /^RMSprop: rho/],
    [() => optimizers.adagrad({ initialAccumulatorValue: -0.1 }), /^Adagrad: initialAccumulatorValue/],
    [() => optimizers.adam({ clipnorm: 0 }), /^Adam: clipnorm/],
    [() => optimizers.adam({ weightDecay: -0.1 }), /^Adam: weightDecay/],
    [() => optimizers.adam({ learningRate: NaN }), /^Adam: learningRate/],
    [() => { optimizers.adam().learningRate = -0.5; }, /^Adam: learningRate/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, { name: 'RangeError', message: re });
  assert.throws(() => optimizers.sgd({ nesterov: 'yes' as unknown as boolean }), TypeError);
  assert.throws(() => optimizers.sgd({ name: 3 as unknown as string }), TypeError);
});

// ---------------------------------------------------------------------------------------------
// The 'wasm' backend's Adam kernel (f64x2 lanes) against the optimizer's own loop: bit for bit.

test('Adam and AdamW on resident buffers (the wasm kernel) equal the TypeScript loop bit for bit, with and without amsgrad', { skip: !wasmSupported() }, () => {
  const n = 1031; // odd, so the kernel's scalar tail runs; segments start at odd offsets
  const segments: ParamSegment[] = [
    { name: 'a', offset: 0, size: 7, shape: [7], trainable: true },
    { name: 'b', offset: 7, size: 1000, shape: [1000], trainable: true },
    { name: 'frozen', offset: 1007, size: 3, shape: [3], trainable: false },
    { name: 'c', offset: 1010, size: 21, shape: [21], trainable: true },
  ];
  const before = getBackend();
  try {
    for (const make of [() => optimizers.adam({ learningRate: 0.01 }), () => optimizers.adam({ learningRate: 0.01, amsgrad: true }), () => optimizers.adamw({ learningRate: 0.003 })]) {
      const run = (backendName: 'ts' | 'wasm'): { params: Float32Array; slots: Record<string, Float32Array>; fused: number } => {
        useBackend(backendName);
        const k = backend();
        const { result, taken } = countTaken(k, 'adamUpdate', () => {
          const opt = make();
          const params = k.alloc(n);
          const grads = k.alloc(n);
          const r = makeRng(3);
          for (let i = 0; i < n; i++) params[i] = r();
          opt.build(n, segments);
          for (let step = 0; step < 6; step++) {
            // Some zero and some large gradients, so m, v and vHat take every branch.
            for (let i = 0; i < n; i++) grads[i] = i % 11 === 0 ? 0 : r() * (i % 7 === 0 ? 100 : 1);
            opt.apply(params, grads);
          }
          return { params: params.slice(), slots: opt.getState().slots };
        });
        return { ...result, fused: taken };
      };
      const ts = run('ts');
      const wasm = run('wasm');
      assert.equal(ts.fused, 0);
      assert.equal(wasm.fused, 6 * 3, 'the kernel ran for every trainable segment of every step');
      assert.deepEqual(wasm.params, ts.params);
      assert.deepEqual(Object.keys(wasm.slots), Object.keys(ts.slots));
      for (const name of Object.keys(ts.slots)) assert.deepEqual(wasm.slots[name], ts.slots[name], `slot ${name}`);
    }
  } finally {
    useBackend(before === 'wasm' ? 'wasm' : 'ts');
  }
});

test("every optimizer factory takes the learning rate alone, as tfjs's tf.train.adam(0.01) does, and refuses tfjs's further positional arguments", () => {
  for (const [name, make] of Object.entries(optimizers) as [string, (...a: unknown[]) => Optimizer][]) {
    const byNumber = make(0.0123);
    const byOptions = make({ learningRate: 0.0123 });
    assert.equal(byNumber.learningRate, byOptions.learningRate, name);
    assert.deepEqual(byNumber.getConfig(), byOptions.getConfig(), `${name}: the same optimizer`);
    assert.throws(() => make(0.01, 0.9), new RegExp(`optimizers\\.${name}: takes one argument, the options or the learning rate`), name);
    assert.throws(() => make(Number.NaN), /learningRate must be a number/, name);
  }
});
