/**
 * A bounded quasi-Newton minimiser for smooth objectives with an analytic gradient: projected
 * L-BFGS (the two-loop recursion on the coordinates not held at a bound, a backtracking Armijo
 * search along the projected path), in the spirit of L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995),
 * which statsmodels' ETS fit uses with numerical gradients. The classical fits used Nelder–Mead,
 * which in the 14–17 unknowns of a seasonal ETS model took 20,000–33,000 likelihood evaluations
 * per variant; with the gradient (one backward pass, about two evaluations' cost) a few hundred
 * iterations reach a tighter optimum. Browser-safe.
 */

export interface BoundedResult {
  x: Float64Array;
  fx: number;
  /** Objective + gradient evaluations. */
  evals: number;
}

/**
 * Minimise f over the box lo ≤ x ≤ hi (±Infinity for none) from x0 (projected into the box).
 * `fg(x, g)` returns f(x) and writes ∇f(x) into g; it may return Infinity (outside the domain:
 * the search steps back). Stops when the projected gradient's largest entry is under `gtol`
 * or two iterations in a row gain less than a relative 1e-15, or after `maxIter` iterations.
 */
export function minimizeBounded(fg: (x: Float64Array, g: Float64Array) => number, x0: ArrayLike<number>, lo: Float64Array, hi: Float64Array, options: { maxIter?: number; gtol?: number; memory?: number } = {}): BoundedResult {
  const n = x0.length;
  const maxIter = options.maxIter ?? 1000;
  const gtol = options.gtol ?? 1e-9;
  const M = options.memory ?? 10;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.min(hi[i]!, Math.max(lo[i]!, x0[i]!));
  const g = new Float64Array(n);
  let fx = fg(x, g);
  let evals = 1;
  if (!Number.isFinite(fx)) return { x, fx: Infinity, evals };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(M);
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  const free = new Uint8Array(n);
  let small = 0;
  for (let it = 0; it < maxIter; it++) {
    // Coordinates at a bound with the gradient pushing outwards are held this iteration.
    let pg = 0;
    for (let i = 0; i < n; i++) {
      const held = (x[i]! <= lo[i]! && g[i]! > 0) || (x[i]! >= hi[i]! && g[i]! < 0);
      free[i] = held ? 0 : 1;
      if (!held) pg = Math.max(pg, Math.abs(g[i]!));
    }
    if (pg < gtol) break;
    // Two-loop recursion on the free coordinates.
    for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i]! : 0;
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      let a = 0;
      for (let i = 0; i < n; i++) if (free[i]) a += S[j]![i]! * d[i]!;
      a *= rho[j]!;
      alpha[j] = a;
      for (let i = 0; i < n; i++) if (free[i]) d[i] = d[i]! - a * Y[j]![i]!;
    }
    if (k > 0) {
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += S[k - 1]![i]! * Y[k - 1]![i]!;
        yy += Y[k - 1]![i]! * Y[k - 1]![i]!;
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    }
    for (let j = 0; j < k; j++) {
      let b = 0;
      for (let i = 0; i < n; i++) if (free[i]) b += Y[j]![i]! * d[i]!;
      b *= rho[j]!;
      for (let i = 0; i < n; i++) if (free[i]) d[i] = d[i]! + S[j]![i]! * (alpha[j]! - b);
    }
    let slope = 0;
    for (let i = 0; i < n; i++) slope += g[i]! * d[i]!;
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs gone stale): steepest descent, memory cleared.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      slope = 0;
      for (let i = 0; i < n; i++) {
        d[i] = free[i] ? -g[i]! : 0;
        slope += g[i]! * d[i]!;
      }
    }
    // The first step of a steepest-descent direction is scaled to move the largest entry by at most 0.1.
    let t = 1;
    if (S.length === 0) {
      let dmax = 0;
      for (let i = 0; i < n; i++) dmax = Math.max(dmax, Math.abs(d[i]!));
      t = Math.min(1, 0.1 / dmax);
    }
    let ft = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      let dec = 0;
      for (let i = 0; i < n; i++) {
        xt[i] = Math.min(hi[i]!, Math.max(lo[i]!, x[i]! + t * d[i]!));
        dec += g[i]! * (xt[i]! - x[i]!);
      }
      ft = fg(xt, gt);
      evals++;
      if (Number.isFinite(ft) && ft <= fx + 1e-4 * dec) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      s[i] = xt[i]! - x[i]!;
      y[i] = gt[i]! - g[i]!;
      sy += s[i]! * y[i]!;
      ss += s[i]! * s[i]!;
    }
    const gain = fx - ft;
    x.set(xt);
    g.set(gt);
    fx = ft;
    if (sy > 1e-12 * ss) {
      if (S.length === M) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    small = gain <= 1e-15 * Math.max(1, Math.abs(fx)) ? small + 1 : 0;
    if (small >= 2) break;
  }
  return { x, fx, evals };
}
