/**
 * One registry: every layer class the package exports is in the layer table (so loading,
 * worker replicas, twins and streams know it), has a factory in the `layers` namespace,
 * and refuses an unknown option by name — forgetting one of these fails here, not silently.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import * as api from '../src/index.js';
import { layerEntries } from '../src/layers/registry.js';

const layerClasses = Object.entries(api).filter(([, v]) => typeof v === 'function' && v.prototype instanceof api.Layer && v !== api.Recurrent && v !== api.Model && v !== api.Sequential);

describe('layer registry', () => {
  it('every exported layer class is registered under its Keras class name', () => {
    const registered = new Map(layerEntries().map((e) => [e.cls, e.className]));
    for (const [name, cls] of layerClasses) assert.ok(registered.has(cls as never), `${name} is exported but not in src/layers/registry.ts`);
    assert.equal(layerEntries().length, layerClasses.length, 'every registered class is exported');
  });

  it('every registered class has a factory in layers (tfjs names), and each refuses an unknown option by name', () => {
    const factories = api.layers as unknown as Record<string, (args?: unknown) => unknown>;
    const minimal: Record<string, object> = {
      Dense: { units: 1 },
      SimpleRNN: { units: 1 },
      LSTM: { units: 1 },
      GRU: { units: 1 },
      Embedding: { inputDim: 3, outputDim: 2 },
      Masking: {},
      Dropout: { rate: 0.1 },
      Activation: { activation: 'relu' },
      RepeatVector: { n: 2 },
      Flatten: {},
      Bidirectional: { layer: api.layers.lstm({ units: 1 }) },
      TimeDistributed: { layer: api.layers.dense({ units: 1 }) },
      Dot: { axes: 1 },
      Reshape: { targetShape: [2] },
      Permute: { dims: [1] },
      InputLayer: { shape: [2] },
      Conv1D: { filters: 1, kernelSize: 1 },
      Conv1DTranspose: { filters: 1, kernelSize: 1 },
      SpatialDropout1D: { rate: 0.1 },
      GaussianNoise: { stddev: 0.1 },
      GaussianDropout: { rate: 0.1 },
      AlphaDropout: { rate: 0.1 },
    };
    for (const e of layerEntries()) {
      const factory = Object.values(factories).find((f) => {
        try {
          const made = f({ ...(minimal[e.className] ?? {}) });
          return made instanceof (e.cls as unknown as new () => object) || (e.className === 'InputLayer' && made instanceof api.SymbolicTensor);
        } catch {
          return false;
        }
      });
      assert.ok(factory !== undefined, `no factory in layers makes a ${e.className}`);
      assert.throws(() => factory!({ ...(minimal[e.className] ?? {}), definitelyNotAnOption: 1 }), /unknown option 'definitelyNotAnOption'/, `${e.className} refuses unknown options`);
    }
  });
});
