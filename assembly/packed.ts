/**
 * AssemblyScript: the GEMM on B packed in panels of 8 columns, re-exported by assembly/index.ts
 * (the module's entry) and built with it.
 *
 * Why: gemm (index.ts) reads B in place, 8 columns per k, one row of B (ldb floats) apart. For
 * the recurrent products ldb is 4H: at H = 512 one 8 KiB apart, so every k of a column strip
 * lands in the same L1 set and the strip is re-read from L2 for each block of 4 rows (measured:
 * [64, 512]·[512, 2048] at 19–24 GFLOP/s against 43 once packed; [256, 768] B at 30 against
 * 40–47). Packed, a panel's K rows of 8 floats are contiguous: one 32-byte stride the
 * prefetcher follows and no set conflicts. The recurrent kernel is the same for every step, so
 * a time loop packs it once (packB, or packBT for the backward's transposed product) and each
 * step runs gemmPacked; a single large product (the weight gradients over all T·B rows) packs
 * each [KC, NC] block of B into a workspace as it goes (gemmPackB), and a transposed A
 * (columns H floats apart) 4 rows at a time as well.
 *
 * Every element of C is the same sum as gemm's, in the same order (C, or 0, then + a_k·b_k for
 * k = 0, 1, …; slices of K stored and reloaded exactly), in the same register tiles
 * (assembly/tiles.ts, with B's row stride 32 bytes here): results equal gemm's bit for bit. Only full panels are computed here (n8 = N rounded down to 8 columns);
 * the caller runs gemm on the last N − n8 columns, which gemm computes as it would have.
 */
import { tile1x8, tile4x8 } from './tiles';

/** The same K slices and column blocks as gemm: a [KC, NC] block of B is 512 KiB (L2). */
const KC: i32 = 256;
const NC: i32 = 512;

/**
 * gemmPacked's blocks: B is packed whole, so a K slice is only there to keep a panel's strip
 * (kc × 32 bytes) in L1 beside 4 rows of A; 512 × 256 keeps the block's strips (512 KiB) in
 * L2 and C is stored half as often as with gemm's 256 × 512: measured 5–8% faster on the
 * step products ([64, 512]·[512, 2048], [128, 512]·[512, 1536], [64, 1024]·[1024, 4096]; the
 * same at [64, 128]·[128, 512]).
 */
const PKC: i32 = 512;
const PNC: i32 = 256;

/** Floats gemmPackB needs at `work`: one packed [KC, NC] block of B and one packed 4-row panel of A. */
export function gemmPackBWorkFloats(): i32 {
  return KC * NC + 4 * KC;
}

/**
 * Full 8-column panels of B [K, N] (row-major, rows ldb floats apart) into dst: panel p
 * (columns 8p … 8p+7) holds its K rows of 8 floats contiguously at dst + 4·8·K·p. Needs
 * 8·K·⌊N/8⌋ floats at dst.
 */
export function packB(K: i32, N: i32, b: usize, ldb: i32, dst: usize): void {
  const n8 = N & ~7;
  const sb = <usize>ldb << 2;
  let d = dst;
  for (let j = 0; j < n8; j += 8) {
    let s = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
      d += 32;
      s += sb;
    }
  }
}

/**
 * packB of op(B) = Bᵀ where B is stored [N, ldb] (op(B)[k, j] = B[j, k]): the backward's
 * dh·Uᵀ with U as stored, packed once per pass instead of transposed. Same layout as packB.
 */
export function packBT(K: i32, N: i32, b: usize, ldb: i32, dst: usize): void {
  const n8 = N & ~7;
  const sb = <usize>ldb << 2;
  let d = dst;
  for (let j = 0; j < n8; j += 8) {
    const r0 = b + <usize>j * sb;
    for (let k = 0; k < K; k++) {
      const q = r0 + (<usize>k << 2);
      for (let jj = 0; jj < 8; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(q + <usize>jj * sb));
      d += 32;
    }
  }
}

/**
 * C[M, 8·np] (+)= A[M, kc] · np packed panels of kc rows (panel p at bp + p·ps bytes). With
 * apack ≠ 0 each 4-row block of A is first copied there as kc groups of 4 (a transposed A,
 * whose 4 rows sit side by side but whose k steps are a row of the original apart).
 */
function packedSlice(M: i32, np: i32, kc: i32, a: usize, sa: usize, sk: usize, bp: usize, ps: usize, c: usize, sc: usize, accumulate: bool, apack: usize): void {
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    let ai = a + <usize>i * sa;
    let ra = sa;
    let rk = sk;
    if (apack !== 0) {
      let s = ai;
      let d = apack;
      for (let k = 0; k < kc; k++) {
        store<f32>(d, load<f32>(s));
        store<f32>(d, load<f32>(s + sa), 4);
        store<f32>(d, load<f32>(s + 2 * sa), 8);
        store<f32>(d, load<f32>(s + 3 * sa), 12);
        d += 16;
        s += sk;
      }
      ai = apack;
      ra = 4;
      rk = 16;
    }
    const ci = c + <usize>i * sc;
    for (let p = 0; p < np; p++) tile4x8(kc, ai, ra, rk, bp + <usize>p * ps, 32, ci + (<usize>p << 5), sc, accumulate);
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * sa;
    const ci = c + <usize>i * sc;
    for (let p = 0; p < np; p++) tile1x8(kc, ai, sk, bp + <usize>p * ps, 32, ci + (<usize>p << 5), accumulate);
  }
}

/**
 * C[M, n8] (+)= A[M, K] · B[K, n8] with B packed whole by packB / packBT (bp), n8 = N rounded
 * down to 8 (the caller runs gemm on the rest). A element (i, k) at a + 4·(i·sai + k·sak).
 */
export function gemmPacked(M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, bp: usize, c: usize, ldc: i32, accumulate: i32): void {
  const n8 = N & ~7;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + ((<usize>i * <usize>ldc) << 2), 0, <usize>n8 << 2);
    return;
  }
  const sa = <usize>sai << 2;
  const sk = <usize>sak << 2;
  const sc = <usize>ldc << 2;
  const ps = <usize>K << 5;
  for (let j0 = 0; j0 < n8; j0 += PNC) {
    const nc = min(PNC, n8 - j0);
    for (let k0 = 0; k0 < K; k0 += PKC) {
      const kc = min(PKC, K - k0);
      const bk = bp + <usize>(j0 >> 3) * ps + (<usize>k0 << 5);
      packedSlice(M, nc >> 3, kc, a + <usize>k0 * sk, sa, sk, bk, ps, c + (<usize>j0 << 2), sc, accumulate !== 0 || k0 > 0, 0);
    }
  }
}

/**
 * gemm's C[M, n8] (+)= A[M, K] · B[K, n8] (B row-major, ldb) for one large product: each
 * [KC, NC] block of B is packed into `work` (gemmPackBWorkFloats() floats) before the row
 * blocks pass over it, and where A's k steps are not contiguous (sak ≠ 1: a transposed A)
 * each 4-row block of A is packed too. The caller runs gemm on the last N − n8 columns.
 */
export function gemmPackB(M: i32, N: i32, K: i32, a: usize, sai: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize): void {
  const n8 = N & ~7;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + ((<usize>i * <usize>ldc) << 2), 0, <usize>n8 << 2);
    return;
  }
  const sa = <usize>sai << 2;
  const sk = <usize>sak << 2;
  const sc = <usize>ldc << 2;
  const apack = sak !== 1 ? work + (<usize>(KC * NC) << 2) : 0;
  for (let j0 = 0; j0 < n8; j0 += NC) {
    const nc = min(NC, n8 - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      packB(kc, nc, b + ((<usize>k0 * <usize>ldb + <usize>j0) << 2), ldb, work);
      packedSlice(M, nc >> 3, kc, a + <usize>k0 * sk, sa, sk, work, <usize>kc << 5, c + (<usize>j0 << 2), sc, accumulate !== 0 || k0 > 0, apack);
    }
  }
}
