/**
 * Seasonal ARIMA(p,d,q)(P,D,Q)s with optional exogenous regressors, fitted by exact Gaussian
 * maximum likelihood through a Kalman filter, as statsmodels' `SARIMAX(endog, exog, order,
 * seasonal_order).fit()` does with its defaults (trend none, enforce_stationarity and
 * enforce_invertibility on, simple_differencing off, mle_regression on, no measurement error).
 * Browser-safe; the filter and the optimiser are ours.
 *
 * Model: φ(L)Φ(L^s) Δ^d Δ_s^D (y_t − x_t'β) = θ(L)Θ(L^s) ε_t, ε_t ~ N(0, σ²).
 * State space (statsmodels' layout, Durbin & Koopman 3.4): the first d + D·s states carry the
 * differencing (so forecasts come out in levels), the next k = max(p + P·s, q + Q·s + 1) an
 * ARMA block in Harvey's form (transition: the multiplied AR polynomial down the first column,
 * ones above the diagonal; selection: 1 and the multiplied MA polynomial). Observation:
 * y_t = Z a_t + x_t'β, no observation noise.
 * Initialisation (statsmodels' default, `use_exact_diffuse=False`): state mean 0; the
 * differencing states approximate-diffuse with variance 1e6 (not scaled by σ²); the ARMA block
 * at its stationary covariance (P = T P T' + σ² R R', solved by doubling); the first d + D·s
 * log-likelihood terms are left out (loglikelihood_burn).
 * Parameters (statsmodels' order and names): x1…xk, ar.L1…, ma.L1…, ar.S.Ls…, ma.S.Ls…, sigma2.
 * The optimiser works in statsmodels' unconstrained space (Monahan/Jones: AR and seasonal AR
 * through constrain_stationary_univariate, MA and seasonal MA through its negation) with log σ²,
 * and maximises the log-likelihood by Nelder–Mead with restarts (holtWinters' minimizeRestarted)
 * from statsmodels' conditional-sum-of-squares start and two more starts, keeping the best: the
 * likelihood can have several maxima (on CO2, statsmodels' L-BFGS from its start stops at a lower
 * one; see test/sarima.test.ts).
 * AIC = −2 loglik + 2k, BIC = −2 loglik + k·ln(n − burn), AICc = AIC + 2k(k+1)/(n − burn − k − 1)
 * (k counts σ²; statsmodels' nobs_effective = n − burn).
 */
import { checkOptions, show } from '../core/errors.js';
import { checkData, nelderMead } from './holtWinters.js';

export type SarimaOrder = readonly [p: number, d: number, q: number];
export type SarimaSeasonalOrder = readonly [P: number, D: number, Q: number, s: number];

export interface SarimaSpec {
  /** (p, d, q); default (1, 0, 0) as statsmodels. */
  order?: SarimaOrder;
  /** (P, D, Q, s); default (0, 0, 0, 0): no season. */
  seasonalOrder?: SarimaSeasonalOrder;
  /** Deterministic trend: only 'n' (none, statsmodels' default) is supported. */
  trend?: 'n' | null;
  /** statsmodels' options, accepted at their defaults only (anything else is refused by name). */
  enforceStationarity?: true;
  enforceInvertibility?: true;
  simpleDifferencing?: false;
  measurementError?: false;
  concentrateScale?: false;
  useExactDiffuse?: false;
}

export interface SarimaFitOptions extends SarimaSpec {
  /** Exogenous regressors: one row of k values per observation (statsmodels' exog). */
  exog?: readonly (readonly number[])[];
  /**
   * fitSarima only: the one starting point (constrained, statsmodels' order, as its
   * `fit(start_params=…)`). Default: statsmodels' conditional-sum-of-squares start and the best
   * point of a coarse grid, the better of the two fits kept.
   */
  startParams?: ArrayLike<number>;
}

export interface SarimaModel {
  order: [number, number, number];
  seasonalOrder: [number, number, number, number];
  /** Number of exogenous regressors. */
  exog: number;
  /** statsmodels' parameter names, in order. */
  paramNames: string[];
  /** Parameters in statsmodels' order (exog, ar, ma, seasonal ar, seasonal ma, sigma2). */
  params: number[];
  loglik: number;
  aic: number;
  aicc: number;
  bic: number;
  /** Training rows. */
  n: number;
  /** Log-likelihood terms left out (d + D·s). */
  burn: number;
  /** Set when the exogenous regressors are Fourier pairs of a long period (rows): names the model. */
  fourier?: { period: number; pairs: number };
  /** Set by `order: 'auto'`: the orders fitted, in order, with their criterion value (∞: too few rows or no finite likelihood). */
  search?: { criterion: SarimaCriterion; fits: { order: [number, number, number]; seasonalOrder: [number, number, number, number]; value: number }[] };
}

export type SarimaCriterion = 'aicc' | 'aic' | 'bic';

/** fitSarima's `auto` options (with `order: 'auto'`). */
export interface SarimaAutoOptions {
  /** Season length s ≥ 2: the seasonal orders P, Q are searched too (D fixed). Default: none. */
  season?: number;
  /** Differencing order, fixed (default 1; no unit-root test is run). */
  d?: number;
  /** Seasonal differencing order, fixed (default 1 with a season; only with a season). */
  D?: number;
  /** Largest p and q (default 2 each) and seasonal P and Q (default 1 each). */
  maxP?: number;
  maxQ?: number;
  maxSeasonalP?: number;
  maxSeasonalQ?: number;
  /** What the search minimises: 'aicc' (default, as pmdarima's information_criterion 'aicc'), 'aic' or 'bic'. */
  criterion?: SarimaCriterion;
  /** Fits at most (default 16): each costs what one fitSarima does (under a second of CPU for the airline model on CO2's 593 rows: 0.8 s measured at load 5 on 2 cores). */
  maxFits?: number;
}

/** fitSarima with an AIC-type order search instead of a given order. */
export type SarimaAutoFitOptions = Omit<SarimaFitOptions, 'order' | 'seasonalOrder' | 'startParams'> & { order: 'auto'; auto?: SarimaAutoOptions };

/** statsmodels' approximate-diffuse variance (Representation.initial_variance). */
const DIFFUSE = 1e6;
/** More states than this make the filter too slow to be a baseline (e.g. a daily season of 365). */
const MAX_STATES = 160;

const DEFAULTS: Readonly<Record<string, unknown>> = {
  enforceStationarity: true,
  enforceInvertibility: true,
  simpleDifferencing: false,
  measurementError: false,
  concentrateScale: false,
  useExactDiffuse: false,
};

interface Resolved {
  p: number;
  d: number;
  q: number;
  P: number;
  D: number;
  Q: number;
  s: number;
  kx: number;
  /** Differencing states (d + D·s) = log-likelihood burn. */
  kd: number;
  /** ARMA block size. */
  ko: number;
  k: number;
  names: string[];
}

function resolveSpec(spec: SarimaSpec & { exog?: unknown }, kx: number, where: string, extra: readonly string[] = []): Resolved {
  checkOptions(spec, ['order', 'seasonalOrder', 'trend', ...Object.keys(DEFAULTS), ...extra], where);
  for (const [key, def] of Object.entries(DEFAULTS)) {
    const v = (spec as Record<string, unknown>)[key];
    if (v !== undefined && v !== def) throw new RangeError(`${where}: ${key} ${show(v)} is not supported (only statsmodels' default, ${def})`);
  }
  if (spec.trend !== undefined && spec.trend !== null && spec.trend !== 'n') throw new RangeError(`${where}: trend ${show(spec.trend)} is not supported (only 'n', no deterministic trend)`);
  const ints = (v: unknown, len: number, name: string): number[] => {
    if (!Array.isArray(v) || v.length !== len || !v.every((x) => Number.isInteger(x) && x >= 0)) throw new RangeError(`${where}: ${name} must be ${len} non-negative integers, got ${show(v)}`);
    return v as number[];
  };
  const [p, d, q] = ints(spec.order ?? [1, 0, 0], 3, 'order (p, d, q)') as [number, number, number];
  const [P, D, Q, s] = ints(spec.seasonalOrder ?? [0, 0, 0, 0], 4, 'seasonalOrder (P, D, Q, s)') as [number, number, number, number];
  if (P + D + Q > 0 && s < 2) throw new RangeError(`${where}: seasonalOrder (${P}, ${D}, ${Q}, ${s}) needs a season length s ≥ 2`);
  if (P + D + Q === 0 && s !== 0 && s < 2) throw new RangeError(`${where}: season length s must be 0 or ≥ 2, got ${s}`);
  const kd = d + D * s;
  const ko = Math.max(p + P * s, q + Q * s + 1);
  const k = kd + ko;
  if (k > MAX_STATES) throw new RangeError(`${where}: order (${p}, ${d}, ${q})(${P}, ${D}, ${Q}, ${s}) needs ${k} states; at most ${MAX_STATES} are supported (a long season is better modelled with Fourier terms as exog)`);
  const names: string[] = [];
  for (let j = 1; j <= kx; j++) names.push(`x${j}`);
  for (let j = 1; j <= p; j++) names.push(`ar.L${j}`);
  for (let j = 1; j <= q; j++) names.push(`ma.L${j}`);
  for (let j = 1; j <= P; j++) names.push(`ar.S.L${j * s}`);
  for (let j = 1; j <= Q; j++) names.push(`ma.S.L${j * s}`);
  names.push('sigma2');
  return { p, d, q, P, D, Q, s, kx, kd, ko, k, names };
}

function checkExog(exog: unknown, rows: number, kx: number | undefined, where: string): Float64Array[] {
  if (exog === undefined) {
    if (kx !== undefined && kx > 0) throw new RangeError(`${where}: the model has ${kx} exogenous regressors; exog is missing`);
    return [];
  }
  if (!Array.isArray(exog)) throw new TypeError(`${where}: exog must be an array of rows, got ${show(exog)}`);
  if (exog.length < rows) throw new RangeError(`${where}: exog has ${exog.length} rows; ${rows} are needed`);
  const width = kx ?? (exog[0] as unknown[] | undefined)?.length ?? 0;
  if (kx === undefined && !(width > 0)) throw new RangeError(`${where}: exog rows must have at least one value`);
  return exog.map((row: unknown, t: number) => {
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) throw new TypeError(`${where}: exog row ${t} must be an array, got ${show(row)}`);
    const r = Float64Array.from(row as ArrayLike<number>);
    if (r.length !== width) throw new RangeError(`${where}: exog row ${t} has ${r.length} values; ${width} expected`);
    for (let j = 0; j < width; j++) if (!Number.isFinite(r[j]!)) throw new RangeError(`${where}: exog row ${t} value ${j} is ${show((row as ArrayLike<unknown>)[j])}; SARIMA needs finite values`);
    return r;
  });
}

/** statsmodels' constrain_stationary_univariate: unconstrained reals → a stationary AR polynomial's coefficients. */
export function constrainStationary(u: ArrayLike<number>): Float64Array {
  const n = u.length;
  const y: Float64Array[] = Array.from({ length: n }, () => new Float64Array(n));
  for (let k = 0; k < n; k++) {
    const r = u[k]! / Math.sqrt(1 + u[k]! * u[k]!);
    for (let i = 0; i < k; i++) y[k]![i] = y[k - 1]![i]! + r * y[k - 1]![k - i - 1]!;
    y[k]![k] = r;
  }
  return n === 0 ? new Float64Array(0) : y[n - 1]!.map((v) => -v);
}

/** statsmodels' unconstrain_stationary_univariate (the inverse of constrainStationary). */
export function unconstrainStationary(c: ArrayLike<number>): Float64Array {
  const n = c.length;
  if (n === 0) return new Float64Array(0);
  const y: Float64Array[] = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) y[n - 1]![i] = -c[i]!;
  for (let k = n - 1; k > 0; k--) {
    for (let i = 0; i < k; i++) y[k - 1]![i] = (y[k]![i]! - y[k]![k]! * y[k]![k - i - 1]!) / (1 - y[k]![k]! ** 2);
  }
  return Float64Array.from({ length: n }, (_, i) => {
    const r = y[i]![i]!;
    return r / Math.sqrt(1 - r * r);
  });
}

/** Whether x_t = Σ φ_i x_{t−i} + e_t is stationary (Levinson step-down: every reflection coefficient inside (−1, 1)). */
function isStationary(phi: ArrayLike<number>): boolean {
  let a = Array.from(phi);
  for (let k = a.length; k > 0; k--) {
    const r = a[k - 1]!;
    if (!(Math.abs(r) < 1)) return false;
    const next: number[] = [];
    for (let i = 0; i < k - 1; i++) next.push((a[i]! + r * a[k - 2 - i]!) / (1 - r * r));
    a = next;
  }
  return true;
}

interface Parts {
  beta: Float64Array;
  ar: Float64Array;
  ma: Float64Array;
  sar: Float64Array;
  sma: Float64Array;
  sigma2: number;
}

function split(r: Resolved, params: ArrayLike<number>): Parts {
  let o = 0;
  const take = (n: number): Float64Array => {
    const out = Float64Array.from({ length: n }, (_, i) => params[o + i]!);
    o += n;
    return out;
  };
  return { beta: take(r.kx), ar: take(r.p), ma: take(r.q), sar: take(r.P), sma: take(r.Q), sigma2: params[o]! };
}

/** Coefficients of (1 + Σ a_i L^i)(1 + Σ b_j L^{js}) with signs given (sign −1 for AR polynomials). */
function polyProduct(a: Float64Array, b: Float64Array, s: number, sign: number): Float64Array {
  const out = new Float64Array(a.length + b.length * s + 1);
  const pa = [1, ...Array.from(a, (v) => sign * v)];
  const pb = [1, ...Array.from(b, (v) => sign * v)];
  for (let i = 0; i < pa.length; i++) for (let j = 0; j < pb.length; j++) out[i + j * s] = out[i + j * s]! + pa[i]! * pb[j]!;
  return out;
}

/** The state-space system at given (constrained) parameters: sparse transition by rows, design indices, selection. */
interface System {
  k: number;
  /** Transition rows: entries rowStart[i]…rowStart[i+1]−1 of cols/vals. */
  rowStart: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  /** Design: the states the observation sums (every coefficient is 1). */
  z: Int32Array;
  /** Selection (k): σ² R R' is the state noise covariance. */
  R: Float64Array;
  sigma2: number;
  beta: Float64Array;
}

function buildSystem(r: Resolved, params: ArrayLike<number>): System {
  const { d, D, s, kd, ko, k } = r;
  const parts = split(r, params);
  const arPoly = polyProduct(parts.ar, parts.sar, s, -1);
  const maPoly = polyProduct(parts.ma, parts.sma, s, 1);
  const T: Float64Array[] = Array.from({ length: k }, () => new Float64Array(k));
  // ARMA block: reduced AR coefficients down its first column, ones above the diagonal.
  for (let i = 0; i < ko; i++) if (i + 1 < arPoly.length) T[kd + i]![kd] = -arPoly[i + 1]!;
  for (let i = 0; i + 1 < ko; i++) T[kd + i]![kd + i + 1] = 1;
  // Seasonal differencing blocks (statsmodels' initial_transition, including its loop that sets one cell).
  for (let dd = 0; dd < D; dd++) {
    const st = d + dd * s;
    const en = st + s;
    for (let i = 0; i + 1 < s; i++) T[st + i + 1]![st + i] = 1;
    T[st]![st + s - 1] = 1;
    if (dd + 1 < D) T[st]![en + s - 1] = 1;
    T[st]![kd] = 1;
  }
  // Simple differencing: upper-triangular ones, the seasonal blocks' last states, the ARMA state.
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) T[i]![j] = 1;
    for (let dd = 0; dd < D; dd++) T[i]![d + dd * s + s - 1] = 1;
    T[i]![kd] = 1;
  }
  const rowStart = new Int32Array(k + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (T[i]![j] !== 0) {
        cols.push(j);
        vals.push(T[i]![j]!);
      }
    }
    rowStart[i + 1] = cols.length;
  }
  const z: number[] = [];
  for (let i = 0; i < d; i++) z.push(i);
  for (let dd = 0; dd < D; dd++) z.push(d + dd * s + s - 1);
  z.push(kd);
  const R = new Float64Array(k);
  for (let i = 0; i < ko && i < maPoly.length; i++) R[kd + i] = maPoly[i]!;
  return { k, rowStart, cols: Int32Array.from(cols), vals: Float64Array.from(vals), z: Int32Array.from(z), R, sigma2: parts.sigma2, beta: parts.beta };
}

/** Dense n×n product a·b (row-major). */
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < n; l++) {
      const v = a[i * n + l]!;
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + v * b[l * n + j]!;
    }
  }
  return out;
}

/**
 * Stationary covariance of the ARMA block: P = A P A' + Q by doubling (P ← P + A P A', A ← A²),
 * which converges as the spectral radius of A to the power 2^iterations.
 */
function stationaryCovariance(sys: System, kd: number, ko: number): Float64Array {
  let A: Float64Array = new Float64Array(ko * ko);
  for (let i = 0; i < ko; i++) {
    for (let e = sys.rowStart[kd + i]!; e < sys.rowStart[kd + i + 1]!; e++) A[i * ko + sys.cols[e]! - kd] = sys.vals[e]!;
  }
  let P = new Float64Array(ko * ko);
  for (let i = 0; i < ko; i++) for (let j = 0; j < ko; j++) P[i * ko + j] = sys.sigma2 * sys.R[kd + i]! * sys.R[kd + j]!;
  for (let it = 0; it < 100; it++) {
    let size = 0;
    for (let i = 0; i < A.length; i++) size = Math.max(size, Math.abs(A[i]!));
    if (size === 0) break;
    const AP = matmul(A, P, ko);
    const At = new Float64Array(ko * ko);
    for (let i = 0; i < ko; i++) for (let j = 0; j < ko; j++) At[j * ko + i] = A[i * ko + j]!;
    const APA = matmul(AP, At, ko);
    let change = 0;
    let scale = 0;
    for (let i = 0; i < P.length; i++) {
      P[i] = P[i]! + APA[i]!;
      change = Math.max(change, Math.abs(APA[i]!));
      scale = Math.max(scale, Math.abs(P[i]!));
    }
    if (!Number.isFinite(scale)) return P;
    if (change <= 1e-17 * scale) break;
    A = matmul(A, A, ko);
  }
  return P;
}

interface FilterOut {
  loglik: number;
  /** Log-likelihood terms counted. */
  count: number;
}

/**
 * The conventional Kalman filter over y (minus x'β), statsmodels' default initialisation; the
 * log-likelihood of rows burn…n−1. `each(t, a)` sees the filtered state a_{t|t} after row t.
 */
function kalman(r: Resolved, sys: System, y: Float64Array, exog: Float64Array[], each?: (t: number, a: Float64Array) => void): FilterOut {
  const { k, kd, ko } = r;
  const { rowStart, cols, vals, z, R, sigma2, beta } = sys;
  const a = new Float64Array(k);
  let P = new Float64Array(k * k);
  for (let i = 0; i < kd; i++) P[i * k + i] = DIFFUSE;
  const S = stationaryCovariance(sys, kd, ko);
  for (let i = 0; i < ko; i++) for (let j = 0; j < ko; j++) P[(kd + i) * k + kd + j] = S[i * ko + j]!;
  const pz = new Float64Array(k);
  let Pn = new Float64Array(k * k);
  // The transition's structure: most rows of T are a single 1 (the differencing and ARMA shifts),
  // so most rows of M = T Pf are rows of the filtered covariance Pf as they are (1·x is x, the
  // same bits), and those entries of Pf are computed where Pn reads them, not stored. W holds the
  // rows of Pf that the other rows of M mix (in their own rows), then those rows of M, then a zero
  // row (a row of T with no entry); mRow[i] is where a mixed or empty row i of M starts in W.
  // one[c] is the column of row c's single 1, or −1: then Pn's column c sums over row c's entries.
  const mRow = new Int32Array(k);
  const one = new Int32Array(k);
  const mixed: number[] = [];
  for (let i = 0; i < k; i++) {
    const e0 = rowStart[i]!;
    const single = rowStart[i + 1]! === e0 + 1 && vals[e0] === 1;
    one[i] = single ? cols[e0]! : -1;
    if (!single && rowStart[i + 1]! > e0) mixed.push(i);
  }
  const W = new Float64Array((k + mixed.length + 1) * k);
  const zeroRow = (k + mixed.length) * k;
  for (let i = 0; i < k; i++) mRow[i] = zeroRow;
  mixed.forEach((i, u) => (mRow[i] = (k + u) * k));
  const pfRows = Int32Array.from(new Set(mixed.flatMap((i) => Array.from(cols.subarray(rowStart[i]!, rowStart[i + 1]!)))));
  const mixedRows = Int32Array.from(mixed);
  // pz / F, the factor of Pf's row: Pf = P − (pz / F) pz', row by row as statsmodels' update.
  const fz = new Float64Array(k);
  const an = new Float64Array(k);
  const nz = z.length;
  const LOG2PI = Math.log(2 * Math.PI);
  let loglik = 0;
  let count = 0;
  // Once the predicted covariance stops changing (statsmodels' test: squared change summed over
  // the matrix under 1e-19), F, P Z' and P stay as they are and only the state mean is filtered.
  let converged = false;
  let F = 0;
  // log F, taken once per F (after convergence F stays, and so does its logarithm).
  let logF = 0;
  for (let t = 0; t < y.length; t++) {
    // Forecast error and its variance: v = y − Z a − x'β, F = Z P Z'.
    let yhat = 0;
    for (let u = 0; u < nz; u++) yhat += a[z[u]!]!;
    if (beta.length > 0) {
      const x = exog[t]!;
      for (let j = 0; j < beta.length; j++) yhat += x[j]! * beta[j]!;
    }
    const v = y[t]! - yhat;
    if (!converged) {
      pz.fill(0);
      for (let u = 0; u < nz; u++) {
        const i = z[u]!;
        for (let j = 0; j < k; j++) pz[j] = pz[j]! + P[j * k + i]!;
      }
      F = 0;
      for (let u = 0; u < nz; u++) F += pz[z[u]!]!;
      logF = Math.log(F);
    }
    if (t >= kd) {
      loglik += -0.5 * (LOG2PI + logF + (v * v) / F);
      count++;
    }
    // Update: a ← a + P Z' v / F, Pf = P − P Z' Z P / F (the rows of Pf that mixed rows of M read).
    const g = v / F;
    for (let i = 0; i < k; i++) a[i] = a[i]! + pz[i]! * g;
    if (!converged) {
      for (let i = 0; i < k; i++) fz[i] = pz[i]! / F;
      for (let u = 0; u < pfRows.length; u++) {
        const i = pfRows[u]!;
        const f = fz[i]!;
        const row = i * k;
        for (let j = 0; j < k; j++) W[row + j] = P[row + j]! - f * pz[j]!;
      }
    }
    if (each !== undefined) each(t, a);
    // Predict: a ← T a, P ← T P T' + σ² R R' (T sparse; P kept symmetric as statsmodels forces).
    for (let i = 0; i < k; i++) {
      let sum = 0;
      for (let e = rowStart[i]!; e < rowStart[i + 1]!; e++) sum += vals[e]! * a[cols[e]!]!;
      an[i] = sum;
    }
    for (let i = 0; i < k; i++) a[i] = an[i]!;
    if (converged) continue;
    // The rows of M = T Pf that mix rows of Pf (the first entry sets the row).
    for (let u = 0; u < mixedRows.length; u++) {
      const i = mixedRows[u]!;
      const dst = mRow[i]!;
      const e0 = rowStart[i]!;
      let w = vals[e0]!;
      let src = cols[e0]! * k;
      for (let j = 0; j < k; j++) W[dst + j] = w * W[src + j]!;
      for (let e = e0 + 1; e < rowStart[i + 1]!; e++) {
        w = vals[e]!;
        src = cols[e]! * k;
        for (let j = 0; j < k; j++) W[dst + j] = W[dst + j]! + w * W[src + j]!;
      }
    }
    // Pn = M T' + σ² R R', upper triangle mirrored; a column of T' with a single 1 is a gather.
    let change = 0;
    for (let i = 0; i < k; i++) {
      const ri = sigma2 * R[i]!;
      const src = one[i]!;
      if (src >= 0) {
        // Row i of M is row src of Pf: its entries computed here.
        const f = fz[src]!;
        const ps = src * k;
        for (let c = i; c < k; c++) {
          let sum = ri * R[c]!;
          const o = one[c]!;
          if (o >= 0) sum += P[ps + o]! - f * pz[o]!;
          else for (let e = rowStart[c]!; e < rowStart[c + 1]!; e++) sum += vals[e]! * (P[ps + cols[e]!]! - f * pz[cols[e]!]!);
          Pn[i * k + c] = sum;
          Pn[c * k + i] = sum;
          const dlt = sum - P[i * k + c]!;
          change += c === i ? dlt * dlt : 2 * dlt * dlt;
        }
        continue;
      }
      const mi = mRow[i]!;
      for (let c = i; c < k; c++) {
        let sum = ri * R[c]!;
        const o = one[c]!;
        if (o >= 0) sum += W[mi + o]!;
        else for (let e = rowStart[c]!; e < rowStart[c + 1]!; e++) sum += vals[e]! * W[mi + cols[e]!]!;
        Pn[i * k + c] = sum;
        Pn[c * k + i] = sum;
        const dlt = sum - P[i * k + c]!;
        change += c === i ? dlt * dlt : 2 * dlt * dlt;
      }
    }
    [P, Pn] = [Pn, P];
    if (change < 1e-19) converged = true;
  }
  return { loglik, count };
}

/** Log-likelihood of y under the model at the given parameters (statsmodels' order, constrained), as statsmodels' `SARIMAX(...).loglike(params)`. */
export function sarimaLoglik(y: ArrayLike<number>, spec: SarimaFitOptions, params: ArrayLike<number>): number {
  const where = 'sarimaLoglik';
  const d = checkData(y, where, 'SARIMA');
  const ex = checkExog(spec.exog, d.length, undefined, where);
  const r = resolveSpec(spec, ex[0]?.length ?? 0, where, ['exog']);
  const np = r.names.length;
  if (params === null || typeof params !== 'object' || params.length !== np) throw new RangeError(`${where}: expected ${np} parameters (${r.names.join(', ')}), got ${show(params)}`);
  for (let i = 0; i < np; i++) if (!Number.isFinite(params[i]!)) throw new RangeError(`${where}: parameter ${r.names[i]} is ${show(params[i])}`);
  if (!(params[np - 1]! > 0)) throw new RangeError(`${where}: sigma2 must be positive, got ${params[np - 1]}`);
  if (d.length <= r.kd) throw new RangeError(`${where}: ${d.length} values; order (${r.p}, ${r.d}, ${r.q})(${r.P}, ${r.D}, ${r.Q}, ${r.s}) burns the first ${r.kd}`);
  return kalman(r, buildSystem(r, params), d, ex).loglik;
}

/** Differencing (1 − L)^d (1 − L^s)^D of a series, as statsmodels' tools.diff. */
function difference(y: Float64Array, d: number, D: number, s: number): Float64Array {
  let x = y;
  for (let i = 0; i < D; i++) x = x.subarray(s).map((v, t) => v - x[t]!);
  for (let i = 0; i < d; i++) x = x.subarray(1).map((v, t) => v - x[t]!);
  return x;
}

/** Least squares X b = Y (X: rows of columns) by the normal equations; pinv-like for full column rank. */
function leastSquares(X: Float64Array[], Y: Float64Array): Float64Array {
  const c = X.length;
  const n = Y.length;
  const A = new Float64Array(c * c);
  const b = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    for (let j = i; j < c; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += X[i]![t]! * X[j]![t]!;
      A[i * c + j] = s;
      A[j * c + i] = s;
    }
    let s = 0;
    for (let t = 0; t < n; t++) s += X[i]![t]! * Y[t]!;
    b[i] = s;
  }
  // Gaussian elimination with partial pivoting; a singular column gets a zero coefficient.
  const idx = Array.from({ length: c }, (_, i) => i);
  for (let col = 0; col < c; col++) {
    let piv = col;
    for (let i = col + 1; i < c; i++) if (Math.abs(A[idx[i]! * c + col]!) > Math.abs(A[idx[piv]! * c + col]!)) piv = i;
    [idx[col], idx[piv]] = [idx[piv]!, idx[col]!];
    const pr = idx[col]!;
    const pv = A[pr * c + col]!;
    if (Math.abs(pv) < 1e-300) continue;
    for (let i = col + 1; i < c; i++) {
      const ri = idx[i]!;
      const f = A[ri * c + col]! / pv;
      if (f === 0) continue;
      for (let j = col; j < c; j++) A[ri * c + j] = A[ri * c + j]! - f * A[pr * c + j]!;
      b[ri] = b[ri]! - f * b[pr]!;
    }
  }
  const x = new Float64Array(c);
  for (let col = c - 1; col >= 0; col--) {
    const pr = idx[col]!;
    const pv = A[pr * c + col]!;
    if (Math.abs(pv) < 1e-300) continue;
    let s = b[pr]!;
    for (let j = col + 1; j < c; j++) s -= A[pr * c + j]! * x[j]!;
    x[col] = s / pv;
  }
  return x;
}

/** The column of lag L of x over rows from…x.length−1. */
const lagColumn = (x: Float64Array, lag: number, from: number): Float64Array => x.slice(from - lag, x.length - lag);

/**
 * statsmodels' SARIMAX._conditional_sum_squares: AR(2·q) residuals stand in for the shocks, then
 * one least-squares ARMA regression; lags are the polynomial's (1…p, or s, 2s, … for the season).
 */
function conditionalSumSquares(x: Float64Array, arLags: number[], maLags: number[]): { ar: Float64Array; ma: Float64Array; variance: number | null } {
  const kAr = arLags.length === 0 ? 0 : arLags[arLags.length - 1]!;
  const kMa = maLags.length === 0 ? 0 : maLags[maLags.length - 1]!;
  if (kAr + kMa === 0) return { ar: new Float64Array(0), ma: new Float64Array(0), variance: null };
  const k = 2 * kMa;
  const r = Math.max(k + kMa, kAr);
  // Too few rows for the regressions to be overdetermined (a season of 12 takes 36 + 3 differenced
  // rows): statsmodels then starts these coefficients at zero (it warns "Too few observations to
  // estimate starting parameters"), and so does this; fitSarima's grid of starts follows anyway.
  if (x.length < Math.max(r + arLags.length + maLags.length + 1, 2 * k + 1)) return { ar: new Float64Array(arLags.length), ma: new Float64Array(maLags.length), variance: null };
  let resid = new Float64Array(0);
  if (kMa > 0) {
    const X = Array.from({ length: k }, (_, j) => lagColumn(x, j + 1, k));
    const Y = x.slice(k);
    const b = leastSquares(X, Y);
    resid = Y.map((v, t) => v - X.reduce((s, col, j) => s + col[t]! * b[j]!, 0));
  }
  const Y = x.slice(r);
  // resid[u] is the residual of row u + k.
  const X = [...arLags.map((l) => lagColumn(x, l, r)), ...maLags.map((l) => resid.slice(r - k - l, resid.length - l))];
  const b = leastSquares(X, Y);
  const e = Y.map((v, t) => v - X.reduce((s, col, j) => s + col[t]! * b[j]!, 0));
  let ss = 0;
  for (let t = maLags.length; t < e.length; t++) ss += e[t]! * e[t]!;
  return { ar: b.slice(0, arLags.length), ma: b.slice(arLags.length), variance: e.length > 1 ? ss / (e.length - maLags.length) : null };
}

/** statsmodels' SARIMAX.start_params (constrained, statsmodels' order). */
function startParams(r: Resolved, y: Float64Array, exog: Float64Array[]): Float64Array {
  let x = difference(y, r.d, r.D, r.s);
  let beta: Float64Array = new Float64Array(0);
  if (r.kx > 0) {
    const cols = Array.from({ length: r.kx }, (_, j) => difference(Float64Array.from(exog.slice(0, y.length), (row) => row[j]!), r.d, r.D, r.s));
    beta = leastSquares(cols, x);
    x = x.map((v, t) => v - cols.reduce((s, c, j) => s + c[t]! * beta[j]!, 0));
  }
  const range = (n: number, step: number): number[] => Array.from({ length: n }, (_, i) => (i + 1) * step);
  const ns = conditionalSumSquares(x, range(r.p, 1), range(r.q, 1));
  const se = conditionalSumSquares(x, range(r.P, r.s), range(r.Q, r.s));
  // Starting values outside the stationary / invertible region are replaced by zeros (statsmodels warns).
  const fix = (v: Float64Array, sign: number): Float64Array => (isStationary(v.map((c) => sign * c)) ? v : v.map(() => 0));
  let variance = ns.variance ?? se.variance;
  if (variance === null) {
    let ss = 0;
    for (const v of x) ss += v * v;
    variance = ss / y.length;
  }
  return Float64Array.from([...beta, ...fix(ns.ar, 1), ...fix(ns.ma, -1), ...fix(se.ar, 1), ...fix(se.ma, -1), Math.max(variance, 1e-10)]);
}

/** Constrained parameters → the optimiser's unconstrained ones (β as is, Monahan/Jones, log σ²). */
function toFree(r: Resolved, c: ArrayLike<number>): Float64Array {
  const p = split(r, c);
  const neg = (v: Float64Array): Float64Array => v.map((x) => -x);
  return Float64Array.from([...p.beta, ...unconstrainStationary(p.ar), ...unconstrainStationary(neg(p.ma)), ...unconstrainStationary(p.sar), ...unconstrainStationary(neg(p.sma)), Math.log(p.sigma2)]);
}

function fromFree(r: Resolved, u: Float64Array): Float64Array {
  let o = 0;
  const take = (n: number): Float64Array => {
    const out = u.slice(o, o + n);
    o += n;
    return out;
  };
  const beta = take(r.kx);
  const ar = constrainStationary(take(r.p));
  const ma = constrainStationary(take(r.q)).map((x) => -x);
  const sar = constrainStationary(take(r.P));
  const sma = constrainStationary(take(r.Q)).map((x) => -x);
  return Float64Array.from([...beta, ...ar, ...ma, ...sar, ...sma, Math.exp(u[o]!)]);
}

/**
 * Rows a fit needs: the differencing, then past the longest lag (so every coefficient meets its
 * lag at least once) more rows than parameters. The airline model with a season of 12 takes 30
 * (six years of monthly rows have 51 in their training part, four years 33). The starting regressions need more
 * (3·MA order: 36 differenced rows for a seasonal MA of 12); below that their coefficients start
 * at zero, as statsmodels' do.
 */
function minRows(r: Resolved): number {
  return r.kd + Math.max(r.q, r.p, r.Q * r.s, r.P * r.s) + r.names.length + 1;
}

/** Rows with which the starting regressions are overdetermined (3·MA order or the AR order, then more rows than parameters): a budgeted fit (sarimaFitStart) keeps twice this at least. */
function cssRows(r: Resolved): number {
  return r.kd + Math.max(3 * r.q, r.p, 3 * r.Q * r.s, r.P * r.s) + r.names.length + 1;
}

/** The fewest rows fitSarima takes for a spec (its differencing, starting regressions and parameters). */
export function sarimaMinRows(spec: SarimaFitOptions): number {
  const kx = Array.isArray(spec.exog) && spec.exog.length > 0 ? (spec.exog[0]?.length ?? 0) : 0;
  return minRows(resolveSpec(spec, kx, 'sarimaMinRows', ['exog', 'startParams']));
}

/**
 * Fit SARIMA on y (every value a training row) by maximum likelihood; see the module comment.
 * `order: 'auto'` searches the orders stepwise as pmdarima's auto_arima does (Hyndman &
 * Khandakar 2008): four starting models — (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0),
 * (0,d,1)(0,D,1), the seasonal part only with `auto.season`, orders clipped to the maxima — then,
 * from the best by the criterion (AICc by default), every neighbour that changes p, q, P or Q by
 * one, or p and q (P and Q) together by one, until no neighbour improves or `maxFits` fits are
 * spent. d and D are fixed (default 1; pmdarima chooses them by KPSS / OCSB tests, not done
 * here). Each fit is a full fitSarima, so a search costs up to maxFits (16) fits: tens of seconds
 * of CPU on a few hundred seasonal rows, which is why the baselines keep the fixed airline order.
 */
export function fitSarima(y: ArrayLike<number>, spec: SarimaFitOptions | SarimaAutoFitOptions = {}): SarimaModel {
  const where = 'fitSarima';
  if (spec !== null && typeof spec === 'object' && spec.order === 'auto') return autoSarima(y, spec, where);
  const d = checkData(y, where, 'SARIMA');
  const ex = checkExog(spec.exog, d.length, undefined, where);
  const r = resolveSpec(spec, ex[0]?.length ?? 0, where, ['exog', 'startParams']);
  const need = minRows(r);
  if (d.length < need) throw new RangeError(`${where}: ${d.length} values are too few for order (${r.p}, ${r.d}, ${r.q})(${r.P}, ${r.D}, ${r.Q}, ${r.s}); at least ${need} are needed`);
  const objective = (u: Float64Array): number => {
    const ll = kalman(r, buildSystem(r, fromFree(r, u)), d, ex).loglik;
    return Number.isFinite(ll) ? -ll : Infinity;
  };
  const given = spec.startParams;
  let starts: Float64Array[];
  if (given !== undefined) {
    // statsmodels' start_params: the one start, checked (stationary / invertible, σ² > 0).
    if (!Array.isArray(given) && !ArrayBuffer.isView(given)) throw new TypeError(`${where}: startParams must be an array of ${r.names.length} numbers (${r.names.join(', ')}), got ${show(given)}`);
    const g = Float64Array.from(given as ArrayLike<number>);
    if (g.length !== r.names.length || !g.every(Number.isFinite)) throw new RangeError(`${where}: startParams must be ${r.names.length} finite numbers (${r.names.join(', ')}), got ${show(given)}`);
    const parts = split(r, g);
    if (!(parts.sigma2 > 0)) throw new RangeError(`${where}: startParams' sigma2 must be positive, got ${parts.sigma2}`);
    for (const [name, v, sign] of [['AR', parts.ar, 1], ['MA', parts.ma, -1], ['seasonal AR', parts.sar, 1], ['seasonal MA', parts.sma, -1]] as const) {
      if (!isStationary(v.map((c) => sign * c))) throw new RangeError(`${where}: startParams' ${name} coefficients ${show(Array.from(v))} are not ${sign > 0 ? 'stationary' : 'invertible'}`);
    }
    starts = [toFree(r, g)];
  } else {
    // statsmodels' start, and the best point of a coarse grid over the first AR, MA, seasonal AR
    // and seasonal MA coefficients (the others at zero): the likelihood can have several maxima,
    // e.g. along a ridge of near-cancelling AR and MA roots, as on CO2 (see the module comment).
    const start = startParams(r, d, ex);
    starts = [toFree(r, start)];
    const grid = [-0.8, -0.4, 0, 0.4, 0.8];
    const sgrid = [-0.5, 0, 0.5];
    const at = [r.p > 0 ? r.kx : -1, r.q > 0 ? r.kx + r.p : -1, r.P > 0 ? r.kx + r.p + r.q : -1, r.Q > 0 ? r.kx + r.p + r.q + r.P : -1];
    let bestGrid: Float64Array | undefined;
    let bestLl = -Infinity;
    for (const a of at[0]! >= 0 ? grid : [0]) {
      for (const m of at[1]! >= 0 ? grid : [0]) {
        for (const sa of at[2]! >= 0 ? sgrid : [0]) {
          for (const sm of at[3]! >= 0 ? sgrid : [0]) {
            const c = Float64Array.from(start);
            c.fill(0, r.kx, start.length - 1);
            [a, m, sa, sm].forEach((v, i) => {
              if (at[i]! >= 0) c[at[i]!] = v;
            });
            const ll = kalman(r, buildSystem(r, c), d, ex).loglik;
            if (ll > bestLl) {
              bestLl = ll;
              bestGrid = c;
            }
          }
        }
      }
    }
    if (bestGrid !== undefined && r.p + r.q + r.P + r.Q > 0) starts.push(toFree(r, bestGrid));
  }
  const np = r.names.length;
  const step = new Float64Array(np).fill(0.2);
  for (let j = 0; j < r.kx; j++) step[j] = 0.1 * (Math.abs(starts[0]![j]!) + 0.1);
  const lo = new Float64Array(np).fill(-Infinity);
  const hi = new Float64Array(np).fill(Infinity);
  // σ² at least 1e-9 of the series' variance: on a series that differencing removes exactly (a
  // noiseless trend and season) the likelihood grows without bound as σ² → 0 and the optimiser
  // would chase rounding noise; a real series' shocks are far larger than that.
  const mean = d.reduce((a, v) => a + v, 0) / d.length;
  const variance = d.reduce((a, v) => a + (v - mean) ** 2, 0) / d.length;
  lo[np - 1] = Math.log(1e-9 * (variance > 0 ? variance : mean * mean || 1));
  for (const x0 of starts) x0[np - 1] = Math.max(x0[np - 1]!, lo[np - 1]!);
  // A short Nelder–Mead run from every start, then restarts from the best until they stop gaining.
  let best: { x: Float64Array; fx: number } | undefined;
  for (const x0 of starts) {
    const res = starts.length > 1 ? nelderMead(objective, x0, step, lo, hi, 50 * np) : { x: x0, fx: objective(x0) };
    if (best === undefined || res.fx < best.fx) best = res;
  }
  // Rounds of at most 150 evaluations per unknown: a likelihood gain under 1e-9 (relative) per
  // round is far below what moves the parameters or forecasts (statsmodels' L-BFGS stops sooner);
  // the first round counts too (it used to be followed by one more in every fit, which gained
  // nothing on CO2 or the wave of test/ets: the same bits, a third fewer evaluations).
  for (let round = 0; round < 8; round++) {
    const res = nelderMead(objective, best!.x, step, lo, hi, 150 * np);
    const gain = best!.fx - res.fx;
    if (res.fx <= best!.fx) best = { x: Float64Array.from(res.x), fx: res.fx };
    if (!(gain > 1e-9 * Math.max(1, Math.abs(best!.fx)))) break;
    // σ² at its floor: the differenced series is fitted exactly, the other parameters are not identified.
    if (best!.x[np - 1]! <= lo[np - 1]! + 1e-9) break;
  }
  if (best === undefined || !Number.isFinite(best.fx)) throw new RangeError(`${where}: the likelihood is not finite at any start; check the data`);
  const params = Array.from(fromFree(r, best.x));
  const loglik = -best.fx;
  const kp = params.length;
  const nEff = d.length - r.kd;
  const aic = -2 * loglik + 2 * kp;
  const dof = nEff - kp - 1;
  return {
    order: [r.p, r.d, r.q],
    seasonalOrder: [r.P, r.D, r.Q, r.s],
    exog: r.kx,
    paramNames: r.names,
    params,
    loglik,
    aic,
    aicc: aic + (dof > 0 ? (2 * kp * (kp + 1)) / dof : Infinity),
    bic: -2 * loglik + kp * Math.log(nEff),
    n: d.length,
    burn: r.kd,
  };
}

function autoSarima(y: ArrayLike<number>, spec: SarimaAutoFitOptions, where: string): SarimaModel {
  checkOptions(spec, ['order', 'auto', 'exog', 'trend', ...Object.keys(DEFAULTS)], `${where} (order 'auto')`);
  const a = spec.auto ?? {};
  if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new TypeError(`${where}: auto must be an options object, got ${show(a)}`);
  checkOptions(a, ['season', 'd', 'D', 'maxP', 'maxQ', 'maxSeasonalP', 'maxSeasonalQ', 'criterion', 'maxFits'], `${where}: auto`);
  const int = (v: unknown, name: string, def: number, min: number): number => {
    if (v === undefined) return def;
    if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`${where}: auto.${name} must be an integer ≥ ${min}, got ${show(v)}`);
    return v as number;
  };
  const s = a.season === undefined ? 0 : int(a.season, 'season', 0, 2);
  if (s === 0 && (a.D !== undefined || a.maxSeasonalP !== undefined || a.maxSeasonalQ !== undefined)) throw new RangeError(`${where}: auto.${a.D !== undefined ? 'D' : a.maxSeasonalP !== undefined ? 'maxSeasonalP' : 'maxSeasonalQ'} needs auto.season`);
  const dd = int(a.d, 'd', 1, 0);
  const DD = s > 0 ? int(a.D, 'D', 1, 0) : 0;
  const maxP = int(a.maxP, 'maxP', 2, 0);
  const maxQ = int(a.maxQ, 'maxQ', 2, 0);
  const maxSP = s > 0 ? int(a.maxSeasonalP, 'maxSeasonalP', 1, 0) : 0;
  const maxSQ = s > 0 ? int(a.maxSeasonalQ, 'maxSeasonalQ', 1, 0) : 0;
  const maxFits = int(a.maxFits, 'maxFits', 16, 1);
  const criterion = a.criterion ?? 'aicc';
  if (criterion !== 'aicc' && criterion !== 'aic' && criterion !== 'bic') throw new RangeError(`${where}: auto.criterion must be 'aicc', 'aic' or 'bic', got ${show(criterion)}`);
  const d = checkData(y, where, 'SARIMA');
  const { order: _o, auto: _a, ...rest } = spec;
  const fits: NonNullable<SarimaModel['search']>['fits'] = [];
  const models = new Map<string, SarimaModel | null>();
  // The best model so far, in an object: the closure below updates it.
  const won: { best: SarimaModel | null } = { best: null };
  const value = (m: SarimaModel | null): number => (m === null ? Infinity : m[criterion]);
  // Fit one order (cached); false when the budget is spent.
  const tryOrder = (p: number, q: number, P: number, Q: number): boolean => {
    if (p < 0 || q < 0 || P < 0 || Q < 0 || p > maxP || q > maxQ || P > maxSP || Q > maxSQ) return true;
    const key = `${p},${q},${P},${Q}`;
    if (models.has(key)) return true;
    if (fits.length >= maxFits) return false;
    let m: SarimaModel | null = null;
    try {
      m = fitSarima(d, { ...rest, order: [p, dd, q], ...(s > 0 ? { seasonalOrder: [P, DD, Q, s] as const } : {}) });
    } catch (e) {
      // Too few rows for this order, or no finite likelihood: the order cannot win.
      if (!(e instanceof RangeError)) throw e;
    }
    models.set(key, m);
    fits.push({ order: [p, dd, q], seasonalOrder: [P, DD, Q, s], value: value(m) });
    if (m !== null && (won.best === null || value(m) < value(won.best))) won.best = m;
    return true;
  };
  const clip = (v: number, max: number): number => Math.min(v, max);
  const first: [number, number, number, number][] = [
    [clip(2, maxP), clip(2, maxQ), clip(1, maxSP), clip(1, maxSQ)],
    [0, 0, 0, 0],
    [clip(1, maxP), 0, clip(1, maxSP), 0],
    [0, clip(1, maxQ), 0, clip(1, maxSQ)],
  ];
  for (const [p, q, P, Q] of first) if (!tryOrder(p, q, P, Q)) break;
  for (;;) {
    const at = won.best;
    if (at === null) break;
    const [p, , q] = at.order;
    const [P, , Q] = at.seasonalOrder;
    const moves: [number, number, number, number][] = [
      [1, 0, 0, 0], [-1, 0, 0, 0], [0, 1, 0, 0], [0, -1, 0, 0], [1, 1, 0, 0], [-1, -1, 0, 0],
      [0, 0, 1, 0], [0, 0, -1, 0], [0, 0, 0, 1], [0, 0, 0, -1], [0, 0, 1, 1], [0, 0, -1, -1],
    ];
    let spent = false;
    for (const [a1, b1, c1, d1] of moves) if (!tryOrder(p + a1, q + b1, P + c1, Q + d1)) {
      spent = true;
      break;
    }
    if (won.best === at || spent) break;
  }
  const best = won.best;
  if (best === null) throw new RangeError(`${where}: order 'auto': no order could be fitted on ${d.length} values (${fits.length} tried)`);
  return { ...best, search: { criterion, fits } };
}

function modelSpec(model: SarimaModel): SarimaSpec {
  return { order: model.order, seasonalOrder: model.seasonalOrder };
}

/**
 * The default baseline order: the airline model (1,1,1)(0,1,1)s with a season, ARIMA(1,1,1)
 * without. A fixed order rather than an AIC search over p, q ∈ {0,1,2}, P, Q ∈ {0,1} with d, D
 * from KPSS/OCSB tests (pmdarima's auto_arima): the airline model is Box & Jenkins' default for
 * a trending seasonal series and the reference row (statsmodels on CO2) uses it, while
 * a search (fitSarima's `order: 'auto'`, stepwise) costs up to 16 fits of about a second of CPU each
 * on CO2's 593 training rows.
 */
export function defaultSarimaSpec(season?: number): SarimaSpec {
  return season !== undefined && season >= 2 ? { order: [1, 1, 1], seasonalOrder: [0, 1, 1, season] } : { order: [1, 1, 1] };
}

/**
 * How much estimation the Forecaster's default SARIMA (its evaluate baseline and its combination
 * candidate) may spend, in rows × states²: one likelihood evaluation runs the Kalman filter over
 * every row at a cost that grows with the square of the state size, and a fit takes hundreds of
 * evaluations. An hourly series with a daily season (51 states) took 12 s on 1,000 rows and
 * 103 s on 6,400; CO2 (27 states, 593 rows: 0.43 of the budget) takes under a second.
 */
export const SARIMA_FIT_BUDGET = 1e6;

/**
 * The first row the Forecaster's default SARIMA estimates its parameters from, out of `rows`:
 * 0 (every row, as statsmodels) while rows × states² is within SARIMA_FIT_BUDGET, else the last
 * budget / states² rows (at least 10 seasons and twice the rows a fit needs). The parameters
 * are then filtered through every row (sarimaRolling, sarimaForecast), which costs one
 * evaluation; SARIMA's state starts approximately diffuse, so nothing else depends on the rows
 * the parameters came from.
 */
export function sarimaFitStart(rows: number, spec: SarimaFitOptions): number {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`sarimaFitStart: rows must be a count of rows, got ${show(rows)}`);
  const kx = Array.isArray(spec.exog) && spec.exog.length > 0 ? (spec.exog[0]?.length ?? 0) : 0;
  const r = resolveSpec(spec, kx, 'sarimaFitStart', ['exog', 'startParams']);
  const keep = Math.max(Math.floor(SARIMA_FIT_BUDGET / (r.k * r.k)), 10 * r.s, 2 * cssRows(r));
  return Math.max(0, rows - keep);
}

/** Forecast `steps` values from the filtered state a_{t|t}: a ← T a, ŷ = Z a + x'β. */
function forecastFrom(sys: System, a0: Float64Array, steps: number, exog: Float64Array[], firstRow: number, out: Float64Array, at: number): void {
  const { k, rowStart, cols, vals, z, beta } = sys;
  let a = Float64Array.from(a0);
  let an = new Float64Array(k);
  for (let h = 0; h < steps; h++) {
    for (let i = 0; i < k; i++) {
      let sum = 0;
      for (let e = rowStart[i]!; e < rowStart[i + 1]!; e++) sum += vals[e]! * a[cols[e]!]!;
      an[i] = sum;
    }
    [a, an] = [an, a];
    let yhat = 0;
    for (const i of z) yhat += a[i]!;
    if (beta.length > 0) {
      const x = exog[firstRow + h]!;
      for (let j = 0; j < beta.length; j++) yhat += x[j]! * beta[j]!;
    }
    out[at + h] = yhat;
  }
}

function prepare(model: SarimaModel, where: string): { r: Resolved; sys: System } {
  const r = resolveSpec(modelSpec(model), model.exog, where);
  if (!Array.isArray(model.params) || model.params.length !== r.names.length) throw new RangeError(`${where}: the model has ${show(model.params)} as params; ${r.names.length} expected (${r.names.join(', ')})`);
  return { r, sys: buildSystem(r, model.params) };
}

/**
 * Rolling-origin forecasts with the model's parameters fixed (statsmodels: the fitted parameters
 * filtered through y[:e + 1], then forecast): one filter pass over y from its first row, and from
 * every origin e (the last row seen) `horizon` values. [origins.length · horizon], origin-major,
 * as Forecaster.evaluate. With exogenous regressors, `exog` covers every row forecast.
 */
export function sarimaRolling(model: SarimaModel, y: ArrayLike<number>, origins: readonly number[], horizon: number, exog?: readonly (readonly number[])[]): Float64Array {
  const where = 'sarimaRolling';
  const d = checkData(y, where, 'SARIMA');
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`${where}: horizon must be a positive integer, got ${show(horizon)}`);
  const { r, sys } = prepare(model, where);
  const n = d.length;
  let last = -1;
  for (const e of origins) {
    if (!Number.isInteger(e) || e < 0 || e >= n) throw new RangeError(`${where}: origin ${show(e)} is outside rows 0…${n - 1}`);
    last = Math.max(last, e);
  }
  const ex = checkExog(exog, r.kx > 0 ? Math.max(n, last + horizon + 1) : 0, r.kx, where);
  const at = new Map<number, number[]>();
  origins.forEach((e, i) => at.set(e, [...(at.get(e) ?? []), i]));
  const out = new Float64Array(origins.length * horizon);
  kalman(r, sys, d.subarray(0, last + 1), ex, (t, a) => {
    for (const i of at.get(t) ?? []) forecastFrom(sys, a, horizon, ex, t + 1, out, i * horizon);
  });
  return out;
}

/** Forecast `steps` values after the last row of y (the model's parameters fixed, filtered through y); `futureExog` gives the regressors of the forecast rows. */
export function sarimaForecast(model: SarimaModel, y: ArrayLike<number>, steps: number, options: { exog?: readonly (readonly number[])[]; futureExog?: readonly (readonly number[])[] } = {}): Float64Array {
  const where = 'sarimaForecast';
  checkOptions(options, ['exog', 'futureExog'], where);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${where}: steps must be a positive integer, got ${show(steps)}`);
  const d = checkData(y, where, 'SARIMA');
  if (d.length === 0) throw new RangeError(`${where}: y is empty`);
  const n = d.length;
  if (model.exog > 0) {
    const ex = checkExog(options.exog, n, model.exog, `${where}: exog`);
    const fut = checkExog(options.futureExog, steps, model.exog, `${where}: futureExog`);
    return sarimaRolling(model, d, [n - 1], steps, [...ex.slice(0, n), ...fut.slice(0, steps)].map((row) => Array.from(row)));
  }
  if (options.exog !== undefined || options.futureExog !== undefined) throw new RangeError(`${where}: the model has no exogenous regressors; exog/futureExog given`);
  return sarimaRolling(model, d, [n - 1], steps);
}

/** A short name, e.g. 'SARIMA(1,1,1)(0,1,1)12' or 'ARIMA(1,1,1)', with '+2 exog' for regressors ('+Fourier(365.25×2)' for Fourier pairs). */
export function sarimaName(model: Pick<SarimaModel, 'order' | 'seasonalOrder' | 'exog' | 'fourier'>): string {
  const [p, d, q] = model.order;
  const [P, D, Q, s] = model.seasonalOrder;
  const base = P + D + Q > 0 ? `SARIMA(${p},${d},${q})(${P},${D},${Q})${s}` : `ARIMA(${p},${d},${q})`;
  if (model.fourier !== undefined) return `${base}+Fourier(${Number(model.fourier.period.toFixed(2))}×${model.fourier.pairs})`;
  return model.exog > 0 ? `${base}+${model.exog} exog` : base;
}

const DAY_MS = 86_400_000;
const YEAR_DAYS = 365.25;

/**
 * Regressors for a yearly cycle too long for the seasonal model (more than 24 rows: daily rows,
 * 365.25; weekly, 52.18): `pairs` sin/cos pairs of 2πk·(t − t₀)/year, k = 1…pairs, from each
 * row's time in ms (t₀ the first row's). Time elapsed rather than the row number, so gaps in the
 * rows keep the phase; on regular rows it is the row number over the period in rows, as the
 * statsmodels reference (Seattle: SARIMAX with exog of sin/cos(2πk·t/365.25)). Null when the
 * spacing has no yearly period (hourly rows; detectCalendar) or the year is at most 24 rows
 * (monthly data: the seasonal model covers it).
 */
export function yearlyFourierExog(times: ArrayLike<number>, stepMs: number | null, pairs: number): { period: number; pairs: number; exog: number[][] } | null {
  const where = 'yearlyFourierExog';
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`${where}: pairs must be a positive integer, got ${show(pairs)}`);
  if (stepMs !== null && (typeof stepMs !== 'number' || Number.isNaN(stepMs))) throw new RangeError(`${where}: stepMs must be a number of milliseconds or null, got ${show(stepMs)}`);
  for (let r = 0; r < times.length; r++) if (!Number.isFinite(times[r])) throw new RangeError(`${where}: times[${r}] must be a finite time in ms, got ${show(times[r])}`);
  if (stepMs === null || !(stepMs > 0)) return null;
  const period = (YEAR_DAYS * DAY_MS) / stepMs;
  if (period <= 24) return null;
  const t0 = times[0]!;
  const exog = Array.from({ length: times.length }, (_, r) => {
    // In days, in the reference's order of operations: on whole days the same bits as its exog.
    const days = (times[r]! - t0) / DAY_MS;
    return Array.from({ length: pairs }, (_, k) => [Math.sin((2 * Math.PI * (k + 1) * days) / YEAR_DAYS), Math.cos((2 * Math.PI * (k + 1) * days) / YEAR_DAYS)]).flat();
  });
  return { period, pairs, exog };
}

/**
 * Regressors for a season too long for the seasonal model (more than 24 rows) when the rows have
 * no dates, or dates without a yearly cycle: `pairs` sin/cos pairs of 2πk·r/period, k = 1…pairs,
 * from the row index r (yearlyFourierExog's form with rows for days). Forecaster.evaluate gives
 * ARIMA(1,1,1) these for a given or detected season over 24 rows.
 */
export function rowFourierExog(rows: number, period: number, pairs: number): { period: number; pairs: number; exog: number[][] } {
  const where = 'rowFourierExog';
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${where}: rows must be a non-negative integer, got ${show(rows)}`);
  if (typeof period !== 'number' || !(period >= 2) || !Number.isFinite(period)) throw new RangeError(`${where}: period must be a finite number ≥ 2, got ${show(period)}`);
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`${where}: pairs must be a positive integer, got ${show(pairs)}`);
  const exog = Array.from({ length: rows }, (_, r) => Array.from({ length: pairs }, (_, k) => [Math.sin((2 * Math.PI * (k + 1) * r) / period), Math.cos((2 * Math.PI * (k + 1) * r) / period)]).flat());
  return { period, pairs, exog };
}

/** Check a SarimaModel read from a file (orders valid, parameters finite, σ² positive); returns it typed. */
export function checkSarimaModel(json: unknown, where: string): SarimaModel {
  const j = json as Record<string, unknown> | null;
  if (j === null || typeof j !== 'object') throw new RangeError(`${where}: not a SARIMA model: ${show(json)}`);
  const exog = j.exog;
  if (!Number.isInteger(exog) || (exog as number) < 0) throw new RangeError(`${where}: SARIMA field 'exog' must be a non-negative integer, got ${show(exog)}`);
  const r = resolveSpec({ order: j.order as SarimaOrder, seasonalOrder: j.seasonalOrder as SarimaSeasonalOrder }, exog as number, where);
  const params = j.params;
  if (!Array.isArray(params) || params.length !== r.names.length || !params.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new RangeError(`${where}: SARIMA field 'params' must be ${r.names.length} finite numbers (${r.names.join(', ')})`);
  if (!((params[params.length - 1] as number) > 0)) throw new RangeError(`${where}: SARIMA sigma2 must be positive, got ${params[params.length - 1]}`);
  const num = (k: string): number => {
    const v = j[k];
    if (k === 'aicc' && v === null) return Infinity;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${where}: SARIMA field '${k}' must be a finite number, got ${show(v)}`);
    return v;
  };
  return {
    order: [r.p, r.d, r.q],
    seasonalOrder: [r.P, r.D, r.Q, r.s],
    exog: r.kx,
    paramNames: r.names,
    params: [...(params as number[])],
    loglik: num('loglik'),
    aic: num('aic'),
    aicc: num('aicc'),
    bic: num('bic'),
    n: num('n'),
    burn: r.kd,
  };
}
