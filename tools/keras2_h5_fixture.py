#!/usr/bin/python3
"""Builds the Keras 1/2/3 `.h5` full-model fixtures of test/kerasH5.test.ts without Keras (none
is installed): numpy weights, a model_config written as the Keras of each file wrote it,
and the HDF5 layout of the writers, read in their source:

- Keras 2.0-2.2 (keras/engine/saving.py save_model) and tf.keras 2.x
  (tf_keras/saving/legacy/hdf5_format.py save_model_to_hdf5): root attributes
  `keras_version`, `backend` (bytes), `model_config` (json.dumps({class_name, config})
  encoded as bytes), `training_config` when compiled; the group `model_weights` with
  attributes `layer_names` (every layer of model.layers, bytes), `backend`,
  `keras_version`, and per layer (created sorted by name) a group whose attribute
  `weight_names` lists its weights' variable names (`lstm_1/kernel:0`,
  `lstm/lstm_cell/kernel:0`, …) in the order trainable_weights + non_trainable_weights
  (_legacy_weights); each weight a dataset at that name inside the layer's group (the
  slashes make subgroups). tf.keras adds an empty `top_level_model_weights` group.
- Keras 1.2.2 (keras/models.py save_model, engine/topology.py save_weights_to_hdf5_group):
  root `keras_version` and `model_config` only (no backend), `model_weights` with only
  `layer_names`, groups in model.layers order, weights named `lstm_1_W_i:0` (per gate, in
  the order i, c, f, o for LSTM and z, r, h for GRU unless consume_less='gpu' concatenated
  them), configs in Keras 1's options (output_dim, init, inner_activation, consume_less, …).
- tf.keras model.save_weights('w.h5') (save_weights_to_hdf5_group on the file's root): the
  model_weights layout at the root, without model_config.
- Keras 3's legacy writer (keras/src/legacy/saving/legacy_h5_format.py): the same, but
  `keras_version` and `backend` are str attributes (h5py: variable-length strings), the
  weight names are variable paths without ':0' (`sequential/lstm/lstm_cell/kernel`), and
  the config is Keras 3's get_config under use_legacy_config (InputLayer `batch_shape`).

The expected outputs are computed here in float64 numpy from the equations of each Keras
(LSTM gates i,f,c,o; GRU z,r,h, reset_after false: reset before the recurrent product,
true: after it with a second bias row; Keras 2's hard_sigmoid clip(0.2x + 0.5), Keras 3's
clip(x/6 + 0.5)), independently of rnnkit.

Run: /usr/bin/python3 tools/keras2_h5_fixture.py  (needs python3-h5py, python3-numpy)
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
rng = np.random.default_rng(2015)


# ---------------------------------------------------------------------------------------
# Configs, as each Keras's get_config wrote them.

def k2_init(cls, config=None):
    return {'class_name': cls, 'config': config if config is not None else {'seed': None}}


def k2_rnn(name, units, cls, tf, extra):
    """A Keras 2.2 (tf=False) or tf.keras 2.x (tf=True) recurrent layer config."""
    c = {'name': name, 'trainable': True}
    if tf:
        c['dtype'] = 'float32'
    c.update({'return_sequences': False, 'return_state': False, 'go_backwards': False, 'stateful': False, 'unroll': False})
    if tf:
        c['time_major'] = False
    c.update({'units': units, 'activation': 'tanh'})
    if cls != 'SimpleRNN':
        c['recurrent_activation'] = 'sigmoid' if tf else 'hard_sigmoid'
    c.update({
        'use_bias': True,
        'kernel_initializer': k2_init('GlorotUniform') if tf else k2_init('VarianceScaling', {'scale': 1.0, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': None}),
        'recurrent_initializer': k2_init('Orthogonal', {'gain': 1.0, 'seed': None}),
        'bias_initializer': k2_init('Zeros', {}),
    })
    if cls == 'LSTM':
        c['unit_forget_bias'] = True
    c.update({'kernel_regularizer': None, 'recurrent_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
              'kernel_constraint': None, 'recurrent_constraint': None, 'bias_constraint': None, 'dropout': 0.0, 'recurrent_dropout': 0.0})
    if cls != 'SimpleRNN':
        c['implementation'] = 2 if tf else 1
    c.update(extra)
    return {'class_name': cls, 'config': c}


def k2_dense(name, units, activation, tf, extra=None):
    c = {'name': name, 'trainable': True}
    if tf:
        c['dtype'] = 'float32'
    c.update({'units': units, 'activation': activation, 'use_bias': True,
              'kernel_initializer': k2_init('GlorotUniform') if tf else k2_init('VarianceScaling', {'scale': 1.0, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': None}),
              'bias_initializer': k2_init('Zeros', {}), 'kernel_regularizer': None, 'bias_regularizer': None,
              'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None})
    c.update(extra or {})
    return {'class_name': 'Dense', 'config': c}


def k2_embedding(name, input_dim, output_dim, length, tf):
    c = {'name': name, 'trainable': True, 'batch_input_shape': [None, length], 'dtype': 'float32',
         'input_dim': input_dim, 'output_dim': output_dim,
         'embeddings_initializer': k2_init('RandomUniform', {'minval': -0.05, 'maxval': 0.05, 'seed': None}),
         'embeddings_regularizer': None, 'activity_regularizer': None, 'embeddings_constraint': None,
         'mask_zero': False, 'input_length': length}
    return {'class_name': 'Embedding', 'config': c}


# ---------------------------------------------------------------------------------------
# The forward pass, float64.

def w(*shape):
    return rng.uniform(-0.6, 0.6, size=shape).astype(np.float32)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


ACT = {
    'tanh': np.tanh,
    'sigmoid': sigmoid,
    'relu': lambda z: np.maximum(z, 0),
    'linear': lambda z: z,
    'hard_sigmoid_k2': lambda z: np.clip(0.2 * z + 0.5, 0, 1),
    'hard_sigmoid_k3': lambda z: np.clip(z / 6 + 0.5, 0, 1),
    'softmax': lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True),
}


def run(x, step, state, return_sequences):
    outs = []
    for t in range(x.shape[1]):
        y, state = step(x[:, t], state)
        outs.append(y)
    return np.stack(outs, 1) if return_sequences else outs[-1]


def lstm(x, ws, units, rec, return_sequences=False):
    k, rk, b = (a.astype(np.float64) for a in ws)
    ra = ACT[rec]

    def step(xt, s):
        h, c = s
        z = xt @ k + h @ rk + b
        i, f, g, o = (z[:, j * units:(j + 1) * units] for j in range(4))
        c = ra(f) * c + ra(i) * np.tanh(g)
        h = ra(o) * np.tanh(c)
        return h, (h, c)
    zero = np.zeros((x.shape[0], units))
    return run(x, step, (zero, zero), return_sequences)


def gru(x, ws, units, rec, reset_after, return_sequences=False):
    k, rk, b = (a.astype(np.float64) for a in ws)
    ra = ACT[rec]

    def step(xt, h):
        if reset_after:
            mx = xt @ k + b[0]
            mh = h @ rk + b[1]
            z = ra(mx[:, :units] + mh[:, :units])
            r = ra(mx[:, units:2 * units] + mh[:, units:2 * units])
            hh = np.tanh(mx[:, 2 * units:] + r * mh[:, 2 * units:])
        else:
            mx = xt @ k + b
            z = ra(mx[:, :units] + h @ rk[:, :units])
            r = ra(mx[:, units:2 * units] + h @ rk[:, units:2 * units])
            hh = np.tanh(mx[:, 2 * units:] + (r * h) @ rk[:, 2 * units:])
        h = z * h + (1 - z) * hh
        return h, h
    return run(x, step, np.zeros((x.shape[0], units)), return_sequences)


def simple_rnn(x, ws, units, return_sequences=False):
    k, rk, b = (a.astype(np.float64) for a in ws)

    def step(xt, h):
        h = np.tanh(xt @ k + h @ rk + b)
        return h, h
    return run(x, step, np.zeros((x.shape[0], units)), return_sequences)


def dense(x, ws, activation):
    k, b = (a.astype(np.float64) for a in ws)
    return ACT[activation](x @ k + b)


# ---------------------------------------------------------------------------------------
# The writers.

def save_attributes(g, name, data, limit):
    """save_attributes_to_hdf5_group: split into name0, name1, … while a part is over `limit` bytes."""
    data_npy = np.asarray(data)
    num_chunks = 1
    chunked = np.array_split(data_npy, num_chunks)
    while any(x.nbytes > limit for x in chunked):
        num_chunks += 1
        chunked = np.array_split(data_npy, num_chunks)
    if num_chunks > 1:
        for i, chunk in enumerate(chunked):
            g.attrs['%s%d' % (name, i)] = chunk
    else:
        g.attrs[name] = data


def weights_group(g, layers, keras_version, backend, top_level, keras1=False, limit=None):
    """save_weights_to_hdf5_group: layers is [(name, [(weight name, array)])] in model.layers order.
    `limit` (for layer_names, for weight_names) lowers HDF5_OBJECT_HEADER_LIMIT (64512) so
    that the names are split as a model with thousands of layers would have them."""
    if limit is not None:
        save_attributes(g, 'layer_names', [n.encode('utf8') for n, _ in layers], limit[0])
    else:
        g.attrs['layer_names'] = [n.encode('utf8') for n, _ in layers]
    if not keras1:
        # Bytes in every writer (Keras 3's root attributes are str, these are not); Keras 1.2
        # wrote neither here, and created the groups in model.layers order.
        g.attrs['backend'] = backend.encode('utf8')
        g.attrs['keras_version'] = keras_version.encode('utf8')
    for name, ws in (layers if keras1 else sorted(layers, key=lambda e: e[0])):
        lg = g.create_group(name)
        if limit is not None:
            save_attributes(lg, 'weight_names', [n.encode('utf8') for n, _ in ws], limit[1])
        else:
            lg.attrs['weight_names'] = np.array([n.encode('utf8') for n, _ in ws], dtype=bytes) if ws else np.array([], dtype='S1')
        for n, v in ws:
            d = lg.create_dataset(n.encode('utf8'), v.shape, dtype=v.dtype)
            d[()] = v
    if top_level:
        tg = g.create_group('top_level_model_weights')
        tg.attrs['weight_names'] = np.array([], dtype='S1')


def write_h5(path, model_config, layers, keras_version, backend='tensorflow', keras3=False, top_level=False, training_config=None, keras1=False):
    with h5py.File(path, 'w') as f:
        if keras1:
            # Keras 1.2.2 keras/models.py save_model: no backend attribute.
            f.attrs['keras_version'] = keras_version.encode('utf8')
        elif keras3:
            # model_metadata: str values stored as they are, dicts as json bytes.
            f.attrs['keras_version'] = keras_version
            f.attrs['backend'] = backend
        else:
            f.attrs['keras_version'] = keras_version.encode('utf8')
            f.attrs['backend'] = backend.encode('utf8')
        f.attrs['model_config'] = json.dumps(model_config).encode('utf8')
        if training_config is not None:
            f.attrs['training_config'] = json.dumps(training_config).encode('utf8')
        weights_group(f.create_group('model_weights'), layers, keras_version, backend, top_level, keras1)
        if training_config is not None:
            og = f.create_group('optimizer_weights')
            og.attrs['weight_names'] = [b'Adam/iterations:0']
            og.create_dataset(b'Adam/iterations:0', (), dtype='int64')[()] = 3


# ---------------------------------------------------------------------------------------
# The models.

def keras22_sequential():
    """Keras 2.2.4: Embedding → LSTM (seq) → Bidirectional(GRU reset_after=False, seq) →
    TimeDistributed(Dense relu) → SimpleRNN → Dense sigmoid; hard_sigmoid recurrences."""
    T, V, E = 6, 10, 4
    emb = w(V, E)
    l1 = [w(E, 20), w(5, 20), w(20)]
    gf = [w(5, 9), w(3, 9), w(9)]
    gb = [w(5, 9), w(3, 9), w(9)]
    td = [w(6, 4), w(4)]
    sr = [w(4, 3), w(3, 3), w(3)]
    d = [w(3, 1), w(1)]
    gru_cfg = k2_rnn('gru_1', 3, 'GRU', False, {'return_sequences': True, 'reset_after': False})
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential_1', 'layers': [
        k2_embedding('embedding_1', V, E, T, False),
        k2_rnn('lstm_1', 5, 'LSTM', False, {'return_sequences': True}),
        {'class_name': 'Bidirectional', 'config': {'name': 'bidirectional_1', 'trainable': True, 'layer': gru_cfg, 'merge_mode': 'concat'}},
        {'class_name': 'TimeDistributed', 'config': {'name': 'time_distributed_1', 'trainable': True, 'layer': k2_dense('dense_1', 4, 'relu', False)}},
        k2_rnn('simple_rnn_1', 3, 'SimpleRNN', False, {}),
        k2_dense('dense_2', 1, 'sigmoid', False),
    ]}}
    layers = [
        ('embedding_1', [('embedding_1/embeddings:0', emb)]),
        ('lstm_1', list(zip(['lstm_1/kernel:0', 'lstm_1/recurrent_kernel:0', 'lstm_1/bias:0'], l1))),
        ('bidirectional_1', list(zip(['bidirectional_1/forward_gru_1/kernel:0', 'bidirectional_1/forward_gru_1/recurrent_kernel:0', 'bidirectional_1/forward_gru_1/bias:0',
                                      'bidirectional_1/backward_gru_1/kernel:0', 'bidirectional_1/backward_gru_1/recurrent_kernel:0', 'bidirectional_1/backward_gru_1/bias:0'], gf + gb))),
        ('time_distributed_1', list(zip(['time_distributed_1/kernel:0', 'time_distributed_1/bias:0'], td))),
        ('simple_rnn_1', list(zip(['simple_rnn_1/kernel:0', 'simple_rnn_1/recurrent_kernel:0', 'simple_rnn_1/bias:0'], sr))),
        ('dense_2', list(zip(['dense_2/kernel:0', 'dense_2/bias:0'], d))),
    ]
    training = {'optimizer_config': {'class_name': 'Adam', 'config': {'lr': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'decay': 0.0, 'epsilon': 1e-07, 'amsgrad': False}},
                'loss': 'binary_crossentropy', 'metrics': ['accuracy'], 'sample_weight_mode': None, 'loss_weights': None}
    write_h5(os.path.join(OUT, 'keras2-sequential.h5'), config, layers, '2.2.4', training_config=training)
    ids = rng.integers(0, V, size=(3, T))
    x = emb.astype(np.float64)[ids]
    h = lstm(x, l1, 5, 'hard_sigmoid_k2', True)
    f = gru(h, gf, 3, 'hard_sigmoid_k2', False, True)
    b = gru(h[:, ::-1], gb, 3, 'hard_sigmoid_k2', False, True)[:, ::-1]
    h = np.concatenate([f, b], -1)
    h = dense(h, td, 'relu')
    h = simple_rnn(h, sr, 3)
    y = dense(h, d, 'sigmoid')
    return {'x': ids.tolist(), 'y': y.tolist()}


def keras20_bare_list():
    """Keras 2.0.8: the Sequential config a bare list of layers, GRU written before reset_after existed."""
    T = 4
    g = [w(2, 6), w(2, 6), w(6)]
    d = [w(2, 3), w(3)]
    gru_cfg = k2_rnn('gru_1', 2, 'GRU', False, {'batch_input_shape': [None, T, 2], 'dtype': 'float32'})
    config = {'class_name': 'Sequential', 'config': [gru_cfg, k2_dense('dense_1', 3, 'softmax', False)]}
    layers = [('gru_1', list(zip(['gru_1/kernel:0', 'gru_1/recurrent_kernel:0', 'gru_1/bias:0'], g))),
              ('dense_1', list(zip(['dense_1/kernel:0', 'dense_1/bias:0'], d)))]
    write_h5(os.path.join(OUT, 'keras2.0-bare-list.h5'), config, layers, '2.0.8', backend='theano')
    x = rng.uniform(-1, 1, size=(2, T, 2))
    y = dense(gru(x, g, 2, 'hard_sigmoid_k2', False), d, 'softmax')
    return {'x': x.tolist(), 'y': y.tolist()}


def tfkeras_sequential():
    """tf.keras 2.9: InputLayer, cell-scoped weight names, GRU reset_after=True (bias (2, 3u)), sigmoid recurrences."""
    T = 5
    l1 = [w(2, 16), w(4, 16), w(16)]
    g = [w(4, 9), w(3, 9), w(2, 9)]
    d = [w(3, 2), w(2)]
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, 2], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'lstm_input'}},
        k2_rnn('lstm', 4, 'LSTM', True, {'return_sequences': True}),
        k2_rnn('gru', 3, 'GRU', True, {'reset_after': True}),
        k2_dense('dense', 2, 'linear', True),
    ]}}
    layers = [('lstm', list(zip(['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0'], l1))),
              ('gru', list(zip(['gru/gru_cell/kernel:0', 'gru/gru_cell/recurrent_kernel:0', 'gru/gru_cell/bias:0'], g))),
              ('dense', list(zip(['dense/kernel:0', 'dense/bias:0'], d)))]
    write_h5(os.path.join(OUT, 'tfkeras2-sequential.h5'), config, layers, '2.9.0', top_level=True)
    # model.save_weights('w.h5'): the same layer groups at the root, no model_config.
    with h5py.File(os.path.join(OUT, 'tfkeras2-sequential.weights.h5'), 'w') as f:
        weights_group(f, layers, '2.9.0', 'tensorflow', True)
    # The same weights with the name lists split in parts of at most 10 and 40 bytes.
    with h5py.File(os.path.join(OUT, 'tfkeras2-sequential.chunked.weights.h5'), 'w') as f:
        weights_group(f, layers, '2.9.0', 'tensorflow', True, limit=(10, 40))
    x = rng.uniform(-1, 1, size=(3, T, 2))
    h = lstm(x, l1, 4, 'sigmoid', True)
    h = gru(h, g, 3, 'sigmoid', True)
    return {'x': x.tolist(), 'y': dense(h, d, 'linear').tolist()}


def tfkeras_functional():
    """tf.keras 2.9 Functional: a sequence through LSTM then Bidirectional(GRU, sum), a vector
    through Dense, concatenated into Dense; inbound_nodes as [[layer, node, tensor, kwargs]]."""
    T = 4
    l1 = [w(3, 12), w(3, 12), w(12)]
    gf = [w(3, 6), w(2, 6), w(2, 6)]
    gb = [w(3, 6), w(2, 6), w(2, 6)]
    dv = [w(2, 3), w(3)]
    do = [w(5, 2), w(2)]

    def inp(name, shape):
        return {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, *shape], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': name}, 'name': name, 'inbound_nodes': []}

    def lay(entry, inbound):
        return {**entry, 'name': entry['config']['name'], 'inbound_nodes': [[[n, 0, 0, {}] for n in inbound]]}

    gru_cfg = k2_rnn('gru', 2, 'GRU', True, {'reset_after': True})
    config = {'class_name': 'Functional', 'config': {'name': 'model', 'layers': [
        inp('seq', [T, 3]),
        lay(k2_rnn('lstm', 3, 'LSTM', True, {'return_sequences': True}), ['seq']),
        inp('vec', [2]),
        lay({'class_name': 'Bidirectional', 'config': {'name': 'bidirectional', 'trainable': True, 'dtype': 'float32', 'layer': gru_cfg, 'merge_mode': 'sum'}}, ['lstm']),
        lay(k2_dense('dense', 3, 'tanh', True), ['vec']),
        lay({'class_name': 'Concatenate', 'config': {'name': 'concatenate', 'trainable': True, 'dtype': 'float32', 'axis': -1}}, ['bidirectional', 'dense']),
        lay(k2_dense('dense_1', 2, 'linear', True), ['concatenate']),
    ], 'input_layers': [['seq', 0, 0], ['vec', 0, 0]], 'output_layers': [['dense_1', 0, 0]]}}
    layers = [('seq', []), ('lstm', list(zip(['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0'], l1))),
              ('vec', []),
              ('bidirectional', list(zip(['bidirectional/forward_gru/gru_cell/kernel:0', 'bidirectional/forward_gru/gru_cell/recurrent_kernel:0', 'bidirectional/forward_gru/gru_cell/bias:0',
                                          'bidirectional/backward_gru/gru_cell/kernel:0', 'bidirectional/backward_gru/gru_cell/recurrent_kernel:0', 'bidirectional/backward_gru/gru_cell/bias:0'], gf + gb))),
              ('dense', list(zip(['dense/kernel:0', 'dense/bias:0'], dv))),
              ('concatenate', []),
              ('dense_1', list(zip(['dense_1/kernel:0', 'dense_1/bias:0'], do)))]
    write_h5(os.path.join(OUT, 'tfkeras2-functional.h5'), config, layers, '2.9.0', top_level=True)
    xs = rng.uniform(-1, 1, size=(2, T, 3))
    xv = rng.uniform(-1, 1, size=(2, 2))
    h = lstm(xs, l1, 3, 'sigmoid', True)
    h = gru(h, gf, 2, 'sigmoid', True) + gru(h[:, ::-1], gb, 2, 'sigmoid', True)
    v = dense(xv, dv, 'tanh')
    y = dense(np.concatenate([h, v], -1), do, 'linear')
    return {'x': [xs.tolist(), xv.tolist()], 'y': y.tolist()}


def tfkeras_nested():
    """tf.keras 2.9 Functional holding a nested Sequential [Conv1D relu, BatchNormalization,
    LSTM] and a frozen Dense: the nested model's weights are stored trainable first (the
    BatchNormalization moving statistics after the LSTM's weights), as _legacy_weights orders them."""
    T = 6
    ck, cb = w(3, 2, 4), w(4)
    gamma, beta = w(4) + 1, w(4)
    mean, var = w(4), (np.abs(w(4)) + 0.5).astype(np.float32)
    l1 = [w(4, 12), w(3, 12), w(12)]
    d = [w(3, 2), w(2)]
    conv = {'class_name': 'Conv1D', 'config': {'name': 'conv1d', 'trainable': True, 'dtype': 'float32', 'filters': 4, 'kernel_size': [3], 'strides': [1],
            'padding': 'valid', 'data_format': 'channels_last', 'dilation_rate': [1], 'groups': 1, 'activation': 'relu', 'use_bias': True,
            'kernel_initializer': k2_init('GlorotUniform'), 'bias_initializer': k2_init('Zeros', {}), 'kernel_regularizer': None,
            'bias_regularizer': None, 'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None}}
    bn = {'class_name': 'BatchNormalization', 'config': {'name': 'batch_normalization', 'trainable': True, 'dtype': 'float32', 'axis': [2], 'momentum': 0.99,
          'epsilon': 0.001, 'center': True, 'scale': True, 'beta_initializer': k2_init('Zeros', {}), 'gamma_initializer': k2_init('Ones', {}),
          'moving_mean_initializer': k2_init('Zeros', {}), 'moving_variance_initializer': k2_init('Ones', {}), 'beta_regularizer': None,
          'gamma_regularizer': None, 'beta_constraint': None, 'gamma_constraint': None}}
    encoder = {'class_name': 'Sequential', 'config': {'name': 'encoder', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, 2], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'conv1d_input'}},
        conv, bn, k2_rnn('lstm', 3, 'LSTM', True, {})]}, 'name': 'encoder', 'inbound_nodes': [[['x', 0, 0, {}]]]}
    frozen = k2_dense('dense', 2, 'linear', True)
    frozen['config']['trainable'] = False
    config = {'class_name': 'Functional', 'config': {'name': 'model', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, 2], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'x'}, 'name': 'x', 'inbound_nodes': []},
        encoder,
        {**frozen, 'name': 'dense', 'inbound_nodes': [[['encoder', 0, 0, {}]]]},
    ], 'input_layers': [['x', 0, 0]], 'output_layers': [['dense', 0, 0]]}}
    layers = [('x', []),
              ('encoder', list(zip(['conv1d/kernel:0', 'conv1d/bias:0', 'batch_normalization/gamma:0', 'batch_normalization/beta:0',
                                    'lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0',
                                    'batch_normalization/moving_mean:0', 'batch_normalization/moving_variance:0'],
                                   [ck, cb, gamma, beta, *l1, mean, var]))),
              ('dense', list(zip(['dense/kernel:0', 'dense/bias:0'], d)))]
    write_h5(os.path.join(OUT, 'tfkeras2-nested.h5'), config, layers, '2.9.0', top_level=True)
    x = rng.uniform(-1, 1, size=(2, T, 2))
    k64 = ck.astype(np.float64)
    h = np.stack([sum(x[:, t + j] @ k64[j] for j in range(3)) + cb for t in range(T - 2)], 1)
    h = np.maximum(h, 0)
    h = (h - mean) / np.sqrt(var.astype(np.float64) + 0.001) * gamma + beta
    h = lstm(h, l1, 3, 'sigmoid')
    return {'x': x.tolist(), 'y': dense(h, d, 'linear').tolist()}


def keras3_legacy():
    """Keras 3.3 model.save('m.h5'): the legacy writer; str version attributes, variable
    paths as weight names, hard_sigmoid = clip(x/6 + 0.5)."""
    T = 3
    l1 = [w(2, 12), w(3, 12), w(12)]
    d = [w(3, 1), w(1)]
    lstm_cfg = k2_rnn('lstm', 3, 'LSTM', True, {'recurrent_activation': 'hard_sigmoid', 'seed': None})
    del lstm_cfg['config']['time_major']
    lstm_cfg['config']['zero_output_for_mask'] = False
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'trainable': True, 'dtype': 'float32', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_shape': [None, T, 2], 'dtype': 'float32', 'sparse': False, 'name': 'input_layer'}},
        lstm_cfg,
        k2_dense('dense', 1, 'linear', True),
    ], 'build_input_shape': [None, T, 2]}}
    layers = [('lstm', list(zip(['sequential/lstm/lstm_cell/kernel', 'sequential/lstm/lstm_cell/recurrent_kernel', 'sequential/lstm/lstm_cell/bias'], l1))),
              ('dense', list(zip(['sequential/dense/kernel', 'sequential/dense/bias'], d)))]
    write_h5(os.path.join(OUT, 'keras3-legacy.h5'), config, layers, '3.3.3', keras3=True, top_level=True)
    x = rng.uniform(-2, 2, size=(2, T, 2))
    return {'x': x.tolist(), 'y': dense(lstm(x, l1, 3, 'hard_sigmoid_k3'), d, 'linear').tolist()}


def cudnn_cfg(cls, name, units, extra=None):
    """Keras 2.2.4 CuDNNLSTM / CuDNNGRU get_config (keras/layers/cudnn_recurrent.py)."""
    c = {'name': name, 'trainable': True, 'return_sequences': False, 'return_state': False, 'go_backwards': False, 'stateful': False,
         'units': units, 'kernel_initializer': k2_init('VarianceScaling', {'scale': 1.0, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': None}),
         'recurrent_initializer': k2_init('Orthogonal', {'gain': 1.0, 'seed': None}), 'bias_initializer': k2_init('Zeros', {})}
    if cls == 'CuDNNLSTM':
        c['unit_forget_bias'] = True
    c.update({'kernel_regularizer': None, 'recurrent_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
              'kernel_constraint': None, 'recurrent_constraint': None, 'bias_constraint': None})
    c.update(extra or {})
    return {'class_name': cls, 'config': c}


def cudnn_run(x, ws, units, gates, return_sequences):
    """cuDNN's equations on the parameter blob Keras hands it: each gate's kernel slice,
    flattened, read row-major as a [units, inputs] matrix W (likewise R); input and
    recurrent biases separate. LSTM gates i, f, c, o; GRU z, r, h with r applied to R_h h + b_Rh."""
    k, rk, b = (a.astype(np.float64) for a in ws)
    n = x.shape[-1]
    W = [k[:, g * units:(g + 1) * units].flatten().reshape(units, n) for g in range(gates)]
    R = [rk[:, g * units:(g + 1) * units].flatten().reshape(units, units) for g in range(gates)]
    bW = [b[g * units:(g + 1) * units] for g in range(gates)]
    bR = [b[(gates + g) * units:(gates + g + 1) * units] for g in range(gates)]

    def lstm_step(xt, s):
        h, c = s
        a = [xt @ W[g].T + bW[g] + h @ R[g].T + bR[g] for g in range(4)]
        c = sigmoid(a[1]) * c + sigmoid(a[0]) * np.tanh(a[2])
        h = sigmoid(a[3]) * np.tanh(c)
        return h, (h, c)

    def gru_step(xt, h):
        z = sigmoid(xt @ W[0].T + bW[0] + h @ R[0].T + bR[0])
        r = sigmoid(xt @ W[1].T + bW[1] + h @ R[1].T + bR[1])
        hh = np.tanh(xt @ W[2].T + bW[2] + r * (h @ R[2].T + bR[2]))
        h = z * h + (1 - z) * hh
        return h, h
    zero = np.zeros((x.shape[0], units))
    return run(x, lstm_step, (zero, zero), return_sequences) if gates == 4 else run(x, gru_step, zero, return_sequences)


def keras2_cudnn():
    """Keras 2.2.4 Sequential: Bidirectional(CuDNNLSTM, seq, concat) → CuDNNGRU → Dense; the
    weights in cuDNN's layout (bias 8·units and 6·units), as a GPU-trained model holds them."""
    T = 5
    lf = [w(2, 12), w(3, 12), w(24)]
    lb = [w(2, 12), w(3, 12), w(24)]
    g = [w(6, 6), w(2, 6), w(12)]
    d = [w(2, 1), w(1)]
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential_1', 'layers': [
        {'class_name': 'Bidirectional', 'config': {'name': 'bidirectional_1', 'trainable': True, 'batch_input_shape': [None, T, 2], 'dtype': 'float32',
                                                   'layer': cudnn_cfg('CuDNNLSTM', 'cu_dnnlstm_1', 3, {'return_sequences': True}), 'merge_mode': 'concat'}},
        cudnn_cfg('CuDNNGRU', 'cu_dnngru_1', 2),
        k2_dense('dense_1', 1, 'linear', False),
    ]}}
    layers = [('bidirectional_1', [(f'bidirectional_1/{p}_cu_dnnlstm_1/{n}:0', a) for p, ws in (('forward', lf), ('backward', lb))
                                   for n, a in zip(['kernel', 'recurrent_kernel', 'bias'], ws)]),
              ('cu_dnngru_1', [(f'cu_dnngru_1/{n}:0', a) for n, a in zip(['kernel', 'recurrent_kernel', 'bias'], g)]),
              ('dense_1', [('dense_1/kernel:0', d[0]), ('dense_1/bias:0', d[1])])]
    write_h5(os.path.join(OUT, 'keras2-cudnn.h5'), config, layers, '2.2.4')
    x = rng.uniform(-1, 1, size=(2, T, 2))
    h = np.concatenate([cudnn_run(x, lf, 3, 4, True), cudnn_run(x[:, ::-1], lb, 3, 4, True)[:, ::-1]], -1)
    h = cudnn_run(h, g, 2, 3, False)
    return {'x': x.tolist(), 'y': dense(h, d, 'linear').tolist()}


# Keras 1.2.2: configs as its get_config wrote them (keras/layers/*.py, engine/topology.py).

def k1_base(name, extra=None):
    c = {'name': name, 'trainable': True}
    c.update(extra or {})
    return c


def k1_rnn(cls, name, units, input_dim, consume_less, extra=None):
    c = k1_base(name)
    c.update({'return_sequences': False, 'go_backwards': False, 'stateful': False, 'unroll': False, 'consume_less': consume_less,
              'input_dim': input_dim, 'input_length': None, 'output_dim': units, 'init': 'glorot_uniform', 'inner_init': 'orthogonal',
              'activation': 'tanh', 'W_regularizer': None, 'U_regularizer': None, 'b_regularizer': None, 'dropout_W': 0.0, 'dropout_U': 0.0})
    if cls != 'SimpleRNN':
        c['inner_activation'] = 'hard_sigmoid'
    if cls == 'LSTM':
        c['forget_bias_init'] = 'one'
    c.update(extra or {})
    return {'class_name': cls, 'config': c}


def k1_dense(name, units, activation, input_dim):
    return {'class_name': 'Dense', 'config': k1_base(name, {'output_dim': units, 'init': 'glorot_uniform', 'activation': activation, 'W_regularizer': None,
                                                            'b_regularizer': None, 'activity_regularizer': None, 'W_constraint': None,
                                                            'b_constraint': None, 'bias': True, 'input_dim': input_dim})}


def lstm_k1_gates(x, ws, units):
    """Keras 1.2.2 LSTM.step with consume_less 'cpu'/'mem': per-gate weights stored i, c, f, o."""
    (Wi, Ui, bi, Wc, Uc, bc, Wf, Uf, bf, Wo, Uo, bo) = (a.astype(np.float64) for a in ws)
    hs = ACT['hard_sigmoid_k2']

    def step(xt, s):
        h, c = s
        i = hs(xt @ Wi + bi + h @ Ui)
        f = hs(xt @ Wf + bf + h @ Uf)
        c = f * c + i * np.tanh(xt @ Wc + bc + h @ Uc)
        o = hs(xt @ Wo + bo + h @ Uo)
        h = o * np.tanh(c)
        return h, (h, c)
    zero = np.zeros((x.shape[0], units))
    return run(x, step, (zero, zero), True)


def gru_k1_gates(x, ws, units):
    """Keras 1.2.2 GRU.step with per-gate weights W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h."""
    (Wz, Uz, bz, Wr, Ur, br, Wh, Uh, bh) = (a.astype(np.float64) for a in ws)
    hs = ACT['hard_sigmoid_k2']

    def step(xt, h):
        z = hs(xt @ Wz + bz + h @ Uz)
        r = hs(xt @ Wr + br + h @ Ur)
        hh = np.tanh(xt @ Wh + bh + (r * h) @ Uh)
        h = z * h + (1 - z) * hh
        return h, h
    return run(x, step, np.zeros((x.shape[0], units)), False)


def keras1_sequential():
    """Keras 1.2.2 Sequential: Embedding → LSTM (consume_less 'cpu': 12 per-gate weights) →
    Bidirectional(GRU, consume_less 'gpu': W, U, b) → Dropout → Dense softmax."""
    T, V, E, U = 5, 8, 3, 4
    emb = w(V, E)
    lstm_w = [a for _ in range(4) for a in (w(E, U), w(U, U), w(U))]
    gf = [w(U, 6), w(2, 6), w(6)]
    gb = [w(U, 6), w(2, 6), w(6)]
    d = [w(4, 3), w(3)]
    config = {'class_name': 'Sequential', 'config': [
        {'class_name': 'Embedding', 'config': k1_base('embedding_1', {'batch_input_shape': [None, T], 'input_dtype': 'int32', 'input_dim': V, 'output_dim': E,
                                                                      'init': 'uniform', 'input_length': T, 'mask_zero': False, 'activity_regularizer': None,
                                                                      'W_regularizer': None, 'W_constraint': None, 'dropout': 0.0})},
        k1_rnn('LSTM', 'lstm_1', U, E, 'cpu', {'return_sequences': True}),
        {'class_name': 'Bidirectional', 'config': k1_base('bidirectional_1', {'layer': k1_rnn('GRU', 'gru_1', 2, U, 'gpu'), 'merge_mode': 'concat'})},
        {'class_name': 'Dropout', 'config': k1_base('dropout_1', {'p': 0.25})},
        k1_dense('dense_1', 3, 'softmax', 4),
    ]}
    gates = [f'{k}_{g}' for g in 'icfo' for k in 'WUb']
    layers = [('embedding_1', [('embedding_1_W:0', emb)]),
              ('lstm_1', [(f'lstm_1_{n}:0', a) for n, a in zip(gates, lstm_w)]),
              ('bidirectional_1', [(f'{p}_gru_1_{k}:0', a) for p, ws in (('forward', gf), ('backward', gb)) for k, a in zip('WUb', ws)]),
              ('dropout_1', []),
              ('dense_1', [('dense_1_W:0', d[0]), ('dense_1_b:0', d[1])])]
    write_h5(os.path.join(OUT, 'keras1-sequential.h5'), config, layers, '1.2.2', keras1=True)
    ids = rng.integers(0, V, size=(3, T))
    h = lstm_k1_gates(emb.astype(np.float64)[ids], lstm_w, U)
    f = gru(h, gf, 2, 'hard_sigmoid_k2', False)
    b = gru(h[:, ::-1], gb, 2, 'hard_sigmoid_k2', False)
    y = dense(np.concatenate([f, b], -1), d, 'softmax')
    return {'x': ids.tolist(), 'y': y.tolist()}


def keras1_model():
    """Keras 1.2.2 functional Model: Input → SimpleRNN (seq) → TimeDistributed(Dense tanh) →
    GRU (consume_less 'cpu': 9 per-gate weights) → Dense."""
    T = 4
    sr = [w(3, 3), w(3, 3), w(3)]
    td = [w(3, 2), w(2)]
    gw = [a for _ in range(3) for a in (w(2, 2), w(2, 2), w(2))]
    d = [w(2, 1), w(1)]

    def node(entry, name, inbound):
        return {**entry, 'name': name, 'inbound_nodes': [[[inbound, 0, 0]]]}
    config = {'class_name': 'Model', 'config': {'name': 'model_1', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, 3], 'input_dtype': 'float32', 'sparse': False, 'name': 'input_1'}, 'inbound_nodes': [], 'name': 'input_1'},
        node(k1_rnn('SimpleRNN', 'simplernn_1', 3, 3, 'cpu', {'return_sequences': True}), 'simplernn_1', 'input_1'),
        node({'class_name': 'TimeDistributed', 'config': k1_base('timedistributed_1', {'layer': k1_dense('dense_1', 2, 'tanh', 3)})}, 'timedistributed_1', 'simplernn_1'),
        node(k1_rnn('GRU', 'gru_1', 2, 2, 'mem'), 'gru_1', 'timedistributed_1'),
        node(k1_dense('dense_2', 1, 'linear', 2), 'dense_2', 'gru_1'),
    ], 'input_layers': [['input_1', 0, 0]], 'output_layers': [['dense_2', 0, 0]]}}
    layers = [('input_1', []),
              ('simplernn_1', [(f'simplernn_1_{k}:0', a) for k, a in zip('WUb', sr)]),
              ('timedistributed_1', [('dense_1_W:0', td[0]), ('dense_1_b:0', td[1])]),
              ('gru_1', [(f'gru_1_{k}_{g}:0', a) for (g, k), a in zip([(g, k) for g in 'zrh' for k in 'WUb'], gw)]),
              ('dense_2', [('dense_2_W:0', d[0]), ('dense_2_b:0', d[1])])]
    write_h5(os.path.join(OUT, 'keras1-model.h5'), config, layers, '1.2.2', keras1=True)
    x = rng.uniform(-1, 1, size=(2, T, 3))
    h = simple_rnn(x, sr, 3, True)
    h = dense(h, td, 'tanh')
    h = gru_k1_gates(h, gw, 2)
    return {'x': x.tolist(), 'y': dense(h, d, 'linear').tolist()}


def keras1_conv_lstm():
    """Keras 1.1 Sequential: Convolution1D relu (valid; kernel stored [filter_length, 1,
    input_dim, nb_filter]) → Convolution1D (same, subsample 1; Keras 1.0's kernel layout
    [nb_filter, input_dim, filter_length, 1]) → Dropout → Bidirectional(LSTM, consume_less
    'cpu') → Dense softmax, the form of published Keras 1.1 spectrogram classifiers."""
    T, F = 6, 2
    c1 = [w(2, 1, F, 3), w(3)]
    c2 = [w(4, 3, 3, 1), w(4)]
    lf = [a for _ in range(4) for a in (w(4, 3), w(3, 3), w(3))]
    lb = [a for _ in range(4) for a in (w(4, 3), w(3, 3), w(3))]
    d = [w(6, 2), w(2)]

    def conv(name, filters, length, border, first):
        c = k1_base(name, {'W_constraint': None, 'b_constraint': None, 'activity_regularizer': None, 'filter_length': length, 'init': 'uniform',
                           'bias': True, 'nb_filter': filters, 'subsample_length': 1, 'border_mode': border, 'input_dim': None, 'b_regularizer': None,
                           'W_regularizer': None, 'activation': 'relu' if first else 'tanh', 'input_length': None})
        if first:
            c.update({'batch_input_shape': [None, T, F], 'input_dtype': 'float32'})
        return {'class_name': 'Convolution1D', 'config': c}
    config = {'class_name': 'Sequential', 'config': [
        conv('convolution1d_1', 3, 2, 'valid', True),
        conv('convolution1d_2', 4, 3, 'same', False),
        {'class_name': 'Dropout', 'config': k1_base('dropout_1', {'p': 0.2})},
        {'class_name': 'Bidirectional', 'config': k1_base('bidirectional_1', {'layer': k1_rnn('LSTM', 'forward_lstm_1', 3, 4, 'cpu'), 'merge_mode': 'concat'})},
        k1_dense('dense_1', 2, 'softmax', None),
    ]}
    gates = [f'{k}_{g}' for g in 'icfo' for k in 'WUb']
    layers = [('convolution1d_1', [('convolution1d_1_W:0', c1[0]), ('convolution1d_1_b:0', c1[1])]),
              ('convolution1d_2', [('convolution1d_2_W:0', c2[0]), ('convolution1d_2_b:0', c2[1])]),
              ('dropout_1', []),
              ('bidirectional_1', [(f'{p}_lstm_1_{n}:0', a) for p, ws in (('forward', lf), ('backward', lb)) for n, a in zip(gates, ws)]),
              ('dense_1', [('dense_1_W:0', d[0]), ('dense_1_b:0', d[1])])]
    write_h5(os.path.join(OUT, 'keras1-conv-lstm.h5'), config, layers, '1.1.1', keras1=True)
    x = rng.uniform(-1, 1, size=(2, T, F))
    K1 = c1[0].astype(np.float64)[:, 0]
    h = np.maximum(np.stack([sum(x[:, t + j] @ K1[j] for j in range(2)) for t in range(T - 1)], 1) + c1[1], 0)
    K2 = c2[0].astype(np.float64).transpose(2, 3, 1, 0)[:, 0]
    hp = np.pad(h, ((0, 0), (1, 1), (0, 0)))
    h = np.tanh(np.stack([sum(hp[:, t + j] @ K2[j] for j in range(3)) for t in range(h.shape[1])], 1) + c2[1])
    y = np.concatenate([lstm_k1_gates(h, lf, 3)[:, -1], lstm_k1_gates(h[:, ::-1], lb, 3)[:, -1]], -1)
    return {'x': x.tolist(), 'y': dense(y, d, 'softmax').tolist()}


def tfkeras114_sequential():
    """tf.keras of TF 1.13-1.15 (keras_version '2.2.4-tf'): the initializers' configs carry their
    dtype ({"seed": null, "dtype": "float32"}), as init_ops' get_config wrote it; LSTM with
    hard_sigmoid (that tf.keras's default), weights named as tf.keras 2.x names them."""
    T = 4

    def with_dtype(init):
        return {'class_name': init['class_name'], 'config': {**init['config'], 'dtype': 'float32'}}
    l1 = [w(3, 8), w(2, 8), w(8)]
    d = [w(2, 1), w(1)]
    lstm_cfg = k2_rnn('lstm', 2, 'LSTM', True, {'batch_input_shape': [None, T, 3], 'recurrent_activation': 'hard_sigmoid', 'implementation': 1})
    dense_cfg = k2_dense('dense', 1, 'linear', True)
    for c in (lstm_cfg['config'], dense_cfg['config']):
        for k in [k for k in c if k.endswith('_initializer')]:
            c[k] = with_dtype(c[k])
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [lstm_cfg, dense_cfg]}}
    layers = [('lstm', list(zip(['lstm/kernel:0', 'lstm/recurrent_kernel:0', 'lstm/bias:0'], l1))),
              ('dense', list(zip(['dense/kernel:0', 'dense/bias:0'], d)))]
    write_h5(os.path.join(OUT, 'tfkeras1.14-sequential.h5'), config, layers, '2.2.4-tf')
    x = rng.uniform(-1, 1, size=(2, T, 3))
    h = lstm(x, l1, 2, 'hard_sigmoid_k2', False)
    return {'x': x.tolist(), 'y': dense(h, d, 'linear').tolist()}


def tfkeras_normalization():
    """tf.keras 2.13: Normalization(axis=-1) adapted (weights mean, variance and an int64 count),
    GaussianNoise (nothing in inference), LSTM, LeakyReLU(0.1), Dense: layers of published
    forecasting models. y = (x - mean) / max(sqrt(variance), 1e-7) per feature."""
    T = 4
    mean = rng.uniform(-2, 2, size=(3,))
    variance = rng.uniform(0.5, 4, size=(3,))
    l1 = [w(3, 8), w(2, 8), w(8)]
    d = [w(2, 1), w(1)]
    norm = {'class_name': 'Normalization', 'config': {'name': 'normalization', 'trainable': True, 'dtype': 'float32', 'batch_input_shape': [None, T, 3],
                                                      'axis': [-1], 'invert': False, 'mean': None, 'variance': None}}
    noise = {'class_name': 'GaussianNoise', 'config': {'name': 'gaussian_noise', 'trainable': True, 'dtype': 'float32', 'stddev': 0.1, 'seed': None}}
    leaky = {'class_name': 'LeakyReLU', 'config': {'name': 'leaky_re_lu', 'trainable': True, 'dtype': 'float32', 'alpha': 0.1}}
    config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, 3], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'normalization_input'}},
        norm, noise, k2_rnn('lstm', 2, 'LSTM', True, {}), leaky, k2_dense('dense', 1, 'linear', True)]}}
    layers = [('normalization', [('normalization/mean:0', mean.astype(np.float32)), ('normalization/variance:0', variance.astype(np.float32)), ('normalization/count:0', np.array(640, dtype=np.int64))]),
              ('gaussian_noise', []),
              ('lstm', list(zip(['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0'], l1))),
              ('leaky_re_lu', []),
              ('dense', list(zip(['dense/kernel:0', 'dense/bias:0'], d)))]
    write_h5(os.path.join(OUT, 'tfkeras2-normalization.h5'), config, layers, '2.13.1', top_level=True)
    x = rng.uniform(-3, 3, size=(3, T, 3))
    m32 = mean.astype(np.float32).astype(np.float64)
    v32 = variance.astype(np.float32).astype(np.float64)
    h = lstm((x - m32) / np.maximum(np.sqrt(v32), 1e-7), l1, 2, 'sigmoid', False)
    h = np.where(h > 0, h, 0.1 * h)
    return {'x': x.tolist(), 'y': dense(h, d, 'linear').tolist()}


if __name__ == '__main__':
    expected = {
        'keras2-sequential.h5': keras22_sequential(),
        'keras2.0-bare-list.h5': keras20_bare_list(),
        'tfkeras2-sequential.h5': tfkeras_sequential(),
        'tfkeras2-functional.h5': tfkeras_functional(),
        'keras3-legacy.h5': keras3_legacy(),
        'tfkeras2-nested.h5': tfkeras_nested(),
        'keras1-sequential.h5': keras1_sequential(),
        'keras1-model.h5': keras1_model(),
        'keras2-cudnn.h5': keras2_cudnn(),
        'tfkeras1.14-sequential.h5': tfkeras114_sequential(),
        'keras1-conv-lstm.h5': keras1_conv_lstm(),
        'tfkeras2-normalization.h5': tfkeras_normalization(),
    }
    with open(os.path.join(OUT, 'keras2-h5-expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
