/**
 * The kernel interface. Layers call kernels through the current backend; the
 * TypeScript kernels are the specification every faster backend is tested against.
 */
import { gemm, gemmTs, setGemmImpl } from './gemm.js';
import { gemmWasm, wasmGemmSupported } from './wasmGemm.js';
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
  gemm: gemmTs,
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

/**
 * The WebAssembly backend, first step: the TypeScript kernels with the GEMM computed
 * by the WebAssembly SIMD kernel (./wasmGemm.ts). Not the default yet.
 */
export const wasmKernels: Kernels = { ...tsKernels, name: 'wasm', gemm: gemmWasm };

const backends = new Map<string, Kernels>([
  ['ts', tsKernels],
  ['wasm', wasmKernels],
]);
let current: Kernels = tsKernels;

/** The kernels layers run on. */
export function backend(): Kernels {
  return current;
}

/**
 * Force a backend by name ('ts' is always available; 'wasm' where WebAssembly SIMD
 * is). Layers pick up the kernel object when they are built; the GEMM, which the
 * layer kernels call directly, switches for every layer at once.
 */
export function useBackend(name: string): void {
  const k = backends.get(name);
  if (k === undefined) throw new RangeError(`useBackend: unknown backend ${JSON.stringify(name)}; available: ${[...backends.keys()].join(', ')}`);
  if (k === wasmKernels && !wasmGemmSupported()) throw new Error("useBackend('wasm'): WebAssembly SIMD is not available in this engine");
  current = k;
  setGemmImpl(k.gemm === gemmTs ? null : k.gemm);
}

/** Whether useBackend('wasm') can be used here. */
export { wasmGemmSupported };
