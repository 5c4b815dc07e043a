/**
 * Constraints: each one against a float64 hand computation on a [3, 4] matrix (axis 0,
 * axis 1, negative axes) and on a 1-D vector, a rank-3 weight for the strided general
 * case, TensorFlow.js's constraints as an independent oracle, hand-known values,
 * name lookup, config round trips (camelCase and Keras snake_case), validation
 * messages, and no allocation per call once the scratch exists.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import {
  constraintFromConfig,
  constraints,
  getConstraint,
  serializeConstraint,
  type Constraint,
} from '../src/constraints/index.js';
import { assertClose } from './helpers/check.js';
import { initTfjs, tf, tfl } from './helpers/tfjs.js';
import { youngGrowth } from './helpers/allocation.js';

/** Keras `backend.epsilon()`, restated here so a wrong ε in the library shows. */
const EPS = 1e-7;
/** Float32 result vs float64 reference: one rounding of a float64 product. */
const RTOL = 1e-6;
const ATOL = 1e-7;
/** Young-generation bytes an allocation-free loop may add (the measurement itself costs ~2 KB). */
const HEAP_SLACK_BYTES = 8192;

// Columns: norms 2.55, 0.374, 3.2, 0.224 (and an all-zero column variant below);
// rows: norms 3.36, 2.08, 1.14 — some above, some below every bound used.
const M_SHAPE = [3, 4] as const;
const M = new Float32Array([
  1.5, -0.2, 3.0, 0.1,
  -2.0, 0.3, 0.5, 0.0,
  0.5, 0.1, -1.0, 0.2,
]);
const V = new Float32Array([0.6, -1.2, 2.4, 0.3, -0.9]); // norm ≈ 2.9

/** Map a norm n to desired(n), the norm a slice should end with (before ε). */
type Desired = (n: number) => number;

/** Float64 reference for a 2-D [rows, cols] weight: explicit loops per axis. */
function ref2d(w: Float32Array, rows: number, cols: number, axis: 0 | 1, desired: Desired): Float64Array {
  const out = new Float64Array(w.length);
  if (axis === 0) {
    for (let c = 0; c < cols; c++) {
      let ss = 0;
      for (let r = 0; r < rows; r++) ss += w[r * cols + c]! ** 2;
      const n = Math.sqrt(ss);
      for (let r = 0; r < rows; r++) out[r * cols + c] = w[r * cols + c]! * (desired(n) / (EPS + n));
    }
  } else {
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let c = 0; c < cols; c++) ss += w[r * cols + c]! ** 2;
      const n = Math.sqrt(ss);
      for (let c = 0; c < cols; c++) out[r * cols + c] = w[r * cols + c]! * (desired(n) / (EPS + n));
    }
  }
  return out;
}

function ref1d(w: Float32Array, desired: Desired): Float64Array {
  let ss = 0;
  for (const v of w) ss += v * v;
  const n = Math.sqrt(ss);
  return Float64Array.from(w, (v) => v * (desired(n) / (EPS + n)));
}

function applied(c: Constraint, w: Float32Array, shape: readonly number[]): Float32Array {
  const copy = Float32Array.from(w);
  c.apply(copy, shape);
  return copy;
}

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

interface Case {
  name: string;
  make: (axis: number) => Constraint;
  desired: Desired;
}
const NORM_CASES: Case[] = [
  { name: 'maxNorm default (2)', make: (axis) => constraints.maxNorm({ axis }), desired: (n) => clip(n, 0, 2) },
  { name: 'maxNorm 1.5', make: (axis) => constraints.maxNorm({ maxValue: 1.5, axis }), desired: (n) => clip(n, 0, 1.5) },
  { name: 'unitNorm', make: (axis) => constraints.unitNorm({ axis }), desired: () => 1 },
  { name: 'minMaxNorm default [0, 1]', make: (axis) => constraints.minMaxNorm({ axis }), desired: (n) => clip(n, 0, 1) },
  {
    name: 'minMaxNorm [1, 2] rate 0.5',
    make: (axis) => constraints.minMaxNorm({ minValue: 1, maxValue: 2, rate: 0.5, axis }),
    desired: (n) => 0.5 * clip(n, 1, 2) + 0.5 * n,
  },
  {
    name: 'minMaxNorm [0.5, 3] rate 0',
    make: (axis) => constraints.minMaxNorm({ minValue: 0.5, maxValue: 3, rate: 0, axis }),
    desired: (n) => n,
  },
];

test('norm constraints on a [3, 4] matrix, axis 0 (per column) and axis 1 (per row), match float64', () => {
  for (const c of NORM_CASES) {
    assertClose(applied(c.make(0), M, M_SHAPE), ref2d(M, 3, 4, 0, c.desired), RTOL, ATOL, `${c.name} axis 0`);
    assertClose(applied(c.make(1), M, M_SHAPE), ref2d(M, 3, 4, 1, c.desired), RTOL, ATOL, `${c.name} axis 1`);
    // Negative axes count from the end.
    assertClose(applied(c.make(-2), M, M_SHAPE), ref2d(M, 3, 4, 0, c.desired), RTOL, ATOL, `${c.name} axis -2`);
    assertClose(applied(c.make(-1), M, M_SHAPE), ref2d(M, 3, 4, 1, c.desired), RTOL, ATOL, `${c.name} axis -1`);
  }
});

test('norm constraints on a 1-D vector use the whole vector (axis 0 and -1)', () => {
  for (const c of NORM_CASES) {
    assertClose(applied(c.make(0), V, [5]), ref1d(V, c.desired), RTOL, ATOL, `${c.name} 1-D`);
    assertClose(applied(c.make(-1), V, [5]), ref1d(V, c.desired), RTOL, ATOL, `${c.name} 1-D axis -1`);
  }
});

test('rank-3 weight: the middle axis is a strided slice per (outer, inner) pair', () => {
  const shape = [2, 3, 2];
  const w = new Float32Array([1, -2, 0.5, 3, -1, 0.25, 2, 2, -0.5, 1, 1.5, -3]);
  for (const c of NORM_CASES) {
    for (const axis of [0, 1, 2]) {
      const strides = [6, 2, 1];
      const expected = new Float64Array(w.length);
      // Enumerate the slices: every index with the axis coordinate fixed to 0.
      for (let base = 0; base < w.length; base++) {
        const coord = Math.floor(base / strides[axis]!) % shape[axis]!;
        if (coord !== 0) continue;
        let ss = 0;
        for (let k = 0; k < shape[axis]!; k++) ss += w[base + k * strides[axis]!]! ** 2;
        const n = Math.sqrt(ss);
        for (let k = 0; k < shape[axis]!; k++) expected[base + k * strides[axis]!] = w[base + k * strides[axis]!]! * (c.desired(n) / (EPS + n));
      }
      assertClose(applied(c.make(axis), w, shape), expected, RTOL, ATOL, `${c.name} rank 3 axis ${axis}`);
    }
  }
});

test('hand-known values: [3, 4] → [1.2, 1.6] under maxNorm(2); zero slices stay zero', () => {
  const v = applied(constraints.maxNorm({ maxValue: 2 }), new Float32Array([3, 4]), [2]);
  assertClose(v, [1.2 * (5 / (5 + EPS)), 1.6 * (5 / (5 + EPS))], 1e-7, 0, 'maxNorm [3, 4]');
  const u = applied(constraints.unitNorm(), new Float32Array([3, 4]), [2]);
  assertClose(u, [3 / (5 + EPS), 4 / (5 + EPS)], 1e-7, 0, 'unitNorm [3, 4]');
  // A norm under maxValue is only touched by ε: n / (ε + n).
  const small = applied(constraints.maxNorm({ maxValue: 2 }), new Float32Array([0.6, 0.8]), [2]);
  assertClose(small, [0.6 / (1 + EPS), 0.8 / (1 + EPS)], 1e-7, 0, 'maxNorm below bound');
  const zeroCol = new Float32Array([0, 1, 0, 2, 0, 3]); // [3, 2], first column all zero
  for (const c of NORM_CASES) {
    const out = applied(c.make(0), zeroCol, [3, 2]);
    assert.deepEqual([out[0], out[2], out[4]], [0, 0, 0], `${c.name}: zero column`);
    assert.ok(out.every(Number.isFinite), `${c.name}: non-finite output`);
  }
});

test('nonNeg zeroes negatives only, any shape', () => {
  const w = new Float32Array([1.5, -0.2, 0, -3, 2, -0]);
  constraints.nonNeg().apply(w, [2, 3]);
  assert.deepEqual(Array.from(w), [1.5, 0, 0, 0, 2, -0]);
  const out = applied(constraints.nonNeg(), M, M_SHAPE);
  assertClose(out, Array.from(M, (v) => (v >= 0 ? v : 0)), 0, 0, 'nonNeg [3, 4]');
});

test('TensorFlow.js constraints agree (independent oracle)', async () => {
  await initTfjs();
  const pairs: [string, Constraint, { apply(w: unknown): unknown }][] = [];
  for (const axis of [0, 1]) {
    pairs.push([`maxNorm axis ${axis}`, constraints.maxNorm({ maxValue: 1.5, axis }), tfl.constraints.maxNorm({ maxValue: 1.5, axis })]);
    pairs.push([`unitNorm axis ${axis}`, constraints.unitNorm({ axis }), tfl.constraints.unitNorm({ axis })]);
    pairs.push([
      `minMaxNorm axis ${axis}`,
      constraints.minMaxNorm({ minValue: 1, maxValue: 2, rate: 0.7, axis }),
      tfl.constraints.minMaxNorm({ minValue: 1, maxValue: 2, rate: 0.7, axis }),
    ]);
  }
  pairs.push(['nonNeg', constraints.nonNeg(), tfl.constraints.nonNeg()]);
  for (const [name, ours, theirs] of pairs) {
    const expected = (theirs.apply(tf.tensor2d(M, [3, 4])) as ReturnType<typeof tf.tensor2d>).dataSync() as Float32Array;
    assertClose(applied(ours, M, M_SHAPE), expected, 2e-6, 1e-7, `tfjs ${name}`);
  }
});

test('names: tfjs camelCase, Keras snake_case and class names give the defaults', () => {
  const where = "Dense 'dense_1': kernelConstraint";
  for (const [names, cls, config] of [
    [['maxNorm', 'max_norm', 'MaxNorm'], 'MaxNorm', { maxValue: 2, axis: 0 }],
    [['nonNeg', 'non_neg', 'NonNeg'], 'NonNeg', {}],
    [['unitNorm', 'unit_norm', 'UnitNorm'], 'UnitNorm', { axis: 0 }],
    [['minMaxNorm', 'min_max_norm', 'MinMaxNorm'], 'MinMaxNorm', { minValue: 0, maxValue: 1, rate: 1, axis: 0 }],
  ] as const) {
    for (const name of names) {
      const c = getConstraint(name, where);
      assert.ok(c !== null);
      assert.equal(c.className, cls, name);
      assert.deepEqual(c.getConfig(), config, name);
    }
  }
  assert.equal(getConstraint(null, where), null);
  assert.equal(getConstraint(undefined, where), null);
  const own = constraints.maxNorm({ maxValue: 3 });
  assert.equal(getConstraint(own, where), own);
});

test('config round trips through serialize / getConstraint / constraintFromConfig / JSON', () => {
  const all = [
    constraints.maxNorm({ maxValue: 1.5, axis: 1 }),
    constraints.nonNeg(),
    constraints.unitNorm({ axis: -1 }),
    constraints.minMaxNorm({ minValue: 0.5, maxValue: 2, rate: 0.25, axis: 1 }),
  ];
  for (const c of all) {
    const s = serializeConstraint(c);
    const back = JSON.parse(JSON.stringify(s)) as { className: string; config: Record<string, unknown> };
    assert.deepEqual(back, s);
    for (const r of [getConstraint(back, 'x')!, constraintFromConfig(back.className, back.config)]) {
      assert.equal(r.className, c.className);
      assert.deepEqual(r.getConfig(), c.getConfig());
      assert.deepEqual(applied(r, M, M_SHAPE), applied(c, M, M_SHAPE));
    }
  }
  // Keras JSON writes snake_case keys.
  const keras = constraintFromConfig('MinMaxNorm', { min_value: 0.5, max_value: 2, rate: 0.25, axis: 1 });
  assert.deepEqual(keras.getConfig(), { minValue: 0.5, maxValue: 2, rate: 0.25, axis: 1 });
  assert.deepEqual(getConstraint({ className: 'MaxNorm', config: { max_value: 3, axis: 0 } }, 'x')!.getConfig(), { maxValue: 3, axis: 0 });
});

test('errors: unknown names list valid ones; bad values and options are named', () => {
  const where = "GRU 'gru_1': recurrentConstraint";
  assert.throws(
    () => getConstraint('maxnorm', where),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message.startsWith(`${where}: unknown constraint "maxnorm"; valid names: `) &&
      ['maxNorm', 'max_norm', 'nonNeg', 'non_neg', 'unitNorm', 'unit_norm', 'minMaxNorm', 'min_max_norm'].every((n) => e.message.includes(n)),
  );
  assert.throws(() => getConstraint(7 as never, where), (e: unknown) => e instanceof TypeError && e.message.startsWith(where));
  assert.throws(() => getConstraint({ className: 'Clip', config: {} }, where), (e: unknown) => e instanceof RangeError && e.message.startsWith(`${where}: unknown constraint class "Clip"`));
  const range = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof RangeError && re.test(e.message), `expected RangeError matching ${re}`);
  };
  range(() => constraints.maxNorm({ maxValue: 0 }), /maxNorm constraint: maxValue must be > 0, got 0/);
  range(() => constraints.maxNorm({ maxValue: -1 }), /maxNorm constraint: maxValue must be > 0, got -1/);
  range(() => constraints.maxNorm({ maxValue: Infinity }), /maxNorm constraint: maxValue must be finite/);
  range(() => constraints.maxNorm({ axis: 0.5 }), /maxNorm constraint: axis must be an integer/);
  range(() => constraints.unitNorm({ axis: [0, 1] as never }), /unitNorm constraint: axis must be an integer/);
  range(() => constraints.minMaxNorm({ minValue: 2, maxValue: 1 }), /minMaxNorm constraint: minValue \(2\) must not exceed maxValue \(1\)/);
  range(() => constraints.minMaxNorm({ minValue: -0.5 }), /minMaxNorm constraint: minValue must be ≥ 0, got -0\.5/);
  range(() => constraints.minMaxNorm({ maxValue: 0 }), /minMaxNorm constraint: maxValue must be > 0/);
  range(() => constraints.minMaxNorm({ rate: 1.5 }), /minMaxNorm constraint: rate must be in \[0, 1\], got 1\.5/);
  range(() => constraints.minMaxNorm({ rate: -0.1 }), /minMaxNorm constraint: rate must be in \[0, 1\], got -0\.1/);
  range(() => constraints.maxNorm({ max_value: 3 } as never), /maxNorm constraint: unknown option 'max_value'; supported options: maxValue, axis/);
  range(() => constraints.nonNeg({ axis: 0 } as never), /nonNeg constraint: unknown option 'axis'/);
  assert.throws(() => constraints.maxNorm({ maxValue: '2' as never }), (e: unknown) => e instanceof TypeError && /maxValue must be a number/.test(e.message));
  // Shape problems surface at apply time.
  range(() => constraints.maxNorm({ axis: 2 }).apply(Float32Array.from(M), M_SHAPE), /MaxNorm constraint: axis 2 is out of range for a weight of shape \[3, 4\]/);
  range(() => constraints.unitNorm({ axis: -3 }).apply(Float32Array.from(M), M_SHAPE), /UnitNorm constraint: axis -3 is out of range/);
  range(() => constraints.maxNorm().apply(Float32Array.from(M), [3, 5]), /MaxNorm constraint: weight of length 12 does not match shape \[3, 5\]/);
  range(() => constraints.maxNorm().apply(new Float32Array(1), []), /MaxNorm constraint: needs a weight of rank ≥ 1/);
});

test('apply allocates nothing per call once its scratch exists', async () => {
  const w = new Float32Array(64 * 32).map((_, i) => Math.sin(i));
  const shape = [64, 32];
  // Both layouts (strided axis 0, contiguous axis 1) and integer-valued bounds, which
  // V8 would keep as small integers and box when mixed with doubles.
  const cs = [
    constraints.maxNorm({ maxValue: 0.5 }),
    constraints.maxNorm({ maxValue: 1, axis: 1 }),
    constraints.unitNorm({ axis: 1 }),
    constraints.unitNorm(),
    constraints.minMaxNorm({ minValue: 0.1, rate: 0.5 }),
    constraints.minMaxNorm({ minValue: 1, maxValue: 2, axis: 1 }),
    constraints.nonNeg(),
  ];
  const step = (): void => {
    for (let j = 0; j < cs.length; j++) cs[j]!.apply(w, shape);
  };
  const grown = await youngGrowth(() => {
    for (let i = 0; i < 1000; i++) step();
  }, HEAP_SLACK_BYTES);
  assert.ok(grown <= HEAP_SLACK_BYTES, `young generation grew by ${grown} bytes over 1000 steps`);
});

