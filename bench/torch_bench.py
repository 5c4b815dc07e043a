"""PyTorch contestant of `npm run bench` (bench/torch.ts writes the input, reads the output).

    python3 bench/torch_bench.py MANIFEST.json   -> one JSON object on stdout

The manifest (written by bench/torch.ts into a temporary directory) gives the thread count,
the time budgets and, per workload, the model spec, the data and rnnkit's initial weights
(Keras order and layouts) as raw little-endian float32 files beside it. This script builds
the equivalent nn.Embedding / nn.RNN / nn.LSTM / nn.GRU + nn.Linear (or, for an encoder-decoder
workload, lstm_seq2seq: Seq2Seq below), injects the weights, and measures exactly what the
JavaScript side measures (bench/run.ts, `measure`):

- epoch / batch workloads: the predictions for the first sequences before training and the
  losses of batch 0 (before any update) and batch 1 (after one Adam / RMSprop step) as the check; then
  per-epoch times over 1 warm-up + N epochs (shuffled), or per-batch times over K further
  batches, each from the end of the previous one to the end of its own optimizer step.
- predict: sequences/s of model(x) under torch.no_grad(), batch 64, softmax included.
- sample: characters/s generating one character per stream per step, state carried: batch 1
  (charlm-sample) or `sampleRows` streams as the rows of one batch (charlm-sample-64).

Weight conversion (Keras -> PyTorch): kernels are transposed ([in, gates*H] -> [gates*H, in]);
LSTM gates are i, f, c(g), o in both; GRU gates are z, r, h in Keras and r, z, n in PyTorch,
so the blocks are reordered; Keras GRU resetAfter=true has a [2, 3H] bias (input row, recurrent
row) that maps to bias_ih / bias_hh. Keras LSTM and SimpleRNN have one bias: it goes to bias_ih
and bias_hh is held at zero (requires_grad False), so the model has Keras's parameters exactly.
The encoder-decoder's weights are matched by name (rnnkit's paths: encoder/kernel, ...,
head/bias). Adam: Keras 3 adds eps to the uncorrected sqrt(v), PyTorch to the bias-corrected
one; setting PyTorch's eps to eps / sqrt(1 - beta2^t) before step t makes the updates identical.
RMSprop: Keras 3 (and rnnkit, and tfjs) divide by sqrt(v + eps), PyTorch by sqrt(v) + eps; no
setting of PyTorch's RMSprop makes the two equal (eps is inside the root in one, outside in the
other), so PyTorch runs its own rule with Keras's eps (1e-7), as a PyTorch user would. Where
sqrt(v) >> eps the two agree; for gradients below ~1e-3 Keras's steps are smaller. The check's
batch-1 loss shows the difference (about 1e-4 relative on seq2seq) within the bench's 1e-3, the
way tfjs's Adam eps difference is tolerated on the JavaScript side.
"""

import json
import math
import os
import sys
import time

import torch
from torch import nn


def load(base, ref, dtype=torch.float32):
    with open(os.path.join(base, ref["file"]), "rb") as f:
        buf = bytearray(f.read())
    t = torch.frombuffer(buf, dtype=torch.float32).reshape(ref["shape"]).clone()
    return t.to(dtype)


class Inputs:
    """Several model inputs (the encoder's and the decoder's), indexed and sliced together along
    the sample axis like one tensor."""

    def __init__(self, *tensors):
        self.tensors = tensors
        self.shape = tensors[0].shape

    def __getitem__(self, index):
        return Inputs(*(t[index] for t in self.tensors))


class Net(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        H, I = m["units"], m["I"]
        vocab = m.get("embeddingVocab")
        self.emb = nn.Embedding(vocab, I) if vocab is not None else None
        cell = m["cell"]
        if cell == "gru" and m.get("resetAfter", True) is False:
            raise ValueError("PyTorch's GRU has the resetAfter=true form only")
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "simpleRNN": nn.RNN}[cell]
        self.rnn = rnn(I, H, batch_first=True)
        self.seq = bool(m.get("returnSequences", False))
        self.head = nn.Linear(H, m["classes"] if m["classes"] is not None else 1)

    def forward(self, x, state=None):
        if self.emb is not None:
            x = self.emb(x)
        out, state = self.rnn(x, state)
        h = out if self.seq else out[:, -1]
        return self.head(h), state

    def probs(self, logits):
        return torch.softmax(logits, -1) if self.m["classes"] is not None else torch.sigmoid(logits)


class Seq2Seq(nn.Module):
    """Keras's lstm_seq2seq: the encoder LSTM's final (h, c) start the decoder LSTM (teacher
    forcing: the decoder reads the target sequence one step behind); a Linear head on every
    decoder step. Takes Inputs(encoder one-hot, decoder one-hot)."""

    def __init__(self, m):
        super().__init__()
        self.m = m
        H, d = m["units"], m["decoder"]
        if m["cell"] != "lstm":
            raise ValueError("the encoder-decoder is built for LSTM cells only")
        self.encoder = nn.LSTM(m["I"], H, batch_first=True)
        self.decoder = nn.LSTM(d["I"], H, batch_first=True)
        self.head = nn.Linear(H, m["classes"])

    def forward(self, x, state=None):
        enc, dec = x.tensors
        _, state = self.encoder(enc)
        out, _ = self.decoder(dec, state)
        return self.head(out), None

    def probs(self, logits):
        return torch.softmax(logits, -1)


def inject_rnn(rnn, cell, H, kernel, recurrent, bias):
    """One Keras recurrent layer's weights into an nn.RNN / nn.LSTM / nn.GRU (see the module docstring)."""
    gates = kernel.shape[1] // H
    order = [1, 0, 2] if cell == "gru" else list(range(gates))  # Keras z,r,h -> PyTorch r,z,n

    def reorder(t):  # [gates*H, ...] blocks
        return torch.cat([t[g * H:(g + 1) * H] for g in order], 0)

    rnn.weight_ih_l0.copy_(reorder(kernel.t()))
    rnn.weight_hh_l0.copy_(reorder(recurrent.t()))
    if bias.dim() == 2:  # GRU resetAfter: [input bias, recurrent bias]
        rnn.bias_ih_l0.copy_(reorder(bias[0]))
        rnn.bias_hh_l0.copy_(reorder(bias[1]))
    else:
        rnn.bias_ih_l0.copy_(reorder(bias))
        rnn.bias_hh_l0.zero_()
        rnn.bias_hh_l0.requires_grad_(False)


def inject(net, weights, names):
    m = net.m
    H = m["units"]
    with torch.no_grad():
        if isinstance(net, Seq2Seq):  # by name: encoder/kernel, ..., head/bias
            w = dict(zip(names, weights))
            for layer in ("encoder", "decoder"):
                inject_rnn(getattr(net, layer), "lstm", H, w.pop(f"{layer}/kernel"), w.pop(f"{layer}/recurrent_kernel"), w.pop(f"{layer}/bias"))
            dk, db = w.pop("head/kernel"), w.pop("head/bias")
        else:  # a chain, in Keras order
            w = list(weights)
            if net.emb is not None:
                net.emb.weight.copy_(w.pop(0))
            inject_rnn(net.rnn, m["cell"], H, w.pop(0), w.pop(0), w.pop(0))
            dk, db = w.pop(0), w.pop(0)
        net.head.weight.copy_(dk.t())
        net.head.bias.copy_(db)
    assert not w, f"unused weights: {list(w)}"


class Trainer:
    def __init__(self, net, m):
        self.net = net
        self.m = m
        self.eps = m["epsilon"]
        params = [p for p in net.parameters() if p.requires_grad]
        self.adam = m.get("optimizer", "adam") == "adam"
        if self.adam:
            self.opt = torch.optim.Adam(params, lr=m["learningRate"], betas=(0.9, 0.999), eps=self.eps)
        else:  # Keras 3's defaults; eps placement: see the module docstring
            self.opt = torch.optim.RMSprop(params, lr=m["learningRate"], alpha=0.9, eps=self.eps)
        self.t = 0
        # Categorical cross-entropy on one-hot targets (the encoder-decoder): CrossEntropyLoss with
        # class-probability targets = the mean over batch x steps of -sum(y log p), as Keras's.
        self.lossf = nn.CrossEntropyLoss() if m["classes"] is not None else nn.BCEWithLogitsLoss()

    def loss(self, logits, y):
        if self.m.get("decoder") is not None:
            return self.lossf(logits.reshape(-1, logits.shape[-1]), y.reshape(-1, y.shape[-1]))
        if self.m["classes"] is not None:
            return self.lossf(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        return self.lossf(logits, y)

    def step(self, x, y):
        self.t += 1
        if self.adam:
            for g in self.opt.param_groups:  # Keras 3's eps placement, see the module docstring
                g["eps"] = self.eps / math.sqrt(1 - 0.999 ** self.t)
        self.opt.zero_grad(set_to_none=True)
        logits, _ = self.net(x)
        loss = self.loss(logits, y)
        loss.backward()
        self.opt.step()
        return loss.item()


def budget_count(unit_seconds, budget_seconds, lo, hi):  # = budgetCount in bench/stats.ts
    n = math.floor(budget_seconds / unit_seconds) if unit_seconds > 0 else hi
    return max(lo, min(hi, n))


def predict(net, x, batch):
    net.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            logits, _ = net(x[s:s + batch])
            outs.append(net.probs(logits))
    net.train()
    return torch.cat(outs, 0)


def run_train(job, net, x, y, plan):
    m = job["model"]
    B = m["batchSize"]
    n = x.shape[0]
    tr = Trainer(net, m)
    P = min(plan["checkSeqs"], n)
    out = {"checkOutputs": predict(net, x[:P], 64).reshape(-1).tolist()}
    t0 = time.perf_counter()
    losses = [tr.step(x[0:B], y[0:B])]
    t_first = time.perf_counter() - t0
    if job["mode"] == "batch" and t_first > plan["slowBatchSeconds"]:
        out.update(checkLosses=losses, times=[t_first], loss=losses[0], note="1 batch incl. warm-up (slow)")
        return out
    t0 = time.perf_counter()
    losses.append(tr.step(x[B:2 * B], y[B:2 * B]))
    t_second = time.perf_counter() - t0
    times = []
    if job["mode"] == "batch":
        K = budget_count(t_second, plan["batchBudgetSeconds"], plan["minBatches"], n // B - 2)
        last = time.perf_counter()
        total = 0.0
        for k in range(2, 2 + K):
            total += tr.step(x[k * B:(k + 1) * B], y[k * B:(k + 1) * B])
            now = time.perf_counter()
            times.append(now - last)
            last = now
        loss = total / K
    else:
        g = torch.Generator().manual_seed(job["seed"])
        for e in range(1 + plan["epochs"]):
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=g)
            total = 0.0
            for s in range(0, n, B):
                idx = perm[s:s + B]
                total += tr.step(x[idx], y[idx]) * len(idx)
            times.append(time.perf_counter() - t0)
            loss = total / n
        times = times[1:]  # the first epoch is the warm-up
    out.update(checkLosses=losses, times=times, loss=loss)
    return out


def run_predict(job, net, x, plan):
    n = x.shape[0]
    P = min(plan["checkSeqs"], n)
    t0 = time.perf_counter()
    check = predict(net, x[:P], 64)
    rate = P / (time.perf_counter() - t0)
    count = 64 * budget_count(64 / rate, plan["predictBudgetSeconds"], 1, n // 64)
    runs = budget_count(count / rate, plan["predictBudgetSeconds"], 1, plan["maxRuns"])
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        predict(net, x[:count], 64)
        times.append(time.perf_counter() - t0)
    return {"checkOutputs": check.reshape(-1).tolist(), "times": times, "perRun": count}


def run_sample(job, net, plan):
    """= measure()'s 'sample' branch in bench/run.ts: `rows` streams, every row starting from id 1,
    state carried; step counts budgeted in characters (rows per step)."""
    net.eval()
    V = job["model"]["embeddingVocab"]
    assert V is not None
    rows = job.get("sampleRows", 1)

    def generate(steps, seed):
        g = torch.Generator().manual_seed(seed)
        state = None
        x = torch.ones((rows, 1), dtype=torch.long)
        with torch.no_grad():
            if rows == 1:  # batch 1: exactly what this workload has always timed
                idx = 1
                for _ in range(steps):
                    x[0, 0] = idx
                    logits, state = net(x, state)
                    idx = torch.multinomial(torch.softmax(logits[0, -1], -1), 1, generator=g).item()
            else:
                # PyTorch's natural batched step: one forward over [rows, 1] ids, then one
                # torch.multinomial over the [rows, V] probabilities, one draw per row from that
                # row's distribution (rnnkit and tfjs draw per row with rnnkit's sampleIndex in JS).
                for _ in range(steps):
                    logits, state = net(x, state)
                    x = torch.multinomial(torch.softmax(logits[:, -1], -1), 1, generator=g)  # [rows, 1]

    # The check: step k feeds row r the id 1 + (probeIds[k] - 1 + r) % (V - 1) (probeIds() in run.ts).
    check = []
    with torch.no_grad():
        state = None
        for idx in plan["probeIds"]:
            ids = torch.tensor([[1 + (idx - 1 + r) % (V - 1)] for r in range(rows)], dtype=torch.long)
            logits, state = net(ids, state)
            check.extend(torch.softmax(logits[:, -1], -1).reshape(-1).tolist())
    warm = plan["sampleWarmup"]  # steps
    t0 = time.perf_counter()
    generate(warm, plan["sampleSeed"])
    step_seconds = (time.perf_counter() - t0) / warm
    steps = budget_count(step_seconds, plan["sampleBudgetSeconds"], math.ceil(plan["sampleMin"] / rows), math.ceil(plan["sampleMax"] / rows))
    times = []
    for _ in range(plan["maxRuns"]):
        t0 = time.perf_counter()
        generate(steps, plan["sampleSeed"])
        times.append(time.perf_counter() - t0)
    out = {"checkOutputs": check, "times": times, "perRun": steps * rows}
    if rows > 1:
        out["note"] = f"{rows} streams × {steps} steps"
    return out


def main():
    manifest_path = sys.argv[1]
    base = os.path.dirname(manifest_path)
    with open(manifest_path) as f:
        manifest = json.load(f)
    threads = manifest["threads"]
    torch.set_num_threads(threads)
    plan = manifest["plan"]
    results = {}
    for job in manifest["workloads"]:
        name = job["name"]
        print(f"torch {threads}T: {name}", file=sys.stderr, flush=True)
        try:
            m = job["model"]
            torch.manual_seed(0)
            seq2seq = m.get("decoder") is not None
            net = Seq2Seq(m) if seq2seq else Net(m)
            inject(net, [load(base, w) for w in job["weights"]], [w.get("name") for w in job["weights"]])
            ids = m.get("embeddingVocab") is not None
            x = load(base, job["x"], torch.long if ids else torch.float32)
            if seq2seq:
                x = Inputs(x, load(base, job["decoderX"]))
            sparse = m["classes"] is not None and not seq2seq  # class ids; else 0/1 or one-hot
            y = load(base, job["y"], torch.long if sparse else torch.float32)
            if job["mode"] in ("epoch", "batch"):
                results[name] = run_train(job, net, x, y, plan)
            elif job["mode"] == "predict":
                results[name] = run_predict(job, net, x, plan)
            else:
                results[name] = run_sample(job, net, plan)
        except Exception as e:  # reported in the row, the other workloads still run
            results[name] = {"error": f"{type(e).__name__}: {e}"}
    json.dump({"version": torch.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0], "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
