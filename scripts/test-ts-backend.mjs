/**
 * `npm test`'s second pass: the suite again on the TypeScript kernels (RNNKIT_BACKEND=ts, the
 * reference backend). The command-line suites are left out of it: they test arguments, files
 * and messages, which do not depend on the backend, and spend their time starting processes
 * (about a minute and a half of CI); the first pass runs them.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const CLI_SUITES = new Set(['cli.test.ts', 'classifyCli.test.ts', 'seq2seqCli.test.ts', 'timeseriesCli.test.ts', 'timeseriesEvaluate.test.ts', 'timeseriesManyCli.test.ts', 'csvTime.test.ts']);
const files = readdirSync('test')
  .filter((f) => f.endsWith('.test.ts') && !CLI_SUITES.has(f))
  .sort()
  .map((f) => join('test', f));
const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');
console.log(`# TypeScript backend: ${files.length} suites (the CLI suites ${[...CLI_SUITES].join(', ')} ran on the first pass)`);
const r = spawnSync(process.execPath, [tsx, '--env-file=test/ts-backend.env', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
