/**
 * TimeDistributed: the same layer (or model) applied to every time step. A batch-major
 * [B, T, …] buffer is already [B·T, …] row by row, so the wrapped layer simply runs
 * on B·T samples with no copy, whatever the rank of a step: Dense on [B, T, F], Conv1D
 * or an LSTM on [B, T, steps, F] (each step a sequence of its own), a nested model.
 */
import { checkOptions } from '../core/errors.js';
import { formatShape } from '../core/tensor.js';
import { Layer, LAYER_ARG_KEYS, type LayerArgs, type Shape } from './layer.js';

export interface TimeDistributedArgs extends LayerArgs {
  /** The layer to apply at each step (e.g. layers.dense). */
  layer: Layer;
}

export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    const inner = args?.layer;
    if (!(inner instanceof Layer)) throw new TypeError(`TimeDistributed: 'layer' must be a layer (e.g. layers.dense({units: 1})), got ${String(inner)}`);
    super(args, 'time_distributed');
    checkOptions(args, [...LAYER_ARG_KEYS, 'layer'], `TimeDistributed '${this.name}'`);
    this.layer = inner;
  }

  override weightPaths(): string[] {
    return this.layer.weightPaths().map((p) => `${this.name}/${p}`);
  }

  protected override sublayers(): readonly Layer[] {
    return [this.layer];
  }

  override freshCopy(): Layer {
    return new TimeDistributed({ name: this.name, trainable: this.trainable, layer: this.layer.freshCopy() });
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length < 2) {
      throw new RangeError(`${this.where}: expected input of rank ≥ 3 [batch, time, …], got ${formatShape([null, ...inputShape])}`);
    }
    const stepShape = inputShape.slice(1);
    if (stepShape.some((d) => d === null)) {
      throw new RangeError(`${this.where}: only the time axis may be left open, got input of shape ${formatShape([null, ...inputShape])}`);
    }
    this.stepTime = this.layer.inputTime(stepShape as number[]);
    return [inputShape[0]!, ...this.layer.computeOutputShape(stepShape)];
  }

  /** The wrapped layer's own time length of one step (1 for a vector, the sequence length for a sequence). */
  private stepTime = 1;

  protected createWeights(inputShape: Shape): void {
    this.layer.build(inputShape.slice(1), this.initializing);
    this.weights.push(...this.layer.weights);
  }

  forward(x: Float32Array, B: number, T: number, training: boolean): Float32Array {
    return this.layer.forward(x, B * T, this.stepTime, training, null);
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    return this.layer.backward(dy, B * T, this.stepTime, needDx);
  }

  /** The time axis is the first after the batch, whatever the rank of a step. */
  override inputTime(sampleShape: readonly number[]): number {
    return sampleShape[0] ?? 1;
  }

  override outputTime(T: number): number {
    return T;
  }

  override beginEpoch(fitSeed: number, epoch: number): void {
    this.layer.beginEpoch(fitSeed, epoch);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}

/** `layers.timeDistributed({layer})`. */
export function timeDistributed(args: TimeDistributedArgs): TimeDistributed {
  return new TimeDistributed(args);
}
