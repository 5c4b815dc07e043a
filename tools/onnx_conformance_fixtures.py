#!/usr/bin/python3
"""ONNX's own backend conformance cases for LSTM, GRU and RNN, as importable models.

    /usr/bin/python3 tools/onnx_conformance_fixtures.py [--print]

Debian's python3-onnx ships the generators of ONNX's backend node tests (not their data):
onnx/backend/test/case/node/{lstm,gru,rnn}.py, each an `export_*` per case (defaults,
initial_bias, peepholes, seq_length, batchwise) calling `expect(node, inputs, outputs, name)`,
with numpy reference implementations (LSTM_Helper, GRU_Helper, RNN_Helper). This script runs
those generators with `expect` replaced by a recorder (their code is imported, not copied), and
for each case writes test/fixtures/onnx-conformance/<name>.onnx: the case's node with the same
attributes, W / R / B (and sequence_lens, initial_h, initial_c, P where the case has them) as
initializers holding the case's arrays, X the only graph input (time and batch axes symbolic).
<name>.json holds runs: the case's own X with ONNX's reference outputs, and a second X (other
batch size and length; same batch size where the case's initial states fix it) with outputs
from the same helper. The case outputs are recomputed with the helper too, and the script exits
non-zero unless that matches ONNX's (so the parameters handed to the helper are the case's).

Variants, computed with the same helpers:
  <lstm case>_randw seeded random W, R, B (ONNX's LSTM cases give every gate the same weights,
                    so a gate order mix-up would pass them);
  <gru case>_lbr1   the GRU case with linear_before_reset = 1 (the cases use ONNX's default 0);
  <case>_y          the node with outputs Y and Y_h (the layout-0 cases output Y_h only).
Two quirks of the helpers with layout = 1, both invisible in ONNX's batchwise cases (their
length is 1): they size the default zero states by X.shape[1], the time axis there (given
explicit zeros here), and take Y_h as Y[:, :, -1, :] (the whole sequence; Y[:, -1] here).
Not made: direction 'reverse' and 'bidirectional' — the helpers ignore `direction` and raise
NotImplementedError for two directions, so there is no ONNX reference for them.

Every file passes onnx.checker (full check). Seeded (the seq_length cases draw weights with
np.random): reproducible byte for byte with the same numpy / onnx (Debian python3-numpy 1.24,
python3-onnx 1.12). Opset 14 (the first with `layout`).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.backend.test.case.node import gru, lstm, rnn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-conformance')
SEED = 20240
OPSET = 14
OPS = {'LSTM': (lstm, lstm.LSTM, lstm.LSTM_Helper), 'GRU': (gru, gru.GRU, gru.GRU_Helper), 'RNN': (rnn, rnn.RNN, rnn.RNN_Helper)}
# Inputs of the recurrent ops by position, as the helpers name them (sequence_lens: the helpers take none).
INPUT_NAMES = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P']


def record_cases():
    """Every export_* of the three case modules, with expect() recording instead of writing."""
    cases = []
    for op, (module, cls, _) in OPS.items():
        saved = module.expect

        def recorder(node, inputs, outputs, name, **_kw):
            cases.append({'op': op, 'node': node, 'inputs': inputs, 'outputs': outputs, 'case': name})

        module.expect = recorder
        try:
            for attr in sorted(a for a in dir(cls) if a.startswith('export')):
                np.random.seed(SEED)
                getattr(cls, attr)()
        finally:
            module.expect = saved
    return cases


def attrs_of(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def reference(op, arrays, attrs, x):
    """(Y, Y_h) from ONNX's helper for input x, the case's weights and the attributes the helper reads."""
    params = {k: np.array(v, copy=True) for k, v in arrays.items() if k not in ('X', 'sequence_lens')}
    params['X'] = x
    for k in ('layout', 'linear_before_reset'):
        if k in attrs:
            params[k] = attrs[k]
    unread = set(attrs) - {'hidden_size', 'layout', 'linear_before_reset'}
    assert not unread, f'the helper does not read {unread}'
    layout = attrs.get('layout', 0)
    B = x.shape[0 if layout else 1]
    if layout and 'initial_h' not in params and x.shape[1] not in (1, B):
        # The helpers size their default zero states by X.shape[1] before undoing layout 1 (the
        # time axis there), which broadcasts only when that is 1 or the batch size: give them
        # the zeros they mean, in the dtype their defaults have.
        H = params['R'].shape[-1]
        zeros = np.zeros((1, B, H), dtype=np.float64 if op == 'GRU' else np.float32)
        params['initial_h'] = zeros
        if op == 'LSTM':
            params['initial_c'] = zeros.copy()
    if 'sequence_lens' in arrays:
        # The helpers take no lengths: only full-length sequences have a reference.
        assert (arrays['sequence_lens'] == x.shape[1 if layout else 0]).all()
    y, y_h = OPS[op][2](**params).step()
    if layout:
        # With layout 1 the helpers take Y_h as Y[:, :, -1, :] of Y [B, T, D, H]: the last
        # direction's whole sequence, which is the final state only when T = 1 (as in ONNX's
        # batchwise cases). The final state is Y[:, -1] ([B, D, H]); the same where T = 1.
        if y.shape[1] == 1:
            assert np.array_equal(y_h, y[:, -1]), 'layout 1, T = 1: Y_h'
        y_h = y[:, -1]
    return y.astype(np.float32), y_h.astype(np.float32)


def tensor_json(a):
    a = np.asarray(a, dtype=np.float32)
    return {'dims': list(a.shape), 'data': [float(v) for v in a.reshape(-1)]}


def build(name, op, node, arrays, outputs):
    """The node with every input but X as an initializer; X and the outputs with symbolic time and batch axes."""
    layout = attrs_of(node).get('layout', 0)
    inits = [numpy_helper.from_array(arrays[INPUT_NAMES[i]], nm) for i, nm in enumerate(node.input) if i > 0 and nm != '']
    I = arrays['X'].shape[2]
    H = attrs_of(node)['hidden_size']
    tb = ['batch', 'seq'] if layout else ['seq', 'batch']
    x = helper.make_tensor_value_info('X', TensorProto.FLOAT, [*tb, I])
    shapes = {'Y': ['seq', 1, 'batch', H] if not layout else ['batch', 'seq', 1, H], 'Y_h': [1, 'batch', H] if not layout else ['batch', 1, H], 'Y_c': [1, 'batch', H] if not layout else ['batch', 1, H]}
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o]) for o in outputs]
    graph = helper.make_graph([node], name, [x], outs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='onnx_conformance_fixtures.py')
    onnx.checker.check_model(model, full_check=True)
    return model


def fixture(name, case, node, arrays, runs_x, outputs, note):
    op = case['op']
    attrs = attrs_of(node)
    runs = []
    for x in runs_x:
        y, y_h = reference(op, arrays, attrs, x)
        got = {'Y': y, 'Y_h': y_h}
        runs.append({'X': tensor_json(x), **{o: tensor_json(got[o]) for o in outputs}})
    model = build(name, op, node, arrays, outputs)
    meta = {
        'name': name,
        'onnxCase': case['case'],
        'note': note,
        'op': op,
        'opset': OPSET,
        'attributes': {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()},
        'inputs': [nm for nm in node.input if nm != ''],
        'layout': attrs.get('layout', 0),
        'outputs': outputs,
        'runs': runs,
    }
    return model, meta


def main():
    np.random.seed(SEED)
    rng = np.random.default_rng(SEED)
    os.makedirs(OUT, exist_ok=True)
    written = []
    for case in record_cases():
        node = case['node']
        op = case['op']
        arrays = {INPUT_NAMES[i]: v for i, v in zip([i for i, nm in enumerate(node.input) if nm != ''], case['inputs'])}
        outputs = [o for o in node.output if o != '']
        assert all(o in ('Y', 'Y_h') for o in outputs), outputs
        attrs = attrs_of(node)
        layout = attrs.get('layout', 0)
        # The helper on the case's own input must give ONNX's outputs: the parameters are the case's.
        y, y_h = reference(op, arrays, attrs, arrays['X'])
        mine = {'Y': y, 'Y_h': y_h}
        for o, want in zip(outputs, case['outputs']):
            if not np.array_equal(mine[o], want):
                sys.exit(f"{case['case']}: the helper's {o} differs from the case's by {np.abs(mine[o] - want).max()}")
        x = arrays['X']
        T, B, I = (x.shape[1], x.shape[0], x.shape[2]) if layout else x.shape
        fixed_batch = any(k in arrays for k in ('initial_h', 'initial_c', 'sequence_lens'))
        T2, B2 = T + 4, (B if fixed_batch else (2 if B != 2 else 4))
        x2 = rng.standard_normal((B2, T2, I) if layout else (T2, B2, I)).astype(np.float32)
        if fixed_batch and 'sequence_lens' in arrays:
            x2 = x2[:, :T] if layout else x2[:T]  # its lengths are fixed too
        base = case['case'].removeprefix('test_')
        # The case's own outputs in its run are ONNX's (checked equal to the helper's above).
        model, meta = fixture(base, case, node, arrays, [x, x2], outputs, 'ONNX backend case as generated')
        written.append((model, meta))
        variants = []
        if op == 'LSTM' and 'P' not in arrays:
            # ONNX's LSTM cases have every weight equal (and one bias for all gates), so the gates
            # are interchangeable there: seeded random W, R (and B where the case has one), same
            # node, make their order matter.
            wa = dict(arrays)
            for k in ('W', 'R', 'B'):
                if k in arrays:
                    wa[k] = (0.5 * rng.standard_normal(arrays[k].shape)).astype(np.float32)
            variants.append((f'{base}_randw', node, outputs, 'seeded random W, R, B (the case has equal weights for every gate)', wa))
        if op == 'GRU':
            n2 = onnx.NodeProto()
            n2.CopyFrom(node)
            n2.attribute.append(helper.make_attribute('linear_before_reset', 1))
            variants.append((f'{base}_lbr1', n2, outputs, 'linear_before_reset = 1 (the case has ONNX default 0)', arrays))
        for vname, vnode, vouts, note, va in list(variants) + [(base, node, outputs, None, arrays)]:
            if layout == 0 and vouts == ['Y_h'] and 'P' not in arrays:
                n3 = onnx.NodeProto()
                n3.CopyFrom(vnode)
                del n3.output[:]
                n3.output.extend(['Y', 'Y_h'])
                variants.append((f'{vname}_y', n3, ['Y', 'Y_h'], (note + '; ' if note else '') + 'outputs Y and Y_h (the case outputs Y_h only)', va))
        for vname, vnode, vouts, note, va in variants:
            written.append(fixture(vname, case, vnode, va, [x, x2], vouts, note))
    for model, meta in written:
        onnx.save(model, os.path.join(OUT, f"{meta['name']}.onnx"))
        with open(os.path.join(OUT, f"{meta['name']}.json"), 'w') as f:
            json.dump(meta, f, indent=None, separators=(',', ':'))
            f.write('\n')
        if '--print' in sys.argv:
            print(onnx.helper.printable_graph(model.graph))
    print(f'{len(written)} fixtures in {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
