#!/usr/bin/python3
"""ONNX import pattern fixtures: small seeded PyTorch models whose exports use LayerNormalization
(the op at opset 17, its decomposed form before) and attention pooling over time.

    /usr/bin/python3 tools/onnx_pattern_fixtures.py [--print]

Writes test/fixtures/onnx-patterns/<name>.onnx (a few KB each). No outputs are stored:
test/onnxImportPatterns.test.ts runs onnxruntime-node on the same bytes at two batch sizes
and compares loadOnnx + predict with it. The attention modules follow the "LSTM + attention"
classifiers published on GitHub: scores from a Linear (or Linear-Tanh-Linear, or a product
with a parameter vector), a softmax over the time axis, the weighted sum over time as
sum(w * h, dim=1) or bmm(w.unsqueeze(1), h). --print shows each exported graph.
Written for Debian's python3-torch 1.13 and python3-onnx 1.12.
"""
import os
import sys

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-patterns')
SEED = 2027
I, H, C = 3, 4, 2  # input features, hidden units, classes


class LayerNormSeq(nn.Module):
    """LSTM → LayerNorm over the features (per step) → Linear."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(I, H, batch_first=True)
        self.ln = nn.LayerNorm(H, eps=1e-3)
        self.fc = nn.Linear(H, C)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(self.ln(out))


class LayerNormLast(nn.Module):
    """GRU's last step → LayerNorm ([B, H]); without affine parameters (torch 1.13 exports that
    at opset 17 with an empty Scale input, which onnx.checker refuses: opset 11 only)."""

    def __init__(self, affine):
        super().__init__()
        self.rnn = nn.GRU(I, H, batch_first=True)
        self.ln = nn.LayerNorm(H, elementwise_affine=affine)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.ln(out[:, -1, :])


class Attention(nn.Module):
    """LSTM → attention pooling over time → Linear; `kind` picks the published variant."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.rnn = nn.LSTM(I, H, batch_first=kind != 'time_major', bidirectional=kind == 'bi')
        F = 2 * H if kind == 'bi' else H
        self.score = nn.Sequential(nn.Linear(F, 5), nn.Tanh(), nn.Linear(5, 1)) if kind == 'tanh' else nn.Linear(F, 1)
        self.v = nn.Parameter(torch.randn(F))
        self.fc = nn.Linear(F, C)

    def forward(self, x):
        h, _ = self.rnn(x)
        if self.kind in ('sum', 'tanh', 'bi'):
            w = torch.softmax(self.score(h), dim=1)  # [B, T, 1]
            c = torch.sum(w * h, dim=1)
        elif self.kind == 'keepdim':
            w = torch.softmax(self.score(h), dim=1)
            c = torch.sum(h * w, dim=1, keepdim=True).squeeze(1)
        elif self.kind == 'bmm':
            w = torch.softmax(self.score(h).squeeze(-1), dim=1)  # [B, T]
            c = torch.bmm(w.unsqueeze(1), h).squeeze(1)
        elif self.kind == 'time_major':  # h [T, B, H]: the softmax and the sum over axis 0
            w = torch.softmax(self.score(h), dim=0)
            c = torch.sum(w * h, dim=0)
        elif self.kind == 'vec':
            w = torch.softmax(torch.matmul(torch.tanh(h), self.v), dim=1)  # [B, T]
            c = (w.unsqueeze(-1) * h).sum(1)
        return self.fc(c)


MODELS = [
    ('layernorm_op17', LayerNormSeq, 17),
    ('layernorm_op13', LayerNormSeq, 13),
    ('layernorm_last_op17', lambda: LayerNormLast(True), 17),
    ('layernorm_last_op11', lambda: LayerNormLast(False), 11),
    ('attention_sum', lambda: Attention('sum'), 13),
    ('attention_tanh_op11', lambda: Attention('tanh'), 11),
    ('attention_keepdim', lambda: Attention('keepdim'), 13),
    ('attention_bmm', lambda: Attention('bmm'), 13),
    ('attention_vec_op11', lambda: Attention('vec'), 11),
    ('attention_bi', lambda: Attention('bi'), 13),
    ('attention_time_major', lambda: Attention('time_major'), 13),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make, opset in MODELS:
        torch.manual_seed(SEED)
        m = make().eval()
        path = os.path.join(OUT, f'{name}.onnx')
        tm = name.endswith('time_major')  # input [T, B, F]
        torch.onnx.export(m, torch.randn(2, 5, I), path, input_names=['x'], output_names=['y'],
                          dynamic_axes={'x': {1: 'batch', 0: 'time'} if tm else {0: 'batch', 1: 'time'}, 'y': {0: 'batch'}}, opset_version=opset)
        print(name, os.path.getsize(path), 'bytes')
        if '--print' in sys.argv:
            print(onnx.helper.printable_graph(onnx.load(path).graph))


if __name__ == '__main__':
    main()
