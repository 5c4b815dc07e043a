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
      // x > 0: 1; else d/dx (e^x - 1) = e^x = y + 1
      for (let i = 0; i < n; i++) {
        const g = dy[dyOff + i]!;
        dx[dxOff + i] = x[xOff + i]! > 0 ? g : g * (y[yOff + i]! + 1);
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
