/**
 * `rnnkit timeseries train | evaluate | forecast`: forecasting a CSV column with a recurrent network,
 * scored against the last-value, seasonal-naive, Holt-Winters, ETS and SARIMA baselines.
 */
import { resolve } from 'node:path';
import { AUTO_BUDGET_SECONDS, AUTO_SEASON_MAX, FORECASTER_DEFAULTS, Forecaster, chronologicalSplit, extendTimes, rowsNeeded, fitAuto, timeCellsKind, timeStep, type ForecasterArgs, ModelFormatError, etsName, type History, holtWintersName, sarimaName, plotForecast, plotForecastPanels, type ForecastPlotData, type FillMethod, type ForecastEvaluation, type ForecastEvaluationMany, type ForecastMetrics, type Series } from '../index.js';
import { CliError, choiceOption, intOption, numberOption, parse, usageError, workersOption, type OptionSpec } from './args.js';
import { commaColumns, dateColumnHint, dropLeadingMissing, hasTimeColumn, isDateColumn, numericSeries, readTable, seriesIds, timeCells, timeColumn, type Table } from './csv.js';
import { writeTextFile } from '../io/node.js';
import { checkTimeStep } from '../timeseries/calendar.js';
import { hasZone, parseTime } from '../timeseries/timeCells.js';
import { checkModelDir, checkOutDir } from './textgen.js';

type Print = (line: string) => void;

/** The Forecaster's defaults (one set for the API and the CLI), plus the CLI's seed; 'relative' is standard scaling of window-relative values. */
export const DEFAULTS = { ...FORECASTER_DEFAULTS, lr: FORECASTER_DEFAULTS.learningRate, seed: 42, scaling: 'relative' as const };

const TRAIN_HELP = `Usage: rnnkit timeseries train data.csv --target COL --lookback N --horizon N [options]
       rnnkit timeseries train data.csv --target COL --horizon N --auto [--budget S] [options]

Train a recurrent forecaster on a CSV file (a header row, one row per time step, oldest
first; separated by commas, semicolons — then 3,14 is read as 3.14 — or tabs, as the header
line shows). The rows are split in time order: training, then validation (early stopping, best
weights kept), then the test part, where the model's errors are printed beside those of the
last-value, (with --season) seasonal-naive, Holt-Winters and ETS baselines (Holt-Winters: the
exponential-smoothing variant with the lowest AICc, seasonal with --season, fitted on the
rows before the test part; ETS: the error/trend/season state-space model with the lowest AICc,
fitted by maximum likelihood on the same rows) and, with a --season of 2 to 24, SARIMA
(1,1,1)(0,1,1) of that season, fitted by maximum likelihood on the same rows (on a long series
only the last of them, as many as rows × states² ≤ 10⁶ allows). Without such a season, with a
--time-column of daily or weekly dates: ARIMA(1,1,1) with 2 Fourier pairs of the year; without
those, with a season over 24 rows: 2 Fourier pairs of that season from the row index.

Options:
  --target COL                column to forecast (required)
  --features A,B              input columns (default: the target)
  --covariates A,B            further input columns taken as they are (scaled, not measured
                              from a reference), e.g. a known precipitation or holiday flag
  --time-column COL           dates of the rows (used to date the forecasts): ISO dates and
                              times, 31.12.1981 or 12/31/1981 (the order from the values),
                              YYYYMMDD or YYYYMM integers, or plain numbers; DATE,TIME joins
                              a date column and a clock-time column (18:00:00 or 18.00.00)
  --id-column COL             many series in one long-format file: the rows of each value of
                              COL are one series (oldest first within it); COL,COL2 makes
                              one series of each pair of values (store,item); one network is
                              trained over all of them, each split, scaled and given its
                              Holt-Winters reference (and --combine's classical model) on its
                              own; the test part is scored per series and as the mean over
                              the series (--plot: one panel per series)
  --lookback N                input rows per window (required without --auto)
  --horizon N                 steps forecast at once (required)
  --season N|auto|none        period of the seasonal baselines and of the Holt-Winters
                              reference (e.g. 12 for monthly data); auto (the default):
                              detected on the training part from its autocorrelation, the
                              candidates from the time column's spacing (daily 7 and 365,
                              monthly 12, hourly 24 and 168, …) and peaks; none: no season
  --auto                      choose the lookback on the validation part: 1, 2 and 3 seasons
                              (without a season 2, 4, 8 and 16 horizons; plus --lookback if
                              given), each trained as train does (epochs by early stopping)
                              and scored by its validation MAE; the test part is not read;
                              the choice is printed and saved with the model
  --budget S                  seconds --auto may spend (default ${AUTO_BUDGET_SECONDS}); candidates
                              that would end past it are skipped, the first always runs
  --reference last|line|holtWinters|seasonalLine
                              what each window is measured from with --scaling relative: its
                              last value; its least-squares line; exponential smoothing's
                              level, slope and season at the origin (fitted on the training
                              part); or that season plus the line through the rest of the
                              window (default ${DEFAULTS.reference})
  --no-calendar               no calendar covariates (default: with a --time-column of dates,
                              sin/cos of the time of year, week or day, as the spacing suggests)
  --ensemble N                networks trained side by side; the forecast is their median
                              (default ${DEFAULTS.ensemble})
  --combine auto|none         auto: combine the network's forecast with ETS, SARIMA or (with a
                              season of 2-24 and a lookback of a season) the seasonal naive
                              forecast, the one best on the validation part (ETS and SARIMA
                              fitted on the training part), a weight per step chosen on the
                              validation part; seconds of CPU
                              more on a few hundred rows; with --id-column each series gets
                              its own, chosen on its own parts (default ${DEFAULTS.combine})
  --quantiles A,B,…           forecast these quantiles (pinball loss; 0.5 among them is the
                              forecast), e.g. 0.1,0.5,0.9; the test part's interval coverage
                              is printed
  --calibration conformal|none
                              with --quantiles: widen each symmetric interval (0.1/0.9, …)
                              per step by conformal calibration on the validation part (never
                              narrower than trained), or keep the network's own (default:
                              conformal for symmetric levels; the report prints both)
  --strategy direct|recursive one output per step, or a one-step model rolled forward (default ${DEFAULTS.strategy})
  --scaling relative|standard|minmax
                              relative: subtract each window's last value, then standardize
                              (default ${DEFAULTS.scaling}; right for trending series)
  --cell lstm|gru|simple      (default ${DEFAULTS.cell})
  --units N                   (default ${DEFAULTS.units})
  --layers N                  (default ${DEFAULTS.layers})
  --epochs N                  at most (default ${DEFAULTS.epochs})
  --batch-size N              (default ${DEFAULTS.batchSize})
  --lr X                      Adam learning rate (default ${DEFAULTS.lr})
  --patience N                early-stopping patience in epochs, 0 for none (default ${DEFAULTS.patience})
  --validation X              validation fraction (default ${DEFAULTS.validation})
  --test X                    test fraction at the end (default ${DEFAULTS.test})
  --fill previous|linear      fill missing values (default: refuse them)
  --seed N                    (default ${DEFAULTS.seed})
  --workers N|auto            data-parallel shards per batch (default auto)
  --out DIR                   keep the model (a new or empty directory)
  --overwrite                 replace the rnnkit model DIR already holds (else refused)
  --plot FILE.svg             plot the test part: history, actual values, the model's and
                              Holt-Winters', ETS' and SARIMA's forecasts; with --quantiles
                              the outer two as a shaded band (legend: its nominal coverage,
                              e.g. 80% interval)
  --metrics-json FILE         write the test-part metrics of the model and every baseline as
                              {"model": {mae, rmse, mape, smape}, "baselines": {name: {…}}, …}
  --baselines LIST            the fitted baselines to score: all (default), none, or some of
                              holtWinters,ets,sarima (last value and seasonal naive always;
                              ETS and SARIMA cost seconds of CPU on a few hundred rows)
  -h, --help`;

const FORECAST_HELP = `Usage: rnnkit timeseries forecast DIR data.csv --steps N [options]

Forecast the next N values after the end of data.csv (the same columns as in training)
with a model from \`rnnkit timeseries train --out DIR\`, written to stdout.
A model trained with --id-column forecasts every series of the CSV (by the same id column;
each from its whole history, as in training), one row per id and step; ids the model was not
trained on are refused.

Options:
  --steps N               values to forecast (default: the model's horizon)
  --format csv|json       (default csv)
  --fill previous|linear  fill missing values (default: refuse them)
  --plot FILE.svg         plot the end of the series and the forecast (a model trained with
                          --quantiles: the outer two as a shaded interval); a model trained
                          with --id-column: one panel per series
  -h, --help`;

const EVALUATE_HELP = `Usage: rnnkit timeseries evaluate DIR --csv data.csv [options]

Score a model from \`rnnkit timeseries train --out DIR\` on the last test fraction of a CSV's
rows, as train scores its test part: the same rolling origins (every window whose targets lie
in the test part), beside the same baselines (last value, seasonal naive with a season,
Holt-Winters, ETS and, with a season of 2 to 24, SARIMA fitted on the rows before the test
part), and with quantiles the interval
coverage. The CSV needs the model's columns (by name) and, for calendar covariates, its time
column. The CSV may also be given as a second argument instead of --csv.
A model trained with --id-column is scored per series (by the same id column) and as the mean
over the series, as train prints it (--plot: one panel per series).

Options:
  --csv FILE              the series to score (oldest row first)
  --time-column COL       dates of the rows (default: the model's time column, if the file has it)
  --season N              period of the seasonal-naive baseline and of Holt-Winters' season
                          (default: the model's season)
  --test X                fraction of rows at the end to score (default: the model's, from train)
  --fill previous|linear  fill missing values (default: refuse them)
  --metrics-json FILE     write the metrics of the model and every baseline as JSON (as train)
  --plot FILE.svg         plot the test part (as train), with quantiles the interval as a band
  --baselines LIST        the fitted baselines to score: all (default), none, or some of
                          holtWinters,ets,sarima (as train)
  -h, --help`;

export const TIMESERIES_HELP = `Usage: rnnkit timeseries <command> [options]

Commands:
  train data.csv --target COL --lookback N --horizon N   train and score against baselines
  evaluate DIR --csv data.csv                            score a saved model on a CSV's test part
  forecast DIR data.csv --steps N                        forecast after the end of a CSV

Run \`rnnkit timeseries <command> --help\` for the options of each.`;

const TRAIN_VALUES = ['target', 'features', 'covariates', 'time-column', 'id-column', 'lookback', 'horizon', 'season', 'budget', 'reference', 'ensemble', 'quantiles', 'strategy', 'scaling', 'cell', 'units', 'layers', 'epochs', 'batch-size', 'lr', 'patience', 'validation', 'test', 'fill', 'seed', 'out', 'plot', 'metrics-json', 'combine', 'baselines', 'workers'];
const TRAIN_OPTIONS: OptionSpec = { ...Object.fromEntries(TRAIN_VALUES.map((k) => [k, { type: 'string' as const }])), calibration: { type: 'string' }, overwrite: { type: 'boolean' }, auto: { type: 'boolean' }, 'no-calendar': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

export async function timeseries(argv: string[], out: Print): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return out(TIMESERIES_HELP);
  if (command === 'train') return train(rest, out);
  if (command === 'evaluate') return evaluate(rest, out);
  if (command === 'forecast') return forecast(rest, out);
  throw usageError(`rnnkit timeseries: unknown command ${JSON.stringify(command)}; commands: train, evaluate, forecast (see rnnkit timeseries --help)`);
}

/** How the rows are spaced in time (saved with the model): whole months, a fixed number of milliseconds, or working days (see timeStep). */
interface TimeInfo {
  column: string;
  last: number;
  months?: number;
  end?: true;
  ms?: number;
  weekdays?: true;
}

function timeInfo(column: string, times: number[]): TimeInfo | undefined {
  if (times.length < 2) return undefined;
  return { column, last: times[times.length - 1]!, ...timeStep(times) };
}

/**
 * The model's saved time column and row spacing (info.time, written by train), checked as any
 * field of a file from elsewhere: forecast dates its rows by this step, so a tampered one must
 * not print wrong dates (a step of 0 repeated the last date) or fail deep inside.
 */
function savedTimeInfo(f: Forecaster, dir: string): TimeInfo | undefined {
  const t = (f.info as { time?: unknown }).time;
  if (t === undefined) return undefined;
  const where = `${dir}: info.time`;
  if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new CliError(`${where} must be {column, last, months [, end] | ms [, weekdays]}, got ${JSON.stringify(t)}`);
  const { column, last, ...step } = t as Record<string, unknown>;
  // '' is a name: pandas' to_csv writes its index column with an empty header.
  if (typeof column !== 'string') throw new CliError(`${where}.column must be the time column's name, got ${JSON.stringify(column)}`);
  if (typeof last !== 'number' || !Number.isFinite(last)) throw new CliError(`${where}.last must be a time in ms, got ${JSON.stringify(last)}`);
  try {
    return { column, last, ...checkTimeStep(step, where) };
  } catch (e) {
    throw e instanceof RangeError ? new CliError(e.message) : e;
  }
}

/** For a time column of plain numbers (no dates), the decimals it is written with (at most 10); undefined for dates. */
function numberTimes(table: Table, column: string): { decimals: number } | undefined {
  if (isDateColumn(table, column)) return undefined;
  const decimals = Math.max(0, ...timeCells(table, column).map((c) => /\.(\d+)$/.exec(c.trim())?.[1]?.length ?? 0));
  return { decimals: Math.min(decimals, 10) };
}

/**
 * The times of the `steps` rows after the last: dates continuing the spacing, or, for a time
 * column of plain numbers (years, R's decimal years 1949.083, row numbers), numbers continuing
 * it, written with `numbers.decimals` decimals at most (as the column is written).
 */
function futureTimes(info: TimeInfo | undefined, steps: number, numbers?: { decimals: number }, written: TimeWriting = { naive: false, period: null }): string[] | undefined {
  if (info === undefined) return undefined;
  if (numbers !== undefined) {
    // A plain-number column's step is its median difference (timeStep's {ms}); whole months cannot arise from numbers.
    const step = info.ms ?? 1;
    return Array.from({ length: steps }, (_, i) => String(Number((info.last + step * (i + 1)).toFixed(numbers.decimals))));
  }
  // Dates alone where every forecast time falls on a midnight (whole days or months from one);
  // else every time in full, so an hourly forecast does not print its midnights as bare dates.
  const DAY = 86_400_000;
  const dateOnly = info.last % DAY === 0 && (info.months !== undefined || info.ms! % DAY === 0);
  const step = info.months !== undefined ? { months: info.months, ...(info.end === true ? { end: true as const } : {}) } : { ms: info.ms!, ...(info.weekdays === true ? { weekdays: true as const } : {}) };
  return extendTimes(step, info.last, steps).map((t) => {
    const iso = new Date(t).toISOString();
    const period = dateOnly && written.period !== null ? written.period(t) : null;
    // Times written without a zone (read as UTC) are printed without one: a 'Z' would claim UTC for local clock times.
    return period ?? (dateOnly ? iso.slice(0, 10) : written.naive ? iso.replace(/(\.000)?Z$/, '') : iso);
  });
}

/** How the forecast writes its times: without a zone (naive), and as a month or quarter (period: null for a time that is no period's start), else ISO. */
interface TimeWriting {
  naive: boolean;
  period: ((t: number) => string | null) | null;
}

/**
 * How a time column writes its times, so the forecast's are written alike: without a zone where no
 * cell names one; as months or quarters where every cell is one ('2020-07', '1949M01', '1956 Q1',
 * 'Q1 1956', '2020Q1'), so the forecast joins back to the file.
 */
function timeWriting(table: Table, column: string): TimeWriting {
  const all = timeCells(table, column);
  const cells = all.map((c) => c.trim()).filter((c) => c !== '');
  const last = cells.at(-1) ?? '';
  const every = (form: RegExp): boolean => cells.length > 0 && cells.every((c) => form.test(c));
  const pad2 = (m: number): string => String(m).padStart(2, '0');
  // A time at midnight on a month's first day, as its year and month.
  const at = (write: (year: string, month: number) => string | null) => (t: number): string | null => {
    const d = new Date(t);
    return d.getUTCDate() === 1 && d.getUTCHours() === 0 ? write(String(d.getUTCFullYear()).padStart(4, '0'), d.getUTCMonth() + 1) : null;
  };
  let period: TimeWriting['period'] = null;
  if (every(/^\d{4}-\d\d$/)) period = at((y, m) => `${y}-${pad2(m)}`);
  else if (every(/^\d{4}M\d{1,2}$/i)) {
    const [letter, padded] = [/M/.test(last) ? 'M' : 'm', /[Mm]\d\d$/.test(last)];
    period = at((y, m) => `${y}${letter}${padded ? pad2(m) : m}`);
  } else if (every(/^\d{4}\s*-?\s*Q[1-4]$/i) || every(/^Q[1-4]\s*-?\s*\d{4}$/i)) {
    // The last cell as a template: its year and quarter replaced.
    period = at((y, m) => (m % 3 !== 1 ? null : last.replace(/\d{4}/, y).replace(/(q)[1-4]/i, `$1${(m + 2) / 3}`)));
  }
  return { naive: !all.some(hasZone), period };
}

/** A time column of dates (not plain numbers such as years or row numbers, whose unit is unknown). */
const fill = (values: Record<string, unknown>): FillMethod | undefined => (values.fill === undefined ? undefined : choiceOption(values, 'fill', ['previous', 'linear'] as const, 'previous'));

const BASELINES = ['holtWinters', 'ets', 'sarima'] as const;

/** --baselines LIST as evaluate's options: those left out are off; those kept at evaluate's defaults (SARIMA with a season of 2–24 rows, a yearly Fourier ARIMA, or the ARIMA the forecaster is combined with). */
function baselineOptions(values: Record<string, unknown>, command: string): { holtWinters?: false; ets?: false; sarima?: false } {
  const v = values.baselines;
  if (v === undefined || v === 'all') return {};
  const names = v === 'none' ? [] : String(v).split(',').map((x) => x.trim());
  for (const n of names) if (!(BASELINES as readonly string[]).includes(n)) throw usageError(`${command}: --baselines: unknown baseline ${JSON.stringify(n)}; give all, none, or some of ${BASELINES.join(', ')}`);
  return Object.fromEntries(BASELINES.filter((b) => !names.includes(b)).map((b) => [b, false]));
}

/** Every required option missing, said at once; without --target, with the file's columns to choose from. */
async function required(values: Record<string, unknown>, names: readonly string[], file: string, command: string): Promise<void> {
  const missing = names.filter((n) => values[n] === undefined || values[n] === '');
  if (missing.length === 0) return;
  let columns = '';
  if (missing.includes('target')) {
    try {
      columns = `; the columns of ${file}: ${(await readTable(file)).header.join(', ')}`;
    } catch {
      // an unreadable file is said when it is read
    }
  }
  throw usageError(`${command}: ${missing.map((n) => `--${n}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} required${columns} (see ${command} --help)`);
}

async function train(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit timeseries train';
  const { values, positionals } = parse(argv, TRAIN_OPTIONS, command);
  if (values.help === true) return print(TRAIN_HELP);
  if (positionals.length !== 1) throw usageError(`${command}: expected one CSV file, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const auto = values.auto === true;
  await required(values, auto ? ['target', 'horizon'] : ['target', 'lookback', 'horizon'], positionals[0]!, command);
  if (!auto && values.budget !== undefined) throw usageError(`${command}: --budget is the time --auto may spend; without --auto leave it out`);
  const budget = numberOption(values, 'budget', AUTO_BUDGET_SECONDS, (n) => n > 0 && Number.isFinite(n), 'a number of seconds > 0');
  const target = values.target as string;
  const lookback = values.lookback === undefined ? undefined : intOption(values, 'lookback', 1);
  const horizon = intOption(values, 'horizon', 1);
  const seasonArg: number | 'auto' | 'none' = values.season === undefined || values.season === 'auto' ? 'auto' : values.season === 'none' ? 'none' : intOption(values, 'season', 1);
  const strategy = choiceOption(values, 'strategy', ['direct', 'recursive'] as const, DEFAULTS.strategy);
  const scaling = choiceOption(values, 'scaling', ['relative', 'standard', 'minmax'] as const, DEFAULTS.scaling);
  const reference = choiceOption(values, 'reference', ['last', 'line', 'holtWinters', 'seasonalLine'] as const, DEFAULTS.reference);
  const baselines = baselineOptions(values, command);
  if (values.reference !== undefined && scaling !== 'relative') throw usageError(`${command}: --reference measures windows from a reference, which needs --scaling relative (got --scaling ${scaling})`);
  const ensemble = intOption(values, 'ensemble', DEFAULTS.ensemble);
  const combine = choiceOption(values, 'combine', ['auto', 'none'] as const, DEFAULTS.combine === 'auto' ? 'auto' : 'none');
  const calendar = values['no-calendar'] !== true;
  let quantiles: number[] | undefined;
  if (values.quantiles !== undefined) {
    quantiles = String(values.quantiles).split(',').map((v) => Number(v.trim()));
    if (!quantiles.every((v, i) => Number.isFinite(v) && v > 0 && v < 1 && (i === 0 || v > quantiles![i - 1]!)) || !quantiles.includes(0.5)) {
      throw usageError(`${command}: --quantiles must be increasing numbers in (0, 1) including 0.5, e.g. 0.1,0.5,0.9; got ${JSON.stringify(values.quantiles)}`);
    }
  }
  const calibration = values.calibration === undefined ? undefined : choiceOption(values, 'calibration', ['conformal', 'none'] as const, 'conformal');
  if (calibration !== undefined && quantiles === undefined) throw usageError(`${command}: --calibration calibrates the intervals of --quantiles; give --quantiles too`);
  if (calibration === 'conformal' && quantiles!.some((q) => !quantiles!.some((m) => Math.abs(q + m - 1) < 1e-9))) throw usageError(`${command}: --calibration conformal widens symmetric intervals; every --quantiles level needs its mirror (1 − level), got ${JSON.stringify(values.quantiles)}`);
  const cell = choiceOption(values, 'cell', ['lstm', 'gru', 'simple'] as const, DEFAULTS.cell);
  const units = intOption(values, 'units', DEFAULTS.units);
  const numLayers = intOption(values, 'layers', DEFAULTS.layers);
  const epochs = intOption(values, 'epochs', DEFAULTS.epochs);
  const batchSize = intOption(values, 'batch-size', DEFAULTS.batchSize);
  const lr = numberOption(values, 'lr', DEFAULTS.lr, (n) => n > 0, 'a number > 0');
  const patience = intOption(values, 'patience', DEFAULTS.patience, 0);
  const validation = numberOption(values, 'validation', DEFAULTS.validation, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const test = numberOption(values, 'test', DEFAULTS.test, (n) => n > 0 && n < 1, 'a number in (0, 1)');
  if (validation + test >= 1) throw usageError(`${command}: --validation + --test must be < 1, got ${validation + test}`);
  const seed = intOption(values, 'seed', DEFAULTS.seed, 0);
  const featureNames = values.features === undefined ? [target] : String(values.features).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (featureNames.length === 0) throw usageError(`${command}: --features needs at least one column name`);
  const covariateNames = values.covariates === undefined ? [] : String(values.covariates).split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (values.covariates !== undefined && covariateNames.length === 0) throw usageError(`${command}: --covariates needs at least one column name`);
  for (const c of covariateNames) if (c === target || featureNames.includes(c)) throw usageError(`${command}: --covariates ${JSON.stringify(c)} is already ${c === target ? 'the target' : 'a feature'}`);
  const outDir = values.out === undefined ? undefined : resolve(values.out as string);
  if (outDir !== undefined) await checkOutDir(outDir, values.overwrite === true);

  const file = positionals[0]!;
  let table = await readTable(file);
  // Columns of the series: the target first, then the other features.
  const columns = [target, ...featureNames.filter((n) => n !== target), ...covariateNames];
  if (values['id-column'] !== undefined) {
    const timeParts = values['time-column'] === undefined ? [] : commaColumns(table.header, values['time-column'] as string);
    for (const idColumn of commaColumns(table.header, values['id-column'] as string)) {
      if (columns.includes(idColumn) || timeParts.includes(idColumn)) throw usageError(`${command}: --id-column ${JSON.stringify(idColumn)} is already ${timeParts.includes(idColumn) ? 'the time column' : 'a model column'}`);
    }
  }
  const byId = values['id-column'] === undefined ? null : splitById(table, values['id-column'] as string);
  if (byId === null) table = fromSeriesStart(table, columns);
  const series = byId === null ? numericSeries(table, columns, covariateNames.length > 0 ? '--target/--features/--covariates' : '--target/--features', fill(values)) : null;
  const timeName = values['time-column'] as string | undefined;
  const idName = values['id-column'] as string | undefined;
  const dates = timeName === undefined ? dateColumnHint(table, [...columns, ...(idName === undefined ? [] : commaColumns(table.header, idName))], idName) : null;
  const noteDates = (): void => {
    if (dates !== null) print(`\nNote: column '${dates}' holds dates; give --time-column ${JSON.stringify(dates)} for calendar covariates, checks of the rows' order and gaps, and dated forecasts`);
  };
  const times = timeName === undefined || byId !== null ? undefined : timeColumn(table, timeName);
  // Calendar covariates need dates; a numeric time column (years, row numbers) has no calendar.
  const dateTimes = calendar && timeName !== undefined && isDateColumn(table, timeName);
  const calTimes = dateTimes ? times : undefined;
  if (auto && values['id-column'] !== undefined) throw usageError(`${command}: --auto chooses for one series; with --id-column give --lookback (and --season)`);
  const args: Omit<ForecasterArgs, 'lookback'> = {
    horizon,
    strategy,
    target: 0,
    features: featureNames.map((n) => columns.indexOf(n)),
    ...(covariateNames.length > 0 ? { covariates: covariateNames.map((n) => columns.indexOf(n)) } : {}),
    columns,
    scaling: scaling === 'relative' ? 'standard' : scaling,
    windowRelative: scaling === 'relative',
    ...(scaling === 'relative' ? { reference } : {}),
    season: seasonArg,
    calendar: calendar ? 'auto' : false,
    ensemble,
    combine: combine === 'auto' ? 'auto' : false,
    ...(quantiles !== undefined ? { quantiles } : {}),
    ...(calibration !== undefined ? { calibration } : {}),
    cell,
    units,
    layers: numLayers,
    seed,
  };
  let f = new Forecaster({ ...args, lookback: lookback ?? 1 });
  if (byId !== null) {
    const idColumn = values['id-column'] as string;
    const many = manySeries(byId, columns, covariateNames.length > 0 ? '--target/--features/--covariates' : '--target/--features', fill(values), timeName);
    const first = Object.values(many.times ?? {})[0];
    f.info = { idColumn, ...(timeName !== undefined && first !== undefined ? { time: timeInfo(timeName, first) } : {}) };
    const ids = Object.keys(many.series);
    checkTestPart('train', ids.map((id) => [id, many.series[id]!.rows]), { validation, test, horizon, lookback: f.lookback, outputSteps: f.outputSteps }, idColumn);
    print(`Training ${cell.toUpperCase()}(${units})${numLayers > 1 ? ` ×${numLayers}` : ''} on ${file}: ${ids.length} series by '${idColumn}' (${table.rows.length} rows), target '${target}', lookback ${f.lookback}, horizon ${horizon}`);
    const calById = dateTimes ? many.times : undefined;
    const h = await f.fitMany(many.series, { epochs, batchSize, learningRate: lr, patience, validation, test, seed, verbose: 0, workers: workersOption(values), ...(calById !== undefined ? { times: calById } : {}) });
    for (const line of trainingLines(f, timeName, h, validation)) print(line);
    const season = f.season;
    for (const line of combinationLines(f, idColumn)) print(line);
    const ev = f.evaluateMany(many.series, { season, ...baselines, ...((f.calendar ?? null) !== null ? { times: calById } : {}) });
    const plot = values.plot === undefined ? undefined : { file: values.plot as string, series: many.series, times: many.times, timeName, dates: timeName !== undefined && isDateColumn(table, timeName) };
    await reportMany(ev, { test, season, idColumn, target, file, lookback: f.lookback, horizon, metricsJson: values['metrics-json'] as string | undefined, plot }, print);
    if (outDir !== undefined) {
      await f.save(outDir);
      print(`\nModel saved in ${outDir}`);
    }
    noteDates();
    return;
  }
  // Without --id-column the series was read above.
  if (series === null) throw new Error('unreachable: one series without --id-column');
  const timeMeta = times !== undefined ? { time: timeInfo(values['time-column'] as string, times) } : {};
  checkTestPart('train', [[null, series.rows]], { validation, test, horizon });
  print(`Training ${cell.toUpperCase()}(${units})${numLayers > 1 ? ` ×${numLayers}` : ''} on ${file}: ${series.rows} rows, target '${target}', features ${featureNames.map((n) => `'${n}'`).join(', ')}${covariateNames.length > 0 ? `, covariates ${covariateNames.map((n) => `'${n}'`).join(', ')}` : ''}, lookback ${auto ? 'auto' : lookback}, horizon ${horizon}`);
  const fitOptions = { epochs, batchSize, learningRate: lr, patience, validation, test, seed, verbose: 0 as const, workers: workersOption(values), ...(calTimes !== undefined ? { times: calTimes } : {}) };
  let h;
  if (auto) {
    f.dispose();
    const res = await fitAuto(series, { ...args, ...(lookback !== undefined ? { lookback } : {}) }, fitOptions, { budgetSeconds: budget });
    ({ forecaster: f, history: h } = res);
    const c = res.choice;
    print(`Auto (validation part, budget ${budget} s, ${c.seconds.toFixed(1)} s spent): ${c.trials.map((t) => `lookback ${t.lookback}${c.trials.some((u) => u.reference !== t.reference) ? ` ${t.reference}` : ''} → MAE ${t.validationMae.toPrecision(4)} (best epoch ${t.bestEpoch}, ${t.seconds.toFixed(1)} s)`).join('; ')}${c.skipped.length > 0 ? `; skipped for the budget: lookback ${c.skipped.map((k) => k.lookback).join(', ')}` : ''}`);
    print(`Chose lookback ${c.lookback}${c.trials.some((u) => u.reference !== c.reference) ? `, reference ${c.reference}` : ''} (validation MAE ${c.validationMae.toPrecision(4)}, best epoch ${c.bestEpoch})`);
  } else h = await f.fit(series, fitOptions);
  f.info = { ...f.info, ...timeMeta };
  for (const line of trainingLines(f, timeName, h, validation)) print(line);
  for (const line of combinationLines(f)) print(line);
  const season = f.season;
  const ev = f.evaluate(series, { ...baselines, ...((f.calendar ?? null) !== null ? { times: calTimes } : {}) });
  await reportEvaluation(ev, { test, season, series, timeName: values['time-column'] as string | undefined, times, dates: times !== undefined && isDateColumn(table, values['time-column'] as string), target, file, lookback: f.lookback, horizon, metricsJson: values['metrics-json'] as string | undefined, plot: values.plot as string | undefined }, print);
  if (outDir !== undefined) {
    await f.save(outDir);
    print(`\nModel saved in ${outDir}`);
  }
  noteDates();
}

/**
 * train and evaluate score whole windows of the horizon in each series' test part: where a test
 * part is shorter than the horizon there is none, so train refuses that before training rather
 * than after it (with nothing saved), and evaluate before reading the model's forecasts. Names
 * the series (with --id-column) and the --test that fits.
 */
function checkTestPart(command: 'train' | 'evaluate', rowsById: readonly (readonly [string | null, number])[], o: { validation: number; test: number; horizon: number; lookback?: number; outputSteps?: number }, idColumn?: string): void {
  const { validation, test, horizon } = o;
  const testRows = (rows: number): number => rows - chronologicalSplit(rows, { validation, test }).validationEnd;
  // A series too short to train on (given the lookback) is fitMany's to name, with the others like it.
  const trains = (rows: number): boolean => o.lookback === undefined || chronologicalSplit(rows, { validation, test }).trainEnd >= rowsNeeded(o.lookback, o.outputSteps ?? horizon);
  const short = rowsById.filter(([, rows]) => trains(rows) && testRows(rows) < horizon);
  if (short.length === 0) return;
  const fewest = Math.min(...short.map(([, rows]) => rows));
  const fits = Math.ceil((horizon / fewest) * 100) / 100;
  // evaluate has the model's horizon: only the test fraction (or the file) can change.
  const shorter = command === 'train' ? ', or a shorter --horizon' : '';
  const fix = fits < 1 - validation ? `--test ${fits} or more${shorter}` : command === 'train' ? 'a shorter --horizon (or more rows)' : 'more rows';
  const what = short[0]![0] === null
    ? `the test part (--test ${test}: ${testRows(fewest)} of ${fewest} rows)`
    : `the test part (--test ${test}) of ${short.length} of ${rowsById.length} series by '${idColumn ?? 'id'}' (${short.slice(0, 8).map(([id, rows]) => `'${id}': ${testRows(rows)} of ${rows} rows`).join(', ')}${short.length > 8 ? `, … ${short.length - 8} more` : ''})`;
  throw usageError(`${command}: ${what} is shorter than the horizon (${horizon}): ${command} scores whole windows of the horizon there; give ${fix}`);
}

/** The combination lines of a forecaster: one (see combinationLine), or one per id after fitMany, prefixed with the id column. */
function combinationLines(f: Forecaster, idColumn?: string): string[] {
  const many = f.combinationsById;
  if (many === null) {
    const line = combinationLine(f.combination, f.combinationNote, f.season);
    return line === null ? [] : [line];
  }
  return Object.entries(many).flatMap(([id, { combination, note }]) => {
    const line = combinationLine(combination, note, f.season);
    return line === null ? [] : [`${idColumn ?? 'series'} '${id}': ${line}`];
  });
}

/** The combination fit chose (validation MAE of each part, the weights, its time), why there is none, or null with --combine none. */
function combinationLine(c: Forecaster['combination'], note: string | null, season: number | undefined): string | null {
  if (c === null) return note === null ? null : `Combination: none (${note})`;
  const v = c.validation;
  const w = c.weights.map((x) => x.toFixed(2));
  // The (S)ARIMA candidate as fitCombination fits it: the seasonal airline model for a season of
  // 2–24 rows, else an ARIMA (with Fourier regressors where the kept one's name says so).
  const arima = c.kind === 'sarima' ? c.name.slice(0, c.name.indexOf('(')) : season !== undefined && season >= 2 && season <= AUTO_SEASON_MAX ? 'SARIMA' : 'ARIMA';
  const parts = [`network ${v.network.toPrecision(4)}`, ...(v.ets !== undefined ? [`ETS ${v.ets.toPrecision(4)}`] : []), ...(v.sarima !== undefined ? [`${arima} ${v.sarima.toPrecision(4)}`] : []), ...(v.seasonalNaive !== undefined ? [`seasonal naive ${v.seasonalNaive.toPrecision(4)}`] : []), `combined ${v.combined.toPrecision(4)}`];
  const refit = c.kind === 'seasonalNaive' ? '' : ' (re-fitted on the rows before the test part)';
  // Each validation row is scored once per step (models saved before that counted whole windows).
  const on = v.rows !== undefined ? `${v.rows} rows × ${c.weights.length} steps` : `${v.windows} windows`;
  return `Combined with ${c.name}${refit}: network weight per step ${w.join(' ')}; validation MAE ${parts.join(', ')} (${on}); classical fits ${c.seconds.toFixed(1)} s`;
}

/**
 * What train says after training, for one series or many: the season, the calendar covariates,
 * the epochs, and a note where the validation part held no whole window (no early stopping; what
 * else is chosen on it scores its rows all the same).
 */
function trainingLines(f: Forecaster, timeName: string | undefined, h: History, validation: number): string[] {
  const lines = [seasonLine(f)];
  const cal = f.calendar ?? null;
  if (cal !== null) lines.push(`Calendar covariates from '${timeName ?? ''}': ${cal.terms.map((t) => `${t.period} (${t.harmonics} sin/cos pair${t.harmonics > 1 ? 's' : ''})`).join(', ')}`);
  const vl = h.history.val_loss;
  const best = vl !== undefined && vl.length > 0 ? vl.indexOf(Math.min(...vl)) : -1;
  lines.push(`Trained ${h.epoch.length} epoch(s)${best >= 0 ? `; best val_loss ${vl![best]!.toFixed(4)} at epoch ${best + 1}` : ''}`);
  if (best < 0 && validation > 0) {
    lines.push(`Note: the validation part (--validation ${validation}) is shorter than the horizon (${f.horizon} rows), so it holds no whole window: every epoch ran without early stopping (what else is chosen on it — the combination's weights, the intervals' calibration, --auto's lookback — scores its rows all the same); a shorter --horizon or a larger --validation gives it windows`);
  }
  return lines;
}

/** "Season: 12 (detected)", "Season: 12" (given) or "Season: none". */
function seasonLine(f: Forecaster): string {
  if (f.season === undefined) return 'Season: none';
  return `Season: ${f.season}${f.seasonSource === 'detected' ? ' (detected)' : ''}`;
}

/** The rows of each id (ids in order of first appearance; rows in file order), as tables of their own named by id. */
function splitById(table: Table, idColumn: string): Map<string, Table> {
  const { ids } = seriesIds(table, idColumn);
  const out = new Map<string, Table>();
  table.rows.forEach((row, r) => {
    const id = ids[r]!;
    let t = out.get(id);
    if (t === undefined) out.set(id, (t = { file: `${table.file} (${idColumn} '${id}')`, header: table.header, rows: [], lines: [], delimiter: table.delimiter, idColumn }));
    t.rows.push(row);
    t.lines.push(table.lines[r]!);
  });
  return out;
}

/** The table from the row where the series begins (dropLeadingMissing), with a note when rows are left out. */
function fromSeriesStart(table: Table, columns: readonly string[]): Table {
  const d = dropLeadingMissing(table, columns);
  // A file without one complete row is refused where its values are read (naming the first missing one).
  if (d === null || d.table.rows.length === 0) return table;
  process.stderr.write(`note: ${table.file}: the first ${d.dropped} row${d.dropped > 1 ? 's have' : ' has'} no value in ${columns.map((c) => `'${c}'`).join(', ')}: the series starts on line ${d.table.lines[0]}, and ${d.dropped > 1 ? 'those rows are' : 'that row is'} left out (not filled)\n`);
  return d.table;
}

/** Each id's series (and times, when there is a time column), its messages naming the id. */
function manySeries(byId: Map<string, Table>, columns: readonly string[], option: string, fillMethod: FillMethod | undefined, timeName: string | undefined): { series: Record<string, Series>; times?: Record<string, number[]> } {
  const series: Record<string, Series> = {};
  const times: Record<string, number[]> = {};
  // One reading of the dates for the whole column: a series whose days all fall on 1–12 must not be
  // read month first while another, with a 13th, is read day first.
  const kind = timeName === undefined ? undefined : timeCellsKind([...byId.values()].flatMap((t) => timeCells(t, timeName).map((c) => c.trim())));
  // Series that begin after the file's first rows start where they begin (dropLeadingMissing), said once.
  // A series without one row holding every value (a country with no GDP figure at all) has none to
  // learn or forecast from: left out, said once, as one that begins late is cut where it begins.
  const late: string[] = [];
  const empty: string[] = [];
  for (const [id, whole] of byId) {
    const d = dropLeadingMissing(whole, columns);
    const t = d === null ? whole : d.table;
    if (t.rows.length === 0) {
      empty.push(`'${id}'`);
      byId.delete(id);
      continue;
    }
    if (d !== null) {
      late.push(`'${id}' on line ${t.lines[0]}`);
      byId.set(id, t);
    }
    series[id] = numericSeries(t, columns, option, fillMethod);
    if (timeName !== undefined) times[id] = timeColumn(t, timeName, kind);
  }
  const list = (xs: string[]): string => `${xs.slice(0, 10).join(', ')}${xs.length > 10 ? `, and ${xs.length - 10} more` : ''}`;
  if (empty.length > 0 && byId.size === 0) throw new CliError(`no series has a row with a value in every one of ${columns.map((c) => `'${c}'`).join(', ')}`);
  if (empty.length > 0) process.stderr.write(`note: ${empty.length} series have no row with a value in every one of ${columns.map((c) => `'${c}'`).join(', ')} and are left out: ${list(empty)}\n`);
  if (late.length > 0) process.stderr.write(`note: ${late.length} series start after their first rows, which have no value and are left out (not filled): ${list(late)}\n`);
  return timeName === undefined ? { series } : { series, times };
}

/** The many-series report of train and evaluate: a table per series, then the mean over the series; optionally as JSON. */
async function reportMany(ev: ForecastEvaluationMany, c: { test: number; season: number | undefined; idColumn: string; target: string; file: string; lookback: number; horizon: number; metricsJson: string | undefined; plot?: ManyPlot | undefined }, print: Print): Promise<void> {
  const rowsOf = (m: { model: ForecastMetrics; lastValue: ForecastMetrics; seasonalNaive?: ForecastMetrics; holtWinters?: ForecastMetrics; ets?: ForecastMetrics; sarima?: ForecastMetrics }, hw: string, ets = '', sarima = 'SARIMA'): [string, ForecastMetrics][] => {
    const rows: [string, ForecastMetrics][] = [['model', m.model], ['last value', m.lastValue]];
    if (m.seasonalNaive !== undefined) rows.push([`seasonal naive (${c.season})`, m.seasonalNaive]);
    if (m.holtWinters !== undefined) rows.push([`Holt-Winters${hw}`, m.holtWinters]);
    if (m.ets !== undefined) rows.push([`ETS${ets}`, m.ets]);
    // The order names the model: 'SARIMA(1,1,1)(0,1,1)12' or 'ARIMA(1,1,1)' ('SARIMA' for the mean over series).
    if (m.sarima !== undefined) rows.push([sarima, m.sarima]);
    return rows;
  };
  const json: Record<string, unknown> = {};
  for (const [id, e] of Object.entries(ev.byId)) {
    print(`\nTest part of ${c.idColumn} '${id}': last ${Math.round(c.test * 100)}% of its rows, ${e.windows} window(s) × ${e.horizon} step(s)`);
    const rows = rowsOf(e, e.holtWintersModel !== undefined ? ` (${holtWintersName(e.holtWintersModel)})` : '', e.etsModel !== undefined ? ` (${etsName(e.etsModel)})` : '', e.sarimaModel !== undefined ? sarimaName(e.sarimaModel) : 'SARIMA');
    for (const line of metricsTable(rows)) print(line);
    for (const note of e.baselineNotes ?? []) print(`Note: ${note}`);
    const guardLine = guardedLine(e);
    if (guardLine !== null) print(guardLine);
    if (e.quantiles !== undefined) for (const line of intervalLines(e.quantiles)) print(line);
    json[id] = { windows: e.windows, model: e.model, baselines: Object.fromEntries(rows.slice(1)), ...(e.baselineNotes !== undefined ? { baselineNotes: e.baselineNotes } : {}), ...(e.guarded !== undefined ? { guarded: e.guarded } : {}), ...(e.quantiles !== undefined ? { quantiles: intervalJson(e.quantiles) } : {}) };
  }
  const ids = Object.keys(ev.byId);
  print(`\nMean over the ${ids.length} series`);
  const pooled = rowsOf(ev.pooled, '');
  for (const line of metricsTable(pooled)) print(line);
  if (c.metricsJson !== undefined) {
    const metrics = { source: c.file, target: c.target, idColumn: c.idColumn, lookback: c.lookback, horizon: c.horizon, model: ev.pooled.model, baselines: Object.fromEntries(pooled.slice(1)), series: json };
    await writeTextFile(c.metricsJson, JSON.stringify(metrics, null, 2) + '\n', '--metrics-json').catch((e: Error) => {
      throw new CliError(e.message);
    });
    print(`Metrics written to ${c.metricsJson}`);
  }
  const p = c.plot;
  if (p !== undefined) {
    // One panel per series, as train's one-series plot draws it, titled by its id.
    const panels = Object.entries(ev.byId).map(([id, e]) => testPlotData(p.series[id]!, p.timeName, p.times?.[id], p.dates, e, c.target, `${c.idColumn} '${id}'`));
    const H = ev.byId[Object.keys(ev.byId)[0]!]!.horizon;
    await plotForecastPanels(panels, p.file, { title: `${c.target}: test-part forecasts (${H} step${H > 1 ? 's' : ''} at a time) — ${c.file.split('/').at(-1)}` }).catch((e: Error) => {
      throw new CliError(e.message);
    });
    print(`Plot written to ${p.file} (${panels.length} panels)`);
  }
}

/** --plot of a many-series report: each id's series and times. */
interface ManyPlot {
  file: string;
  series: Record<string, Series>;
  times: Record<string, number[]> | undefined;
  timeName: string | undefined;
  dates: boolean;
}

/** What reportEvaluation needs beside the evaluation: where it came from, and where to write. */
interface ReportContext {
  /** Fraction of the rows scored (for the heading). */
  test: number;
  season: number | undefined;
  series: Series;
  /** The time column (name and values: x of the plot), if any; `dates`: they are dates (else plain numbers such as years). */
  timeName: string | undefined;
  times: number[] | undefined;
  dates: boolean;
  target: string;
  file: string;
  lookback: number;
  horizon: number;
  metricsJson: string | undefined;
  plot: string | undefined;
}

const pct = (v: number): string => `${+(100 * v).toFixed(1)}%`;

/** A line when the combination's guard handed test windows to the network alone (ForecastCombination.guard), else null. */
function guardedLine(ev: ForecastEvaluation): string | null {
  if (ev.guarded === undefined || ev.guarded === 0) return null;
  return `Guard: ${ev.guarded} of ${ev.windows} window(s) forecast by the network alone (the classical model off its data at their origin: three one-step errors in a row beyond its guard)`;
}

/** The legend name of the interval between quantile levels lo and hi: its nominal coverage, and the levels when they are not symmetric around the median. */
export function intervalName(lo: number, hi: number): string {
  return `${pct(hi - lo)} interval${Math.abs(lo + hi - 1) > 1e-9 ? ` (${pct(lo)}–${pct(hi)})` : ''}`;
}

/**
 * A report's interval lines: the outer interval's coverage beside its nominal and the share below
 * each quantile; with conformal calibration every symmetric interval's coverage and mean width,
 * calibrated and as trained; why an interval is not calibrated.
 */
function intervalLines(iq: NonNullable<ForecastEvaluation['quantiles']>): string[] {
  const lo = iq.levels[0]!;
  const hi = iq.levels[iq.levels.length - 1]!;
  const w = (v: number): string => String(+v.toPrecision(3));
  const lines = [`Interval ${pct(lo)}–${pct(hi)}: ${pct(iq.coverage)} of the test values inside (nominal ${pct(hi - lo)}); below each quantile: ${iq.levels.map((l, i) => `${pct(l)} → ${pct(iq.below[i]!)}`).join(', ')}`];
  if (iq.calibration === 'conformal') {
    lines.push(`Calibrated on the validation part (conformal): ${iq.intervals.map((v) => `${intervalName(v.levels[0], v.levels[1])} ${pct(v.coverage)} inside, mean width ${w(v.width)} (as trained ${pct(v.uncalibrated.coverage)}, ${w(v.uncalibrated.width)})`).join('; ')}`);
  }
  if (iq.note !== undefined) lines.push(`Calibration: ${iq.note}`);
  return lines;
}

/** The interval figures of --metrics-json (without the per-point quantiles). */
function intervalJson(iq: NonNullable<ForecastEvaluation['quantiles']>): Record<string, unknown> {
  const { values: _v, uncalibrated, ...rest } = iq;
  return { ...rest, ...(uncalibrated !== undefined ? { uncalibrated: { coverage: uncalibrated.coverage, below: uncalibrated.below, width: uncalibrated.width } } : {}) };
}

/**
 * The test-part report of \`train\` and \`evaluate\` (one protocol, one code): the metrics table
 * of the model and every baseline, the interval coverage beside its nominal, and optionally
 * the metrics as JSON and the test-part plot.
 */
async function reportEvaluation(ev: ForecastEvaluation, c: ReportContext, print: Print): Promise<void> {
  print(`\nTest part: last ${Math.round(c.test * 100)}% of the rows, ${ev.windows} window(s) × ${ev.horizon} step(s)`);
  const rows: [string, ForecastMetrics][] = [['model', ev.model], ['last value', ev.lastValue]];
  if (ev.seasonalNaive !== undefined) rows.push([`seasonal naive (${c.season})`, ev.seasonalNaive]);
  if (ev.holtWinters !== undefined) rows.push([`Holt-Winters (${holtWintersName(ev.holtWintersModel!)})`, ev.holtWinters]);
  if (ev.ets !== undefined) rows.push([`ETS (${etsName(ev.etsModel!)})`, ev.ets]);
  if (ev.sarima !== undefined) rows.push([sarimaName(ev.sarimaModel!), ev.sarima]);
  for (const line of metricsTable(rows)) print(line);
  for (const note of ev.baselineNotes ?? []) print(`Note: ${note}`);
  const guardLine = guardedLine(ev);
  if (guardLine !== null) print(guardLine);
  const iq = ev.quantiles;
  if (iq !== undefined) for (const line of intervalLines(iq)) print(line);
  if (c.metricsJson !== undefined) {
    const metrics = { source: c.file, target: c.target, lookback: c.lookback, horizon: c.horizon, windows: ev.windows, model: ev.model, baselines: Object.fromEntries(rows.slice(1)), ...(ev.baselineNotes !== undefined ? { baselineNotes: ev.baselineNotes } : {}), ...(ev.guarded !== undefined ? { guarded: ev.guarded } : {}), ...(iq !== undefined ? { quantiles: intervalJson(iq) } : {}) };
    await writeTextFile(c.metricsJson, JSON.stringify(metrics, null, 2) + '\n', '--metrics-json').catch((e: Error) => {
      throw new CliError(e.message);
    });
    print(`Metrics written to ${c.metricsJson}`);
  }
  if (c.plot !== undefined) {
    await testPlot(c.plot, c.series, c.timeName, c.times, c.dates, ev, c.target, c.file);
    print(`Plot written to ${c.plot}`);
  }
}

/**
 * History before the test part (the last three test lengths of it), the actual test values, and
 * forecasts from every horizon-th origin (non-overlapping); with quantiles, the outer two as a
 * band around them.
 */
async function testPlot(file: string, series: Series, timeName: string | undefined, times: number[] | undefined, dates: boolean, ev: ForecastEvaluation, target: string, source: string): Promise<void> {
  const H = ev.horizon;
  const data = testPlotData(series, timeName, times, dates, ev, target, `${target}: test-part forecasts (${H} step${H > 1 ? 's' : ''} at a time) — ${source.split('/').at(-1)}`);
  await plotForecast(data, file).catch((e: Error) => {
    throw new CliError(e.message);
  });
}

/** The test-part plot of one series (see testPlot), titled `title`. */
function testPlotData(series: Series, timeName: string | undefined, times: number[] | undefined, dates: boolean, ev: ForecastEvaluation, target: string, title: string): ForecastPlotData {
  const H = ev.horizon;
  const start = ev.origins[0]! + 1;
  const x = (r: number): number => (times !== undefined ? times[r]! : r);
  const y = (r: number): number => series.data[r * series.columns]!;
  const from = Math.max(0, start - 3 * (series.rows - start));
  const hist = Array.from({ length: start - from + 1 }, (_, i) => from + i);
  const act = Array.from({ length: series.rows - start }, (_, i) => start + i);
  const fx: number[] = [];
  const fy: number[] = [];
  const by: number[] = [];
  const ey: number[] = [];
  const sy: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const iq = ev.quantiles;
  const Q = iq?.levels.length ?? 0;
  for (let k = 0; k < ev.windows; k += H) for (let h = 0; h < H; h++) {
    fx.push(x(ev.origins[k]! + 1 + h));
    fy.push(ev.predictions[k * H + h]!);
    if (ev.holtWintersPredictions !== undefined) by.push(ev.holtWintersPredictions[k * H + h]!);
    if (ev.etsPredictions !== undefined) ey.push(ev.etsPredictions[k * H + h]!);
    if (ev.sarimaPredictions !== undefined) sy.push(ev.sarimaPredictions[k * H + h]!);
    if (iq !== undefined) {
      lower.push(iq.values[(k * H + h) * Q]!);
      upper.push(iq.values[(k * H + h) * Q + Q - 1]!);
    }
  }
  const baselines = ev.holtWintersPredictions !== undefined ? [{ name: `Holt-Winters (${holtWintersName(ev.holtWintersModel!)})`, x: fx, y: by }] : [];
  if (ev.etsPredictions !== undefined) baselines.push({ name: `ETS (${etsName(ev.etsModel!)})`, x: fx, y: ey });
  if (ev.sarimaPredictions !== undefined) baselines.push({ name: sarimaName(ev.sarimaModel!), x: fx, y: sy });
  const interval = iq !== undefined ? { interval: { name: intervalName(iq.levels[0]!, iq.levels[Q - 1]!), x: fx, lower, upper } } : {};
  return { historyX: hist.map(x), historyY: hist.map(y), actualX: act.map(x), actualY: act.map(y), forecastX: fx, forecastY: fy, ...interval, baselines, title, yLabel: target, xFormat: dates ? 'date' : 'number', xLabel: dates ? undefined : times !== undefined ? timeName : 'row' };
}

/** A saved forecaster, its load failures as one-line CLI errors. */
async function loadForecaster(dir: string): Promise<Forecaster> {
  await checkModelDir(dir, 'rnnkit timeseries train');
  try {
    return await Forecaster.load(dir);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new CliError(e.message);
    throw e;
  }
}

/** The model's columns from the CSV, every missing one named at once (numericSeries alone names the first). */
function modelSeries(table: Table, f: Forecaster, fillMethod: FillMethod | undefined): Series {
  checkModelColumns(table, f);
  return numericSeries(table, f.columns, "the model's column", fillMethod);
}

function checkModelColumns(table: Table, f: Forecaster): void {
  const missing = f.columns.filter((c) => !table.header.includes(c));
  if (missing.length > 0) throw new CliError(`${table.file}: the model needs the column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}, which this file lacks; its columns: ${table.header.join(', ')}`);
}

/** The id column of a model trained on many series (train --id-column keeps it in the model's info). */
function modelIdColumn(f: Forecaster, dir: string): string {
  const id = (f.info as { idColumn?: unknown }).idColumn;
  if (typeof id !== 'string' || id === '') throw new CliError(`${dir}: the model was trained on many series (${f.ids!.join(', ')}) but does not name its id column (info.idColumn)`);
  return id;
}

/** forecast for a model trained on many series: every series of the CSV (by the model's id column), the output gaining the id column. */
async function forecastEach(f: Forecaster, dir: string, table: Table, steps: number, format: 'csv' | 'json', fillMethod: FillMethod | undefined, plot: string | undefined, print: Print): Promise<void> {
  const idColumn = modelIdColumn(f, dir);
  checkModelColumns(table, f);
  const tinfo = savedTimeInfo(f, dir);
  const hasTime = tinfo !== undefined && hasTimeColumn(table, tinfo.column);
  if ((f.calendar ?? null) !== null && !hasTime) throw new CliError(`${table.file}: the model takes calendar covariates from the time column${tinfo !== undefined ? ` '${tinfo.column}'` : ''}, which this file lacks`);
  const many = manySeries(splitById(table, idColumn), f.columns, "the model's column", fillMethod, hasTime ? tinfo.column : undefined);
  // A composite id (store,item) is written as its columns, so the forecast joins back to the file.
  const { columns: idCols, values: idValues } = seriesIds(table, idColumn);
  // Unknown ids are refused by name (forecastMany): their scalers and reference come from training.
  const fc = f.forecastMany(many.series, steps, (f.calendar ?? null) !== null ? { times: many.times! } : {});
  const name = f.columns[f.target] ?? 'value';
  // Each series dated from its own last time (or numbered on, for a column of plain numbers).
  const numbers = hasTime ? numberTimes(table, tinfo.column) : undefined;
  const written = hasTime ? timeWriting(table, tinfo.column) : undefined;
  const timesOf = (id: string): string[] | undefined => {
    const t = many.times?.[id];
    const info = t === undefined ? undefined : timeInfo(tinfo!.column, t);
    return futureTimes(info === undefined ? undefined : { ...tinfo!, last: info.last }, steps, numbers, written);
  };
  if (plot !== undefined) {
    // One panel per series, as the one-series forecast plot: its recent history, then the forecast (and a quantile model's interval) joined to its last point.
    const calOpts = (f.calendar ?? null) !== null ? { times: many.times! } : {};
    const qv = f.quantiles !== null && f.strategy === 'direct' ? f.predictQuantilesMany(many.series, Object.fromEntries(Object.entries(many.series).map(([id, s]) => [id, [s.rows - 1]])), calOpts) : null;
    const panels = Object.entries(fc).map(([id, values_]) => {
      const series = many.series[id]!;
      const n = series.rows;
      const from = Math.max(0, n - Math.max(4 * steps, 3 * f.lookback));
      const ft = timesOf(id);
      const stamps = ft !== undefined ? many.times![id] : undefined;
      const dates = numbers === undefined ? stamps : undefined;
      const hx = Array.from({ length: n - from }, (_, i) => (stamps !== undefined ? stamps[from + i]! : from + i));
      const hy = Array.from({ length: n - from }, (_, i) => series.data[(from + i) * series.columns + f.target]!);
      const fx = ft !== undefined ? ft.map((s) => (numbers !== undefined ? Number(s) : parseTime(s))) : values_.map((_, i) => n + i);
      let interval = {};
      if (qv !== null) {
        const Q = f.quantiles!.length;
        const k = Math.min(steps, f.horizon);
        const v = qv[id]!;
        interval = { interval: { name: intervalName(f.quantiles![0]!, f.quantiles![Q - 1]!) + (k < steps ? ` (first ${k} steps)` : ''), x: [hx.at(-1)!, ...fx.slice(0, k)], lower: [hy.at(-1)!, ...Array.from({ length: k }, (_, h) => v[h * Q]!)], upper: [hy.at(-1)!, ...Array.from({ length: k }, (_, h) => v[h * Q + Q - 1]!)] } };
      }
      return { historyX: hx, historyY: hy, forecastX: [hx.at(-1)!, ...fx], forecastY: [hy.at(-1)!, ...values_], ...interval, title: `${idColumn} '${id}'`, yLabel: name, xFormat: dates !== undefined ? ('date' as const) : ('number' as const), xLabel: dates !== undefined ? undefined : stamps !== undefined ? tinfo!.column : 'row' };
    });
    await plotForecastPanels(panels, plot, { title: `${name}: forecast of ${steps} step${steps > 1 ? 's' : ''}` }).catch((e: Error) => {
      throw new CliError(e.message);
    });
  }
  if (format === 'json') {
    print(JSON.stringify({ target: name, idColumn, forecast: Object.entries(fc).flatMap(([id, v]) => {
      const times = timesOf(id);
      const parts = idCols.length > 1 ? { idValues: idValues.get(id)! } : {};
      return v.map((value, i) => ({ id, ...parts, step: i + 1, ...(times !== undefined ? { time: times[i] } : {}), value }));
    }) }));
    return;
  }
  const q = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const idHead = idCols.map(q).join(',');
  print(hasTime ? `${idHead},step,${q(tinfo.column)},${q(name)}` : `${idHead},step,${q(name)}`);
  for (const [id, v] of Object.entries(fc)) {
    const times = timesOf(id);
    const idCells = idValues.get(id)!.map(q).join(',');
    v.forEach((value, i) => print(times !== undefined ? `${idCells},${i + 1},${times[i]},${value}` : `${idCells},${i + 1},${value}`));
  }
}

async function evaluate(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit timeseries evaluate';
  const names = ['csv', 'time-column', 'season', 'test', 'fill', 'metrics-json', 'plot', 'baselines'];
  const { values, positionals } = parse(argv, { ...Object.fromEntries(names.map((k) => [k, { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } }, command);
  if (values.help === true) return print(EVALUATE_HELP);
  if (positionals.length === 0) throw usageError(`${command}: expected a model directory (see ${command} --help)`);
  if (positionals.length > 2 || (positionals.length === 2 && values.csv !== undefined)) throw usageError(`${command}: expected a model directory and one CSV file (--csv FILE or a second argument), got ${[...positionals, ...(values.csv !== undefined ? [`--csv ${values.csv as string}`] : [])].map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const file = positionals[1] ?? (values.csv as string | undefined);
  if (file === undefined || file === '') throw usageError(`${command}: --csv is required (see ${command} --help)`);
  const dir = positionals[0]!;
  const fillMethod = fill(values);
  const baselines = baselineOptions(values, command);
  const f = await loadForecaster(dir);
  const season = values.season === undefined ? f.season : intOption(values, 'season', 1);
  const test = numberOption(values, 'test', f.split.test, (n) => n > 0 && n < 1, 'a number in (0, 1)');
  let table = await readTable(file);
  if (f.ids !== null) {
    const idColumn = modelIdColumn(f, dir);
    checkModelColumns(table, f);
    const saved = savedTimeInfo(f, dir)?.column;
    const timeName = values['time-column'] !== undefined ? (values['time-column'] as string) : saved !== undefined && hasTimeColumn(table, saved) ? saved : undefined;
    const many = manySeries(splitById(table, idColumn), f.columns, "the model's column", fillMethod, timeName);
    checkTestPart('evaluate', Object.entries(many.series).map(([id, s]) => [id, s.rows]), { validation: 0, test, horizon: f.horizon }, idColumn);
    if ((f.calendar ?? null) !== null && many.times === undefined) throw new CliError(`${file}: the model takes calendar covariates from the time column${saved !== undefined ? ` '${saved}'` : ''}, which this file lacks (name the file's own with --time-column)`);
    const target = f.columns[f.target] ?? 'value';
    print(`Evaluating ${dir} on ${file}: ${Object.keys(many.series).length} series by '${idColumn}', target '${target}', lookback ${f.lookback}, horizon ${f.horizon}`);
    for (const line of combinationLines(f, idColumn)) print(line);
    const ev = f.evaluateMany(many.series, { test, ...baselines, ...(season !== undefined ? { season } : {}), ...((f.calendar ?? null) !== null ? { times: many.times } : {}) });
    const plot = values.plot === undefined ? undefined : { file: values.plot as string, series: many.series, times: many.times, timeName, dates: timeName !== undefined && isDateColumn(table, timeName) };
    await reportMany(ev, { test, season, idColumn, target, file, lookback: f.lookback, horizon: f.horizon, metricsJson: values['metrics-json'] as string | undefined, plot }, print);
    return;
  }
  checkModelColumns(table, f);
  table = fromSeriesStart(table, f.columns);
  const series = modelSeries(table, f, fillMethod);
  checkTestPart('evaluate', [[null, series.rows]], { validation: 0, test, horizon: f.horizon });
  const saved = savedTimeInfo(f, dir)?.column;
  // An explicit --time-column must be in the file; the model's own one is used when the file has it.
  const timeName = values['time-column'] !== undefined ? (values['time-column'] as string) : saved !== undefined && hasTimeColumn(table, saved) ? saved : undefined;
  const times = timeName === undefined ? undefined : timeColumn(table, timeName);
  const cal = f.calendar ?? null;
  if (cal !== null && times === undefined) throw new CliError(`${file}: the model takes calendar covariates from the time column${saved !== undefined ? ` '${saved}'` : ''}, which this file lacks (name the file's own with --time-column)`);
  const dates = timeName !== undefined && isDateColumn(table, timeName);
  if (cal !== null && !dates) throw new CliError(`${file}: the model takes calendar covariates from dates, but column '${timeName!}' holds plain numbers`);
  const target = f.columns[f.target] ?? 'value';
  print(`Evaluating ${dir} on ${file}: ${series.rows} rows, target '${target}', lookback ${f.lookback}, horizon ${f.horizon}${f.quantiles !== null ? `, quantiles ${f.quantiles.join(', ')}` : ''}`);
  for (const line of combinationLines(f)) print(line);
  const ev = f.evaluate(series, { test, ...baselines, ...(season !== undefined ? { season } : {}), ...(cal !== null ? { times } : {}) });
  await reportEvaluation(ev, { test, season, series, timeName, times, dates, target, file, lookback: f.lookback, horizon: f.horizon, metricsJson: values['metrics-json'] as string | undefined, plot: values.plot as string | undefined }, print);
}

export function metricsTable(rows: [string, ForecastMetrics][]): string[] {
  const w = Math.max(...rows.map(([n]) => n.length), 8);
  const num = (v: number): string => (Number.isNaN(v) ? 'n/a' : v.toPrecision(4)).padStart(10);
  return [`${''.padEnd(w)}${'MAE'.padStart(10)}${'RMSE'.padStart(10)}${'MAPE %'.padStart(10)}${'sMAPE %'.padStart(10)}`, ...rows.map(([n, m]) => `${n.padEnd(w)}${num(m.mae)}${num(m.rmse)}${num(m.mape)}${num(m.smape)}`)];
}

async function forecast(argv: string[], print: Print): Promise<void> {
  const command = 'rnnkit timeseries forecast';
  const { values, positionals } = parse(argv, { steps: { type: 'string' }, format: { type: 'string' }, fill: { type: 'string' }, plot: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, command);
  if (values.help === true) return print(FORECAST_HELP);
  if (positionals.length !== 2) throw usageError(`${command}: expected a model directory and a CSV file, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')} (see ${command} --help)`);
  const [dir, file] = positionals as [string, string];
  const format = choiceOption(values, 'format', ['csv', 'json'] as const, 'csv');
  const fillMethod = fill(values);
  const f = await loadForecaster(dir);
  const steps = intOption(values, 'steps', f.horizon);
  let table = await readTable(file);
  if (f.ids !== null) return forecastEach(f, dir, table, steps, format, fillMethod, values.plot as string | undefined, print);
  checkModelColumns(table, f);
  table = fromSeriesStart(table, f.columns);
  const series = modelSeries(table, f, fillMethod);
  const tinfo = savedTimeInfo(f, dir);
  // Date the forecasts from the CSV's own last time when it has the time column.
  const t = tinfo !== undefined && hasTimeColumn(table, tinfo.column) ? timeInfo(tinfo.column, timeColumn(table, tinfo.column)) : undefined;
  // A model trained with calendar covariates needs the CSV's times (its own time column).
  let calTimes: number[] | undefined;
  if ((f.calendar ?? null) !== null) {
    if (tinfo === undefined || !hasTimeColumn(table, tinfo.column)) throw new CliError(`${file}: the model takes calendar covariates from the time column${tinfo !== undefined ? ` '${tinfo.column}'` : ''}, which this file lacks`);
    calTimes = timeColumn(table, tinfo.column);
  }
  const values_ = f.forecast(series, steps, calTimes !== undefined ? { times: calTimes } : {});
  const numbers = t === undefined ? undefined : numberTimes(table, tinfo!.column);
  const times = futureTimes(t === undefined ? undefined : { ...tinfo!, last: t.last }, steps, numbers, t === undefined ? undefined : timeWriting(table, tinfo!.column));
  const name = f.columns[f.target] ?? 'value';
  if (values.plot !== undefined) {
    const n = series.rows;
    const from = Math.max(0, n - Math.max(4 * steps, 3 * f.lookback));
    const stamps = times !== undefined && t !== undefined ? timeColumn(table, tinfo!.column) : undefined;
    const dates = numbers === undefined ? stamps : undefined;
    const hx = Array.from({ length: n - from }, (_, i) => (stamps !== undefined ? stamps[from + i]! : from + i));
    const hy = Array.from({ length: n - from }, (_, i) => series.data[(from + i) * series.columns + f.target]!);
    // The forecast line starts at the last observed point so the two join.
    const fx = times !== undefined ? times.map((s) => (numbers !== undefined ? Number(s) : parseTime(s))) : values_.map((_, i) => n + i);
    // A quantile model's interval over the steps its network forecasts at once (beyond them the
    // median is fed back, which has no interval), from the last observed point (zero width there).
    let interval = {};
    if (f.quantiles !== null && f.strategy === 'direct') {
      const Q = f.quantiles.length;
      const k = Math.min(steps, f.horizon);
      const qv = f.predictQuantiles(series, [n - 1], calTimes !== undefined ? { times: calTimes } : {});
      const name = intervalName(f.quantiles[0]!, f.quantiles[Q - 1]!) + (k < steps ? ` (first ${k} steps)` : '');
      interval = { interval: { name, x: [hx.at(-1)!, ...fx.slice(0, k)], lower: [hy.at(-1)!, ...Array.from({ length: k }, (_, h) => qv[h * Q]!)], upper: [hy.at(-1)!, ...Array.from({ length: k }, (_, h) => qv[h * Q + Q - 1]!)] } };
    }
    await plotForecast({ historyX: hx, historyY: hy, forecastX: [hx.at(-1)!, ...fx], forecastY: [hy.at(-1)!, ...values_], ...interval, title: `${name}: forecast of ${steps} step${steps > 1 ? 's' : ''}`, yLabel: name, xFormat: dates !== undefined ? 'date' : 'number', xLabel: dates !== undefined ? undefined : stamps !== undefined ? tinfo!.column : 'row' }, values.plot as string).catch((e: Error) => {
      throw new CliError(e.message);
    });
  }
  if (format === 'json') {
    print(JSON.stringify({ target: name, forecast: values_.map((v, i) => ({ step: i + 1, ...(times !== undefined ? { time: times[i] } : {}), value: v })) }));
    return;
  }
  const q = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  print(times !== undefined ? `step,${q(tinfo!.column)},${q(name)}` : `step,${q(name)}`);
  values_.forEach((v, i) => print(times !== undefined ? `${i + 1},${times[i]},${v}` : `${i + 1},${v}`));
}
