/**
 * LSTM kernels (Keras gate order i, f, c, o in every fused [·, 4H] buffer):
 *   z = x_s·kernel + hPrev_s·recurrentKernel + bias
 *   i = ract(z_i), f = ract(z_f), g = act(z_c), o = ract(z_o)
 *   c_s = f ⊙ c_{s-1} + i ⊙ g,   h_s = o ⊙ act(c_s)
 * Time-major caches in processing order; the input and weight-gradient products run
 * once over all T·B rows outside the loop (see simpleRnn.ts, recurrent.ts).
 */
import { prefersTransposedB, transposeInto, type GemmFn } from './gemm.js';
import { activationBackward, activationBackwardBlock, activationForward, activationForwardBlock, type ActId } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';
import { addOutputGradient, gatherPrevState, holdMaskedRows, passMaskedRows, startStateGrad, storeStateGrad, wantsInitialGrad, zeroMaskedRows, type StateEnds } from '../recurrent.js';

export function lstmForward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  hs: Float32Array, // [T, B, H]
  cs: Float32Array, // [T, B, H] cell states
  cAct: Float32Array, // [T, B, H] act(c_s)
  pre: Float32Array, // [T, B, 4H] pre-activations z
  gates: Float32Array, // [T, B, 4H] i, f, g, o after their activations
  hPrev: Float32Array, // [T, B, H] (dropout applied)
  recurrentKernelT: Float32Array, // [4H, H] scratch
  xs: Float32Array, // [T, B, I] (dropout applied)
  h0: Float32Array, // [B, H]
  c0: Float32Array, // [B, H]
  kernel: Float32Array, // [I, 4H]
  recurrentKernel: Float32Array, // [H, 4H]
  bias: Float32Array | null, // [4H]
  recurrentMask: Float32Array | null, // [B, H]
  mask: Float32Array | null, // [T, B]
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const G = 4 * H;
  const slab = B * H;
  gemm(false, false, T * B, G, I, xs, 0, I, kernel, 0, G, pre, 0, G, false);
  if (bias !== null) addBias(pre, bias, T * B, G);
  // The TS GEMM wants the recurrent kernel transposed once per call; with few rows per step
  // (streaming) or another backend it multiplies the kernel as stored.
  const packed = prefersTransposedB(gemm, B);
  if (packed) transposeInto(recurrentKernelT, recurrentKernel, 0, G, H, G);
  for (let s = 0; s < T; s++) {
    const go = s * B * G;
    const so = s * slab;
    gatherPrevState(hPrev, h0, hs, recurrentMask, s, B, H);
    if (packed) gemm(false, true, B, G, H, hPrev, so, H, recurrentKernelT, 0, H, pre, go, G, true);
    else gemm(false, false, B, G, H, hPrev, so, H, recurrentKernel, 0, G, pre, go, G, true);
    activationForwardBlock(ract, gates, pre, go, G, B, 2 * H); // i, f
    activationForwardBlock(act, gates, pre, go + 2 * H, G, B, H); // g
    activationForwardBlock(ract, gates, pre, go + 3 * H, G, B, H); // o
    cellUpdate(cs, cAct, hs, so, s === 0 ? c0 : cs, s === 0 ? 0 : (s - 1) * slab, gates, go, B, H, act);
    if (mask !== null) {
      holdMaskedRows(hs, h0, mask, s, B, H);
      holdMaskedRows(cs, c0, mask, s, B, H);
    }
  }
}

/** c = f ⊙ cPrev + i ⊙ g, cAct = act(c), h = o ⊙ cAct for one step (c may be cPrev: in place). */
function cellUpdate(cs: Float32Array, cAct: Float32Array, hs: Float32Array, so: number, cp: Float32Array, cpo: number, gates: Float32Array, go: number, B: number, H: number, act: ActId): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const g = go + b * G;
    for (let j = 0; j < H; j++) {
      cs[so + b * H + j] = gates[g + H + j]! * cp[cpo + b * H + j]! + gates[g + j]! * gates[g + 2 * H + j]!;
    }
  }
  activationForward(act, cAct, so, cs, so, B, H);
  for (let b = 0; b < B; b++) {
    const g = go + b * G + 3 * H;
    for (let j = 0; j < H; j++) hs[so + b * H + j] = gates[g + j]! * cAct[so + b * H + j]!;
  }
}

/**
 * One inference step on carried state (stream.step, sampling): h and c [B, H] updated
 * in place from x [B, I], with the time loop's operations in its order, so the numbers
 * are the same as a one-step lstmForward. Returns false (the caller runs the loop)
 * where the loop would multiply a transposed kernel copy instead.
 */
export function lstmStep(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  h: Float32Array, // [B, H] in/out
  c: Float32Array, // [B, H] in/out
  gates: Float32Array, // [B, 4H] scratch
  cAct: Float32Array, // [B, H] scratch
  x: Float32Array, // [B, I]
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array | null,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): boolean {
  if (prefersTransposedB(gemm, B)) return false;
  const G = 4 * H;
  gemm(false, false, B, G, I, x, 0, I, kernel, 0, G, gates, 0, G, false);
  if (bias !== null) addBias(gates, bias, B, G);
  stepRecurrent(gemm, h, c, gates, cAct, recurrentKernel, B, H, act, ract);
  return true;
}

/**
 * lstmStep with the input product looked up: row b of the gates starts as row ids[b] of
 * `table` [vocab, 4H] (an index stored as a float, already checked by the Embedding layer),
 * which holds embedding row · kernel + bias made by lstmStep's own gemm and addBias calls
 * (inputProjectionRow), so the numbers are lstmStep's exactly. Returns false where lstmStep
 * would (the caller runs the time loop on the embedding output).
 */
export function lstmStepProjected(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  h: Float32Array, // [B, H] in/out
  c: Float32Array, // [B, H] in/out
  gates: Float32Array, // [B, 4H] scratch
  cAct: Float32Array, // [B, H] scratch
  table: Float32Array, // [vocab, 4H]
  ids: Float32Array, // [B]
  recurrentKernel: Float32Array,
  B: number,
  H: number,
  act: ActId,
  ract: ActId,
): boolean {
  if (prefersTransposedB(gemm, B)) return false;
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const src = ids[b]! * G;
    const dst = b * G;
    for (let j = 0; j < G; j++) gates[dst + j] = table[src + j]!;
  }
  stepRecurrent(gemm, h, c, gates, cAct, recurrentKernel, B, H, act, ract);
  return true;
}

/**
 * Row `row` of an input-projection table: x [I] · kernel + bias, with the calls lstmStep
 * makes for one row (the GEMM rounds a row alike whatever the row count, so a table of
 * these rows gives lstmStep's numbers at any batch size).
 */
export function inputProjectionRow(gemm: GemmFn, table: Float32Array, row: number, x: Float32Array, xOff: number, kernel: Float32Array, bias: Float32Array | null, I: number, G: number): void {
  gemm(false, false, 1, G, I, x, xOff, I, kernel, 0, G, table, row * G, G, false);
  if (bias !== null) {
    const o = row * G;
    for (let j = 0; j < G; j++) table[o + j] = table[o + j]! + bias[j]!;
  }
}

/** + h·recurrentKernel, the gate activations and the cell update of one step (gates holding x·kernel + bias). */
function stepRecurrent(gemm: GemmFn, h: Float32Array, c: Float32Array, gates: Float32Array, cAct: Float32Array, recurrentKernel: Float32Array, B: number, H: number, act: ActId, ract: ActId): void {
  const G = 4 * H;
  gemm(false, false, B, G, H, h, 0, H, recurrentKernel, 0, G, gates, 0, G, true);
  activationForwardBlock(ract, gates, gates, 0, G, B, 2 * H); // i, f
  activationForwardBlock(act, gates, gates, 2 * H, G, B, H); // g
  activationForwardBlock(ract, gates, gates, 3 * H, G, B, H); // o
  cellUpdate(c, cAct, h, 0, c, 0, gates, 0, B, H, act);
}

export function lstmBackward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  dxs: Float32Array | null, // [T, B, I] overwritten, or null
  dKernel: Float32Array, // [I, 4H] accumulated
  dRecurrentKernel: Float32Array, // [H, 4H] accumulated
  dBias: Float32Array | null, // [4H] accumulated
  dPre: Float32Array, // [T, B, 4H] scratch
  dhA: Float32Array, // [B, H] scratch
  dhB: Float32Array, // [B, H] scratch
  dcA: Float32Array, // [B, H] scratch
  dcB: Float32Array, // [B, H] scratch
  dcAct: Float32Array, // [B, H] scratch
  dOut: Float32Array | null, // [T, B, H] (returnSequences) or [B, H]; null = unused output
  returnSequences: boolean,
  ends: StateEnds | null, // final-state gradients in, initial-state gradients out
  xs: Float32Array,
  hPrev: Float32Array,
  c0: Float32Array, // [B, H]
  cs: Float32Array,
  cAct: Float32Array,
  pre: Float32Array,
  gates: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  _recurrentKernelT: Float32Array, // [4H, H] scratch, for backends that multiply by the transpose
  recurrentMask: Float32Array | null,
  mask: Float32Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  act: ActId,
  ract: ActId,
): void {
  const G = 4 * H;
  const slab = B * H;
  let dh = dhA; // gradients reaching h_s and c_s
  let dhNext = dhB; // … and flowing on to step s-1
  let dc = dcA;
  let dcNext = dcB;
  startStateGrad(dh, ends?.dhT ?? null, slab);
  startStateGrad(dc, ends?.dcT ?? null, slab);
  const toInitial = wantsInitialGrad(ends);
  for (let s = T - 1; s >= 0; s--) {
    const go = s * B * G;
    const so = s * slab;
    addOutputGradient(dh, dOut, returnSequences, s, T, slab);
    // h = o ⊙ act(c)  =>  d act(c) = dh ⊙ o, then dc += d act(c) ⊙ act'(c)
    for (let b = 0; b < B; b++) {
      const g = go + b * G + 3 * H;
      for (let j = 0; j < H; j++) dcAct[b * H + j] = dh[b * H + j]! * gates[g + j]!;
    }
    activationBackward(act, dcAct, 0, dcAct, 0, cs, so, cAct, so, B, H);
    const cp = s === 0 ? c0 : cs;
    const cpo = s === 0 ? 0 : (s - 1) * slab;
    for (let b = 0; b < B; b++) {
      const g = go + b * G;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const dcs = dc[k]! + dcAct[k]!;
        // c = f ⊙ cPrev + i ⊙ g: di = dc ⊙ g, df = dc ⊙ cPrev, dg = dc ⊙ i, dcPrev = dc ⊙ f
        dPre[g + j] = dcs * gates[g + 2 * H + j]!;
        dPre[g + H + j] = dcs * cp[cpo + k]!;
        dPre[g + 2 * H + j] = dcs * gates[g + j]!;
        // do = dh ⊙ act(c)
        dPre[g + 3 * H + j] = dh[k]! * cAct[so + k]!;
        dcNext[k] = dcs * gates[g + H + j]!;
      }
    }
    // through the gate activations, in place
    activationBackwardBlock(ract, dPre, dPre, pre, gates, go, G, B, 2 * H);
    activationBackwardBlock(act, dPre, dPre, pre, gates, go + 2 * H, G, B, H);
    activationBackwardBlock(ract, dPre, dPre, pre, gates, go + 3 * H, G, B, H);
    if (mask !== null) zeroMaskedRows(dPre, mask, s, B, G);
    if (s === 0 && !toInitial) break;
    // z = … + hPrev · recurrentKernel  =>  dh_{s-1} = (dz · recurrentKernelᵀ) ⊙ m
    gemm(false, true, B, H, G, dPre, go, G, recurrentKernel, 0, G, dhNext, 0, H, false);
    if (recurrentMask !== null) for (let i = 0; i < slab; i++) dhNext[i] = dhNext[i]! * recurrentMask[i]!;
    if (mask !== null) {
      passMaskedRows(dhNext, dh, mask, s, B, H);
      passMaskedRows(dcNext, dc, mask, s, B, H);
    }
    if (s === 0) {
      storeStateGrad(ends!.dh0, dhNext, slab);
      storeStateGrad(ends!.dc0, dcNext, slab);
      break;
    }
    let t = dh;
    dh = dhNext;
    dhNext = t;
    t = dc;
    dc = dcNext;
    dcNext = t;
  }
  gemm(true, false, I, G, T * B, xs, 0, I, dPre, 0, G, dKernel, 0, G, true);
  gemm(true, false, H, G, T * B, hPrev, 0, H, dPre, 0, G, dRecurrentKernel, 0, G, true);
  if (dBias !== null) biasGrad(dBias, dPre, T * B, G);
  if (dxs !== null) gemm(false, true, T * B, I, G, dPre, 0, G, kernel, 0, G, dxs, 0, I, false);
}
