/**
 * TimeDistributed: the same layer applied to every time step. A batch-major
 * [B, T, …] buffer is already [B·T, …] row by row, so the wrapped layer simply runs
 * on B·T samples with no copy.
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
    return this.layer.weights.map((w) => `${this.name}/${this.layer.name}/${w.name}`);
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
    const inner = this.layer.computeOutputShape(stepShape);
    if (inner.length !== 1) throw new RangeError(`${this.where}: the wrapped ${this.layer.where} must map one step to a vector, it gives ${formatShape([null, ...inner])}`);
    return [inputShape[0]!, ...inner];
  }

  protected createWeights(inputShape: Shape): void {
    this.layer.build(inputShape.slice(1), this.initializing);
    this.weights.push(...this.layer.weights);
  }

  forward(x: Float32Array, B: number, T: number, training: boolean): Float32Array {
    return this.layer.forward(x, B * T, 1, training, null);
  }

  backward(dy: Float32Array, B: number, T: number, needDx: boolean): Float32Array | null {
    return this.layer.backward(dy, B * T, 1, needDx);
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
