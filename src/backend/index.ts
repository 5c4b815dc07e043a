/**
 * The kernel interface. Layers call kernels through the current backend; the
 * TypeScript kernels are the specification every faster backend is tested against.
 */
import { gemm } from './gemm.js';
import { activationBackward, activationForward } from './activation.js';
import { addBias, biasGrad, fromTimeMajor, toTimeMajor } from './elementwise.js';
import { denseBackward, denseForward } from './dense.js';
import { simpleRnnBackward, simpleRnnForward } from './simpleRnn.js';
import { lstmBackward, lstmForward } from './lstm.js';
import { gruBackward, gruForward } from './gru.js';

export { Act, type ActId } from './activation.js';

export interface Kernels {
  readonly name: string;
  gemm: typeof gemm;
  activationForward: typeof activationForward;
  activationBackward: typeof activationBackward;
  addBias: typeof addBias;
  biasGrad: typeof biasGrad;
  toTimeMajor: typeof toTimeMajor;
  fromTimeMajor: typeof fromTimeMajor;
  denseForward: typeof denseForward;
  denseBackward: typeof denseBackward;
  simpleRnnForward: typeof simpleRnnForward;
  simpleRnnBackward: typeof simpleRnnBackward;
  lstmForward: typeof lstmForward;
  lstmBackward: typeof lstmBackward;
  gruForward: typeof gruForward;
  gruBackward: typeof gruBackward;
}

export const tsKernels: Kernels = {
  name: 'ts',
  gemm,
  activationForward,
  activationBackward,
  addBias,
  biasGrad,
  toTimeMajor,
  fromTimeMajor,
  denseForward,
  denseBackward,
  simpleRnnForward,
  simpleRnnBackward,
  lstmForward,
  lstmBackward,
  gruForward,
  gruBackward,
};

const backends = new Map<string, Kernels>([['ts', tsKernels]]);
let current: Kernels = tsKernels;

/** The kernels layers run on. */
export function backend(): Kernels {
  return current;
}

/** Force a backend by name ('ts' is always available). Layers pick it up when they are built. */
export function useBackend(name: string): void {
  const k = backends.get(name);
  if (k === undefined) throw new RangeError(`useBackend: unknown backend ${JSON.stringify(name)}; available: ${[...backends.keys()].join(', ')}`);
  current = k;
}
