/**
 * Small layout and bias kernels. Batch-major means the API layout [B, T, F];
 * time-major means the recurrent caches' layout [T, B, F] in processing order
 * (reversed in time when a layer runs with goBackwards).
 */

/** dst[s, b, :] = src[b, t(s), :] with t(s) = reverse ? T-1-s : s. */
export function toTimeMajor(
  dst: Float32Array, // [T, B, F]
  src: Float32Array, // [B, T, F]
  B: number,
  T: number,
  F: number,
  reverse: boolean,
): void {
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const d = (s * B + b) * F;
      const o = (b * T + t) * F;
      for (let f = 0; f < F; f++) dst[d + f] = src[o + f]!;
    }
  }
}

/** dst[b, t(s), :] = src[s, b, :] — the inverse of toTimeMajor. */
export function fromTimeMajor(
  dst: Float32Array, // [B, T, F]
  src: Float32Array, // [T, B, F]
  B: number,
  T: number,
  F: number,
  reverse: boolean,
): void {
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const o = (s * B + b) * F;
      const d = (b * T + t) * F;
      for (let f = 0; f < F; f++) dst[d + f] = src[o + f]!;
    }
  }
}

/** y[r, :] += bias for each of `rows` rows. */
export function addBias(y: Float32Array /* [rows, cols] */, bias: Float32Array /* [cols] */, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) y[o + c] = y[o + c]! + bias[c]!;
  }
}

/** dBias += Σ_r dy[r, :] (column sums; accumulates, as every parameter gradient). */
export function biasGrad(dBias: Float32Array /* [cols] */, dy: Float32Array /* [rows, cols] */, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += dy[r * cols + c]!;
    dBias[c] = dBias[c]! + s;
  }
}
