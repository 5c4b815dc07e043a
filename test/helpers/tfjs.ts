/**
 * TensorFlow.js as an independent oracle: CPU backend set-up and a helper that runs a
 * tfjs layer forward and backward on injected weights.
 *
 * Notes on the tfjs packages (4.22) used under Node without the `@tensorflow/tfjs` umbrella:
 * - the CommonJS bundles do not register the chained tensor methods (`t.flatten()` …),
 *   and the Orthogonal initializer needs them, so tfjs layers here are built with
 *   'zeros' initializers (every weight is injected anyway);
 * - `PROD` silences the "install tfjs-node" banner of the CPU backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Layer as TfLayer } from '@tensorflow/tfjs-layers/dist/engine/topology.js';

export { tf, tfl, type TfLayer };

export async function initTfjs(): Promise<void> {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Initializers for tfjs layers whose weights are injected afterwards (see the header). */
export const TF_ZERO_INIT = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' } as const;
export const TF_ZERO_INIT_DENSE = { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const;

export interface FlatTensor {
  data: Float32Array;
  shape: readonly number[];
}

export interface TfLayerResult {
  /** Layer output, flat row-major. */
  out: Float32Array;
  /** d(Σ out ⊙ R)/d(weight), in the layer's weight order. */
  dWeights: Float32Array[];
  /** d(Σ out ⊙ R)/d(input), flat row-major. */
  dx: Float32Array;
}

let variableCounter = 0;

/**
 * Run `layer` (unbuilt, created with zero initializers) on x with the given weights,
 * and differentiate loss = Σ out ⊙ R with respect to every trainable weight and x.
 * Disposes everything it creates, the layer included.
 */
export function tfLayerGrads(layer: TfLayer, weights: readonly FlatTensor[], x: FlatTensor, R: Float32Array): TfLayerResult {
  const x0 = tf.tensor(x.data, [...x.shape]);
  const xv = tf.variable(x0, true, `parity_x_${variableCounter++}`);
  x0.dispose();
  try {
    tf.tidy(() => {
      layer.apply(xv); // builds the layer
    });
    tf.tidy(() => layer.setWeights(weights.map((w) => tf.tensor(w.data, [...w.shape]))));
    const vars = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), xv];
    const out = tf.tidy(() => (layer.apply(xv) as tf.Tensor).dataSync() as Float32Array);
    const rt = tf.tensor(R, [...(layer.computeOutputShape([...x.shape]) as number[])]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xv) as tf.Tensor, rt)), vars);
    const read = (v: tf.Variable): Float32Array => {
      const g = grads[v.name];
      if (g === undefined) throw new Error(`tfjs gave no gradient for ${v.name}`);
      return g.dataSync() as Float32Array;
    };
    const result: TfLayerResult = { out, dWeights: vars.slice(0, -1).map(read), dx: read(xv) };
    value.dispose();
    tf.dispose(grads);
    rt.dispose();
    return result;
  } finally {
    xv.dispose();
    layer.dispose();
  }
}
