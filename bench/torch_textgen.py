"""PyTorch contestant of `npm run bench`'s textgen-names workload (bench/textgenBench.ts writes
the input, reads the output).

    python3 bench/torch_textgen.py MANIFEST.json   -> one JSON object on stdout

The manifest gives the thread count, the sizes, the training and held-out lines already encoded
with rnnkit's character vocabulary (the same split the JavaScript side trains and scores on) and
the TextGenerator's initial weights in Keras order and layouts. This script is the names job as
a PyTorch user writes it: nn.Embedding(V, E) -> nn.LSTM(E, H) -> nn.Linear(H, V); each line is
input [EOS, c1..cn] and target [c1..cn, EOS] (src/text/datasets.ts's layout); every epoch the
lines are shuffled and cut into batches of B, each batch padded with id 0 to its own longest
line (not to the longest line of the corpus); the loss is CrossEntropyLoss(ignore_index=0): the
mean over the batch's real targets, which is Keras's masked sparse categorical cross-entropy
(rnnkit's). The optimizer is the TextGenerator's: Adam (Keras's eps placement: eps / sqrt(1 -
beta2^t) before step t, as torch_bench.py) with the gradients clipped to a global norm of 5
(torch.nn.utils.clip_grad_norm_, Keras's global_clipnorm).

Timed: the whole training, from the encoded lines to the last optimizer step (tensors per line,
shuffling, padding included), as the JavaScript side times TextGenerator.fit; also its CPU
seconds (time.process_time, every thread). Not timed: the held-out scoring before and after
training, nats per character = the mean over every held-out target that is not padding (each
character and each line's end) of -log p(target), batches of 256 padded to their longest line
(TextGenerator.evaluate's definition). The score before
training checks that both sides run the same model on the same data (equal within float32).
"""

import json
import math
import os
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from torch_bench import inject_rnn

EOS = 1


class Names(nn.Module):
    def __init__(self, V, E, H):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.rnn = nn.LSTM(E, H, batch_first=True)
        self.head = nn.Linear(H, V)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return self.head(out)


def pairs(lines):
    """Per line: (input [EOS, c1..cn], target [c1..cn, EOS]) as int64 tensors."""
    return [(torch.tensor([EOS] + ids, dtype=torch.long), torch.tensor(ids + [EOS], dtype=torch.long)) for ids in lines]


def batch(ps):
    """The batch padded with 0 to its own longest line."""
    return pad_sequence([p[0] for p in ps], batch_first=True), pad_sequence([p[1] for p in ps], batch_first=True)


def nats_per_char(net, lines, size=256):
    ps = pairs(lines)
    total, count = 0.0, 0
    net.eval()
    with torch.no_grad():
        for s in range(0, len(ps), size):
            x, y = batch(ps[s:s + size])
            logp = torch.log_softmax(net(x), -1).gather(2, y.unsqueeze(2)).squeeze(2)
            real = y != 0
            total -= logp[real].double().sum().item()
            count += int(real.sum().item())
    net.train()
    return total / count, count


def main():
    with open(sys.argv[1]) as f:
        man = json.load(f)
    threads = man["threads"]
    torch.set_num_threads(threads)
    c = man["config"]
    V, E, H, B = man["vocabSize"], c["embeddingDim"], c["units"], c["batchSize"]
    net = Names(V, E, H)
    w = [torch.tensor(x["data"], dtype=torch.float32).reshape(x["shape"]) for x in man["weights"]]
    with torch.no_grad():
        net.emb.weight.copy_(w[0])
        inject_rnn(net.rnn, "lstm", H, w[1], w[2], w[3])
        net.head.weight.copy_(w[4].t())
        net.head.bias.copy_(w[5])
    initial, count = nats_per_char(net, man["test"])

    torch.manual_seed(man["seed"])
    params = [p for p in net.parameters() if p.requires_grad]
    eps = c["epsilon"]
    opt = torch.optim.Adam(params, lr=c["learningRate"], betas=(0.9, 0.999), eps=eps)
    lossf = nn.CrossEntropyLoss(ignore_index=0)
    epochs = man["epochs"]
    epoch_times, epoch_losses = [], []
    t = 0
    cpu0 = time.process_time()
    start = time.perf_counter()
    ps = pairs(man["train"])
    for _ in range(epochs):
        e0 = time.perf_counter()
        order = torch.randperm(len(ps)).tolist()
        total, n = 0.0, 0
        for s in range(0, len(order), B):
            x, y = batch([ps[i] for i in order[s:s + B]])
            t += 1
            for g in opt.param_groups:
                g["eps"] = eps / math.sqrt(1 - 0.999 ** t)
            opt.zero_grad(set_to_none=True)
            logits = net(x)
            loss = lossf(logits.reshape(-1, V), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, c["clipnorm"])
            opt.step()
            total += loss.item()
            n += 1
        epoch_times.append(time.perf_counter() - e0)
        epoch_losses.append(total / n)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu0
    final, _ = nats_per_char(net, man["test"])
    json.dump(
        {
            "version": torch.__version__,
            "threads": threads,
            "seconds": seconds,
            "cpuSeconds": cpu_seconds,
            "epochTimes": epoch_times,
            "epochLosses": epoch_losses,
            "initialNats": initial,
            "finalNats": final,
            "predictions": count,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
