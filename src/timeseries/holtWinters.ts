/**
 * Holt-Winters exponential smoothing, fitted as statsmodels' `ExponentialSmoothing(...,
 * initialization_method='estimated').fit()` does: additive trend (optionally damped) or none,
 * additive or multiplicative season of period m or none. Browser-safe; the optimiser is ours.
 *
 * Recursions (statsmodels' indexing: l[0], b[0], s[0…m−1] are the initial states; step i ≥ 1
 * reads y[i−1]; the one-step forecast of y[i] is ŷ[i] = (l[i] + φ·b[i]) ⊕ s[i], ⊕ = + or ×):
 *   l[i]     = α·(y[i−1] ⊖ s[i−1]) + (1−α)·(l[i−1] + φ·b[i−1])
 *   b[i]     = β·(l[i] − l[i−1]) + (1−β)·φ·b[i−1]
 *   s[i+m−1] = γ·(y[i−1] ⊖ (l[i−1] + φ·b[i−1])) + (1−γ)·s[i−1]
 * (φ = 1 undamped; no trend: b ≡ 0). h steps after the last row: (l + (φ + … + φ^h)·b) ⊕ s of
 * that season.
 *
 * Fit: SSE of the one-step errors over the training rows, minimised over α, β, γ, φ (in
 * statsmodels' restricted space: α ∈ [√ε, 1−√ε], β ∈ [0, α], γ ∈ [0, 1−α], φ ∈ [0.8, 0.995]) and
 * the initial states, from statsmodels' heuristic starting states (Hyndman et al., 2.6: a 2×m
 * centred moving average, average detrended season, a line through its first 10 values; the
 * 'simple' start when there are fewer than 10 + 2⌊m/2⌋ rows), by a bounded L-BFGS (lbfgs.ts) on
 * the SSE's analytic gradient (reverse-mode through the recursions). statsmodels uses L-BFGS-B
 * from a grid; the two reach the same minimum to the tolerance test/holtWinters.test.ts states.
 * (Nelder–Mead with restarts, used before, reached the same SSE to 1e-10 relative in all nine
 * CO2 variants, in 5× the CPU at a season of 12 and 100× at 52: 52 s → 0.56 s on 500 rows.)
 * AIC, AICc, BIC as statsmodels: k = m·[season] + 2·[trend] + 2 + [damped],
 * AIC = n·ln(SSE/n) + 2k, AICc = AIC + 2(k+2)(k+3)/(n−k−3) (∞ when n−k−3 ≤ 0).
 */
import { checkOptions, show } from '../core/errors.js';
import { minimizeBounded } from './lbfgs.js';

export type HoltWintersTrend = 'add' | null;
export type HoltWintersSeason = 'add' | 'mul' | null;

export interface HoltWintersSpec {
  /** Additive trend or none. Default 'add'. */
  trend?: HoltWintersTrend;
  /** Damped trend (needs a trend). Default false. */
  damped?: boolean;
  /** Additive or multiplicative season, or none. Default null. */
  seasonal?: HoltWintersSeason;
  /** Season length m (an integer ≥ 2), required with a season. */
  period?: number;
}

export interface HoltWintersModel {
  trend: HoltWintersTrend;
  damped: boolean;
  seasonal: HoltWintersSeason;
  /** Season length (0 without a season). */
  period: number;
  alpha: number;
  /** 0 without a trend. */
  beta: number;
  /** 0 without a season. */
  gamma: number;
  /** 1 unless damped. */
  phi: number;
  initialLevel: number;
  /** 0 without a trend. */
  initialTrend: number;
  /** m values (s[0…m−1]); empty without a season. */
  initialSeason: number[];
  /** Training rows. */
  n: number;
  sse: number;
  aic: number;
  aicc: number;
  bic: number;
  /** States after the last training row: l[n], b[n], and the seasons of rows n…n+m−1. */
  level: number;
  slope: number;
  season: number[];
}

const LOWER = Math.sqrt(2.220446049250313e-16);

/** A short name in the ETS style: (trend, season), e.g. 'A,M' or 'Ad,A' or 'N,N'. */
export function holtWintersName(m: Pick<HoltWintersModel, 'trend' | 'damped' | 'seasonal' | 'period'>): string {
  const t = m.trend === null ? 'N' : m.damped ? 'Ad' : 'A';
  const s = m.seasonal === null ? 'N' : m.seasonal === 'add' ? `A${m.period}` : `M${m.period}`;
  return `${t},${s}`;
}

/** y as a Float64Array; a non-array or a non-finite value refused by position (`model` names who needs them). */
export function checkData(y: ArrayLike<number>, where: string, model = 'Holt-Winters'): Float64Array {
  if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<number>).length !== 'number') throw new TypeError(`${where}: expected an array of numbers, got ${show(y)}`);
  const out = Float64Array.from(y as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) throw new RangeError(`${where}: value ${i} is ${show((y as ArrayLike<unknown>)[i])}; ${model} needs finite values`);
  return out;
}

interface Resolved {
  trend: HoltWintersTrend;
  damped: boolean;
  seasonal: HoltWintersSeason;
  m: number;
}

function resolveSpec(spec: HoltWintersSpec, where: string): Resolved {
  checkOptions(spec, ['trend', 'damped', 'seasonal', 'period'], where);
  const trend = spec.trend === undefined ? 'add' : spec.trend;
  if (trend !== 'add' && trend !== null) throw new RangeError(`${where}: trend must be 'add' or null, got ${show(trend)}${trend === 'mul' ? ' (a multiplicative trend is not supported)' : ''}`);
  const damped = spec.damped ?? false;
  if (typeof damped !== 'boolean') throw new TypeError(`${where}: damped must be a boolean, got ${show(damped)}`);
  if (damped && trend === null) throw new RangeError(`${where}: damped needs a trend (trend is null)`);
  const seasonal = spec.seasonal === undefined ? null : spec.seasonal;
  if (seasonal !== 'add' && seasonal !== 'mul' && seasonal !== null) throw new RangeError(`${where}: seasonal must be 'add', 'mul' or null, got ${show(seasonal)}`);
  let m = 0;
  if (seasonal !== null) {
    if (spec.period === undefined) throw new RangeError(`${where}: seasonal '${seasonal}' needs period`);
    if (!Number.isInteger(spec.period) || spec.period < 2) throw new RangeError(`${where}: period must be an integer ≥ 2, got ${show(spec.period)}`);
    m = spec.period;
  } else if (spec.period !== undefined) throw new RangeError(`${where}: period ${show(spec.period)} given without a season (seasonal is null)`);
  return { trend, damped, seasonal, m };
}

/** statsmodels' `_initialization_heuristic` (and `_initialization_simple` for short series). */
export function holtWintersInitialStates(y: ArrayLike<number>, spec: HoltWintersSpec): { level: number; trend: number; season: number[] } {
  const where = 'holtWintersInitialStates';
  const r = resolveSpec(spec, where);
  const d = checkData(y, where);
  return initialStates(d, r, where);
}

function initialStates(y: Float64Array, r: Resolved, where: string): { level: number; trend: number; season: number[] } {
  const n = y.length;
  const { m } = r;
  if (r.seasonal !== null && n < 2 * m) throw new RangeError(`${where}: ${n} values are too short for two full seasons of ${m} (${2 * m} needed)`);
  if (n < 10 && r.seasonal === null) throw new RangeError(`${where}: ${n} values are too short; at least 10 are needed`);
  if (r.seasonal !== null && n < 10 + 2 * Math.floor(m / 2)) {
    // statsmodels' 'simple' start: the first season's mean, the mean slope between the first two seasons.
    let level = 0;
    for (let i = 0; i < m; i++) level += y[i]!;
    level /= m;
    let trend = 0;
    if (r.trend !== null) {
      for (let i = m; i < 2 * m; i++) trend += (y[i]! - y[i - m]!) / m;
      trend /= m;
    }
    const season = Array.from(y.subarray(0, m), (v) => (r.seasonal === 'mul' ? v / level : v - level));
    return { level, trend, season };
  }
  let base: Float64Array = y;
  let season: number[] = [];
  if (r.seasonal !== null) {
    const minObs = 10 + 2 * Math.floor(m / 2);
    const cycles = Math.max(Math.min(5, Math.floor(n / m)), Math.ceil(minObs / m));
    const len = Math.min(n, cycles * m);
    // Centred moving average of length m (2×m for even m), as pandas' rolling(center=True).
    const ma = new Float64Array(len).fill(NaN);
    const half = Math.floor(m / 2);
    if (m % 2 === 1) {
      for (let t = half; t + half < len; t++) {
        let s = 0;
        for (let j = t - half; j <= t + half; j++) s += y[j]!;
        ma[t] = s / m;
      }
    } else {
      for (let t = half; t + half < len; t++) {
        let s = 0.5 * (y[t - half]! + y[t + half]!);
        for (let j = t - half + 1; j < t + half; j++) s += y[j]!;
        ma[t] = s / m;
      }
    }
    season = [];
    for (let j = 0; j < m; j++) {
      let s = 0;
      let c = 0;
      for (let t = j; t < len; t += m) {
        if (Number.isNaN(ma[t]!)) continue;
        s += r.seasonal === 'mul' ? y[t]! / ma[t]! : y[t]! - ma[t]!;
        c++;
      }
      season.push(c > 0 ? s / c : NaN);
    }
    const mean = season.reduce((a, b) => a + b, 0) / m;
    season = season.map((v) => (r.seasonal === 'mul' ? v / mean : v - mean));
    base = ma.filter((v) => !Number.isNaN(v));
    if (base.length < 10) throw new RangeError(`${where}: ${n} values leave ${base.length} seasonally adjusted values; 10 are needed`);
  }
  // Least-squares line through the first 10 values at x = 1…10; the level is its value at x = 0.
  let ybar = 0;
  for (let i = 0; i < 10; i++) ybar += base[i]!;
  ybar /= 10;
  let sxy = 0;
  for (let i = 0; i < 10; i++) sxy += (i + 1 - 5.5) * (base[i]! - ybar);
  const slope = sxy / 82.5;
  return { level: ybar - 5.5 * slope, trend: r.trend !== null ? slope : 0, season };
}

interface Params {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  l0: number;
  b0: number;
  s0: ArrayLike<number>;
}

/**
 * Run the recursions over y. Returns the SSE of the one-step errors and, with `states`, the
 * level, slope and season ring after every row (states[i] = after row i−1; index 0 = initial).
 */
function smooth(y: Float64Array, r: Resolved, p: Params, record?: { level: Float64Array; slope: Float64Array; season: Float64Array }): number {
  const { m } = r;
  const mul = r.seasonal === 'mul';
  const hasS = r.seasonal !== null;
  const { alpha, beta, gamma, phi } = p;
  // Season ring: s[i mod m] is the season of row i (statsmodels' s[i]).
  const s = new Float64Array(Math.max(m, 1));
  for (let j = 0; j < m; j++) s[j] = p.s0[j]!;
  let l = p.l0;
  let b = r.trend !== null ? p.b0 : 0;
  let sse = 0;
  const n = y.length;
  if (record !== undefined) {
    record.level[0] = l;
    record.slope[0] = b;
    if (hasS) record.season.set(s, 0);
  }
  for (let i = 0; i < n; i++) {
    const k = hasS ? i % m : 0;
    const si = hasS ? s[k]! : mul ? 1 : 0;
    const base = l + phi * b;
    const f = mul ? base * si : base + si;
    const e = y[i]! - f;
    sse += e * e;
    // Step i + 1 reads y[i].
    const lNew = alpha * (mul ? y[i]! / si : y[i]! - si) + (1 - alpha) * base;
    const bNew = beta * (lNew - l) + (1 - beta) * phi * b;
    if (hasS) s[k] = gamma * (mul ? y[i]! / base : y[i]! - base) + (1 - gamma) * si;
    l = lNew;
    b = r.trend !== null ? bNew : 0;
    if (record !== undefined) {
      record.level[i + 1] = l;
      record.slope[i + 1] = b;
      // After step i+1 the ring holds the seasons of rows i+1 … i+m, at index (row mod m).
      if (hasS) record.season.set(s, (i + 1) * m);
    }
  }
  return sse;
}

/**
 * The SSE of `smooth` and its gradient with respect to (α, β, γ, φ, l0, b0) in grad[0…5] and the
 * m initial seasons in grad[6…], by reverse-mode differentiation of the recursions (the forward
 * pass is smooth's arithmetic). `ring` holds the initial seasons (overwritten); `work` 3n values.
 */
function sseGrad(y: Float64Array, r: Resolved, alpha: number, beta: number, gamma: number, phi: number, l0: number, b0: number, ring: Float64Array, grad: Float64Array, work: Float64Array): number {
  const { m } = r;
  const mul = r.seasonal === 'mul';
  const hasS = r.seasonal !== null;
  const hasT = r.trend !== null;
  const n = y.length;
  const Ls = work.subarray(0, n);
  const Bs = work.subarray(n, 2 * n);
  const Ss = work.subarray(2 * n, 3 * n);
  let l = l0;
  let b = hasT ? b0 : 0;
  let sse = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const si = hasS ? ring[k]! : mul ? 1 : 0;
    Ls[i] = l;
    Bs[i] = b;
    Ss[i] = si;
    const base = l + phi * b;
    const f = mul ? base * si : base + si;
    const e = y[i]! - f;
    sse += e * e;
    const lNew = alpha * (mul ? y[i]! / si : y[i]! - si) + (1 - alpha) * base;
    const bNew = beta * (lNew - l) + (1 - beta) * phi * b;
    if (hasS) {
      ring[k] = gamma * (mul ? y[i]! / base : y[i]! - base) + (1 - gamma) * si;
      if (++k === m) k = 0;
    }
    l = lNew;
    b = hasT ? bNew : 0;
  }
  if (!Number.isFinite(sse)) return Infinity;
  let gA = 0;
  let gB = 0;
  let gG = 0;
  let gP = 0;
  let gl = 0;
  let gb = 0;
  const gs = grad.subarray(6, 6 + m);
  gs.fill(0);
  k = hasS ? (n - 1) % m : 0;
  for (let i = n - 1; i >= 0; i--) {
    const lp = Ls[i]!;
    const bp = Bs[i]!;
    const si = Ss[i]!;
    const yt = y[i]!;
    const base = lp + phi * bp;
    const f = mul ? base * si : base + si;
    const e = yt - f;
    const a = mul ? yt / si : yt - si;
    const lNew = alpha * a + (1 - alpha) * base;
    let gSi = 0;
    let gBase = 0;
    if (hasS) {
      const gsN = gs[k]!;
      gG += gsN * ((mul ? yt / base : yt - base) - si);
      gSi = gsN * (1 - gamma);
      gBase = gsN * gamma * (mul ? -yt / (base * base) : -1);
    }
    let gL = gl;
    let glPrev = 0;
    let gbPrev = 0;
    if (hasT) {
      gB += gb * (lNew - lp - phi * bp);
      gP += gb * (1 - beta) * bp;
      gL += gb * beta;
      glPrev = -gb * beta;
      gbPrev = gb * (1 - beta) * phi;
    }
    gA += gL * (a - base);
    gBase += gL * (1 - alpha);
    gSi += gL * alpha * (mul ? -yt / (si * si) : -1);
    const gf = -2 * e;
    gBase += gf * (mul ? si : 1);
    gSi += gf * (mul ? base : 1);
    glPrev += gBase;
    gbPrev += gBase * phi;
    gP += gBase * bp;
    gl = glPrev;
    gb = hasT ? gbPrev : 0;
    if (hasS) {
      gs[k] = gSi;
      k = k === 0 ? m - 1 : k - 1;
    }
  }
  grad[0] = gA;
  grad[1] = gB;
  grad[2] = gG;
  grad[3] = gP;
  grad[4] = gl;
  grad[5] = gb;
  return sse;
}

/**
 * The one-step SSE at given parameters and initial states and its gradient with respect to
 * (α, β, γ, φ, level, trend, the m initial seasons): the quantity the fit minimises, for checking
 * the analytic gradient against differences.
 */
export function holtWintersSseGradient(y: ArrayLike<number>, spec: HoltWintersSpec, params: Pick<HoltWintersModel, 'alpha' | 'beta' | 'gamma' | 'phi' | 'initialLevel' | 'initialTrend' | 'initialSeason'>): { sse: number; grad: Float64Array } {
  const where = 'holtWintersSseGradient';
  const r = resolveSpec(spec, where);
  const d = checkData(y, where);
  if (!Array.isArray(params.initialSeason) || params.initialSeason.length !== r.m) throw new RangeError(`${where}: initialSeason must be ${r.m} numbers, got ${show(params.initialSeason)}`);
  const grad = new Float64Array(6 + r.m);
  const sse = sseGrad(d, r, params.alpha, params.beta, params.gamma, params.phi, params.initialLevel, params.initialTrend, Float64Array.from(params.initialSeason), grad, new Float64Array(3 * d.length));
  return { sse, grad };
}

/**
 * Bounded Nelder–Mead: coordinates with a box are projected into it. Allocation-free after the
 * start (the simplex and the trial points live in d + 4 buffers that trade places): the fits call
 * it for tens of thousands of evaluations, and the arithmetic is the plain textbook one, so the
 * same start gives the same bits whatever the buffers.
 */
export function nelderMead(f: (x: Float64Array) => number, x0: Float64Array, step: Float64Array, lo: Float64Array, hi: Float64Array, maxEvals: number): { x: Float64Array; fx: number } {
  const d = x0.length;
  const clip = (x: Float64Array): Float64Array => {
    for (let i = 0; i < d; i++) x[i] = Math.min(hi[i]!, Math.max(lo[i]!, x[i]!));
    return x;
  };
  let pts: Float64Array[] = [clip(Float64Array.from(x0))];
  for (let i = 0; i < d; i++) {
    const p = Float64Array.from(x0);
    p[i] = p[i]! + step[i]!;
    if (p[i]! > hi[i]!) p[i] = x0[i]! - step[i]!;
    pts.push(clip(p));
  }
  let fs = Float64Array.from(pts, f);
  let evals = d + 1;
  const c = new Float64Array(d);
  let xr: Float64Array = new Float64Array(d);
  let xe: Float64Array = new Float64Array(d);
  let xc: Float64Array = new Float64Array(d);
  // The vertices' order by value: a stable insertion sort, the order Array.prototype.sort gives.
  const order = new Int32Array(d + 1);
  let pts2: Float64Array[] = pts.slice();
  let fs2 = new Float64Array(d + 1);
  const at = (t: number, worst: Float64Array, p: Float64Array): Float64Array => {
    for (let i = 0; i < d; i++) p[i] = c[i]! + t * (worst[i]! - c[i]!);
    return clip(p);
  };
  while (evals < maxEvals) {
    for (let i = 0; i <= d; i++) {
      let j = i;
      const fi = fs[i]!;
      while (j > 0 && fi < fs[order[j - 1]!]!) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }
    for (let i = 0; i <= d; i++) {
      pts2[i] = pts[order[i]!]!;
      fs2[i] = fs[order[i]!]!;
    }
    [pts, pts2] = [pts2, pts];
    [fs, fs2] = [fs2, fs];
    const fBest = fs[0]!;
    const fWorst = fs[d]!;
    // Converged: values within a relative 1e-12 and the simplex tiny.
    let size = 0;
    const p0 = pts[0]!;
    for (let k = 1; k <= d; k++) {
      const pk = pts[k]!;
      for (let i = 0; i < d; i++) size = Math.max(size, Math.abs(pk[i]! - p0[i]!));
    }
    if (Math.abs(fWorst - fBest) <= 1e-12 * Math.max(1, Math.abs(fBest)) && size < 1e-9) break;
    c.fill(0);
    for (let k = 0; k < d; k++) {
      const pk = pts[k]!;
      for (let i = 0; i < d; i++) c[i] = c[i]! + pk[i]! / d;
    }
    const worst = pts[d]!;
    at(-1, worst, xr);
    const fr = f(xr);
    evals++;
    if (fr < fBest) {
      at(-2, worst, xe);
      const fe = f(xe);
      evals++;
      if (fe < fr) {
        [pts[d], xe] = [xe, worst];
        fs[d] = fe;
      } else {
        [pts[d], xr] = [xr, worst];
        fs[d] = fr;
      }
    } else if (fr < fs[d - 1]!) {
      [pts[d], xr] = [xr, worst];
      fs[d] = fr;
    } else {
      const outside = fr < fWorst;
      at(outside ? -0.5 : 0.5, worst, xc);
      const fc = f(xc);
      evals++;
      if (fc < (outside ? fr : fWorst)) {
        [pts[d], xc] = [xc, worst];
        fs[d] = fc;
      } else {
        for (let k = 1; k <= d; k++) {
          const p = pts[k]!;
          for (let i = 0; i < d; i++) p[i] = p0[i]! + 0.5 * (p[i]! - p0[i]!);
          clip(p);
          fs[k] = f(p);
        }
        evals += d;
      }
    }
  }
  let best = 0;
  for (let k = 1; k <= d; k++) if (fs[k]! < fs[best]!) best = k;
  return { x: pts[best]!, fx: fs[best]! };
}

/**
 * Nelder–Mead from x (f(x) = fx), restarted from the best point until a restart no longer
 * improves by a relative 1e-10 (Nelder–Mead can stall on a flat or curved valley); 20 rounds at most.
 */
export function minimizeRestarted(f: (x: Float64Array) => number, x: Float64Array, fx: number, step: Float64Array, lo: Float64Array, hi: Float64Array): { x: Float64Array; fx: number } {
  const D = x.length;
  for (let round = 0; round < 20; round++) {
    const res = nelderMead(f, x, step, lo, hi, 400 * D);
    const gain = fx - res.fx;
    if (res.fx <= fx) {
      x = Float64Array.from(res.x);
      fx = res.fx;
    }
    if (round > 0 && !(gain > 1e-10 * Math.max(1, fx))) break;
  }
  return { x, fx };
}

/** Fit one Holt-Winters variant on y (every value is a training row). */
export function fitHoltWinters(y: ArrayLike<number>, spec: HoltWintersSpec = {}): HoltWintersModel {
  const where = 'fitHoltWinters';
  const r = resolveSpec(spec, where);
  const d = checkData(y, where);
  if (r.seasonal === 'mul') for (let i = 0; i < d.length; i++) if (!(d[i]! > 0)) throw new RangeError(`${where}: a multiplicative season needs positive values; value ${i} is ${d[i]}`);
  const init = initialStates(d, r, where);
  const { m } = r;
  const hasT = r.trend !== null;
  // Unknowns: u = (α, β, γ, φ) in the unit cube (statsmodels' restricted space), then the
  // initial level, trend and seasons in units of `scale` around the heuristic start.
  let mean = 0;
  for (let i = 0; i < d.length; i++) mean += d[i]!;
  mean /= d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i]! - mean) ** 2;
  const scale = Math.sqrt(v / d.length) || Math.abs(mean) || 1;
  const sScale = r.seasonal === 'mul' ? Math.max(scale / Math.abs(mean || 1), 1e-3) : scale;
  const iu = [0, hasT ? 1 : -1, r.seasonal !== null ? 2 : -1, r.damped ? 3 : -1].filter((i) => i >= 0);
  const D = iu.length + 1 + (hasT ? 1 : 0) + m;
  const lo = new Float64Array(D).fill(-Infinity);
  const hi = new Float64Array(D).fill(Infinity);
  for (let k = 0; k < iu.length; k++) {
    lo[k] = 0;
    hi[k] = 1;
  }
  const s0 = new Float64Array(m);
  const decode = (x: Float64Array): Params => {
    const u = [0, 0, 0, 1];
    iu.forEach((j, k) => (u[j] = x[k]!));
    const alpha = LOWER + u[0]! * (1 - 2 * LOWER);
    let o = iu.length;
    const l0 = init.level + scale * x[o++]!;
    const b0 = hasT ? init.trend + scale * x[o++]! : 0;
    for (let j = 0; j < m; j++) s0[j] = init.season[j]! + sScale * x[o++]!;
    return { alpha, beta: hasT ? u[1]! * alpha : 0, gamma: r.seasonal !== null ? u[2]! * (1 - alpha) : 0, phi: r.damped ? 0.8 + u[3]! * 0.195 : 1, l0, b0, s0 };
  };
  const objective = (x: Float64Array): number => {
    const p = decode(x);
    if (r.seasonal === 'mul' && (p.l0 <= 0 || Array.prototype.some.call(p.s0, (s: number) => s <= 0))) return Infinity;
    const sse = smooth(d, r, p);
    return Number.isFinite(sse) ? sse : Infinity;
  };
  // Start: statsmodels' default starting smoothing values (α = 0.5/m, β = 0.1α, γ = 0.05(1−α),
  // φ = 0.99), the best of a small grid of (α, β, γ) beside it, and the heuristic states.
  let x: Float64Array = new Float64Array(D);
  const startU = [0.5 / Math.max(m, 1), 0.1, 0.05, (0.99 - 0.8) / 0.195];
  iu.forEach((j, k) => (x[k] = startU[j]!));
  let fx = objective(x);
  const grid = [0.1, 0.3, 0.5, 0.7, 0.9];
  const tryU = (ua: number, ub: number, ug: number): void => {
    const cand = Float64Array.from(x);
    iu.forEach((j, k) => {
      if (j === 0) cand[k] = ua;
      else if (j === 1) cand[k] = ub;
      else if (j === 2) cand[k] = ug;
    });
    const fc = objective(cand);
    if (fc < fx) {
      x = cand;
      fx = fc;
    }
  };
  for (const a of grid) for (const b of hasT ? grid : [0]) for (const g of r.seasonal !== null ? grid : [0]) tryU(a, b, g);
  // The SSE and its gradient in the unknowns (the chain rule through decode's restricted space):
  // a bounded L-BFGS (lbfgs.ts) from the start instead of Nelder–Mead, which needed thousands of
  // evaluations per variant and, with a season of 52 (55 unknowns), most of a minute.
  const grad = new Float64Array(6 + m);
  const work = new Float64Array(3 * d.length);
  const ring = new Float64Array(Math.max(m, 1));
  const span = 1 - 2 * LOWER;
  const iA = iu.indexOf(0);
  const iB = iu.indexOf(1);
  const iG = iu.indexOf(2);
  const iP = iu.indexOf(3);
  const fg = (x: Float64Array, g: Float64Array): number => {
    const u0 = x[iA]!;
    const u1 = iB >= 0 ? x[iB]! : 0;
    const u2 = iG >= 0 ? x[iG]! : 0;
    const alpha = LOWER + u0 * span;
    let o = iu.length;
    const l0 = init.level + scale * x[o++]!;
    const b0 = hasT ? init.trend + scale * x[o++]! : 0;
    for (let j = 0; j < m; j++) ring[j] = init.season[j]! + sScale * x[o++]!;
    if (r.seasonal === 'mul') {
      if (l0 <= 0) return Infinity;
      for (let j = 0; j < m; j++) if (ring[j]! <= 0) return Infinity;
    }
    const beta = hasT ? u1 * alpha : 0;
    const gamma = r.seasonal !== null ? u2 * (1 - alpha) : 0;
    const phi = r.damped ? 0.8 + x[iP]! * 0.195 : 1;
    const f = sseGrad(d, r, alpha, beta, gamma, phi, l0, b0, ring, grad, work);
    if (!Number.isFinite(f)) return Infinity;
    g[iA] = (grad[0]! + grad[1]! * u1 - grad[2]! * u2) * span;
    if (iB >= 0) g[iB] = grad[1]! * alpha;
    if (iG >= 0) g[iG] = grad[2]! * (1 - alpha);
    if (iP >= 0) g[iP] = grad[3]! * 0.195;
    o = iu.length;
    g[o++] = scale * grad[4]!;
    if (hasT) g[o++] = scale * grad[5]!;
    for (let j = 0; j < m; j++) g[o++] = sScale * grad[6 + j]!;
    return f;
  };
  const res = minimizeBounded(fg, x, lo, hi);
  if (res.fx <= fx) x = res.x;
  const p = decode(x);
  const n = d.length;
  const rec = { level: new Float64Array(n + 1), slope: new Float64Array(n + 1), season: new Float64Array((n + 1) * m) };
  const sse = smooth(d, r, p, rec);
  const k = m * (r.seasonal !== null ? 1 : 0) + 2 * (hasT ? 1 : 0) + 2 + (r.damped ? 1 : 0);
  const aic = n * Math.log(sse / n) + 2 * k;
  const dof = n - k - 3;
  return {
    trend: r.trend,
    damped: r.damped,
    seasonal: r.seasonal,
    period: m,
    alpha: p.alpha,
    beta: p.beta,
    gamma: p.gamma,
    phi: p.phi,
    initialLevel: p.l0,
    initialTrend: p.b0,
    initialSeason: Array.from(p.s0),
    n,
    sse,
    aic,
    aicc: aic + (dof > 0 ? (2 * (k + 2) * (k + 3)) / dof : Infinity),
    bic: n * Math.log(sse / n) + k * Math.log(n),
    level: rec.level[n]!,
    slope: rec.slope[n]!,
    season: seasonsAfter(rec.season, n, m),
  };
}

/** The seasons of rows e…e+m−1 from the ring stored after row e−1 (ring index = row mod m). */
export function seasonsAfter(ring: Float64Array, e: number, m: number): number[] {
  return Array.from({ length: m }, (_, j) => ring[e * m + ((e + j) % m)]!);
}

export interface SelectHoltWintersOptions {
  /** Season length; omitted: only non-seasonal variants. Not with `candidates`. */
  period?: number;
  /** Variants to choose among; default: trend none/additive/damped × season none/add/mul (mul only for positive series). */
  candidates?: readonly HoltWintersSpec[];
}

/** Fit every candidate on y and keep the lowest AICc (statsmodels' formula). */
export function selectHoltWinters(y: ArrayLike<number>, options: SelectHoltWintersOptions = {}): HoltWintersModel {
  const where = 'selectHoltWinters';
  checkOptions(options, ['period', 'candidates'], where);
  const d = checkData(y, where);
  let cands: HoltWintersSpec[];
  if (options.candidates !== undefined) {
    // Each candidate carries its own period; a second one beside them would go unused.
    if (options.period !== undefined) throw new RangeError(`${where}: period and candidates together; give the period inside each seasonal candidate`);
    if (!Array.isArray(options.candidates) || options.candidates.length === 0) throw new RangeError(`${where}: candidates must be a non-empty array of specs, got ${show(options.candidates)}`);
    cands = [...options.candidates];
  } else {
    const positive = d.every((v) => v > 0);
    const seasons: HoltWintersSeason[] = options.period === undefined ? [null] : positive ? [null, 'add', 'mul'] : [null, 'add'];
    cands = [];
    for (const [trend, damped] of [[null, false], ['add', false], ['add', true]] as const) for (const seasonal of seasons) cands.push({ trend, damped, seasonal, ...(seasonal !== null ? { period: options.period } : {}) });
  }
  let best: HoltWintersModel | undefined;
  for (const c of cands) {
    const fit = fitHoltWinters(d, c);
    if (best === undefined || fit.aicc < best.aicc) best = fit;
  }
  return best!;
}

/** Forecast `steps` values after the last training row. */
export function holtWintersForecast(model: HoltWintersModel, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`holtWintersForecast: steps must be a positive integer, got ${show(steps)}`);
  return forecastFrom(model, model.level, model.slope, model.season, steps);
}

/** Forecasts (l + (φ + … + φ^h)·b) ⊕ season[h−1 mod m] for h = 1…steps into out[at…]; season: the seasons of the next m rows. */
export function forecastFrom(model: Pick<HoltWintersModel, 'phi' | 'period' | 'seasonal'>, l: number, b: number, season: ArrayLike<number>, steps: number, out = new Float64Array(steps), at = 0): Float64Array {
  const { phi, period: m } = model;
  let damp = 0;
  let pw = 1;
  for (let h = 1; h <= steps; h++) {
    pw *= phi;
    damp += pw;
    const base = l + damp * b;
    const s = model.seasonal === null ? 0 : season[(h - 1) % m]!;
    out[at + h - 1] = model.seasonal === 'mul' ? base * s : base + s;
  }
  return out;
}

/**
 * Rolling-origin forecasts with the model's parameters fixed: the states run from the model's
 * initial states through `y` (the training rows first, as fitted, then the rest), and from every
 * origin e (the last row seen) `horizon` values are forecast. [origins.length · horizon],
 * origin-major, as Forecaster.evaluate.
 */
export function holtWintersRolling(model: HoltWintersModel, y: ArrayLike<number>, origins: readonly number[], horizon: number): Float64Array {
  const where = 'holtWintersRolling';
  const d = checkData(y, where);
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`${where}: horizon must be a positive integer, got ${show(horizon)}`);
  const r: Resolved = { trend: model.trend, damped: model.damped, seasonal: model.seasonal, m: model.period };
  const n = d.length;
  const m = model.period;
  const rec = { level: new Float64Array(n + 1), slope: new Float64Array(n + 1), season: new Float64Array((n + 1) * m) };
  smooth(d, r, { alpha: model.alpha, beta: model.beta, gamma: model.gamma, phi: model.phi, l0: model.initialLevel, b0: model.initialTrend, s0: model.initialSeason }, rec);
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((e, k) => {
    if (!Number.isInteger(e) || e < 0 || e >= n) throw new RangeError(`${where}: origin ${show(e)} is outside rows 0…${n - 1}`);
    forecastFrom(model, rec.level[e + 1]!, rec.slope[e + 1]!, seasonsAfter(rec.season, e + 1, m), horizon, out, k * horizon);
  });
  return out;
}

/** States after every row: level[i], slope[i] after row i−1 (index 0 = initial); season: m values per index, the ring (row mod m) after row i−1. */
export interface HoltWintersStates {
  level: Float64Array;
  slope: Float64Array;
  season: Float64Array;
}

/** Run a fitted model's recursions (parameters fixed) over y from its initial states, recording the states after every row. */
export function holtWintersStates(model: HoltWintersModel, y: ArrayLike<number>): HoltWintersStates {
  const d = checkData(y, 'holtWintersStates');
  const m = model.period;
  const n = d.length;
  const rec = { level: new Float64Array(n + 1), slope: new Float64Array(n + 1), season: new Float64Array((n + 1) * m) };
  smooth(d, { trend: model.trend, damped: model.damped, seasonal: model.seasonal, m }, { alpha: model.alpha, beta: model.beta, gamma: model.gamma, phi: model.phi, l0: model.initialLevel, b0: model.initialTrend, s0: model.initialSeason }, rec);
  return rec;
}

/** Check a HoltWintersModel read from a file (every field present, finite, parameters in range); returns it typed. */
export function checkHoltWintersModel(json: unknown, where: string): HoltWintersModel {
  const j = json as Record<string, unknown> | null;
  if (j === null || typeof j !== 'object') throw new RangeError(`${where}: not a Holt-Winters model: ${show(json)}`);
  const num = (k: string): number => {
    const v = j[k];
    // An exact fit (sse 0: a straight line) has criteria of −∞, and aicc is ∞ for short series; JSON writes both as null.
    if ((k === 'aic' || k === 'aicc' || k === 'bic') && v === null && j.sse === 0) return -Infinity;
    if (k === 'aicc' && v === null) return Infinity;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${where}: Holt-Winters field '${k}' must be a finite number, got ${show(v)}`);
    return v;
  };
  const r = resolveSpec({ trend: j.trend as HoltWintersTrend, damped: j.damped as boolean, seasonal: j.seasonal as HoltWintersSeason, ...(j.seasonal !== null ? { period: j.period as number } : {}) }, where);
  const arr = (k: string, len: number): number[] => {
    const v = j[k];
    if (!Array.isArray(v) || v.length !== len || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new RangeError(`${where}: Holt-Winters field '${k}' must be ${len} finite numbers`);
    return [...(v as number[])];
  };
  const out: HoltWintersModel = {
    trend: r.trend,
    damped: r.damped,
    seasonal: r.seasonal,
    period: r.m,
    alpha: num('alpha'),
    beta: num('beta'),
    gamma: num('gamma'),
    phi: num('phi'),
    initialLevel: num('initialLevel'),
    initialTrend: num('initialTrend'),
    initialSeason: arr('initialSeason', r.m),
    n: num('n'),
    sse: num('sse'),
    aic: num('aic'),
    aicc: num('aicc'),
    bic: num('bic'),
    level: num('level'),
    slope: num('slope'),
    season: arr('season', r.m),
  };
  if (!(out.alpha > 0 && out.alpha < 1) || out.beta < 0 || out.beta > out.alpha || out.gamma < 0 || out.gamma > 1 || !(out.phi > 0 && out.phi <= 1)) throw new RangeError(`${where}: Holt-Winters parameters out of range (alpha ${out.alpha}, beta ${out.beta}, gamma ${out.gamma}, phi ${out.phi})`);
  return out;
}
