"""PyTorch contestant of `npm run bench`'s classify workload (bench/classifyBench.ts writes the
input, reads the output).

    python3 bench/torch_classify.py MANIFEST.json   -> one JSON object on stdout

The manifest gives the thread count, the plan (budgets), the sizes, the padded token ids
[n, T] and 0/1 labels [n] (raw little-endian float32 files beside it) and rnnkit's
TextClassifier initial weights by their paths (Keras layouts). This script builds rnnkit's
default text classifier in PyTorch, injects the weights, and measures what the JavaScript
side measures (bench/classifyBench.ts, `measure`): the predictions for the first texts before
training and the losses of batch 0 (before any update) and batch 1 (after one Adam step) as the
check; then texts/s of prediction (batch 64, sigmoid included, torch.no_grad), then seconds per
training batch (Adam, binary cross-entropy), each batch from the end of the previous one to the
end of its own optimizer step.

The model, Keras semantics (rnnkit src/classify/textClassifier.ts): ids -> nn.Embedding(V, E,
padding_idx=0) -> bidirectional LSTM(H per direction, returnSequences) with id 0 masked -> max
over the real (unmasked) steps (the padded positions set to -inf first) -> Linear(2H, 1) ->
sigmoid; BCEWithLogitsLoss (= Keras's binary cross-entropy on the sigmoid) and Adam with
Keras's eps placement (eps / sqrt(1 - beta2^t) before step t, as torch_bench.py). Keras kernels
[in, 4H] are transposed into weight_ih / weight_hh; the gate order is i, f, c(g), o in both;
Keras's single LSTM bias goes to bias_ih and bias_hh is held at zero (requires_grad False).

Three ways to run the bidirectional LSTM over post-padded ids (each a variant row):
- "exact" (the main row): every direction over all T steps, padded ones included, as rnnkit
  does: an nn.LSTM forward over the ids as they are (padding at the end cannot reach the real
  steps), and an nn.LSTM over each row's real tokens reversed (then the padding) whose outputs
  are put back in order: the state of the backward direction at a real step has seen only real
  tokens, which is Keras's masked go_backwards. Outputs identical to rnnkit's.
- "packed": one bidirectional nn.LSTM over pack_padded_sequence (the idiomatic PyTorch way;
  skips the padded steps, so it does less work than rnnkit). Outputs identical to rnnkit's.
- "naive": one bidirectional nn.LSTM over the padded batch as it is. Its backward direction
  reads the padding (the embedding of id 0) before the real tokens, so its outputs are not
  rnnkit's (reported, not checked); the same work as "exact".
"""

import json
import math
import os
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def load(base, ref, dtype=torch.float32):
    with open(os.path.join(base, ref["file"]), "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=torch.float32).reshape(ref["shape"]).clone().to(dtype)


def masked_max(o, mask):
    """Max over time of o [N, T, C] over the real steps only (padded positions -> -inf)."""
    return o.masked_fill(~mask.unsqueeze(2), -math.inf).max(1).values


def reverse_index(mask):
    """[N, T] gather index reversing each row's real steps (a prefix) and keeping the padding after them."""
    lens = mask.sum(1, keepdim=True)
    t = torch.arange(mask.shape[1]).unsqueeze(0)
    return torch.where(t < lens, lens - 1 - t, t)


class Classifier(nn.Module):
    def __init__(self, variant, V, E, H):
        super().__init__()
        self.variant = variant
        self.H = H
        self.emb = nn.Embedding(V, E, padding_idx=0)
        if variant == "exact":
            self.fwd = nn.LSTM(E, H, batch_first=True)
            self.bwd = nn.LSTM(E, H, batch_first=True)
        else:
            self.lstm = nn.LSTM(E, H, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * H, 1)

    def forward(self, x):
        """Padded ids [N, T] (long) -> logits [N, 1]."""
        mask = x != 0
        e = self.emb(x)
        if self.variant == "exact":
            of, _ = self.fwd(e)
            r = reverse_index(mask)
            ob, _ = self.bwd(e.gather(1, r.unsqueeze(2).expand(-1, -1, e.shape[2])))
            ob = ob.gather(1, r.unsqueeze(2).expand(-1, -1, self.H))  # the reversal is its own inverse
            o = torch.cat([of, ob], 2)
        elif self.variant == "packed":
            lens = mask.sum(1)
            p, _ = self.lstm(pack_padded_sequence(e, lens, batch_first=True, enforce_sorted=False))
            o, _ = pad_packed_sequence(p, batch_first=True, total_length=x.shape[1])
        else:
            o, _ = self.lstm(e)
        return self.out(masked_max(o, mask))

    def inject(self, w):
        """rnnkit's weights by path (Keras layouts); every weight used exactly once."""
        w = dict(w)
        with torch.no_grad():
            self.emb.weight.copy_(w.pop("embedding/embeddings"))
            for direction, k in (("forward", 0), ("backward", 1)):
                p = f"bidirectional_0/{direction}_lstm_0/"
                if self.variant == "exact":
                    lstm, sfx = (self.fwd if k == 0 else self.bwd), ""
                else:
                    lstm, sfx = self.lstm, ("" if k == 0 else "_reverse")
                getattr(lstm, "weight_ih_l0" + sfx).copy_(w.pop(p + "kernel").t())
                getattr(lstm, "weight_hh_l0" + sfx).copy_(w.pop(p + "recurrent_kernel").t())
                getattr(lstm, "bias_ih_l0" + sfx).copy_(w.pop(p + "bias"))
                b = getattr(lstm, "bias_hh_l0" + sfx)
                b.zero_()
                b.requires_grad_(False)
            self.out.weight.copy_(w.pop("output/kernel").t())
            self.out.bias.copy_(w.pop("output/bias"))
        assert not w, f"unused weights: {list(w)}"


class Trainer:
    def __init__(self, net, lr, eps):
        self.net = net
        self.eps = eps
        self.opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr, betas=(0.9, 0.999), eps=eps)
        self.lossf = nn.BCEWithLogitsLoss()
        self.t = 0

    def step(self, x, y):
        self.t += 1
        for g in self.opt.param_groups:  # Keras 3's eps placement (see torch_bench.py)
            g["eps"] = self.eps / math.sqrt(1 - 0.999 ** self.t)
        self.opt.zero_grad(set_to_none=True)
        loss = self.lossf(self.net(x), y)
        loss.backward()
        self.opt.step()
        return loss.item()


def budget_count(unit_seconds, budget_seconds, lo, hi):  # = budgetCount in bench/stats.ts
    n = math.floor(budget_seconds / unit_seconds) if unit_seconds > 0 else hi
    return max(lo, min(hi, n))


def predict(net, x, batch):
    net.eval()
    with torch.no_grad():
        out = torch.cat([torch.sigmoid(net(x[s:s + batch])) for s in range(0, x.shape[0], batch)], 0)
    net.train()
    return out


def measure(net, x, y, plan):
    """= measure() in bench/classifyBench.ts."""
    n = x.shape[0]
    B, PB, P = plan["batchSize"], plan["predictBatch"], plan["checkTexts"]
    out = {"checkOutputs": predict(net, x[:P], PB).reshape(-1).tolist()}  # also the warm-up
    t0 = time.perf_counter()
    predict(net, x[:PB], PB)
    t_pb = time.perf_counter() - t0
    count = PB * budget_count(t_pb, plan["predictBudgetSeconds"] / plan["maxRuns"], 1, n // PB)
    runs = budget_count(t_pb * count / PB, plan["predictBudgetSeconds"], 1, plan["maxRuns"])
    ptimes = []
    for _ in range(runs):
        t0 = time.perf_counter()
        predict(net, x[:count], PB)
        ptimes.append(time.perf_counter() - t0)
    out.update(predictTimes=ptimes, predictPerRun=count)

    tr = Trainer(net, plan["learningRate"], plan["epsilon"])
    t0 = time.perf_counter()
    losses = [tr.step(x[0:B], y[0:B])]
    t_first = time.perf_counter() - t0
    if t_first > plan["slowBatchSeconds"]:
        out.update(checkLosses=losses, trainTimes=[t_first], trainLoss=losses[0], note="1 batch incl. warm-up (slow)")
        return out
    t0 = time.perf_counter()
    losses.append(tr.step(x[B:2 * B], y[B:2 * B]))
    t_second = time.perf_counter() - t0
    K = budget_count(t_second, plan["trainBudgetSeconds"], plan["minBatches"], n // B - 2)
    times, total = [], 0.0
    last = time.perf_counter()
    for k in range(2, 2 + K):
        total += tr.step(x[k * B:(k + 1) * B], y[k * B:(k + 1) * B])
        now = time.perf_counter()
        times.append(now - last)
        last = now
    out.update(checkLosses=losses, trainTimes=times, trainLoss=total / K)
    return out


def main():
    manifest_path = sys.argv[1]
    base = os.path.dirname(manifest_path)
    with open(manifest_path) as f:
        manifest = json.load(f)
    threads = manifest["threads"]
    torch.set_num_threads(threads)
    plan, m = manifest["plan"], manifest["model"]
    x = load(base, manifest["x"], torch.long)
    y = load(base, manifest["y"]).reshape(-1, 1)
    weights = {w["name"]: load(base, w) for w in manifest["weights"]}
    results = {}
    for variant in manifest["variants"]:
        print(f"classify: torch {threads}T {variant}", file=sys.stderr, flush=True)
        try:
            torch.manual_seed(0)
            net = Classifier(variant, m["vocab"], m["embeddingDim"], m["units"])
            net.inject(weights)
            results[variant] = measure(net, x, y, plan)
        except Exception as e:  # reported in the row; the other variants still run
            results[variant] = {"error": f"{type(e).__name__}: {e}"}
    json.dump({"version": torch.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0], "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
