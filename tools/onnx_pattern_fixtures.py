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

Two more are written with onnx.helper, mirroring what tf2onnx (its sources: rewriter/
layer_normalization_rewriter.py, onnx_opset/math.py) writes for a Keras LayerNormalization on a
[B, T, F] sequence, as no TensorFlow is installed here: tf2onnx_layernorm_moments (the
tf.nn.moments + tf.nn.batch_normalization path Keras takes for epsilon < 1.001e-5, converted op by
op: SquaredDifference as Sub and Mul, Rsqrt as Sqrt and Reciprocal) and
tf2onnx_layernorm_instancenorm (tf2onnx's rewrite of the mean / rsqrt pattern: an
InstanceNormalization with ConstantOfShape ones and zeros, then Mul γ, Add β).
Written for Debian's python3-torch 1.13 and python3-onnx 1.12.
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
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


def tf2onnx_layernorm(form):
    """x [B, T, 3] · W [3, 4] (a Keras Dense), then a layer normalization in tf2onnx's `form`."""
    rng = np.random.default_rng(SEED)
    f32 = lambda *shape: rng.uniform(-0.8, 0.8, shape).astype(np.float32)
    inits = [numpy_helper.from_array(f32(3, 4), 'dense/kernel'), numpy_helper.from_array(f32(4), 'ln/gamma'),
             numpy_helper.from_array(f32(4), 'ln/beta')]
    n = helper.make_node
    nodes = [n('MatMul', ['x', 'dense/kernel'], ['h'], name='dense/Tensordot/MatMul')]
    if form == 'moments':
        inits.append(numpy_helper.from_array(np.array(1e-6, np.float32), 'ln/eps'))
        nodes += [
            n('ReduceMean', ['h'], ['mean'], axes=[2], keepdims=1, name='ln/moments/mean'),
            n('Sub', ['h', 'mean'], ['diff'], name='ln/moments/SquaredDifference'),
            n('Mul', ['diff', 'diff'], ['sqdiff'], name='ln/moments/SquaredDifference__1'),
            n('ReduceMean', ['sqdiff'], ['var'], axes=[2], keepdims=1, name='ln/moments/variance'),
            n('Add', ['var', 'ln/eps'], ['ve'], name='ln/batchnorm/add'),
            n('Sqrt', ['ve'], ['sd'], name='ln/batchnorm/Rsqrt'),
            n('Reciprocal', ['sd'], ['inv'], name='ln/batchnorm/Rsqrt__2'),
            n('Mul', ['inv', 'ln/gamma'], ['invg'], name='ln/batchnorm/mul'),
            n('Mul', ['h', 'invg'], ['xs'], name='ln/batchnorm/mul_1'),
            n('Mul', ['mean', 'invg'], ['ms'], name='ln/batchnorm/mul_2'),
            n('Sub', ['ln/beta', 'ms'], ['shift'], name='ln/batchnorm/sub'),
            n('Add', ['xs', 'shift'], ['y'], name='ln/batchnorm/add_1'),
        ]
    else:
        inits += [numpy_helper.from_array(np.array([v], np.int64), k) for k, v in (('one', 1), ('two', 2), ('zero', 0))]
        value = lambda v: helper.make_tensor('value', TensorProto.FLOAT, [1], [v])
        nodes += [
            n('Shape', ['h'], ['shape'], name='Shape__3'),
            n('Slice', ['shape', 'one', 'two', 'zero'], ['channels'], name='Slice__4'),
            n('ConstantOfShape', ['channels'], ['ones'], value=value(1.0), name='ConstantOfShape__5'),
            n('ConstantOfShape', ['channels'], ['zeros'], value=value(0.0), name='ConstantOfShape__6'),
            n('InstanceNormalization', ['h', 'ones', 'zeros'], ['norm'], epsilon=1e-3, name='ln/InstanceNormalization'),
            n('Mul', ['norm', 'ln/gamma'], ['scaled'], name='ln/Mul'),
            n('Add', ['scaled', 'ln/beta'], ['y'], name='ln/Add'),
        ]
    g = helper.make_graph(nodes, 'tf2onnx', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['unk__1', 'unk__2', 3])],
                          [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['unk__3', 'unk__4', 4])], inits)
    m = helper.make_model(g, producer_name='onnx_pattern_fixtures (tf2onnx form)', opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    for form in ('moments', 'instancenorm'):
        path = os.path.join(OUT, f'tf2onnx_layernorm_{form}.onnx')
        onnx.save(tf2onnx_layernorm(form), path)
        print(f'tf2onnx_layernorm_{form}', os.path.getsize(path), 'bytes')
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
