/**
 * A per-element parameter broadcast over some per-sample axes (PReLU's α, Normalization's
 * mean and variance): the parameter has the per-sample shape with size 1 on the broadcast
 * axes. Layers run on buffers [B, T, …rest] (or [B, …rest] without a time axis), so the
 * parameter index of element j of a step is index[j] + t · timeStride.
 */
import { chargeWeightBudget, type Shape } from './layer.js';

export interface BroadcastIndex {
  /** The parameter's shape: the per-sample shape, 1 on the broadcast axes. */
  readonly shape: number[];
  /** Per element of one time step (or of a sample without a time axis): its parameter index. */
  readonly index: Int32Array;
  /** Parameter entries per time step: 0 when the time axis is broadcast or absent. */
  readonly timeStride: number;
}

/**
 * `broadcast(k)`: whether per-sample axis k (0 = the first after the batch) shares one value.
 * A rank-2 input ([batch, features]) has no time axis; otherwise axis 0 is time. The axes
 * after time must be known; time may be open only when broadcast.
 */
export function broadcastIndex(sampleShape: Shape, broadcast: (axis: number) => boolean, where: string): BroadcastIndex {
  const hasTime = sampleShape.length >= 2;
  const shape = sampleShape.map((d, k) => (broadcast(k) ? 1 : d!));
  // Row-major strides of the parameter; a broadcast axis has size 1 and adds nothing.
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const first = hasTime ? 1 : 0;
  const inner = sampleShape.slice(first) as number[];
  const size = inner.reduce((a, b) => a * b, 1);
  // Sized by the input's shape, which a model file gives: counted like a weight before allocating.
  chargeWeightBudget(size, `${where}: parameter index of ${size} values`);
  const index = new Int32Array(size);
  for (let j = 0; j < size; j++) {
    let rem = j;
    let idx = 0;
    for (let k = inner.length - 1; k >= 0; k--) {
      const c = rem % inner[k]!;
      rem = (rem - c) / inner[k]!;
      if (!broadcast(k + first)) idx += c * strides[k + first]!;
    }
    index[j] = idx;
  }
  return { shape, index, timeStride: hasTime && !broadcast(0) ? strides[0]! : 0 };
}
