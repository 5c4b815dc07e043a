/**
 * The kernel interface. Layers call kernels through the current backend; the
 * TypeScript kernels are the specification every faster backend is tested against.
 */
import { gemmTs, type GemmFn } from './ts/gemm.js';
import { gemmWasm } from './wasm/gemm.js';
import { lstmBackwardWasm, lstmForwardWasm, lstmStepProjectedWasm, lstmStepWasm } from './wasm/lstm.js';
import { gruBackwardWasm, gruForwardWasm } from './wasm/gru.js';
import { simpleRnnBackwardWasm, simpleRnnForwardWasm } from './wasm/simpleRnn.js';
import { isResident, residentAlloc, residentFree, wasmMemoryError, wasmMemoryReserved, wasmRuntime, wasmSupported } from './wasm/runtime.js';
import { adamUpdateWasm } from './wasm/adam.js';
import { denseForwardWasm } from './wasm/dense.js';
import { activationBackward, activationForward } from './ts/activation.js';
import { addBias, biasGrad, fromTimeMajor, toTimeMajor } from './ts/elementwise.js';
import { denseBackward, denseForward } from './ts/dense.js';
import { simpleRnnBackward, simpleRnnForward } from './ts/simpleRnn.js';
import { inputProjectionRow, lstmBackward, lstmForward, lstmStep, lstmStepProjected } from './ts/lstm.js';
import { gruBackward, gruForward } from './ts/gru.js';
import { avgPool1dBackward, avgPool1dForward, col2im1d, conv1dBackward, conv1dForward, conv1dTransposeBackward, conv1dTransposeForward, dropoutNoise, im2col1d, maxPool1dBackward, maxPool1dForward, scaleChannels } from './ts/conv.js';

export { Act, type ActId } from './ts/activation.js';
export { conv1dIsPointwise } from './ts/conv.js';
export type { GemmFn } from './ts/gemm.js';

/**
 * A TypeScript kernel whose first parameter, the GEMM, is bound by the kernel set it
 * belongs to (makeTsKernels): the form the Kernels object holds it in.
 */
type OnGemm<F> = F extends (gemm: GemmFn, ...rest: infer A) => infer R ? (...rest: A) => R : never;

export interface Kernels {
  readonly name: string;
  /** A zeroed buffer of n floats where this backend's kernels read it fastest. */
  alloc(n: number): Float32Array;
  /** Whether `buf` came from (or suits) this backend's alloc; layers re-allocate buffers that don't. */
  owns(buf: Float32Array): boolean;
  /** This set's GEMM: every kernel of the set that multiplies calls this one (there is no other switch). */
  gemm: GemmFn;
  activationForward: typeof activationForward;
  activationBackward: typeof activationBackward;
  addBias: typeof addBias;
  biasGrad: typeof biasGrad;
  toTimeMajor: typeof toTimeMajor;
  fromTimeMajor: typeof fromTimeMajor;
  denseForward: OnGemm<typeof denseForward>;
  denseBackward: OnGemm<typeof denseBackward>;
  simpleRnnForward: OnGemm<typeof simpleRnnForward>;
  simpleRnnBackward: OnGemm<typeof simpleRnnBackward>;
  lstmForward: OnGemm<typeof lstmForward>;
  lstmBackward: OnGemm<typeof lstmBackward>;
  /** One fused inference step on carried state; false where the backend has none (then the time loop runs). */
  lstmStep: OnGemm<typeof lstmStep>;
  /** lstmStep with x·kernel + bias looked up per row in a table (a stream of an Embedding → LSTM model); false where there is no fused step. */
  lstmStepProjected: OnGemm<typeof lstmStepProjected>;
  /** One row of lstmStepProjected's table, with lstmStep's own calls (so a looked-up row gives lstmStep's numbers). */
  inputProjectionRow: OnGemm<typeof inputProjectionRow>;
  gruForward: OnGemm<typeof gruForward>;
  gruBackward: OnGemm<typeof gruBackward>;
  /** Adam on [lo, hi) in place; false where the backend has no kernel for these buffers (the optimizer's own loop runs). */
  adamUpdate: typeof adamUpdate;
  /** Conv1D (./conv.ts): im2col + GEMM per group, bias, activation; backward the transposed products and col2im. */
  conv1dForward: OnGemm<typeof conv1dForward>;
  conv1dBackward: OnGemm<typeof conv1dBackward>;
  /** Conv1DTranspose (./conv.ts): one GEMM and col2im; backward im2col and two GEMMs. */
  conv1dTransposeForward: OnGemm<typeof conv1dTransposeForward>;
  conv1dTransposeBackward: OnGemm<typeof conv1dTransposeBackward>;
  im2col1d: typeof im2col1d;
  col2im1d: typeof col2im1d;
  maxPool1dForward: typeof maxPool1dForward;
  maxPool1dBackward: typeof maxPool1dBackward;
  avgPool1dForward: typeof avgPool1dForward;
  avgPool1dBackward: typeof avgPool1dBackward;
  /** SpatialDropout1D: the per-(sample, channel) noise and its product with [B, T, C]. */
  dropoutNoise: typeof dropoutNoise;
  scaleChannels: typeof scaleChannels;
}

/**
 * Adam's update (the rule is src/optimizers/adam.ts), for backends with a kernel for it:
 * the TypeScript backend has none, the optimizer's loop is its kernel.
 */
function adamUpdate(
  _params: Float32Array,
  _grads: Float32Array,
  _m: Float32Array,
  _v: Float32Array,
  _vHat: Float32Array | null,
  _lo: number,
  _hi: number,
  _hyper: Float32Array, // f64 alpha, 1 − β1, 1 − β2, ε
): boolean {
  return false;
}

/**
 * The TypeScript kernels built around one GEMM: each kernel that multiplies gets `gemm`
 * bound as its first argument, so a set's kernels can only run on that set's GEMM. The
 * 'ts' set is this around the TypeScript GEMM; the 'wasm' set is this around the
 * WebAssembly GEMM, with its own kernels over it.
 */
function makeTsKernels(gemm: GemmFn): Omit<Kernels, 'name' | 'alloc' | 'owns'> {
  return {
    gemm,
    activationForward,
    activationBackward,
    addBias,
    biasGrad,
    toTimeMajor,
    fromTimeMajor,
    denseForward: denseForward.bind(null, gemm),
    denseBackward: denseBackward.bind(null, gemm),
    simpleRnnForward: simpleRnnForward.bind(null, gemm),
    simpleRnnBackward: simpleRnnBackward.bind(null, gemm),
    lstmForward: lstmForward.bind(null, gemm),
    lstmBackward: lstmBackward.bind(null, gemm),
    lstmStep: lstmStep.bind(null, gemm),
    lstmStepProjected: lstmStepProjected.bind(null, gemm),
    inputProjectionRow: inputProjectionRow.bind(null, gemm),
    gruForward: gruForward.bind(null, gemm),
    gruBackward: gruBackward.bind(null, gemm),
    adamUpdate,
    conv1dForward: conv1dForward.bind(null, gemm),
    conv1dBackward: conv1dBackward.bind(null, gemm),
    conv1dTransposeForward: conv1dTransposeForward.bind(null, gemm),
    conv1dTransposeBackward: conv1dTransposeBackward.bind(null, gemm),
    im2col1d,
    col2im1d,
    maxPool1dForward,
    maxPool1dBackward,
    avgPool1dForward,
    avgPool1dBackward,
    dropoutNoise,
    scaleChannels,
  };
}

export const tsKernels: Kernels = {
  ...makeTsKernels(gemmTs),
  name: 'ts',
  alloc: (n) => new Float32Array(n),
  owns: () => true,
};

/**
 * The WebAssembly backend: buffers in the module's memory (./wasm/runtime.ts), the GEMM,
 * Dense forward and the SimpleRNN, LSTM and GRU time loops in WebAssembly SIMD; the rest are the
 * TypeScript kernels built around the WebAssembly GEMM, working on the same buffers
 * (Conv1D's products run in WebAssembly; its im2col/col2im and the pooling loops are TS).
 */
export const wasmKernels: Kernels = {
  ...makeTsKernels(gemmWasm),
  name: 'wasm',
  alloc: residentAlloc,
  owns: (buf) => !wasmRuntime().resident || isResident(buf),
  denseForward: denseForwardWasm,
  simpleRnnForward: simpleRnnForwardWasm,
  simpleRnnBackward: simpleRnnBackwardWasm,
  lstmForward: lstmForwardWasm,
  lstmBackward: lstmBackwardWasm,
  lstmStep: lstmStepWasm,
  lstmStepProjected: lstmStepProjectedWasm,
  adamUpdate: adamUpdateWasm,
  gruForward: gruForwardWasm,
  gruBackward: gruBackwardWasm,
};

const backends = new Map<string, Kernels>([
  ['ts', tsKernels],
  ['wasm', wasmKernels],
]);
let warnedNoMemory = false;

/**
 * The best backend this engine runs: WebAssembly SIMD where it validates and its memory
 * can be reserved, else TypeScript (with a warning, once, when only the memory failed:
 * e.g. a process whose address space ulimit -v keeps below the engine's reservation).
 */
function autoBackend(): Kernels {
  if (!wasmSupported()) return tsKernels;
  if (wasmMemoryReserved()) return wasmKernels;
  if (!warnedNoMemory) {
    warnedNoMemory = true;
    console.warn(`rnnkit: WebAssembly memory could not be reserved (${wasmMemoryError()}); using the TypeScript backend`);
  }
  return tsKernels;
}

/** Why useBackend('wasm') cannot work here, or null when it can. */
function wasmUnavailable(): string | null {
  if (!wasmSupported()) return 'WebAssembly SIMD is not available in this engine';
  if (!wasmMemoryReserved()) return `WebAssembly memory could not be reserved (${wasmMemoryError()})`;
  return null;
}

/**
 * Return a buffer's backend memory now rather than when it is collected (dispose()).
 * Only the view an alloc returned frees anything; the caller must drop every use of it.
 */
export function freeBuffer(buf: Float32Array): void {
  residentFree(buf);
}

/**
 * The initial backend: the environment variable RNNKIT_BACKEND ('ts', 'wasm' or 'auto';
 * Node) where set, else 'auto'. `npm test` uses it to run the suite on both backends.
 */
function initialBackend(): Kernels {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.RNNKIT_BACKEND;
  if (env === undefined || env === '' || env === 'auto') return autoBackend();
  const k = backends.get(env);
  if (k === undefined) throw new RangeError(`RNNKIT_BACKEND: unknown backend ${JSON.stringify(env)}; use auto, ${[...backends.keys()].join(', ')}`);
  if (k === wasmKernels && wasmUnavailable() !== null) throw new Error(`RNNKIT_BACKEND=wasm: ${wasmUnavailable()}`);
  return k;
}

let current: Kernels = initialBackend();

/** The current backend's name ('wasm' or 'ts'), as tfjs's tf.getBackend(). */
export function getBackend(): string {
  return current.name;
}

/** The kernels layers run on. */
export function backend(): Kernels {
  return current;
}

/**
 * Choose the kernels: 'wasm' (WebAssembly SIMD; the default wherever the engine has it),
 * 'ts' (plain TypeScript: always available, the reference the other is tested against)
 * or 'auto' (the default choice again). Switch before building models: layers take the
 * kernel object (its GEMM with it) when they are built and their buffers from the backend
 * current then, so a layer built before a switch keeps running on its own set.
 */
export function useBackend(name: 'ts' | 'wasm' | 'auto'): void {
  const k = name === 'auto' ? autoBackend() : backends.get(name);
  if (k === undefined) throw new RangeError(`useBackend: unknown backend ${JSON.stringify(name)}; available: auto, ${[...backends.keys()].join(', ')}`);
  if (k === wasmKernels && wasmUnavailable() !== null) throw new Error(`useBackend('wasm'): ${wasmUnavailable()}`);
  current = k;
}

/** Whether useBackend('wasm') can be used here: WebAssembly SIMD, and room for its memory. */
function wasmUsable(): boolean {
  return wasmUnavailable() === null;
}
export { wasmUsable as wasmSupported };
