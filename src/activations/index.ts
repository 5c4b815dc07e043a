/**
 * Activation names (tfjs camelCase and Keras snake_case) → kernel ids.
 * The math lives in backend/ts/activation.ts.
 */
import { Act, type ActId } from '../backend/kernels.js';
import { lookup, show } from '../core/errors.js';

/** Activation names rnnkit accepts. */
export type ActivationIdentifier =
  | 'linear'
  | 'tanh'
  | 'sigmoid'
  | 'hardSigmoid'
  | 'relu'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'softsign'
  | 'swish'
  | 'softmax'
  | 'hardSigmoidLegacy'
  | 'relu6'
  | 'gelu'
  | 'geluNew'
  | 'mish'
  | 'exponential'
  | 'leakyRelu'
  | 'logSoftmax'
  | 'hardSilu'
  | 'logSigmoid'
  | 'hardTanh'
  | 'tanhShrink'
  | 'softShrink'
  | 'hardShrink'
  | 'sparsePlus'
  | 'squareplus'
  | 'sparseSigmoid'
  | 'celu';

const registry = new Map<string, ActId>([
  ['linear', Act.linear],
  ['tanh', Act.tanh],
  ['sigmoid', Act.sigmoid],
  ['hardSigmoid', Act.hardSigmoid],
  ['hard_sigmoid', Act.hardSigmoid],
  ['relu', Act.relu],
  ['elu', Act.elu],
  ['selu', Act.selu],
  ['softplus', Act.softplus],
  ['softsign', Act.softsign],
  ['swish', Act.swish],
  ['silu', Act.swish],
  ['softmax', Act.softmax],
  ['hardSigmoidLegacy', Act.hardSigmoidLegacy],
  ['hard_sigmoid_legacy', Act.hardSigmoidLegacy],
  ['relu6', Act.relu6],
  ['gelu', Act.gelu],
  ['geluNew', Act.geluTanh],
  ['gelu_new', Act.geluTanh],
  ['mish', Act.mish],
  ['exponential', Act.exponential],
  ['leakyRelu', Act.leakyRelu],
  ['leaky_relu', Act.leakyRelu],
  ['logSoftmax', Act.logSoftmax],
  ['log_softmax', Act.logSoftmax],
  ['hardSilu', Act.hardSilu],
  ['hard_silu', Act.hardSilu],
  ['hardSwish', Act.hardSilu],
  ['hard_swish', Act.hardSilu],
  ['logSigmoid', Act.logSigmoid],
  ['log_sigmoid', Act.logSigmoid],
  ['hardTanh', Act.hardTanh],
  ['hard_tanh', Act.hardTanh],
  ['tanhShrink', Act.tanhShrink],
  ['tanh_shrink', Act.tanhShrink],
  ['softShrink', Act.softShrink],
  ['soft_shrink', Act.softShrink],
  ['hardShrink', Act.hardShrink],
  ['hard_shrink', Act.hardShrink],
  ['sparsePlus', Act.sparsePlus],
  ['sparse_plus', Act.sparsePlus],
  ['squareplus', Act.squareplus],
  ['sparseSigmoid', Act.sparseSigmoid],
  ['sparse_sigmoid', Act.sparseSigmoid],
  // Keras 3's celu with its default α = 1 is max(x, 0) + expm1(min(x, 0)): elu exactly.
  ['celu', Act.elu],
]);

const canonical = new Map<ActId, ActivationIdentifier>([
  [Act.linear, 'linear'],
  [Act.tanh, 'tanh'],
  [Act.sigmoid, 'sigmoid'],
  [Act.hardSigmoid, 'hardSigmoid'],
  [Act.relu, 'relu'],
  [Act.elu, 'elu'],
  [Act.selu, 'selu'],
  [Act.softplus, 'softplus'],
  [Act.softsign, 'softsign'],
  [Act.swish, 'swish'],
  [Act.softmax, 'softmax'],
  [Act.hardSigmoidLegacy, 'hardSigmoidLegacy'],
  [Act.relu6, 'relu6'],
  [Act.gelu, 'gelu'],
  [Act.geluTanh, 'geluNew'],
  [Act.mish, 'mish'],
  [Act.exponential, 'exponential'],
  [Act.leakyRelu, 'leakyRelu'],
  [Act.logSoftmax, 'logSoftmax'],
  [Act.hardSilu, 'hardSilu'],
  [Act.logSigmoid, 'logSigmoid'],
  [Act.hardTanh, 'hardTanh'],
  [Act.tanhShrink, 'tanhShrink'],
  [Act.softShrink, 'softShrink'],
  [Act.hardShrink, 'hardShrink'],
  [Act.sparsePlus, 'sparsePlus'],
  [Act.squareplus, 'squareplus'],
  [Act.sparseSigmoid, 'sparseSigmoid'],
]);

/** Resolve an activation option; `null`/`undefined` mean the default. */
export function getActivation(name: unknown, fallback: ActivationIdentifier, where: string): ActId {
  if (name === undefined) return registry.get(fallback)!;
  if (name === null) return Act.linear; // Keras: activation=None is linear
  if (typeof name !== 'string') throw new TypeError(`${where}: activation must be a string, got ${show(name)}`);
  try {
    return lookup(registry, name, 'activation');
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
}

/** The canonical (tfjs) name of an activation id, for configs. */
export function activationName(id: ActId): ActivationIdentifier {
  return canonical.get(id)!;
}

export const activationNames: readonly string[] = [...registry.keys()];
