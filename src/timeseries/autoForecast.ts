/**
 * fitAuto: choose the forecaster's lookback (and, when asked, its reference) on the VALIDATION
 * part, within a time budget, and return the chosen forecaster trained.
 *
 * The candidates are trained on the rows before the test part only — the series is cut at the
 * end of the validation part before anything sees it, so the test part cannot steer a choice.
 * Each candidate's network trains as `fit` trains it (scalers and Holt-Winters reference from the
 * training part, early stopping on the validation part with its best weights kept, which is how
 * the epochs are chosen) and is scored by the network's own validation MAE at the points the
 * combination is chosen on (validationPoints: every validation row once per step, so a validation
 * part shorter than the horizon scores too): the lookback and the reference are the network's
 * choice. The combination with a classical model (combine 'auto')
 * and the conformal offsets are then fitted once, on the winner, as `fit` fits them — the
 * classical models do not depend on the lookback, and fitting them per candidate cost seconds of
 * CPU each. The train/validation boundary is the one `fit` on the whole series would draw, so the
 * winner is exactly the forecaster `fit` would produce with that lookback (forecasts, combination
 * weights, offsets, saved files but `info.auto`): it is returned as it is, not retrained.
 *
 * Budget: candidates run from the shortest lookback; before each, its time is estimated from
 * the last one's (scaled by lookback, as a recurrent pass is) and it is skipped when it would
 * end past the budget. The first always runs. The winner's combination and calibration come
 * after the candidates, outside the budget (their time is in the choice's `seconds`). Browser-safe.
 */
import { checkOptions, show } from '../core/errors.js';
import type { History } from '../models/callbacks.js';
import { Forecaster, FORECASTER_DEFAULTS, scoredMae, validationPoints, type ForecasterArgs, type ForecastFitOptions, type ForecastReference } from './forecaster.js';
import { AUTO_SEASON_MAX, detectSeason } from './season.js';
import { chronologicalSplit, checkPositiveInt, rowsNeeded, toSeries, type Series, type SeriesInput } from './windowing.js';

/** Seconds fitAuto may spend by default. */
export const AUTO_BUDGET_SECONDS = 300;

export interface AutoOptions {
  /** Wall-clock seconds for all candidates together (the first always runs). Default AUTO_BUDGET_SECONDS (300). */
  budgetSeconds?: number;
  /**
   * Lookbacks to try. Default: 1, 2 and 3 seasons when there is a season (given, or detected
   * with season 'auto'), else 2, 4, 8 and 16 horizons (at least 4 rows); plus the lookback given
   * in the args; those that leave the training part at least 20 windows.
   */
  lookbacks?: readonly number[];
  /** References to try with each lookback. Default: the args' reference (or the default one). */
  references?: readonly ForecastReference[];
}

export interface AutoTrial {
  lookback: number;
  reference: ForecastReference;
  /** The network's MAE on the validation part (every origin whose horizon lies in it), before any combination. */
  validationMae: number;
  /** The epoch whose weights were kept (early stopping's best, 1-based) and the epochs run. */
  bestEpoch: number;
  epochs: number;
  seconds: number;
}

/** What fitAuto chose and why; also saved with the model as `info.auto`. */
export interface AutoChoice {
  lookback: number;
  reference: ForecastReference;
  /** The season the chosen forecaster uses (undefined: none) and whether it was detected. */
  season: number | null;
  seasonDetected: boolean;
  bestEpoch: number;
  /** The chosen network's, alone (the combination's own validation MAE is in `forecaster.combination.validation`). */
  validationMae: number;
  /** Every candidate that ran, in order. */
  trials: AutoTrial[];
  /** Candidates left out by the budget. */
  skipped: { lookback: number; reference: ForecastReference }[];
  budgetSeconds: number;
  /** All of fitAuto's time, the winner's combination and calibration included. */
  seconds: number;
}

export interface AutoResult {
  forecaster: Forecaster;
  history: History;
  choice: AutoChoice;
}

/** Windows the training part should leave a candidate lookback at least. */
const MIN_TRAIN_WINDOWS = 20;

/**
 * Train forecasters with several lookbacks (and references) on the rows before the test part,
 * keep the one with the lowest validation MAE. `args` are the Forecaster's (lookback optional:
 * it is only a candidate); `options` are fit's (`validation` and `test` fix the split).
 */
export async function fitAuto(input: SeriesInput | Series, args: Omit<ForecasterArgs, 'lookback'> & { lookback?: number }, options: ForecastFitOptions = {}, auto: AutoOptions = {}): Promise<AutoResult> {
  const where = 'fitAuto';
  checkOptions(auto, ['budgetSeconds', 'lookbacks', 'references'], where);
  const budget = auto.budgetSeconds ?? AUTO_BUDGET_SECONDS;
  if (typeof budget !== 'number' || !(budget > 0) || !Number.isFinite(budget)) throw new RangeError(`${where}: budgetSeconds must be a finite number > 0, got ${show(auto.budgetSeconds)}`);
  if (options.callbacks !== undefined) throw new RangeError(`${where}: callbacks are not supported (each candidate trains its own network; give them to fit with the chosen lookback)`);
  const s = toSeries(input, where);
  const split = chronologicalSplit(s.rows, options);
  const valRows = split.validationEnd - split.trainEnd;
  if (valRows === 0) throw new RangeError(`${where}: the validation part is empty (validation ${show(options.validation ?? FORECASTER_DEFAULTS.validation)}); the choice is made on it`);
  // Only the rows before the test part: nothing after them is read from here on.
  const R = split.validationEnd;
  const cut: Series = { rows: R, columns: s.columns, data: s.data.slice(0, R * s.columns) };
  if (options.times !== undefined && (!Array.isArray(options.times) || options.times.length !== s.rows)) throw new RangeError(`${where}: times must be an array of one time per row (${s.rows}), got ${show(options.times)}`);
  const times = options.times?.slice(0, R);
  // The same boundary as fit on the whole series: trainEnd rows, then valRows of validation.
  const vFrac = valRows / R;
  const fitOpts: ForecastFitOptions = { ...options, validation: vFrac, test: 0, ...(times !== undefined ? { times } : {}) };
  const H = args.strategy === 'recursive' ? 1 : args.horizon ?? 1;
  // undefined: the args' own (the default one, or none without windowRelative).
  const refs: (ForecastReference | undefined)[] = [...(auto.references ?? [args.reference])];
  if (refs.length === 0) throw new RangeError(`${where}: references is empty`);

  // The season the candidates share: detected once here (on the training part, as fit would) so the default lookbacks can follow it.
  const detect = (args.season === undefined ? FORECASTER_DEFAULTS.season : args.season) === 'auto';
  const target = args.target ?? 0;
  if (!Number.isInteger(target) || target < 0 || target >= s.columns) throw new RangeError(`${where}: target must be a column index below ${s.columns}, got ${show(args.target)}`);
  const yCut = Float64Array.from({ length: R }, (_, r) => s.data[r * s.columns + target]!);
  let season: number | undefined;
  if (detect) {
    const y = yCut.subarray(0, split.trainEnd);
    const t = times === undefined ? undefined : Array.from({ length: split.trainEnd }, (_, i) => { const v = times[i]!; return v instanceof Date ? v.getTime() : v; });
    season = detectSeason(y, { maxPeriod: AUTO_SEASON_MAX, ...(t === undefined ? {} : { times: t }) }).season ?? undefined;
  } else season = typeof args.season === 'number' ? args.season : undefined;

  let lookbacks: number[];
  if (auto.lookbacks !== undefined) {
    if (!Array.isArray(auto.lookbacks) || auto.lookbacks.length === 0) throw new RangeError(`${where}: lookbacks must be a non-empty array of positive integers, got ${show(auto.lookbacks)}`);
    lookbacks = auto.lookbacks.map((l, i) => checkPositiveInt(l, `${where}: lookbacks[${i}]`));
  } else {
    const c = new Set<number>();
    if (season !== undefined && season >= 2) for (const k of [1, 2, 3]) c.add(k * season);
    else for (const k of [2, 4, 8, 16]) c.add(Math.max(4, k * H));
    if (args.lookback !== undefined) c.add(args.lookback);
    lookbacks = [...c].filter((L) => split.trainEnd - rowsNeeded(L, H) + 1 >= MIN_TRAIN_WINDOWS);
    if (lookbacks.length === 0) throw new RangeError(`${where}: the training part (${split.trainEnd} rows) leaves no candidate lookback ${MIN_TRAIN_WINDOWS} training windows; give lookbacks`);
  }
  lookbacks = [...new Set(lookbacks)].sort((a, b) => a - b);

  const t0 = performance.now();
  const trials: AutoTrial[] = [];
  const skipped: AutoChoice['skipped'] = [];
  let best: { f: Forecaster; h: History; trial: AutoTrial } | null = null;
  let last: AutoTrial | null = null;
  for (const lookback of lookbacks) {
    for (const reference of refs) {
      const elapsed = (performance.now() - t0) / 1000;
      if (last !== null && elapsed + (last.seconds * lookback) / last.lookback > budget) {
        skipped.push({ lookback, reference: reference ?? args.reference ?? FORECASTER_DEFAULTS.reference });
        continue;
      }
      const t1 = performance.now();
      // The detected season is passed on, so every candidate (and the saved model) uses the same one.
      const f = new Forecaster({ ...args, lookback, ...(reference !== undefined ? { reference } : {}), ...(detect ? { season: season ?? 'none' } : {}) });
      // The network alone: no combination or offsets yet (finishFit below gives them to the winner).
      const h = await f.fitNetwork(cut, fitOpts);
      // The network's forecasts scored at the points the combination is chosen on (each
      // validation row once per step: a validation part shorter than the horizon scores too).
      const valPoints = validationPoints(yCut, split, lookback, f.horizon);
      const pred = f.predictFrom(cut, valPoints.origins, f.horizon, times !== undefined && f.calendar !== null ? { times } : {});
      const losses = h.history.val_loss ?? [];
      const bestEpoch = losses.length === 0 ? h.epoch.length : losses.indexOf(Math.min(...losses)) + 1;
      const trial: AutoTrial = { lookback, reference: f.reference, validationMae: scoredMae(valPoints.actual, pred), bestEpoch, epochs: h.epoch.length, seconds: (performance.now() - t1) / 1000 };
      trials.push(trial);
      last = trial;
      if (best === null || trial.validationMae < best.trial.validationMae) {
        best?.f.dispose();
        best = { f, h, trial };
      } else f.dispose();
    }
  }
  const { f, h, trial } = best!;
  // What fit does after training, on the same rows and split as the candidates: the combination
  // (combine 'auto') and the conformal offsets, for the winner only.
  f.finishFit(cut, fitOpts);
  // The forecaster was trained with the split fit would draw on the whole series: say so.
  f.split = { validation: options.validation ?? FORECASTER_DEFAULTS.validation, test: options.test ?? FORECASTER_DEFAULTS.test };
  if (detect && f.season !== undefined) f.seasonSource = 'detected';
  const choice: AutoChoice = {
    lookback: trial.lookback,
    reference: trial.reference,
    season: f.season ?? null,
    seasonDetected: f.seasonSource === 'detected',
    bestEpoch: trial.bestEpoch,
    validationMae: trial.validationMae,
    trials,
    skipped,
    budgetSeconds: budget,
    seconds: (performance.now() - t0) / 1000,
  };
  f.info = { ...f.info, auto: choice };
  return { forecaster: f, history: h, choice };
}
