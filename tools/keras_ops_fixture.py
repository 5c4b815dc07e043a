#!/usr/bin/python3
"""Builds the fixtures of test/kerasOps.test.ts without Keras or TensorFlow: a Keras 3 `.keras`
file and a tf.keras 2 `.h5` file whose graphs hold tensor ops between layers, written with
the writers of tools/keras_fixture.py and tools/keras2_h5_fixture.py (imported, not edited).

- Keras 3 (keras/src/ops/numpy.py, nn.py; models/functional.py serialize_node): each op an
  entry {module: keras.src.ops.numpy, class_name: GetItem|Mean|Max|…, config: the
  constructor's arguments with defaults (Operation's auto-config), name, inbound_nodes:
  [{args, kwargs}]}; GetItem's key is its second argument, a slice serialized as
  {class_name: '__slice__', config: {start, stop, step}} (serialization_lib).
- tf.keras 2 (tf_keras/layers/core/tf_op_layer.py): TFOpLambda / SlicingOpLambda with
  config {name, trainable, dtype, function}; each inbound node is the first argument with
  the other arguments (named as the TensorFlow function's parameters) as kwargs: one tensor
  `[layer, node, tensor, kwargs]`, a list `[[…, kwargs], [… , kwargs]]`; slices as
  {start, stop, step} dicts; a second tensor operand a [layer, node, tensor] reference.

Expected outputs: float64 numpy of the same graphs, independently of rnnkit.

Run: /usr/bin/python3 tools/keras_ops_fixture.py  (needs python3-h5py, python3-numpy)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import keras_fixture as k3  # noqa: E402
import keras2_h5_fixture as k2  # noqa: E402

OUT = k3.OUT
rng = np.random.default_rng(77)
T, F, U = 5, 3, 4


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def keras3_ops():
    dk, db = rng.normal(0, 0.6, (F, U)).astype(np.float32), rng.normal(0, 0.3, U).astype(np.float32)

    def tensor(name, shape):
        return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': 'float32', 'keras_history': [name, 0, 0]}}

    def sl(start=None, stop=None, step=None):
        return {'class_name': '__slice__', 'config': {'start': start, 'stop': stop, 'step': step}}

    def op(cls, name, config, args, module='keras.src.ops.numpy'):
        return {'module': module, 'class_name': cls, 'config': {'name': name, **config}, 'registered_name': cls, 'name': name, 'inbound_nodes': [{'args': args, 'kwargs': {}}]}

    inp = {**k3.layer('InputLayer', {'batch_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_layer'}), 'name': 'input_layer', 'inbound_nodes': []}
    inp['config'].pop('trainable')
    inp['config']['dtype'] = 'float32'
    d = tensor('dense', [None, T, U])
    layers = [
        inp,
        {**k3.layer('Dense', k3.dense_config('dense', U, 'tanh'), [None, T, F]), 'name': 'dense', 'inbound_nodes': [{'args': [tensor('input_layer', [None, T, F])], 'kwargs': {}}]},
        op('GetItem', 'get_item', {}, [d, [sl(), -1]]),
        op('GetItem', 'get_item_1', {}, [d, [sl(), sl(1, 3), sl()]]),
        op('Mean', 'mean', {'axis': [1], 'keepdims': False}, [tensor('get_item_1', [None, 2, U])]),
        op('Max', 'max', {'axis': [1], 'keepdims': True, 'initial': None}, [d]),
        op('Squeeze', 'squeeze', {'axis': 1}, [tensor('max', [None, 1, U])]),
        op('Concatenate', 'concatenate', {'axis': -1}, [[tensor('get_item', [None, U]), tensor('mean', [None, U]), tensor('squeeze', [None, U])]]),
        op('ExpandDims', 'expand_dims', {'axis': 1}, [tensor('concatenate', [None, 3 * U])]),
        op('Reshape', 'reshape', {'newshape': [-1, 3, U]}, [tensor('expand_dims', [None, 1, 3 * U])]),
        op('Transpose', 'transpose', {'axes': [0, 2, 1]}, [tensor('reshape', [None, 3, U])]),
        op('Softmax', 'softmax', {'axis': -1}, [tensor('transpose', [None, U, 3])], 'keras.src.ops.nn'),
        op('GetItem', 'get_item_2', {}, [d, [sl(), sl(-2, None)]]),
    ]
    config = k3.model_entry('Functional', {'name': 'functional', 'trainable': True, 'layers': layers,
                                           'input_layers': [['input_layer', 0, 0]], 'output_layers': [['softmax', 0, 0], ['get_item_2', 0, 0]]})
    groups = [('', 'functional', []), ('layers/input_layer', 'input_layer', []), ('layers/dense', 'dense', [dk, db])]
    x = rng.uniform(-1, 1, size=(2, T, F))
    h = np.tanh(x @ dk.astype(np.float64) + db)
    c = np.concatenate([h[:, -1], h[:, 1:3].mean(1), h.max(1, keepdims=True).squeeze(1)], -1)
    y1 = softmax(np.transpose(np.expand_dims(c, 1).reshape(-1, 3, U), (0, 2, 1)))
    y2 = h[:, -2:]
    k3.write_keras(os.path.join(OUT, 'keras3-ops.keras'), config, groups)
    return {'input': x.tolist(), 'inputShape': list(x.shape), 'outputs': [y1.tolist(), y2.tolist()]}


def tfkeras2_ops():
    dk, db = rng.normal(0, 0.6, (F, U)).astype(np.float32), rng.normal(0, 0.3, U).astype(np.float32)
    full = {'start': None, 'stop': None, 'step': None}

    def tfop(fn, name, node, cls='TFOpLambda'):
        return {'class_name': cls, 'config': {'name': name, 'trainable': True, 'dtype': 'float32', 'function': fn}, 'name': name, 'inbound_nodes': [node]}

    dense = k2.k2_dense('dense', U, 'tanh', True)
    layers = [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, F], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'input_1'}, 'name': 'input_1', 'inbound_nodes': []},
        {**dense, 'name': 'dense', 'inbound_nodes': [[['input_1', 0, 0, {}]]]},
        tfop('__operators__.getitem', 'tf.__operators__.getitem', ['dense', 0, 0, {'slice_spec': [full, -1]}], 'SlicingOpLambda'),
        tfop('math.reduce_mean', 'tf.math.reduce_mean', ['dense', 0, 0, {'axis': 1, 'keepdims': False}]),
        tfop('math.reduce_max', 'tf.math.reduce_max', ['dense', 0, 0, {'axis': -2}]),
        tfop('__operators__.add', 'tf.__operators__.add', ['tf.__operators__.getitem', 0, 0, {'y': ['tf.math.reduce_mean', 0, 0], 'name': None}]),
        tfop('math.multiply', 'tf.math.multiply', ['tf.__operators__.add', 0, 0, {'y': ['tf.math.reduce_max', 0, 0], 'name': None}]),
        tfop('concat', 'tf.concat', [['tf.math.multiply', 0, 0, {'axis': -1, 'name': 'concat'}], ['tf.__operators__.getitem', 0, 0, {'axis': -1, 'name': 'concat'}]]),
        tfop('expand_dims', 'tf.expand_dims', ['tf.concat', 0, 0, {'axis': 1}]),
        tfop('reshape', 'tf.reshape', ['tf.expand_dims', 0, 0, {'shape': [-1, 2, U]}]),
        tfop('compat.v1.transpose', 'tf.compat.v1.transpose', ['tf.reshape', 0, 0, {'perm': [0, 2, 1]}]),
        tfop('nn.softmax', 'tf.nn.softmax', ['tf.compat.v1.transpose', 0, 0, {'axis': -1}]),
        tfop('__operators__.getitem', 'tf.__operators__.getitem_1', ['dense', 0, 0, {'slice_spec': [full, {'start': None, 'stop': 3, 'step': None}, {'class_name': '__ellipsis__'}]}], 'SlicingOpLambda'),
        tfop('math.reduce_mean', 'tf.math.reduce_mean_1', ['tf.__operators__.getitem_1', 0, 0, {'axis': 1, 'keepdims': True}]),
        tfop('squeeze', 'tf.compat.v1.squeeze', ['tf.math.reduce_mean_1', 0, 0, {'axis': 1}]),
    ]
    config = {'class_name': 'Functional', 'config': {'name': 'model', 'layers': layers, 'input_layers': [['input_1', 0, 0]], 'output_layers': [['tf.nn.softmax', 0, 0], ['tf.compat.v1.squeeze', 0, 0]]}}
    weights = [(l['name'], [('dense/kernel:0', dk), ('dense/bias:0', db)] if l['name'] == 'dense' else []) for l in layers]
    k2.write_h5(os.path.join(OUT, 'tfkeras2-ops.h5'), config, weights, '2.15.0', top_level=True)
    x = rng.uniform(-1, 1, size=(2, T, F))
    h = np.tanh(x @ dk.astype(np.float64) + db)
    m = (h[:, -1] + h.mean(1)) * h.max(1)
    c = np.concatenate([m, h[:, -1]], -1)
    y1 = softmax(np.transpose(np.expand_dims(c, 1).reshape(-1, 2, U), (0, 2, 1)))
    y2 = h[:, :3].mean(1, keepdims=True).squeeze(1)
    # The same graph with x[:, -1] - c (c a list: TensorFlow converts it to float32) in place of
    # x[:, -1] + mean: its config and outputs, for a test that loads it with the weights above.
    c = rng.normal(0, 1, U).astype(np.float32)
    shifted = json.loads(json.dumps(config))
    add = next(l for l in shifted['config']['layers'] if l['name'] == 'tf.__operators__.add')
    add['config']['function'] = 'math.subtract'
    add['inbound_nodes'] = [['tf.__operators__.getitem', 0, 0, {'y': c.tolist(), 'name': None}]]
    m2 = (h[:, -1] - c) * h.max(1)
    y1s = softmax(np.transpose(np.expand_dims(np.concatenate([m2, h[:, -1]], -1), 1).reshape(-1, 2, U), (0, 2, 1)))
    # The model_config too: the refusal tests edit it (test/kerasOps.test.ts).
    return {'input': x.tolist(), 'inputShape': list(x.shape), 'outputs': [y1.tolist(), y2.tolist()], 'config': config,
            'shifted': {'config': shifted, 'outputs': [y1s.tolist(), y2.tolist()]}}


if __name__ == '__main__':
    expected = {'keras3-ops.keras': keras3_ops(), 'tfkeras2-ops.h5': tfkeras2_ops()}
    with open(os.path.join(OUT, 'keras-ops-expected.json'), 'w') as f:
        json.dump(expected, f)
