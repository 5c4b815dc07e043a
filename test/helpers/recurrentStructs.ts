/**
 * The recurrent kernels' structs (backend/recurrent.ts) from operands laid out in the
 * kernels' former positional order, so a kernel test reads as a list of its buffers.
 */
import type { ActId } from '../../src/backend/ts/activation.js';
import type { RecurrentMasks, RecurrentWeights, StateEnds } from '../../src/backend/recurrent.js';
import type { GruCache, GruCacheGrads, GruDims } from '../../src/backend/ts/gru.js';
import type { LstmCache, LstmCacheGrads } from '../../src/backend/ts/lstm.js';
import type { RecurrentDims } from '../../src/backend/recurrent.js';

type F = Float32Array;
type Fn = Float32Array | null;
const none = new Float32Array(0);

/** lstmForward's structs: (hs, cs, cAct, pre, gates, hPrev, recurrentKernelT, xs, h0, c0, kernel, recurrentKernel, bias, recurrentMask, mask, T, B, I, H, act, ract). */
export function lstmF(hs: F, cs: F, cAct: F, pre: F, gates: F, hPrev: F, recurrentKernelT: F, xs: F, h0: F, c0: F, kernel: F, recurrentKernel: F, bias: Fn, recurrent: Fn, step: Fn, T: number, B: number, I: number, H: number, act: ActId, ract: ActId): [LstmCache, RecurrentWeights, RecurrentMasks, RecurrentDims] {
  return [{ xs, h0, c0, hs, cs, hPrev, pre, recurrentKernelT, cAct, gates }, { kernel, recurrentKernel, bias }, { recurrent, step }, { T, B, I, H, act, ract }];
}

/** lstmBackward's structs: (dxs, dKernel, dRecurrentKernel, dBias, dPre, dhA, dhB, dcA, dcB, dcAct, dOut, returnSequences, ends, xs, hPrev, c0, cs, cAct, pre, gates, kernel, recurrentKernel, recurrentKernelT, recurrentMask, mask, T, B, I, H, act, ract). */
export function lstmB(dxs: Fn, dKernel: F, dRecurrentKernel: F, dBias: Fn, dPre: F, dhA: F, dhB: F, dcA: F, dcB: F, dcAct: F, dOut: Fn, returnSequences: boolean, ends: StateEnds | null, xs: F, hPrev: F, c0: F, cs: F, cAct: F, pre: F, gates: F, kernel: F, recurrentKernel: F, recurrentKernelT: F, recurrent: Fn, step: Fn, T: number, B: number, I: number, H: number, act: ActId, ract: ActId): [RecurrentWeights, LstmCacheGrads, LstmCache, RecurrentWeights, RecurrentMasks, RecurrentDims] {
  const [c, w, m, d] = lstmF(none, cs, cAct, pre, gates, hPrev, recurrentKernelT, xs, none, c0, kernel, recurrentKernel, null, recurrent, step, T, B, I, H, act, ract);
  return [{ kernel: dKernel, recurrentKernel: dRecurrentKernel, bias: dBias }, { dxs, dOut, returnSequences, ends, dPre, dhA, dhB, dcA, dcB, dcAct }, c, w, m, d];
}

/** gruForward's structs: (hs, pre, gates, mh, rh, hPrev, recurrentKernelT, xs, h0, kernel, recurrentKernel, bias, resetAfter, recurrentMask, mask, T, B, I, H, act, ract). */
export function gruF(hs: F, pre: F, gates: F, mh: F, rh: F, hPrev: F, recurrentKernelT: F, xs: F, h0: F, kernel: F, recurrentKernel: F, bias: Fn, resetAfter: boolean, recurrent: Fn, step: Fn, T: number, B: number, I: number, H: number, act: ActId, ract: ActId): [GruCache, RecurrentWeights, RecurrentMasks, GruDims] {
  return [{ xs, h0, c0: null, hs, cs: null, hPrev, pre, recurrentKernelT, gates, mh, rh }, { kernel, recurrentKernel, bias }, { recurrent, step }, { T, B, I, H, act, ract, resetAfter }];
}

/** gruBackward's structs: (dxs, dKernel, dRecurrentKernel, dBias, dPre, dPreH, dhA, dhB, dhTmp, dOut, returnSequences, ends, xs, hPrev, h0, hs, pre, gates, mh, rh, kernel, recurrentKernel, resetAfter, recurrentMask, mask, T, B, I, H, act, ract). */
export function gruB(dxs: Fn, dKernel: F, dRecurrentKernel: F, dBias: Fn, dPre: F, dPreH: F, dhA: F, dhB: F, dhTmp: F, dOut: Fn, returnSequences: boolean, ends: StateEnds | null, xs: F, hPrev: F, h0: F, hs: F, pre: F, gates: F, mh: F, rh: F, kernel: F, recurrentKernel: F, resetAfter: boolean, recurrent: Fn, step: Fn, T: number, B: number, I: number, H: number, act: ActId, ract: ActId): [RecurrentWeights, GruCacheGrads, GruCache, RecurrentWeights, RecurrentMasks, GruDims] {
  const [c, w, m, d] = gruF(hs, pre, gates, mh, rh, hPrev, none, xs, h0, kernel, recurrentKernel, null, resetAfter, recurrent, step, T, B, I, H, act, ract);
  return [{ kernel: dKernel, recurrentKernel: dRecurrentKernel, bias: dBias }, { dxs, dOut, returnSequences, ends, dPre, dhA, dhB, dcA: null, dcB: null, dPreH, dhTmp }, c, w, m, d];
}
