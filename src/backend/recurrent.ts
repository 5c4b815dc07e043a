/**
 * Pieces every recurrent kernel shares, over time-major [T, B, ·] caches in
 * processing order.
 *
 * hPrev[s] holds the state that step s multiplies by the recurrent kernel: h0 for
 * s = 0, else h_{s-1}, times the recurrent-dropout mask when there is one. Keeping it
 * as a [T, B, H] buffer makes dRecurrentKernel one product over all T·B rows.
 *
 * Masking (Keras): at a step where mask[s, b] = 0 every state keeps its previous
 * value, so the output repeats the previous output; backward, that step's gradient
 * flows straight to the previous state and nothing reaches the weights.
 */

/** hPrev[s] = (s = 0 ? h0 : h[s-1]) ⊙ recurrentMask, one [B, H] slab. */
export function gatherPrevState(
  hPrev: Float32Array, // [T, B, H]
  h0: Float32Array, // [B, H]
  hs: Float32Array, // [T, B, H]
  recurrentMask: Float32Array | null, // [B, H]
  s: number,
  B: number,
  H: number,
): void {
  const slab = B * H;
  const src = s === 0 ? h0 : hs;
  const so = s === 0 ? 0 : (s - 1) * slab;
  const d = s * slab;
  if (recurrentMask === null) for (let i = 0; i < slab; i++) hPrev[d + i] = src[so + i]!;
  else for (let i = 0; i < slab; i++) hPrev[d + i] = src[so + i]! * recurrentMask[i]!;
}

/** Where mask[s, b] = 0: state[s, b] = previous state (state0 for s = 0). */
export function holdMaskedRows(
  state: Float32Array, // [T, B, H]
  state0: Float32Array, // [B, H]
  mask: Float32Array, // [T, B]
  s: number,
  B: number,
  H: number,
): void {
  for (let b = 0; b < B; b++) {
    if (mask[s * B + b] !== 0) continue;
    const d = (s * B + b) * H;
    const src = s === 0 ? state0 : state;
    const so = s === 0 ? b * H : ((s - 1) * B + b) * H;
    for (let j = 0; j < H; j++) state[d + j] = src[so + j]!;
  }
}

/** Backward of holdMaskedRows for one state: masked rows of `dNext` get `dHere` whole, and their dPre rows are zeroed. */
export function passMaskedRows(
  dNext: Float32Array, // [B, H] gradient flowing to step s-1 (already holds the unmasked part)
  dHere: Float32Array, // [B, H] gradient that reached step s
  mask: Float32Array, // [T, B]
  s: number,
  B: number,
  H: number,
): void {
  for (let b = 0; b < B; b++) {
    if (mask[s * B + b] !== 0) continue;
    for (let j = 0; j < H; j++) dNext[b * H + j] = dHere[b * H + j]!;
  }
}

/** Zero the dPre rows [s, b, 0..G) of masked steps. */
export function zeroMaskedRows(dPre: Float32Array /* [T, B, G] */, mask: Float32Array, s: number, B: number, G: number): void {
  for (let b = 0; b < B; b++) {
    if (mask[s * B + b] !== 0) continue;
    dPre.fill(0, (s * B + b) * G, (s * B + b + 1) * G);
  }
}

/** dh[b, :] += dOut[s, b, :] (returnSequences) or dOut[b, :] at the last step; nothing when dOut is null (an unused output). */
export function addOutputGradient(dh: Float32Array, dOut: Float32Array | null, returnSequences: boolean, s: number, T: number, slab: number): void {
  if (dOut === null) return;
  if (returnSequences) {
    const o = s * slab;
    for (let i = 0; i < slab; i++) dh[i] = dh[i]! + dOut[o + i]!;
  } else if (s === T - 1) {
    for (let i = 0; i < slab; i++) dh[i] = dh[i]! + dOut[i]!;
  }
}

/** x[i] *= m[i] for a [B, F] mask repeated over T slabs (dropout on x_t, the same mask every step). */
export function applyStepMask(x: Float32Array /* [T, B, F] */, m: Float32Array /* [B, F] */, T: number, slab: number): void {
  for (let s = 0; s < T; s++) {
    const o = s * slab;
    for (let i = 0; i < slab; i++) x[o + i] = x[o + i]! * m[i]!;
  }
}

/**
 * Gradients at the two ends of a sequence, for a layer whose final states are outputs
 * (returnState) or whose initial states are inputs (initialState). In: the final
 * states' gradients dhT, dcT ([B, H]; null = zero). Out: dh0, dc0 ([B, H]) are
 * overwritten with the initial states' gradients (null = not wanted; dc0 is LSTM's).
 * One object per layer, reused: nothing is allocated per step.
 */
export interface StateEnds {
  dhT: Float32Array | null;
  dcT: Float32Array | null;
  dh0: Float32Array | null;
  dc0: Float32Array | null;
}

/** The gradient reaching the last step's state: the final state's own gradient, or zero. */
export function startStateGrad(d: Float32Array, dT: Float32Array | null, slab: number): void {
  if (dT === null) d.fill(0, 0, slab);
  else for (let i = 0; i < slab; i++) d[i] = dT[i]!;
}

/** Whether backward must carry the gradient past step 0 to the initial states. */
export function wantsInitialGrad(ends: StateEnds | null): boolean {
  return ends !== null && ends.dh0 !== null;
}

/** dst[0..slab) = src[0..slab) when dst is wanted (the gradient that left step 0). */
export function storeStateGrad(dst: Float32Array | null, src: Float32Array, slab: number): void {
  if (dst !== null) for (let i = 0; i < slab; i++) dst[i] = src[i]!;
}
