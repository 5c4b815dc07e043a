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
import { applyRecurrentMask, backwardThroughTime, forwardThroughTime, zeroMaskedRows, type CellSteps, type RecurrentCache, type RecurrentCacheGrads, type RecurrentDims, type RecurrentMasks, type RecurrentWeights } from '../recurrent.js';

/** LSTM's forward caches (G = 4H): c0 [B, H] in; cs, cAct = act(cs) [T, B, H], gates [T, B, G] (i, f, g, o after their activations) out. */
export interface LstmCache extends RecurrentCache {
  c0: Float32Array;
  cs: Float32Array;
  cAct: Float32Array;
  gates: Float32Array;
}

/** LSTM's backward scratch: the cell-state gradients dcA, dcB and dcAct [B, H]. */
export interface LstmCacheGrads extends RecurrentCacheGrads {
  dcA: Float32Array;
  dcB: Float32Array;
  dcAct: Float32Array;
}

/** A step on carried state: h, c [B, H] updated in place; gates [B, 4H] and cAct [B, H] scratch. */
export interface LstmStepState {
  h: Float32Array;
  c: Float32Array;
  gates: Float32Array;
  cAct: Float32Array;
}

export function lstmForward(gemm: GemmFn, c: LstmCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const { T, B, I, H } = d;
  const G = 4 * H;
  gemm(false, false, T * B, G, I, c.xs, 0, I, w.kernel, 0, G, c.pre, 0, G, false);
  if (w.bias !== null) addBias(c.pre, w.bias, T * B, G);
  // The TS GEMM wants the recurrent kernel transposed once per call; with few rows per step
  // (streaming) or another backend it multiplies the kernel as stored.
  if (prefersTransposedB(gemm, B)) transposeInto(c.recurrentKernelT, w.recurrentKernel, 0, G, H, G);
  forwardThroughTime(lstmSteps, gemm, c, w, m, d);
}

export function lstmBackward(gemm: GemmFn, dw: RecurrentWeights, g: LstmCacheGrads, c: LstmCache, w: RecurrentWeights, m: RecurrentMasks, d: RecurrentDims): void {
  const { T, B, I, H } = d;
  const G = 4 * H;
  backwardThroughTime(lstmSteps, gemm, g, c, w, m, d);
  gemm(true, false, I, G, T * B, c.xs, 0, I, g.dPre, 0, G, dw.kernel, 0, G, true);
  gemm(true, false, H, G, T * B, c.hPrev, 0, H, g.dPre, 0, G, dw.recurrentKernel, 0, G, true);
  if (dw.bias !== null) biasGrad(dw.bias, g.dPre, T * B, G);
  if (g.dxs !== null) gemm(false, true, T * B, I, G, g.dPre, 0, G, w.kernel, 0, G, g.dxs, 0, I, false);
}

/** The LSTM step on the TypeScript kernels (the time loops are recurrent.ts's). */
export const lstmSteps: CellSteps<LstmCache, LstmCacheGrads, RecurrentDims> = {
  forward(gemm, c, w, d, s) {
    const { B, H, act, ract } = d;
    const G = 4 * H;
    const slab = B * H;
    const go = s * B * G;
    const so = s * slab;
    const { pre, gates } = c;
    if (prefersTransposedB(gemm, B)) gemm(false, true, B, G, H, c.hPrev, so, H, c.recurrentKernelT, 0, H, pre, go, G, true);
    else gemm(false, false, B, G, H, c.hPrev, so, H, w.recurrentKernel, 0, G, pre, go, G, true);
    activationForwardBlock(ract, gates, pre, go, G, B, 2 * H); // i, f
    activationForwardBlock(act, gates, pre, go + 2 * H, G, B, H); // g
    activationForwardBlock(ract, gates, pre, go + 3 * H, G, B, H); // o
    cellUpdate(c.cs, c.cAct, c.hs, so, s === 0 ? c.c0 : c.cs, s === 0 ? 0 : so - slab, gates, go, B, H, act);
  },
  backward(_gemm, gr, c, _w, m, d, s, dh, _dhNext, dc, dcNext) {
    const { B, H, act, ract } = d;
    const G = 4 * H;
    const slab = B * H;
    const go = s * B * G;
    const so = s * slab;
    const { pre, gates, cs, cAct } = c;
    const { dPre, dcAct } = gr;
    const dcs0 = dc!;
    const dcn = dcNext!;
    // h = o ⊙ act(c)  =>  d act(c) = dh ⊙ o, then dc += d act(c) ⊙ act'(c)
    for (let b = 0; b < B; b++) {
      const g = go + b * G + 3 * H;
      for (let j = 0; j < H; j++) dcAct[b * H + j] = dh[b * H + j]! * gates[g + j]!;
    }
    activationBackward(act, dcAct, 0, dcAct, 0, cs, so, cAct, so, B, H);
    const cp = s === 0 ? c.c0 : cs;
    const cpo = s === 0 ? 0 : so - slab;
    for (let b = 0; b < B; b++) {
      const g = go + b * G;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const dcs = dcs0[k]! + dcAct[k]!;
        // c = f ⊙ cPrev + i ⊙ g: di = dc ⊙ g, df = dc ⊙ cPrev, dg = dc ⊙ i, dcPrev = dc ⊙ f
        dPre[g + j] = dcs * gates[g + 2 * H + j]!;
        dPre[g + H + j] = dcs * cp[cpo + k]!;
        dPre[g + 2 * H + j] = dcs * gates[g + j]!;
        // do = dh ⊙ act(c)
        dPre[g + 3 * H + j] = dh[k]! * cAct[so + k]!;
        dcn[k] = dcs * gates[g + H + j]!;
      }
    }
    // through the gate activations, in place
    activationBackwardBlock(ract, dPre, dPre, pre, gates, go, G, B, 2 * H);
    activationBackwardBlock(act, dPre, dPre, pre, gates, go + 2 * H, G, B, H);
    activationBackwardBlock(ract, dPre, dPre, pre, gates, go + 3 * H, G, B, H);
    if (m.step !== null) zeroMaskedRows(dPre, m.step, s, B, G);
  },
  recurrent(gemm, gr, _c, w, m, d, s, dhNext) {
    const { B, H } = d;
    const G = 4 * H;
    // z = … + hPrev · recurrentKernel  =>  dh_{s-1} = (dz · recurrentKernelᵀ) ⊙ m
    gemm(false, true, B, H, G, gr.dPre, s * B * G, G, w.recurrentKernel, 0, G, dhNext, 0, H, false);
    applyRecurrentMask(dhNext, m.recurrent, B * H);
  },
};

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
 * One inference step on carried state (stream.step, sampling): st.h and st.c [B, H] updated
 * in place from x [B, I], with the time loop's operations in its order, so the numbers
 * are the same as a one-step lstmForward. Returns false (the caller runs the loop)
 * where the loop would multiply a transposed kernel copy instead.
 */
export function lstmStep(gemm: GemmFn, st: LstmStepState, x: Float32Array, w: RecurrentWeights, d: RecurrentDims): boolean {
  const { B, I, H } = d;
  if (prefersTransposedB(gemm, B)) return false;
  const G = 4 * H;
  gemm(false, false, B, G, I, x, 0, I, w.kernel, 0, G, st.gates, 0, G, false);
  if (w.bias !== null) addBias(st.gates, w.bias, B, G);
  stepRecurrent(gemm, st, w.recurrentKernel, B, H, d.act, d.ract);
  return true;
}

/**
 * lstmStep with the input product looked up: row b of the gates starts as row ids[b] of
 * `table` [vocab, 4H] (an index stored as a float, already checked by the Embedding layer),
 * which holds embedding row · kernel + bias made by lstmStep's own gemm and addBias calls
 * (inputProjectionRow), so the numbers are lstmStep's exactly. Returns false where lstmStep
 * would (the caller runs the time loop on the embedding output).
 */
export function lstmStepProjected(gemm: GemmFn, st: LstmStepState, table: Float32Array, ids: Float32Array, recurrentKernel: Float32Array, d: RecurrentDims): boolean {
  const { B, H } = d;
  if (prefersTransposedB(gemm, B)) return false;
  const G = 4 * H;
  const gates = st.gates;
  for (let b = 0; b < B; b++) {
    const src = ids[b]! * G;
    const dst = b * G;
    for (let j = 0; j < G; j++) gates[dst + j] = table[src + j]!;
  }
  stepRecurrent(gemm, st, recurrentKernel, B, H, d.act, d.ract);
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
function stepRecurrent(gemm: GemmFn, st: LstmStepState, recurrentKernel: Float32Array, B: number, H: number, act: ActId, ract: ActId): void {
  const G = 4 * H;
  const { h, c, gates, cAct } = st;
  gemm(false, false, B, G, H, h, 0, H, recurrentKernel, 0, G, gates, 0, G, true);
  activationForwardBlock(ract, gates, gates, 0, G, B, 2 * H); // i, f
  activationForwardBlock(act, gates, gates, 2 * H, G, B, H); // g
  activationForwardBlock(ract, gates, gates, 3 * H, G, B, H); // o
  cellUpdate(c, cAct, h, 0, c, 0, gates, 0, B, H, act);
}
