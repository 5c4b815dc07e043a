/**
 * `npm test`'s second pass: the suite again on the TypeScript kernels (RNNKIT_BACKEND=ts, the
 * reference backend). The command-line suites are left out of it: they test arguments, files
 * and messages, which do not depend on the backend, and spend their time starting processes
 * (about a minute and a half of CI); the first pass runs them. So are the suites of the
 * classical forecasting methods, which compute in float64 without a kernel, and the Forecaster's
 * own suites: windowing, references, baselines, ensembles and many series sit on top of layers
 * that every other suite runs on both backends (about two minutes of CI).
 *
 * Two files run at a time (--test-concurrency=2, as in the first pass): most suites keep one
 * core busy, and each file runs in a process of its own, so they do not share state.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const CLI_SUITES = new Set(['cli.test.ts', 'modelCli.test.ts', 'classifyCli.test.ts', 'seq2seqCli.test.ts', 'timeseriesCli.test.ts', 'timeseriesEvaluate.test.ts', 'timeseriesManyCli.test.ts', 'timeseriesAutoCli.test.ts', 'timeseriesCombineCli.test.ts', 'csvTime.test.ts']);
const KERNEL_FREE = new Set(['ets.test.ts', 'sarima.test.ts', 'season.test.ts', 'holtWinters.test.ts']);
const FORECASTER = new Set(['timeseries.test.ts', 'timeseriesQuality.test.ts', 'forecastMany.test.ts', 'forecastAuto.test.ts', 'forecastCovariates.test.ts', 'forecastPanels.test.ts', 'forecastCombine.test.ts', 'forecastIntervals.test.ts']);
const files = readdirSync('test')
  .filter((f) => f.endsWith('.test.ts') && !CLI_SUITES.has(f) && !KERNEL_FREE.has(f) && !FORECASTER.has(f))
  .sort()
  .map((f) => join('test', f));
const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
console.log(`# TypeScript backend: ${files.length} suites (the CLI suites ${[...CLI_SUITES].join(', ')}, the kernel-free ${[...KERNEL_FREE].join(', ')} and the Forecaster's ${[...FORECASTER].join(', ')} ran on the first pass)`);
const r = spawnSync(process.execPath, [tsx, '--env-file=test/ts-backend.env', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
