/**
 * Learning-rate schedules against Keras 3's learning_rate_schedule_test.py (its cases and
 * expected numbers), configs and serialized form, refused options, and Keras's end-to-end
 * test_fit_lr_correctness (Adam with ExponentialDecay through fit).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { schedules, LearningRateSchedule, optimizers, Sequential, layers, tensor } from '../src/index.js';
import { deserializeSchedule, serializeSchedule } from '../src/optimizers/index.js';

/** Keras asserts these with assertAllClose(…, 1e-6): rtol 1e-6 and its default atol 1e-6 (float32 there, float64 here). */
function close(actual: number, expected: number, what: string, rtol = 1e-6, atol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected), `${what}: got ${actual}, expected ${expected}`);
}

test('ExponentialDecay: continuous and staircase (Keras test_continuous, test_staircase, test_variables)', () => {
  close(schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96 }).call(5), 0.05 * 0.96 ** 0.5, 'continuous');
  const s = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.96, staircase: true });
  close(s.call(1), 0.1, 'staircase 1');
  close(s.call(2), 0.1, 'staircase 2');
  close(s.call(100), 0.1 * 0.96 ** Math.floor(100 / 3), 'staircase 100');
  assert.notEqual(s.call(3), 0.1);
});

test('PiecewiseConstantDecay: a boundary step keeps the earlier value (Keras test_piecewise_values, test_boundary_values)', () => {
  const s = schedules.piecewiseConstantDecay({ boundaries: [100, 110, 120], values: [1.0, 0.1, 0.01, 0.001] });
  for (const [step, want] of [[-999, 1.0], [100, 1.0], [105, 0.1], [110, 0.1], [120, 0.01], [999, 0.001]] as const) close(s.call(step), want, `step ${step}`);
  const b = schedules.piecewiseConstantDecay({ boundaries: [1, 2, 3], values: [0.4, 0.5, 0.6, 0.7] });
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => b.call(k)), [0.4, 0.4, 0.5, 0.6, 0.7]);
});

test('PolynomialDecay: linear and sqrt, end, beyond the end, cycle (Keras LinearDecayTest, SqrtDecayTest)', () => {
  const lr = 0.05;
  const end = 0.001;
  const poly = (o: Partial<Parameters<typeof schedules.polynomialDecay>[0]>) => schedules.polynomialDecay({ initialLearningRate: lr, decaySteps: 10, ...o });
  close(poly({ endLearningRate: 0 }).call(5), lr * 0.5, 'linear halfway');
  close(poly({ endLearningRate: end }).call(10), end, 'linear end');
  close(poly({ endLearningRate: end }).call(5), (lr + end) * 0.5, 'linear halfway with end');
  close(poly({ endLearningRate: end }).call(15), end, 'linear beyond end');
  close(poly({ endLearningRate: end, cycle: true }).call(15), (lr - end) * 0.25 + end, 'linear cycle');
  close(poly({ endLearningRate: 0, power: 0.5 }).call(5), lr * 0.5 ** 0.5, 'sqrt halfway');
  close(poly({ endLearningRate: end, power: 0.5 }).call(10), end, 'sqrt end');
  close(poly({ endLearningRate: end, power: 0.5 }).call(5), (lr - end) * 0.5 ** 0.5 + end, 'sqrt halfway with end');
  close(poly({ endLearningRate: end, power: 0.5 }).call(15), end, 'sqrt beyond end');
  close(poly({ endLearningRate: end, power: 0.5, cycle: true }).call(15), (lr - end) * 0.25 ** 0.5 + end, 'sqrt cycle');
  close(schedules.polynomialDecay({ initialLearningRate: 0.001, decaySteps: 10, cycle: true }).call(0), 0.001, 'cycle at step 0');
  assert.equal(schedules.polynomialDecay({ initialLearningRate: 1, decaySteps: 10 }).endLearningRate, 0.0001, 'Keras default end rate');
});

test('InverseTimeDecay: continuous and staircase (Keras test_decay, test_staircase)', () => {
  const k = 10;
  const s = schedules.inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: k, decayRate: 0.96 });
  const st = schedules.inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: k, decayRate: 0.96, staircase: true });
  for (let i = 0; i <= k; i++) {
    close(s.call(i), 0.1 / (1 + (i / k) * 0.96), `continuous ${i}`);
    close(st.call(i), 0.1 / (1 + 0.96 * Math.floor(i / k)), `staircase ${i}`);
  }
});

/** Keras's np_cosine_decay. */
function npCosineDecay(step: number, decaySteps: number, alpha = 0): number {
  const s = Math.min(step, decaySteps);
  const decay = 0.5 * (1 + Math.cos((Math.PI * s) / decaySteps));
  return (1 - alpha) * decay + alpha;
}

test('CosineDecay: decay, alpha, warmup, warmup then decay (Keras CosineDecayTest)', () => {
  for (let step = 0; step < 1500; step += 250) {
    close(schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 1000 }).call(step), npCosineDecay(step, 1000), `decay ${step}`);
    close(schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 1000, alpha: 0.1 }).call(step), npCosineDecay(step, 1000, 0.1), `alpha ${step}`);
    const warm = schedules.cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 10, warmupSteps: 1500 });
    close(warm.call(step), (step / 1500) * 10, `warmup ${step}`);
  }
  for (let step = 0; step < 3000; step += 250) {
    const s = schedules.cosineDecay({ initialLearningRate: 0, decaySteps: 1000, warmupTarget: 10, warmupSteps: 2000 });
    const want = step < 2001 ? (step / 2000) * 10 : 10 * npCosineDecay(step - 2000, 1000);
    close(s.call(step), want, `warmup decay ${step}`);
  }
  // Warmup from a non-zero start: a line from initial to target.
  close(schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 4, warmupTarget: 0.5, warmupSteps: 4 }).call(1), 0.2, 'warmup from 0.1');
});

/** Keras's np_cosine_decay_restarts. */
function npCosineDecayRestarts(step0: number, decaySteps0: number, tMul = 2, mMul = 1, alpha = 0): number {
  let step = step0;
  let decaySteps = decaySteps0;
  let fac = 1;
  while (step >= decaySteps) {
    step -= decaySteps;
    decaySteps *= tMul;
    fac *= mMul;
  }
  const decay = fac * 0.5 * (1 + Math.cos((Math.PI * step) / decaySteps));
  return (1 - alpha) * decay + alpha;
}

test('CosineDecayRestarts: decay, alpha, mMul, tMul 1 (Keras CosineDecayRestartsTest), and later periods', () => {
  for (let step = 0; step < 1500; step += 250) {
    const s = (o: object) => schedules.cosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, ...o }).call(step);
    close(s({}), npCosineDecayRestarts(step, 1000), `decay ${step}`);
    close(s({ alpha: 0.1 }), npCosineDecayRestarts(step, 1000, 2, 1, 0.1), `alpha ${step}`);
    close(s({ mMul: 0.9 }), npCosineDecayRestarts(step, 1000, 2, 0.9), `mMul ${step}`);
    close(s({ tMul: 1 }), npCosineDecayRestarts(step, 1000, 1), `tMul 1 ${step}`);
  }
  // Beyond the Keras cases: several restarts with tMul 3, mMul 0.5, alpha 0.2.
  const s = schedules.cosineDecayRestarts({ initialLearningRate: 0.4, firstDecaySteps: 10, tMul: 3, mMul: 0.5, alpha: 0.2 });
  for (const step of [0, 5, 9, 10, 11, 39, 40, 41, 100, 129, 131, 390]) close(s.call(step), 0.4 * npCosineDecayRestarts(step, 10, 3, 0.5, 0.2), `restarts ${step}`, 1e-9);
});

test('configs round trip (Keras run_class_serialization_test cases) and the serialized form is Keras 3\'s', () => {
  const cases: LearningRateSchedule[] = [
    schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96, staircase: true, name: 'my_ed' }),
    schedules.piecewiseConstantDecay({ boundaries: [10, 20], values: [1, 2, 3], name: 'my_pcd' }),
    schedules.polynomialDecay({ initialLearningRate: 0.1, decaySteps: 100, endLearningRate: 0.005, power: 1.0, cycle: false, name: 'my_ld' }),
    schedules.inverseTimeDecay({ initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96, staircase: true, name: 'my_itd' }),
    schedules.cosineDecay({ initialLearningRate: 0.05, decaySteps: 10, alpha: 0.1, warmupTarget: 0.2, warmupSteps: 2, name: 'my_cd' }),
    schedules.cosineDecayRestarts({ initialLearningRate: 0.05, firstDecaySteps: 10, alpha: 0.1, tMul: 3.0, mMul: 4.0, name: 'my_cdr' }),
  ];
  for (const s of cases) {
    const ser = JSON.parse(JSON.stringify(serializeSchedule(s))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(ser), ['module', 'class_name', 'config', 'registered_name']);
    assert.equal(ser['module'], 'keras.optimizers.schedules');
    assert.equal(ser['class_name'], s.className);
    assert.equal(ser['registered_name'], null);
    const back = deserializeSchedule(ser);
    assert.equal(back.constructor, s.constructor);
    assert.deepEqual(back.getConfig(), s.getConfig());
    for (const step of [0, 3, 10, 17, 250]) assert.equal(back.call(step), s.call(step));
  }
  // Every key is written, as Keras does (warmup_target None included).
  assert.deepEqual(schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 5 }).getConfig(), {
    initialLearningRate: 1, decaySteps: 5, alpha: 0, name: 'CosineDecay', warmupTarget: null, warmupSteps: 0,
  });
  assert.equal(schedules.cosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 5 }).name, 'SGDRDecay');
  assert.equal(schedules.piecewiseConstantDecay({ boundaries: [1], values: [1, 2] }).name, 'PiecewiseConstant');
  // A config read back is the same schedule inside an optimizer config too (see optimizersKeras3).
  assert.equal(schedules.deserialize({ class_name: 'ExponentialDecay', config: { initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 } }).call(2), 0.25);
});

test('bad options are refused by name', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 }), /^ExponentialDecay: decaySteps must be a number in \(0, Infinity\]/],
    [() => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10 } as never), /^ExponentialDecay: decayRate is required$/],
    [() => schedules.exponentialDecay({ initial_learning_rate: 0.1, decaySteps: 10, decayRate: 0.9 } as never), /^ExponentialDecay: unknown option 'initial_learning_rate'; supported options: initialLearningRate, decaySteps, decayRate, staircase, name$/],
    [() => schedules.inverseTimeDecay({ initialLearningRate: NaN, decaySteps: 1, decayRate: 1 }), /^InverseTimeDecay: initialLearningRate must be a number/],
    [() => schedules.piecewiseConstantDecay({ boundaries: [1, 2], values: [1, 2] }), /^PiecewiseConstantDecay: values must have one more entry than boundaries; got 2 boundaries and 2 values$/],
    [() => schedules.piecewiseConstantDecay({ boundaries: [2, 1], values: [1, 2, 3] }), /strictly increasing; boundaries\[1\] = 1 follows 2/],
    [() => schedules.piecewiseConstantDecay({ boundaries: [1], values: [1, -2] }), /^PiecewiseConstantDecay: values\[1\] must be/],
    [() => schedules.polynomialDecay({ initialLearningRate: 1, decaySteps: 10, power: -1 }), /^PolynomialDecay: power must be a number in \[0, Infinity\]/],
    [() => schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 10, warmupSteps: 5 }), /^CosineDecay: warmupSteps \(5\) needs warmupTarget/],
    [() => schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 10, alpha: 2 }), /^CosineDecay: alpha must be a number in \[0, 1\]/],
    [() => schedules.cosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 0 }), /^CosineDecayRestarts: tMul must be a number in \(0, Infinity\]/],
    [() => schedules.cosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, t_mul: 2 } as never), /^CosineDecayRestarts: unknown option 't_mul'/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, (e: Error) => (e instanceof RangeError || e instanceof TypeError) && re.test(e.message), String(re));
  assert.throws(() => schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 1, staircase: 1 as never }), TypeError);
  assert.throws(() => schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 1 }).call(NaN), /CosineDecay: step must be a finite number, got NaN/);
  assert.throws(() => schedules.deserialize({ class_name: 'ExponentialDecay', config: 3 }), /config of 'ExponentialDecay' must be an object/);
  assert.throws(() => schedules.deserialize({ class_name: '__proto__', config: {} }), /unknown schedule class "__proto__"/);
});

test('Keras test_fit_lr_correctness: Dense(2) of ones, Adam over ExponentialDecay(0.05, 1, 0.9), 3 epochs of 4 batches', async () => {
  const model = new Sequential();
  model.add(layers.dense({ units: 2, kernelInitializer: 'ones', biasInitializer: 'ones', inputShape: [2] }));
  const optimizer = optimizers.adam({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 1, decayRate: 0.9 }) });
  assert.equal(optimizer.iterations, 0);
  model.compile({ optimizer, loss: 'mse' });
  const xy = Float32Array.from({ length: 32 }, (_, i) => i);
  const history = await model.fit(tensor(xy, [16, 2]), tensor(xy.slice(), [16, 2]), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
  assert.equal(optimizer.iterations, 4 * 3);
  const want = [230.79457092285156, 128.30319213867188, 79.33648681640625];
  history.history['loss']!.forEach((l, e) => close(l as number, want[e]!, `epoch ${e + 1} loss`, 5e-5));
});
