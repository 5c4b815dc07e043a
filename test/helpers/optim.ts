/** Optimizers for tests that inspect training steps. */
import { SGD } from '../../src/optimizers/index.js';

/** SGD that records every gradient arena it is handed (after the reduction, with workers). */
export class CapturingSGD extends SGD {
  readonly captured: Float32Array[] = [];
  constructor(learningRate = 0.01) {
    super({ learningRate });
  }
  override apply(params: Float32Array, grads: Float32Array): void {
    this.captured.push(grads.slice());
    super.apply(params, grads);
  }
}
