/**
 * Never ignore an argument: every options object the public API takes refuses a key it
 * does not know, naming it. The walk covers every factory of every namespace (a factory
 * added later is walked too: give it minimal arguments in REQUIRED if it needs some), the
 * model methods, loading and saving, the task classes and their methods.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import * as rnnkit from '../src/index.js';

const { callbacks, constraints, initializers, layers, losses, metrics, optimizers, regularizers, schedules } = rnnkit;
const KEY = 'zzUnknownOption';
// Quoted as checkOptions names it: a message that merely prints the options object does not count.
const NAMED = new RegExp(`'${KEY}'`);

/** Minimal arguments of the factories that have required ones. */
const REQUIRED: Record<string, Record<string, unknown>> = {
  'layers.input': { shape: [3] },
  'layers.dense': { units: 2 },
  'layers.simpleRNN': { units: 2 },
  'layers.lstm': { units: 2 },
  'layers.gru': { units: 2 },
  'layers.bidirectional': { layer: layers.lstm({ units: 2 }) },
  'layers.timeDistributed': { layer: layers.dense({ units: 2 }) },
  'layers.embedding': { inputDim: 5, outputDim: 2 },
  'layers.masking': {},
  'layers.dropout': { rate: 0.1 },
  'layers.spatialDropout1d': { rate: 0.1 },
  'layers.activation': { activation: 'relu' },
  'layers.repeatVector': { n: 2 },
  'layers.dot': { axes: 1 },
  'layers.reshape': { targetShape: [2] },
  'layers.permute': { dims: [2, 1] },
  'layers.conv1d': { filters: 2, kernelSize: 2 },
  'callbacks.modelCheckpoint': { filepath: '/tmp/x' },
  'callbacks.csvLogger': { filename: '/tmp/x.csv' },
  'schedules.exponentialDecay': { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9 },
  'schedules.inverseTimeDecay': { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9 },
  'schedules.piecewiseConstantDecay': { boundaries: [10], values: [0.1, 0.01] },
  'schedules.polynomialDecay': { initialLearningRate: 0.1, decaySteps: 10 },
  'schedules.cosineDecay': { initialLearningRate: 0.1, decaySteps: 10 },
  'schedules.cosineDecayRestarts': { initialLearningRate: 0.1, firstDecaySteps: 10 },
  'initializers.constant': { value: 1 },
  'regularizers.l1': { l1: 0.1 },
  'regularizers.l2': { l2: 0.1 },
  'metrics.fbetaScore': { beta: 1 },
};

/** Factories whose options object is not their first argument: how to call them with it. */
const CALLS: Record<string, (make: (...a: unknown[]) => unknown, options: object) => unknown> = {
  'callbacks.learningRateScheduler': (make, options) => make((_e: number, lr: number) => lr, options),
};

/** Functions of a namespace that take no options object (nothing to walk), with why. */
const NO_OPTIONS: Record<string, string> = {
  'schedules.serialize': 'takes a schedule, not options',
  'schedules.LearningRateSchedule': 'the abstract base class',
};

function walk(namespace: string, ns: Record<string, unknown>): [string, (args: unknown) => unknown][] {
  return Object.entries(ns)
    .filter(([, f]) => typeof f === 'function')
    .map(([name, f]) => [`${namespace}.${name}`, f as (args: unknown) => unknown]);
}

const NAMESPACES = { layers, optimizers, losses, metrics, initializers, regularizers, constraints, callbacks, schedules } as unknown as Record<string, Record<string, unknown>>;

describe('unknown option keys are refused, by name', () => {
  for (const [nsName, ns] of Object.entries(NAMESPACES)) {
    it(`every factory of ${nsName}`, () => {
      const silent: string[] = [];
      for (const [name, make] of walk(nsName, ns)) {
        if (name in NO_OPTIONS) continue;
        let message = '';
        const args = { ...(REQUIRED[name.replace(/\.([A-Z])/, (_m, c: string) => `.${c.toLowerCase()}`)] ?? REQUIRED[name] ?? {}), [KEY]: 1 };
        try {
          // Classes beside the factories (schedules.ExponentialDecay) are constructed.
          if (/^[A-Z]/.test(name.split('.')[1]!)) new (make as unknown as new (a: unknown) => unknown)(args);
          else if (name in CALLS) CALLS[name]!(make as (...a: unknown[]) => unknown, args);
          else make(args);
        } catch (e) {
          message = (e as Error).message;
        }
        if (!NAMED.test(message)) silent.push(`${name}: ${message === '' ? 'accepted it' : message}`);
      }
      assert.deepEqual(silent, [], `these did not refuse '${KEY}' by name:\n${silent.join('\n')}`);
    });
  }
});

/** Runs f (sync or async) and returns its error message, or '' when it accepted the key. */
async function messageOf(f: () => unknown): Promise<string> {
  try {
    await f();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

async function refusedAll(cases: [string, () => unknown][]): Promise<void> {
  const silent: string[] = [];
  for (const [name, f] of cases) {
    const message = await messageOf(f);
    if (!NAMED.test(message)) silent.push(`${name}: ${message === '' ? 'accepted it' : message}`);
  }
  assert.deepEqual(silent, [], `these did not refuse '${KEY}' by name:\n${silent.join('\n')}`);
}

const bad = { [KEY]: 1 } as never;

describe('unknown option keys in models, loading and the task classes', () => {
  it('model constructors and methods', async () => {
    const { Sequential, model: graphModel, input, tensor, loadModel, trainInWorker } = rnnkit;
    const make = (): rnnkit.Sequential => {
      const m = new Sequential({ layers: [layers.lstm({ units: 2, inputShape: [3, 1] }), layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      return m;
    };
    const x = tensor(new Float32Array(12), [4, 3, 1]);
    const y = tensor(new Float32Array(4), [4, 1]);
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/rnnkit-keys-'));
    await make().save(dir);
    const inp = input({ shape: [3, 1] });
    await refusedAll([
      ['new Sequential', () => new Sequential(bad)],
      ['model()', () => graphModel({ inputs: inp, outputs: layers.dense({ units: 1 }).apply(layers.lstm({ units: 2 }).apply(inp) as never) as never, ...(bad as object) })],
      ['input()', () => input({ shape: [2], ...(bad as object) })],
      ['compile', () => new Sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })] }).compile({ optimizer: 'sgd', loss: 'mse', ...(bad as object) })],
      ['fit', () => make().fit(x, y, { verbose: 0, ...(bad as object) })],
      ['evaluate', () => make().evaluate(x, y, { verbose: 0, ...(bad as object) })],
      ['predict', () => make().predict(x, bad)],
      ['stream', () => make().stream(bad)],
      ['save', () => make().save(dir + '-2', bad)],
      ['loadModel', () => loadModel(dir, bad)],
      ['loadModel({modelJson, weightData})', async () => {
        const { readFile } = await import('node:fs/promises');
        const modelJson = JSON.parse(await readFile(`${dir}/model.json`, 'utf8')) as { weightsManifest: { paths: string[] }[] };
        const weightData = new Uint8Array(await readFile(`${dir}/${modelJson.weightsManifest[0]!.paths[0]!}`)).buffer;
        return loadModel({ modelJson, weightData, [KEY]: 1 } as never);
      }],
      ['trainInWorker', () => trainInWorker(make(), x, y, bad)],
      ['layer.apply', () => layers.lstm({ units: 2 }).apply(input({ shape: [3, 1] }), bad)],
    ]);
  });

  it('task classes: constructors, fit, inference, load', async () => {
    const { TextGenerator, Forecaster, Seq2Seq, TextClassifier, TextVectorizer, Vocabulary } = rnnkit;
    const vocab = Vocabulary.fromCorpus(['ab', 'ba']);
    const gen = (): rnnkit.TextGenerator => new TextGenerator({ vocab, units: 2 });
    const series = Array.from({ length: 40 }, (_, i) => Math.sin(i / 3));
    const fc = (): rnnkit.Forecaster => new Forecaster({ lookback: 4 });
    const pairs: [string, string][] = [['ab', 'ba'], ['ba', 'ab'], ['aa', 'bb'], ['bb', 'aa']];
    const s2s = (): rnnkit.Seq2Seq => Seq2Seq.forPairs(pairs, { units: 2 });
    const clf = (): rnnkit.TextClassifier => new TextClassifier({ classes: ['no', 'yes'], units: 2 });
    await refusedAll([
      ['new TextGenerator', () => new TextGenerator({ vocab, ...(bad as object) })],
      ['TextGenerator.fit', () => gen().fit(['ab', 'ba'], { epochs: 1, verbose: 0, ...(bad as object) })],
      ['TextGenerator.sample', () => gen().sample(bad)],
      ['TextGenerator.load', () => TextGenerator.load('/nonexistent', bad)],
      ['new Forecaster', () => new Forecaster({ lookback: 4, ...(bad as object) })],
      ['Forecaster.fit', () => fc().fit(series, { epochs: 1, verbose: 0, ...(bad as object) })],
      ['Forecaster.evaluate', () => fc().evaluate(series, bad)],
      ['Seq2Seq.forPairs', () => Seq2Seq.forPairs(pairs, bad)],
      ['Seq2Seq.fit', () => s2s().fit(pairs, { epochs: 1, verbose: 0, ...(bad as object) })],
      ['Seq2Seq.translate', () => s2s().translate('ab', bad)],
      ['Seq2Seq.load', () => Seq2Seq.load('/nonexistent', bad)],
      ['Forecaster.load', () => Forecaster.load('/nonexistent', bad)],
      ['TextClassifier.load', () => TextClassifier.load('/nonexistent', bad)],
      ['new TextClassifier', () => new TextClassifier({ classes: ['a', 'b'], ...(bad as object) })],
      ['TextClassifier.fit', () => clf().fit(['a b', 'b a'], ['no', 'yes'], { epochs: 1, verbose: 0, ...(bad as object) })],
      ['TextClassifier.predict', () => clf().predict('a b', bad)],
      ['TextClassifier.probabilities', () => clf().probabilities(['a b'], bad)],
      ['new TextVectorizer', () => new TextVectorizer(bad)],
      ['TextVectorizer.adapt', () => new TextVectorizer().adapt(['a b'], bad)],
    ]);
  });
});
