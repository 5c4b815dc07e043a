/**
 * Activation kernels, forward and backward, over a contiguous [rows, cols] block.
 * Forward overwrites y; backward overwrites dx = dy ⊙ act'(x) (softmax: the row's
 * Jacobian-vector product). Backward takes both the input x and the output y so each
 * activation differentiates from whichever is cheaper and stabler (tanh/sigmoid from y).
 * x and y may alias in forward; dx and dy may alias in backward.
 */

/** Activation ids shared by every backend. */
export const Act = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  hardSigmoid: 3,
  relu: 4,
  elu: 5,
  selu: 6,
  softplus: 7,
  softsign: 8,
  swish: 9,
  softmax: 10,
  /** Keras 2 / tfjs hard sigmoid, clip(0.2x + 0.5, 0, 1): what 'hard_sigmoid' means in their files. */
  hardSigmoidLegacy: 11,
  /** min(max(x, 0), 6). */
  relu6: 12,
  /** x·Φ(x) = x·(1 + erf(x/√2))/2: Keras's and tfjs's 'gelu' (Keras's approximate=False). */
  gelu: 13,
  /** x·(1 + tanh(√(2/π)·(x + 0.044715x³)))/2: tfjs's 'gelu_new'. */
  geluTanh: 14,
  /** x·tanh(softplus(x)). */
  mish: 15,
  /** eˣ. */
  exponential: 16,
  /** max(x, 0.2x): Keras 3's leaky_relu activation (the LeakyReLU layer's default slope is 0.3). */
  leakyRelu: 17,
  /** x − log Σ eˣ over the row (the last axis). */
  logSoftmax: 18,
  /** x·clip(x/6 + 1/2, 0, 1) (Keras 3's hard_silu / hard_swish). */
  hardSilu: 19,
  /** −softplus(−x). */
  logSigmoid: 20,
  /** clip(x, −1, 1). */
  hardTanh: 21,
  /** x − tanh(x). */
  tanhShrink: 22,
  /** x ∓ 0.5 beyond ±0.5, else 0. */
  softShrink: 23,
  /** x where |x| > 0.5, else 0. */
  hardShrink: 24,
  /** 0 for x ≤ −1, (x + 1)²/4 for −1 < x < 1, x from 1. */
  sparsePlus: 25,
  /** (x + √(x² + 4))/2. */
  squareplus: 26,
  /** 0 for x ≤ −1, (x + 1)/2 between, 1 from 1. */
  sparseSigmoid: 27,
} as const;
export type ActId = (typeof Act)[keyof typeof Act];

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * tanh through one exp: about 1.5× faster than Math.tanh in V8. The cancellation
 * near 0 costs ~1e-16 absolute, far below float32 resolution of the result.
 */
function tanh(x: number): number {
  const e = Math.exp(2 * x);
  return e === Infinity ? 1 : 1 - 2 / (e + 1);
}

function softplus(x: number): number {
  // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * erfc(z) for z ≥ 0 in float64 to ~1e-15 relative: the Maclaurin series of erf below 2
 * (its terms reach e^(z²) times rounding, ~1e-14 at 2), Lentz's continued fraction from 2
 * (converges in a few dozen terms there, and keeps the tiny tail exact where 1 − erf would
 * round to 0).
 */
function erfcPositive(z: number): number {
  if (z < 2) {
    let term = z;
    let sum = z;
    const z2 = z * z;
    for (let n = 1; n < 60; n++) {
      term *= -z2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = z;
  let C = z;
  let D = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    D = z + a * D;
    D = D === 0 ? tiny : 1 / D;
    C = z + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * f);
}

/** Φ(x), the standard normal CDF: erfc(−x/√2)/2, exact in the lower tail too. */
function normalCdf(x: number): number {
  const z = x / Math.SQRT2;
  return z <= 0 ? erfcPositive(-z) / 2 : 1 - erfcPositive(z) / 2;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function activationForward(
  act: ActId,
  y: Float32Array, // [rows, cols] at yOff
  yOff: number,
  x: Float32Array, // [rows, cols] at xOff
  xOff: number,
  rows: number,
  cols: number,
): void {
  const n = rows * cols;
  switch (act) {
    case Act.linear:
      if (y !== x || yOff !== xOff) for (let i = 0; i < n; i++) y[yOff + i] = x[xOff + i]!;
      return;
    case Act.tanh:
      for (let i = 0; i < n; i++) y[yOff + i] = tanh(x[xOff + i]!);
      return;
    case Act.sigmoid:
      for (let i = 0; i < n; i++) y[yOff + i] = sigmoid(x[xOff + i]!);
      return;
    case Act.hardSigmoid:
      // Keras 3: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1)
      for (let i = 0; i < n; i++) y[yOff + i] = Math.min(1, Math.max(0, x[xOff + i]! / 6 + 0.5));
      return;
    case Act.hardSigmoidLegacy:
      for (let i = 0; i < n; i++) y[yOff + i] = Math.min(1, Math.max(0, 0.2 * x[xOff + i]! + 0.5));
      return;
    case Act.relu:
      for (let i = 0; i < n; i++) y[yOff + i] = Math.max(0, x[xOff + i]!);
      return;
    case Act.elu:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v > 0 ? v : Math.expm1(v);
      }
      return;
    case Act.selu:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v));
      }
      return;
    case Act.softplus:
      for (let i = 0; i < n; i++) y[yOff + i] = softplus(x[xOff + i]!);
      return;
    case Act.softsign:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v / (1 + Math.abs(v));
      }
      return;
    case Act.swish:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v * sigmoid(v);
      }
      return;
    case Act.relu6:
      for (let i = 0; i < n; i++) y[yOff + i] = Math.min(6, Math.max(0, x[xOff + i]!));
      return;
    case Act.gelu:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v * normalCdf(v);
      }
      return;
    case Act.geluTanh:
      // x·(1 + tanh u)/2 written as x·σ(2u): the same number without 1 + tanh u cancelling in the lower tail
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v * sigmoid(2 * SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
      }
      return;
    case Act.mish:
      // Math.tanh: the one-exp tanh loses the relative precision of tiny softplus values
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v * Math.tanh(softplus(v));
      }
      return;
    case Act.exponential:
      for (let i = 0; i < n; i++) y[yOff + i] = Math.exp(x[xOff + i]!);
      return;
    case Act.leakyRelu:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v > 0 ? v : 0.2 * v;
      }
      return;
    case Act.hardSilu:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v * Math.min(1, Math.max(0, v / 6 + 0.5));
      }
      return;
    case Act.logSigmoid:
      for (let i = 0; i < n; i++) y[yOff + i] = -softplus(-x[xOff + i]!);
      return;
    case Act.hardTanh:
      for (let i = 0; i < n; i++) y[yOff + i] = Math.min(1, Math.max(-1, x[xOff + i]!));
      return;
    case Act.tanhShrink:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v - Math.tanh(v); // Math.tanh: the one-exp tanh cancels against v near 0
      }
      return;
    case Act.softShrink:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v > 0.5 ? v - 0.5 : v < -0.5 ? v + 0.5 : 0;
      }
      return;
    case Act.hardShrink:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = Math.abs(v) > 0.5 ? v : 0;
      }
      return;
    case Act.sparsePlus:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v <= -1 ? 0 : v < 1 ? 0.25 * (v + 1) * (v + 1) : v;
      }
      return;
    case Act.squareplus:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = (v + Math.sqrt(v * v + 4)) / 2;
      }
      return;
    case Act.sparseSigmoid:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        y[yOff + i] = v <= -1 ? 0 : v >= 1 ? 1 : 0.5 * (v + 1);
      }
      return;
    case Act.logSoftmax:
      for (let r = 0; r < rows; r++) {
        const xo = xOff + r * cols;
        const yo = yOff + r * cols;
        let max = -Infinity;
        for (let c = 0; c < cols; c++) max = Math.max(max, x[xo + c]!);
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += Math.exp(x[xo + c]! - max);
        const shift = max + Math.log(sum);
        for (let c = 0; c < cols; c++) y[yo + c] = x[xo + c]! - shift;
      }
      return;
    case Act.softmax:
      for (let r = 0; r < rows; r++) {
        const xo = xOff + r * cols;
        const yo = yOff + r * cols;
        let max = -Infinity;
        for (let c = 0; c < cols; c++) max = Math.max(max, x[xo + c]!);
        let sum = 0;
        for (let c = 0; c < cols; c++) {
          const e = Math.exp(x[xo + c]! - max);
          y[yo + c] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let c = 0; c < cols; c++) y[yo + c] = y[yo + c]! * inv;
      }
      return;
  }
}

export function activationBackward(
  act: ActId,
  dx: Float32Array, // [rows, cols] at dxOff, overwritten
  dxOff: number,
  dy: Float32Array, // [rows, cols] at dyOff
  dyOff: number,
  x: Float32Array, // forward input [rows, cols] at xOff
  xOff: number,
  y: Float32Array, // forward output [rows, cols] at yOff
  yOff: number,
  rows: number,
  cols: number,
): void {
  const n = rows * cols;
  switch (act) {
    case Act.linear:
      if (dx !== dy || dxOff !== dyOff) for (let i = 0; i < n; i++) dx[dxOff + i] = dy[dyOff + i]!;
      return;
    case Act.tanh:
      // y = tanh(x)  =>  dy/dx = 1 - y²
      for (let i = 0; i < n; i++) {
        const v = y[yOff + i]!;
        dx[dxOff + i] = dy[dyOff + i]! * (1 - v * v);
      }
      return;
    case Act.sigmoid:
      // y = σ(x)  =>  dy/dx = y(1 - y)
      for (let i = 0; i < n; i++) {
        const v = y[yOff + i]!;
        dx[dxOff + i] = dy[dyOff + i]! * v * (1 - v);
      }
      return;
    case Act.hardSigmoid:
      // slope 1/6 strictly inside (-3, 3), 0 outside
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = v > -3 && v < 3 ? dy[dyOff + i]! / 6 : 0;
      }
      return;
    case Act.hardSigmoidLegacy:
      // slope 0.2 strictly inside (-2.5, 2.5), 0 outside
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = v > -2.5 && v < 2.5 ? 0.2 * dy[dyOff + i]! : 0;
      }
      return;
    case Act.relu:
      for (let i = 0; i < n; i++) dx[dxOff + i] = x[xOff + i]! > 0 ? dy[dyOff + i]! : 0;
      return;
    case Act.elu:
      // x > 0: 1; else d/dx (e^x − 1) = e^x, from x: y + 1 from the float32 y loses e^x's digits far below 0
      for (let i = 0; i < n; i++) {
        const g = dy[dyOff + i]!;
        const v = x[xOff + i]!;
        dx[dxOff + i] = v > 0 ? g : g * Math.exp(v);
      }
      return;
    case Act.selu:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        const g = dy[dyOff + i]!;
        dx[dxOff + i] = v > 0 ? g * SELU_SCALE : g * SELU_SCALE * SELU_ALPHA * Math.exp(v);
      }
      return;
    case Act.softplus:
      for (let i = 0; i < n; i++) dx[dxOff + i] = dy[dyOff + i]! * sigmoid(x[xOff + i]!);
      return;
    case Act.softsign:
      // y = x / (1 + |x|)  =>  dy/dx = 1 / (1 + |x|)²
      for (let i = 0; i < n; i++) {
        const d = 1 + Math.abs(x[xOff + i]!);
        dx[dxOff + i] = dy[dyOff + i]! / (d * d);
      }
      return;
    case Act.swish:
      // y = x σ(x)  =>  dy/dx = σ(x) (1 + x (1 - σ(x)))
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        const s = sigmoid(v);
        dx[dxOff + i] = dy[dyOff + i]! * s * (1 + v * (1 - s));
      }
      return;
    case Act.relu6:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = v > 0 && v < 6 ? dy[dyOff + i]! : 0;
      }
      return;
    case Act.gelu:
      // d/dx x·Φ(x) = Φ(x) + x·φ(x)
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = dy[dyOff + i]! * (normalCdf(v) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI));
      }
      return;
    case Act.geluTanh:
      // y = x·σ(2u), u = √(2/π)(x + c·x³)  =>  σ(2u) + x·2σ(2u)(1 − σ(2u))·√(2/π)(1 + 3c·x²)
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        const sg = sigmoid(2 * SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
        dx[dxOff + i] = dy[dyOff + i]! * (sg + 2 * v * sg * (1 - sg) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v));
      }
      return;
    case Act.mish:
      // y = x·tanh(sp(x))  =>  tanh(sp) + x·(1 − tanh²(sp))·σ(x)
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        const t = Math.tanh(softplus(v));
        dx[dxOff + i] = dy[dyOff + i]! * (t + v * (1 - t * t) * sigmoid(v));
      }
      return;
    case Act.exponential:
      for (let i = 0; i < n; i++) dx[dxOff + i] = dy[dyOff + i]! * y[yOff + i]!;
      return;
    case Act.leakyRelu:
      for (let i = 0; i < n; i++) dx[dxOff + i] = x[xOff + i]! > 0 ? dy[dyOff + i]! : 0.2 * dy[dyOff + i]!;
      return;
    case Act.hardSilu:
      // 0 below −3, 1 above 3, (2x + 3)/6 between
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = dy[dyOff + i]! * (v < -3 ? 0 : v > 3 ? 1 : (2 * v + 3) / 6);
      }
      return;
    case Act.logSigmoid:
      // d/dx −softplus(−x) = σ(−x)
      for (let i = 0; i < n; i++) dx[dxOff + i] = dy[dyOff + i]! * sigmoid(-x[xOff + i]!);
      return;
    case Act.hardTanh:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = v > -1 && v < 1 ? dy[dyOff + i]! : 0;
      }
      return;
    case Act.tanhShrink:
      for (let i = 0; i < n; i++) {
        const t = Math.tanh(x[xOff + i]!);
        dx[dxOff + i] = dy[dyOff + i]! * t * t;
      }
      return;
    case Act.softShrink:
    case Act.hardShrink:
      for (let i = 0; i < n; i++) dx[dxOff + i] = Math.abs(x[xOff + i]!) > 0.5 ? dy[dyOff + i]! : 0;
      return;
    case Act.sparsePlus:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = dy[dyOff + i]! * (v <= -1 ? 0 : v < 1 ? 0.5 * (v + 1) : 1);
      }
      return;
    case Act.squareplus:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = dy[dyOff + i]! * 0.5 * (1 + v / Math.sqrt(v * v + 4));
      }
      return;
    case Act.sparseSigmoid:
      for (let i = 0; i < n; i++) {
        const v = x[xOff + i]!;
        dx[dxOff + i] = v > -1 && v < 1 ? 0.5 * dy[dyOff + i]! : 0;
      }
      return;
    case Act.logSoftmax:
      // dx_i = dy_i − softmax_i · Σ_j dy_j, softmax = e^y
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += dy[dyOff + o + c]!;
        for (let c = 0; c < cols; c++) dx[dxOff + o + c] = dy[dyOff + o + c]! - Math.exp(y[yOff + o + c]!) * sum;
      }
      return;
    case Act.softmax:
      // dx_i = y_i (dy_i - Σ_j y_j dy_j)
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let dot = 0;
        for (let c = 0; c < cols; c++) dot += y[yOff + o + c]! * dy[dyOff + o + c]!;
        for (let c = 0; c < cols; c++) dx[dxOff + o + c] = y[yOff + o + c]! * (dy[dyOff + o + c]! - dot);
      }
      return;
  }
}

/**
 * activationForward over one gate block of fused buffers: `rows` rows of `cols`
 * values, rows `ld` apart, at the same offset in x and y.
 */
export function activationForwardBlock(act: ActId, y: Float32Array, x: Float32Array, off: number, ld: number, rows: number, cols: number): void {
  if (ld === cols) {
    activationForward(act, y, off, x, off, rows, cols);
    return;
  }
  for (let r = 0; r < rows; r++) activationForward(act, y, off + r * ld, x, off + r * ld, 1, cols);
}

/** activationBackward over one gate block; dx, dy, x and y share offset and row stride. */
export function activationBackwardBlock(act: ActId, dx: Float32Array, dy: Float32Array, x: Float32Array, y: Float32Array, off: number, ld: number, rows: number, cols: number): void {
  if (ld === cols) {
    activationBackward(act, dx, off, dy, off, x, off, y, off, rows, cols);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const o = off + r * ld;
    activationBackward(act, dx, o, dy, o, x, o, y, o, 1, cols);
  }
}
