/**
 * Optimizer base: Keras 3 update rules over the model's flat parameter arena.
 *
 * The model plans one Float32Array for all parameters and one for all gradients;
 * `segments` say where each weight tensor lives (clipnorm is per tensor, and
 * non-trainable weights are skipped). `build` allocates every state slot once
 * (moments etc., same length as the arena); `apply` runs one step in place and
 * allocates nothing. Order inside a step, as Keras: clip gradients → decoupled
 * weight decay → update rule → iteration counter + 1.
 *
 * State slots are Float32Array, like Keras's float32 optimizer variables; the
 * rules round each new slot value to float32 (Math.fround) before using it, so
 * the arithmetic sees exactly what Keras reads back from its variables.
 */
import { backend, freeBuffer } from '../backend/index.js';
import { checkNumberIn, checkOptions, table, show } from '../core/errors.js';

/** Where one weight tensor lives inside the flat arenas. */
export interface ParamSegment {
  /** Full weight name, e.g. 'simple_rnn/kernel'. */
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly shape: readonly number[];
  readonly trainable: boolean;
}

/** Options every optimizer takes (Keras 3 `BaseOptimizer` arguments we build). */
export interface OptimizerOptions {
  /** Step size; callbacks may change it later through `optimizer.learningRate`. */
  learningRate?: number;
  /** Decoupled weight decay `w ← w − w·weightDecay·lr`, before the update. Default: none (AdamW: 0.004). */
  weightDecay?: number;
  /** Rescale each weight tensor's gradient to L2 norm ≤ clipnorm. Default: none. */
  clipnorm?: number;
  /** Clamp every gradient element to [−clipvalue, clipvalue]. Default: none. */
  clipvalue?: number;
  /** Rescale all gradients together to global L2 norm ≤ globalClipnorm. Default: none. */
  globalClipnorm?: number;
  /** Optimizer name (Keras: 'SGD', 'adam', 'adamw', 'rmsprop', 'adagrad'). */
  name?: string;
}

/** Everything needed to resume training exactly: step count and state slots (copies). */
export interface OptimizerState {
  iterations: number;
  slots: Record<string, Float32Array>;
}

/** What `setState` accepts: like `OptimizerState`, slots as any numeric arrays. */
export interface OptimizerStateInput {
  iterations: number;
  slots: Readonly<Record<string, ArrayLike<number>>>;
}

/** Per-class facts the base constructor needs (internal to the optimizers). */
export interface OptimizerSpec {
  readonly className: string;
  readonly defaultName: string;
  readonly defaultLearningRate: number;
  /** Only AdamW has a default weight decay. */
  readonly defaultWeightDecay?: number;
  /** Option keys the subclass adds to the common ones. */
  readonly extraOptions: readonly string[];
}

const COMMON_OPTIONS = ['learningRate', 'weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm', 'name'] as const;

/** Keras options that exist but are not built; rejected by name rather than ignored. */
const LATER_OPTIONS: Readonly<Record<string, string>> = table({
  useEma: 'exponential moving average of weights',
  emaMomentum: 'exponential moving average of weights',
  emaOverwriteFrequency: 'exponential moving average of weights',
  lossScaleFactor: 'loss scaling is only for mixed precision',
  gradientAccumulationSteps: 'gradient accumulation',
});

export abstract class Optimizer {
  readonly className: string;
  readonly name: string;
  /** Steps applied so far (Keras `optimizer.iterations`); Adam's bias correction uses t = iterations + 1. */
  iterations = 0;
  readonly weightDecay: number | undefined;
  readonly clipnorm: number | undefined;
  readonly clipvalue: number | undefined;
  readonly globalClipnorm: number | undefined;

  /** Current learning rate. Read it as a field inside update rules: a double passed as an argument to a call V8 does not inline is boxed (allocated). */
  protected lr: number;
  /** Arena length the slots were sized for; −1 until build (or setState) sizes them. */
  private numParams = -1;
  /** True once build has given the trainable segments. */
  private built = false;
  /** Trainable segments as [start, end) pairs, so apply loops over plain ints. */
  private segStart: Int32Array = new Int32Array(0);
  private segEnd: Int32Array = new Int32Array(0);
  /** State slots in `slotNames()` order; each Float32Array(numParams). */
  protected slots: Float32Array[] = [];

  protected constructor(options: OptimizerOptions | undefined, spec: OptimizerSpec) {
    const cls = spec.className;
    checkOptions(options, [...COMMON_OPTIONS, ...spec.extraOptions], cls, LATER_OPTIONS);
    const o: OptimizerOptions = options ?? {};
    this.className = cls;
    if (o.name !== undefined && typeof o.name !== 'string') {
      throw new TypeError(`${cls}: name must be a string, got ${show(o.name)}`);
    }
    this.name = o.name ?? spec.defaultName;
    this.lr = checkLearningRate(o.learningRate ?? spec.defaultLearningRate, cls);
    const wd = o.weightDecay ?? spec.defaultWeightDecay;
    this.weightDecay = wd === undefined ? undefined : checkNumberIn(wd, 0, Infinity, `${cls}: weightDecay`);

    // Keras raises when more than one clipping rule is set: they would compose in a hidden order.
    const clips = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((k) => o[k] !== undefined);
    if (clips.length > 1) {
      throw new RangeError(`${cls}: only one of clipnorm, clipvalue, globalClipnorm may be set, got ${clips.join(' and ')}`);
    }
    const positive = (v: number | undefined, key: string) =>
      v === undefined ? undefined : checkNumberIn(v, 0, Infinity, `${cls}: ${key}`, { loOpen: true });
    this.clipnorm = positive(o.clipnorm, 'clipnorm');
    this.clipvalue = positive(o.clipvalue, 'clipvalue');
    this.globalClipnorm = positive(o.globalClipnorm, 'globalClipnorm');
  }

  /**
   * Free the state's backend memory now (model.dispose() calls it): the slots are dropped,
   * and an optimizer used again starts from fresh state.
   */
  dispose(): void {
    for (const s of this.slots) freeBuffer(s);
    this.slots = [];
    this.numParams = -1;
    this.built = false;
  }

  /** Current learning rate; settable (LR schedulers, ReduceLROnPlateau). */
  get learningRate(): number {
    return this.lr;
  }
  set learningRate(value: number) {
    this.lr = checkLearningRate(value, this.className);
  }

  /** Names of the state slots, in storage order (depends on options, fixed at construction). */
  protected abstract slotNames(): readonly string[];

  /** Starting value of every element of a slot (Adagrad's accumulator starts non-zero). */
  protected slotInitialValue(_slot: string): number {
    return 0;
  }

  /** Per-step scalars (bias corrections etc.), computed once before the segments are updated. */
  protected beginStep(_t: number): void {}

  /** The update rule on params[lo, hi) with the (already clipped) grads. */
  protected abstract updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void;

  /** Options specific to the subclass, for getConfig. */
  protected abstract ownConfig(): Record<string, unknown>;

  /**
   * Size the state for an arena of `numParams` floats and record the trainable segments.
   * Slots are allocated once: building again with the same size keeps the state (a second
   * `fit` continues the same optimizer), only the segment list is refreshed.
   */
  build(numParams: number, segments: readonly ParamSegment[]): void {
    const cls = this.className;
    if (!Number.isInteger(numParams) || numParams < 0) {
      throw new RangeError(`${cls}: build expects a non-negative integer parameter count, got ${show(numParams)}`);
    }
    if (this.numParams >= 0 && this.numParams !== numParams) {
      throw new RangeError(`${cls}: optimizer state is sized for ${this.numParams} parameters, got ${numParams}; use a new optimizer for a different model`);
    }
    const trainable = segments.filter((s) => s.trainable).sort((a, b) => a.offset - b.offset);
    for (const s of segments) {
      if (!Number.isInteger(s.offset) || !Number.isInteger(s.size) || s.offset < 0 || s.size < 0 || s.offset + s.size > numParams) {
        throw new RangeError(`${cls}: segment '${s.name}' [offset ${s.offset}, size ${s.size}] lies outside the ${numParams}-parameter arena`);
      }
    }
    for (let i = 1; i < trainable.length; i++) {
      const prev = trainable[i - 1]!;
      if (trainable[i]!.offset < prev.offset + prev.size) {
        // Overlapping trainable segments would be updated twice per step.
        throw new RangeError(`${cls}: trainable segments '${prev.name}' and '${trainable[i]!.name}' overlap`);
      }
    }
    this.segStart = Int32Array.from(trainable, (s) => s.offset);
    this.segEnd = Int32Array.from(trainable, (s) => s.offset + s.size);
    if (this.numParams < 0) {
      this.slots = this.slotNames().map((n) => backend().alloc(numParams).fill(this.slotInitialValue(n)));
      this.numParams = numParams;
    }
    this.built = true;
  }

  /**
   * One training step in place over the trainable segments. `grads` is clipped in place.
   * Allocates nothing: loops over preplanned segment bounds and preallocated slots.
   */
  apply(params: Float32Array, grads: Float32Array): void {
    if (!this.built) throw new Error(`${this.className}: call build(numParams, segments) before apply()`);
    if (params.length !== this.numParams || grads.length !== this.numParams) {
      throw new RangeError(`${this.className}: apply expects params and grads of length ${this.numParams}, got ${params.length} and ${grads.length}`);
    }
    const lr = this.lr;
    if (this.clipvalue !== undefined) this.clipByValue(grads);
    else if (this.clipnorm !== undefined) this.clipByNorm(grads);
    else if (this.globalClipnorm !== undefined) this.clipByGlobalNorm(grads);
    const wd = this.weightDecay;
    const n = this.segStart.length;
    if (wd !== undefined && wd !== 0) {
      // Keras `_apply_weight_decay`: w ← w − w·wd·lr with the current learning rate.
      for (let s = 0; s < n; s++) {
        const hi = this.segEnd[s]!;
        for (let i = this.segStart[s]!; i < hi; i++) params[i] = params[i]! - params[i]! * wd * lr;
      }
    }
    this.beginStep(this.iterations + 1);
    for (let s = 0; s < n; s++) this.updateRange(params, grads, this.segStart[s]!, this.segEnd[s]!);
    this.iterations++;
  }

  private clipByValue(grads: Float32Array): void {
    const v = this.clipvalue!;
    const n = this.segStart.length;
    for (let s = 0; s < n; s++) {
      const hi = this.segEnd[s]!;
      for (let i = this.segStart[s]!; i < hi; i++) {
        const g = grads[i]!;
        // Comparisons leave NaN as NaN, like ops.clip.
        if (g > v) grads[i] = v;
        else if (g < -v) grads[i] = -v;
      }
    }
  }

  /** Keras `clip_by_norm` per weight tensor: g·c / max(‖g‖, c). */
  private clipByNorm(grads: Float32Array): void {
    const c = this.clipnorm!;
    const n = this.segStart.length;
    for (let s = 0; s < n; s++) {
      const lo = this.segStart[s]!;
      const hi = this.segEnd[s]!;
      let sumSq = 0;
      for (let i = lo; i < hi; i++) sumSq += grads[i]! * grads[i]!;
      const norm = Math.sqrt(sumSq);
      // norm ≤ c leaves g unchanged (g·c/c); a NaN norm fails the test and poisons the tensor, as in Keras.
      if (norm <= c) continue;
      const denom = Math.max(norm, c);
      for (let i = lo; i < hi; i++) grads[i] = (grads[i]! * c) / denom;
    }
  }

  /**
   * Keras `clip_by_global_norm`: one scale c·min(1/‖G‖, 1/c) for every trainable tensor.
   * The `+ (norm − norm)` term is Keras's: an Inf or NaN norm makes the scale NaN, so a
   * blown-up step poisons all gradients instead of silently zeroing them.
   */
  private clipByGlobalNorm(grads: Float32Array): void {
    const c = this.globalClipnorm!;
    const n = this.segStart.length;
    let sumSq = 0;
    for (let s = 0; s < n; s++) {
      const hi = this.segEnd[s]!;
      for (let i = this.segStart[s]!; i < hi; i++) sumSq += grads[i]! * grads[i]!;
    }
    const norm = Math.sqrt(sumSq);
    const scale = c * Math.min(1 / norm, 1 / c) + (norm - norm);
    if (scale === 1) return;
    for (let s = 0; s < n; s++) {
      const hi = this.segEnd[s]!;
      for (let i = this.segStart[s]!; i < hi; i++) grads[i] = grads[i]! * scale;
    }
  }

  /** JSON-safe config, camelCase keys; unset optional options are left out. */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, learningRate: this.lr };
    if (this.weightDecay !== undefined) config['weightDecay'] = this.weightDecay;
    if (this.clipnorm !== undefined) config['clipnorm'] = this.clipnorm;
    if (this.clipvalue !== undefined) config['clipvalue'] = this.clipvalue;
    if (this.globalClipnorm !== undefined) config['globalClipnorm'] = this.globalClipnorm;
    return { ...config, ...this.ownConfig() };
  }

  /** Copies of the step count and every state slot (empty slots before build). */
  getState(): OptimizerState {
    const slots: Record<string, Float32Array> = {};
    if (this.numParams >= 0) {
      const names = this.slotNames();
      for (let k = 0; k < names.length; k++) slots[names[k]!] = this.slots[k]!.slice();
    }
    return { iterations: this.iterations, slots };
  }

  /**
   * Restore a state from getState (values are copied in). Works before build too: the
   * slots are then sized from the state, and a later build must agree with that size.
   */
  setState(state: OptimizerStateInput): void {
    const cls = this.className;
    if (typeof state !== 'object' || state === null || typeof state.slots !== 'object' || state.slots === null) {
      throw new TypeError(`${cls}: setState expects { iterations, slots }, got ${show(state)}`);
    }
    const it = state.iterations;
    if (typeof it !== 'number' || !Number.isInteger(it) || it < 0) {
      throw new RangeError(`${cls}: state iterations must be a non-negative integer, got ${show(it)}`);
    }
    const names = this.slotNames();
    const given = Object.keys(state.slots);
    // An unbuilt optimizer's state has no slots; restoring it only sets the step count.
    if (given.length === 0 && this.numParams < 0) {
      this.iterations = it;
      return;
    }
    const missing = names.filter((n) => !given.includes(n));
    const extra = given.filter((n) => !names.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new RangeError(`${cls}: state slots must be [${names.join(', ')}], got [${given.join(', ')}]`);
    }
    const size = this.numParams >= 0 ? this.numParams : names.length > 0 ? state.slots[names[0]!]!.length : 0;
    for (const n of names) {
      const len = state.slots[n]!.length;
      if (len !== size) throw new RangeError(`${cls}: state slot '${n}' has ${len} values, expected ${size}`);
    }
    if (this.numParams < 0) {
      this.slots = names.map(() => backend().alloc(size));
      this.numParams = size;
    }
    for (let k = 0; k < names.length; k++) this.slots[k]!.set(state.slots[names[k]!]!);
    this.iterations = it;
  }

  /** Floats held in state slots (summary's 'Optimizer params' counts these). */
  numStateValues(): number {
    return this.numParams < 0 ? 0 : this.slotNames().length * this.numParams;
  }
}

function checkLearningRate(value: unknown, cls: string): number {
  if (typeof value === 'function' || (typeof value === 'object' && value !== null)) {
    throw new RangeError(`${cls}: learningRate must be a number; learning-rate schedules are not supported yet (use a callback)`);
  }
  return checkNumberIn(value, 0, Infinity, `${cls}: learningRate`);
}
