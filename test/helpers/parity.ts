/** Shared by the parity tests: a comparer that also reports the largest differences, and random weights. */
import type { TestContext } from 'node:test';
import type { Rng } from '../../src/core/rng.js';
import type { Layer } from '../../src/index.js';
import { assertClose, randomArray } from './check.js';
import type { FlatTensor } from './tfjs.js';

/** Compare with tolerances, and record the largest differences for the test's diagnostics. */
export class Comparer {
  private lines: string[] = [];
  constructor(
    private readonly t: TestContext,
    private readonly rtol: number,
    private readonly atol: number,
  ) {}

  close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = this.rtol, atol = this.atol): void {
    let maxAbs = 0;
    let maxRel = 0;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(actual[i]! - expected[i]!);
      maxAbs = Math.max(maxAbs, d);
      if (Math.abs(expected[i]!) > atol) maxRel = Math.max(maxRel, d / Math.abs(expected[i]!));
    }
    this.lines.push(`${what}: max |diff| ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}`);
    assertClose(actual, expected, rtol, atol, what);
  }

  report(): void {
    this.t.diagnostic(this.lines.join('; '));
  }
}

/** Random weights in [-range, range] for every weight of a layer. */
export function randomWeights(layer: Layer, rng: Rng, range: number): FlatTensor[] {
  return layer.weights.map((w) => ({ data: randomArray(w.value.length, rng, -range, range), shape: w.shape }));
}
