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
 * Options of Keras 3's BaseOptimizer, all built here: a learning-rate schedule evaluated
 * at the step count before each update; `useEma` (a moving average of the weights kept as
 * a state slot, copied into the weights every `emaOverwriteFrequency` steps and at the end
 * of `fit` by `finalizeVariableValues`); `gradientAccumulationSteps` (gradients summed in a
 * slot, their mean applied every Nth call); `lossScaleFactor` (accepted and saved; see its
 * doc for why it changes nothing in float32). Every piece of state lives in the slots and
 * the step counter, so getState/setState (and fit's undo of an overflowing update) restore
 * all of it.
 *
 * State slots are Float32Array, like Keras's float32 optimizer variables; the
 * rules round each new slot value to float32 (Math.fround) before using it, so
 * the arithmetic sees exactly what Keras reads back from its variables.
 */
import { backend, freeBuffer } from '../backend/kernels.js';
import { checkBoolean, checkNumberIn, checkOptions, checkPositiveInt, table, show } from '../core/errors.js';
import { noteWeightsWritten } from '../core/weightsVersion.js';
import { LearningRateSchedule, deserializeSchedule, serializeSchedule } from './schedules.js';

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
  /**
   * Step size, ≥ 0, or a schedule (`schedules.*`) evaluated at the step count before each
   * update (Keras `learning_rate(iterations)`; with gradientAccumulationSteps, at every
   * call's count, as Keras). A number can be changed later through `optimizer.learningRate`
   * (callbacks do); a schedule's rate cannot (TypeError, as Keras).
   */
  learningRate?: number | LearningRateSchedule;
  /** Decoupled weight decay `w ← w − w·weightDecay·lr`, before the update. Default: none (AdamW: 0.004). */
  weightDecay?: number;
  /** Rescale each weight tensor's gradient to L2 norm ≤ clipnorm. Default: none. */
  clipnorm?: number;
  /** Clamp every gradient element to [−clipvalue, clipvalue]. Default: none. */
  clipvalue?: number;
  /** Rescale all gradients together to global L2 norm ≤ globalClipnorm. Default: none. */
  globalClipnorm?: number;
  /** Optimizer name (Keras: 'SGD', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adamax', 'nadam', 'lion', 'adadelta', 'ftrl'). */
  name?: string;
  /**
   * Keep an exponential moving average of the trainable weights (Keras `use_ema`): after
   * each call, `avg ← m·avg + (1 − m)·w` with m = emaMomentum (m = 0 while `iterations` is
   * 0, so the average starts at the weights). `fit` copies the average into the weights
   * when it ends (Keras `finalize_variable_values`). Default false.
   */
  useEma?: boolean;
  /** EMA momentum m in [0, 1]; only with useEma. Default 0.99. */
  emaMomentum?: number;
  /**
   * Copy the average into the weights after every Nth step (when (iterations + 1) % N is 0,
   * Keras's test); an integer ≥ 1, only with useEma. Default: never during training.
   */
  emaOverwriteFrequency?: number;
  /**
   * Keras multiplies the loss by this before the gradients and divides the gradients by it
   * after, which cancel; it only guards float16 gradients against underflow. rnnkit computes
   * in float32, so the factor is accepted (> 0, saved in the config) and changes nothing,
   * as Keras's own docs say of float32. Default: none.
   */
  lossScaleFactor?: number;
  /**
   * Sum the gradients of N calls (an integer ≥ 2) and apply their mean on every Nth call
   * (Keras `gradient_accumulation_steps`): the weights change once per N batches. Clipping
   * and weight decay act on the mean. `iterations` then counts updates (calls / N, floored,
   * as Keras), the learning-rate schedule sees calls. Default: none.
   */
  gradientAccumulationSteps?: number;
}

/** Everything needed to resume training exactly: step count and state slots (copies). */
export interface OptimizerState {
  /** Calls to apply so far (Keras's `_iterations` variable; see `Optimizer.steps`). */
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
  /** The rule divides by the learning rate (Ftrl): 0 is refused. */
  readonly positiveLearningRate?: boolean;
  /** Option keys the subclass adds to the common ones. */
  readonly extraOptions: readonly string[];
}

const COMMON_OPTIONS = [
  'learningRate', 'weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm', 'name',
  'useEma', 'emaMomentum', 'emaOverwriteFrequency', 'lossScaleFactor', 'gradientAccumulationSteps',
] as const;

/** Keras arguments refused by name rather than ignored. */
const REFUSED_OPTIONS: Readonly<Record<string, string>> = table({
  decay: 'Keras 3 accepts it only to ignore it with a warning; use a learning-rate schedule such as schedules.inverseTimeDecay',
});

/** Names of the state slots the base class adds after the subclass's own. */
const EMA_SLOT = 'average';
const ACCUMULATOR_SLOT = 'gradientAccumulator';

export abstract class Optimizer {
  readonly className: string;
  readonly name: string;
  readonly weightDecay: number | undefined;
  readonly clipnorm: number | undefined;
  readonly clipvalue: number | undefined;
  readonly globalClipnorm: number | undefined;
  readonly useEma: boolean;
  /** EMA momentum (0.99 unless set; used only with useEma). */
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | undefined;
  readonly lossScaleFactor: number | undefined;
  readonly gradientAccumulationSteps: number | undefined;

  /**
   * Current learning rate. Read it as a field inside update rules: a double passed as an
   * argument to a call V8 does not inline is boxed (allocated). With a schedule, apply sets
   * it from the schedule before each step. Declared with a number: a field that starts as
   * undefined is stored tagged, and then every double written to it is a new heap number.
   */
  protected lr = 0;
  /** The schedule given as learningRate, or null for a plain number. */
  private schedule: LearningRateSchedule | null = null;
  /** Where the schedule writes its value (see LearningRateSchedule.write). */
  private readonly lrOut = new Float64Array(1);
  /** Ftrl divides by the learning rate: 0 is refused, also when a schedule reaches it. */
  private readonly positiveRate: boolean;
  /** Calls to apply so far (Keras `_iterations`). */
  private calls = 0;
  /** Arena length the slots were sized for; −1 until build (or setState) sizes them. */
  private numParams = -1;
  /** True once build has given the trainable segments. */
  private built = false;
  /** Trainable segments as [start, end) pairs, so apply loops over plain ints. */
  private segStart: Int32Array = new Int32Array(0);
  private segEnd: Int32Array = new Int32Array(0);
  /** Names of the trainable segments, and 1 where weight decay applies (excludeFromWeightDecay). */
  private segNames: string[] = [];
  private segDecayed: Uint8Array = new Uint8Array(0);
  /** Set by excludeFromWeightDecay. */
  private excludedNames: ReadonlySet<string> = new Set();
  private excludedPattern: RegExp | null = null;
  /**
   * State slots in `slotNames()` order, then the base class's: 'average' (useEma) and
   * 'gradientAccumulator' (gradientAccumulationSteps). Each Float32Array(numParams).
   */
  protected slots: Float32Array[] = [];
  /** gradientAccumulationSteps, or 0 without accumulation (an int for the step's test). */
  private readonly accumulate: number;

  protected constructor(options: OptimizerOptions | undefined, spec: OptimizerSpec) {
    const cls = spec.className;
    if (options !== undefined && options !== null && typeof options === 'object' && Object.hasOwn(options, 'decay') && (options as Record<string, unknown>)['decay'] !== undefined) {
      throw new RangeError(`${cls}: option 'decay' is not supported (${REFUSED_OPTIONS['decay']})`);
    }
    checkOptions(options, [...COMMON_OPTIONS, ...spec.extraOptions], cls);
    const o: OptimizerOptions = options ?? {};
    this.className = cls;
    if (o.name !== undefined && typeof o.name !== 'string') {
      throw new TypeError(`${cls}: name must be a string, got ${show(o.name)}`);
    }
    this.name = o.name ?? spec.defaultName;
    this.positiveRate = spec.positiveLearningRate === true;
    const lr = o.learningRate ?? spec.defaultLearningRate;
    if (lr instanceof LearningRateSchedule) {
      this.schedule = lr;
    } else if (isSerializedSchedule(lr)) {
      // A config read back from JSON (Keras `from_config` deserializes learning_rate the same way).
      this.schedule = deserializeSchedule(lr, `${cls}: learningRate`);
    }
    if (this.schedule !== null) {
      this.schedule.write(0, this.lrOut);
      this.lr = this.lrOut[0]!;
    } else {
      this.lr = checkLearningRate(lr, cls, this.positiveRate);
    }
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

    this.useEma = checkBoolean(o.useEma ?? false, `${cls}: useEma`);
    if (!this.useEma) {
      // Keras ignores these without use_ema; here they are errors, not silent no-ops.
      for (const k of ['emaMomentum', 'emaOverwriteFrequency'] as const) {
        if (o[k] !== undefined) throw new RangeError(`${cls}: ${k} is used only with useEma: true`);
      }
    }
    this.emaMomentum = checkNumberIn(o.emaMomentum ?? 0.99, 0, 1, `${cls}: emaMomentum`);
    this.emaOverwriteFrequency = o.emaOverwriteFrequency === undefined ? undefined : checkPositiveInt(o.emaOverwriteFrequency, `${cls}: emaOverwriteFrequency`);
    this.lossScaleFactor = positive(o.lossScaleFactor, 'lossScaleFactor');
    const acc = o.gradientAccumulationSteps;
    if (acc !== undefined && (typeof acc !== 'number' || !Number.isInteger(acc) || acc < 2)) {
      throw new RangeError(`${cls}: gradientAccumulationSteps must be an integer >= 2, got ${show(acc)}`);
    }
    this.gradientAccumulationSteps = acc;
    this.accumulate = acc ?? 0;
  }

  /**
   * Calls to `apply` so far (Keras's `_iterations` variable, which is what it saves). Equal
   * to `iterations` unless gradientAccumulationSteps is set. Settable, to restore a state.
   */
  get steps(): number {
    return this.calls;
  }
  set steps(value: number) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`${this.className}: steps must be a non-negative integer, got ${show(value)}`);
    }
    this.calls = value;
  }

  /**
   * Updates applied so far (Keras `optimizer.iterations`): the number of calls, or with
   * gradientAccumulationSteps N, floor(calls / N). Update rules use t = iterations + 1.
   * Setting it sets `steps` to iterations·N (the start of an accumulation cycle).
   */
  get iterations(): number {
    return this.accumulate > 0 ? Math.floor(this.calls / this.accumulate) : this.calls;
  }
  set iterations(value: number) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`${this.className}: iterations must be a non-negative integer, got ${show(value)}`);
    }
    this.calls = this.accumulate > 0 ? value * this.accumulate : value;
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

  /**
   * The learning rate the next step will use. With a schedule, its value at `steps` (Keras
   * `optimizer.learning_rate`). Setting a number changes a numeric rate (callbacks such as
   * ReduceLROnPlateau do); an optimizer made with a schedule refuses a number with a
   * TypeError, as Keras does, and takes a new schedule instead.
   */
  get learningRate(): number {
    if (this.schedule === null) return this.lr;
    this.schedule.write(this.calls, this.lrOut);
    return this.lrOut[0]!;
  }
  set learningRate(value: number | LearningRateSchedule) {
    if (value instanceof LearningRateSchedule) {
      this.schedule = value;
      return;
    }
    if (this.schedule !== null) {
      throw new TypeError(
        `${this.className}: this optimizer was created with a learning-rate schedule (${this.schedule.className}), so its learning rate is not settable; create it with a number as learningRate to change the rate (e.g. from a callback)`,
      );
    }
    this.lr = checkLearningRate(value, this.className, this.positiveRate);
  }

  /** The schedule given as learningRate, or null when the rate is a number. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return this.schedule;
  }

  /**
   * Keras `exclude_from_weight_decay`: weights left out of `weightDecay`. `varNames` are
   * regular expressions searched in each weight's own name (the last part of its path,
   * 'kernel' or 'bias', as Keras 3 searches `variable.name`); `weights` are full weight paths
   * ('lstm/bias'), the counterpart of Keras's `var_list`. Not part of the config (Keras does
   * not save it either). Callable before or after build.
   */
  excludeFromWeightDecay(options: { varNames?: readonly string[]; weights?: readonly string[] }): void {
    const where = `${this.className}: excludeFromWeightDecay`;
    checkOptions(options, ['varNames', 'weights'], where);
    const list = (v: unknown, key: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new TypeError(`${where}: ${key} must be an array of strings, got ${show(v)}`);
      return v as string[];
    };
    const names = list(options?.varNames, 'varNames');
    const weights = list(options?.weights, 'weights');
    let pattern: RegExp | null = null;
    if (names.length > 0) {
      try {
        pattern = new RegExp([...new Set(names)].join('|'));
      } catch (e) {
        throw new RangeError(`${where}: varNames ${show(names)} is not a valid regular expression (${(e as Error).message})`);
      }
    }
    this.excludedPattern = pattern;
    this.excludedNames = new Set(weights);
    this.markDecayed();
  }

  private markDecayed(): void {
    this.segDecayed = Uint8Array.from(this.segNames, (name) => {
      const own = name.slice(name.lastIndexOf('/') + 1);
      return this.excludedNames.has(name) || (this.excludedPattern !== null && this.excludedPattern.test(own)) ? 0 : 1;
    });
  }

  /** Names of the subclass's state slots, in storage order (depends on options, fixed at construction). */
  protected abstract slotNames(): readonly string[];

  /** Every slot: the subclass's, then 'average' (useEma), then 'gradientAccumulator'. */
  private allSlotNames(): string[] {
    const names = [...this.slotNames()];
    if (this.useEma) names.push(EMA_SLOT);
    if (this.accumulate > 0) names.push(ACCUMULATOR_SLOT);
    return names;
  }

  /** Starting value of every element of one of the subclass's slots (Adagrad's accumulator starts non-zero). */
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
    this.segNames = trainable.map((s) => s.name);
    this.markDecayed();
    if (this.numParams < 0) {
      const own = this.slotNames().length;
      // The EMA and the accumulator start at 0 (Keras zeros; the EMA's first step overwrites it).
      this.slots = this.allSlotNames().map((n, k) => backend().alloc(numParams).fill(k < own ? this.slotInitialValue(n) : 0));
      this.numParams = numParams;
    }
    this.built = true;
  }

  /**
   * One call in place over the trainable segments (Keras `apply`). `grads` is overwritten
   * (clipped, or with accumulation the mean). Allocates nothing: loops over preplanned
   * segment bounds and preallocated slots.
   */
  apply(params: Float32Array, grads: Float32Array): void {
    if (!this.built) throw new Error(`${this.className}: call build(numParams, segments) before apply()`);
    if (params.length !== this.numParams || grads.length !== this.numParams) {
      throw new RangeError(`${this.className}: apply expects params and grads of length ${this.numParams}, got ${params.length} and ${grads.length}`);
    }
    // Counted before any write (weight decay, EMA, the update): caches built from the weights rebuild.
    noteWeightsWritten();
    const step = this.calls;
    if (this.schedule !== null) this.evaluateSchedule(step);
    else if (this.positiveRate && !(this.lr > 0)) this.throwBadRate(step, this.lr);
    if (this.accumulate > 0 && !this.accumulateOrAverage(grads, step)) {
      // Not an update step: only the gradient sum (and the EMA, as Keras) move.
      if (this.useEma) this.updateEma(params, this.updatesSoFar());
      this.calls = step + 1;
      return;
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
        if (this.segDecayed[s] === 0) continue;
        const hi = this.segEnd[s]!;
        for (let i = this.segStart[s]!; i < hi; i++) params[i] = params[i]! - params[i]! * wd * lr;
      }
    }
    const iterations = this.updatesSoFar();
    this.beginStep(iterations + 1);
    for (let s = 0; s < n; s++) this.updateRange(params, grads, this.segStart[s]!, this.segEnd[s]!);
    if (this.useEma) this.updateEma(params, iterations);
    this.calls = step + 1;
  }

  /**
   * Keras `finalize_variable_values`: with useEma, copy the moving average into the
   * trainable weights (fit calls this when it ends, before onTrainEnd). A no-op without
   * useEma, and before the first step (Keras would copy its zero-initialised average).
   */
  finalizeVariableValues(params: Float32Array): void {
    if (!this.useEma || this.calls === 0 || this.numParams < 0) return;
    if (params.length !== this.numParams) {
      throw new RangeError(`${this.className}: finalizeVariableValues expects params of length ${this.numParams}, got ${params.length}`);
    }
    this.copyAverage(params);
  }

  /** Evaluate the schedule at `step` into `lr`, refusing a value that is not a usable rate. */
  private evaluateSchedule(step: number): void {
    this.schedule!.write(step, this.lrOut);
    const v = this.lrOut[0]!;
    if (!(v >= 0 && v < Infinity) || (this.positiveRate && v === 0)) this.throwBadRate(step, v);
    this.lr = v;
  }

  private throwBadRate(step: number, value: number): never {
    const src = this.schedule === null ? 'learning rate' : `learning-rate schedule ${this.schedule.className}`;
    const need = this.positiveRate ? 'a finite number > 0' : 'a finite number >= 0';
    throw new RangeError(`${this.className}: the ${src} gave ${show(value)} at step ${step}; it must be ${need}`);
  }

  /**
   * Gradient accumulation (Keras `_backend_apply_gradients`): on calls whose (step + 1) is
   * not a multiple of N, add grads to the sum and return false; on the Nth, replace grads by
   * (grads + sum)/N, zero the sum and return true.
   */
  private accumulateOrAverage(grads: Float32Array, step: number): boolean {
    // The accumulator is the last slot.
    const acc = this.slots[this.slots.length - 1]!;
    const N = this.accumulate;
    const n = this.segStart.length;
    if ((step + 1) % N !== 0) {
      for (let s = 0; s < n; s++) {
        const hi = this.segEnd[s]!;
        for (let i = this.segStart[s]!; i < hi; i++) acc[i] = acc[i]! + grads[i]!;
      }
      return false;
    }
    for (let s = 0; s < n; s++) {
      const hi = this.segEnd[s]!;
      for (let i = this.segStart[s]!; i < hi; i++) {
        grads[i] = (grads[i]! + acc[i]!) / N;
        acc[i] = 0;
      }
    }
    return true;
  }

  /**
   * Keras `_update_model_variables_moving_average` after the call's update, with
   * `iterations` as it was before the call: avg ← m·avg + (1 − m)·w, m = 0 at iterations 0;
   * then, with emaOverwriteFrequency f, w ← avg when (iterations + 1) % f is 0.
   */
  private updateEma(params: Float32Array, iterations: number): void {
    const avg = this.slots[this.emaIndex()]!;
    const m = iterations === 0 ? 0 : this.emaMomentum;
    const c = 1 - m;
    const n = this.segStart.length;
    for (let s = 0; s < n; s++) {
      const hi = this.segEnd[s]!;
      for (let i = this.segStart[s]!; i < hi; i++) avg[i] = m * avg[i]! + c * params[i]!;
    }
    const f = this.emaOverwriteFrequency;
    if (f !== undefined && (iterations + 1) % f === 0) this.copyAverage(params);
  }

  private copyAverage(params: Float32Array): void {
    const avg = this.slots[this.emaIndex()]!;
    const n = this.segStart.length;
    // A loop, not params.set(avg.subarray(…)): each subarray is a new object.
    for (let s = 0; s < n; s++) {
      const hi = this.segEnd[s]!;
      for (let i = this.segStart[s]!; i < hi; i++) params[i] = avg[i]!;
    }
  }

  /**
   * `iterations` as a small integer for the step: Math.floor gives a double, which V8
   * boxes when it is passed to a call it does not inline (up to 2³¹ calls).
   */
  private updatesSoFar(): number {
    const calls = this.calls;
    return this.accumulate > 0 ? ((calls - (calls % this.accumulate)) / this.accumulate) | 0 : calls;
  }

  /** The EMA slot comes right after the subclass's slots (before the accumulator, if any). */
  private emaIndex(): number {
    return this.slots.length - (this.accumulate > 0 ? 2 : 1);
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

  /**
   * JSON-safe config, camelCase keys; unset optional options are left out. A schedule is
   * written as Keras 3 serializes it: {module, class_name, config, registered_name}.
   */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, learningRate: this.schedule === null ? this.lr : serializeSchedule(this.schedule) };
    if (this.weightDecay !== undefined) config['weightDecay'] = this.weightDecay;
    if (this.clipnorm !== undefined) config['clipnorm'] = this.clipnorm;
    if (this.clipvalue !== undefined) config['clipvalue'] = this.clipvalue;
    if (this.globalClipnorm !== undefined) config['globalClipnorm'] = this.globalClipnorm;
    if (this.useEma) {
      config['useEma'] = true;
      config['emaMomentum'] = this.emaMomentum;
      if (this.emaOverwriteFrequency !== undefined) config['emaOverwriteFrequency'] = this.emaOverwriteFrequency;
    }
    if (this.lossScaleFactor !== undefined) config['lossScaleFactor'] = this.lossScaleFactor;
    if (this.gradientAccumulationSteps !== undefined) config['gradientAccumulationSteps'] = this.gradientAccumulationSteps;
    return { ...config, ...this.ownConfig() };
  }

  /** Copies of the call count and every state slot (empty slots before build). */
  getState(): OptimizerState {
    const slots: Record<string, Float32Array> = {};
    if (this.numParams >= 0) {
      const names = this.allSlotNames();
      for (let k = 0; k < names.length; k++) slots[names[k]!] = this.slots[k]!.slice();
    }
    return { iterations: this.calls, slots };
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
    const names = this.allSlotNames();
    const given = Object.keys(state.slots);
    // An unbuilt optimizer's state has no slots; restoring it only sets the step count.
    if (given.length === 0 && this.numParams < 0) {
      this.calls = it;
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
    this.calls = it;
  }

  /** Floats held in state slots (summary's 'Optimizer params' counts these). */
  numStateValues(): number {
    return this.numParams < 0 ? 0 : this.allSlotNames().length * this.numParams;
  }
}

function isSerializedSchedule(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'class_name' in value;
}

function checkLearningRate(value: unknown, cls: string, positive: boolean): number {
  if (typeof value === 'function') {
    throw new TypeError(`${cls}: learningRate must be a number or a LearningRateSchedule; a function is not accepted (subclass schedules.LearningRateSchedule and override call(step))`);
  }
  if (typeof value === 'object' && value !== null) {
    throw new TypeError(`${cls}: learningRate must be a number or a LearningRateSchedule (schedules.*), got ${show(value)}`);
  }
  return checkNumberIn(value, 0, Infinity, `${cls}: learningRate`, { loOpen: positive });
}

/**
 * An optimizer factory's argument: the options object, or the learning rate alone as tfjs
 * takes it (`tf.train.adam(0.01)`). tfjs's further positional arguments (beta1, momentum, …)
 * are refused, pointing to the options that hold them, rather than dropped unread.
 */
export function factoryOptions<T extends OptimizerOptions>(name: string, options: T | number | undefined, rest: readonly unknown[]): T {
  if (rest.length > 0) {
    throw new TypeError(`optimizers.${name}: takes one argument, the options or the learning rate; tfjs's further positional arguments are options here, e.g. optimizers.${name}({learningRate: 0.01, …}) (got ${1 + rest.length} arguments)`);
  }
  if (typeof options === 'number') return { learningRate: options } as T;
  return options ?? ({} as T);
}
