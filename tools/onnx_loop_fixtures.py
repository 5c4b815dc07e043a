#!/usr/bin/python3
"""ONNX import fixtures: tf2onnx's Loop form of Keras recurrent layers, built by hand.

    /usr/bin/python3 tools/onnx_loop_fixtures.py [--print]

Writes test/fixtures/onnx-loop/<name>.onnx. When tf2onnx (1.14-1.17) cannot rewrite a Keras
LSTM / GRU / SimpleRNN's TensorFlow while-loop into an ONNX LSTM / GRU / RNN op, it writes an
ONNX Loop whose body is the Keras cell step. The graphs below copy, node for node, the
structures of such files published on GitHub (tf2onnx 1.16.1 and 1.17.0, opsets 13 and 15):

- the body's loop-carried values are tf2onnx's: an int32 step counter (its TensorArray read
  index), the states (h, or h and c), the weights passed through unchanged; one scan output,
  the step's h (TensorListSetItem as an Identity); the condition `counter + 1 < T and
  iteration < T` computed in float (Cast, Less, And);
- x_t is read inside the body by Gather(x time-major, counter) from the outer graph;
- LSTM: x·W + h·R, + b, Split into 4 (Keras i, f, c, o), activations as Keras has them;
  GRU (Keras 3, reset_after): bias [2, 3H] Split and Squeezed, x·W + b0 Split into 3, h·R +
  b1 Sliced into 3, z, r, h~ = tanh(x_h + r · (h·R)_h), h' = z·h + (1 - z)·h~; tf.keras's
  reset_after=False GRU (not seen published; from its GRUCell code): bias [3H], h·R[:, :2H],
  h~ = tanh(x_h + (r · h)·R[:, 2H:]);
  SimpleRNN: tanh(x·W + b + h·R);
- the zero initial states are Expand(0, [Shape(x)[0], H]) (dynamic batch), or with a batch
  fixed to 1 a [1, H] zeros initializer, the time-major transposes Reshapes ([1, T, F] →
  [T, 1, F]) and h·R fed to a Gemm as C after a Squeeze (all as tf2onnx writes at batch 1);
- return_sequences false: Slice(seq, -1:) then Squeeze(0) of the scan output, or the final
  state (the Loop's carried h output).

Tampered variants (a swapped gate, an extra op, a mask select, an early-stopping condition,
an output that depends on the step number, a non-zero initial state, a Loop in the body) must
be refused by loadOnnx. test/onnxLoop.test.ts runs every model with onnxruntime-node and
compares loadOnnx + predict with it. Weights are seeded; files are a few KB.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'onnx-loop')
rng = np.random.default_rng(2024)


def f32(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


class G:
    """A graph under construction (nodes, initializers), with tf2onnx-like names."""

    def __init__(self, prefix):
        self.nodes, self.inits, self.prefix, self.n = [], [], prefix, 0

    def name(self, what):
        self.n += 1
        return f'{self.prefix}/{what}_{self.n}'

    def init(self, what, arr):
        nm = self.name(what) + ':0'
        self.inits.append(numpy_helper.from_array(np.asarray(arr), nm))
        return nm

    def op(self, op_type, inputs, n_out=1, what=None, **attrs):
        nm = self.name(what or op_type)
        outs = [f'{nm}:{k}' for k in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=nm, **attrs))
        return outs if n_out > 1 else outs[0]


def cell_body(kind, pre, xs_name, T, F, H, batch1=False, act='Tanh', rec='Sigmoid', tamper=None):
    """The body graph of one Loop; returns (body, weight arrays in body-input order)."""
    b = G(f'{pre}/while')
    B = 1 if batch1 else 'unk'
    it = helper.make_tensor_value_info(f'{pre}_while_loop_counter:0', TensorProto.INT64, [])
    cond = helper.make_tensor_value_info(f'{pre}_cond:0', TensorProto.BOOL, [])
    ctr = helper.make_tensor_value_info(f'{pre}_while_placeholder:0', TensorProto.INT32, [])
    hs = helper.make_tensor_value_info(f'{pre}_while_placeholder_2:0', TensorProto.FLOAT, [B, H])
    states = [hs]
    reset_before = kind == 'GRU0'  # Keras GRU(reset_after=False): bias [3H], (r ⊙ h)·R_h
    if reset_before:
        kind = 'GRU'
    if kind == 'LSTM':
        states.append(helper.make_tensor_value_info(f'{pre}_while_placeholder_3:0', TensorProto.FLOAT, [B, H]))
    G_ = {'LSTM': 4, 'GRU': 3, 'RNN': 1}[kind]
    W, R = f32(F, G_ * H), f32(H, G_ * H)
    bias = f32(2, G_ * H, scale=0.3) if kind == 'GRU' and not reset_before else f32(G_ * H, scale=0.3)
    wins = [helper.make_tensor_value_info(f'{pre}_while_{k}_readvariableop_resource_0:0', TensorProto.FLOAT, list(a.shape)) for k, a in (('cast', W), ('cast_1', R), ('bias', bias))]
    Wn, Rn, bn = (v.name for v in wins)
    h = hs.name
    one = b.init('add/y', np.array(1, np.int32))
    ctr2 = b.op('Add', [ctr.name, one], what='add')
    xt = b.op('Gather', [xs_name, ctr.name], what='TensorArrayV2Read/TensorListGetItem')
    if kind == 'LSTM':
        c = states[1].name
        hr = b.op('MatMul', [h, Rn], what='lstm_cell/MatMul_1')
        if batch1:
            # tf2onnx at batch 1: h·R squeezed to [4H] and fed to a Gemm as C, then + b.
            sq = b.op('Squeeze', [hr], what='lstm_cell/Squeeze')
            s = b.op('Gemm', [xt, Wn, sq], what='lstm_cell/MatMul_Gemm', transA=0, transB=0)
        else:
            xw = b.op('MatMul', [xt, Wn], what='lstm_cell/MatMul')
            s = b.op('Add', [xw, hr], what='lstm_cell/add')
        sb = b.op('Add', [s, bn], what='lstm_cell/BiasAdd')
        i_, f_, g_, o_ = b.op('Split', [sb], n_out=4, what='lstm_cell/split', axis=1)
        if tamper == 'swap':
            f_, g_ = g_, f_  # forget and candidate blocks exchanged: not Keras's i, f, c, o
        gi = b.op(rec, [i_], what='lstm_cell/Sigmoid')
        gf = b.op(rec, [f_], what='lstm_cell/Sigmoid_1')
        gg = b.op(act, [g_], what='lstm_cell/Tanh')
        go = b.op(rec, [o_], what='lstm_cell/Sigmoid_2')
        c2 = b.op('Add', [b.op('Mul', [gf, c], what='lstm_cell/mul'), b.op('Mul', [gi, gg], what='lstm_cell/mul_1')], what='lstm_cell/add_1')
        h2 = b.op('Mul', [go, b.op(act, [c2], what='lstm_cell/Tanh_1')], what='lstm_cell/mul_2')
        new_states = [h2, c2]
    elif reset_before:
        # tf.keras GRUCell, reset_after=False: x·W + b split in 3; h·R[:, :2H] split in 2; (r ⊙ h)·R[:, 2H:]
        xz, xr, xh = b.op('Split', [b.op('Add', [b.op('MatMul', [xt, Wn], what='gru_cell/MatMul'), bn], what='gru_cell/BiasAdd')], n_out=3, what='gru_cell/split', axis=1)
        def rk(lo, hi):
            return b.op('Slice', [Rn, b.init('starts', np.array([0, lo], np.int64)), b.init('ends', np.array([2147483647, hi], np.int64)), b.init('axes', np.array([0, 1], np.int64))], what='gru_cell/strided_slice')
        rz, rr = b.op('Split', [b.op('MatMul', [h, rk(0, 2 * H)], what='gru_cell/MatMul_1')], n_out=2, what='gru_cell/split_1', axis=1)
        z = b.op(rec, [b.op('Add', [xz, rz], what='gru_cell/add')], what='gru_cell/Sigmoid')
        r = b.op(rec, [b.op('Add', [xr, rr], what='gru_cell/add_1')], what='gru_cell/Sigmoid_1')
        rh = b.op('MatMul', [b.op('Mul', [r, h], what='gru_cell/mul'), rk(2 * H, 3 * H)], what='gru_cell/MatMul_2')
        hh = b.op(act, [b.op('Add', [xh, rh], what='gru_cell/add_2')], what='gru_cell/Tanh')
        onef = b.init('sub/x', np.array(1, np.float32))
        h2 = b.op('Add', [b.op('Mul', [z, h], what='gru_cell/mul_1'), b.op('Mul', [b.op('Sub', [onef, z], what='gru_cell/sub'), hh], what='gru_cell/mul_2')], what='gru_cell/add_3')
        new_states = [h2]
    elif kind == 'GRU':
        b0, b1 = b.op('Split', [bn], n_out=2, what='gru_cell/split', axis=0)
        ax0 = b.init('axes_const', np.array([0], np.int64))
        xw = b.op('Add', [b.op('MatMul', [xt, Wn], what='gru_cell/MatMul'), b.op('Squeeze', [b0, ax0], what='gru_cell/Squeeze')], what='gru_cell/BiasAdd')
        xz, xr, xh = b.op('Split', [xw], n_out=3, what='gru_cell/split_1', axis=-1)
        hr = b.op('Add', [b.op('MatMul', [h, Rn], what='gru_cell/MatMul_1'), b.op('Squeeze', [b1, ax0], what='gru_cell/Squeeze_1')], what='gru_cell/add')

        def sl(lo, hi):
            return b.op('Slice', [hr, b.init('starts', np.array([0, lo], np.int64)), b.init('ends', np.array([2147483647, hi], np.int64)), b.init('axes', np.array([0, 1], np.int64))], what='gru_cell/strided_slice')

        rz, rr, rh = sl(0, H), sl(H, 2 * H), sl(2 * H, 2147483647)
        z = b.op(rec, [b.op('Add', [xz, rz], what='gru_cell/add_1')], what='gru_cell/Sigmoid')
        r = b.op(rec, [b.op('Add', [xr, rr], what='gru_cell/add_2')], what='gru_cell/Sigmoid_1')
        if tamper == 'swap':
            z, r = r, z
        hh = b.op(act, [b.op('Add', [xh, b.op('Mul', [r, rh], what='gru_cell/mul')], what='gru_cell/add_3')], what='gru_cell/Tanh')
        onef = b.init('sub/x', np.array(1, np.float32))
        h2 = b.op('Add', [b.op('Mul', [z, h], what='gru_cell/mul_1'), b.op('Mul', [b.op('Sub', [onef, z], what='gru_cell/sub'), hh], what='gru_cell/mul_2')], what='gru_cell/add_4')
        new_states = [h2]
    else:
        xw = b.op('Add', [b.op('MatMul', [xt, Wn], what='simple_rnn_cell/MatMul'), bn], what='simple_rnn_cell/BiasAdd')
        h2 = b.op(act, [b.op('Add', [xw, b.op('MatMul', [h, Rn], what='simple_rnn_cell/MatMul_1')], what='simple_rnn_cell/add')], what='simple_rnn_cell/Tanh')
        new_states = [h2]
    if tamper == 'extra':
        new_states[0] = b.op('Mul', [new_states[0], b.init('scale', np.array(1.5, np.float32))], what='extra/mul')
    if tamper == 'nested':
        # h' through a one-step Loop of its own (a graph two levels down, which loadOnnx does not decode)
        ib = helper.make_graph([helper.make_node('Identity', ['ic'], ['ic2']), helper.make_node('Identity', ['iv'], ['iv2'])], 'inner',
                               [helper.make_tensor_value_info('ii', TensorProto.INT64, []), helper.make_tensor_value_info('ic', TensorProto.BOOL, []), helper.make_tensor_value_info('iv', TensorProto.FLOAT, [B, H])],
                               [helper.make_tensor_value_info('ic2', TensorProto.BOOL, []), helper.make_tensor_value_info('iv2', TensorProto.FLOAT, [B, H])])
        new_states[0] = b.op('Loop', [b.init('one', np.array(1, np.int64)), '', new_states[0]], what='inner_loop', body=ib)
    if tamper == 'stepdep':
        # h' + 0 · counter: equal to the cell at every step, but a function of the step number
        new_states[0] = b.op('Add', [new_states[0], b.op('Mul', [b.op('Cast', [ctr.name], what='stepdep/cast', to=1), b.init('zero', np.array(0, np.float32))], what='stepdep/mul')], what='stepdep/add')
    if tamper == 'mask':
        # a Where on a step mask read from the outer graph, as a Masking layer's body has (here a constant mask)
        m = b.op('Gather', [b.init('mask', np.ones((T, 1, 1), bool)), ctr.name], what='TensorArrayV2Read_1/TensorListGetItem')
        new_states[0] = b.op('Where', [m, new_states[0], h], what='Select')
    scan = b.op('Identity', [new_states[0]], what='TensorArrayV2Write/TensorListSetItem')
    limit = b.init('const_fold_opt', np.array(T - 1 if tamper == 'early' else T, np.float32))
    l1 = b.op('Less', [b.op('Cast', [ctr2], what='Less_cast', to=1), limit], what='Less')
    l2 = b.op('Less', [b.op('Cast', [it.name], what='Less_1_cast', to=1), b.init('const_fold_opt', np.array(T, np.float32))], what='Less_1')
    cond2 = b.op('And', [l2, l1], what='LogicalAnd')
    outs = [cond2, ctr2, *new_states, Wn, Rn, bn, scan]
    vi = lambda n, t, s: helper.make_tensor_value_info(n, t, s)  # noqa: E731
    outputs = [vi(cond2, TensorProto.BOOL, []), vi(ctr2, TensorProto.INT32, [])] + [vi(s, TensorProto.FLOAT, [B, H]) for s in new_states] + [vi(n, TensorProto.FLOAT, list(a.shape)) for n, a in ((Wn, W), (Rn, R), (bn, bias))] + [vi(scan, TensorProto.FLOAT, [B, H])]
    body = helper.make_graph(b.nodes, f'{pre}_while_body', [it, cond, ctr, *states, *wins], outputs, initializer=b.inits)
    return body, (W, R, bias), len(states)


def rec_layer(g, kind, pre, x, T, F, H, batch1=False, init_h=None, **kw):
    """A Keras layer as tf2onnx's Loop: x [B, T, F] → (scan [T, B, H], final states)."""
    if batch1:
        xs = g.op('Reshape', [x, g.init('new_shape', np.array([T, 1, F], np.int64))], what=f'{pre}/transpose')
        zeros = g.init(f'{pre}/zeros', np.zeros((1, H), np.float32))
    else:
        xs = g.op('Transpose', [x], what=f'{pre}/transpose', perm=[1, 0, 2])
        shp = g.op('Cast', [g.op('Shape', [x], what=f'{pre}/Shape')], what=f'{pre}/Shape_cast', to=6)
        bsz = g.op('Slice', [shp, g.init('starts', np.array([0], np.int64)), g.init('ends', np.array([1], np.int64)), g.init('axes', np.array([0], np.int64))], what=f'{pre}/strided_slice')
        dims = g.op('Cast', [g.op('Concat', [bsz, g.init('units', np.array([H], np.int32))], what=f'{pre}/zeros/packed', axis=0)], what=f'{pre}/zeros_cast', to=7)
        zeros = g.op('Expand', [g.init('zero', np.array(0, np.float32)), dims], what=f'{pre}/zeros')
    body, (W, R, bias), S = cell_body(kind, pre, xs, T, F, H, batch1=batch1, **kw)
    M = g.init(f'{pre}/Max', np.array(T, np.int64))
    c0 = g.op('And', [g.op('Less', [g.init('zero', np.array(0, np.float32)), g.init('T', np.array(T, np.float32))], what=f'{pre}/while/Less'), g.init('true', np.array(True))], what=f'{pre}/while/LogicalAnd')
    ins = [M, c0, g.init(f'{pre}/while/loop_counter', np.array(0, np.int32))] + [zeros if init_h is None else g.init(f'{pre}/h0', init_h)] * S + [g.init(f'{pre}/kernel', W), g.init(f'{pre}/recurrent_kernel', R), g.init(f'{pre}/bias', bias)]
    outs = g.op('Loop', ins, n_out=1 + S + 3 + 1, what=f'{pre}/while_loop', body=body)
    return outs[-1], outs[1:1 + S]


def last_step(g, pre, seq):
    sl = g.op('Slice', [seq, g.init('starts', np.array([-1], np.int64)), g.init('ends', np.array([2147483647], np.int64)), g.init('axes', np.array([0], np.int64))], what=f'{pre}/strided_slice_3')
    return g.op('Squeeze', [sl, g.init('axes', np.array([0], np.int64))], what=f'{pre}/strided_slice_3_squeeze')


def crop_last(g, pre, x, k):
    """x[:, -k:] of a [B, T, F] value, as tf2onnx writes a Keras Lambda's strided slice."""
    return g.op('Slice', [x, g.init('starts', np.array([0, -k, 0], np.int64)), g.init('ends', np.array([2147483647] * 3, np.int64)), g.init('axes', np.array([0, 1, 2], np.int64))], what=f'{pre}/strided_slice')


def dense(g, pre, x, n_in, n_out, act=None):
    y = g.op('Add', [g.op('MatMul', [x, g.init(f'{pre}/kernel', f32(n_in, n_out))], what=f'{pre}/MatMul'), g.init(f'{pre}/bias', f32(n_out, scale=0.1))], what=f'{pre}/BiasAdd')
    return g.op(act, [y], what=f'{pre}/{act}') if act else y


def model(name, build, rank=2, T=5, F=3, batch1=False, opset=13):
    g = G('sequential')
    x = 'input'
    y = build(g, x)
    out = g.op('Identity', [y], what='output')
    B = 1 if batch1 else 'batch'
    graph = helper.make_graph(g.nodes, name, [helper.make_tensor_value_info(x, TensorProto.FLOAT, [B, T, F])], [helper.make_tensor_value_info(out, TensorProto.FLOAT, [f'd{k}' for k in range(rank)])], initializer=g.inits)
    m = helper.make_model(graph, producer_name='rnnkit onnx_loop_fixtures.py (tf2onnx Loop form)', opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    if '--print' in sys.argv:
        print(onnx.helper.printable_graph(m.graph))
    onnx.save(m, os.path.join(OUT, f'{name}.onnx'))


def tm_to_bm(g, pre, seq):
    return g.op('Transpose', [seq], what=f'{pre}/transpose_1', perm=[1, 0, 2])


def main():
    os.makedirs(OUT, exist_ok=True)
    F, H = 3, 4
    # LSTM returning sequences, then a Dense per step.
    model('lstm_seq', lambda g, x: dense(g, 'dense', tm_to_bm(g, 'lstm', rec_layer(g, 'LSTM', 'lstm', x, 5, F, H)[0]), H, 2), rank=3, T=5)
    # LSTM with relu activation, last output (Slice -1: of the scan), Dense sigmoid.
    model('lstm_relu_last', lambda g, x: dense(g, 'dense', last_step(g, 'lstm', rec_layer(g, 'LSTM', 'lstm', x, 7, F, H, act='Relu')[0]), H, 1, 'Sigmoid'), T=7)
    # Stacked Keras 3 GRUs: the second's final state from the Loop's carried h.
    model('gru_stack', lambda g, x: dense(g, 'dense', rec_layer(g, 'GRU', 'gru_1', tm_to_bm(g, 'gru', rec_layer(g, 'GRU', 'gru', x, 4, F, H)[0]), 4, H, 3)[1][0], 3, 2), T=4)
    # SimpleRNN returning sequences, one step long.
    model('simple_rnn_seq', lambda g, x: tm_to_bm(g, 'simple_rnn', rec_layer(g, 'RNN', 'simple_rnn', x, 1, F, H)[0]), rank=3, T=1)

    # Batch fixed to 1 (tf2onnx's Reshape transposes, Gemm with a squeezed h·R), two stacked LSTMs, opset 15.
    def batch1(g, x):
        s1, _ = rec_layer(g, 'LSTM', 'lstm', x, 6, F, H, batch1=True)
        # tf2onnx's Reshape of the first scan output [T, 1, H] to [T, 1, H] (its transpose pair folded)
        s2, _ = rec_layer(g, 'LSTM', 'lstm_1', s1, 6, H, 3, batch1=True)
        return dense(g, 'dense', last_step(g, 'lstm_1', s2), 3, 1)
    model('lstm_batch1_stack', batch1, batch1=True, opset=15, T=6)
    # Refused: a swapped gate, an extra op on h, a mask select, a condition that stops a step early.
    T = 5
    model('bad_lstm_swap', lambda g, x: last_step(g, 'lstm', rec_layer(g, 'LSTM', 'lstm', x, T, F, H, tamper='swap')[0]))
    model('bad_gru_swap', lambda g, x: last_step(g, 'gru', rec_layer(g, 'GRU', 'gru', x, T, F, H, tamper='swap')[0]))
    model('bad_lstm_extra', lambda g, x: last_step(g, 'lstm', rec_layer(g, 'LSTM', 'lstm', x, T, F, H, tamper='extra')[0]))
    model('bad_rnn_mask', lambda g, x: last_step(g, 'simple_rnn', rec_layer(g, 'RNN', 'simple_rnn', x, T, F, H, tamper='mask')[0]))
    model('bad_lstm_early', lambda g, x: rec_layer(g, 'LSTM', 'lstm', x, T, F, H, tamper='early')[1][0])
    model('bad_rnn_nested', lambda g, x: last_step(g, 'simple_rnn', rec_layer(g, 'RNN', 'simple_rnn', x, T, F, H, tamper='nested')[0]))
    # tf.keras GRU(reset_after=False), last output.
    model('gru_reset_before_last', lambda g, x: last_step(g, 'gru', rec_layer(g, 'GRU0', 'gru', x, 6, F, H)[0]), T=6)
    model('bad_lstm_stepdep', lambda g, x: last_step(g, 'lstm', rec_layer(g, 'LSTM', 'lstm', x, T, F, H, tamper='stepdep')[0]))
    model('bad_rnn_init', lambda g, x: last_step(g, 'simple_rnn', rec_layer(g, 'RNN', 'simple_rnn', x, T, F, H, init_h=np.full((1, H), 0.25, np.float32))[0]))
    # A Keras Lambda x[:, -5:] before the GRU (as a published tf2onnx 1.17 file has): the Loop's input
    # length is not declared anywhere; the importer follows it through the crop.
    model('gru_after_crop', lambda g, x: dense(g, 'dense', last_step(g, 'gru', rec_layer(g, 'GRU', 'gru', crop_last(g, 'lambda', x, 5), 5, F, H)[0]), H, 2), T=7)
    # The same with a trip count of 3 over a crop of 4 steps: a GRU over the first 3 of them, no Keras layer.
    model('bad_gru_crop_trips', lambda g, x: last_step(g, 'gru', rec_layer(g, 'GRU', 'gru', crop_last(g, 'lambda', x, 4), 3, F, H)[0]), T=5)


if __name__ == '__main__':
    main()
