#!/usr/bin/python3
"""Fixtures of test/onnxConv.test.ts: small PyTorch 1-D convolution and pooling models
exported with torch.onnx.export (torch 1.13, onnx 1.12) into test/fixtures/onnx-conv/.
The tests compute the expected outputs with onnxruntime-node on the same bytes, so only the
graphs are stored. Inputs are [B, T, F] (batch and time dynamic) unless the name says
'ncw' ([B, C, T] fed straight into the Conv).

Run: /usr/bin/python3 tools/onnx_conv_fixtures.py
"""
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx-conv')
torch.manual_seed(2311)


class CnnLstm(nn.Module):
    """The common CNN-LSTM classifier: Conv1d → BatchNorm1d → ReLU → MaxPool1d → permute → LSTM → Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm1d(8)
        self.pool = nn.MaxPool1d(2)
        self.lstm = nn.LSTM(8, 6, batch_first=True)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        h = self.pool(torch.relu(self.bn(self.conv(x.permute(0, 2, 1)))))
        out, _ = self.lstm(h.permute(0, 2, 1))
        return self.fc(out[:, -1, :])


class Seq(nn.Module):
    """Modules applied to x.transpose(1, 2), the result transposed back to [B, T', F']."""

    def __init__(self, *mods, back=True):
        super().__init__()
        self.body = nn.Sequential(*mods)
        self.back = back

    def forward(self, x):
        y = self.body(x.transpose(1, 2))
        return y.transpose(1, 2) if self.back else y


class GlobalHead(nn.Module):
    """Conv → adaptive pooling to 1 step → flatten → Linear (or the mean / max over time)."""

    def __init__(self, kind):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3)
        self.kind = kind
        self.pool = nn.AdaptiveAvgPool1d(1) if kind == 'avg' else nn.AdaptiveMaxPool1d(1)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        h = torch.relu(self.conv(x.permute(0, 2, 1)))
        if self.kind == 'mean':
            h = h.mean(dim=2)
        elif self.kind == 'max':
            h = h.max(dim=2).values
        elif self.kind == 'avg':
            h = self.pool(h).squeeze(-1)
        else:
            h = torch.flatten(self.pool(h), 1)
        return self.fc(h)


class CnnFlatten(nn.Module):
    """A 1-D CNN classifier on a fixed length: Conv → ReLU → MaxPool → flatten → Linear.
    'view': x.view(x.size(0), -1) (Shape → Gather → Concat → Reshape); else nn.Flatten()."""

    def __init__(self, view):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool1d(2)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(4 * 8, 2)
        self.view = view

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x.permute(0, 2, 1))))
        h = h.view(h.size(0), -1) if self.view else self.flat(h)
        return self.fc(h)


class Ncw(nn.Module):
    """A [B, C, T] graph input straight into the Conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, padding=2, dilation=2)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean(dim=2))


def randomize_bn(m):
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm1d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.3, 0.3)


def export(name, model, shape, opset=13, ncw=False, fixed_time=False):
    model.eval()
    randomize_bn(model)
    x = torch.randn(*shape)
    path = os.path.join(OUT, name + '.onnx')
    axes = {0: 'batch'} if fixed_time else {0: 'batch', 2: 'time'} if ncw else {0: 'batch', 1: 'time'}
    torch.onnx.export(model, x, path, input_names=['x'], output_names=['y'], opset_version=opset,
                      dynamic_axes={'x': axes, 'y': {0: 'batch'}})
    print(name, os.path.getsize(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    export('cnn_lstm', CnnLstm(), (2, 12, 3))
    export('cnn_lstm_op11', CnnLstm(), (2, 12, 3), opset=11)
    # PyTorch's symmetric padding=p with an even kernel: pads [2, 2] for span 4 (no Keras mode).
    export('conv_even_pad', Seq(nn.Conv1d(3, 4, 4, padding=2)), (2, 9, 3))
    # padding='same' does not export in torch 1.13 (aten::_convolution_mode); an odd kernel's
    # symmetric padding=(K-1)/2 is the same thing, read as Conv1D 'same'.
    export('conv_same', Seq(nn.Conv1d(3, 4, 5, padding=2, bias=False)), (2, 9, 3))
    export('conv_dilation_groups', Seq(nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2)), (2, 10, 4))
    export('conv_stride', Seq(nn.Conv1d(3, 5, 3, stride=2, padding=1), nn.Tanh()), (2, 11, 3))
    export('conv_causal', Seq(nn.ConstantPad1d((2, 0), 0.0), nn.Conv1d(3, 4, 3)), (2, 9, 3))
    export('maxpool_pad', Seq(nn.Conv1d(3, 4, 3), nn.MaxPool1d(3, stride=1, padding=1)), (2, 10, 3))
    export('maxpool_stride', Seq(nn.MaxPool1d(3, stride=2)), (2, 11, 3))
    export('avgpool_pad', Seq(nn.AvgPool1d(3, stride=2, padding=1)), (2, 11, 3))
    export('avgpool_exclude_same', Seq(nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)), (2, 9, 3))
    export('maxpool_ceil', Seq(nn.MaxPool1d(2, ceil_mode=True)), (2, 11, 3))
    export('avgpool_exclude_pad', Seq(nn.AvgPool1d(4, stride=2, padding=1, count_include_pad=False)), (2, 11, 3))
    export('convtranspose', Seq(nn.ConvTranspose1d(3, 4, 4, stride=2, padding=1)), (2, 7, 3))
    export('convtranspose_outpad', Seq(nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1)), (2, 7, 3))
    export('convtranspose_groups', Seq(nn.ConvTranspose1d(4, 4, 3, groups=2)), (2, 7, 4))
    export('batchnorm_ncw', Seq(nn.BatchNorm1d(3), nn.ReLU()), (2, 8, 3))
    export('global_mean', GlobalHead('mean'), (2, 9, 3))
    export('global_max', GlobalHead('max'), (2, 9, 3))
    export('adaptive_avg', GlobalHead('avg'), (2, 9, 3))
    export('adaptive_max_flatten', GlobalHead('maxflat'), (2, 9, 3))
    export('ncw_input', Ncw(), (2, 4, 10), ncw=True)
    # Older opsets: Pad and Slice with attributes (opset 9), MaxPool without ceil_mode.
    export('cnn_lstm_op9', CnnLstm(), (2, 12, 3), opset=9)
    export('avgpool_pad_op9', Seq(nn.AvgPool1d(3, stride=2, padding=1)), (2, 11, 3), opset=9)
    export('conv_causal_op9', Seq(nn.ConstantPad1d((2, 0), 0.0), nn.Conv1d(3, 4, 3)), (2, 9, 3), opset=9)
    export('global_max_op17', GlobalHead('max'), (2, 9, 3), opset=17)
    export('cnn_flatten', CnnFlatten(False), (2, 16, 3), fixed_time=True)
    export('cnn_view', CnnFlatten(True), (2, 16, 3), fixed_time=True)


if __name__ == '__main__':
    main()
