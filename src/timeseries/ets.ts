/**
 * ETS (error, trend, season) state-space models, fitted as statsmodels 0.13.5's
 * `ETSModel(y, error, trend, damped_trend, seasonal, seasonal_periods,
 * initialization_method='estimated').fit()` does: additive or multiplicative error, no or
 * additive (optionally damped) trend, no, additive or multiplicative season. Browser-safe; the
 * optimiser is a bounded L-BFGS (lbfgs.ts) on the likelihood's analytic gradient.
 *
 * Recursions (statsmodels' `_ets_smooth_*`; P = l + φ·b, S = the season of row t, ⊕ = + or ×):
 *   ŷ[t] = P ⊕ S
 *   l[t] = α·(y[t] ⊖ S) + (1−α)·P
 *   b[t] = β*·(l[t] − l[t−1]) + (1−β*)·φ·b[t−1]          β* = β/α
 *   s[t] = γ*·(y[t] ⊖ l[t]) + (1−γ*)·S                   γ* = γ/(1−α)
 * The error type does not change them, only the likelihood (concentrated: σ² = mean r²):
 *   additive error:        r = y − ŷ,        ℓ = −n/2·(ln(2π·σ²) + 1)
 *   multiplicative error:  r = (y − ŷ)/ŷ,    ℓ = −n/2·(ln(2π·σ²) + 1) − Σ ln ŷ
 * A multiplicative model is not defined where ŷ ≤ 0: such a row adds ln(1e8·(1 + |ŷ|)) to −ℓ, a
 * penalty that grows with |ŷ|. statsmodels adds ln(1/(1e-8·(1 + |ŷ|))) instead (GH-7331), which
 * equals ours at ŷ = 0 but shrinks as |ŷ| grows and turns into a reward past 1e8: on a calm
 * seasonal series with one outlier the fit ran its level to −8e26, AICc −20089, and forecasts of
 * 8e26 won the selection. Where every ŷ > 0 (every statsmodels fixture) the two are the same.
 *
 * Fit: ℓ maximised over α ∈ [1e-4, 1−1e-4], β* and γ* in the same interval, φ ∈ [0.8, 0.98]
 * (statsmodels' default bounds) and the initial states: level, trend and the seasons of rows
 * 1…m−1 — the season of row 0 is fixed at 0 (additive) or 1 (multiplicative), as statsmodels
 * does to keep the problem well posed. Starts: statsmodels' heuristic states (Hyndman et al. 2.6;
 * the 'simple' ones for short series; holtWintersInitialStates) with statsmodels' default
 * smoothing values (α 0.1, β 0.01, γ 0.01, φ 0.98) and a small grid beside them; then
 * bounded L-BFGS from each (statsmodels: L-BFGS-B with numerical gradients from one start), with
 * the gradient by reverse-mode differentiation of the recursions (nllGrad; checked against central
 * differences in test/ets.test.ts). Nelder–Mead, used before, reached the same maxima (log-
 * likelihoods equal to 1e-6 in all 18 CO2 variants) in 20,000–33,000 evaluations per seasonal
 * variant; selection on CO2's 593 rows took 5.7 s of CPU and now about 0.45 s.
 * Information criteria as statsmodels, with k = the smoothing parameters + 1 + [trend] +
 * m·[season] + 1 (σ²; statsmodels counts all m initial seasons although one is fixed):
 *   AIC = −2ℓ + 2k, AICc = −2ℓ + 2k·n/(n−k−1) (∞ when n−k−1 ≤ 0), BIC = −2ℓ + k·ln n.
 *
 * Point forecasts are statsmodels' `forecast()` / `get_prediction().predicted_mean`: the state
 * equations run on with zero errors, (l + (φ + … + φ^h)·b) ⊕ s. For additive models that is the
 * mean of the forecast distribution; for multiplicative errors or seasons it is the usual ETS
 * point forecast, which differs from the mean (statsmodels' simulated `mean_numerical`) by a
 * term of order σ².
 */
import { checkOptions, show } from '../core/errors.js';
import { checkData, forecastFrom, holtWintersInitialStates, seasonsAfter } from './holtWinters.js';
import { minimizeBounded } from './lbfgs.js';

export type EtsError = 'add' | 'mul';
export type EtsTrend = 'add' | null;
export type EtsSeason = 'add' | 'mul' | null;

export interface EtsSpec {
  /** Additive or multiplicative error. Default 'add' (as statsmodels). */
  error?: EtsError;
  /** Additive trend or none. Default null (as statsmodels). */
  trend?: EtsTrend;
  /** Damped trend (needs a trend). Default false. */
  damped?: boolean;
  /** Additive or multiplicative season, or none. Default null. */
  seasonal?: EtsSeason;
  /** Season length m (an integer ≥ 2), required with a season. */
  period?: number;
}

export interface EtsModel {
  error: EtsError;
  trend: EtsTrend;
  damped: boolean;
  seasonal: EtsSeason;
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
  /** The seasons of rows 0…m−1 (statsmodels' `initial_seasonal`; the first is fixed at 0 or 1); empty without a season. */
  initialSeason: number[];
  /** Training rows. */
  n: number;
  /** Log-likelihood at the fitted parameters. */
  loglik: number;
  /** Parameters counted by the information criteria (statsmodels' df_model). */
  k: number;
  aic: number;
  aicc: number;
  bic: number;
  /** Mean squared residual (statsmodels' `scale`; relative residuals with a multiplicative error). */
  sigma2: number;
  /** States after the last training row: level, trend, and the seasons of rows n…n+m−1. */
  level: number;
  slope: number;
  season: number[];
}

/** Parameters and initial states, as EtsModel names them (for etsLogLikelihood). */
export type EtsParams = Pick<EtsModel, 'alpha' | 'beta' | 'gamma' | 'phi' | 'initialLevel' | 'initialTrend' | 'initialSeason'>;

interface Resolved {
  error: EtsError;
  trend: EtsTrend;
  damped: boolean;
  seasonal: EtsSeason;
  m: number;
}

const SPEC_KEYS = ['error', 'trend', 'damped', 'seasonal', 'period'];
const LO = 1e-4;
const HI = 1 - 1e-4;
const PHI_LO = 0.8;
const PHI_HI = 0.98;
/** Optimiser runs per fit beside statsmodels' starts: the best grid points. */
const STARTS = 2;

function resolveSpec(spec: EtsSpec, where: string): Resolved {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new TypeError(`${where}: expected an ETS spec object, got ${show(spec)}`);
  checkOptions(spec, SPEC_KEYS, where);
  const error = spec.error ?? 'add';
  if (error !== 'add' && error !== 'mul') throw new RangeError(`${where}: error must be 'add' or 'mul', got ${show(error)}`);
  const trend = spec.trend === undefined ? null : spec.trend;
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
  return { error, trend, damped, seasonal, m };
}

/** statsmodels' short name: error, trend (d when damped), season, e.g. 'MAdM', 'ANN'. */
export function etsName(m: Pick<EtsModel, 'error' | 'trend' | 'damped' | 'seasonal'>): string {
  const c = (v: string | null): string => (v === null ? 'N' : v === 'add' ? 'A' : 'M');
  return `${c(m.error)}${c(m.trend)}${m.damped ? 'd' : ''}${c(m.seasonal)}`;
}

/** Parameters the information criteria count (statsmodels' df_model). */
function countParams(r: Resolved): number {
  const smoothing = 1 + (r.trend !== null ? 1 : 0) + (r.seasonal !== null ? 1 : 0) + (r.damped ? 1 : 0);
  return smoothing + 1 + (r.trend !== null ? 1 : 0) + r.m + 1;
}

/** Rows an ETS variant needs: two seasons for the starting seasons, and more rows than parameters + 1 (else AICc is undefined). */
function rowsNeeded(r: Resolved): number {
  return Math.max(r.seasonal !== null ? 2 * r.m : r.trend !== null ? 2 : 1, countParams(r) + 2);
}

function checkFit(y: Float64Array, r: Resolved, where: string): void {
  const need = rowsNeeded(r);
  if (y.length < need) throw new RangeError(`${where}: ${y.length} values are too short for ETS ${etsName(r)}${r.m ? ` with period ${r.m}` : ''}: ${need} needed (${countParams(r)} parameters${r.seasonal !== null ? `, two full seasons of ${r.m}` : ''})`);
  if (r.error === 'mul' || r.seasonal === 'mul') {
    for (let i = 0; i < y.length; i++) if (!(y[i]! > 0)) throw new RangeError(`${where}: a multiplicative ${r.error === 'mul' ? 'error' : 'season'} needs positive values; value ${i} is ${y[i]}`);
  }
}

/**
 * Run the recursions over y; returns −ℓ (Infinity when not finite) and σ². With `rec`, the
 * level, trend and season ring after every row (index 0 = initial; ring index = row mod m).
 */
function run(y: Float64Array, r: Resolved, alpha: number, betaStar: number, gammaStar: number, phi: number, l0: number, b0: number, s0: ArrayLike<number>, rec?: { level: Float64Array; slope: Float64Array; season: Float64Array }): { nll: number; sigma2: number } {
  const { m } = r;
  const hasS = m > 0;
  const mulS = r.seasonal === 'mul';
  const mulE = r.error === 'mul';
  const hasT = r.trend !== null;
  const s = new Float64Array(Math.max(m, 1));
  for (let j = 0; j < m; j++) s[j] = s0[j]!;
  let l = l0;
  let b = hasT ? b0 : 0;
  let sumR2 = 0;
  let sumLog = 0;
  const n = y.length;
  if (rec !== undefined) {
    rec.level[0] = l;
    rec.slope[0] = b;
    if (hasS) rec.season.set(s, 0);
  }
  for (let t = 0; t < n; t++) {
    const k = hasS ? t % m : 0;
    const S = hasS ? s[k]! : mulS ? 1 : 0;
    const P = l + phi * b;
    const yhat = mulS ? P * S : P + S;
    const yt = y[t]!;
    const res = mulE ? (yt - yhat) / yhat : yt - yhat;
    sumR2 += res * res;
    if (mulE) sumLog += Math.log(yhat > 0 ? yhat : 1e8 * (1 + Math.abs(yhat)));
    const lNew = alpha * (mulS ? yt / S : yt - S) + (1 - alpha) * P;
    if (hasT) b = betaStar * (lNew - l) + (1 - betaStar) * phi * b;
    if (hasS) s[k] = gammaStar * (mulS ? yt / lNew : yt - lNew) + (1 - gammaStar) * S;
    l = lNew;
    if (rec !== undefined) {
      rec.level[t + 1] = l;
      rec.slope[t + 1] = b;
      if (hasS) rec.season.set(s, (t + 1) * m);
    }
  }
  const sigma2 = sumR2 / n;
  const nll = (n / 2) * (Math.log(2 * Math.PI * sigma2) + 1) + sumLog;
  return { nll: Number.isFinite(nll) ? nll : Infinity, sigma2 };
}

/**
 * −ℓ as `run` computes it (the same operations in the same order, so the same bits), without
 * allocating or recording: `ring` holds the initial seasons and is overwritten.
 */
function nllInPlace(y: Float64Array, r: Resolved, alpha: number, betaStar: number, gammaStar: number, phi: number, l0: number, b0: number, ring: Float64Array): number {
  const m = r.m;
  const hasS = m > 0;
  const mulS = r.seasonal === 'mul';
  const mulE = r.error === 'mul';
  const hasT = r.trend !== null;
  let l = l0;
  let b = hasT ? b0 : 0;
  let sumR2 = 0;
  let sumLog = 0;
  const n = y.length;
  let k = 0;
  for (let t = 0; t < n; t++) {
    const S = hasS ? ring[k]! : mulS ? 1 : 0;
    const P = l + phi * b;
    const yhat = mulS ? P * S : P + S;
    const yt = y[t]!;
    const res = mulE ? (yt - yhat) / yhat : yt - yhat;
    sumR2 += res * res;
    if (mulE) sumLog += Math.log(yhat > 0 ? yhat : 1e8 * (1 + Math.abs(yhat)));
    const lNew = alpha * (mulS ? yt / S : yt - S) + (1 - alpha) * P;
    if (hasT) b = betaStar * (lNew - l) + (1 - betaStar) * phi * b;
    if (hasS) {
      ring[k] = gammaStar * (mulS ? yt / lNew : yt - lNew) + (1 - gammaStar) * S;
      if (++k === m) k = 0;
    }
    l = lNew;
  }
  const sigma2 = sumR2 / n;
  const nll = (n / 2) * (Math.log(2 * Math.PI * sigma2) + 1) + sumLog;
  return Number.isFinite(nll) ? nll : Infinity;
}

/**
 * −ℓ and its gradient by reverse-mode differentiation of the recursions (the forward pass is
 * nllInPlace's; the backward pass runs the chain rule from the last row to the first). `grad`
 * receives ∂(−ℓ)/∂(α, β*, γ*, φ, l0, b0) in its first six entries and ∂/∂ the initial seasons in
 * the next m; `ring` holds the initial seasons (overwritten); `work` has room for 3n values.
 */
function nllGrad(y: Float64Array, r: Resolved, alpha: number, betaStar: number, gammaStar: number, phi: number, l0: number, b0: number, ring: Float64Array, grad: Float64Array, work: Float64Array): number {
  const m = r.m;
  const hasS = m > 0;
  const mulS = r.seasonal === 'mul';
  const mulE = r.error === 'mul';
  const hasT = r.trend !== null;
  const n = y.length;
  // Per row: the level, trend and season read before the update.
  const Ls = work.subarray(0, n);
  const Bs = work.subarray(n, 2 * n);
  const Ss = work.subarray(2 * n, 3 * n);
  let l = l0;
  let b = hasT ? b0 : 0;
  let sumR2 = 0;
  let sumLog = 0;
  let k = 0;
  for (let t = 0; t < n; t++) {
    const S = hasS ? ring[k]! : mulS ? 1 : 0;
    Ls[t] = l;
    Bs[t] = b;
    Ss[t] = S;
    const P = l + phi * b;
    const yhat = mulS ? P * S : P + S;
    const yt = y[t]!;
    const res = mulE ? (yt - yhat) / yhat : yt - yhat;
    sumR2 += res * res;
    if (mulE) sumLog += Math.log(yhat > 0 ? yhat : 1e8 * (1 + Math.abs(yhat)));
    const lNew = alpha * (mulS ? yt / S : yt - S) + (1 - alpha) * P;
    if (hasT) b = betaStar * (lNew - l) + (1 - betaStar) * phi * b;
    if (hasS) {
      ring[k] = gammaStar * (mulS ? yt / lNew : yt - lNew) + (1 - gammaStar) * S;
      if (++k === m) k = 0;
    }
    l = lNew;
  }
  const sigma2 = sumR2 / n;
  const nll = (n / 2) * (Math.log(2 * Math.PI * sigma2) + 1) + sumLog;
  if (!Number.isFinite(nll)) return Infinity;
  // Backward: gl, gb, gs[k] are the adjoints of the states after row t (before row t once done).
  const dR2 = n / (2 * sumR2);
  let gA = 0;
  let gB = 0;
  let gG = 0;
  let gP = 0;
  let gl = 0;
  let gb = 0;
  const gs = grad.subarray(6, 6 + m);
  gs.fill(0);
  k = hasS ? (n - 1) % m : 0;
  for (let t = n - 1; t >= 0; t--) {
    const lp = Ls[t]!;
    const bp = Bs[t]!;
    const S = Ss[t]!;
    const yt = y[t]!;
    const P = lp + phi * bp;
    const yhat = mulS ? P * S : P + S;
    const a = mulS ? yt / S : yt - S;
    const lNew = alpha * a + (1 - alpha) * P;
    let gS = 0;
    let gL = gl;
    if (hasS) {
      const gsN = gs[k]!;
      const c = mulS ? yt / lNew : yt - lNew;
      gG += gsN * (c - S);
      gL += gsN * gammaStar * (mulS ? -yt / (lNew * lNew) : -1);
      gS = gsN * (1 - gammaStar);
    }
    let glPrev = 0;
    let gbPrev = 0;
    if (hasT) {
      gB += gb * (lNew - lp - phi * bp);
      gP += gb * (1 - betaStar) * bp;
      gL += gb * betaStar;
      glPrev = -gb * betaStar;
      gbPrev = gb * (1 - betaStar) * phi;
    }
    gA += gL * (a - P);
    const gPP = gL * (1 - alpha);
    gS += gL * alpha * (mulS ? -yt / (S * S) : -1);
    const res = mulE ? (yt - yhat) / yhat : yt - yhat;
    let gy = dR2 * 2 * res * (mulE ? -yt / (yhat * yhat) : -1);
    if (mulE) gy += yhat > 0 ? 1 / yhat : Math.sign(yhat) / (1 + Math.abs(yhat));
    const gPt = gPP + gy * (mulS ? S : 1);
    gS += gy * (mulS ? P : 1);
    glPrev += gPt;
    gbPrev += gPt * phi;
    gP += gPt * bp;
    gl = glPrev;
    gb = hasT ? gbPrev : 0;
    if (hasS) {
      gs[k] = gS;
      k = k === 0 ? m - 1 : k - 1;
    }
  }
  grad[0] = gA;
  grad[1] = gB;
  grad[2] = gG;
  grad[3] = gP;
  grad[4] = gl;
  grad[5] = gb;
  return nll;
}

function checkParams(p: EtsParams, r: Resolved, where: string): void {
  const bad = (what: string, v: unknown): never => {
    throw new RangeError(`${where}: ${what} must be a finite number in statsmodels' bounds, got ${show(v)}`);
  };
  // 1e-12 of slack: β/α and γ/(1−α) of parameters at a bound, recomputed, round across it.
  const within = (v: number, lo: number, hi: number): boolean => v >= lo - 1e-12 && v <= hi + 1e-12;
  if (!within(p.alpha, LO, HI)) bad('alpha', p.alpha);
  if (r.trend !== null && !within(p.beta / p.alpha, LO, HI)) bad('beta (as beta/alpha)', p.beta);
  if (r.seasonal !== null && !within(p.gamma / (1 - p.alpha), LO, HI)) bad('gamma (as gamma/(1−alpha))', p.gamma);
  if (r.damped ? !within(p.phi, PHI_LO, PHI_HI) : p.phi !== 1) bad(r.damped ? 'phi' : 'phi (1 without damping)', p.phi);
  if (!Number.isFinite(p.initialLevel)) bad('initialLevel', p.initialLevel);
  if (!Number.isFinite(p.initialTrend)) bad('initialTrend', p.initialTrend);
  if (!Array.isArray(p.initialSeason) || p.initialSeason.length !== r.m || !p.initialSeason.every(Number.isFinite)) throw new RangeError(`${where}: initialSeason must be ${r.m} finite numbers, got ${show(p.initialSeason)}`);
}

/**
 * The log-likelihood of y under a spec and given parameters (statsmodels' `ETSModel.loglike`).
 * beta, gamma and phi are the model's (β, γ, not β*, γ*); unused ones ignored only when 0 / 1.
 */
export function etsLogLikelihood(y: ArrayLike<number>, spec: EtsSpec, params: EtsParams): number {
  const where = 'etsLogLikelihood';
  const r = resolveSpec(spec, where);
  const d = checkData(y, where, 'ETS');
  checkFit(d, r, where);
  checkParams(params, r, where);
  if (r.trend === null && (params.beta !== 0 || params.initialTrend !== 0)) throw new RangeError(`${where}: beta and initialTrend must be 0 without a trend, got ${params.beta}, ${params.initialTrend}`);
  if (r.seasonal === null && params.gamma !== 0) throw new RangeError(`${where}: gamma must be 0 without a season, got ${params.gamma}`);
  return -run(d, r, params.alpha, params.beta / params.alpha, r.seasonal !== null ? params.gamma / (1 - params.alpha) : 0, params.phi, params.initialLevel, params.initialTrend, params.initialSeason).nll;
}

/**
 * −ℓ and its gradient with respect to (α, β*, γ*, φ, level, trend, the m initial seasons) — the
 * recursions' own parameters, β* = β/α and γ* = γ/(1−α) — as the fit's optimiser sees them
 * (before it fixes the first season). For checking the analytic gradient against differences.
 */
export function etsNegLogLikelihoodGradient(y: ArrayLike<number>, spec: EtsSpec, params: EtsParams): { nll: number; grad: Float64Array } {
  const where = 'etsNegLogLikelihoodGradient';
  const r = resolveSpec(spec, where);
  const d = checkData(y, where, 'ETS');
  checkFit(d, r, where);
  checkParams(params, r, where);
  const grad = new Float64Array(6 + r.m);
  const nll = nllGrad(d, r, params.alpha, params.beta / params.alpha, r.seasonal !== null ? params.gamma / (1 - params.alpha) : 0, params.phi, params.initialLevel, params.initialTrend, Float64Array.from(params.initialSeason), grad, new Float64Array(3 * d.length));
  return { nll, grad };
}

/** Fit one ETS variant on y (every value is a training row). */
export function fitEts(y: ArrayLike<number>, spec: EtsSpec = {}): EtsModel {
  const where = 'fitEts';
  const r = resolveSpec(spec, where);
  const d = checkData(y, where, 'ETS');
  refuseConstant(d, where);
  checkFit(d, r, where);
  return fitResolved(d, r, where);
}

/** A constant series has no ETS likelihood: every variant fits it exactly, with error variance 0. */
function refuseConstant(d: Float64Array, where: string): void {
  if (d.every((v) => v === d[0])) throw new RangeError(`${where}: the series is constant (every value ${d[0]}): ETS's error variance would be 0 and its likelihood infinite; forecast the value itself (Holt-Winters and SARIMA do)`);
}

function fitResolved(d: Float64Array, r: Resolved, where: string): EtsModel {
  const { m } = r;
  const hasT = r.trend !== null;
  const hasS = r.seasonal !== null;
  const mulS = r.seasonal === 'mul';
  const n = d.length;
  // statsmodels' 'estimated' start: the heuristic states, or the 'simple' ones when there are
  // fewer than 10 + 2⌊m/2⌋ rows (non-seasonal: the first value, the first difference).
  let init: { level: number; trend: number; season: number[] };
  if (!hasS && n < 10) init = { level: d[0]!, trend: hasT ? d[1]! - d[0]! : 0, season: [] };
  else init = holtWintersInitialStates(d, { trend: r.trend, seasonal: r.seasonal, ...(hasS ? { period: m } : {}) });
  // Row 0's season fixed at 0 (or 1): shift (or scale) level, trend and seasons so the start
  // describes the same series (statsmodels shifts the level only).
  let l0 = init.level;
  let b0 = init.trend;
  let s0 = [...init.season];
  if (hasS) {
    const c = s0[0]!;
    if (mulS) {
      l0 *= c;
      b0 *= c;
      s0 = s0.map((v) => v / c);
    } else {
      l0 += c;
      s0 = s0.map((v) => v - c);
    }
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += d[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (d[i]! - mean) ** 2;
  const scale = Math.sqrt(v / n) || Math.abs(mean) || 1;
  const sScale = mulS ? Math.max(scale / Math.abs(mean || 1), 1e-3) : scale;
  // Unknowns: α, β*, γ*, φ (those the variant has) in their boxes, then the level, trend and
  // the seasons of rows 1…m−1 in units of `scale` around the start.
  const iu = [0, hasT ? 1 : -1, hasS ? 2 : -1, r.damped ? 3 : -1].filter((i) => i >= 0);
  const D = iu.length + 1 + (hasT ? 1 : 0) + Math.max(m - 1, 0);
  const lo = new Float64Array(D).fill(-Infinity);
  const hi = new Float64Array(D).fill(Infinity);
  iu.forEach((j, k) => {
    lo[k] = j === 3 ? PHI_LO : LO;
    hi[k] = j === 3 ? PHI_HI : HI;
  });
  const season = new Float64Array(m);
  const decode = (x: Float64Array): { u: number[]; l: number; b: number } => {
    const u = [0, 0, 0, 1];
    iu.forEach((j, k) => (u[j] = x[k]!));
    let o = iu.length;
    const l = l0 + scale * x[o++]!;
    const b = hasT ? b0 + scale * x[o++]! : 0;
    if (hasS) {
      season[0] = mulS ? 1 : 0;
      for (let j = 1; j < m; j++) season[j] = s0[j]! + sScale * x[o++]!;
    }
    return { u, l, b };
  };
  // The objective decodes into scalars and a preallocated season ring (decode's arithmetic, so
  // the same bits): it ranks the starting points.
  const ring = new Float64Array(Math.max(m, 1));
  const nu = iu.length;
  const iAlpha = iu.indexOf(0);
  const iBeta = iu.indexOf(1);
  const iGamma = iu.indexOf(2);
  const iPhi = iu.indexOf(3);
  const objective = (x: Float64Array): number => {
    const alpha = x[iAlpha]!;
    const betaStar = iBeta >= 0 ? x[iBeta]! : 0;
    const gammaStar = iGamma >= 0 ? x[iGamma]! : 0;
    const phi = iPhi >= 0 ? x[iPhi]! : 1;
    let o = nu;
    const l = l0 + scale * x[o++]!;
    const b = hasT ? b0 + scale * x[o++]! : 0;
    if (hasS) {
      ring[0] = mulS ? 1 : 0;
      for (let j = 1; j < m; j++) ring[j] = s0[j]! + sScale * x[o++]!;
      if (mulS) {
        if (l <= 0) return Infinity;
        for (let j = 0; j < m; j++) if (ring[j]! <= 0) return Infinity;
      }
    }
    return nllInPlace(d, r, alpha, betaStar, gammaStar, phi, l, b, ring);
  };
  // Starts: statsmodels' default smoothing values (α 0.1, β 0.01, γ 0.01, φ 0.98, as α, β*, γ*, φ)
  // and a grid; the optimiser runs from the best few. The likelihood has several local maxima on real
  // series (α near 1 against a smaller α with a stronger trend or season; statsmodels' single
  // L-BFGS-B start lands on either), so one start is not enough.
  const starts: { x: Float64Array; fx: number }[] = [];
  const add = (u: readonly number[]): void => {
    const cand = new Float64Array(D);
    iu.forEach((j, k) => (cand[k] = u[j]!));
    starts.push({ x: cand, fx: objective(cand) });
  };
  add([0.1, 0.1, 0.01 / 0.9, 0.98]);
  if (hasS) {
    // statsmodels 0.13.5's own start: the heuristic seasons normalised by the last one and read
    // in reverse (its GH 7893 ordering), the level shifted or scaled to match; where the
    // likelihood has several maxima this start leads to the one statsmodels reports.
    const c = init.season[m - 1]!;
    const sm = init.season.map((v) => (mulS ? v / c : v - c)).reverse();
    const x0 = new Float64Array(D);
    iu.forEach((j, k) => (x0[k] = [0.1, 0.1, 0.01 / 0.9, 0.98][j]!));
    let o = iu.length;
    x0[o++] = ((mulS ? init.level * c : init.level + c) - l0) / scale;
    if (hasT) x0[o++] = (init.trend - b0) / scale;
    for (let j = 1; j < m; j++) x0[o++] = (sm[j]! - s0[j]!) / sScale;
    starts.push({ x: x0, fx: objective(x0) });
  }
  for (const a of [0.05, 0.2, 0.5, 0.8, 0.99]) for (const bs of hasT ? [0.05, 0.3, 0.9] : [0]) for (const gs of hasS ? [0.05, 0.3, 0.9] : [0]) for (const ph of r.damped ? [0.8, 0.9, 0.98] : [1]) add([a, bs, gs, ph]);
  const first = starts[0]!;
  const ranked = starts.slice(hasS ? 2 : 1).sort((a, b) => a.fx - b.fx);
  if (!Number.isFinite(first.fx) && !Number.isFinite(ranked[0]!.fx)) throw new EtsNoFit(`${where}: ETS ${etsName(r)}: the likelihood is not finite at any starting point`);
  // The likelihood and its gradient in the optimiser's unknowns (the chain rule through decode).
  const grad = new Float64Array(6 + m);
  const work = new Float64Array(3 * n);
  const fg = (x: Float64Array, g: Float64Array): number => {
    const alpha = x[iAlpha]!;
    const betaStar = iBeta >= 0 ? x[iBeta]! : 0;
    const gammaStar = iGamma >= 0 ? x[iGamma]! : 0;
    const phi = iPhi >= 0 ? x[iPhi]! : 1;
    let o = nu;
    const l = l0 + scale * x[o++]!;
    const b = hasT ? b0 + scale * x[o++]! : 0;
    if (hasS) {
      ring[0] = mulS ? 1 : 0;
      for (let j = 1; j < m; j++) ring[j] = s0[j]! + sScale * x[o++]!;
      if (mulS) {
        if (l <= 0) return Infinity;
        for (let j = 0; j < m; j++) if (ring[j]! <= 0) return Infinity;
      }
    }
    const f = nllGrad(d, r, alpha, betaStar, gammaStar, phi, l, b, ring, grad, work);
    if (!Number.isFinite(f)) return Infinity;
    g[iAlpha] = grad[0]!;
    if (iBeta >= 0) g[iBeta] = grad[1]!;
    if (iGamma >= 0) g[iGamma] = grad[2]!;
    if (iPhi >= 0) g[iPhi] = grad[3]!;
    o = nu;
    g[o++] = scale * grad[4]!;
    if (hasT) g[o++] = scale * grad[5]!;
    for (let j = 1; j < m; j++) g[o++] = sScale * grad[6 + j]!;
    return f;
  };
  let x: Float64Array = first.x;
  let fx = Infinity;
  // A bounded quasi-Newton run (lbfgs.ts) from each start; the best end point is kept.
  for (const s of [first, ...(hasS ? [starts[1]!] : []), ...ranked.slice(0, STARTS - 1)]) {
    if (!Number.isFinite(s.fx)) continue;
    const res = minimizeBounded(fg, s.x, lo, hi);
    if (res.fx < fx) ({ x, fx } = res);
  }
  const p = decode(x);
  const rec = { level: new Float64Array(n + 1), slope: new Float64Array(n + 1), season: new Float64Array((n + 1) * m) };
  const { nll, sigma2 } = run(d, r, p.u[0]!, p.u[1]!, p.u[2]!, p.u[3]!, p.l, p.b, season, rec);
  const alpha = p.u[0]!;
  return finish(r, n, -nll, sigma2, {
    alpha,
    beta: hasT ? p.u[1]! * alpha : 0,
    gamma: hasS ? p.u[2]! * (1 - alpha) : 0,
    phi: p.u[3]!,
    initialLevel: p.l,
    initialTrend: p.b,
    initialSeason: Array.from(season),
  }, rec);
}

function finish(r: Resolved, n: number, loglik: number, sigma2: number, p: EtsParams, rec: { level: Float64Array; slope: Float64Array; season: Float64Array }): EtsModel {
  const k = countParams(r);
  const dof = n - k - 1;
  return {
    error: r.error,
    trend: r.trend,
    damped: r.damped,
    seasonal: r.seasonal,
    period: r.m,
    ...p,
    n,
    loglik,
    k,
    aic: -2 * loglik + 2 * k,
    aicc: dof > 0 ? -2 * loglik + (2 * k * n) / dof : Infinity,
    bic: -2 * loglik + k * Math.log(n),
    sigma2,
    level: rec.level[n]!,
    slope: rec.slope[n]!,
    season: seasonsAfter(rec.season, n, r.m),
  };
}

export type EtsCriterion = 'aic' | 'aicc' | 'bic';

export interface SelectEtsOptions {
  /** Season length; omitted: only non-seasonal variants. Not with `candidates`. */
  period?: number;
  /**
   * Variants to choose among; default: error add/mul × trend none/additive/damped × season
   * none/add/mul (every multiplicative part only for a positive series; seasons only with
   * `period`), leaving out those the series is too short for.
   */
  candidates?: readonly EtsSpec[];
  /** Criterion to minimise: 'aicc' (default, as R's forecast::ets), 'aic' or 'bic' (statsmodels reports all three). */
  criterion?: EtsCriterion;
}

/** Fit every candidate on y and keep the one with the lowest criterion (AICc by default). */
export function selectEts(y: ArrayLike<number>, options: SelectEtsOptions = {}): EtsModel {
  const where = 'selectEts';
  checkOptions(options, ['period', 'candidates', 'criterion'], where);
  const d = checkData(y, where, 'ETS');
  refuseConstant(d, where);
  const criterion = options.criterion ?? 'aicc';
  if (criterion !== 'aic' && criterion !== 'aicc' && criterion !== 'bic') throw new RangeError(`${where}: criterion must be 'aic', 'aicc' or 'bic', got ${show(criterion)}`);
  let cands: Resolved[];
  if (options.candidates !== undefined) {
    if (options.period !== undefined) throw new RangeError(`${where}: period and candidates together; give the period inside each seasonal candidate`);
    if (!Array.isArray(options.candidates) || options.candidates.length === 0) throw new RangeError(`${where}: candidates must be a non-empty array of specs, got ${show(options.candidates)}`);
    cands = options.candidates.map((c, i) => resolveSpec(c, `${where}: candidates[${i}]`));
    cands.forEach((c, i) => checkFit(d, c, `${where}: candidates[${i}]`));
  } else {
    if (options.period !== undefined && (!Number.isInteger(options.period) || options.period < 2)) throw new RangeError(`${where}: period must be an integer ≥ 2, got ${show(options.period)}`);
    const positive = d.every((v) => v > 0);
    const kinds = (positive ? ['add', 'mul'] : ['add']) as EtsError[];
    const seasons: EtsSeason[] = options.period === undefined ? [null] : [null, ...kinds];
    cands = [];
    for (const error of kinds) for (const [trend, damped] of [[null, false], ['add', false], ['add', true]] as const) for (const seasonal of seasons) cands.push({ error, trend, damped, seasonal, m: seasonal !== null ? options.period! : 0 });
    cands = cands.filter((c) => d.length >= rowsNeeded(c));
    if (cands.length === 0) throw new RangeError(`${where}: ${d.length} values are too short for any ETS variant (${rowsNeeded({ error: 'add', trend: null, damped: false, seasonal: null, m: 0 })} needed)`);
  }
  // A variant whose likelihood is not finite at any start (a multiplicative trend on a series that
  // sits at 0 for weeks, as cumulative case counts do) is passed over, as statsmodels' and R's
  // selections pass over a model that does not fit; only when none fits is that an error.
  let best: EtsModel | undefined;
  const failed: string[] = [];
  for (const c of cands) {
    let fit: EtsModel;
    try {
      fit = fitResolved(d, c, where);
    } catch (e) {
      if (!(e instanceof EtsNoFit)) throw e;
      failed.push(etsName(c));
      continue;
    }
    if (best === undefined || fit[criterion] < best[criterion]) best = fit;
  }
  if (best === undefined) throw new EtsNoFit(`${where}: no ETS variant has a finite likelihood at any starting point on these ${d.length} values (tried ${failed.join(', ')})`);
  return best;
}

/** No finite likelihood at any starting point: the variant cannot be fitted to these values. */
export class EtsNoFit extends RangeError {
  override name = 'EtsNoFit';
}

/** Forecast `steps` values after the last training row (point forecasts: the zero-error path). */
export function etsForecast(model: EtsModel, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`etsForecast: steps must be a positive integer, got ${show(steps)}`);
  return forecastFrom(model, model.level, model.slope, model.season, steps);
}

/**
 * Rolling-origin forecasts with the model's parameters fixed: the states run from the model's
 * initial states through `y` (the training rows first, as fitted, then the rest), and from every
 * origin e (the last row seen) `horizon` values are forecast. [origins.length · horizon],
 * origin-major, as Forecaster.evaluate.
 */
export function etsRolling(model: EtsModel, y: ArrayLike<number>, origins: readonly number[], horizon: number): Float64Array {
  const where = 'etsRolling';
  const d = checkData(y, where, 'ETS');
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`${where}: horizon must be a positive integer, got ${show(horizon)}`);
  const r = resolveSpec({ error: model.error, trend: model.trend, damped: model.damped, seasonal: model.seasonal, ...(model.seasonal !== null ? { period: model.period } : {}) }, where);
  checkParams(model, r, where);
  if (r.seasonal === 'mul' || r.error === 'mul') for (let i = 0; i < d.length; i++) if (!(d[i]! > 0)) throw new RangeError(`${where}: a multiplicative ${r.error === 'mul' ? 'error' : 'season'} needs positive values; value ${i} is ${d[i]}`);
  const n = d.length;
  const m = r.m;
  const rec = { level: new Float64Array(n + 1), slope: new Float64Array(n + 1), season: new Float64Array((n + 1) * m) };
  run(d, r, model.alpha, r.trend !== null ? model.beta / model.alpha : 0, r.seasonal !== null ? model.gamma / (1 - model.alpha) : 0, model.phi, model.initialLevel, model.initialTrend, model.initialSeason, rec);
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((e, k) => {
    if (!Number.isInteger(e) || e < 0 || e >= n) throw new RangeError(`${where}: origin ${show(e)} is outside rows 0…${n - 1}`);
    forecastFrom(model, rec.level[e + 1]!, rec.slope[e + 1]!, seasonsAfter(rec.season, e + 1, m), horizon, out, k * horizon);
  });
  return out;
}
