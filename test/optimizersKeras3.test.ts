/**
 * Keras 3 optimizers added after the first five (Adamax, Nadam, Lion, Adadelta, Ftrl) and the
 * BaseOptimizer options every optimizer takes (useEma, gradientAccumulationSteps,
 * lossScaleFactor, learning-rate schedules): each rule against a float64 reference written
 * here, Keras's own documented numbers (keras/src/optimizers/*_test.py), exact resume
 * through getState/setState and JSON, config round trips and refused options.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Optimizer, optimizerFromConfig, optimizers, schedules, getOptimizer } from '../src/optimizers/index.js';
import type { ParamSegment } from '../src/optimizers/index.js';
import { Sequential, layers, loadModel, tensor } from '../src/index.js';

const execFileAsync = promisify(execFile);
const ABS_TOL = 1e-6;
const REL_TOL = 1e-6;

// Two trainable segments of different shapes and one non-trainable one.
const SEGMENTS: readonly ParamSegment[] = [
  { name: 'lstm/kernel', offset: 0, size: 6, shape: [2, 3], trainable: true },
  { name: 'lstm/bias', offset: 6, size: 11, shape: [11], trainable: true },
  { name: 'bn/moving_var', offset: 17, size: 4, shape: [4], trainable: false },
];
const N = 21;
const TRAINABLE = 17;

function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(s / 2 ** 31 - 1);
  };
}

const initialParams = (seed = 1): Float32Array => {
  const r = makeRng(seed);
  return Float32Array.from({ length: N }, () => 0.5 * r());
};

function gradSequence(seed: number, steps: number, scale = 1): Float32Array[] {
  const r = makeRng(seed);
  return Array.from({ length: steps }, () => Float32Array.from({ length: N }, () => Math.fround(r() * scale)));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, abs = ABS_TOL, rel = REL_TOL): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= abs + rel * Math.abs(expected[i]!))) {
      assert.fail(`${what}: [${i}] got ${actual[i]}, expected ${expected[i]} (diff ${d})`);
    }
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

function run(opt: Optimizer, grads: readonly Float32Array[], params = initialParams(), segments = SEGMENTS): Float32Array {
  opt.build(params.length, segments);
  for (const g of grads) opt.apply(params, g.slice());
  return params;
}

// ---------------------------------------------------------------------------------------------
// float64 references: textbook forms of the Keras 3 rules (per element; t from 1).

type RefRule = (w: number[], g: number[], lo: number, hi: number, lr: number, t: number) => void;
interface RefOptions {
  lr: number | ((step: number) => number);
  weightDecay?: number;
  clipnorm?: number;
}

function refRun(rule: RefRule, o: RefOptions, grads: readonly Float32Array[], init = initialParams()): number[] {
  const w = Array.from(init);
  const segs = SEGMENTS.filter((s) => s.trainable);
  grads.forEach((g32, k) => {
    const lr = typeof o.lr === 'number' ? o.lr : o.lr(k);
    const g = Array.from(g32);
    if (o.clipnorm !== undefined) {
      for (const s of segs) {
        let ss = 0;
        for (let i = s.offset; i < s.offset + s.size; i++) ss += g[i]! ** 2;
        const f = o.clipnorm / Math.max(Math.sqrt(ss), o.clipnorm);
        for (let i = s.offset; i < s.offset + s.size; i++) g[i] = g[i]! * f;
      }
    }
    if (o.weightDecay !== undefined) for (const s of segs) for (let i = s.offset; i < s.offset + s.size; i++) w[i] = w[i]! * (1 - o.weightDecay * lr);
    for (const s of segs) rule(w, g, s.offset, s.offset + s.size, lr, k + 1);
  });
  return w;
}

const zeros = (n = N): number[] => new Array<number>(n).fill(0);

function refAdamax(b1: number, b2: number, eps: number, n = N): RefRule {
  const m = zeros(n);
  const u = zeros(n);
  return (w, g, lo, hi, lr, t) => {
    for (let i = lo; i < hi; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      u[i] = Math.max(b2 * u[i]!, Math.abs(g[i]!));
      w[i] = w[i]! - (lr * m[i]!) / ((1 - b1 ** t) * (u[i]! + eps));
    }
  };
}

function refNadam(b1: number, b2: number, eps: number, n = N): RefRule {
  const m = zeros(n);
  const v = zeros(n);
  const mu = (k: number) => b1 * (1 - 0.5 * 0.96 ** k);
  let prodT = 1;
  let lastT = 0;
  return (w, g, lo, hi, lr, t) => {
    if (t !== lastT) {
      prodT *= mu(t); // ∏_{k ≤ t} μ_k
      lastT = t;
    }
    for (let i = lo; i < hi; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = (mu(t + 1) * m[i]!) / (1 - prodT * mu(t + 1)) + ((1 - mu(t)) * g[i]!) / (1 - prodT);
      const vHat = v[i]! / (1 - b2 ** t);
      w[i] = w[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  };
}

function refLion(b1: number, b2: number, n = N): RefRule {
  const m = zeros(n);
  return (w, g, lo, hi, lr) => {
    for (let i = lo; i < hi; i++) {
      w[i] = w[i]! - lr * Math.sign(b1 * m[i]! + (1 - b1) * g[i]!);
      m[i] = b2 * m[i]! + (1 - b2) * g[i]!;
    }
  };
}

function refAdadelta(rho: number, eps: number, n = N): RefRule {
  const acc = zeros(n);
  const accDelta = zeros(n);
  return (w, g, lo, hi, lr) => {
    for (let i = lo; i < hi; i++) {
      acc[i] = rho * acc[i]! + (1 - rho) * g[i]! ** 2;
      const delta = (-Math.sqrt(accDelta[i]! + eps) * g[i]!) / Math.sqrt(acc[i]! + eps);
      accDelta[i] = rho * accDelta[i]! + (1 - rho) * delta ** 2;
      w[i] = w[i]! + lr * delta;
    }
  };
}

interface FtrlRef {
  /** −learningRatePower. */
  power: number;
  init: number;
  l1: number;
  l2: number;
  shrink: number;
  beta: number;
}
function refFtrl(o: FtrlRef, n = N): RefRule {
  const acc = new Array<number>(n).fill(o.init);
  const lin = zeros(n);
  return (w, g, lo, hi, lr) => {
    const l2 = o.l2 + o.beta / (2 * lr);
    for (let i = lo; i < hi; i++) {
      const gs = g[i]! + 2 * o.shrink * w[i]!;
      const na = acc[i]! + g[i]! ** 2;
      lin[i] = lin[i]! + gs - ((na ** o.power - acc[i]! ** o.power) / lr) * w[i]!;
      const quad = na ** o.power / lr + 2 * l2;
      const clipped = Math.min(o.l1, Math.max(-o.l1, lin[i]!));
      w[i] = (clipped - lin[i]!) / quad;
      acc[i] = na;
    }
  };
}

const FTRL_DEFAULTS: FtrlRef = { power: 0.5, init: 0.1, l1: 0, l2: 0, shrink: 0, beta: 0 };

// ---------------------------------------------------------------------------------------------
// Keras's documented numbers: test_single_step, test_correctness_with_golden, test_weight_decay.

/** A single trainable tensor of n values. */
const single = (n: number): ParamSegment[] => [{ name: 'x', offset: 0, size: n, shape: [n], trainable: true }];

test('single steps from the Keras 3 tests: vars [1, 2, 3, 4], grads [1, 6, 7, 2], learning rate 0.5', () => {
  const expected: [Optimizer, number[]][] = [
    [optimizers.adamax({ learningRate: 0.5 }), [0.5, 1.5, 2.5, 3.5]],
    [optimizers.nadam({ learningRate: 0.5 }), [0.4686, 1.4686, 2.4686, 3.4686]],
    [optimizers.lion({ learningRate: 0.5 }), [0.5, 1.5, 2.5, 3.5]],
    [optimizers.adadelta({ learningRate: 0.5 }), [0.9993, 1.9993, 2.9993, 3.9993]],
  ];
  for (const [opt, want] of expected) {
    const got = run(opt, [Float32Array.of(1, 6, 7, 2)], Float32Array.of(1, 2, 3, 4), single(4));
    assertClose(got, want, `${opt.className} single step`, 1e-4, 1e-4);
  }
});

test('decoupled weight decay with a zero gradient: 2 → 1.9760959 after three optimizers (Keras test_weight_decay)', () => {
  for (const make of [optimizers.adamax, optimizers.nadam, optimizers.lion, optimizers.adadelta]) {
    const v = Float32Array.of(2);
    for (let k = 0; k < 3; k++) run(make({ learningRate: 1, weightDecay: 0.004 }), [Float32Array.of(0)], v, single(1));
    assert.ok(Math.abs(v[0]! - 1.9760959) < 1e-6, `${make.name}: ${v[0]}`);
  }
});

test('excludeFromWeightDecay: by name (regular expressions on the weight\'s own name) and by full path, as Keras test_weight_decay', () => {
  const segs: ParamSegment[] = [
    { name: 'dense/kernel', offset: 0, size: 1, shape: [1], trainable: true },
    { name: 'dense/exclude', offset: 1, size: 1, shape: [1], trainable: true },
    { name: 'exclude_me/kernel', offset: 2, size: 1, shape: [1], trainable: true },
  ];
  for (const make of [optimizers.adamax, optimizers.nadam, optimizers.lion, optimizers.adadelta, optimizers.adamw]) {
    const byName = make({ learningRate: 1, weightDecay: 0.004 });
    byName.excludeFromWeightDecay({ varNames: ['exclude$'] });
    const v = Float32Array.of(2, 2, 2);
    run(byName, [new Float32Array(3)], v, segs);
    // 'exclude_me/kernel' keeps its decay: the pattern sees 'kernel', not the layer's name.
    assert.deepEqual(Array.from(v), [Math.fround(2 * 0.996), 2, Math.fround(2 * 0.996)], make.name);
    const byPath = make({ learningRate: 1, weightDecay: 0.004 });
    const w = Float32Array.of(2, 2, 2);
    byPath.build(3, segs);
    byPath.excludeFromWeightDecay({ weights: ['exclude_me/kernel'] }); // after build too
    byPath.apply(w, new Float32Array(3));
    assert.deepEqual(Array.from(w), [Math.fround(2 * 0.996), Math.fround(2 * 0.996), 2], make.name);
  }
  assert.throws(() => optimizers.adam().excludeFromWeightDecay({ var_names: ['bias'] } as never), /Adam: excludeFromWeightDecay: unknown option 'var_names'; supported options: varNames, weights/);
  assert.throws(() => optimizers.adam().excludeFromWeightDecay({ varNames: ['('] }), /not a valid regular expression/);
  assert.throws(() => optimizers.adam().excludeFromWeightDecay({ weights: 'bias' as never }), TypeError);
});

/** Keras's golden runs: x = ones(10), one step with 0.01 everywhere, then steps with 0.1 … 1.0. */
function golden(opt: Optimizer, rows: number[][], tol = 5e-4): void {
  const x = new Float32Array(10).fill(1);
  opt.build(10, single(10));
  opt.apply(x, new Float32Array(10).fill(0.01));
  for (const row of rows) {
    assertClose(x, row, `${opt.className} golden`, tol, tol);
    opt.apply(x, Float32Array.from({ length: 10 }, (_, i) => 0.1 * (i + 1)));
  }
}

test('Adamax, Nadam, Lion, Adadelta and Ftrl reproduce Keras test_correctness_with_golden', () => {
  golden(optimizers.adamax({ learningRate: 0.2, beta1: 0.85, beta2: 0.95, epsilon: 1e-6 }), [
    [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
    [0.6827, 0.6873, 0.6888, 0.6896, 0.6901, 0.6904, 0.6906, 0.6908, 0.6909, 0.691],
    [0.5333, 0.5407, 0.5431, 0.5444, 0.5451, 0.5456, 0.546, 0.5462, 0.5464, 0.5466],
    [0.368, 0.3773, 0.3804, 0.382, 0.3829, 0.3835, 0.384, 0.3843, 0.3846, 0.3848],
    [0.1933, 0.204, 0.2076, 0.2094, 0.2105, 0.2112, 0.2117, 0.2121, 0.2124, 0.2126],
  ]);
  golden(optimizers.nadam({ learningRate: 0.5, beta1: 0.5, beta2: 0.67, epsilon: 1e-5 }), [
    [0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281],
    [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717],
    [-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084],
    [-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299],
    [-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454],
  ]);
  golden(optimizers.lion(), [0.999, 0.998, 0.997, 0.996, 0.995].map((v) => new Array<number>(10).fill(v)));
  golden(optimizers.adadelta({ learningRate: 1, rho: 0.8, epsilon: 1e-6 }), [0.9978, 0.9947, 0.9915, 0.9882, 0.9849].map((v) => new Array<number>(10).fill(v)));
  golden(
    optimizers.ftrl({
      learningRate: 0.05, learningRatePower: -0.2, initialAccumulatorValue: 0.4, l1RegularizationStrength: 0.05,
      l2RegularizationStrength: 0.15, l2ShrinkageRegularizationStrength: 0.01, beta: 0.3,
    }),
    [
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [-0.0034, -0.0077, -0.0118, -0.0157, -0.0194, -0.023, -0.0263, -0.0294, -0.0325, -0.0354],
      [-0.0078, -0.0162, -0.0242, -0.0317, -0.0387, -0.0454, -0.0516, -0.0575, -0.0631, -0.0685],
      [-0.0121, -0.0246, -0.0363, -0.0472, -0.0573, -0.0668, -0.0757, -0.0842, -0.0922, -0.0999],
      [-0.0164, -0.0328, -0.0481, -0.0623, -0.0753, -0.0875, -0.099, -0.1098, -0.1201, -0.1299],
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// Update rules against the float64 references: several steps, two trainable shapes, a frozen one.

const grads8 = gradSequence(7, 8);

for (const [label, make, rule, o] of [
  ['Adamax', () => optimizers.adamax({ learningRate: 0.02 }), () => refAdamax(0.9, 0.999, 1e-7), { lr: 0.02 }],
  ['Adamax β 0.7/0.8, ε 1e-3, clipnorm', () => optimizers.adamax({ learningRate: 0.05, beta1: 0.7, beta2: 0.8, epsilon: 1e-3, clipnorm: 0.5 }), () => refAdamax(0.7, 0.8, 1e-3), { lr: 0.05, clipnorm: 0.5 }],
  ['Nadam', () => optimizers.nadam({ learningRate: 0.01 }), () => refNadam(0.9, 0.999, 1e-7), { lr: 0.01 }],
  ['Nadam β 0.5/0.67, weight decay', () => optimizers.nadam({ learningRate: 0.03, beta1: 0.5, beta2: 0.67, epsilon: 1e-5, weightDecay: 0.1 }), () => refNadam(0.5, 0.67, 1e-5), { lr: 0.03, weightDecay: 0.1 }],
  ['Lion', () => optimizers.lion({ learningRate: 0.01 }), () => refLion(0.9, 0.99), { lr: 0.01 }],
  ['Lion β 0.5/0.3, weight decay', () => optimizers.lion({ learningRate: 0.01, beta1: 0.5, beta2: 0.3, weightDecay: 0.5 }), () => refLion(0.5, 0.3), { lr: 0.01, weightDecay: 0.5 }],
  ['Adadelta', () => optimizers.adadelta({ learningRate: 1 }), () => refAdadelta(0.95, 1e-7), { lr: 1 }],
  ['Adadelta ρ 0.5, ε 1e-4', () => optimizers.adadelta({ learningRate: 0.5, rho: 0.5, epsilon: 1e-4 }), () => refAdadelta(0.5, 1e-4), { lr: 0.5 }],
  ['Ftrl', () => optimizers.ftrl({ learningRate: 0.1 }), () => refFtrl(FTRL_DEFAULTS), { lr: 0.1 }],
  [
    'Ftrl with every option',
    () => optimizers.ftrl({ learningRate: 0.2, learningRatePower: -0.7, initialAccumulatorValue: 0.3, l1RegularizationStrength: 0.02, l2RegularizationStrength: 0.1, l2ShrinkageRegularizationStrength: 0.05, beta: 0.4 }),
    () => refFtrl({ power: 0.7, init: 0.3, l1: 0.02, l2: 0.1, shrink: 0.05, beta: 0.4 }),
    { lr: 0.2 },
  ],
  ['Ftrl with a fixed rate (power 0)', () => optimizers.ftrl({ learningRate: 0.1, learningRatePower: 0 }), () => refFtrl({ ...FTRL_DEFAULTS, power: 0 }), { lr: 0.1 }],
] as [string, () => Optimizer, () => RefRule, RefOptions][]) {
  test(`${label} matches the float64 reference over 8 steps; frozen weights untouched`, () => {
    const got = run(make(), grads8);
    const want = refRun(rule(), o, grads8);
    assertClose(got, want, label);
    const init = initialParams();
    for (let i = TRAINABLE; i < N; i++) assert.equal(got[i], init[i]);
    assert.ok(maxDiff(got.subarray(0, TRAINABLE), init.subarray(0, TRAINABLE)) > 1e-4, `${label}: nothing moved`);
  });
}

test('the rules differ from each other (the fixture can tell them apart)', () => {
  const outs = [optimizers.adamax, optimizers.nadam, optimizers.lion, optimizers.adam].map((f) => run(f({ learningRate: 0.01 }), grads8));
  for (let a = 0; a < outs.length; a++) for (let b = a + 1; b < outs.length; b++) assert.ok(maxDiff(outs[a]!, outs[b]!) > 1e-4, `${a} vs ${b}`);
});

test('Ftrl refuses a learning rate of 0 (its rule divides by it), also from a schedule, before touching anything', () => {
  assert.throws(() => optimizers.ftrl({ learningRate: 0 }), { name: 'RangeError', message: /^Ftrl: learningRate must be a number in \(0, Infinity\]/ });
  const opt = optimizers.ftrl({ learningRate: schedules.polynomialDecay({ initialLearningRate: 0.1, decaySteps: 2, endLearningRate: 0 }) });
  const params = initialParams();
  opt.build(N, SEGMENTS);
  opt.apply(params, grads8[0]!.slice());
  opt.apply(params, grads8[1]!.slice());
  const before = params.slice();
  const state = opt.getState();
  assert.throws(() => opt.apply(params, grads8[2]!.slice()), { name: 'RangeError', message: 'Ftrl: the learning-rate schedule PolynomialDecay gave 0 at step 2; it must be a finite number > 0' });
  assert.deepEqual(params, before);
  assert.deepEqual(opt.getState(), state);
});

// ---------------------------------------------------------------------------------------------
// Learning-rate schedules inside the optimizer.

test('a schedule is evaluated at the step count before each update (step 0 first), also for weight decay', () => {
  const sched = schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.5 });
  const opt = optimizers.nadam({ learningRate: sched, weightDecay: 0.2 });
  assert.equal(opt.learningRate, 0.05);
  const got = run(opt, grads8);
  const want = refRun(refNadam(0.9, 0.999, 1e-7), { lr: (k) => 0.05 * 0.5 ** (k / 2), weightDecay: 0.2 }, grads8);
  assertClose(got, want, 'nadam + exponential decay');
  // The getter gives the rate the next step uses: the schedule at 8.
  assert.equal(opt.learningRate, sched.call(8));
  assert.equal(opt.learningRateSchedule, sched);
  // Off by one step would show: the same run with the schedule shifted differs.
  const shifted = refRun(refNadam(0.9, 0.999, 1e-7), { lr: (k) => 0.05 * 0.5 ** ((k + 1) / 2), weightDecay: 0.2 }, grads8);
  assert.ok(maxDiff(got, shifted) > 1e-4);
});

test('a schedule-driven rate cannot be set to a number (TypeError, as Keras); a new schedule can be set', () => {
  const opt = optimizers.sgd({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }) });
  assert.throws(() => { opt.learningRate = 0.5; }, { name: 'TypeError', message: /^SGD: this optimizer was created with a learning-rate schedule \(CosineDecay\), so its learning rate is not settable/ });
  opt.learningRate = schedules.piecewiseConstantDecay({ boundaries: [1], values: [0.3, 0.2] });
  assert.equal(opt.learningRate, 0.3);
  const plain = optimizers.sgd({ learningRate: 0.1 });
  plain.learningRate = schedules.inverseTimeDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 1 });
  const p = run(plain, [Float32Array.from({ length: N }, () => 1), Float32Array.from({ length: N }, () => 1)]);
  // Steps at rates 1 and 1/2.
  assertClose(p.subarray(0, TRAINABLE), Array.from(initialParams().subarray(0, TRAINABLE), (w) => w - 1.5), 'inverse time decay steps');
  assert.throws(() => optimizers.adam({ learningRate: (() => 0.1) as never }), { name: 'TypeError', message: /^Adam: learningRate must be a number or a LearningRateSchedule; a function is not accepted/ });
});

test('a custom schedule (subclass overriding call) drives the step; a NaN from it is refused naming the step', () => {
  class Halving extends schedules.LearningRateSchedule {
    readonly className = 'Halving';
    call(step: number): number {
      return step < 3 ? 0.1 / 2 ** step : NaN;
    }
  }
  const opt = optimizers.sgd({ learningRate: new Halving() });
  const params = initialParams();
  opt.build(N, SEGMENTS);
  const g = Float32Array.from({ length: N }, () => 1);
  for (let k = 0; k < 3; k++) opt.apply(params, g.slice());
  assertClose(params.subarray(0, TRAINABLE), Array.from(initialParams().subarray(0, TRAINABLE), (w) => w - 0.175), 'custom schedule');
  assert.throws(() => opt.apply(params, g.slice()), { name: 'RangeError', message: 'SGD: the learning-rate schedule Halving gave NaN at step 3; it must be a finite number >= 0' });
  assert.throws(() => opt.getConfig(), /learning-rate schedule 'Halving' must override getConfig\(\) to be saved/);
});

test('the optimizer config holds the schedule as Keras 3 serializes it, and optimizerFromConfig restores it', () => {
  const sched = schedules.cosineDecay({ initialLearningRate: 0.05, decaySteps: 10, alpha: 0.1, warmupTarget: 0.2, warmupSteps: 2, name: 'my_cd' });
  const opt = optimizers.adamax({ learningRate: sched });
  const config = JSON.parse(JSON.stringify(opt.getConfig())) as Record<string, unknown>;
  assert.deepEqual(config['learningRate'], {
    module: 'keras.optimizers.schedules',
    class_name: 'CosineDecay',
    config: { initialLearningRate: 0.05, decaySteps: 10, alpha: 0.1, name: 'my_cd', warmupTarget: 0.2, warmupSteps: 2 },
    registered_name: null,
  });
  const copy = optimizerFromConfig('Adamax', config);
  assert.deepEqual(copy.getConfig(), opt.getConfig());
  assert.deepEqual(run(copy, grads8), run(opt, grads8));
  // The envelope is checked like any options object.
  const bad = (lr: unknown) => () => optimizerFromConfig('Adamax', { ...config, learningRate: lr });
  assert.throws(bad({ class_name: 'CosineDecay', config: {}, extra: 1 }), /Adamax: learningRate: unknown option 'extra'; supported options: module, class_name, config, registered_name/);
  assert.throws(bad({ class_name: 'StepDecay', config: {} }), /unknown schedule class "StepDecay"; valid names: ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts/);
  assert.throws(bad({ module: 'my.module', class_name: 'CosineDecay', config: {} }), /only the built-in schedules/);
  assert.throws(bad({ class_name: 'MySchedule', config: {}, registered_name: 'pkg>MySchedule' }), /registered custom class/);
  assert.throws(bad({ class_name: 'CosineDecay', config: { initialLearningRate: 0.1, decaySteps: 3, decay_rate: 1 } }), /CosineDecay: unknown option 'decay_rate'/);
});

// ---------------------------------------------------------------------------------------------
// EMA of the weights.

const seg4: ParamSegment[] = [{ name: 'v', offset: 0, size: 4, shape: [2, 2], trainable: true }];

test('useEma: Keras test_ema numbers (SGD lr 1, momentum 0.9, overwrite every 3 steps)', () => {
  const opt = optimizers.sgd({ learningRate: 1, useEma: true, emaMomentum: 0.9, emaOverwriteFrequency: 3 });
  const v = Float32Array.of(3, 4, 5, 6);
  opt.build(4, seg4);
  const ones = () => Float32Array.of(1, 1, 1, 1);
  const average = () => opt.getState().slots['average']!;
  opt.apply(v, ones());
  assertClose(v, [2, 3, 4, 5], 'step 1 weights');
  assertClose(average(), [2, 3, 4, 5], 'step 1 average (starts at the weights)');
  opt.apply(v, ones());
  assertClose(v, [1, 2, 3, 4], 'step 2 weights');
  assertClose(average(), [1.9, 2.9, 3.9, 4.9], 'step 2 average');
  opt.apply(v, ones());
  assertClose(v, [1.71, 2.71, 3.71, 4.71], 'step 3: weights overwritten with the average', 1e-6, 1e-6);
  assertClose(average(), [1.71, 2.71, 3.71, 4.71], 'step 3 average');
});

test('useEma with Adam against a float64 reference; finalizeVariableValues copies the average into trainable weights only', () => {
  const m = 0.8;
  const opt = optimizers.adam({ learningRate: 0.05, useEma: true, emaMomentum: m, emaOverwriteFrequency: 4 });
  const got = initialParams();
  opt.build(N, SEGMENTS);
  const rule = refAdam(0.9, 0.999, 1e-7);
  const w = Array.from(initialParams());
  const avg = zeros();
  grads8.forEach((g, k) => {
    opt.apply(got, g.slice());
    for (const s of SEGMENTS.filter((x) => x.trainable)) rule(w, Array.from(g), s.offset, s.offset + s.size, 0.05, k + 1);
    const mk = k === 0 ? 0 : m;
    for (let i = 0; i < TRAINABLE; i++) avg[i] = mk * avg[i]! + (1 - mk) * w[i]!;
    if ((k + 1) % 4 === 0) for (let i = 0; i < TRAINABLE; i++) w[i] = avg[i]!;
  });
  assertClose(got, w, 'adam + ema weights');
  assertClose(opt.getState().slots['average']!, avg, 'adam + ema average');
  // One more step, then finalize: the weights become the average (frozen ones stay).
  opt.apply(got, grads8[0]!.slice());
  const average = opt.getState().slots['average']!;
  const frozen = got.slice(TRAINABLE);
  opt.finalizeVariableValues(got);
  assert.deepEqual(got.subarray(0, TRAINABLE), average.subarray(0, TRAINABLE));
  assert.deepEqual(got.subarray(TRAINABLE), frozen);
  // Without useEma it does nothing.
  const plain = initialParams();
  optimizers.adam().finalizeVariableValues(plain);
  assert.deepEqual(plain, initialParams());
});

test('fit ends with the EMA weights (Keras test_ema_with_model_fit: Dense(2) of ones, SGD 0.1, EMA 0.9, 2 epochs → 0.891)', async () => {
  const model = new Sequential();
  model.add(layers.dense({ units: 2, kernelInitializer: 'ones', useBias: false, inputShape: [1] }));
  const opt = optimizers.sgd({ learningRate: 0.1, useEma: true, emaMomentum: 0.9 });
  model.compile({ optimizer: opt, loss: 'mse' });
  // Keras swaps the average in before onTrainEnd: a callback there sees it; at the last epoch's end it did not yet.
  const seen: number[][] = [];
  const probe = { onEpochEnd: () => void seen.push(Array.from(model.getWeights()[0]!.data)), onTrainEnd: () => void seen.push(Array.from(model.getWeights()[0]!.data)) };
  await model.fit(tensor(Float32Array.of(1), [1, 1]), tensor(Float32Array.of(0, 0), [1, 2]), { batchSize: 1, epochs: 2, verbose: 0, callbacks: [probe] });
  assertClose(opt.getState().slots['average']!, [0.891, 0.891], 'average', 1e-6, 1e-5);
  assertClose(model.getWeights()[0]!.data, [0.891, 0.891], 'weights after fit', 1e-6, 1e-5);
  assertClose(seen[1]!, [0.81, 0.81], 'weights at the last onEpochEnd (plain SGD: 1 → 0.9 → 0.81)', 1e-6, 1e-5);
  assertClose(seen[2]!, [0.891, 0.891], 'weights at onTrainEnd', 1e-6, 1e-5);
});

function refAdam(b1: number, b2: number, eps: number): RefRule {
  const m = zeros();
  const v = zeros();
  return (w, g, lo, hi, lr, t) => {
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = lo; i < hi; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      w[i] = w[i]! - (alpha * m[i]!) / (Math.sqrt(v[i]!) + eps);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Gradient accumulation.

test('gradientAccumulationSteps: Keras test_gradient_accumulation (SGD lr 1, 3 steps)', () => {
  const opt = optimizers.sgd({ learningRate: 1, gradientAccumulationSteps: 3 });
  assert.equal(opt.gradientAccumulationSteps, 3);
  const v = Float32Array.of(1, 2, 3, 4);
  opt.build(4, seg4);
  const ones = () => Float32Array.of(1, 1, 1, 1);
  const acc = () => Array.from(opt.getState().slots['gradientAccumulator']!);
  const expect = [
    { v: [1, 2, 3, 4], acc: [1, 1, 1, 1], steps: 1, iterations: 0 },
    { v: [1, 2, 3, 4], acc: [2, 2, 2, 2], steps: 2, iterations: 0 },
    { v: [0, 1, 2, 3], acc: [0, 0, 0, 0], steps: 3, iterations: 1 },
    { v: [0, 1, 2, 3], acc: [1, 1, 1, 1], steps: 4, iterations: 1 },
  ];
  for (const e of expect) {
    opt.apply(v, ones());
    assert.deepEqual(Array.from(v), e.v);
    assert.deepEqual(acc(), e.acc);
    assert.equal(opt.steps, e.steps);
    assert.equal(opt.iterations, e.iterations);
    assert.equal(opt.getState().iterations, e.steps, 'the state saves the call count (Keras _iterations)');
  }
});

test('every optimizer: 3 accumulated steps with weight decay equal 1 step on their mean (Keras test_gradient_accumulation_with_weigth_decay), bit for bit', () => {
  const makers = [optimizers.adam, optimizers.sgd, optimizers.adamw, optimizers.adagrad, optimizers.rmsprop, optimizers.adadelta, optimizers.adamax, optimizers.lion, optimizers.nadam, optimizers.ftrl];
  const r = makeRng(11);
  const batches = Array.from({ length: 8 }, () => Array.from({ length: 3 }, () => Float32Array.from({ length: N }, () => Math.fround((r() + 1) / 2))));
  for (const make of makers) {
    const one = make({ weightDecay: 0.05, learningRate: 0.01 } as never);
    const three = make({ weightDecay: 0.05, learningRate: 0.01, gradientAccumulationSteps: 3 } as never);
    const p1 = initialParams();
    const p3 = initialParams();
    one.build(N, SEGMENTS);
    three.build(N, SEGMENTS);
    for (const [a, b, c] of batches) {
      // The mean as the optimizer forms it: the float32 sum of the first two, plus the third, over 3.
      const mean = Float32Array.from({ length: N }, (_, i) => (c![i]! + Math.fround(a![i]! + b![i]!)) / 3);
      one.apply(p1, mean);
      for (const g of [a!, b!, c!]) three.apply(p3, g.slice());
    }
    assert.deepEqual(p3, p1, `${one.className}: accumulated steps differ from mean steps`);
    assert.equal(three.iterations, one.iterations);
    assert.equal(three.steps, 24);
    assert.ok(maxDiff(p1, initialParams()) > 1e-4, `${one.className}: nothing moved`);
  }
});

test('with accumulation the schedule sees calls, EMA sees updates (Keras: iterations // N)', () => {
  // Piecewise rate: 1 for calls 0–2, then 0.5. The update at call 2 uses rate 1, the one at call 5 uses 0.5.
  const opt = optimizers.sgd({ learningRate: schedules.piecewiseConstantDecay({ boundaries: [2], values: [1, 0.5] }), gradientAccumulationSteps: 3, useEma: true, emaMomentum: 0.5 });
  const v = Float32Array.of(0, 0, 0, 0);
  opt.build(4, seg4);
  const ones = () => Float32Array.of(1, 1, 1, 1);
  const averages: number[] = [];
  for (let k = 0; k < 6; k++) {
    opt.apply(v, ones());
    averages.push(opt.getState().slots['average']![0]!);
  }
  assert.deepEqual(Array.from(v), [-1.5, -1.5, -1.5, -1.5]);
  // Calls 0–2 have iterations 0 (the average is the weights: 0, 0, then −1 after the first
  // update); calls 3–5 average with m = 0.5, also on the calls that only accumulate.
  assert.deepEqual(averages, [0, 0, -1, -1, -1, -1.25]);
  assert.equal(opt.iterations, 2);
  opt.iterations = 1;
  assert.equal(opt.steps, 3);
});

// ---------------------------------------------------------------------------------------------
// Exact resume and configs.

const fullyConfigured = (): Optimizer[] => [
  optimizers.adamax({ learningRate: 0.02, beta1: 0.8, beta2: 0.9, epsilon: 1e-5, clipnorm: 0.7, useEma: true, emaMomentum: 0.7, emaOverwriteFrequency: 2 }),
  optimizers.nadam({ learningRate: schedules.cosineDecayRestarts({ initialLearningRate: 0.03, firstDecaySteps: 3 }), beta1: 0.8, gradientAccumulationSteps: 3 }),
  optimizers.lion({ learningRate: 0.003, beta1: 0.7, beta2: 0.95, weightDecay: 0.01, globalClipnorm: 1, useEma: true }),
  optimizers.adadelta({ learningRate: schedules.polynomialDecay({ initialLearningRate: 1, decaySteps: 5, power: 2, cycle: true }), rho: 0.9, epsilon: 1e-6, clipvalue: 0.4, lossScaleFactor: 128 }),
  optimizers.ftrl({
    learningRate: 0.1, learningRatePower: -0.3, initialAccumulatorValue: 0.2, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.02,
    l2ShrinkageRegularizationStrength: 0.03, beta: 0.1, name: 'my_ftrl', gradientAccumulationSteps: 2, useEma: true, emaMomentum: 0.5,
  }),
  optimizers.adam({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.01, decaySteps: 2, decayRate: 0.9, staircase: true }), amsgrad: true, useEma: true, gradientAccumulationSteps: 2 }),
];

test('save mid-run (also mid-accumulation) and resume in a fresh optimizer from JSON: identical to an uninterrupted run', () => {
  const grads = gradSequence(23, 11);
  for (const opt of fullyConfigured()) {
    const params = initialParams();
    opt.build(N, SEGMENTS);
    grads.slice(0, 5).forEach((g) => opt.apply(params, g.slice()));
    const json = JSON.stringify({ config: opt.getConfig(), state: { iterations: opt.getState().iterations, slots: Object.fromEntries(Object.entries(opt.getState().slots).map(([k, v]) => [k, Array.from(v)])) } });
    const saved = JSON.parse(json) as { config: Record<string, unknown>; state: { iterations: number; slots: Record<string, number[]> } };
    const resumed = optimizerFromConfig(opt.className, saved.config);
    resumed.setState(saved.state);
    resumed.build(N, SEGMENTS);
    const p2 = params.slice();
    for (const g of grads.slice(5)) {
      opt.apply(params, g.slice());
      resumed.apply(p2, g.slice());
    }
    assert.deepEqual(p2, params, `${opt.className}: resumed run differs`);
    assert.deepEqual(resumed.getState(), opt.getState());
    assert.deepEqual(resumed.getConfig(), opt.getConfig());
  }
});

test('lossScaleFactor is accepted, saved, and changes nothing in float32', () => {
  const scaled = optimizers.adam({ learningRate: 0.01, lossScaleFactor: 1024 });
  assert.equal(scaled.getConfig()['lossScaleFactor'], 1024);
  assert.deepEqual(run(scaled, grads8), run(optimizers.adam({ learningRate: 0.01 }), grads8));
  assert.throws(() => optimizers.adam({ lossScaleFactor: 0 }), /^RangeError: Adam: lossScaleFactor must be a number in \(0, Infinity\]/);
});

test('defaults and getConfig follow Keras 3', () => {
  assert.deepEqual(optimizers.adamax().getConfig(), { name: 'adamax', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  assert.deepEqual(optimizers.nadam().getConfig(), { name: 'nadam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  assert.deepEqual(optimizers.lion().getConfig(), { name: 'lion', learningRate: 0.001, beta1: 0.9, beta2: 0.99 });
  assert.deepEqual(optimizers.adadelta().getConfig(), { name: 'adadelta', learningRate: 0.001, rho: 0.95, epsilon: 1e-7 });
  assert.deepEqual(optimizers.ftrl().getConfig(), {
    name: 'ftrl', learningRate: 0.001, learningRatePower: -0.5, initialAccumulatorValue: 0.1, l1RegularizationStrength: 0,
    l2RegularizationStrength: 0, l2ShrinkageRegularizationStrength: 0, beta: 0,
  });
  assert.deepEqual(optimizers.sgd({ useEma: true, gradientAccumulationSteps: 4, lossScaleFactor: 2 }).getConfig(), {
    name: 'SGD', learningRate: 0.01, momentum: 0, nesterov: false, useEma: true, emaMomentum: 0.99, gradientAccumulationSteps: 4, lossScaleFactor: 2,
  });
  for (const name of ['adamax', 'nadam', 'lion', 'adadelta', 'ftrl', 'Nadam', 'FTRL']) assert.equal(getOptimizer(name).className.toLowerCase(), name.toLowerCase());
});

test('config round trip (through JSON) for every new optimizer and option', () => {
  for (const opt of fullyConfigured()) {
    const config = JSON.parse(JSON.stringify(opt.getConfig())) as Record<string, unknown>;
    const copy = optimizerFromConfig(opt.className, config);
    assert.equal(copy.constructor, opt.constructor);
    assert.deepEqual(copy.getConfig(), opt.getConfig());
    assert.deepEqual(run(copy, grads8), run(opt, grads8), `${opt.className}: copy steps differently`);
  }
});

test('state slots: names, counts and checks include the EMA and the accumulator', () => {
  const built = (o: Optimizer) => (o.build(N, SEGMENTS), o);
  assert.deepEqual(Object.keys(built(optimizers.adamax()).getState().slots), ['momentum', 'norm']);
  assert.deepEqual(Object.keys(built(optimizers.nadam()).getState().slots), ['momentum', 'velocity']);
  assert.deepEqual(Object.keys(built(optimizers.lion()).getState().slots), ['momentum']);
  assert.deepEqual(Object.keys(built(optimizers.adadelta()).getState().slots), ['accumulatedGrad', 'accumulatedDeltaVar']);
  const ftrl = built(optimizers.ftrl({ useEma: true, gradientAccumulationSteps: 2 }));
  assert.deepEqual(Object.keys(ftrl.getState().slots), ['accumulator', 'linear', 'average', 'gradientAccumulator']);
  // Ftrl's accumulator starts at initialAccumulatorValue; the base slots at 0.
  assert.deepEqual(Array.from(new Set(ftrl.getState().slots['accumulator'])), [Math.fround(0.1)]);
  assert.deepEqual(Array.from(new Set(ftrl.getState().slots['average'])), [0]);
  assert.equal(ftrl.numStateValues(), 4 * N);
  assert.throws(() => ftrl.setState({ iterations: 1, slots: { accumulator: new Float32Array(N), linear: new Float32Array(N) } }), /Ftrl: state slots must be \[accumulator, linear, average, gradientAccumulator\]/);
});

test('options: unknown keys and bad values are refused by name', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => optimizers.adamax({ beta_1: 0.9 } as never), /^Adamax: unknown option 'beta_1'; supported options: .*beta1, beta2, epsilon$/],
    [() => optimizers.nadam({ amsgrad: true } as never), /^Nadam: unknown option 'amsgrad'/],
    [() => optimizers.lion({ epsilon: 1e-7 } as never), /^Lion: unknown option 'epsilon'/],
    [() => optimizers.adadelta({ momentum: 0.9 } as never), /^Adadelta: unknown option 'momentum'/],
    [() => optimizers.ftrl({ l1: 0.1 } as never), /^Ftrl: unknown option 'l1'; supported options: .*l2ShrinkageRegularizationStrength, beta$/],
    [() => optimizers.lion({ beta1: 0 }), /^Lion: beta1 must be a number in \(0, 1\]/],
    [() => optimizers.ftrl({ learningRatePower: 0.5 }), /^Ftrl: learningRatePower must be a number in \[-Infinity, 0\]/],
    [() => optimizers.ftrl({ initialAccumulatorValue: -1 }), /^Ftrl: initialAccumulatorValue/],
    [() => optimizers.ftrl({ beta: -1 }), /^Ftrl: beta/],
    [() => optimizers.adadelta({ rho: 2 }), /^Adadelta: rho/],
    [() => optimizers.nadam({ beta2: 1 }), /^Nadam: beta2/],
    [() => optimizers.adamax({ epsilon: 0 }), /^Adamax: epsilon/],
    [() => optimizers.adam({ emaMomentum: 0.9 }), /^Adam: emaMomentum is used only with useEma: true$/],
    [() => optimizers.adam({ emaOverwriteFrequency: 3 }), /^Adam: emaOverwriteFrequency is used only with useEma: true$/],
    [() => optimizers.adam({ useEma: true, emaMomentum: 1.5 }), /^Adam: emaMomentum must be a number in \[0, 1\]/],
    [() => optimizers.adam({ useEma: true, emaOverwriteFrequency: 0 }), /^Adam: emaOverwriteFrequency must be a positive integer/],
    [() => optimizers.adam({ useEma: true, emaOverwriteFrequency: 2.5 }), /^Adam: emaOverwriteFrequency must be a positive integer/],
    [() => optimizers.sgd({ gradientAccumulationSteps: 1 }), /^SGD: gradientAccumulationSteps must be an integer >= 2, got 1$/],
    [() => optimizers.sgd({ gradientAccumulationSteps: NaN }), /^SGD: gradientAccumulationSteps must be an integer >= 2, got NaN$/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, (e: Error) => e instanceof RangeError && re.test(e.message), String(re));
  assert.throws(() => optimizers.adam({ useEma: 'yes' as never }), TypeError);
  assert.throws(() => optimizers.adam({ learningRate: { initialLearningRate: 0.1 } as never }), { name: 'TypeError', message: /^Adam: learningRate must be a number or a LearningRateSchedule/ });
});

// ---------------------------------------------------------------------------------------------
// No allocation per step (a boxed number per step would show as 16 KB over 1,000 steps).

test('apply allocates nothing per step with schedules, EMA, accumulation and every new rule', async () => {
  const sched = (class_name: string, config: object) => ({ class_name, config });
  // Every option that runs in the step, three optimizers with the most per-step scalars.
  const configs: [string, Record<string, unknown>][] = [
    ['Adam', { learningRate: sched('CosineDecay', { initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.01, warmupSteps: 50 }), useEma: true, emaOverwriteFrequency: 7, gradientAccumulationSteps: 3, globalClipnorm: 1 }],
    ['Nadam', { learningRate: sched('ExponentialDecay', { initialLearningRate: 0.01, decaySteps: 10, decayRate: 0.99 }), gradientAccumulationSteps: 2, useEma: true, weightDecay: 0.01 }],
    ['Ftrl', { learningRate: sched('PolynomialDecay', { initialLearningRate: 0.1, decaySteps: 300, cycle: true, power: 0.5 }), l1RegularizationStrength: 0.01, l2ShrinkageRegularizationStrength: 0.01, beta: 0.1, clipnorm: 1 }],
  ];
  // One process per optimizer, as a user's would be: in a process that also ran the other
  // optimizers' code, V8 compiles the shared step polymorphically and may box a number there.
  const probe = fileURLToPath(new URL('./helpers/optimizerAllocationProbe.ts', import.meta.url));
  const results = await Promise.all(
    configs.map(async (c) => {
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', probe, JSON.stringify([c])], { encoding: 'utf8' });
      return (JSON.parse(stdout.trim().split('\n').pop()!) as { config: string; grown: number }[])[0]!;
    }),
  );
  for (const r of results) assert.ok(r.grown <= 4096, `${r.config}: the young generation grew by ${r.grown} bytes over 1,000 steps`);
});

// ---------------------------------------------------------------------------------------------
// Through a saved model: the schedule in trainingConfig, the state (also mid-accumulation) in the weights.

test('save with the optimizer mid-accumulation, load, fit on: bitwise the same as one straight fit (Nadam, cosine restarts, accumulation 4)', async () => {
  const n = 20; // 3 batches of 8 per epoch (the last one short): accumulation cycles straddle epochs
  const r = makeRng(5);
  const x = tensor(Float32Array.from({ length: n * 3 * 2 }, r), [n, 3, 2]);
  const y = tensor(Float32Array.from({ length: n }, r), [n, 1]);
  const make = () => {
    const m = new Sequential({ layers: [layers.lstm({ units: 4, inputShape: [3, 2], seed: 3 }), layers.dense({ units: 1, seed: 4 })] });
    m.compile({
      optimizer: optimizers.nadam({ learningRate: schedules.cosineDecayRestarts({ initialLearningRate: 0.05, firstDecaySteps: 2, tMul: 1.5, mMul: 0.9 }), gradientAccumulationSteps: 4, weightDecay: 0.01 }),
      loss: 'mse',
    });
    return m;
  };
  const fit = { batchSize: 8, shuffle: true, seed: 9, verbose: 0 } as const;
  const straight = make();
  await straight.fit(x, y, { ...fit, epochs: 4 });
  const first = make();
  await first.fit(x, y, { ...fit, epochs: 2 });
  assert.equal(first.optimizer!.steps, 6);
  assert.equal(first.optimizer!.iterations, 1);
  const dir = await mkdtemp(join(tmpdir(), 'rnnkit-opt-'));
  try {
    await first.save(dir, { includeOptimizer: true });
    // rnnkit's own form sits under trainingConfig.rnnkit (the top level is what tfjs reads)
    const saved = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { trainingConfig: { rnnkit: { optimizer_config: { class_name: string; config: Record<string, unknown> } } } };
    assert.equal(saved.trainingConfig.rnnkit.optimizer_config.class_name, 'Nadam');
    assert.deepEqual(saved.trainingConfig.rnnkit.optimizer_config.config['learningRate'], {
      module: 'keras.optimizers.schedules', class_name: 'CosineDecayRestarts',
      config: { initialLearningRate: 0.05, firstDecaySteps: 2, tMul: 1.5, mMul: 0.9, alpha: 0, name: 'SGDRDecay' }, registered_name: null,
    });
    const resumed = await loadModel(dir);
    assert.equal(resumed.optimizer!.steps, 6);
    assert.deepEqual(resumed.optimizer!.getState(), first.optimizer!.getState());
    await resumed.fit(x, y, { ...fit, initialEpoch: 2, epochs: 4 });
    const a = resumed.getWeights();
    const b = straight.getWeights();
    a.forEach((w, i) => assert.deepEqual(w.data, b[i]!.data, `weight ${i}`));
    assert.deepEqual(resumed.optimizer!.getState(), straight.optimizer!.getState());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// TensorFlow.js has Adamax (same rule) and Adadelta (divides by the accumulator from before
// the step, where Keras 3 uses the updated one; huge first steps): Adamax matches tfjs, and
// our Adadelta differs from tfjs exactly by that ordering.

test('Adamax matches tfjs train.adamax; Adadelta differs from tfjs train.adadelta only by its accumulator order (Keras 3 rule kept)', async () => {
  const { tf, initTfjs } = await import('./helpers/tfjs.js');
  await initTfjs();
  const seg = single(TRAINABLE);
  const g17 = grads8.map((g) => g.slice(0, TRAINABLE));
  const init = initialParams().slice(0, TRAINABLE);
  const tfRun = (opt: import('@tensorflow/tfjs-core').Optimizer, name: string): Float32Array => {
    const v = tf.variable(tf.tensor1d(init), true, name);
    for (const g of g17) opt.applyGradients({ [v.name]: tf.tensor1d(g) });
    const out = (v.dataSync() as Float32Array).slice();
    v.dispose();
    opt.dispose();
    return out;
  };
  const adamax = run(optimizers.adamax({ learningRate: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 1e-6 }), g17, init.slice(), seg);
  assertClose(adamax, tfRun(tf.train.adamax(0.05, 0.8, 0.95, 1e-6, 0), 'v_adamax'), 'Adamax vs tfjs', 2e-6, 2e-6);

  const ours = run(optimizers.adadelta({ learningRate: 0.1, rho: 0.9, epsilon: 1e-6 }), g17, init.slice(), seg);
  const tfjs = tfRun(tf.train.adadelta(0.1, 0.9, 1e-6), 'v_adadelta');
  assert.ok(maxDiff(ours, tfjs) > 1e-2, 'tfjs Adadelta should differ from Keras 3 here');
  // tfjs's order in float64: δ uses A before it is updated.
  const w = Array.from(init);
  const acc = zeros(TRAINABLE);
  const accDelta = zeros(TRAINABLE);
  for (const g of g17) {
    for (let i = 0; i < TRAINABLE; i++) {
      const delta = (Math.sqrt(accDelta[i]! + 1e-6) / Math.sqrt(acc[i]! + 1e-6)) * g[i]!;
      acc[i] = 0.9 * acc[i]! + 0.1 * g[i]! ** 2;
      accDelta[i] = 0.9 * accDelta[i]! + 0.1 * delta ** 2;
      w[i] = w[i]! - 0.1 * delta;
    }
  }
  assertClose(tfjs, w, 'tfjs Adadelta vs its own rule in float64', 1e-5, 1e-5);
});

test('an update that overflows inside fit is undone with all optimizer state: call count, accumulator, EMA', async () => {
  const model = new Sequential();
  model.add(layers.dense({ units: 2, inputShape: [3], seed: 1 }));
  // Huge steps overflow float32 on the first real update (the 2nd call): fit undoes it.
  const opt = optimizers.sgd({ learningRate: 1e38, gradientAccumulationSteps: 2, useEma: true });
  model.compile({ optimizer: opt, loss: 'mse' });
  const r = makeRng(3);
  const x = tensor(Float32Array.from({ length: 8 * 3 }, () => 10 * r()), [8, 3]);
  const y = tensor(Float32Array.from({ length: 8 * 2 }, r), [8, 2]);
  let afterFirst: ReturnType<Optimizer['getState']> | null = null;
  let weightsAfterFirst: Float32Array[] = [];
  const cb = {
    onBatchEnd: (batch: number) => {
      if (batch !== 0) return;
      afterFirst = opt.getState();
      weightsAfterFirst = model.getWeights().map((w) => w.data.slice());
    },
  };
  await assert.rejects(model.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false, verbose: 0, callbacks: [cb] }), /fit stopped at epoch 1, batch 2 of 2: the update made .* this batch was not applied/);
  assert.ok(afterFirst !== null);
  const s = afterFirst as ReturnType<Optimizer['getState']>;
  assert.equal(s.iterations, 1);
  assert.ok(s.slots['gradientAccumulator']!.some((v) => v !== 0), 'the first call accumulated');
  assert.deepEqual(opt.getState(), s, 'state as after the first call');
  assert.equal(opt.steps, 1);
  model.getWeights().forEach((w, i) => assert.deepEqual(w.data, weightsAfterFirst[i]));
});
