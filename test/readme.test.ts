/**
 * Every TypeScript sample in README.md runs as written: each ```ts block is saved as a
 * module (its `from 'rnnkit'` pointed at this repository's src/) and run with tsx in a
 * child process in a scratch directory; it must exit 0. A block preceded by
 * `<!-- readme-test: skip (reason) -->` is skipped, with its reason in the test name.
 */
import { after, describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/saving.js';

after(removeTempDirs);

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/(<!-- readme-test: skip \(([^)]*)\) -->\s*)?```ts\n([\s\S]*?)```/g)].map((m) => ({
  skip: m[2],
  code: m[3]!,
  line: readme.slice(0, m.index).split('\n').length + 1,
}));
const api = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
/** tsx by URL: the samples run outside the repository, where a bare 'tsx' does not resolve. */
const TSX = import.meta.resolve('tsx');

describe('README samples', () => {
  it('there are samples to run', () => assert.ok(blocks.length >= 4, `${blocks.length} ts blocks`));
  for (const b of blocks) {
    const title = `README.md line ${b.line}: ${b.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('import'))!.trim().slice(0, 60)}`;
    if (b.skip !== undefined) {
      it(`${title} (skipped: ${b.skip})`, { skip: b.skip }, () => undefined);
      continue;
    }
    it(title, async () => {
      const dir = await tempDir('readme');
      const file = join(dir, 'sample.mts'); // ESM: samples use top-level await
      await writeFile(file, b.code.replace(/from 'rnnkit'/g, `from '${api}'`));
      const r = spawnSync(process.execPath, ['--import', TSX, file], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
      assert.equal(r.status, 0, `the sample at README.md line ${b.line} failed:\n${r.stderr || r.stdout}`);
    });
  }
});
