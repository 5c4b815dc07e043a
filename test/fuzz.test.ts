/**
 * A bounded run of `npm run fuzz` (tools/fuzz/): 400 mutated model files, each loaded in a
 * separate process under a memory and a time limit, must give no fault — no raw error, no
 * crash or hang, no NaN computed by a loaded model, no read outside the model directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

test('fuzz: 400 mutated model files, every one loaded cleanly or refused with a ModelFormatError', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'fuzz', 'fuzz.ts'), '--variants', '400', '--seed', '11', '--jobs', '1', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const m = /fuzz: 400 variants \(seed 11\) in \d+ s: (.*); slower than 1 s: 0/.exec(r.stdout);
  assert.ok(m !== null, r.stdout);
  const counts = Object.fromEntries(m[1]!.split(', ').map((kv) => kv.split(' ') as [string, string]));
  assert.deepEqual(Object.keys(counts).sort(), ['loaded', 'refused'], r.stdout);
  assert.ok(Number(counts.loaded) > 0 && Number(counts.refused) > 300, r.stdout);
});
