#!/usr/bin/python3
"""Builds the Keras 3 `.keras` fixtures of test/kerasFile.test.ts without Keras (Debian has
no Keras 3 package): numpy weights, a config.json written as Keras 3's
serialize_keras_object writes it, and model.weights.h5 laid out as
keras/src/saving/saving_lib.py (keras-team/keras @3422977a5, Keras 3.16) lays it out:

- the zip (zipfile.ZipFile(f, "w"), stored, not deflated) holds metadata.json,
  config.json and model.weights.h5, in that order;
- every saveable with a name gets a group `<path>/vars` (the model's own at the root:
  `vars`) with attrs {"name": layer.name}; its variables are datasets "0", "1", ... in
  the order trainable_variables + non_trainable_variables;
- a Sequential or Functional model's layers are at `layers/<snake_case(class)>`, the
  second of a class `<name>_1` and so on (_get_unique_name; Sequential.layers leaves out
  the InputLayer, Functional.layers keeps it); a recurrent layer's variables belong to its
  cell (`layers/lstm/cell/vars/0`), Bidirectional's to `backward_layer` and
  `forward_layer` (attributes visited sorted), TimeDistributed's to `layer`.

The expected outputs are computed here in float64 numpy, independently of rnnkit, from
the Keras 3 equations (LSTM gates i,f,c,o; GRU z,r,h with reset_after; masked steps keep
the state and repeat the last output).

Run: /usr/bin/python3 tools/keras_fixture.py  (needs python3-h5py, python3-numpy)
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
KERAS_VERSION = '3.16.0'
rng = np.random.default_rng(15)


def policy():
    return {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}


def init(cls, config=None):
    return {'module': 'keras.initializers', 'class_name': cls, 'config': config or {'seed': None}, 'registered_name': None}


def layer(cls, config, build=None):
    entry = {'module': 'keras.layers', 'class_name': cls, 'config': {'trainable': True, 'dtype': policy(), **config}, 'registered_name': None}
    if build is not None:
        entry['build_config'] = {'input_shape': build}
    return entry


def rnn_common(units, extra):
    return {
        'return_sequences': False, 'return_state': False, 'go_backwards': False, 'stateful': False,
        'unroll': False, 'zero_output_for_mask': False, 'units': units, 'activation': 'tanh', 'use_bias': True,
        'kernel_initializer': init('GlorotUniform'), 'recurrent_initializer': init('Orthogonal', {'seed': None, 'gain': 1.0}),
        'bias_initializer': init('Zeros', {}), 'kernel_regularizer': None, 'recurrent_regularizer': None,
        'bias_regularizer': None, 'activity_regularizer': None, 'kernel_constraint': None,
        'recurrent_constraint': None, 'bias_constraint': None, 'dropout': 0.0, 'recurrent_dropout': 0.0, 'seed': None, **extra,
    }


def lstm_config(name, units, **kw):
    return rnn_common(units, {'name': name, 'recurrent_activation': 'sigmoid', 'unit_forget_bias': True, **kw})


def gru_config(name, units, **kw):
    return rnn_common(units, {'name': name, 'recurrent_activation': 'sigmoid', 'reset_after': True, **kw})


def simple_rnn_config(name, units, **kw):
    return rnn_common(units, {'name': name, **kw})


def dense_config(name, units, activation):
    return {'name': name, 'units': units, 'activation': activation, 'use_bias': True,
            'kernel_initializer': init('GlorotUniform'), 'bias_initializer': init('Zeros', {}),
            'kernel_regularizer': None, 'bias_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None}


def w(*shape):
    return rng.uniform(-0.6, 0.6, size=shape).astype(np.float32)


sigmoid = lambda x: 1 / (1 + np.exp(-x))


def run_rnn(x, mask, units, step, n_states):
    """x (B, T, F) float64; step(x_t, states) -> (out, states). Masked steps keep everything."""
    B, T, _ = x.shape
    states = [np.zeros((B, units)) for _ in range(n_states)]
    out = np.zeros((B, units))
    seq = []
    for t in range(T):
        o, s = step(x[:, t], states)
        m = mask[:, t:t + 1] if mask is not None else np.ones((B, 1))
        out = m * o + (1 - m) * out
        states = [m * a + (1 - m) * b for a, b in zip(s, states)]
        seq.append(out)
    return np.stack(seq, 1), out


def lstm(x, mask, k, rk, b, units):
    def step(xt, s):
        h, c = s
        z = xt @ k + h @ rk + b
        i, f, g, o = (z[:, j * units:(j + 1) * units] for j in range(4))
        c2 = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h2 = sigmoid(o) * np.tanh(c2)
        return h2, [h2, c2]
    return run_rnn(x, mask, units, step, 2)


def gru(x, mask, k, rk, b, units):
    # reset_after=True: bias (2, 3u) = input bias, recurrent bias; gates z, r, h.
    def step(xt, s):
        (h,) = s
        xz = xt @ k + b[0]
        hz = h @ rk + b[1]
        u = units
        z = sigmoid(xz[:, :u] + hz[:, :u])
        r = sigmoid(xz[:, u:2 * u] + hz[:, u:2 * u])
        hh = np.tanh(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        h2 = z * h + (1 - z) * hh
        return h2, [h2]
    return run_rnn(x, mask, units, step, 1)


def simple_rnn(x, mask, k, rk, b, units):
    def step(xt, s):
        h2 = np.tanh(xt @ k + s[0] @ rk + b)
        return h2, [h2]
    return run_rnn(x, mask, units, step, 1)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def write_keras(path, config, groups, compression=None, assets=()):
    """groups: [(h5 path of a saveable, its name, [arrays] or {key: array})] as saving_lib writes
    them (a list: datasets "0", "1", ...; a dict: by key, as IndexLookup's 'idf_weights');
    assets: [(member name under assets/, text)], written after model.weights.h5 as
    saving_lib zips its assets directory."""
    h5 = io.BytesIO()
    with h5py.File(h5, 'w') as f:
        for p, name, arrays in groups:
            g = f.create_group('vars') if p == '' else f.create_group(p).create_group('vars') if p not in f else f[p].create_group('vars')
            g.attrs['name'] = name
            items = arrays.items() if isinstance(arrays, dict) else ((str(i), a) for i, a in enumerate(arrays))
            for key, a in items:
                g.create_dataset(key, data=a, **(compression or {}))
    meta = {'keras_version': KERAS_VERSION, 'date_saved': '2026-12-04@16:00:00'}
    with zipfile.ZipFile(path, 'w') as z:
        # A fixed date in the zip headers, so that running this again changes no fixture.
        for name, data in [('metadata.json', json.dumps(meta)), ('config.json', json.dumps(config)), ('model.weights.h5', h5.getvalue())] + [('assets/' + n, t.encode('utf-8')) for n, t in assets]:
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 12, 4, 16, 0, 0)), data)


def model_entry(cls, config):
    # Sequential is exported as keras.Sequential; Functional is not, so Keras 3 writes its module and registered name.
    if cls == 'Functional':
        return {'module': 'keras.src.models.functional', 'class_name': cls, 'config': config, 'registered_name': 'Functional'}
    return {'module': 'keras', 'class_name': cls, 'config': config, 'registered_name': None}


def sequential_lstm():
    """Sequential[Input(5), Embedding(10, 4, mask_zero), LSTM(6, return_sequences), LSTM(5), Dense(3, softmax)]."""
    V, E, U1, U2, C, T = 10, 4, 6, 5, 3, 5
    emb = w(V, E)
    k1, rk1, b1 = w(E, 4 * U1), w(U1, 4 * U1), w(4 * U1)
    k2, rk2, b2 = w(U1, 4 * U2), w(U2, 4 * U2), w(4 * U2)
    dk, db = w(U2, C), w(C)
    layers = [
        layer('InputLayer', {'batch_shape': [None, T], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer'}),
        layer('Embedding', {'name': 'embedding', 'input_dim': V, 'output_dim': E, 'embeddings_initializer': init('RandomUniform', {'minval': -0.05, 'maxval': 0.05, 'seed': None}),
                            'embeddings_regularizer': None, 'activity_regularizer': None, 'embeddings_constraint': None, 'mask_zero': True}, [None, T]),
        layer('LSTM', lstm_config('lstm', U1, return_sequences=True), [None, T, E]),
        layer('LSTM', lstm_config('lstm_1', U2), [None, T, U1]),
        layer('Dense', dense_config('dense', C, 'softmax'), [None, U2]),
    ]
    layers[0]['config'].pop('trainable')
    layers[0]['config']['dtype'] = 'float32'
    config = model_entry('Sequential', {'name': 'sequential', 'trainable': True, 'dtype': policy(), 'layers': layers, 'build_input_shape': [None, T]})
    config['build_config'] = {'input_shape': [None, T]}
    groups = [
        ('', 'sequential', []),
        ('layers/embedding', 'embedding', [emb]),
        ('layers/lstm', 'lstm', []), ('layers/lstm/cell', 'lstm_cell', [k1, rk1, b1]),
        ('layers/lstm_1', 'lstm_1', []), ('layers/lstm_1/cell', 'lstm_cell', [k2, rk2, b2]),
        ('layers/dense', 'dense', [dk, db]),
    ]
    tokens = np.array([[1, 4, 9, 2, 0], [3, 3, 0, 0, 0], [7, 1, 2, 8, 5]])
    mask = (tokens != 0).astype(np.float64)
    x = emb.astype(np.float64)[tokens]
    seq, _ = lstm(x, mask, k1, rk1, b1, U1)
    _, last = lstm(seq, mask, k2, rk2, b2, U2)
    y = softmax(last @ dk + db)
    write_keras(os.path.join(OUT, 'keras3-sequential-lstm.keras'), config, groups)
    return {'input': tokens.tolist(), 'inputShape': list(tokens.shape), 'output': y.tolist()}


def functional_gru():
    """Functional: Input(4, 3) -> Bidirectional(GRU(5, reset_after, return_sequences)) -> SimpleRNN(4) -> Dense(2)."""
    T, F, G, S, D = 4, 3, 5, 4, 2
    fk, frk, fb = w(F, 3 * G), w(G, 3 * G), w(2, 3 * G)
    bk, brk, bb = w(F, 3 * G), w(G, 3 * G), w(2, 3 * G)
    sk, srk, sb = w(2 * G, S), w(S, S), w(S)
    dk, db = w(S, D), w(D)

    def tensor(name, shape):
        return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': 'float32', 'keras_history': [name, 0, 0]}}

    def node(name, shape):
        return [{'args': [tensor(name, shape)], 'kwargs': {}}]

    def gru_layer(name, backwards):
        return {'module': 'keras.layers', 'class_name': 'GRU', 'config': {'trainable': True, 'dtype': policy(), **gru_config(name, G, return_sequences=True, go_backwards=backwards)}, 'registered_name': None}
    # Keras 3 Bidirectional.get_config: the forward copy as `layer`, the backward one as `backward_layer`.
    bidi = layer('Bidirectional', {'name': 'bidirectional', 'merge_mode': 'concat', 'layer': gru_layer('forward_gru', False), 'backward_layer': gru_layer('backward_gru', True)}, [None, T, F])
    layers = [
        {**layer('InputLayer', {'batch_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer'}), 'name': 'input_layer', 'inbound_nodes': []},
        {**bidi, 'name': 'bidirectional', 'inbound_nodes': node('input_layer', [None, T, F])},
        {**layer('SimpleRNN', simple_rnn_config('simple_rnn', S), [None, T, 2 * G]), 'name': 'simple_rnn', 'inbound_nodes': node('bidirectional', [None, T, 2 * G])},
        {**layer('Dense', dense_config('dense', D, 'linear'), [None, S]), 'name': 'dense', 'inbound_nodes': node('simple_rnn', [None, S])},
    ]
    layers[0]['config'].pop('trainable')
    layers[0]['config']['dtype'] = 'float32'
    config = model_entry('Functional', {'name': 'functional', 'trainable': True, 'layers': layers,
                                        'input_layers': [['input_layer', 0, 0]], 'output_layers': [['dense', 0, 0]]})
    groups = [
        ('', 'functional', []),
        ('layers/input_layer', 'input_layer', []),
        ('layers/bidirectional', 'bidirectional', []),
        ('layers/bidirectional/backward_layer', 'backward_gru', []), ('layers/bidirectional/backward_layer/cell', 'gru_cell', [bk, brk, bb]),
        ('layers/bidirectional/forward_layer', 'forward_gru', []), ('layers/bidirectional/forward_layer/cell', 'gru_cell', [fk, frk, fb]),
        ('layers/simple_rnn', 'simple_rnn', []), ('layers/simple_rnn/cell', 'simple_rnn_cell', [sk, srk, sb]),
        ('layers/dense', 'dense', [dk, db]),
    ]
    x = rng.uniform(-1, 1, size=(2, T, F))
    fseq, _ = gru(x, None, fk, frk, fb, G)
    bseq, _ = gru(x[:, ::-1], None, bk, brk, bb, G)
    h = np.concatenate([fseq, bseq[:, ::-1]], -1)  # the backward sequence re-reversed, as Keras
    _, last = simple_rnn(h, None, sk, srk, sb, S)
    y = last @ dk + db
    write_keras(os.path.join(OUT, 'keras3-functional-gru.keras'), config, groups)
    return {'input': x.tolist(), 'inputShape': list(x.shape), 'output': y.tolist()}


def gru_before(x, mask, k, rk, b, units):
    # reset_after=False: one bias (3u,); the reset gate applies before the recurrent kernel.
    def step(xt, s):
        (h,) = s
        u = units
        xz = xt @ k + b
        z = sigmoid(xz[:, :u] + h @ rk[:, :u])
        r = sigmoid(xz[:, u:2 * u] + h @ rk[:, u:2 * u])
        hh = np.tanh(xz[:, 2 * u:] + (r * h) @ rk[:, 2 * u:])
        h2 = z * h + (1 - z) * hh
        return h2, [h2]
    return run_rnn(x, mask, units, step, 1)


def sequential_conv_gru():
    """Sequential[Input(6, 3), Conv1D(4, 2, relu), BatchNormalization, GRU(5, reset_after=False,
    return_sequences), TimeDistributed(Dense(2))]."""
    T, F, K, Fi, G, D = 6, 3, 2, 4, 5, 2
    ck, cb = w(K, F, Fi), w(Fi)
    gamma, beta, mean = w(Fi) + 1, w(Fi), w(Fi)
    var = rng.uniform(0.5, 1.5, size=Fi).astype(np.float32)
    gk, grk, gb = w(Fi, 3 * G), w(G, 3 * G), w(3 * G)
    dk, db = w(G, D), w(D)
    bn = {'name': 'batch_normalization', 'axis': -1, 'momentum': 0.99, 'epsilon': 0.001, 'center': True, 'scale': True,
          'beta_initializer': init('Zeros', {}), 'gamma_initializer': init('Ones', {}), 'moving_mean_initializer': init('Zeros', {}),
          'moving_variance_initializer': init('Ones', {}), 'beta_regularizer': None, 'gamma_regularizer': None, 'beta_constraint': None,
          'gamma_constraint': None, 'synchronized': False}
    conv = {'name': 'conv1d', 'filters': Fi, 'kernel_size': [K], 'strides': [1], 'padding': 'valid', 'data_format': 'channels_last',
            'dilation_rate': [1], 'groups': 1, 'activation': 'relu', 'use_bias': True, 'kernel_initializer': init('GlorotUniform'),
            'bias_initializer': init('Zeros', {}), 'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
            'kernel_constraint': None, 'bias_constraint': None}
    inner = layer('Dense', dense_config('dense', D, 'linear'), [None, G])
    layers = [
        layer('InputLayer', {'batch_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer'}),
        layer('Conv1D', conv, [None, T, F]),
        layer('BatchNormalization', bn, [None, T - 1, Fi]),
        layer('GRU', gru_config('gru', G, return_sequences=True, reset_after=False), [None, T - 1, Fi]),
        layer('TimeDistributed', {'name': 'time_distributed', 'layer': inner}, [None, T - 1, G]),
    ]
    layers[0]['config'].pop('trainable')
    layers[0]['config']['dtype'] = 'float32'
    config = model_entry('Sequential', {'name': 'sequential', 'trainable': True, 'dtype': policy(), 'layers': layers, 'build_input_shape': [None, T, F]})
    config['build_config'] = {'input_shape': [None, T, F]}
    groups = [
        ('', 'sequential', []),
        ('layers/conv1d', 'conv1d', [ck, cb]),
        ('layers/batch_normalization', 'batch_normalization', [gamma, beta, mean, var]),
        ('layers/gru', 'gru', []), ('layers/gru/cell', 'gru_cell', [gk, grk, gb]),
        ('layers/time_distributed', 'time_distributed', []), ('layers/time_distributed/layer', 'dense', [dk, db]),
    ]
    x = rng.uniform(-1, 1, size=(2, T, F))
    c = np.stack([sum(x[:, t + j] @ ck[j] for j in range(K)) + cb for t in range(T - K + 1)], 1)
    c = np.maximum(c, 0)
    c = (c - mean) / np.sqrt(var.astype(np.float64) + 0.001) * gamma + beta
    seq, _ = gru_before(c, None, gk, grk, gb, G)
    y = seq @ dk + db
    write_keras(os.path.join(OUT, 'keras3-sequential-conv-gru.keras'), config, groups)
    return {'input': x.tolist(), 'inputShape': list(x.shape), 'output': y.tolist()}


def dense_gzip():
    """Sequential[Input(3), Dense(2)] with gzip-compressed variables (Keras never writes these: refused)."""
    layers = [
        layer('InputLayer', {'batch_shape': [None, 3], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer'}),
        layer('Dense', dense_config('dense', 2, 'linear'), [None, 3]),
    ]
    layers[0]['config'].pop('trainable')
    layers[0]['config']['dtype'] = 'float32'
    config = model_entry('Sequential', {'name': 'sequential', 'trainable': True, 'dtype': policy(), 'layers': layers, 'build_input_shape': [None, 3]})
    groups = [('', 'sequential', []), ('layers/dense', 'dense', [w(3, 2), w(2)])]
    write_keras(os.path.join(OUT, 'keras3-dense-gzip.keras'), config, groups, {'compression': 'gzip', 'chunks': True})


def functional_nested():
    """Functional: Input(4, 3) -> Sequential 'encoder'[LSTM(4), Dense(3, tanh)] -> Dense(2): the
    inner model's layers under layers/sequential/layers/…, its Dense and the outer one both
    `dense` (names are unique per container)."""
    T, F, U, H, D = 4, 3, 4, 3, 2
    k, rk, b = w(F, 4 * U), w(U, 4 * U), w(4 * U)
    ik, ib = w(U, H), w(H)
    ok, ob = w(H, D), w(D)

    def tensor(name, shape):
        return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': 'float32', 'keras_history': [name, 0, 0]}}

    inner_layers = [
        layer('InputLayer', {'batch_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'encoder_input'}),
        layer('LSTM', lstm_config('lstm', U), [None, T, F]),
        layer('Dense', dense_config('dense', H, 'tanh'), [None, U]),
    ]
    inner_layers[0]['config'].pop('trainable')
    inner_layers[0]['config']['dtype'] = 'float32'
    encoder = model_entry('Sequential', {'name': 'encoder', 'trainable': True, 'dtype': policy(), 'layers': inner_layers, 'build_input_shape': [None, T, F]})
    encoder['build_config'] = {'input_shape': [None, T, F]}
    layers = [
        {**layer('InputLayer', {'batch_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer'}), 'name': 'input_layer', 'inbound_nodes': []},
        {**encoder, 'name': 'encoder', 'inbound_nodes': [{'args': [tensor('input_layer', [None, T, F])], 'kwargs': {}}]},
        {**layer('Dense', dense_config('dense_1', D, 'linear'), [None, H]), 'name': 'dense_1', 'inbound_nodes': [{'args': [tensor('encoder', [None, H])], 'kwargs': {}}]},
    ]
    layers[0]['config'].pop('trainable')
    layers[0]['config']['dtype'] = 'float32'
    config = model_entry('Functional', {'name': 'functional', 'trainable': True, 'layers': layers,
                                        'input_layers': [['input_layer', 0, 0]], 'output_layers': [['dense_1', 0, 0]]})
    groups = [
        ('', 'functional', []),
        ('layers/input_layer', 'input_layer', []),
        ('layers/sequential', 'encoder', []),
        ('layers/sequential/layers/lstm', 'lstm', []), ('layers/sequential/layers/lstm/cell', 'lstm_cell', [k, rk, b]),
        ('layers/sequential/layers/dense', 'dense', [ik, ib]),
        ('layers/dense', 'dense_1', [ok, ob]),
    ]
    x = rng.uniform(-1, 1, size=(2, T, F))
    _, last = lstm(x, None, k, rk, b, U)
    y = np.tanh(last @ ik + ib) @ ok + ob
    write_keras(os.path.join(OUT, 'keras3-functional-nested.keras'), config, groups)
    return {'input': x.tolist(), 'inputShape': list(x.shape), 'output': y.tolist()}


if __name__ == '__main__':
    expected = {'kerasVersion': KERAS_VERSION, 'sequential-lstm': sequential_lstm(), 'functional-gru': functional_gru(), 'sequential-conv-gru': sequential_conv_gru(), 'functional-nested': functional_nested()}
    dense_gzip()
    with open(os.path.join(OUT, 'keras3-expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    print('wrote', ', '.join(sorted(os.listdir(OUT))[:0]) or 'keras3-*.keras and keras3-expected.json')
