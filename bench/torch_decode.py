"""PyTorch contestant of `npm run bench`'s seq2seq-decode workload (bench/seq2seqDecodeBench.ts
writes the input, reads the output).

    python3 bench/torch_decode.py MANIFEST.json   -> one JSON object on stdout

The manifest gives the thread count, the time budget, the model's sizes and vocabularies, the
trained weights of rnnkit's Seq2Seq (Keras layouts, by rnnkit's weight paths, as raw
little-endian float32 files beside it), and the cases: inputs (source words), beam width and
batch size. This script builds the same model in PyTorch, injects the weights, decodes every
case's inputs once (the outputs go back for the check against rnnkit's), then times the
decoding like the JavaScript side (bench/seq2seqDecodeBench.ts).

The model (rnnkit src/seq2seq/seq2seq.ts; Keras semantics): source ids -> Embedding ->
bidirectional LSTM(units/2) (padding masked: pack_padded_sequence, so each direction's final
(h, c) is the state at the word's own last / first symbol, and the padded steps of the outputs
are zero) -> decoder LSTMCell(units) starting from (concat(h_fwd, h_bwd), concat(c_fwd,
c_bwd)) and reading the previous target symbol through its own Embedding -> Luong dot
attention with a learned scalar scale over the encoder outputs (padded source steps get -1e9
added to their scores, as Keras's Attention does) -> Linear(2 units -> units, tanh) on
[decoder output, context] -> Linear(units -> target size) -> softmax.
Keras kernels [in, 4H] are transposed into weight_ih / weight_hh ([4H, in]); the gate order is
i, f, c(g), o in both; Keras's single LSTM bias goes to bias_ih and bias_hh stays zero.

Decoding is rnnkit's (src/seq2seq/decode.ts), step by step with carried (h, c) state, many
inputs as the rows of one batch (sorted by length and cut into batchSize chunks, as
Seq2Seq.translate does):
- greedy: the most probable symbol (padding 0 and unknown 2 banned; ties to the lower index);
  the end symbol 1 ends a row, which then leaves the batch (as in decode.ts).
- beam search computes every row until the chunk is done (decode.ts drops the rows of inputs
  whose search is over: an advantage for rnnkit's beam rows that this script does not copy).
- beam search of width W: per input the W best live hypotheses by the float64 sum of
  log(max(p, 1e-45)); each step the candidates of all live beams sorted by (score desc, beam,
  symbol) (a stable sort over [beam, symbol], the same order as decode.ts's topK-then-sort);
  candidates are taken in that order until W non-end ones are kept, an end candidate met before
  that finishes its hypothesis (score / lp(length + 1), lp = ((5 + length) / 6)^alpha); an
  input stops once it has W finished hypotheses and the best finished score >= the best live
  score / lp(maxLength + 1); at maxLength the live hypotheses, cut there, compete with the
  finished ones (the earlier one wins a tie). The bookkeeping is done on tensors, not in a
  Python loop per input.
"""

import json
import math
import os
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, EOS, UNK, FIRST = 0, 1, 2, 3
BANNED = [PAD, UNK]
MASK_BIAS = 1e9


def load(base, ref):
    with open(os.path.join(base, ref["file"]), "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=torch.float32).reshape(ref["shape"]).clone()


class Seq2Seq(nn.Module):
    def __init__(self, units, emb, vs, vt):
        super().__init__()
        assert units % 2 == 0
        self.units = units
        self.vt = vt
        self.src_emb = nn.Embedding(vs, emb)
        self.encoder = nn.LSTM(emb, units // 2, batch_first=True, bidirectional=True)
        self.tgt_emb = nn.Embedding(vt, emb)
        self.decoder = nn.LSTMCell(emb, units)
        self.scale = nn.Parameter(torch.ones(()))
        self.att_dense = nn.Linear(2 * units, units)
        self.out = nn.Linear(units, vt)

    def inject(self, w):
        """rnnkit's weights by path (Keras layouts) -> this model; every weight used exactly once."""
        w = dict(w)
        with torch.no_grad():
            self.src_emb.weight.copy_(w.pop("source_embedding/embeddings"))
            self.tgt_emb.weight.copy_(w.pop("target_embedding/embeddings"))
            for suffix, direction in (("", "forward"), ("_reverse", "backward")):
                p = f"encoder_0/{direction}_encoder_0_cell/"
                getattr(self.encoder, "weight_ih_l0" + suffix).copy_(w.pop(p + "kernel").t())
                getattr(self.encoder, "weight_hh_l0" + suffix).copy_(w.pop(p + "recurrent_kernel").t())
                getattr(self.encoder, "bias_ih_l0" + suffix).copy_(w.pop(p + "bias"))
                getattr(self.encoder, "bias_hh_l0" + suffix).zero_()
            self.decoder.weight_ih.copy_(w.pop("decoder_0/kernel").t())
            self.decoder.weight_hh.copy_(w.pop("decoder_0/recurrent_kernel").t())
            self.decoder.bias_ih.copy_(w.pop("decoder_0/bias"))
            self.decoder.bias_hh.zero_()
            self.scale.copy_(w.pop("attention/scale").reshape(()))
            self.att_dense.weight.copy_(w.pop("attention_dense/kernel").t())
            self.att_dense.bias.copy_(w.pop("attention_dense/bias"))
            self.out.weight.copy_(w.pop("output/kernel").t())
            self.out.bias.copy_(w.pop("output/bias"))
        assert not w, f"unused weights: {list(w)}"

    def encode(self, srcs):
        """Padded source ids -> memory [N, Ts, units] (zero at padded steps), the additive score
        mask [N, Ts] (0 or -1e9) and the decoder's initial (h, c)."""
        lens = [len(s) for s in srcs]
        Ts = max(lens)
        x = torch.tensor([s + [PAD] * (Ts - len(s)) for s in srcs], dtype=torch.long)
        e = self.src_emb(x)
        if min(lens) == Ts:
            memory, (h, c) = self.encoder(e)
            bias = torch.zeros(len(srcs), Ts)
        else:
            lt = torch.tensor(lens)
            packed, (h, c) = self.encoder(pack_padded_sequence(e, lt, batch_first=True, enforce_sorted=False))
            memory, _ = pad_packed_sequence(packed, batch_first=True, total_length=Ts)
            bias = (torch.arange(Ts)[None, :] >= lt[:, None]).float() * -MASK_BIAS
        return memory, bias, torch.cat([h[0], h[1]], 1), torch.cat([c[0], c[1]], 1)

    def step(self, tokens, h, c, memory, bias):
        """One decoder step for every row: probabilities [R, V] and the new (h, c)."""
        h, c = self.decoder(self.tgt_emb(tokens), (h, c))
        s = torch.bmm(memory, h.unsqueeze(2)).squeeze(2) * self.scale + bias
        ctx = torch.bmm(torch.softmax(s, 1).unsqueeze(1), memory).squeeze(1)
        a = torch.tanh(self.att_dense(torch.cat([h, ctx], 1)))
        return torch.softmax(self.out(a), 1), h, c

    def greedy(self, srcs, max_length):
        """decode.ts's greedyDecode: finished rows leave the batch (index_select of the live rows)."""
        memory, bias, h, c = self.encode(srcs)
        N = len(srcs)
        live = torch.arange(N)
        tokens = torch.full((N,), EOS, dtype=torch.long)
        out = [[] for _ in range(N)]
        for t in range(max_length):
            p, h, c = self.step(tokens, h, c, memory, bias)
            p[:, BANNED] = -math.inf
            best = p.argmax(1)  # the first of equal maxima: ties to the lower index
            keep = (best != EOS).nonzero().squeeze(1)
            for n, v in zip(live[keep].tolist(), best[keep].tolist()):
                out[n].append(v)
            if keep.numel() == 0:
                break
            if keep.numel() < live.numel():
                live, h, c, memory, bias = live[keep], h[keep], c[keep], memory[keep], bias[keep]
            tokens = best[keep]
        return out

    def beam(self, srcs, max_length, W, alpha):
        def lp(length):
            return 1.0 if alpha == 0 else ((5 + length) / 6) ** alpha

        memory, bias, h, c = self.encode(srcs)
        N, V = len(srcs), self.vt
        R = N * W
        memory, bias = memory.repeat_interleave(W, 0), bias.repeat_interleave(W, 0)
        h, c = h.repeat_interleave(W, 0), c.repeat_interleave(W, 0)
        base = torch.arange(N) * W
        tokens = torch.full((R,), EOS, dtype=torch.long)
        beam_logp = torch.full((N, W), -math.inf, dtype=torch.float64)
        beam_logp[:, 0] = 0.0  # one live hypothesis (empty) per input
        hist = torch.zeros((R, max_length), dtype=torch.long)
        active = torch.ones(N, dtype=torch.bool)
        best_fin = torch.full((N,), -math.inf, dtype=torch.float64)
        best_tok = torch.zeros((N, max_length), dtype=torch.long)
        best_len = torch.zeros(N, dtype=torch.long)
        fin_count = torch.zeros(N, dtype=torch.long)
        parents = None
        t = 0
        while t < max_length and bool(active.any()):
            if parents is not None:
                h, c = h.index_select(0, parents), c.index_select(0, parents)
            p, h, c = self.step(tokens, h, c, memory, bias)
            lq = p.double().clamp_min(1e-45).log()
            lq[:, BANNED] = -math.inf
            cand = (beam_logp.unsqueeze(2) + lq.view(N, W, V)).view(N, W * V)
            vals, idx = torch.sort(cand, dim=1, descending=True, stable=True)
            vals, idx = vals[:, : 2 * W], idx[:, : 2 * W]  # W non-end ones are among them (at most one end per beam)
            frm, tok = idx // V, idx % V
            is_end = tok == EOS
            nonend = ~is_end
            open_ = (nonend.long().cumsum(1) - nonend.long()) < W  # fewer than W kept before this candidate
            take = nonend & open_
            push = is_end & open_ & active[:, None]
            if bool(push.any()):
                score = torch.where(push, vals / lp(t + 1), torch.full_like(vals, -math.inf))
                sbest, spos = score.max(1)  # the first of equal maxima: the earlier hypothesis
                better = sbest > best_fin
                if bool(better.any()):
                    sel = better.nonzero().squeeze(1)
                    rows = base[sel] + frm[sel, spos[sel]]
                    best_fin[sel] = sbest[sel]
                    best_tok[sel] = hist[rows]
                    best_len[sel] = t
                fin_count += push.sum(1)
            kidx = torch.sort((~take).to(torch.uint8), dim=1, stable=True).indices[:, :W]  # the kept ones, in order
            new_logp, new_from, new_tok = vals.gather(1, kidx), frm.gather(1, kidx), tok.gather(1, kidx)
            was_active = active
            best_live = new_logp.max(1).values / lp(max_length + 1)
            active = active & ~((fin_count >= W) & (best_fin >= best_live))
            # rows of inputs already done continue row n*W with their old symbol (decode.ts does the same)
            wa = was_active.repeat_interleave(W)
            parents = torch.where(wa, (base[:, None] + new_from).view(R), base.repeat_interleave(W))
            tokens = torch.where(wa, new_tok.view(R), tokens)
            beam_logp = torch.where(active[:, None], new_logp, torch.full_like(new_logp, -math.inf))
            hist = hist.index_select(0, parents)
            hist[:, t] = tokens
            t += 1
        live_best, live_k = (beam_logp / lp(t)).max(1)  # hypotheses cut at maxLength (length t)
        out = []
        for n in range(N):
            if live_best[n] > best_fin[n]:
                out.append(hist[n * W + live_k[n], :t].tolist())
            else:
                out.append(best_tok[n, : best_len[n]].tolist())
        return out


def translate(net, words, src_index, tgt_symbols, beam_width, max_length, batch_size, alpha):
    """= Seq2Seq.translate: encode, sort by length, decode batch_size inputs at a time, decode to text."""
    ids = [[src_index[ch] for ch in w] for w in words]
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
    out = [""] * len(words)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        srcs = [ids[i] for i in chunk]
        decoded = net.greedy(srcs, max_length) if beam_width <= 1 else net.beam(srcs, max_length, beam_width, alpha)
        for i, d in zip(chunk, decoded):
            out[i] = " ".join(tgt_symbols[k - FIRST] for k in d)
    return out


def budget_count(unit_seconds, budget_seconds, lo, hi):  # = budgetCount in bench/stats.ts
    n = math.floor(budget_seconds / unit_seconds) if unit_seconds > 0 else hi
    return max(lo, min(hi, n))


def main():
    manifest_path = sys.argv[1]
    base = os.path.dirname(manifest_path)
    with open(manifest_path) as f:
        manifest = json.load(f)
    threads = manifest["threads"]
    torch.set_num_threads(threads)
    plan, m = manifest["plan"], manifest["model"]
    src_index = {ch: FIRST + i for i, ch in enumerate(m["sourceSymbols"])}
    tgt_symbols = m["targetSymbols"]
    net = Seq2Seq(m["units"], m["embeddingDim"], FIRST + len(src_index), FIRST + len(tgt_symbols))
    net.inject({w["name"]: load(base, w) for w in manifest["weights"]})
    net.eval()
    results = {}
    with torch.inference_mode():
        for case in manifest["cases"]:
            name = case["name"]
            print(f"torch {threads}T: {name}", file=sys.stderr, flush=True)
            try:
                words = case["inputs"]

                def run():
                    return translate(net, words, src_index, tgt_symbols, case["beamWidth"], m["maxLength"], case["batchSize"], m["lengthPenalty"])

                t0 = time.perf_counter()
                outputs = run()  # the check (and the warm-up)
                first = time.perf_counter() - t0
                runs = budget_count(first, plan["budgetSeconds"], 1, plan["maxRuns"])
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - t0)
                results[name] = {"outputs": outputs, "times": times, "perRun": len(words)}
            except Exception as e:  # reported in the row; the other cases still run
                results[name] = {"error": f"{type(e).__name__}: {e}"}
    json.dump({"version": torch.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0], "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
