#!/usr/bin/python3
"""Fixtures of test/onnxPytorch.test.ts: small PyTorch models with the plumbing that published
PyTorch 2.x exports (torch.onnx.export, the TorchScript exporter) put around recurrent layers —
x.view(x.size(0), -1) and x.view(B, k, -1) with the shape computed from the input, slices over
time other than the last step, a CNN branch's pooled features concatenated with a recurrent
state, and the seq2seq decoder that feeds a constant start token and then its own output back
(marhansee/p4's s2s models). torch 1.13 writes the same patterns as PyTorch 2.2 for these.
Written into test/fixtures/onnx-pytorch/; the tests compute the expected outputs with
onnxruntime-node on the same bytes, so only the graphs are stored.

Run: /usr/bin/python3 tools/onnx_pytorch2_fixtures.py
"""
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx-pytorch')
torch.manual_seed(2402)


class Flat(nn.Module):
    """LSTM → a reshape by sizes read from the tensor. Only 'view_b_t_2_neg1' is stored (the
    length read by out.size(1)); the other kinds are forms loadOnnx read before, kept to re-check
    by hand (main() does not export them)."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.fc = nn.Linear(24 if kind != 'view_b_neg_f' else 4, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        B = out.size(0)
        if self.kind == 'view_b_neg1':
            y = out.reshape(B, -1)
        elif self.kind == 'view_b_k_neg1':
            return out.reshape(B, 3, -1)  # [B, 6, 4] → [B, 3, 8]: pairs of steps side by side
        elif self.kind == 'view_b_t_2_neg1':  # the length read from the tensor: x.size(1)
            return out.reshape(B, out.size(1), 2, -1)
        else:  # view(B, -1, F): an identity reshape of a sequence, the time axis open
            y = out.reshape(B, -1, 4)
        return self.fc(y)


class ConvView(nn.Module):
    """x.size(1) read from the input, then a reshape of a Conv1d's output by it: the same length
    here (padding 1 of 3 taps), which loadOnnx does not prove through a convolution."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3, padding=1)

    def forward(self, x):
        B, T = x.size(0), x.size(1)
        return self.conv(x.permute(0, 2, 1)).permute(0, 2, 1).reshape(B, T, 2, -1)


class Slice(nn.Module):
    """LSTM → one step or a run of steps of its sequence → (flatten) → Linear."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.fc = nn.Linear(4 if kind in ('first', 'step2') else 12, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        if self.kind == 'first':
            y = out[:, 0]
        elif self.kind == 'step2':
            y = out[:, 2]
        elif self.kind == 'last3':
            y = out[:, -3:].reshape(out.size(0), -1)
        else:  # first3
            y = out[:, :3].reshape(out.size(0), -1)
        return self.fc(y)


class BiLast(nn.Module):
    """out[:, -1] of a bidirectional GRU: its backward half after one step."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out[:, -1])


class PadConv(nn.Module):
    """marhansee/p4's hybrid classifier in small: Conv1d with padding_mode 'replicate' or
    'reflect' (Pad mode 'edge' / 'reflect'), MaxPool1d, LSTM, Linear on the last step."""

    def __init__(self, mode):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 5, padding=2, padding_mode=mode)
        self.pool = nn.MaxPool1d(2)
        self.lstm = nn.LSTM(4, 5, batch_first=True)
        self.fc = nn.Linear(5, 1)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x.permute(0, 2, 1))))
        out, _ = self.lstm(h.permute(0, 2, 1))
        return self.fc(out[:, -1, :])


class CnnRnnConcat(nn.Module):
    """A Conv1d branch pooled over time, [B, 5], joined with a GRU's h_n[-1], [B, 4]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.gru = nn.GRU(3, 4, batch_first=True)
        self.fc = nn.Linear(9, 2)

    def forward(self, x):
        c = self.pool(torch.relu(self.conv(x.permute(0, 2, 1)))).squeeze(-1)
        _, h = self.gru(x)
        return self.fc(torch.cat([c, h[-1]], dim=1))


class Seq2Seq(nn.Module):
    """marhansee/p4's Seq2SeqLSTM / BiGRUModel in small: an encoder, a learned start token
    expanded over the batch, and a decoder run one step at a time on its own previous output."""

    def __init__(self, cell, bidirectional=False, layers=1, steps=3):
        super().__init__()
        rnn = nn.LSTM if cell == 'lstm' else nn.GRU if cell == 'gru' else (lambda *a, **k: nn.RNN(*a, nonlinearity='relu', **k))
        self.bi = bidirectional
        self.encoder = rnn(3, 4, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.decoder = rnn(2, 8 if bidirectional else 4, num_layers=layers, batch_first=True)
        self.fc_out = nn.Linear(8 if bidirectional else 4, 2)
        self.start_token = nn.Parameter(torch.randn(1, 1, 2))
        self.steps = steps
        self.layers = layers

    def forward(self, x):
        B = x.size(0)
        _, state = self.encoder(x)
        if self.bi:
            h = state.view(self.layers, 2, B, 4)
            state = torch.cat([h[:, 0], h[:, 1]], dim=2)
        inp = self.start_token.expand(B, 1, 2)
        outs = []
        for _ in range(self.steps):
            y, state = self.decoder(inp, state)
            inp = self.fc_out(y)
            outs.append(inp)
        return torch.cat(outs, dim=1)


def export(name, model, shape, fixed_time=True, opset=12):
    model.eval()
    x = torch.randn(*shape)
    path = os.path.join(OUT, name + '.onnx')
    axes = {0: 'batch'} if fixed_time else {0: 'batch', 1: 'time'}
    torch.onnx.export(model, x, path, input_names=['x'], output_names=['y'], opset_version=opset,
                      dynamic_axes={'x': axes, 'y': {0: 'batch'}})
    print(name, os.path.getsize(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    # Forms loadOnnx read before (x.view(B, -1), view(B, k, -1), view(B, -1, F), x[:, -k:] and
    # x[:, :k] on a fixed length, a pooled CNN branch concatenated with h_n[-1]) are not stored.
    export('view_b_t_2_neg1_open', Flat('view_b_t_2_neg1'), (2, 6, 3), fixed_time=False)
    export('conv_view_t_open', ConvView(), (2, 6, 3), fixed_time=False)
    export('slice_first', Slice('first'), (2, 6, 3))
    export('slice_step2', Slice('step2'), (2, 6, 3))
    export('slice_first_open', Slice('first'), (2, 6, 3), fixed_time=False)
    export('bi_last', BiLast(), (2, 6, 3))
    export('s2s_lstm', Seq2Seq('lstm', layers=2), (2, 5, 3))
    export('s2s_bigru', Seq2Seq('gru', bidirectional=True), (2, 5, 3))
    # A relu RNN's state is not bounded: the start token cannot be carried by it (refused).
    export('s2s_relu_rnn', Seq2Seq('relu'), (2, 5, 3))
    export('pad_replicate', PadConv('replicate'), (2, 8, 3))
    export('pad_reflect', PadConv('reflect'), (2, 8, 3))
    export('pad_replicate_open', PadConv('replicate'), (2, 8, 3), fixed_time=False)


if __name__ == '__main__':
    main()
