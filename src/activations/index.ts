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
  | 'hardSigmoidLegacy';

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
