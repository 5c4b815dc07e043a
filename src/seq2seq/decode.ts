/**
 * Decoding a sequence-to-sequence model, one target symbol at a time, for many inputs at
 * once: greedy (the most likely symbol each step) and beam search (the `beamWidth` most
 * likely partial outputs per input, expanded together as the rows of one batch).
 *
 * The model is a DecoderStep: given the previous symbol of every row and which row of
 * the last step each row continues (beam search reorders), it advances every row's
 * state by one step and gives the next symbol's probabilities. Nothing before the last
 * symbol is recomputed.
 *
 * Beam search keeps, per input, the beamWidth best live hypotheses by the sum of log
 * probabilities; a hypothesis that emits the end symbol is finished and scored by
 * Σ log p / lp(length), lp = ((5 + length) / 6)^α (Wu et al. 2016; α = lengthPenalty,
 * 0: the plain sum; the end symbol counts in the length). An input stops when it has
 * beamWidth finished hypotheses and none of its live ones can still beat the best of
 * them. At maxLength the live hypotheses, cut there, compete with the finished ones (as
 * greedy decoding returns an output cut at maxLength). Ties go to the lower symbol
 * index, so a beam of width 1 is greedy decoding exactly. Browser-safe.
 */

/** One decoding step of a model over `rows` rows. */
export interface DecoderStep {
  /**
   * Advance every row by one symbol: tokens[r] is row r's previous symbol, and row r
   * continues the state of row parents[r] of the previous step (null: of row r itself).
   * Returns the next symbol's probabilities, [rows, V] (valid until the next call).
   */
  step(tokens: Int32Array, parents: Int32Array | null, rows: number): Float32Array;
}

export interface DecodeOptions {
  /** Symbol that starts every output (fed first). */
  start: number;
  /** Symbol that ends an output (not included in it). */
  end: number;
  /** Size of the target vocabulary (columns of the probabilities). */
  vocabSize: number;
  /** Most symbols per output (the end symbol not counted). */
  maxLength: number;
  /** Hypotheses kept per input; 1 = greedy. */
  beamWidth: number;
  /** α of the length penalty ((5 + length) / 6)^α. Default 0. */
  lengthPenalty?: number;
  /** Symbols never chosen (e.g. padding). */
  banned?: readonly number[];
}

/**
 * Decode `count` inputs whose states the step function already holds as rows
 * 0 … count − 1 (for beam search, rows n·beamWidth … n·beamWidth + beamWidth − 1 of
 * input n, each a copy of its input's state). Returns each input's best output.
 */
export function decode(model: DecoderStep, count: number, o: DecodeOptions): number[][] {
  return o.beamWidth <= 1 ? greedyDecode(model, count, o) : beamSearch(model, count, o);
}

/** The most likely symbol at every step (beamWidth is not read). */
export function greedyDecode(model: DecoderStep, count: number, o: DecodeOptions): number[][] {
  const V = o.vocabSize;
  const banned = new Set(o.banned ?? []);
  const tokens = new Int32Array(count).fill(o.start);
  const out: number[][] = Array.from({ length: count }, () => []);
  const done = new Uint8Array(count);
  let live = count;
  for (let t = 0; t < o.maxLength && live > 0; t++) {
    const p = model.step(tokens, null, count);
    for (let r = 0; r < count; r++) {
      if (done[r] === 1) continue;
      let best = -1;
      let bestP = -Infinity;
      for (let v = 0; v < V; v++) {
        const q = p[r * V + v]!;
        if (q > bestP && !banned.has(v)) {
          bestP = q;
          best = v;
        }
      }
      tokens[r] = best;
      if (best === o.end) {
        done[r] = 1;
        live--;
      } else out[r]!.push(best);
    }
  }
  return out;
}

interface Hypothesis {
  tokens: number[];
  /** Σ log p of its symbols (the end symbol included when finished). */
  logp: number;
}

/** Beam search of width o.beamWidth (1 included: the same outputs as greedyDecode). */
export function beamSearch(model: DecoderStep, count: number, o: DecodeOptions): number[][] {
  const W = o.beamWidth;
  const V = o.vocabSize;
  const alpha = o.lengthPenalty ?? 0;
  const banned = new Set(o.banned ?? []);
  const lp = (len: number): number => (alpha === 0 ? 1 : ((5 + len) / 6) ** alpha);
  const rows = count * W;
  const tokens = new Int32Array(rows).fill(o.start);
  const parents = new Int32Array(rows);
  // Per input: its live beams (row i·W + k holds beam k), and its finished hypotheses.
  let beams: (Hypothesis | null)[] = Array.from({ length: rows }, (_, r) => (r % W === 0 ? { tokens: [], logp: 0 } : null));
  const finished: Hypothesis[][] = Array.from({ length: count }, () => []);
  const active = new Uint8Array(count).fill(1);
  let first = true;
  for (let t = 0; t < o.maxLength && active.some((a) => a === 1); t++) {
    const p = model.step(tokens, first ? null : parents, rows);
    first = false;
    const next: (Hypothesis | null)[] = Array.from({ length: rows }, () => null);
    for (let n = 0; n < count; n++) {
      for (let k = 0; k < W; k++) parents[n * W + k] = n * W; // rows without a beam: any state
      if (active[n] === 0) continue;
      // The best W continuations of every live beam, then the best W of them all.
      const cands: { from: number; token: number; logp: number }[] = [];
      for (let k = 0; k < W; k++) {
        const r = n * W + k;
        const h = beams[r];
        if (h === null || h === undefined) continue;
        for (const v of topK(p, r * V, V, W + 1, banned)) cands.push({ from: r, token: v, logp: h.logp + Math.log(Math.max(p[r * V + v]!, 1e-45)) });
      }
      cands.sort((a, b) => b.logp - a.logp || a.from - b.from || a.token - b.token);
      let kept = 0;
      for (const c of cands) {
        if (kept === W) break;
        const h = beams[c.from]!;
        if (c.token === o.end) {
          finished[n]!.push({ tokens: h.tokens, logp: c.logp });
          continue;
        }
        const r = n * W + kept;
        next[r] = { tokens: [...h.tokens, c.token], logp: c.logp };
        tokens[r] = c.token;
        parents[r] = c.from;
        kept++;
      }
      // Done when W hypotheses finished and no live one can still beat the best of them.
      const fin = finished[n]!;
      if (kept === 0) active[n] = 0;
      else if (fin.length >= W) {
        const bestFinished = Math.max(...fin.map((h) => h.logp / lp(h.tokens.length + 1)));
        let bestLive = -Infinity;
        for (let k = 0; k < kept; k++) bestLive = Math.max(bestLive, next[n * W + k]!.logp / lp(o.maxLength + 1));
        if (bestFinished >= bestLive) active[n] = 0;
      }
      if (active[n] === 0) for (let k = 0; k < W; k++) next[n * W + k] = null;
    }
    beams = next;
  }
  return finished.map((fin, n) => {
    // finished hypotheses (the end symbol in their length), then those cut at maxLength
    let best: number[] = [];
    let bestScore = -Infinity;
    const consider = (h: Hypothesis, len: number): void => {
      const s = h.logp / lp(len);
      if (s > bestScore) {
        bestScore = s;
        best = h.tokens;
      }
    };
    for (const h of fin) consider(h, h.tokens.length + 1);
    for (let k = 0; k < W; k++) {
      const h = beams[n * W + k];
      if (h !== null && h !== undefined) consider(h, h.tokens.length);
    }
    return best;
  });
}

/** The k largest entries of p[off … off + V) (not banned), largest first; ties to the lower index. */
function topK(p: Float32Array, off: number, V: number, k: number, banned: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let v = 0; v < V; v++) {
    if (banned.has(v)) continue;
    const q = p[off + v]!;
    let i = out.length;
    while (i > 0 && p[off + out[i - 1]!]! < q) i--;
    if (i < k) {
      out.splice(i, 0, v);
      if (out.length > k) out.pop();
    }
  }
  return out;
}
