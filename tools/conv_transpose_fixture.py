#!/usr/bin/python3
"""Fixtures of test/convTranspose.test.ts: Conv1DTranspose, ZeroPadding1D, Cropping1D and
UpSampling1D computed independently of rnnkit, in float64 numpy.

Conv1DTranspose follows the path of Keras 3's JAX backend (keras/src/backend/common/
backend_utils.py _convert_conv_tranpose_padding_args_from_keras_to_jax, then
jax.lax.conv_transpose with transpose_kernel=True): the input dilated by the stride, padded
(left_pad, right_pad), correlated with the spatially flipped kernel. rnnkit computes the same
thing another way (TensorFlow's rule: a scatter with floor(max((T-1)s + K - Lout, 0)/2) steps
before), so agreement checks the placement, not just the arithmetic. Where Keras's torch
conversion is exact (no warning), torch.nn.functional.conv_transpose1d is checked against the
numpy result here too.

Also a tf.keras 2.x `.h5` of the model in Keras's "Timeseries anomaly detection using an
Autoencoder" example (Conv1D same/stride 2 relu, Dropout, Conv1D, Conv1DTranspose ×3), and a
Keras 3 legacy `.h5` of a model with ZeroPadding1D, Cropping1D and UpSampling1D, written with
tools/keras2_h5_fixture.py's writer.

Run: /usr/bin/python3 tools/conv_transpose_fixture.py  (needs python3-numpy, python3-h5py;
python3-torch for the cross-check)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from keras2_h5_fixture import write_h5  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
rng = np.random.default_rng(1311)


def f32(*shape, lo=-0.7, hi=0.7):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def jax_pads(K, s, d, padding, op):
    """Keras 3's conversion of its padding arguments to JAX's (left, right) pads."""
    K = (K - 1) * d + 1
    if padding == 'valid':
        op = max(K, s) - K if op is None else op
        return K - 1, K - 1 + op
    pad_len = s + K - 2 if op is None else K + K % 2 - 2 + op
    left = min(pad_len // 2 + pad_len % 2, K - 1)
    return left, pad_len - left


def conv_transpose(x, kernel, bias, s, d, padding, op, act):
    """x [B, T, C], kernel [K, F, C] (Keras's layout) → [B, Lout, F], as jax.lax.conv_transpose."""
    B, T, C = x.shape
    K, F, _ = kernel.shape
    left, right = jax_pads(K, s, d, padding, op)
    n = (T - 1) * s + 1 + left + right
    xp = np.zeros((B, n, C))
    xp[:, left:left + (T - 1) * s + 1:s] = x
    span = (K - 1) * d + 1
    L = n - span + 1
    y = np.zeros((B, L, F))
    for j in range(L):
        for k in range(K):
            # transpose_kernel: taps flipped, in/out channels swapped
            y[:, j] += xp[:, j + k * d] @ kernel[K - 1 - k].T.astype(np.float64)
    if bias is not None:
        y += bias
    return np.maximum(y, 0) if act == 'relu' else y


def torch_check(x, kernel, bias, s, d, padding, op, y):
    """torch's conv_transpose1d with Keras's torch arguments, where Keras says they agree."""
    try:
        import torch
    except ImportError:
        return
    K = (kernel.shape[0] - 1) * d + 1
    if padding == 'valid':
        tp, top = 0, (max(K, s) - K if op is None else op)
    else:
        o = s - K % 2 if op is None else op
        tp = max(-((K % 2 - K + o) // 2), 0)
        top = 2 * tp + K % 2 - K + o
    if tp > 0 and top > 0 or top >= s:
        return  # Keras's torch backend warns or refuses: not a reference there
    w = torch.tensor(kernel.astype(np.float64)).permute(2, 1, 0)  # [C, F, K]
    out = torch.nn.functional.conv_transpose1d(torch.tensor(x).permute(0, 2, 1), w, None if bias is None else torch.tensor(bias.astype(np.float64)),
                                               stride=s, padding=tp, output_padding=top, dilation=d)
    t = out.permute(0, 2, 1).numpy()
    assert t.shape == y.shape and np.abs(t - y).max() < 1e-12, (s, d, padding, op, t.shape, y.shape)


CASES = [
    # (T, C, F, K, strides, dilation, padding, output_padding, activation, bias)
    (5, 2, 3, 3, 1, 1, 'valid', None, 'linear', True),
    (5, 2, 3, 3, 2, 1, 'valid', None, 'linear', True),
    (4, 3, 2, 2, 3, 1, 'valid', None, 'relu', True),   # K < strides: trailing bias-only steps
    (4, 2, 2, 3, 3, 1, 'valid', 2, 'linear', True),
    (5, 2, 3, 3, 1, 2, 'valid', None, 'linear', False),
    (5, 2, 3, 3, 1, 1, 'same', None, 'linear', True),
    (6, 1, 2, 7, 2, 1, 'same', None, 'relu', True),    # the anomaly-detection example's shape
    (4, 2, 3, 4, 2, 1, 'same', None, 'linear', True),
    (4, 2, 3, 4, 2, 1, 'same', 1, 'linear', True),
    (4, 2, 3, 3, 2, 1, 'same', 0, 'linear', True),
    (4, 2, 3, 3, 3, 1, 'same', 2, 'linear', True),
    (5, 3, 2, 1, 1, 1, 'valid', None, 'linear', True),  # pointwise
    (5, 2, 2, 1, 2, 1, 'same', None, 'linear', True),
    (6, 2, 3, 3, 1, 3, 'same', None, 'linear', True),
]


def transpose_cases():
    out = []
    for T, C, F, K, s, d, padding, op, act, use_bias in CASES:
        x = rng.uniform(-1, 1, size=(2, T, C))
        kernel = f32(K, F, C)
        bias = f32(F) if use_bias else None
        y = conv_transpose(x, kernel, bias, s, d, padding, op, act)
        torch_check(x, kernel, bias, s, d, padding, op, y if act == 'linear' else conv_transpose(x, kernel, bias, s, d, padding, op, 'linear'))
        out.append({'args': {'filters': F, 'kernelSize': K, 'strides': s, 'dilationRate': d, 'padding': padding, 'outputPadding': op, 'activation': act, 'useBias': use_bias},
                    'x': x.tolist(), 'kernel': kernel.tolist(), 'bias': None if bias is None else bias.tolist(), 'y': y.tolist()})
    return out


# ---------------------------------------------------------------------------------------
# Model files.

def k2_conv(name, cls, filters, K, s, padding, act, first_shape=None):
    c = {'name': name, 'trainable': True, 'dtype': 'float32'}
    if first_shape is not None:
        c['batch_input_shape'] = [None, *first_shape]
    c.update({'filters': filters, 'kernel_size': [K], 'strides': [s], 'padding': padding, 'data_format': 'channels_last', 'dilation_rate': [1]})
    if cls == 'Conv1D':
        c['groups'] = 1
    c.update({'activation': act, 'use_bias': True,
              'kernel_initializer': {'class_name': 'GlorotUniform', 'config': {'seed': None}},
              'bias_initializer': {'class_name': 'Zeros', 'config': {}},
              'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None})
    if cls == 'Conv1DTranspose':
        c['output_padding'] = None
    return {'class_name': cls, 'config': c}


def conv_same(x, kernel, bias, s, act):
    """Keras Conv1D 'same' (TF padding: floor of half the total before), kernel [K, C, F]."""
    B, T, C = x.shape
    K = kernel.shape[0]
    Tout = -(-T // s)
    pad = max((Tout - 1) * s + K - T, 0)
    xp = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (0, 0)))
    y = np.stack([sum(xp[:, u * s + k] @ kernel[k].astype(np.float64) for k in range(K)) for u in range(Tout)], 1) + bias
    return np.maximum(y, 0) if act == 'relu' else y


def tfkeras_autoencoder():
    """Keras's timeseries anomaly-detection autoencoder (keras.io/examples/timeseries/
    timeseries_anomaly_detection), 12 steps instead of 288, as tf.keras 2.15 saves it."""
    T = 12
    c1, c2 = [f32(7, 1, 4), f32(4)], [f32(7, 4, 3), f32(3)]
    t1, t2, t3 = [f32(7, 3, 3), f32(3)], [f32(7, 4, 3), f32(4)], [f32(7, 1, 4), f32(1)]
    drop = lambda n: {'class_name': 'Dropout', 'config': {'name': n, 'trainable': True, 'dtype': 'float32', 'rate': 0.2, 'noise_shape': None, 'seed': None}}
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, 1], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_1'}},
        k2_conv('conv1d', 'Conv1D', 4, 7, 2, 'same', 'relu', (T, 1)), drop('dropout'),
        k2_conv('conv1d_1', 'Conv1D', 3, 7, 2, 'same', 'relu'),
        k2_conv('conv1d_transpose', 'Conv1DTranspose', 3, 7, 2, 'same', 'relu'), drop('dropout_1'),
        k2_conv('conv1d_transpose_1', 'Conv1DTranspose', 4, 7, 2, 'same', 'relu'),
        k2_conv('conv1d_transpose_2', 'Conv1DTranspose', 1, 7, 1, 'same', 'linear')]}}
    named = lambda n, ws: (n, [(f'{n}/kernel:0', ws[0]), (f'{n}/bias:0', ws[1])])
    layers = [named('conv1d', c1), ('dropout', []), named('conv1d_1', c2), named('conv1d_transpose', t1), ('dropout_1', []),
              named('conv1d_transpose_1', t2), named('conv1d_transpose_2', t3)]
    write_h5(os.path.join(OUT, 'tfkeras2-conv-autoencoder.h5'), config, layers, '2.15.0', top_level=True)
    x = rng.uniform(-1, 1, size=(3, T, 1))
    h = conv_same(conv_same(x, *c1, 2, 'relu'), *c2, 2, 'relu')
    h = conv_transpose(h, t1[0], t1[1], 2, 1, 'same', None, 'relu')
    h = conv_transpose(h, t2[0], t2[1], 2, 1, 'same', None, 'relu')
    y = conv_transpose(h, t3[0], t3[1], 1, 1, 'same', None, 'linear')
    return {'x': x.tolist(), 'y': y.tolist()}


def keras3_resize():
    """Keras 3.x legacy .h5: Conv1D (same) → ZeroPadding1D((1, 2)) → Cropping1D((2, 0)) →
    UpSampling1D(3) → GlobalAveragePooling1D → Dense, Keras 3's configs."""
    T = 5
    c1, d = [f32(3, 2, 3), f32(3)], [f32(3, 2), f32(2)]
    base = lambda n: {'name': n, 'trainable': True, 'dtype': {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}}
    conv = k2_conv('conv1d', 'Conv1D', 3, 3, 1, 'same', 'relu')['config']
    conv.update(base('conv1d'))
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'trainable': True, 'dtype': base('x')['dtype'], 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_shape': [None, T, 2], 'dtype': 'float32', 'sparse': False, 'name': 'input_layer'}},
        {'class_name': 'Conv1D', 'config': conv},
        {'class_name': 'ZeroPadding1D', 'config': {**base('zero_padding1d'), 'padding': [1, 2], 'data_format': 'channels_last'}},
        {'class_name': 'Cropping1D', 'config': {**base('cropping1d'), 'cropping': [2, 0]}},
        {'class_name': 'UpSampling1D', 'config': {**base('up_sampling1d'), 'size': 3}},
        {'class_name': 'GlobalAveragePooling1D', 'config': {**base('global_average_pooling1d'), 'data_format': 'channels_last', 'keepdims': False}},
        {'class_name': 'Dense', 'config': {**base('dense'), 'units': 2, 'activation': 'linear', 'use_bias': True,
                                           'kernel_initializer': {'module': 'keras.initializers', 'class_name': 'GlorotUniform', 'config': {'seed': None}, 'registered_name': None},
                                           'bias_initializer': {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None},
                                           'kernel_regularizer': None, 'bias_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None}}]}}
    layers = [('conv1d', [('sequential/conv1d/kernel', c1[0]), ('sequential/conv1d/bias', c1[1])]), ('zero_padding1d', []), ('cropping1d', []),
              ('up_sampling1d', []), ('global_average_pooling1d', []), ('dense', [('sequential/dense/kernel', d[0]), ('sequential/dense/bias', d[1])])]
    write_h5(os.path.join(OUT, 'keras3-resize1d.h5'), config, layers, '3.6.0', keras3=True)
    x = rng.uniform(-1, 1, size=(2, T, 2))
    h = conv_same(x, *c1, 1, 'relu')
    h = np.pad(h, ((0, 0), (1, 2), (0, 0)))[:, 2:]
    h = np.repeat(h, 3, axis=1).mean(1)
    return {'x': x.tolist(), 'y': (h @ d[0].astype(np.float64) + d[1]).tolist()}


if __name__ == '__main__':
    fixture = {'transpose': transpose_cases(), 'tfkeras2-conv-autoencoder.h5': tfkeras_autoencoder(), 'keras3-resize1d.h5': keras3_resize()}
    with open(os.path.join(OUT, 'conv-transpose.json'), 'w') as f:
        json.dump(fixture, f)
    print('wrote', len(fixture['transpose']), 'Conv1DTranspose cases and 2 .h5 files')
