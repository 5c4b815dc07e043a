#!/usr/bin/python3
"""Builds the Keras 3 `.keras` fixtures of test/kerasText.test.ts: models whose front is a
TextVectorization on a string input, as keras/src/saving/saving_lib.py (keras-team/keras,
Keras 3.16) saves them, written without Keras (Debian has no Keras 3 package) by
keras_fixture.py's writer:

- the layer's config as TextVectorization.get_config writes it (vocabulary null when it
  was adapted, vocabulary_size, encoding, ...), its string input an InputLayer of dtype
  "string";
- an adapted layer's vocabulary in assets/layers/text_vectorization/vocabulary.txt
  (IndexLookup.save_assets: the entries, special tokens first, joined by "\\n") and, as
  saving_lib also visits the StringLookup inside it, a copy under _lookup_layer/;
- a 'tf_idf' layer's weights in model.weights.h5 at layers/text_vectorization/vars/
  idf_weights (and the _lookup_layer copy).

The expected outputs are computed here from the texts, independently of rnnkit: the text
standardized as TensorFlow does (tf.strings.lower lowers ASCII letters only; Keras's
punctuation regex), split on ASCII whitespace, n-grams joined by one space, looked up in
the vocabulary, then the network in float64 numpy (keras_fixture.py's LSTM).

Run: /usr/bin/python3 tools/keras_text_fixture.py  (needs python3-h5py, python3-numpy)
"""
import json
import os
import re
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from keras_fixture import OUT, dense_config, init, layer, lstm, lstm_config, model_entry, policy, sigmoid, softmax, w, write_keras  # noqa: E402

PUNCT = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']')
ASCII_LOWER = str.maketrans('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')

TRAIN = [
    'The film was great, truly GREAT!',
    'A dull film; the plot was thin.',
    "I loved it -- the actors were great and the music was lovely.",
    'Not great: dull, slow and far too long.',
    'Lovely music, great actors, a film to see again.',
    'The plot? Thin. The film? Dull.',
    'Great café, great music; the café was lovely.',
    'The café film was dull.',
]
TEXTS = [
    'Great CAFÉ film, the café!',
    'DULL, dull, dull... and SLOW',
    'Érik said the music was lovely and the actors were great and so on',
    '',
    'unseen words only',
    'the\tplot\nwas thin',
]


def tokens(text, ngrams=None):
    t = [x for x in re.split(r'[ \t\n\v\f\r]+', PUNCT.sub('', text.translate(ASCII_LOWER))) if x]
    if ngrams is None:
        return t
    return [' '.join(t[i:i + n]) for n in ngrams for i in range(len(t) - n + 1)]


def adapt(texts, room, ngrams=None):
    """Tokens by decreasing count, ties by the token in decreasing order (numpy lexsort reversed)."""
    counts = Counter(x for s in texts for x in tokens(s, ngrams))
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], [-ord(c) for c in kv[0]] + [1]))][:room]


def vocabulary_assets(vocab):
    """IndexLookup.save_assets's file, for the layer and for the StringLookup saving_lib visits inside it."""
    text = '\n'.join(vocab)
    return [('layers/text_vectorization/vocabulary.txt', text), ('layers/text_vectorization/_lookup_layer/vocabulary.txt', text)]


def int_ids(texts, vocab, length):
    """'int' mode: ids (1 for a token out of the vocabulary), cut or padded with 0 at the end to `length`."""
    index = {t: i for i, t in enumerate(vocab)}
    ids = np.zeros((len(texts), length), dtype=np.int64)
    for n, s in enumerate(texts):
        row = [index.get(t, 1) for t in tokens(s)][:length]
        ids[n, :len(row)] = row
    return ids


def keras_tensor(name, shape, dtype):
    return {'class_name': '__keras_tensor__', 'config': {'shape': shape, 'dtype': dtype, 'keras_history': [name, 0, 0]}}


def tv_config(name, **kw):
    c = {'name': name, 'trainable': True, 'dtype': policy(), 'max_tokens': None, 'standardize': 'lower_and_strip_punctuation', 'split': 'whitespace',
         'ngrams': None, 'output_mode': 'int', 'output_sequence_length': None, 'pad_to_max_tokens': False, 'sparse': False, 'ragged': False,
         'vocabulary': None, 'idf_weights': None, 'encoding': 'utf-8', 'vocabulary_size': None}
    c.update(kw)
    return {'module': 'keras.layers', 'class_name': 'TextVectorization', 'config': c, 'registered_name': None}


def input_layer(name, batch_shape, dtype):
    """An InputLayer entry as Keras 3 writes it: no 'trainable', its dtype a plain string."""
    entry = layer('InputLayer', {'batch_shape': batch_shape, 'dtype': dtype, 'sparse': False, 'ragged': False, 'name': name})
    entry['config'].pop('trainable')
    entry['config']['dtype'] = dtype
    return entry


def sequential(name, layers, input_shape):
    """A built Sequential entry (build_input_shape and build_config)."""
    entry = model_entry('Sequential', {'name': name, 'trainable': True, 'dtype': policy(), 'layers': layers, 'build_input_shape': input_shape})
    entry['build_config'] = {'input_shape': input_shape}
    return entry


def functional_lstm():
    """Input(shape=(1,), dtype="string") -> TextVectorization(max_tokens 16, length 6) -> Embedding(16, 4, mask_zero) -> LSTM(5) -> Dense(1, sigmoid)."""
    V, L, E, U = 16, 6, 4, 5
    vocab = ['', '[UNK]'] + adapt(TRAIN, V - 2)
    emb, k, rk, b, dk, db = w(V, E), w(E, 4 * U), w(U, 4 * U), w(4 * U), w(U, 1), w(1)
    tv = tv_config('text_vectorization', max_tokens=V, output_sequence_length=L, vocabulary_size=len(vocab))
    layers = [
        {**input_layer('review', [None, 1], 'string'), 'name': 'review', 'inbound_nodes': []},
        {**tv, 'name': 'text_vectorization', 'inbound_nodes': [{'args': [keras_tensor('review', [None, 1], 'string')], 'kwargs': {}}]},
        {**layer('Embedding', {'name': 'embedding', 'input_dim': V, 'output_dim': E, 'embeddings_initializer': init('RandomUniform', {'minval': -0.05, 'maxval': 0.05, 'seed': None}),
                               'embeddings_regularizer': None, 'activity_regularizer': None, 'embeddings_constraint': None, 'mask_zero': True}, [None, L]),
         'name': 'embedding', 'inbound_nodes': [{'args': [keras_tensor('text_vectorization', [None, L], 'int64')], 'kwargs': {}}]},
        {**layer('LSTM', lstm_config('lstm', U), [None, L, E]), 'name': 'lstm', 'inbound_nodes': [{'args': [keras_tensor('embedding', [None, L, E], 'float32')], 'kwargs': {'mask': None}}]},
        {**layer('Dense', dense_config('dense', 1, 'sigmoid'), [None, U]), 'name': 'dense', 'inbound_nodes': [{'args': [keras_tensor('lstm', [None, U], 'float32')], 'kwargs': {}}]},
    ]
    config = model_entry('Functional', {'name': 'sentiment', 'trainable': True, 'layers': layers, 'input_layers': [['review', 0, 0]], 'output_layers': [['dense', 0, 0]]})
    groups = [
        ('', 'sentiment', []),
        ('layers/input_layer', 'review', []),
        ('layers/text_vectorization', 'text_vectorization', []), ('layers/text_vectorization/_lookup_layer', 'string_lookup', []),
        ('layers/embedding', 'embedding', [emb]),
        ('layers/lstm', 'lstm', []), ('layers/lstm/cell', 'lstm_cell', [k, rk, b]),
        ('layers/dense', 'dense', [dk, db]),
    ]
    assets = vocabulary_assets(vocab)
    ids = int_ids(TEXTS, vocab, L)
    mask = (ids != 0).astype(np.float64)
    _, last = lstm(emb.astype(np.float64)[ids], mask, k, rk, b, U)
    y = sigmoid(last @ dk + db)
    write_keras(os.path.join(OUT, 'keras3-text-lstm.keras'), config, groups, assets=assets)
    return {'texts': TEXTS, 'ids': ids.tolist(), 'vocabulary': vocab, 'output': y.tolist()}


def sequential_tfidf():
    """Sequential[Input(shape=(), dtype="string"), TextVectorization(tf_idf, ngrams 2, max_tokens 24), Dense(3, softmax)]."""
    V, C = 24, 3
    ngrams = (1, 2)
    vocab = ['[UNK]'] + adapt(TRAIN, V - 1, ngrams)
    docs = Counter(x for s in TRAIN for x in set(tokens(s, ngrams)))
    idf = np.array([np.log(1 + len(TRAIN) / (1 + docs[t])) for t in vocab[1:]])
    idf = np.concatenate([[idf.mean()], idf]).astype(np.float32)
    dk, db = w(len(vocab), C), w(C)
    tv = tv_config('text_vectorization', max_tokens=V, ngrams=2, output_mode='tf_idf', vocabulary_size=len(vocab))
    layers = [
        input_layer('input_layer', [None], 'string'),
        tv,
        layer('Dense', dense_config('dense', C, 'softmax'), [None, len(vocab)]),
    ]
    config = sequential('topics', layers, [None])
    groups = [
        ('', 'topics', []),
        ('layers/text_vectorization', 'text_vectorization', {'idf_weights': idf}), ('layers/text_vectorization/_lookup_layer', 'string_lookup', {'idf_weights': idf}),
        ('layers/dense', 'dense', [dk, db]),
    ]
    assets = vocabulary_assets(vocab)
    index = {t: i for i, t in enumerate(vocab)}
    x = np.zeros((len(TEXTS), len(vocab)))
    for n, s in enumerate(TEXTS):
        for t in tokens(s, ngrams):
            x[n, index.get(t, 0)] += 1
    x *= idf.astype(np.float64)
    y = softmax(x @ dk + db)
    write_keras(os.path.join(OUT, 'keras3-text-tfidf.keras'), config, groups, assets=assets)
    return {'texts': TEXTS, 'vectors': x.tolist(), 'vocabulary': vocab, 'output': y.tolist()}


def export_model():
    """TensorFlow's text classification tutorial's export model: Sequential[Input(shape=(), dtype="string"),
    TextVectorization(int, length 6), Sequential[Input(6, int64), Embedding(16, 4), GlobalAveragePooling1D, Dense(1)], Activation("sigmoid")],
    the inner Sequential trained before (its optimizer's variables under layers/sequential/optimizer)."""
    V, L, E = 16, 6, 4
    vocab = ['', '[UNK]'] + adapt(TRAIN, V - 2)
    emb, dk, db = w(V, E), w(E, 1), w(1)
    inner_layers = [
        input_layer('input_layer_1', [None, L], 'int64'),
        layer('Embedding', {'name': 'embedding', 'input_dim': V, 'output_dim': E, 'embeddings_initializer': init('RandomUniform', {'minval': -0.05, 'maxval': 0.05, 'seed': None}),
                            'embeddings_regularizer': None, 'activity_regularizer': None, 'embeddings_constraint': None, 'mask_zero': False}, [None, L]),
        layer('GlobalAveragePooling1D', {'name': 'global_average_pooling1d', 'data_format': 'channels_last', 'keepdims': False}, [None, L, E]),
        layer('Dense', dense_config('dense', 1, 'linear'), [None, E]),
    ]
    inner = sequential('sequential', inner_layers, [None, L])
    layers = [
        input_layer('input_layer', [None], 'string'),
        tv_config('text_vectorization', max_tokens=V, output_sequence_length=L, vocabulary_size=len(vocab)),
        inner,
        layer('Activation', {'name': 'activation', 'activation': 'sigmoid'}, [None, 1]),
    ]
    config = sequential('export_model', layers, [None])
    groups = [
        ('', 'export_model', []),
        ('layers/text_vectorization', 'text_vectorization', []), ('layers/text_vectorization/_lookup_layer', 'string_lookup', []),
        ('layers/sequential', 'sequential', []),
        ('layers/sequential/layers/embedding', 'embedding', [emb]),
        ('layers/sequential/layers/global_average_pooling1d', 'global_average_pooling1d', []),
        ('layers/sequential/layers/dense', 'dense', [dk, db]),
        # The inner model was compiled and trained (the tutorial's model.fit): its optimizer's state rides along.
        ('layers/sequential/optimizer', 'adam', [np.array(40, dtype=np.int64), np.array(0.001, dtype=np.float32), np.zeros_like(emb), np.zeros_like(emb)]),
        ('layers/activation', 'activation', []),
    ]
    assets = vocabulary_assets(vocab)
    ids = int_ids(TEXTS, vocab, L)
    y = sigmoid(emb.astype(np.float64)[ids].mean(1) @ dk + db)
    write_keras(os.path.join(OUT, 'keras3-text-export.keras'), config, groups, assets=assets)
    return {'texts': TEXTS, 'ids': ids.tolist(), 'vocabulary': vocab, 'output': y.tolist()}


if __name__ == '__main__':
    expected = {'functional-lstm': functional_lstm(), 'sequential-tfidf': sequential_tfidf(), 'export-model': export_model()}
    with open(os.path.join(OUT, 'keras3-text-expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print('wrote keras3-text-lstm.keras, keras3-text-tfidf.keras, keras3-text-export.keras, keras3-text-expected.json')
