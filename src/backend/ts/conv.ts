/**
 * 1-D convolution, pooling and channel-dropout kernels over batch-major [B, T, C]
 * buffers (channels last).
 *
 * Convolution is im2col + GEMM: each output step's receptive field (k taps, `dil`
 * apart, starting at t·stride − padLeft; taps outside [0, T) read 0) is copied into a
 * row of `cols` [B·Tout, k·C], which multiplies the kernel [k, C/groups, F] viewed as
 * [k·C/groups, F]. With groups > 1 a row holds the groups one after the other
 * ([g][tap][channel of g]), so group g is a block of columns of `cols` against a
 * block of columns of the kernel: one GEMM per group, through operand offsets. Backward
 * is the transposed products and col2im (the scatter-add of im2col). A 1-tap,
 * stride-1, unpadded convolution is a plain product on x: no copy is made.
 *
 * Padding: `padLeft` steps before the input, as many as needed after it (the caller
 * computes Tout). Forward kernels overwrite; weight gradients accumulate; input
 * gradients (dx) are overwritten, as Dense's are.
 */
import type { GemmFn } from './gemm.js';
import { activationBackward, activationForward, type ActId } from './activation.js';
import { addBias, biasGrad } from './elementwise.js';
import type { Rng } from '../../core/rng.js';

/** Whether the convolution reads x as it is (1 tap, stride 1, no padding): then cols is x itself. */
export function conv1dIsPointwise(k: number, stride: number, padLeft: number): boolean {
  return k === 1 && stride === 1 && padLeft === 0;
}

/**
 * cols[b·Tout + s, (g·k + j)·Cg + c] = x[b, s·stride + j·dil − padLeft, g·Cg + c], 0 outside
 * the input (Cg = C / groups).
 */
export function im2col1d(
  cols: Float32Array, // [B·Tout, k·C]
  x: Float32Array, // [B, T, C]
  B: number,
  T: number,
  C: number,
  Tout: number,
  k: number,
  stride: number,
  dil: number,
  padLeft: number,
  groups: number,
): void {
  const Cg = C / groups;
  const width = k * C;
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < Tout; s++) {
      const row = (b * Tout + s) * width;
      const t0 = s * stride - padLeft;
      for (let g = 0; g < groups; g++) {
        for (let j = 0; j < k; j++) {
          const t = t0 + j * dil;
          const o = row + (g * k + j) * Cg;
          if (t < 0 || t >= T) {
            for (let c = 0; c < Cg; c++) cols[o + c] = 0;
            continue;
          }
          const xo = (b * T + t) * C + g * Cg;
          for (let c = 0; c < Cg; c++) cols[o + c] = x[xo + c]!;
        }
      }
    }
  }
}

/** dx = col2im(dcols): every entry of dcols added back to the input entry im2col1d copied it from (overwrites dx). */
export function col2im1d(
  dx: Float32Array, // [B, T, C] overwritten
  dcols: Float32Array, // [B·Tout, k·C]
  B: number,
  T: number,
  C: number,
  Tout: number,
  k: number,
  stride: number,
  dil: number,
  padLeft: number,
  groups: number,
): void {
  const Cg = C / groups;
  const width = k * C;
  dx.fill(0, 0, B * T * C);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < Tout; s++) {
      const row = (b * Tout + s) * width;
      const t0 = s * stride - padLeft;
      for (let g = 0; g < groups; g++) {
        for (let j = 0; j < k; j++) {
          const t = t0 + j * dil;
          if (t < 0 || t >= T) continue;
          const o = row + (g * k + j) * Cg;
          const xo = (b * T + t) * C + g * Cg;
          for (let c = 0; c < Cg; c++) dx[xo + c] = dx[xo + c]! + dcols[o + c]!;
        }
      }
    }
  }
}

/**
 * out = act(conv1d(x, kernel) + bias), [B, Tout, F]. `cols` is scratch of B·Tout·k·C
 * floats (unused for a pointwise convolution) that backward reads again.
 */
export function conv1dForward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  out: Float32Array, // [B, Tout, F]
  pre: Float32Array, // [B, Tout, F] pre-activation; may be `out` for a linear activation
  cols: Float32Array, // [B·Tout, k·C] written (im2col of x)
  x: Float32Array, // [B, T, C]
  kernel: Float32Array, // [k, C/groups, F]
  bias: Float32Array | null, // [F]
  B: number,
  T: number,
  C: number,
  Tout: number,
  F: number,
  k: number,
  stride: number,
  dil: number,
  padLeft: number,
  groups: number,
  act: ActId,
): void {
  const rows = B * Tout;
  const width = k * C;
  const Kg = width / groups;
  const Fg = F / groups;
  let a = x;
  if (!conv1dIsPointwise(k, stride, padLeft)) {
    im2col1d(cols, x, B, T, C, Tout, k, stride, dil, padLeft, groups);
    a = cols;
  }
  for (let g = 0; g < groups; g++) gemm(false, false, rows, Fg, Kg, a, g * Kg, width, kernel, g * Fg, F, pre, g * Fg, F, false);
  if (bias !== null) addBias(pre, bias, rows, F);
  activationForward(act, out, 0, pre, 0, rows, F);
}

/**
 * Backward of conv1dForward: dKernel += colsᵀ·dPre and dBias += Σ dPre (per group),
 * dx = col2im(dPre·kernelᵀ) when dx is given. dCols is scratch of B·Tout·k·C floats
 * (unused for a pointwise convolution).
 */
export function conv1dBackward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  dx: Float32Array | null, // [B, T, C] overwritten; null when the input needs no gradient
  dKernel: Float32Array, // [k, C/groups, F] accumulated
  dBias: Float32Array | null, // [F] accumulated
  dPre: Float32Array, // [B, Tout, F] scratch
  dCols: Float32Array, // [B·Tout, k·C] scratch
  dOut: Float32Array, // [B, Tout, F]
  cols: Float32Array, // forward's im2col of x
  x: Float32Array, // [B, T, C]
  pre: Float32Array,
  out: Float32Array,
  kernel: Float32Array,
  B: number,
  T: number,
  C: number,
  Tout: number,
  F: number,
  k: number,
  stride: number,
  dil: number,
  padLeft: number,
  groups: number,
  act: ActId,
): void {
  const rows = B * Tout;
  const width = k * C;
  const Kg = width / groups;
  const Fg = F / groups;
  const pointwise = conv1dIsPointwise(k, stride, padLeft);
  const a = pointwise ? x : cols;
  activationBackward(act, dPre, 0, dOut, 0, pre, 0, out, 0, rows, F);
  for (let g = 0; g < groups; g++) gemm(true, false, Kg, Fg, rows, a, g * Kg, width, dPre, g * Fg, F, dKernel, g * Fg, F, true);
  if (dBias !== null) biasGrad(dBias, dPre, rows, F);
  if (dx === null) return;
  const da = pointwise ? dx : dCols;
  for (let g = 0; g < groups; g++) gemm(false, true, rows, Kg, Fg, dPre, g * Fg, F, kernel, g * Fg, F, da, g * Kg, width, false);
  if (!pointwise) col2im1d(dx, dCols, B, T, C, Tout, k, stride, dil, padLeft, groups);
}

/**
 * Conv1DTranspose (the adjoint of conv1dForward's input product): x [B, T, C] times the
 * kernel [k, F, C] viewed as [k·F, C] transposed gives each input step's k taps ×
 * F filters in `cols` [B·T, k·F]; col2im adds tap j of step t into output step
 * t·stride + j·dil − padLeft (taps outside [0, Lout) fall away). Then bias and activation.
 * A 1-tap, stride-1, unpadded transpose with Lout = T is the plain product: no cols.
 */
export function conv1dTransposeForward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  out: Float32Array, // [B, Lout, F]
  pre: Float32Array, // [B, Lout, F] pre-activation; may be `out` for a linear activation
  cols: Float32Array, // [B·T, k·F] scratch (unused for a pointwise transpose)
  x: Float32Array, // [B, T, C]
  kernel: Float32Array, // [k, F, C]
  bias: Float32Array | null, // [F]
  B: number,
  T: number,
  C: number,
  Lout: number,
  F: number,
  k: number,
  stride: number,
  dil: number,
  padLeft: number,
  act: ActId,
): void {
  const rows = B * T;
  if (conv1dIsPointwise(k, stride, padLeft) && Lout === T) {
    gemm(false, true, rows, F, C, x, 0, C, kernel, 0, C, pre, 0, F, false);
  } else {
    gemm(false, true, rows, k * F, C, x, 0, C, kernel, 0, C, cols, 0, k * F, false);
    col2im1d(pre, cols, B, Lout, F, T, k, stride, dil, padLeft, 1);
  }
  if (bias !== null) addBias(pre, bias, B * Lout, F);
  activationForward(act, out, 0, pre, 0, B * Lout, F);
}

/**
 * Backward of conv1dTransposeForward: dCols = im2col(dPre) (col2im's adjoint), dKernel +=
 * dColsᵀ·x, dBias += Σ dPre, dx = dCols·kernel when dx is given.
 */
export function conv1dTransposeBackward(
  gemm: GemmFn, // the GEMM of the kernel set this runs in (backend/kernels.ts)
  dx: Float32Array | null, // [B, T, C] overwritten; null when the input needs no gradient
  dKernel: Float32Array, // [k, F, C] accumulated
  dBias: Float32Array | null, // [F] accumulated
  dPre: Float32Array, // [B, Lout, F] scratch
  dCols: Float32Array, // [B·T, k·F] scratch (unused for a pointwise transpose)
  dOut: Float32Array, // [B, Lout, F]
  x: Float32Array, // [B, T, C]
  pre: Float32Array,
  out: Float32Array,
  kernel: Float32Array,
  B: number,
  T: number,
  C: number,
  Lout: number,
  F: number,
  k: number,
  stride: number,
  dil: number,
  padLeft: number,
  act: ActId,
): void {
  const rows = B * T;
  activationBackward(act, dPre, 0, dOut, 0, pre, 0, out, 0, B * Lout, F);
  if (dBias !== null) biasGrad(dBias, dPre, B * Lout, F);
  let d = dPre;
  if (!(conv1dIsPointwise(k, stride, padLeft) && Lout === T)) {
    im2col1d(dCols, dPre, B, Lout, F, T, k, stride, dil, padLeft, 1);
    d = dCols;
  }
  gemm(true, false, k * F, C, rows, d, 0, k * F, x, 0, C, dKernel, 0, C, true);
  if (dx !== null) gemm(false, false, rows, C, k * F, d, 0, k * F, kernel, 0, C, dx, 0, C, false);
}

/**
 * Max pooling over windows of `pool` steps, `stride` apart, starting at s·stride − padLeft;
 * steps outside [0, T) are left out (TF/Keras 'same'). arg[b, s, c] = the winning input
 * step (the first maximum), −1 for a window with no step.
 */
export function maxPool1dForward(
  out: Float32Array, // [B, Tout, C]
  arg: Int32Array, // [B, Tout, C]
  x: Float32Array, // [B, T, C]
  B: number,
  T: number,
  C: number,
  Tout: number,
  pool: number,
  stride: number,
  padLeft: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < Tout; s++) {
      const lo = Math.max(0, s * stride - padLeft);
      const hi = Math.min(T, s * stride - padLeft + pool);
      const o = (b * Tout + s) * C;
      for (let c = 0; c < C; c++) {
        let best = -Infinity;
        let at = -1;
        for (let t = lo; t < hi; t++) {
          const v = x[(b * T + t) * C + c]!;
          if (at === -1 || v > best) {
            best = v;
            at = t;
          }
        }
        out[o + c] = at === -1 ? 0 : best;
        arg[o + c] = at;
      }
    }
  }
}

/** dx[b, arg, c] += dy[b, s, c] (overwrites dx). */
export function maxPool1dBackward(
  dx: Float32Array, // [B, T, C] overwritten
  dy: Float32Array, // [B, Tout, C]
  arg: Int32Array, // [B, Tout, C] from forward
  B: number,
  T: number,
  C: number,
  Tout: number,
): void {
  dx.fill(0, 0, B * T * C);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < Tout; s++) {
      const o = (b * Tout + s) * C;
      for (let c = 0; c < C; c++) {
        const t = arg[o + c]!;
        if (t >= 0) {
          const i = (b * T + t) * C + c;
          dx[i] = dx[i]! + dy[o + c]!;
        }
      }
    }
  }
}

/** Average pooling: the mean over the window's steps inside [0, T) (padding is not counted, as TF/Keras 'same'). */
export function avgPool1dForward(
  out: Float32Array, // [B, Tout, C]
  x: Float32Array, // [B, T, C]
  B: number,
  T: number,
  C: number,
  Tout: number,
  pool: number,
  stride: number,
  padLeft: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < Tout; s++) {
      const lo = Math.max(0, s * stride - padLeft);
      const hi = Math.min(T, s * stride - padLeft + pool);
      const n = hi - lo;
      const o = (b * Tout + s) * C;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let t = lo; t < hi; t++) sum += x[(b * T + t) * C + c]!;
        out[o + c] = n > 0 ? sum / n : 0;
      }
    }
  }
}

/** dx[b, t, c] += dy[b, s, c] / n(s) for every step t of window s (overwrites dx). */
export function avgPool1dBackward(
  dx: Float32Array, // [B, T, C] overwritten
  dy: Float32Array, // [B, Tout, C]
  B: number,
  T: number,
  C: number,
  Tout: number,
  pool: number,
  stride: number,
  padLeft: number,
): void {
  dx.fill(0, 0, B * T * C);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < Tout; s++) {
      const lo = Math.max(0, s * stride - padLeft);
      const hi = Math.min(T, s * stride - padLeft + pool);
      if (hi <= lo) continue;
      const inv = 1 / (hi - lo);
      const o = (b * Tout + s) * C;
      for (let t = lo; t < hi; t++) {
        const xo = (b * T + t) * C;
        for (let c = 0; c < C; c++) dx[xo + c] = dx[xo + c]! + dy[o + c]! * inv;
      }
    }
  }
}

/**
 * Inverted-dropout noise: n entries, each 0 with probability rate (drawn u < rate, as
 * Dropout draws), else 1/(1 − rate), in order from rng.
 */
export function dropoutNoise(noise: Float32Array, n: number, rate: number, rng: Rng): void {
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) noise[i] = rng.uniform() < rate ? 0 : keep;
}

/** y[b, t, c] = x[b, t, c] · noise[b, c]: one factor per sample and channel, shared by every step. */
export function scaleChannels(
  y: Float32Array, // [B, T, C]
  x: Float32Array, // [B, T, C]
  noise: Float32Array, // [B, C]
  B: number,
  T: number,
  C: number,
): void {
  for (let b = 0; b < B; b++) {
    const m = b * C;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      for (let c = 0; c < C; c++) y[o + c] = x[o + c]! * noise[m + c]!;
    }
  }
}
