/**
 * A count of writes to model weights, for caches computed from weights (a stream's
 * Embedding → input-projection table, models/stream.ts): such a cache remembers the count
 * it was built at and is rebuilt when the count has moved. Weights change in two places
 * only — Layer.setWeights (which model.setWeights, loading, EarlyStopping's restore and
 * background training's return all go through) and Optimizer.apply (every training
 * update: fit, train-on-batch, data-parallel workers, whose update runs on the main
 * thread) — and both count here. One global count rather than one per model: a write
 * to any model makes every cache rebuild once, which is cheap next to a training step,
 * and shared layers (twins, nested models) need no bookkeeping.
 */
let writes = 0;

/** Note that some weights were (or are about to be) written. */
export function noteWeightsWritten(): void {
  writes++;
}

/** The number of weight writes so far. */
export function weightsVersion(): number {
  return writes;
}
