/**
 * Classic bag-of-words baselines, to judge a neural text classifier against: multinomial
 * naive Bayes and L2-regularised logistic regression (scikit-learn's MultinomialNB and
 * LogisticRegression defaults: alpha 1; C 1 with L-BFGS). Documents are token-id lists (a
 * TextVectorizer's tokenIds); features are token counts. Browser-safe.
 */

/** Token ids of each document (ids < vocabSize; repeated ids count). */
export type Documents = readonly Int32Array[];

export interface BagOfWordsModel {
  /** Probability of every class, [documents, classes]. */
  predictProba(docs: Documents): Float32Array;
}

function check(docs: Documents, y: ArrayLike<number>, K: number, V: number, where: string): void {
  if (docs.length !== y.length) throw new RangeError(`${where}: ${docs.length} documents but ${y.length} labels`);
  if (!(Number.isInteger(K) && K >= 2)) throw new RangeError(`${where}: needs at least 2 classes, got ${K}`);
  for (let n = 0; n < y.length; n++) if (!(Number.isInteger(y[n]) && y[n]! >= 0 && y[n]! < K)) throw new RangeError(`${where}: label ${n} is ${y[n]}, not a class index below ${K}`);
  docs.forEach((d, n) => d.forEach((id) => {
    if (!(id >= 0 && id < V)) throw new RangeError(`${where}: document ${n} has token id ${id}, outside [0, ${V})`);
  }));
}

/** Softmax of each row of z [N, K], in place. */
function softmaxRows(z: Float64Array, K: number): void {
  for (let o = 0; o < z.length; o += K) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, z[o + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += z[o + k] = Math.exp(z[o + k]! - m);
    for (let k = 0; k < K; k++) z[o + k]! /= s;
  }
}

/** Multinomial naive Bayes with additive (Laplace, alpha) smoothing and class priors from the data. */
export class NaiveBayes implements BagOfWordsModel {
  private constructor(
    /** log P(token | class), [K, V]. */
    private readonly logLikelihood: Float64Array,
    private readonly logPrior: Float64Array,
    private readonly V: number,
  ) {}

  static fit(docs: Documents, y: ArrayLike<number>, K: number, V: number, options: { alpha?: number } = {}): NaiveBayes {
    check(docs, y, K, V, 'NaiveBayes.fit');
    const alpha = options.alpha ?? 1;
    if (!(alpha > 0)) throw new RangeError(`NaiveBayes.fit: alpha must be > 0, got ${alpha}`);
    const counts = new Float64Array(K * V);
    const classDocs = new Float64Array(K);
    docs.forEach((d, n) => {
      const k = y[n]!;
      classDocs[k]! += 1;
      for (const id of d) counts[k * V + id]! += 1;
    });
    const logPrior = classDocs.map((c) => Math.log(c / docs.length));
    for (let k = 0; k < K; k++) {
      let total = 0;
      for (let v = 0; v < V; v++) total += counts[k * V + v]!;
      const denominator = Math.log(total + alpha * V);
      for (let v = 0; v < V; v++) counts[k * V + v] = Math.log(counts[k * V + v]! + alpha) - denominator;
    }
    return new NaiveBayes(counts, logPrior, V);
  }

  predictProba(docs: Documents): Float32Array {
    const K = this.logPrior.length;
    const z = new Float64Array(docs.length * K);
    docs.forEach((d, n) => {
      for (let k = 0; k < K; k++) {
        let s = this.logPrior[k]!;
        for (const id of d) s += id < this.V ? this.logLikelihood[k * this.V + id]! : 0;
        z[n * K + k] = s;
      }
    });
    softmaxRows(z, K);
    return Float32Array.from(z);
  }
}

/**
 * Multinomial logistic regression on token counts, minimising the summed cross-entropy
 * + ||W||² / (2C) (biases not penalised) with L-BFGS, as scikit-learn's default.
 */
export class LogisticRegression implements BagOfWordsModel {
  private constructor(
    /** [K, V] weights then K biases. */
    private readonly theta: Float64Array,
    private readonly K: number,
    private readonly V: number,
    /** L-BFGS iterations run. */
    readonly iterations: number,
  ) {}

  static fit(docs: Documents, y: ArrayLike<number>, K: number, V: number, options: { C?: number; maxIter?: number } = {}): LogisticRegression {
    check(docs, y, K, V, 'LogisticRegression.fit');
    const C = options.C ?? 1;
    if (!(C > 0)) throw new RangeError(`LogisticRegression.fit: C must be > 0, got ${C}`);
    const maxIter = options.maxIter ?? 500;
    const W = K * V;
    const bags = docs.map(countBag);
    const z = new Float64Array(docs.length * K);
    const objective = (theta: Float64Array, grad: Float64Array): number => {
      logits(theta, bags, K, V, z);
      softmaxRows(z, K);
      grad.fill(0);
      let f = 0;
      bags.forEach(({ ids, counts }, n) => {
        const o = n * K;
        f -= Math.log(Math.max(z[o + y[n]!]!, 1e-300));
        for (let k = 0; k < K; k++) {
          const dz = z[o + k]! - (k === y[n] ? 1 : 0);
          grad[W + k]! += dz;
          for (let j = 0; j < ids.length; j++) grad[k * V + ids[j]!]! += dz * counts[j]!;
        }
      });
      for (let i = 0; i < W; i++) {
        f += (theta[i]! * theta[i]!) / (2 * C);
        grad[i]! += theta[i]! / C;
      }
      return f;
    };
    const { x, iterations } = lbfgs(objective, new Float64Array(W + K), maxIter);
    return new LogisticRegression(x, K, V, iterations);
  }

  predictProba(docs: Documents): Float32Array {
    const z = new Float64Array(docs.length * this.K);
    logits(this.theta, docs.map(countBag), this.K, this.V, z);
    softmaxRows(z, this.K);
    return Float32Array.from(z);
  }
}

/** A document as its distinct token ids and how often each occurs (one pass per distinct token, not per token). */
interface Bag {
  ids: Int32Array;
  counts: Float64Array;
}

function countBag(d: Int32Array): Bag {
  const m = new Map<number, number>();
  for (const id of d) m.set(id, (m.get(id) ?? 0) + 1);
  return { ids: Int32Array.from(m.keys()), counts: Float64Array.from(m.values()) };
}

function logits(theta: Float64Array, bags: readonly Bag[], K: number, V: number, z: Float64Array): void {
  const W = K * V;
  bags.forEach(({ ids, counts }, n) => {
    for (let k = 0; k < K; k++) {
      let s = theta[W + k]!;
      for (let j = 0; j < ids.length; j++) if (ids[j]! < V) s += theta[k * V + ids[j]!]! * counts[j]!;
      z[n * K + k] = s;
    }
  });
}

/**
 * Limited-memory BFGS (10 pairs) with a backtracking Armijo line search; stops when the
 * gradient's largest component falls below 1e-4 × max(1, |f|) or f stops decreasing.
 */
function lbfgs(f: (x: Float64Array, g: Float64Array) => number, x: Float64Array, maxIter: number): { x: Float64Array; iterations: number } {
  const n = x.length;
  const M = 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let g = new Float64Array(n);
  let fx = f(x, g);
  const d = new Float64Array(n);
  const alpha = new Float64Array(M);
  let gNext = new Float64Array(n);
  const xNext = new Float64Array(n);
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
    return s;
  };
  let it = 0;
  for (; it < maxIter; it++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(g[i]!));
    if (gmax < 1e-4 * Math.max(1, Math.abs(fx))) break;
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(S[j]!, d);
      for (let i = 0; i < n; i++) d[i]! -= alpha[j]! * Y[j]![i]!;
    }
    const gamma = S.length === 0 ? 1 / Math.max(1, Math.sqrt(dot(g, g))) : dot(S[S.length - 1]!, Y[Y.length - 1]!) / dot(Y[Y.length - 1]!, Y[Y.length - 1]!);
    for (let i = 0; i < n; i++) d[i]! *= gamma;
    for (let j = 0; j < S.length; j++) {
      const b = rho[j]! * dot(Y[j]!, d);
      for (let i = 0; i < n; i++) d[i]! += (alpha[j]! - b) * S[j]![i]!;
    }
    let slope = dot(g, d);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from the gradient.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = 1;
    let fNext = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = x[i]! + step * d[i]!;
      fNext = f(xNext, gNext);
      if (fNext <= fx + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNext < fx)) break;
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNext[i]! - x[i]!;
      yv[i] = gNext[i]! - g[i]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      if (S.length === M) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    x.set(xNext);
    [g, gNext] = [gNext, g];
    const done = fx - fNext < 1e-10 * Math.max(1, Math.abs(fx));
    fx = fNext;
    if (done) break;
  }
  return { x, iterations: it };
}
