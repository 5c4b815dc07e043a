/**
 * Decoding a sequence-to-sequence model, one target symbol at a time, for many inputs at
 * once: greedy (the most likely symbol each step) and beam search (the `beamWidth` most
 * likely partial outputs per input, expanded together as the rows of one batch).
 *
 * The model is a DecoderStep: given the previous symbol of every row and which row of
 * the last step each row continues (beam search reorders), it advances every row's
 * state by one step and gives the next symbol's probabilities. Nothing before the last
 * symbol is recomputed, and finished outputs leave the batch: each step computes only
 * the rows still decoding (greedy: the unfinished inputs; beam search: the beams of the
 * inputs still searching).
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
   * Advance `rows` rows by one symbol: tokens[r] is row r's previous symbol, and row r
   * continues the state of row parents[r] of the previous step (null: of row r itself;
   * the first call's rows are the initial ones, see decode). Rows may be fewer than in
   * the previous step. Returns the next symbol's probabilities, [rows, V] (valid until
   * the next call).
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
  const banned = bannedMask(V, o.banned);
  const out: number[][] = Array.from({ length: count }, () => []);
  // Row r decodes input live[r]; a finished input leaves, the rows after it move up.
  const live = Int32Array.from({ length: count }, (_, n) => n);
  let rows = count;
  const tokens = new Int32Array(count).fill(o.start);
  const parents = new Int32Array(count);
  for (let t = 0; t < o.maxLength && rows > 0; t++) {
    const p = model.step(tokens, t === 0 ? null : parents, rows);
    let kept = 0;
    for (let r = 0; r < rows; r++) {
      const best = argmax(p, r * V, V, banned);
      if (best === o.end) continue;
      out[live[r]!]!.push(best);
      tokens[kept] = best;
      parents[kept] = r;
      live[kept] = live[r]!;
      kept++;
    }
    rows = kept;
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
  const banned = bannedMask(V, o.banned);
  const lp = (len: number): number => (alpha === 0 ? 1 : ((5 + len) / 6) ** alpha);
  // Block b of W rows (b·W … b·W + W − 1) holds the beams of input active[b]; an input whose
  // search is over leaves, the blocks after it move up.
  const active = Int32Array.from({ length: count }, (_, n) => n);
  let blocks = count;
  let beams: (Hypothesis | null)[] = Array.from({ length: count * W }, (_, r) => (r % W === 0 ? { tokens: [], logp: 0 } : null));
  const finished: Hypothesis[][] = Array.from({ length: count }, () => []);
  const tokens = new Int32Array(count * W).fill(o.start);
  const parents = new Int32Array(count * W);
  for (let t = 0; t < o.maxLength && blocks > 0; t++) {
    const p = model.step(tokens, t === 0 ? null : parents, blocks * W);
    const next: (Hypothesis | null)[] = [];
    let kept = 0;
    for (let b = 0; b < blocks; b++) {
      const n = active[b]!;
      // The best W + 1 continuations of every live beam (at most one ends), then the best W of them all.
      const cands: { from: number; token: number; logp: number }[] = [];
      for (let k = 0; k < W; k++) {
        const r = b * W + k;
        const h = beams[r];
        if (h === null || h === undefined) continue;
        for (const v of topK(p, r * V, V, W + 1, banned)) cands.push({ from: r, token: v, logp: h.logp + Math.log(Math.max(p[r * V + v]!, 1e-45)) });
      }
      cands.sort((x, y) => y.logp - x.logp || x.from - y.from || x.token - y.token);
      const chosen: typeof cands = [];
      for (const c of cands) {
        if (chosen.length === W) break;
        if (c.token === o.end) finished[n]!.push({ tokens: beams[c.from]!.tokens, logp: c.logp });
        else chosen.push(c);
      }
      // Over when nothing is left, or W hypotheses finished and no live one can still beat the best of them.
      const fin = finished[n]!;
      let over = chosen.length === 0;
      if (!over && fin.length >= W) {
        const bestFinished = Math.max(...fin.map((h) => h.logp / lp(h.tokens.length + 1)));
        over = bestFinished >= chosen[0]!.logp / lp(o.maxLength + 1);
      }
      if (over) continue;
      active[kept] = n;
      for (let k = 0; k < W; k++) {
        const r = kept * W + k;
        const c = chosen[Math.min(k, chosen.length - 1)]!; // rows without a beam run a copy, unread
        next[r] = k < chosen.length ? { tokens: [...beams[c.from]!.tokens, c.token], logp: c.logp } : null;
        tokens[r] = c.token;
        parents[r] = c.from;
      }
      kept++;
    }
    blocks = kept;
    beams = next;
  }
  // Finished hypotheses (the end symbol in their length), then those cut at maxLength.
  const cut = new Map<number, (Hypothesis | null)[]>();
  for (let b = 0; b < blocks; b++) cut.set(active[b]!, beams.slice(b * W, (b + 1) * W));
  return finished.map((fin, n) => {
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
    for (const h of cut.get(n) ?? []) if (h !== null) consider(h, h.tokens.length);
    return best;
  });
}

/** Row r of p (from off, V entries): the largest entry not banned; ties to the lower index. */
function argmax(p: Float32Array, off: number, V: number, banned: Uint8Array): number {
  let best = -1;
  let bestP = -Infinity;
  for (let v = 0; v < V; v++) {
    const q = p[off + v]!;
    if (Number.isNaN(q)) throw notANumber(off / V);
    if (q > bestP && banned[v] === 0) {
      bestP = q;
      best = v;
    }
  }
  return best;
}

function notANumber(row: number): RangeError {
  return new RangeError(`decode: the model gave NaN probabilities (row ${row} of the batch); its weights or inputs are not finite`);
}

function bannedMask(V: number, banned: readonly number[] = []): Uint8Array {
  const m = new Uint8Array(V);
  for (const v of banned) if (v >= 0 && v < V) m[v] = 1;
  return m;
}

/** The k largest entries of p[off … off + V) (not banned), largest first; ties to the lower index. */
function topK(p: Float32Array, off: number, V: number, k: number, banned: Uint8Array): number[] {
  const out: number[] = [];
  for (let v = 0; v < V; v++) {
    const q = p[off + v]!;
    if (Number.isNaN(q)) throw notANumber(off / V);
    if (banned[v] === 1) continue;
    let i = out.length;
    while (i > 0 && p[off + out[i - 1]!]! < q) i--;
    if (i < k) {
      out.splice(i, 0, v);
      if (out.length > k) out.pop();
    }
  }
  return out;
}
