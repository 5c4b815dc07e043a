#!/usr/bin/python3
"""ONNX import fixtures: small seeded PyTorch models exported by torch.onnx.export.

    /usr/bin/python3 tools/torch_onnx_fixtures.py [--print]

Writes test/fixtures/onnx/<name>.onnx and <name>.json for each model below. The JSON holds
the inputs (at a batch size and length other than the export's: export runs on batch 2,
length 5; the fixture feeds batch 3, length 7, and length 1) and PyTorch's own float32
outputs on them, so test/onnxImport.test.ts compares rnnkit's loadOnnx + predict with the
tool the file came from. Every model is tiny (a few KB) so the outputs can be committed.

Time-major models (batch_first=False) keep their inputs and outputs time-major in the JSON
("layout": "time-major", "outputLayouts"): rnnkit's models are batch-major, so the test
transposes them; h_n / c_n outputs ("state": [layers·directions, B, H]) likewise.

--print shows each exported graph (onnx.helper.printable_graph), which is what the importer's
patterns were read from. Written for Debian's python3-torch 1.13 and python3-onnx 1.12.
"""
import json
import os
import sys

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx')
SEED = 1513
I, H, V, C = 3, 4, 10, 3  # input features, hidden units, vocabulary, classes


class Seq(nn.Module):
    """A recurrent layer's full output sequence through a Linear (per step)."""

    def __init__(self, rnn, out_features):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), out_features)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out)


class Last(nn.Module):
    """The last time step of the output (out[:, -1] or out[-1]), then a Linear."""

    def __init__(self, rnn, out_features, act=None):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size, out_features)
        self.act = act

    def forward(self, x):
        out, _ = self.rnn(x)
        last = out[:, -1, :] if self.rnn.batch_first else out[-1]
        y = self.fc(last)
        return self.act(y) if self.act is not None else y


class FinalStates(nn.Module):
    """Bidirectional: the last layer's two final states concatenated (h_n[-2], h_n[-1])."""

    def __init__(self, rnn, out_features):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(2 * rnn.hidden_size, out_features)

    def forward(self, x):
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return self.fc(torch.cat([h[-2], h[-1]], dim=1))


class States(nn.Module):
    """The sequence and every final state as outputs (LSTM: h_n and c_n)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, state = self.rnn(x)
        if isinstance(state, tuple):
            return out, state[0], state[1]
        return out, state


class TextClassifier(nn.Module):
    """Embedding → LSTM → last step → Linear → softmax: the usual PyTorch text classifier."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5)
        self.rnn = nn.LSTM(5, H, batch_first=True)
        self.fc = nn.Linear(H, C)

    def forward(self, ids):
        out, _ = self.rnn(self.emb(ids))
        return torch.softmax(self.fc(out[:, -1, :]), dim=-1)


class Mlp(nn.Module):
    """Linear + activations on [B, F] (Gemm) and on [B, T, F] (MatMul + Add)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(I, 6)
        self.b = nn.Linear(6, 5)
        self.c = nn.Linear(5, 4)
        self.d = nn.Linear(4, C)

    def forward(self, x):
        y = torch.tanh(self.a(x))
        y = torch.relu(self.b(y))
        y = torch.sigmoid(self.c(y))
        y = nn.functional.elu(y)
        return torch.softmax(self.d(y), dim=-1)


class GeluClip(Mlp):
    """Mlp's layers with GELU (before opset 20 its exact form is Div, Erf, Add, Mul, Mul), ReLU6,
    Hardtanh and a Hardtanh(0, 1.5) (Clip ops, with attributes before opset 11): after Linear
    layers, after a scale, and GELU after a tanh (no Linear to fold into)."""

    def forward(self, x):
        y = nn.functional.gelu(self.a(x))
        y = nn.functional.relu6(self.b(y) * 4)
        y = nn.functional.gelu(torch.tanh(self.c(y)) * 2)
        y = nn.functional.hardtanh(self.d(y) * 3)
        return nn.functional.hardtanh(y * 2, 0.0, 1.5)


class Unsupported(nn.Module):
    """Conv1d and LayerNorm before an LSTM: ops outside the import's subset, to be listed in one error."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(I, H, 2)
        self.norm = nn.LayerNorm(H)
        self.rnn = nn.LSTM(H, H, batch_first=True)

    def forward(self, x):
        y = self.conv(x.transpose(1, 2)).transpose(1, 2)
        out, _ = self.rnn(self.norm(y))
        return out[:, -1, :]


class TimeMajorText(nn.Module):
    """Embedding on time-major ids [T, B] → GRU (batch_first=False) → softmax(fc(h_n[-1]))."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5, padding_idx=0)
        self.rnn = nn.GRU(5, H)
        self.fc = nn.Linear(H, C)

    def forward(self, ids):
        _, h = self.rnn(self.emb(ids))
        return torch.softmax(self.fc(h[-1]), dim=-1)


class LastState(nn.Module):
    """fc(h_n[-1]): the last layer's final state (its backward direction's when bidirectional)."""

    def __init__(self, rnn, fc):
        super().__init__()
        self.rnn = rnn
        self.fc = fc

    def forward(self, x):
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return self.fc(h[-1])


class BiLast(nn.Module):
    """out[:, -1, :] of a bidirectional LSTM: the backward half there has seen one step only,
    which no rnnkit layer returns; loadOnnx must refuse it (and say to use h_n)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(I, H, bidirectional=True, batch_first=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out[:, -1, :]


def models():
    return [
        ('lstm_seq_bf', lambda: Seq(nn.LSTM(I, H, batch_first=True), 2), 'float'),
        ('lstm2_last_tm', lambda: Last(nn.LSTM(I, H, num_layers=2), 2), 'float'),
        ('lstm2_last_bf', lambda: Last(nn.LSTM(I, H, num_layers=2, batch_first=True), 2, nn.Sigmoid()), 'float'),
        ('lstm_bi_seq_bf', lambda: Seq(nn.LSTM(I, H, bidirectional=True, batch_first=True), 2), 'float'),
        ('lstm_bi2_states_tm', lambda: FinalStates(nn.LSTM(I, H, num_layers=2, bidirectional=True), C), 'float'),
        ('lstm_states_bf', lambda: States(nn.LSTM(I, H, batch_first=True)), 'float'),
        ('gru_last_bf', lambda: Last(nn.GRU(I, H, batch_first=True), 2), 'float'),
        ('gru2_bi_seq_tm', lambda: Seq(nn.GRU(I, H, num_layers=2, bidirectional=True), 2), 'float'),
        ('gru_states_tm', lambda: States(nn.GRU(I, H)), 'float'),
        ('rnn_tanh_last_bf', lambda: Last(nn.RNN(I, H, batch_first=True), 2), 'float'),
        ('rnn_relu2_seq_tm', lambda: Seq(nn.RNN(I, H, num_layers=2, nonlinearity='relu'), 2), 'float'),
        ('rnn_bi_states_bf', lambda: FinalStates(nn.RNN(I, H, bidirectional=True, batch_first=True), C), 'float'),
        ('embedding_lstm_classifier', TextClassifier, 'ids'),
        ('linear_activations', Mlp, 'flat'),
        ('linear_activations_seq', Mlp, 'float'),
        # Older opsets and no constant folding: Slice by attributes, out[:, -1:] + Squeeze, the
        # gate reordering computed in the graph from the raw PyTorch weights (Slice/Concat/Transpose).
        ('lstm2_last_bf_opset9_unfolded', lambda: Last(nn.LSTM(I, H, num_layers=2, batch_first=True), 2, nn.Sigmoid()), 'float', 9, False),
        ('gru_bi_seq_tm_opset11_unfolded', lambda: Seq(nn.GRU(I, H, bidirectional=True), 2), 'float', 11, False),
        ('embedding_lstm_classifier_opset9', TextClassifier, 'ids', 9, True),
        ('unsupported_conv_layernorm', Unsupported, 'float', 17, True),
        ('unsupported_bidirectional_last_step', BiLast, 'float', 14, True),
        # bias=False (no B input, Gemm without C) and h_n[-1] of a 2-layer bidirectional RNN.
        ('gru_nobias_hn_bf', lambda: LastState(nn.GRU(I, H, batch_first=True, bias=False), nn.Linear(H, 2, bias=False)), 'float', 15, True),
        ('lstm2_nobias_hn_tm', lambda: LastState(nn.LSTM(I, H, num_layers=2, bias=False), nn.Linear(H, 2)), 'float', 16, True),
        ('rnn_relu_bi2_hn_bf', lambda: LastState(nn.RNN(I, H, batch_first=True, nonlinearity='relu', bidirectional=True, num_layers=2), nn.Linear(H, 2)), 'float', 17, True),
        ('embedding_gru_tm', TimeMajorText, 'ids', 14, True),
        # No dynamic_axes (an export at the example's fixed shape): the zero initial states are
        # a [layers, 1, H] zeros constant Expanded to [layers, B, H], not a ConstantOfShape.
        ('lstm2_last_bf_static', lambda: Last(nn.LSTM(I, H, num_layers=2, batch_first=True), 2), 'float', 14, True, False),
        # GELU's decomposed exact form and Clip (relu6, hardtanh, a ReLU's maxValue), on [B, F] and [B, T, F].
        ('gelu_clip', GeluClip, 'flat', 17, True),
        ('gelu_clip_seq', GeluClip, 'float', 13, True),
        ('gelu_clip_opset9', GeluClip, 'flat', 9, True),
    ]


def inputs_for(kind, time_major, batch, time, gen):
    if kind == 'ids':
        shape = (time, batch) if time_major else (batch, time)
        return torch.randint(0, V, shape, generator=gen)
    if kind == 'flat':
        return torch.randn(batch, I, generator=gen)
    shape = (time, batch, I) if time_major else (batch, time, I)
    return torch.randn(*shape, generator=gen)


def as_list(out):
    return list(out) if isinstance(out, tuple) else [out]


def main(show):
    os.makedirs(OUT, exist_ok=True)
    opsets = [14, 15, 16, 17]
    for k, (name, make, kind, *export_as) in enumerate(models()):
        torch.manual_seed(SEED + k)
        model = make().eval()
        rnn = getattr(model, 'rnn', None)
        time_major = rnn is not None and not rnn.batch_first and kind != 'flat'
        gen = torch.Generator().manual_seed(SEED + 100 + k)
        example = inputs_for(kind, time_major, 2, 5, gen)
        n_out = len(as_list(model(example)))
        out_names = [f'out{i}' for i in range(n_out)]
        if kind == 'flat':
            axes = {'x': {0: 'batch'}}
        elif time_major:
            axes = {'x': {0: 'time', 1: 'batch'}}
        else:
            axes = {'x': {0: 'batch', 1: 'time'}}
        for o in out_names:
            axes[o] = {0: 'd0', 1: 'd1'} if kind != 'flat' else {0: 'batch'}
        path = os.path.join(OUT, f'{name}.onnx')
        opset, fold, dynamic = (export_as + [True])[:3] if export_as else (opsets[k % len(opsets)], True, True)
        torch.onnx.export(model, (example,), path, input_names=['x'], output_names=out_names,
                          dynamic_axes=axes if dynamic else None, opset_version=opset, do_constant_folding=fold)
        onnx.checker.check_model(onnx.load(path))
        if show:
            print(f'==== {name} (opset {opset})')
            print(onnx.helper.printable_graph(onnx.load(path).graph))
        if name.startswith('unsupported'):
            # Only the file: the test checks that loadOnnx lists its ops in one error.
            print(f'{name}: opset {opset}, {os.path.getsize(path)} bytes', file=sys.stderr)
            continue
        cases = []
        # A static export keeps the example's length (rnnkit frees only the batch axis).
        for batch, time in [(3, 7), (1, 1)] if dynamic else [(3, 5), (1, 5)]:
            x = inputs_for(kind, time_major, batch, time, gen)
            with torch.no_grad():
                outs = as_list(model(x))
            cases.append({
                'input': {'dims': list(x.shape), 'data': x.flatten().tolist()},
                'outputs': [{'dims': list(o.shape), 'data': o.flatten().tolist()} for o in outs],
            })
        # How each output is laid out: 'batch' (batch axis first), 'time-major' ([T, B, F]) or
        # 'state' ([layers·directions, B, H], PyTorch's h_n / c_n).
        seq_layout = 'time-major' if time_major else 'batch'
        if isinstance(model, States):
            layouts = [seq_layout] + ['state'] * (n_out - 1)
        elif isinstance(model, Seq):
            layouts = [seq_layout]
        else:
            layouts = ['batch']
        meta = {
            'name': name,
            'outputLayouts': layouts,
            'opset': opset,
            'constantFolding': fold,
            'torch': torch.__version__,
            'input': 'ids' if kind == 'ids' else 'float',
            'layout': 'time-major' if time_major else 'batch-major',
            'cases': cases,
        }
        with open(os.path.join(OUT, f'{name}.json.tmp'), 'w') as f:
            json.dump(meta, f, separators=(',', ':'))
        os.replace(os.path.join(OUT, f'{name}.json.tmp'), os.path.join(OUT, f'{name}.json'))
        print(f'{name}: opset {opset}, {os.path.getsize(path)} bytes', file=sys.stderr)


if __name__ == '__main__':
    main('--print' in sys.argv)
