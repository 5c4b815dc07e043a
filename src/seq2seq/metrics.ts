/**
 * How good a sequence-to-sequence model's outputs are, against one or more references
 * per input (a word with two pronunciations has two):
 *
 *   exact match     share of inputs whose output equals one of its references
 *   word error rate share of inputs whose output equals none (the G2P literature's WER: 1 − exact match)
 *   token error rate Σ edit distance to the closest reference / Σ that reference's length
 *                    (phoneme error rate for G2P, character error rate for character targets)
 *   BLEU            corpus BLEU-4 (Papineni et al. 2002: clipped n-gram precisions, geometric mean,
 *                    brevity penalty against the closest reference length), for word targets
 *
 * Symbols are compared as given (tokens, or characters). Browser-safe.
 */

/** Levenshtein distance between two symbol sequences (insertions, deletions, substitutions cost 1). */
export function editDistance(a: readonly string[], b: readonly string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

export interface SequenceScores {
  /** Inputs scored. */
  count: number;
  exactMatch: number;
  wordErrorRate: number;
  tokenErrorRate: number;
  /** Corpus BLEU-4 in [0, 1]; only for word-level targets (null otherwise). */
  bleu: number | null;
}

/**
 * Scores of outputs against references (outputs[i] against references[i], one or more),
 * all already split into symbols.
 */
export function scoreSequences(outputs: readonly (readonly string[])[], references: readonly (readonly (readonly string[])[])[], withBleu: boolean): SequenceScores {
  if (outputs.length !== references.length) throw new RangeError(`scoreSequences: ${outputs.length} outputs for ${references.length} reference sets`);
  let exact = 0;
  let edits = 0;
  let refTokens = 0;
  outputs.forEach((out, i) => {
    const refs = references[i]!;
    if (refs.length === 0) throw new RangeError(`scoreSequences: input ${i} has no reference`);
    if (refs.some((r) => r.length === out.length && r.every((t, k) => t === out[k]))) exact++;
    // the closest reference: fewest edits, then the longer one (the lower error rate)
    let best = Infinity;
    let bestLen = 0;
    for (const r of refs) {
      const d = editDistance(out, r);
      if (d < best || (d === best && r.length > bestLen)) {
        best = d;
        bestLen = r.length;
      }
    }
    edits += best;
    refTokens += bestLen;
  });
  const n = outputs.length;
  return {
    count: n,
    exactMatch: n === 0 ? 0 : exact / n,
    wordErrorRate: n === 0 ? 0 : 1 - exact / n,
    tokenErrorRate: refTokens === 0 ? 0 : edits / refTokens,
    bleu: withBleu ? corpusBleu(outputs, references) : null,
  };
}

/** Corpus BLEU-4 with uniform weights and the brevity penalty (no smoothing: 0 when a precision is 0). */
export function corpusBleu(outputs: readonly (readonly string[])[], references: readonly (readonly (readonly string[])[])[]): number {
  const matched = [0, 0, 0, 0];
  const total = [0, 0, 0, 0];
  let outLen = 0;
  let refLen = 0;
  outputs.forEach((out, i) => {
    const refs = references[i]!;
    outLen += out.length;
    // the reference length closest to the output's (the shorter one on a tie)
    refLen += refs.map((r) => r.length).reduce((a, b) => (Math.abs(b - out.length) < Math.abs(a - out.length) || (Math.abs(b - out.length) === Math.abs(a - out.length) && b < a) ? b : a));
    for (let n = 1; n <= 4; n++) {
      const counts = ngrams(out, n);
      const maxRef = new Map<string, number>();
      for (const r of refs) for (const [g, c] of ngrams(r, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
      for (const [g, c] of counts) matched[n - 1]! += Math.min(c, maxRef.get(g) ?? 0);
      total[n - 1]! += Math.max(0, out.length - n + 1);
    }
  });
  if (total.some((t, k) => t === 0 || matched[k] === 0)) return 0;
  const logPrecision = matched.reduce((s, m, k) => s + Math.log(m / total[k]!), 0) / 4;
  const brevity = outLen >= refLen ? 1 : Math.exp(1 - refLen / outLen);
  return brevity * Math.exp(logPrecision);
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join('\u0000');
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}
