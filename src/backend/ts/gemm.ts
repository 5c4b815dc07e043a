/**
 * GEMM — the hot spot. C[M,N] = (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N].
 *
 * Operands are (array, offset, leading dimension) triples over flat row-major
 * storage, so a kernel can multiply a slab of a bigger buffer (one time step of a
 * [T, B, H] cache) with no copy. Internally everything is brought to the "NT" form,
 * where both operands have the inner dimension K contiguous: A as rows [M, K] and B
 * as rows [N, K]. Operands not already in that form are packed once into scratch
 * buffers that grow to the largest size seen and are then reused, so steady-state
 * training allocates nothing. The NT micro-kernel keeps a 4×4 block of C in float64
 * locals.
 */

/** Rows at or below this count take the unpacked row path (one character at a time in a stream). */
export const SMALL_M = 2;

let packedA = new Float32Array(256);
let packedB = new Float32Array(256);
let rowAcc = new Float64Array(256);

function growA(n: number): Float32Array {
  if (packedA.length < n) packedA = new Float32Array(Math.max(n, packedA.length * 2));
  return packedA;
}

function growB(n: number): Float32Array {
  if (packedB.length < n) packedB = new Float32Array(Math.max(n, packedB.length * 2));
  return packedB;
}

/**
 * out[c*K + r] = src[off + r*ld + c] for a [rows, cols] block: the transpose,
 * written with unit stride so the packed rows are contiguous.
 */
export function transposeInto(out: Float32Array, src: Float32Array, off: number, ld: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const s = off + r * ld;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[s + c]!;
  }
}

/** The signature every GEMM implementation shares (see `gemm`). */
export type GemmFn = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
) => void;

/**
 * Whether a recurrent kernel running on `gemm` should pre-transpose the recurrent kernel
 * once per call: the TypeScript GEMM multiplies K-contiguous operands (and packs per call
 * otherwise); another backend's GEMM takes the kernel as stored. A kernel set carries its
 * own GEMM (backend/kernels.ts), so this asks about that GEMM, not about a global.
 */
export function prefersTransposedB(gemm: GemmFn, rows: number): boolean {
  return gemm === gemmTs && rows > SMALL_M;
}

/** The TypeScript GEMM: the reference every other implementation is tested against. */
export function gemmTs(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array, // op(A) is [M, K]: A is [M, lda] or, transposed, [K, lda]
  aOff: number,
  lda: number,
  B: Float32Array, // op(B) is [K, N]: B is [K, ldb] or, transposed, [N, ldb]
  bOff: number,
  ldb: number,
  C: Float32Array, // [M, ldc]
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  if (!transA && !transB && M <= SMALL_M) {
    gemmRows(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate);
    return;
  }
  let a = A;
  let ao = aOff;
  let la = lda;
  if (transA) {
    a = growA(M * K);
    transposeInto(a, A, aOff, lda, K, M);
    ao = 0;
    la = K;
  }
  let b = B;
  let bo = bOff;
  let lb = ldb;
  if (!transB) {
    b = growB(N * K);
    transposeInto(b, B, bOff, ldb, K, N);
    bo = 0;
    lb = K;
  }
  gemmNT(M, N, K, a, ao, la, b, bo, lb, C, cOff, ldc, accumulate);
}

/**
 * C[M,N] (+)= A[M,K] · B[K,N] for a few rows (M ≤ SMALL_M) with B row-major as stored:
 * no packing (packing a weight matrix costs more than the product when M is 1). Each
 * row accumulates in float64 in the same k order as gemmNT, so the results are
 * bit-identical to the packed path.
 */
function gemmRows(M: number, N: number, K: number, A: Float32Array, ao: number, lda: number, B: Float32Array, bo: number, ldb: number, C: Float32Array, co: number, ldc: number, accumulate: boolean): void {
  if (rowAcc.length < N) rowAcc = new Float64Array(Math.max(N, rowAcc.length * 2));
  const s = rowAcc;
  for (let i = 0; i < M; i++) {
    s.fill(0, 0, N);
    const ai = ao + i * lda;
    let k = 0;
    // Four k at a time, added one after another (the same order as one at a time).
    for (; k + 4 <= K; k += 4) {
      const x0 = A[ai + k]!, x1 = A[ai + k + 1]!, x2 = A[ai + k + 2]!, x3 = A[ai + k + 3]!;
      const b0 = bo + k * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      for (let j = 0; j < N; j++) s[j] = s[j]! + x0 * B[b0 + j]! + x1 * B[b1 + j]! + x2 * B[b2 + j]! + x3 * B[b3 + j]!;
    }
    for (; k < K; k++) {
      const x = A[ai + k]!;
      const bk = bo + k * ldb;
      for (let j = 0; j < N; j++) s[j] = s[j]! + x * B[bk + j]!;
    }
    const ci = co + i * ldc;
    if (accumulate) for (let j = 0; j < N; j++) C[ci + j] = C[ci + j]! + s[j]!;
    else for (let j = 0; j < N; j++) C[ci + j] = s[j]!;
  }
}

/** C[M,N] (+)= A[M,K] · B[N,K]ᵀ, both operands K-contiguous. */
export function gemmNT(
  M: number,
  N: number,
  K: number,
  a: Float32Array,
  ao: number,
  la: number,
  b: Float32Array,
  bo: number,
  lb: number,
  C: Float32Array,
  co: number,
  ldc: number,
  accumulate: boolean,
): void {
  const acc = accumulate ? 1 : 0;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = ao + i * la;
    const a1 = a0 + la;
    const a2 = a1 + la;
    const a3 = a2 + la;
    const c0 = co + i * ldc;
    const c1 = c0 + ldc;
    const c2 = c1 + ldc;
    const c3 = c2 + ldc;
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = bo + j * lb;
      const b1 = b0 + lb;
      const b2 = b1 + lb;
      const b3 = b2 + lb;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = a[a0 + k]!, x1 = a[a1 + k]!, x2 = a[a2 + k]!, x3 = a[a3 + k]!;
        const y0 = b[b0 + k]!, y1 = b[b1 + k]!, y2 = b[b2 + k]!, y3 = b[b3 + k]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      C[c0 + j] = acc * C[c0 + j]! + s00; C[c0 + j + 1] = acc * C[c0 + j + 1]! + s01;
      C[c0 + j + 2] = acc * C[c0 + j + 2]! + s02; C[c0 + j + 3] = acc * C[c0 + j + 3]! + s03;
      C[c1 + j] = acc * C[c1 + j]! + s10; C[c1 + j + 1] = acc * C[c1 + j + 1]! + s11;
      C[c1 + j + 2] = acc * C[c1 + j + 2]! + s12; C[c1 + j + 3] = acc * C[c1 + j + 3]! + s13;
      C[c2 + j] = acc * C[c2 + j]! + s20; C[c2 + j + 1] = acc * C[c2 + j + 1]! + s21;
      C[c2 + j + 2] = acc * C[c2 + j + 2]! + s22; C[c2 + j + 3] = acc * C[c2 + j + 3]! + s23;
      C[c3 + j] = acc * C[c3 + j]! + s30; C[c3 + j + 1] = acc * C[c3 + j + 1]! + s31;
      C[c3 + j + 2] = acc * C[c3 + j + 2]! + s32; C[c3 + j + 3] = acc * C[c3 + j + 3]! + s33;
    }
    for (; j < N; j++) {
      const bj = bo + j * lb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const y = b[bj + k]!;
        s0 += a[a0 + k]! * y;
        s1 += a[a1 + k]! * y;
        s2 += a[a2 + k]! * y;
        s3 += a[a3 + k]! * y;
      }
      C[c0 + j] = acc * C[c0 + j]! + s0;
      C[c1 + j] = acc * C[c1 + j]! + s1;
      C[c2 + j] = acc * C[c2 + j]! + s2;
      C[c3 + j] = acc * C[c3 + j]! + s3;
    }
  }
  for (; i < M; i++) {
    const ai = ao + i * la;
    const ci = co + i * ldc;
    for (let j = 0; j < N; j++) {
      const bj = bo + j * lb;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ai + k]! * b[bj + k]!;
      C[ci + j] = acc * C[ci + j]! + s;
    }
  }
}
