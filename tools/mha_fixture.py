#!/usr/bin/python3
"""Builds the MultiHeadAttention fixtures of test/multiHeadAttention.test.ts without Keras
(none is installed):

- test/fixtures/mha-keras.json: layer cases (weights, inputs, masks, outputs, scores)
  computed in float64 numpy from Keras's own einsum equations
  (keras/src/layers/attention/multi_head_attention.py: the 'abc,cde->abde' projections,
  query scaled by 1/sqrt(key_dim), 'aecd,abcd->acbe' scores, masked positions replaced by
  -1e9 before the softmax (keras/src/layers/activations/softmax.py), 'acbe,aecd->abcd'
  context, 'abcd,cde->abe' output). Where PyTorch 1.13 is importable the numpy reference is
  checked against torch.nn.functional.multi_head_attention_forward (float64) on the cases it
  can express (no fully masked rows: torch gives NaN there), and the max |diff| is stored.
- test/fixtures/tfkeras2-mha.h5: a tf.keras 2.13-style full-model .h5 (the writer of
  tools/keras2_h5_fixture.py): Input(4, 3) -> LSTM(4, return_sequences) ->
  MultiHeadAttention(2 heads, key_dim 3)(x, x) -> GlobalAveragePooling1D -> Dense(2); the
  call as tf.keras 2 serializes it ([[lstm, 0, 0, {"value": [lstm, 0, 0]}]]) and the weights
  under 'mha/query/kernel:0', ….
- test/fixtures/keras3-mha.keras: a Keras 3 .keras file (the writer of tools/keras_fixture.py):
  Input(5 ids) -> Embedding(mask_zero) -> MultiHeadAttention(2 heads, key_dim 3, value_dim 2,
  separate key)(x, x, key=x) -> GlobalAveragePooling1D (masked) -> Dense(2), the variables at
  saving_lib's paths ('layers/multi_head_attention/query_dense/vars/0', …: the layer's
  query_dense, key_dense, value_dense and output_dense properties, visited sorted); and
  test/fixtures/keras3.0-mha.keras, the same model as Keras 3.0.0-3.0.2 saved it (before those
  properties: '_query_dense/vars/0', …).
- test/fixtures/keras3-legacy-mha.h5: Keras 3's legacy .h5 writer (model.save('m.h5')): legacy
  layer configs, {args, kwargs} nodes (mha(x, x, use_causal_mask=True)), variable paths as
  weight names ('functional/mha/query/kernel').

Run: /usr/bin/python3 tools/mha_fixture.py  (needs python3-h5py, python3-numpy; torch optional)
"""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import keras2_h5_fixture as k2  # noqa: E402
import keras_fixture as k3  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
rng = np.random.default_rng(1706)


def f32(*shape, lo=-0.6, hi=0.6):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def mha(q, v, k, ws, N, H, mask=None, use_bias=True):
    """Keras's MultiHeadAttention in float64. ws: [Wq, bq, Wk, bk, Wv, bv, Wo, bo] (biases absent without use_bias)."""
    d = [np.asarray(a, dtype=np.float64) for a in ws]
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = d
    else:
        wq, wk, wv, wo = d
        bq = bk = bv = bo = 0.0
    Q = np.einsum('abc,cde->abde', q, wq) + bq
    K = np.einsum('abc,cde->abde', k, wk) + bk
    V = np.einsum('abc,cde->abde', v, wv) + bv
    Q = Q * (1.0 / math.sqrt(float(H)))
    S = np.einsum('aecd,abcd->acbe', K, Q)
    if mask is not None:
        S = np.where(mask[:, None, :, :] > 0, S, -1e9)
    P = np.exp(S - S.max(-1, keepdims=True))
    P = P / P.sum(-1, keepdims=True)
    C = np.einsum('acbe,aecd->abcd', P, V)
    out = np.einsum('abcd,cde->abe', C, wo) + bo
    return out, P


def torch_check(q, v, k, ws, N, H, mask):
    """The same attention through torch.nn.functional.multi_head_attention_forward (needs Dq = N*H = output features)."""
    try:
        import torch
        import torch.nn.functional as F
    except Exception:
        return None
    wq, bq, wk, bk, wv, bv, wo, bo = [torch.tensor(np.asarray(a, dtype=np.float64)) for a in ws]
    E = q.shape[-1]
    assert wq.shape[0] == E and N * H == E and wo.shape[-1] == E
    t = lambda a: torch.tensor(a, dtype=torch.float64).transpose(0, 1)  # [T, B, D]
    attn_mask = None
    if mask is not None:
        # torch: True = not allowed, one [Tq, Tv] per batch*head
        m = torch.tensor(mask == 0).repeat_interleave(N, dim=0)
        attn_mask = m
    out, weights = F.multi_head_attention_forward(
        t(q), t(k), t(v), E, N, None, torch.cat([bq.reshape(-1), bk.reshape(-1), bv.reshape(-1)]), None, None, False, 0.0,
        wo.reshape(-1, E).T, bo, training=False, need_weights=True, attn_mask=attn_mask, use_separate_proj_weight=True,
        q_proj_weight=wq.reshape(E, -1).T, k_proj_weight=wk.reshape(wk.shape[0], -1).T, v_proj_weight=wv.reshape(wv.shape[0], -1).T,
        average_attn_weights=False)
    return out.transpose(0, 1).numpy(), weights.numpy()


def layer_cases():
    cases = []
    # 1: separate key, all feature sizes different, output_shape, no masks.
    B, Tq, Tv, Dq, Dv, Dk, N, H, Hv, O = 2, 3, 4, 5, 3, 4, 2, 3, 2, 6
    ws = [f32(Dq, N, H), f32(N, H), f32(Dk, N, H), f32(N, H), f32(Dv, N, Hv), f32(N, Hv), f32(N, Hv, O), f32(O)]
    q, v, k = f32(B, Tq, Dq, lo=-1, hi=1), f32(B, Tv, Dv, lo=-1, hi=1), f32(B, Tv, Dk, lo=-1, hi=1)
    out, P = mha(q, v, k, ws, N, H)
    cases.append({'what': 'separate key, valueDim, outputShape 6', 'args': {'numHeads': N, 'keyDim': H, 'valueDim': Hv, 'outputShape': O},
                  'shapes': [[Tq, Dq], [Tv, Dv], [Tv, Dk]], 'inputs': [q.ravel().tolist(), v.ravel().tolist(), k.ravel().tolist()],
                  'weights': [a.ravel().tolist() for a in ws], 'masks': None, 'causal': False, 'out': out.ravel().tolist(), 'scores': P.ravel().tolist()})
    # 2: self-attention [x, x], no biases, causal, query/value mask with fully masked query rows (uniform weights).
    B, T, D, N, H = 2, 5, 4, 3, 2
    ws = [f32(D, N, H), f32(D, N, H), f32(D, N, H), f32(N, H, D)]
    x = f32(B, T, D, lo=-1, hi=1)
    m = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=np.float64)
    causal = np.tril(np.ones((T, T)))[None]
    mask = m[:, :, None] * m[:, None, :] * causal
    out, P = mha(x, x, x, ws, N, H, mask, use_bias=False)
    cases.append({'what': 'self-attention, useBias false, causal, query and value masks', 'args': {'numHeads': N, 'keyDim': H, 'useBias': False},
                  'shapes': [[T, D], [T, D]], 'inputs': [x.ravel().tolist(), x.ravel().tolist()], 'weights': [a.ravel().tolist() for a in ws],
                  'masks': [m.ravel().tolist(), m.ravel().tolist()], 'causal': True, 'out': out.ravel().tolist(), 'scores': P.ravel().tolist()})
    # 3: torch's shapes (Dq = Dk = Dv = N*H = output), a value mask and causal; checked against torch.
    B, T, N, H = 2, 4, 2, 3
    E = N * H
    ws = [f32(E, N, H), f32(N, H), f32(E, N, H), f32(N, H), f32(E, N, H), f32(N, H), f32(N, H, E), f32(E)]
    q, v, k = f32(B, T, E, lo=-1, hi=1), f32(B, T, E, lo=-1, hi=1), f32(B, T, E, lo=-1, hi=1)
    vm = np.array([[1, 1, 0, 1], [1, 0, 1, 1]], dtype=np.float64)
    mask = vm[:, None, :] * np.tril(np.ones((T, T)))[None]
    out, P = mha(q, v, k, ws, N, H, mask)
    case = {'what': 'torch-shaped: value mask and causal', 'args': {'numHeads': N, 'keyDim': H},
            'shapes': [[T, E], [T, E], [T, E]], 'inputs': [q.ravel().tolist(), v.ravel().tolist(), k.ravel().tolist()],
            'weights': [a.ravel().tolist() for a in ws], 'masks': [None, vm.ravel().tolist(), None], 'causal': True,
            'out': out.ravel().tolist(), 'scores': P.ravel().tolist()}
    tc = torch_check(q, v, k, ws, N, H, mask)
    if tc is not None:
        case['torchMaxAbsDiff'] = {'out': float(np.abs(tc[0] - out).max()), 'scores': float(np.abs(tc[1] - P).max())}
        assert case['torchMaxAbsDiff']['out'] < 1e-12 and case['torchMaxAbsDiff']['scores'] < 1e-12, case['torchMaxAbsDiff']
        print('numpy reference vs torch (float64):', case['torchMaxAbsDiff'])
    cases.append(case)
    return cases


def tfkeras2_h5():
    T, F, U, N, H = 4, 3, 4, 2, 3
    l1 = [f32(F, 4 * U), f32(U, 4 * U), f32(4 * U)]
    ws = [f32(U, N, H), f32(N, H), f32(U, N, H), f32(N, H), f32(U, N, H), f32(N, H), f32(N, H, U), f32(U)]
    dn = [f32(U, 2), f32(2)]
    inp = {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'x'}, 'name': 'x', 'inbound_nodes': []}
    lstm = k2.k2_rnn('lstm', U, 'LSTM', True, {'return_sequences': True})
    init = lambda cls: {'class_name': cls, 'config': {'seed': None} if cls != 'Zeros' else {}}
    mha_cfg = {'name': 'mha', 'trainable': True, 'dtype': 'float32', 'num_heads': N, 'key_dim': H, 'value_dim': H, 'dropout': 0.0, 'use_bias': True,
               'output_shape': None, 'attention_axes': [1], 'kernel_initializer': init('GlorotUniform'), 'bias_initializer': init('Zeros'),
               'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None,
               'query_shape': [None, T, U], 'key_shape': [None, T, U], 'value_shape': [None, T, U], 'softmax_robust_masking': False}
    pool = {'class_name': 'GlobalAveragePooling1D', 'config': {'name': 'pool', 'trainable': True, 'dtype': 'float32', 'data_format': 'channels_last', 'keepdims': False}}
    dense = k2.k2_dense('dense', 2, 'linear', True)
    lay = lambda e, node: {**e, 'name': e['config']['name'], 'inbound_nodes': [node]}
    config = {'class_name': 'Functional', 'config': {'name': 'model', 'layers': [
        inp,
        lay(lstm, [['x', 0, 0, {}]]),
        # tf.keras 2 Node.serialize: the first argument's tensors carry every other argument as kwargs.
        lay({'class_name': 'MultiHeadAttention', 'config': mha_cfg}, [['lstm', 0, 0, {'value': ['lstm', 0, 0]}]]),
        lay(pool, [['mha', 0, 0, {}]]),
        lay(dense, [['pool', 0, 0, {}]]),
    ], 'input_layers': [['x', 0, 0]], 'output_layers': [['dense', 0, 0]]}}
    names = ['mha/query/kernel:0', 'mha/query/bias:0', 'mha/key/kernel:0', 'mha/key/bias:0', 'mha/value/kernel:0', 'mha/value/bias:0',
             'mha/attention_output/kernel:0', 'mha/attention_output/bias:0']
    layers = [('x', []), ('lstm', list(zip(['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0'], l1))),
              ('mha', list(zip(names, ws))), ('pool', []), ('dense', list(zip(['dense/kernel:0', 'dense/bias:0'], dn)))]
    k2.write_h5(os.path.join(OUT, 'tfkeras2-mha.h5'), config, layers, '2.13.1', top_level=True)
    x = rng.uniform(-1, 1, size=(2, T, F))
    h = k2.lstm(x, l1, U, 'sigmoid', True)
    a, _ = mha(h, h, h, ws, N, H)
    y = k2.dense(a.mean(1), dn, 'linear')
    return {'x': x.tolist(), 'y': y.tolist()}


def keras3_keras(version='3.16.0'):
    """version '3.0.1': Keras 3.0.0-3.0.2 saved the projections under the private attributes ('_query_dense/vars/0'), and its config had no use_gate, sliding_window or seed."""
    old = version.startswith('3.0.')
    T, V, E, N, H, Hv = 5, 7, 4, 2, 3, 2
    emb = f32(V, E)
    ws = [f32(E, N, H), f32(N, H), f32(E, N, H), f32(N, H), f32(E, N, Hv), f32(N, Hv), f32(N, Hv, E), f32(E)]
    dk, db = f32(E, 2), f32(2)

    def tensor(name, shape):
        return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': 'float32', 'keras_history': [name, 0, 0]}}

    init = k3.init
    mha_cfg = {'name': 'multi_head_attention', 'num_heads': N, 'key_dim': H, 'value_dim': Hv, 'dropout': 0.0, 'use_bias': True, 'use_gate': False,
               'output_shape': None, 'attention_axes': None, 'sliding_window': None, 'kernel_initializer': init('GlorotUniform'), 'bias_initializer': init('Zeros', {}),
               'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None, 'seed': None}
    if old:
        for k in ('use_gate', 'sliding_window', 'seed'):
            del mha_cfg[k]
    layers = [
        {**k3.layer('InputLayer', {'batch_shape': [None, T], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'ids'}), 'name': 'ids', 'inbound_nodes': []},
        {**k3.layer('Embedding', {'name': 'embedding', 'input_dim': V, 'output_dim': E, 'embeddings_initializer': init('RandomUniform', {'minval': -0.05, 'maxval': 0.05, 'seed': None}),
                                  'embeddings_regularizer': None, 'activity_regularizer': None, 'embeddings_constraint': None, 'mask_zero': True}, [None, T]),
         'name': 'embedding', 'inbound_nodes': [{'args': [tensor('ids', [None, T])], 'kwargs': {}}]},
        # mha(x, x, key=x): Keras 3 keeps the positional arguments and the keywords apart.
        {**k3.layer('MultiHeadAttention', mha_cfg), 'build_config': {'shapes_dict': {'query_shape': [None, T, E], 'value_shape': [None, T, E], 'key_shape': [None, T, E]}},
         'name': 'multi_head_attention', 'inbound_nodes': [{'args': [tensor('embedding', [None, T, E]), tensor('embedding', [None, T, E])], 'kwargs': {'key': tensor('embedding', [None, T, E])}}]},
        {**k3.layer('GlobalAveragePooling1D', {'name': 'pool', 'data_format': 'channels_last', 'keepdims': False}, [None, T, E]),
         'name': 'pool', 'inbound_nodes': [{'args': [tensor('multi_head_attention', [None, T, E])], 'kwargs': {}}]},
        {**k3.layer('Dense', k3.dense_config('dense', 2, 'linear'), [None, E]), 'name': 'dense', 'inbound_nodes': [{'args': [tensor('pool', [None, E])], 'kwargs': {}}]},
    ]
    layers[0]['config'].pop('trainable')
    layers[0]['config']['dtype'] = 'float32'
    config = k3.model_entry('Functional', {'name': 'functional', 'trainable': True, 'layers': layers,
                                           'input_layers': [['ids', 0, 0]], 'output_layers': [['dense', 0, 0]]})
    groups = [
        ('', 'functional', []),
        ('layers/input_layer', 'ids', []),
        ('layers/embedding', 'embedding', [emb]),
        ('layers/multi_head_attention', 'multi_head_attention', []),
        ('layers/multi_head_attention/%skey_dense' % ('_' if old else ''), 'key', ws[2:4]),
        ('layers/multi_head_attention/%soutput_dense' % ('_' if old else ''), 'attention_output', ws[6:8]),
        ('layers/multi_head_attention/%squery_dense' % ('_' if old else ''), 'query', ws[0:2]),
        ('layers/multi_head_attention/%svalue_dense' % ('_' if old else ''), 'value', ws[4:6]),
        ('layers/multi_head_attention/_dropout_layer', 'dropout', []),
        ('layers/multi_head_attention/_softmax', 'softmax', []),
        ('layers/pool', 'pool', []),
        ('layers/dense', 'dense', [dk, db]),
    ]
    k3.KERAS_VERSION = version
    k3.write_keras(os.path.join(OUT, 'keras3.0-mha.keras' if old else 'keras3-mha.keras'), config, groups)
    ids = np.array([[1, 4, 6, 2, 0], [3, 3, 0, 0, 0], [5, 1, 2, 6, 4]])
    m = (ids != 0).astype(np.float64)
    x = emb.astype(np.float64)[ids]
    a, _ = mha(x, x, x, ws, N, H, m[:, :, None] * m[:, None, :])
    pooled = (a * m[:, :, None]).sum(1) / m.sum(1, keepdims=True)
    y = pooled @ dk.astype(np.float64) + db
    return {'x': ids.tolist(), 'y': y.tolist()}


def keras3_legacy_h5():
    """Keras 3's legacy writer (model.save('m.h5')): layer configs in the legacy form, nodes as
    Keras 3's {args, kwargs} (functional.serialize_node), weight names as variable paths
    ('functional/mha/query/kernel'), str version attributes. Input(4, 3) -> LSTM(4,
    return_sequences) -> MultiHeadAttention(2 heads, key_dim 2, value_dim 3, output_shape 5)(x, x,
    use_causal_mask=True) -> GlobalAveragePooling1D -> Dense(2)."""
    T, F, U, N, H, Hv, O = 4, 3, 4, 2, 2, 3, 5
    l1 = [f32(F, 4 * U), f32(U, 4 * U), f32(4 * U)]
    ws = [f32(U, N, H), f32(N, H), f32(U, N, H), f32(N, H), f32(U, N, Hv), f32(N, Hv), f32(N, Hv, O), f32(O)]
    dn = [f32(O, 2), f32(2)]

    def tensor(name, shape):
        return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': 'float32', 'keras_history': [name, 0, 0]}}

    init = lambda cls: {'class_name': cls, 'config': {'seed': None} if cls != 'Zeros' else {}}
    lstm = k2.k2_rnn('lstm', U, 'LSTM', True, {'return_sequences': True, 'seed': None})
    del lstm['config']['time_major']
    lstm['config']['zero_output_for_mask'] = False
    mha_cfg = {'name': 'mha', 'trainable': True, 'dtype': 'float32', 'num_heads': N, 'key_dim': H, 'value_dim': Hv, 'dropout': 0.0, 'use_bias': True,
               'output_shape': [O], 'attention_axes': [1], 'kernel_initializer': init('GlorotUniform'), 'bias_initializer': init('Zeros'),
               'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None, 'seed': None}
    pool = {'class_name': 'GlobalAveragePooling1D', 'config': {'name': 'pool', 'trainable': True, 'dtype': 'float32', 'data_format': 'channels_last', 'keepdims': False}}
    dense = k2.k2_dense('dense', 2, 'linear', True)
    node = lambda *args, **kwargs: [{'args': list(args), 'kwargs': kwargs}]
    config = {'class_name': 'Functional', 'config': {'name': 'functional', 'trainable': True, 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'name': 'x'}, 'name': 'x', 'inbound_nodes': []},
        {**lstm, 'name': 'lstm', 'inbound_nodes': node(tensor('x', [None, T, F]))},
        {'class_name': 'MultiHeadAttention', 'config': mha_cfg, 'name': 'mha', 'inbound_nodes': node(tensor('lstm', [None, T, U]), tensor('lstm', [None, T, U]), use_causal_mask=True)},
        {**pool, 'name': 'pool', 'inbound_nodes': node(tensor('mha', [None, T, O]))},
        {**dense, 'name': 'dense', 'inbound_nodes': node(tensor('pool', [None, O]))},
    ], 'input_layers': [['x', 0, 0]], 'output_layers': [['dense', 0, 0]]}}
    names = ['functional/mha/%s' % n for n in ['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias']]
    layers = [('x', []), ('lstm', list(zip(['functional/lstm/lstm_cell/kernel', 'functional/lstm/lstm_cell/recurrent_kernel', 'functional/lstm/lstm_cell/bias'], l1))),
              ('mha', list(zip(names, ws))), ('pool', []), ('dense', list(zip(['functional/dense/kernel', 'functional/dense/bias'], dn)))]
    k2.write_h5(os.path.join(OUT, 'keras3-legacy-mha.h5'), config, layers, '3.3.3', keras3=True, top_level=True)
    x = rng.uniform(-1, 1, size=(2, T, F))
    h = k2.lstm(x, l1, U, 'sigmoid', True)
    a, _ = mha(h, h, h, ws, N, H, np.tril(np.ones((T, T)))[None].repeat(2, 0))
    y = k2.dense(a.mean(1), dn, 'linear')
    return {'x': x.tolist(), 'y': y.tolist()}


if __name__ == '__main__':
    fixture = {'layer': layer_cases(), 'tfkeras2-mha.h5': tfkeras2_h5(), 'keras3-mha.keras': keras3_keras(), 'keras3.0-mha.keras': keras3_keras('3.0.1'), 'keras3-legacy-mha.h5': keras3_legacy_h5()}
    with open(os.path.join(OUT, 'mha-keras.json'), 'w') as f:
        json.dump(fixture, f)
