/**
 * Adam, Keras 3 rule (`keras/optimizers/adam.py`), per element with t = iterations + 1:
 *   m ← m + (g − m)(1 − β1)
 *   v ← v + (g² − v)(1 − β2)
 *   amsgrad: v̂ ← max(v̂, v), used in place of v
 *   α = lr·√(1 − β2^t)/(1 − β1^t)
 *   w ← w − α·m/(√v + ε)
 * ε is added to the *uncorrected* √v: the bias correction is folded into α. PyTorch and
 * tfjs add ε to the corrected √v̂, which differs early in training; we match Keras.
 */
import { checkBoolean, checkNumberIn } from '../core/errors.js';
import { backend, freeBuffer } from '../backend/kernels.js';
import { Optimizer, factoryOptions } from './optimizer.js';
import type { OptimizerOptions, OptimizerSpec } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to √v (uncorrected), > 0. Default 1e-7. */
  epsilon?: number;
  /** AMSGrad variant (keeps the running max of v). Default false. */
  amsgrad?: boolean;
}

const SPEC: OptimizerSpec = {
  className: 'Adam',
  defaultName: 'adam',
  defaultLearningRate: 0.001,
  extraOptions: ['beta1', 'beta2', 'epsilon', 'amsgrad'],
};

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  /** α for the current step, set by beginStep. */
  private alpha = 0;
  /**
   * α, 1 − β1, 1 − β2, ε as f64, where the backend's kernel reads them (numbers passed to
   * a kernel as arguments would be boxed); `hyperF32` is the same memory as allocated.
   */
  private hyperF32: Float32Array = new Float32Array(0);
  private hyper: Float64Array = new Float64Array(0);
  /** The backend that last confirmed it owns `hyperF32`. */
  private hyperBackend: unknown = null;

  /** `spec` is for subclasses (AdamW); users pass only options. */
  constructor(options: AdamOptions = {}, spec: OptimizerSpec = SPEC) {
    super(options, spec);
    const o = options ?? {};
    const cls = spec.className;
    this.beta1 = checkNumberIn(o.beta1 ?? 0.9, 0, 1, `${cls}: beta1`, { hiOpen: true });
    this.beta2 = checkNumberIn(o.beta2 ?? 0.999, 0, 1, `${cls}: beta2`, { hiOpen: true });
    this.epsilon = checkNumberIn(o.epsilon ?? 1e-7, 0, Infinity, `${cls}: epsilon`, { loOpen: true });
    this.amsgrad = checkBoolean(o.amsgrad ?? false, `${cls}: amsgrad`);
  }

  static fromConfig(config: Record<string, unknown>): Adam {
    return new Adam(config as AdamOptions);
  }

  override dispose(): void {
    super.dispose();
    freeBuffer(this.hyperF32);
    this.hyperF32 = new Float32Array(0);
    this.hyper = new Float64Array(0);
  }

  protected override slotNames(): readonly string[] {
    return this.amsgrad ? ['momentum', 'velocity', 'velocityHat'] : ['momentum', 'velocity'];
  }

  protected override beginStep(t: number): void {
    this.alpha = (this.lr * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    const k = backend();
    // Ask the backend whether it owns the block only when the backend changed (useBackend) or
    // the block was freed: with a learning-rate schedule in the step, asking on every step
    // allocated about 40 bytes a step (measured with test/helpers/optimizerAllocationProbe).
    if (k !== this.hyperBackend || this.hyperF32.length === 0) {
      if (this.hyperF32.length === 0 || !k.owns(this.hyperF32)) {
        this.hyperF32 = k.alloc(8);
        this.hyper = new Float64Array(this.hyperF32.buffer, this.hyperF32.byteOffset, 4);
      }
      this.hyperBackend = k;
    }
    this.hyper[0] = this.alpha;
    this.hyper[1] = 1 - this.beta1;
    this.hyper[2] = 1 - this.beta2;
    this.hyper[3] = this.epsilon;
  }

  protected override updateRange(params: Float32Array, grads: Float32Array, lo: number, hi: number): void {
    const m = this.slots[0]!;
    const v = this.slots[1]!;
    if (backend().adamUpdate(params, grads, m, v, this.amsgrad ? this.slots[2]! : null, lo, hi, this.hyperF32)) return;
    const c1 = 1 - this.beta1;
    const c2 = 1 - this.beta2;
    const alpha = this.alpha;
    const eps = this.epsilon;
    if (this.amsgrad) {
      const vHat = this.slots[2]!;
      for (let i = lo; i < hi; i++) {
        const g = grads[i]!;
        const mi = Math.fround(m[i]! + (g - m[i]!) * c1);
        const vi = Math.fround(v[i]! + (g * g - v[i]!) * c2);
        const vh = Math.max(vHat[i]!, vi);
        m[i] = mi;
        v[i] = vi;
        vHat[i] = vh;
        params[i] = params[i]! - (mi * alpha) / (Math.sqrt(vh) + eps);
      }
    } else {
      for (let i = lo; i < hi; i++) {
        const g = grads[i]!;
        const mi = Math.fround(m[i]! + (g - m[i]!) * c1);
        const vi = Math.fround(v[i]! + (g * g - v[i]!) * c2);
        m[i] = mi;
        v[i] = vi;
        params[i] = params[i]! - (mi * alpha) / (Math.sqrt(vi) + eps);
      }
    }
  }

  protected override ownConfig(): Record<string, unknown> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Adam with Keras 3 defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7, amsgrad false. */
export function adam(options: AdamOptions | number = {}, ...rest: unknown[]): Adam {
  return new Adam(factoryOptions('adam', options, rest));
}
