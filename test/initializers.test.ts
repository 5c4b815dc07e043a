/**
 * Initializers (issue 16): Keras 3's rule that a seeded initializer returns the same
 * values on every call (and one seeded instance shared by two layers gives them equal
 * kernels), unseeded ones drawing from the layer; VarianceScaling's inputAxes /
 * outputAxes fans and its 'normal' alias; Constant with an array value broadcast as
 * NumPy; Orthogonal's gain and rank check; Identity; every tfjs-layers initializer name,
 * Keras 3's names and aliases; config round trips; refused options.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Rng } from '../src/core/rng.js';
import { Sequential, layers } from '../src/index.js';
import { getInitializer, initializerFromConfig, initializers, serializeInitializer, type Initializer } from '../src/initializers/index.js';
import { tfl } from './helpers/tfjs.js';

function draw(init: Initializer, shape: number[], rng = new Rng(1)): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  init.init(out, shape, rng);
  return out;
}

const SEEDED: [string, () => Initializer][] = [
  ['randomUniform', () => initializers.randomUniform({ seed: 7 })],
  ['randomNormal', () => initializers.randomNormal({ seed: 7 })],
  ['truncatedNormal', () => initializers.truncatedNormal({ seed: 7 })],
  ['varianceScaling', () => initializers.varianceScaling({ seed: 7, distribution: 'untruncatedNormal' })],
  ['glorotUniform', () => initializers.glorotUniform({ seed: 7 })],
  ['heNormal', () => initializers.heNormal({ seed: 7 })],
  ['orthogonal', () => initializers.orthogonal({ seed: 7 })],
];

test('a seeded initializer returns the same values on every call (Keras 3); an unseeded one draws from the layer', () => {
  for (const [name, make] of SEEDED) {
    const init = make();
    const rng = new Rng(3);
    const a = draw(init, [4, 6], rng);
    const b = draw(init, [4, 6], rng);
    assert.deepEqual(b, a, `${name}: second call`);
    assert.deepEqual(draw(init, [4, 6], new Rng(99)), a, `${name}: whatever the layer's generator`);
    assert.deepEqual(draw(make(), [4, 6]), a, `${name}: a second instance with the same seed`);
  }
  const unseeded = initializers.glorotUniform();
  const rng = new Rng(3);
  const a = draw(unseeded, [4, 6], rng);
  const b = draw(unseeded, [4, 6], rng);
  assert.notDeepEqual(b, a, 'unseeded: each call continues the layer generator');
  assert.deepEqual(draw(unseeded, [4, 6], new Rng(3)), a, 'unseeded: the layer generator decides');
});

test('one seeded initializer instance shared by two layers gives them equal kernels; unseeded, they differ', () => {
  const kernels = (init: Initializer): Float32Array[] => {
    const m = new Sequential();
    m.add(layers.dense({ units: 5, inputShape: [3], kernelInitializer: init, seed: 1 }));
    m.add(layers.dense({ units: 5, kernelInitializer: init, seed: 2 }));
    m.add(layers.dense({ units: 5, kernelInitializer: init, seed: 3 }));
    const w = m.getWeights().map((t) => t.data);
    return [w[2]!, w[4]!]; // the 5×5 kernels of layers 2 and 3
  };
  const [k2, k3] = kernels(initializers.heUniform({ seed: 11 }));
  assert.deepEqual(k3, k2, 'seeded');
  const [u2, u3] = kernels(initializers.heUniform());
  assert.notDeepEqual(u3, u2, 'unseeded');
});

test('varianceScaling: inputAxes / outputAxes give the fans (Keras compute_fans), only together; the normal alias', () => {
  const base = { mode: 'fanIn' as const, distribution: 'uniform' as const, seed: 4 };
  // [3, 4, 5] with fan_in over axes 0, 1 (12) draws what [12, 5] draws by default
  assert.deepEqual(
    draw(initializers.varianceScaling({ ...base, inputAxes: [0, 1], outputAxes: [2] }), [3, 4, 5]),
    draw(initializers.varianceScaling(base), [12, 5]),
  );
  // negative axes count from the end: fan_in = shape[-1] = 5, as a default [5, 12]
  assert.deepEqual(
    draw(initializers.varianceScaling({ ...base, inputAxes: [-1], outputAxes: [0] }), [12, 5]),
    draw(initializers.varianceScaling(base), [5, 12]),
  );
  // the default fans of a 3-D shape multiply the receptive field in: fan_in 3·4 = 12 as well
  assert.deepEqual(draw(initializers.varianceScaling(base), [3, 4, 5]), draw(initializers.varianceScaling(base), [12, 5]));
  // fanAvg through the axes, on a named initializer: glorotUniform limit √(6/(fanIn + fanOut))
  const g = draw(initializers.glorotUniform({ seed: 2, inputAxes: [1], outputAxes: [0] }), [50, 10]);
  const same = draw(initializers.glorotUniform({ seed: 2 }), [10, 50]);
  assert.deepEqual(g, same);
  assert.throws(() => initializers.varianceScaling({ inputAxes: [0] }), /inputAxes and outputAxes work together/);
  assert.throws(() => initializers.heNormal({ outputAxes: [1] }), /HeNormal: inputAxes and outputAxes work together/);
  assert.throws(() => initializers.varianceScaling({ inputAxes: [0.5], outputAxes: [1] }), /inputAxes must be a non-empty list of integer axes/);
  assert.throws(() => initializers.varianceScaling({ inputAxes: [], outputAxes: [1] }), /non-empty list/);
  assert.throws(() => draw(initializers.varianceScaling({ inputAxes: [2], outputAxes: [1] }), [3, 4]), /inputAxes: axis 2 is out of range for the weight shape \[3, 4\]/);
  // 'normal' is the truncated normal (Keras's alias; tfjs's spelling)
  assert.deepEqual(
    draw(initializers.varianceScaling({ distribution: 'normal', seed: 1 }), [30, 20]),
    draw(initializers.varianceScaling({ distribution: 'truncatedNormal', seed: 1 }), [30, 20]),
  );
  assert.throws(() => initializers.varianceScaling({ distribution: 'gamma' as 'uniform' }), /distribution must be 'truncatedNormal' \(or 'normal'\), 'untruncatedNormal' or 'uniform', got "gamma"/);
  assert.throws(() => initializers.varianceScaling({ scale: 0 }), /scale must be a number in \(0/);
  assert.throws(() => initializers.glorotUniform({ scale: 2 } as object), /unknown option 'scale'; supported options: seed, inputAxes, outputAxes/);
  // configs keep the axes; Keras JSON ('fan_avg', 'normal', null axes) reads back
  const vsInit = initializers.varianceScaling({ scale: 2, mode: 'fanAvg', distribution: 'uniform', seed: 3, inputAxes: [0], outputAxes: [-1] });
  const s = serializeInitializer(vsInit);
  assert.deepEqual(s, { className: 'VarianceScaling', config: { scale: 2, mode: 'fanAvg', distribution: 'uniform', seed: 3, inputAxes: [0], outputAxes: [-1] } });
  assert.deepEqual(draw(initializerFromConfig(s.className, s.config, 'test'), [6, 7]), draw(vsInit, [6, 7]));
  const fromKeras = initializerFromConfig('VarianceScaling', { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null, inputAxes: null, outputAxes: null }, 'test');
  assert.deepEqual(fromKeras.getConfig(), { scale: 1, mode: 'fanAvg', distribution: 'truncatedNormal' });
  const glorotAxes = serializeInitializer(initializers.glorotNormal({ seed: 1, inputAxes: [0], outputAxes: [1] }));
  assert.deepEqual(glorotAxes.config, { seed: 1, inputAxes: [0], outputAxes: [1] });
});

test('constant: a scalar, or an array broadcast to the weight shape as NumPy (Keras value · ones(shape))', () => {
  assert.deepEqual([...draw(initializers.constant({ value: 2.5 }), [2, 2])], [2.5, 2.5, 2.5, 2.5]);
  // a row [3] over [2, 3]; a column [[1], [2]] over [2, 3]; the whole [2, 3]
  assert.deepEqual([...draw(initializers.constant({ value: [1, 2, 3] }), [2, 3])], [1, 2, 3, 1, 2, 3]);
  assert.deepEqual([...draw(initializers.constant({ value: [[1], [2]] }), [2, 3])], [1, 1, 1, 2, 2, 2]);
  assert.deepEqual([...draw(initializers.constant({ value: [[1, 2, 3], [4, 5, 6]] }), [2, 3])], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...draw(initializers.constant({ value: [7] }), [2, 2])], [7, 7, 7, 7]);
  // a bias from an array
  const m = new Sequential();
  m.add(layers.dense({ units: 3, inputShape: [2], biasInitializer: initializers.constant({ value: [0.5, -1, 2] }) }));
  assert.deepEqual([...m.getWeights()[1]!.data], [0.5, -1, 2]);
  // shapes that do not broadcast, ragged lists, non-finite values
  assert.throws(() => draw(initializers.constant({ value: [1, 2] }), [2, 3]), /a value of shape \[2\] does not broadcast to the weight shape \[2, 3\]/);
  assert.throws(() => draw(initializers.constant({ value: [[[1]]] }), [2, 3]), /shape \[1, 1, 1\] does not broadcast/);
  assert.throws(() => initializers.constant({ value: [[1, 2], [3]] }), /not rectangular/);
  assert.throws(() => initializers.constant({ value: [1, Number.NaN] }), /value\[1\] must be a finite number, got NaN/);
  assert.throws(() => initializers.constant({ value: Number.POSITIVE_INFINITY }), /must be a finite number/);
  assert.throws(() => initializers.constant({ value: [] }), /empty list/);
  assert.throws(() => initializers.constant({ value: '1' as unknown as number }), /constant: value must be a finite number or a \(nested\) list/);
  // configs: the array round-trips, and Keras's NumPy form reads
  const s = serializeInitializer(initializers.constant({ value: [[1], [2]] }));
  assert.deepEqual(s, { className: 'Constant', config: { value: [[1], [2]] } });
  assert.deepEqual([...draw(initializerFromConfig('Constant', s.config, 'test'), [2, 2])], [1, 1, 2, 2]);
  const numpy = initializerFromConfig('Constant', { value: { className: '__numpy__', config: { value: [3, 4], dtype: 'float32' } } }, 'test');
  assert.deepEqual([...draw(numpy, [2])], [3, 4]);
});

test('orthogonal: gain scales the orthonormal rows or columns; fewer than 2 dimensions refused (Keras)', () => {
  for (const [shape, gain] of [[[5, 3], 2], [[3, 5], 0.5], [[2, 3, 4], 1.5]] as const) {
    const out = draw(initializers.orthogonal({ gain, seed: 2 }), [...shape]);
    const cols = shape[shape.length - 1]!;
    const rows = out.length / cols;
    // QᵀQ (tall) or QQᵀ (wide) = gain² I
    const n = Math.min(rows, cols);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        if (rows >= cols) for (let r = 0; r < rows; r++) dot += out[r * cols + i]! * out[r * cols + j]!;
        else for (let c = 0; c < cols; c++) dot += out[i * cols + c]! * out[j * cols + c]!;
        assert.ok(Math.abs(dot - (i === j ? gain * gain : 0)) < 1e-5, `[${shape}] gain ${gain}: (${i}, ${j}) = ${dot}`);
      }
    }
  }
  assert.throws(() => draw(initializers.orthogonal(), [6]), /Orthogonal initializer needs a shape of at least 2 dimensions \(as Keras\), got \[6\]/);
  assert.throws(() => initializers.orthogonal({ gain: Number.NaN }), /orthogonal: gain must be a finite number/);
  assert.deepEqual(serializeInitializer(initializers.orthogonal({ gain: 0.9, seed: 3 })), { className: 'Orthogonal', config: { gain: 0.9, seed: 3 } });
});

test('identity: gain on the diagonal of any 2-D shape (Keras eye), other ranks refused', () => {
  assert.deepEqual([...draw(initializers.identity({ gain: 3 }), [3, 2])], [3, 0, 0, 3, 0, 0]);
  assert.deepEqual([...draw(getInitializer('identity', 'test'), [2, 2])], [1, 0, 0, 1]);
  assert.throws(() => draw(initializers.identity(), [2, 2, 2]), /needs a 2-D shape/);
});

test('names: every tfjs-layers initializer, Keras 3 class names, snake_case and aliases; STFT refused by name', () => {
  const tfjsNames = Object.keys(tfl.initializers);
  assert.ok(tfjsNames.length >= 15, `tfjs lists ${tfjsNames.join(', ')}`);
  for (const name of tfjsNames) {
    assert.doesNotThrow(() => getInitializer(name, 'test'), name);
    assert.equal(typeof (initializers as Record<string, unknown>)[name], 'function', `initializers.${name}`);
  }
  const expect: [string, string][] = [
    ['leCunNormal', 'LecunNormal'],
    ['LeCunUniform', 'LecunUniform'],
    ['lecun_normal', 'LecunNormal'],
    ['LecunUniform', 'LecunUniform'],
    ['glorot_uniform', 'GlorotUniform'],
    ['GlorotNormal', 'GlorotNormal'],
    ['he_uniform', 'HeUniform'],
    ['variance_scaling', 'VarianceScaling'],
    ['random_normal', 'RandomNormal'],
    ['truncated_normal', 'TruncatedNormal'],
    ['normal', 'RandomNormal'],
    ['uniform', 'RandomUniform'],
    ['one', 'Ones'],
    ['zero', 'Zeros'],
    ['Zeros', 'Zeros'],
    ['Constant', 'Constant'],
    ['IdentityInitializer', 'Identity'],
    ['OrthogonalInitializer', 'Orthogonal'],
  ];
  for (const [name, className] of expect) assert.equal(getInitializer(name, 'test').className, className, name);
  // tfjs class names in JSON
  assert.equal(initializerFromConfig('LeCunNormal', { seed: 2 }, 'test').className, 'LecunNormal');
  assert.throws(() => getInitializer('stft', 'kernelInitializer'), /kernelInitializer: Keras's STFT initializer \(for its STFTSpectrogram layer\) is not supported/);
  assert.throws(() => initializerFromConfig('STFT', {}, 'Dense: kernelInitializer'), /STFT initializer .* not supported/);
  assert.throws(() => getInitializer('glorot', 'test'), /unknown initializer "glorot"; valid names: .*leCunNormal.*GlorotUniform/);
  assert.throws(() => initializers.heUniform({ seed: -1 }), /seed must be a non-negative integer, got -1/);
  assert.throws(() => initializers.heUniform({ seed: 2 ** 60 }), /seed must be a non-negative integer/);
});
