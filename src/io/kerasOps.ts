/**
 * Tensor ops in Keras model files, read as the rnnkit layers that compute the same:
 *
 * - Keras 3 writes an op on Keras tensors in the model code (`x[:, -1]`, `ops.mean(x,
 *   axis=1)`, `ops.concatenate([a, b], axis=-1)`) as an entry of its own: module
 *   keras.src.ops.*, class the op's (GetItem, Mean, …), config its constructor arguments
 *   (Operation's auto-config, defaults included), each inbound node `{args, kwargs}` with
 *   the tensors as `__keras_tensor__` objects and slices as `__slice__` objects.
 * - tf.keras 2 writes a TensorFlow function called on Keras tensors as a TFOpLambda (a
 *   slice as a SlicingOpLambda) whose config names the function ('math.reduce_mean', …);
 *   each inbound node is the call's first argument with its other arguments, by name of
 *   the function's parameters, as the kwargs of each tensor in it (tf_op_layer.py with
 *   _preserve_input_structure_in_config: one tensor is `[layer, node, tensor, kwargs]`,
 *   a list of tensors a list of those); slices are `{start, stop, step}` dicts.
 *
 * Each form is read only where the layer computes exactly what the op computes; anything
 * else is refused, naming the op and what rnnkit reads. Ops drop the step mask (Keras's
 * Layer.__call__ passes masks only between layers that support them), which rnnkit's layers
 * would keep: the model reader refuses an op a mask may reach (models/loading.ts).
 * What depends on the input's rank is checked when the graph is built (`check`).
 */
import { ModelFormatError, show } from '../core/errors.js';
import type { KerasLayerJSON } from './config.js';

/** A [layer, node, tensor] reference. */
type Ref = [string, number, number];

/** How an op entry is read: the layer entry in its place and a check of its input shapes (batch axis included). */
export interface OpReading {
  json: KerasLayerJSON;
  /** Why the call is refused for these full input shapes, or null. */
  check?: (shapes: readonly (readonly (number | null)[])[]) => string | null;
}

type RefOf = (v: unknown, at: string) => Ref | null;
/** x + c or x - c (c a number or a float32 `__tensor__`) as the layer computing it exactly (models/loading.ts constantShift). */
export type ConstantShift = (op: 'Add' | 'Subtract', x: Ref, c: unknown, what: string) => KerasLayerJSON;

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One axis from an int or a list of one int (Keras 3's Mean stores [axis]). */
function oneAxis(v: unknown): number | null {
  if (isInt(v)) return v;
  if (Array.isArray(v) && v.length === 1 && isInt(v[0])) return v[0];
  return null;
}

/** A slice as Keras 3 (`{class_name: '__slice__', config}`) or tf.keras 2 (`{start, stop, step}`) writes it; null when `v` is none. */
function asSlice(v: unknown): { start: unknown; stop: unknown; step: unknown } | null {
  if (!isObject(v)) return null;
  if (v.class_name === '__slice__' && isObject(v.config)) return { start: v.config.start ?? null, stop: v.config.stop ?? null, step: v.config.step ?? null };
  if ('start' in v && 'stop' in v && Object.keys(v).every((k) => ['start', 'stop', 'step'].includes(k))) return { start: v.start ?? null, stop: v.stop ?? null, step: v.step ?? null };
  return null;
}

const isEllipsis = (v: unknown): boolean => isObject(v) && v.class_name === '__ellipsis__';
const isFull = (v: unknown): boolean => {
  const s = asSlice(v);
  return s !== null && s.start === null && s.stop === null && (s.step === null || s.step === 1);
};

/**
 * `x[key]` as TimeSlice: the batch axis taken whole, the time axis indexed by an integer or
 * sliced with step 1, any later axes taken whole (`:` or `...`). Anything else (an index on
 * the batch or a feature axis, a step, a tensor index) is refused with why.
 */
function sliceAsTimeSlice(key: unknown, name: string, what: string, at: string): OpReading {
  const fail = (why: string): never => {
    throw new ModelFormatError(`${at}: ${what} with key ${show(key)?.slice(0, 160)} is not supported: ${why}; rnnkit reads x[:, i] and x[:, a:b] (step 1) on a [batch, steps, features] tensor, as TimeSlice`);
  };
  const parts = Array.isArray(key) ? key : [key];
  if (isEllipsis(parts[0])) fail('a key starting with an ellipsis indexes the last axes, counted from the end');
  if (parts.length < 2) fail('it indexes the batch axis');
  if (!isFull(parts[0])) fail('it indexes the batch axis');
  const rest = parts.slice(2);
  if (!rest.every((p) => isFull(p) || isEllipsis(p)) || rest.filter(isEllipsis).length > 1) fail('it indexes an axis after the time axis');
  const t = parts[1];
  let config: Record<string, unknown>;
  if (isInt(t)) config = { index: t };
  else {
    const s = asSlice(t);
    if (s === null) fail(isEllipsis(t) ? 'an ellipsis before the index selects the last axis, not time' : 'the time axis is indexed by something other than an integer or a slice');
    if (s!.step !== null && s!.step !== 1) fail(`the step is ${show(s!.step)}, not 1`);
    if ((s!.start !== null && !isInt(s!.start)) || (s!.stop !== null && !isInt(s!.stop))) fail('a slice end is not an integer');
    config = { start: s!.start, stop: s!.stop };
  }
  // No more axes indexed than there are (numpy: "too many indices").
  const indexed = parts.filter((p) => !isEllipsis(p)).length;
  return {
    json: { class_name: 'TimeSlice', config: { name, ...config }, inbound_nodes: [] },
    check: (shapes) => (shapes[0]!.length !== 3 ? `${what} on a tensor of rank ${shapes[0]!.length} is not supported: rnnkit reads a slice of the time axis of a [batch, steps, features] tensor only` : indexed > 3 ? `${what} indexes ${indexed} axes of a rank 3 tensor` : null),
  };
}

/** Reduction over the time axis of a rank-3 tensor as a global pooling layer (keepdims either way). */
function poolOverTime(cls: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D', axis: unknown, keepdims: unknown, name: string, what: string, at: string): OpReading {
  const a = oneAxis(axis);
  if (a !== 1 && a !== -2) throw new ModelFormatError(`${at}: ${what} over axis ${show(axis)} is not supported; rnnkit reads it over the time axis (axis 1 or -2) of a [batch, steps, features] tensor, as ${cls}`);
  if (keepdims !== undefined && keepdims !== null && typeof keepdims !== 'boolean') throw new ModelFormatError(`${at}: ${what}: keepdims must be a boolean, got ${show(keepdims)}`);
  return {
    json: { class_name: cls, config: { name, keepdims: keepdims === true }, inbound_nodes: [] },
    check: (shapes) => (shapes[0]!.length !== 3 ? `${what} over axis ${a} of a tensor of rank ${shapes[0]!.length} is not supported; rnnkit reads it over the time axis of a [batch, steps, features] tensor` : null),
  };
}

/** A new axis of size 1 (expand_dims) on a [batch, features] tensor: Reshape([1, -1]) or Reshape([-1, 1]). */
function expandDims(axis: unknown, name: string, what: string, at: string): OpReading {
  const a = oneAxis(axis);
  const target = a === 1 || a === -3 ? [1, -1] : a === 2 || a === -1 ? [-1, 1] : null;
  if (target === null) throw new ModelFormatError(`${at}: ${what} at axis ${show(axis)} is not supported; rnnkit reads expand_dims at axis 1 or -1 of a [batch, features] tensor, as Reshape`);
  return {
    json: { class_name: 'Reshape', config: { name, target_shape: target }, inbound_nodes: [] },
    check: (shapes) => (shapes[0]!.length !== 2 ? `${what} on a tensor of rank ${shapes[0]!.length} is not supported; rnnkit reads expand_dims of a [batch, features] tensor only` : shapes[0]![1] === null ? `${what}: the feature size must be known` : null),
  };
}

/** Dropping a unit axis (squeeze) of a rank-3 tensor: Reshape to the other per-sample axis. */
function squeeze(axis: unknown, name: string, what: string, at: string): OpReading {
  const a = oneAxis(axis);
  if (a !== 1 && a !== 2 && a !== -1 && a !== -2) throw new ModelFormatError(`${at}: ${what} at axis ${show(axis)} is not supported; rnnkit reads squeeze of one named axis (1 or 2) of a [batch, steps, features] tensor, as Reshape`);
  const p = a < 0 ? a + 3 : a;
  return {
    json: { class_name: 'Reshape', config: { name, target_shape: [-1] }, inbound_nodes: [] },
    check: (shapes) => {
      const s = shapes[0]!;
      if (s.length !== 3) return `${what} on a tensor of rank ${s.length} is not supported; rnnkit reads squeeze of an axis of a [batch, steps, features] tensor`;
      if (s[p] !== 1) return `${what} squeezes axis ${p} of size ${s[p] ?? 'unknown'}, not 1`;
      return null;
    },
  };
}

/** A reshape whose batch entry is -1 (or None): Reshape of the rest. */
function reshape(shape: unknown, name: string, what: string, at: string): OpReading {
  const ok = Array.isArray(shape) && shape.length >= 2 && (shape[0] === -1 || shape[0] === null) && shape.slice(1).every((d) => isInt(d) && (d > 0 || d === -1)) && shape.slice(1).filter((d) => d === -1).length <= 1;
  if (!ok) throw new ModelFormatError(`${at}: ${what} to ${show(shape)} is not supported; rnnkit reads a reshape to (-1, d1, …) (the batch axis kept, at most one more -1), as Reshape`);
  return { json: { class_name: 'Reshape', config: { name, target_shape: (shape as number[]).slice(1) }, inbound_nodes: [] } };
}

/** A transpose keeping the batch axis first: Permute. */
function transpose(perm: unknown, name: string, what: string, at: string): OpReading {
  const ok = Array.isArray(perm) && perm.length >= 2 && perm[0] === 0 && perm.every(isInt) && [...perm].sort((x, y) => x - y).every((d, i) => d === i);
  if (!ok) throw new ModelFormatError(`${at}: ${what} with axes ${show(perm)} is not supported; rnnkit reads a transpose that keeps the batch axis first (axes [0, …] given), as Permute`);
  return {
    json: { class_name: 'Permute', config: { name, dims: (perm as number[]).slice(1) }, inbound_nodes: [] },
    check: (shapes) => (shapes[0]!.length !== (perm as number[]).length ? `${what}: axes ${show(perm)} for a tensor of rank ${shapes[0]!.length}` : null),
  };
}

function softmax(axis: unknown, name: string, what: string, at: string): OpReading {
  if (axis !== undefined && axis !== null && axis !== -1) throw new ModelFormatError(`${at}: ${what} over axis ${show(axis)} is not supported; rnnkit reads softmax over the last axis, as Softmax`);
  return { json: { class_name: 'Softmax', config: { name, axis: -1 }, inbound_nodes: [] } };
}

function concatenate(axis: unknown, name: string, what: string, at: string): OpReading {
  if (!isInt(axis) || axis === 0) throw new ModelFormatError(`${at}: ${what} along axis ${show(axis)} is not supported; rnnkit reads a concatenation along a non-batch axis, as Concatenate`);
  return { json: { class_name: 'Concatenate', config: { name, axis }, inbound_nodes: [] } };
}

/** Keras 3 op classes read here (Add, Subtract and Multiply are loading.ts's). */
export const KERAS3_OPS: readonly string[] = ['GetItem', 'Mean', 'Max', 'Concatenate', 'ExpandDims', 'Squeeze', 'Reshape', 'Transpose', 'Softmax'];

/** Keras 3 ops that are refused with a reason of their own. */
const KERAS3_REFUSED: Readonly<Record<string, string>> = {
  Sum: 'no rnnkit layer sums over steps (GlobalAveragePooling1D averages)',
  Divide: 'x / c has no exact rnnkit layer (Normalization divides by the square root of a variance, rounded)',
  TrueDivide: 'x / c has no exact rnnkit layer (Normalization divides by the square root of a variance, rounded)',
  Matmul: 'a batched matmul is read as no rnnkit layer (Dot contracts one axis of rank-3 tensors differently for other ranks)',
};

/**
 * A Keras 3 op entry (module keras.src.ops.*) of a class in KERAS3_OPS: the layer reading
 * it. Each call's tensors (Concatenate: the list) become the layer's inputs; the op's
 * arguments come from its config, GetItem's key from the call (every call must give the same).
 */
export function keras3Op(l: KerasLayerJSON, name: string, what: string, at: string, refOf: RefOf): OpReading {
  const reason = KERAS3_REFUSED[l.class_name];
  if (reason !== undefined) throw new ModelFormatError(`${at}: ${what} is not supported: ${reason}`);
  const c = isObject(l.config) ? l.config : {};
  const nodes = l.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ModelFormatError(`${at}: ${what} has no inbound nodes`);
  const allowed: Record<string, string[]> = { GetItem: [], Mean: ['axis', 'keepdims'], Max: ['axis', 'keepdims', 'initial'], Concatenate: ['axis'], ExpandDims: ['axis'], Squeeze: ['axis'], Reshape: ['newshape'], Transpose: ['axes'], Softmax: ['axis'] };
  for (const [k, v] of Object.entries(c)) {
    if (k === 'name' || k === 'trainable' || k === 'dtype') continue;
    if (!allowed[l.class_name]!.includes(k)) throw new ModelFormatError(`${at}: ${what} has argument '${k}' = ${show(v)?.slice(0, 60)}, which rnnkit does not read`);
  }
  if (l.class_name === 'Max' && c.initial !== undefined && c.initial !== null) throw new ModelFormatError(`${at}: ${what} with initial = ${show(c.initial)} is not supported`);
  let key: string | undefined;
  let reading: OpReading | undefined;
  const calls = nodes.map((n, k) => {
    const d = n as { args?: unknown; kwargs?: unknown };
    const where = `${at}: inbound node ${k}`;
    if (!isObject(n) || !Array.isArray(d.args)) throw new ModelFormatError(`${where}: expected {args, kwargs}, got ${show(n)?.slice(0, 80)}`);
    if (d.kwargs !== undefined && d.kwargs !== null && (!isObject(d.kwargs) || Object.keys(d.kwargs).length > 0)) throw new ModelFormatError(`${where}: ${what} with keyword arguments ${show(d.kwargs)?.slice(0, 80)} is not supported`);
    const want = l.class_name === 'GetItem' ? 2 : 1;
    if (d.args.length !== want) throw new ModelFormatError(`${where}: ${what} takes ${want === 2 ? 'a tensor and a key' : 'one tensor argument'} here, got ${d.args.length} arguments`);
    const tensors = l.class_name === 'Concatenate' ? d.args[0] : [d.args[0]];
    if (!Array.isArray(tensors) || tensors.length === 0) throw new ModelFormatError(`${where}: ${what} takes a list of tensors, got ${show(d.args[0])?.slice(0, 80)}`);
    const refs = tensors.map((t) => {
      const r = refOf(t, where);
      if (r === null) throw new ModelFormatError(`${where}: ${what} has an operand that is not a Keras tensor (${show(t)?.slice(0, 60)}); rnnkit reads it only on tensors`);
      return r;
    });
    if (l.class_name === 'GetItem') {
      const s = JSON.stringify(d.args[1]);
      if (key !== undefined && s !== key) throw new ModelFormatError(`${where}: ${what} is called with different keys (${key} and ${s}); rnnkit reads one layer per op`);
      key = s;
    }
    return { args: [refs.length === 1 && l.class_name !== 'Concatenate' ? refs[0] : refs], kwargs: {} };
  });
  const first = (nodes[0] as { args: unknown[] }).args;
  switch (l.class_name) {
    case 'GetItem':
      reading = sliceAsTimeSlice(first[1], name, what, at);
      break;
    case 'Mean':
    case 'Max':
      reading = poolOverTime(l.class_name === 'Mean' ? 'GlobalAveragePooling1D' : 'GlobalMaxPooling1D', c.axis ?? null, c.keepdims, name, what, at);
      break;
    case 'Concatenate':
      reading = concatenate(c.axis ?? 0, name, what, at);
      break;
    case 'ExpandDims':
      reading = expandDims(c.axis, name, what, at);
      break;
    case 'Squeeze':
      reading = squeeze(c.axis ?? null, name, what, at);
      break;
    case 'Reshape':
      reading = reshape(c.newshape, name, what, at);
      break;
    case 'Transpose':
      reading = transpose(c.axes ?? null, name, what, at);
      break;
    case 'Softmax':
      reading = softmax(c.axis ?? -1, name, what, at);
      break;
    default:
      throw new ModelFormatError(`${at}: ${what} is not supported`);
  }
  return { ...reading!, json: { ...reading!.json, inbound_nodes: calls } };
}

/** tf.keras 2 TFOpLambda functions read here, by their `function` config. */
export const TF_OP_FUNCTIONS: readonly string[] = [
  '__operators__.getitem', 'math.reduce_mean', 'math.reduce_max', 'concat', 'expand_dims', 'squeeze', 'reshape',
  'compat.v1.transpose', 'transpose', 'nn.softmax', 'math.add', '__operators__.add', 'math.subtract', 'math.multiply',
];

const TF_MERGES: Readonly<Record<string, string>> = { 'math.add': 'Add', '__operators__.add': 'Add', 'math.subtract': 'Subtract', 'math.multiply': 'Multiply' };

/** Why some TFOpLambda functions are refused, beyond "not read". */
const TF_REFUSED: Readonly<Record<string, string>> = {
  'math.reduce_sum': 'no rnnkit layer sums over steps (GlobalAveragePooling1D averages)',
  'math.truediv': 'x / c has no exact rnnkit layer',
  'linalg.matmul': 'a batched matmul is read as no rnnkit layer',
  cast: 'rnnkit computes in float32 and does not track the dtypes a cast would change',
};

/**
 * One call of a TFOpLambda: the tensors of its first argument and its other arguments by
 * name. tf.keras 2 repeats the other arguments on each tensor of a list; constants in the
 * first argument are `['_CONSTANT_VALUE', -1, value, kwargs]`.
 */
function tfOpCall(n: unknown, what: string, at: string, refOf: RefOf): { refs: Ref[]; list: boolean; kwargs: Record<string, unknown> } {
  const entry = (e: unknown): [Ref, Record<string, unknown>] => {
    if (Array.isArray(e) && e[0] === '_CONSTANT_VALUE') throw new ModelFormatError(`${at}: ${what} has a constant ${show(e[2])?.slice(0, 60)} in its first argument; rnnkit reads it only on Keras tensors`);
    const r = refOf(e, at);
    if (r === null) throw new ModelFormatError(`${at}: ${what}: expected [layer, node, tensor, kwargs], got ${show(e)?.slice(0, 80)}`);
    const kw = Array.isArray(e) ? e[3] : undefined;
    if (kw !== undefined && kw !== null && !isObject(kw)) throw new ModelFormatError(`${at}: ${what}: node kwargs must be an object`);
    return [r, (kw ?? {}) as Record<string, unknown>];
  };
  if (Array.isArray(n) && typeof n[0] === 'string') {
    const [r, kwargs] = entry(n);
    return { refs: [r], list: false, kwargs };
  }
  if (Array.isArray(n) && n.length > 0) {
    const es = n.map(entry);
    return { refs: es.map((e) => e[0]), list: true, kwargs: es[es.length - 1]![1] };
  }
  throw new ModelFormatError(`${at}: ${what}: expected a tensor [layer, node, tensor, kwargs] or a list of them, got ${show(n)?.slice(0, 80)}`);
}

/**
 * A TFOpLambda / SlicingOpLambda entry (tf.keras 2): the layer reading it, or a refusal
 * naming the function. `name` arguments are dropped (TFOpLambda drops them too); any other
 * argument the reading does not take is refused by name.
 */
export function tfOpLambda(l: KerasLayerJSON, name: string, at: string, refOf: RefOf, shift?: ConstantShift): OpReading {
  const fn = isObject(l.config) ? l.config.function : undefined;
  const what = `the ${l.class_name} '${name}' (tf.${String(fn)} on a Keras tensor in tf.keras 2 model code)`;
  if (typeof fn !== 'string') throw new ModelFormatError(`${at}: a ${l.class_name} without a function name`);
  const reason = TF_REFUSED[fn];
  if (reason !== undefined) throw new ModelFormatError(`${at}: ${what} is not supported: ${reason}`);
  if (!TF_OP_FUNCTIONS.includes(fn)) throw new ModelFormatError(`${at}: ${what} is not supported; rnnkit reads the TensorFlow functions ${TF_OP_FUNCTIONS.join(', ')} where an rnnkit layer computes the same`);
  const nodes = l.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new ModelFormatError(`${at}: ${what} has no inbound nodes`);
  // x + c and x - c with c a number or a list of numbers: TensorFlow converts c to x's dtype
  // (float32), as the Normalization shift of a Keras 3 constant holds it (loading.ts).
  const merge0 = TF_MERGES[fn];
  if (shift !== undefined && (merge0 === 'Add' || merge0 === 'Subtract')) {
    const { refs, list, kwargs } = tfOpCall(nodes[0], what, `${at}: inbound node 0`, refOf);
    const y = kwargs.y;
    if (!list && (typeof y === 'number' || (Array.isArray(y) && typeof y[0] !== 'string'))) {
      if (nodes.length !== 1) throw new ModelFormatError(`${at}: ${what} has a constant operand and is called ${nodes.length} times; rnnkit reads x + c and x - c in an op called once`);
      for (const key of Object.keys(kwargs)) if (key !== 'y' && key !== 'name') throw new ModelFormatError(`${at}: inbound node 0: ${what} with argument '${key}' = ${show(kwargs[key])?.slice(0, 60)} is not supported`);
      return { json: shift(merge0, refs[0]!, typeof y === 'number' ? y : { class_name: '__tensor__', config: { value: y, dtype: 'float32' } }, what) };
    }
  }
  let reading: OpReading | undefined;
  let seen: string | undefined;
  const calls = nodes.map((n, k) => {
    const where = `${at}: inbound node ${k}`;
    const { refs, list, kwargs } = tfOpCall(n, what, where, refOf);
    const args: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(kwargs)) if (key !== 'name') args[key] = v;
    const take = (...keys: string[]): unknown[] => {
      for (const key of Object.keys(args)) if (!keys.includes(key)) throw new ModelFormatError(`${where}: ${what} with argument '${key}' = ${show(args[key])?.slice(0, 60)} is not supported`);
      return keys.map((key) => args[key]);
    };
    let inputs: Ref[] = refs;
    let r: OpReading;
    const merge = TF_MERGES[fn];
    if (list && fn !== 'concat') throw new ModelFormatError(`${where}: ${what} is given a list of ${refs.length} tensors as its first argument; rnnkit reads it on one tensor`);
    if (merge !== undefined) {
      const [y] = take('y');
      const yr = Array.isArray(y) && typeof y[0] === 'string' ? refOf(y, where) : null;
      if (yr === null) throw new ModelFormatError(`${where}: ${what} has a constant operand ${show(y)?.slice(0, 60)}; rnnkit reads it only on two Keras tensors (as ${merge})${merge === 'Multiply' ? '' : ' or as x + c, x - c'}`);
      inputs = [refs[0]!, yr];
      r = { json: { class_name: merge, config: { name }, inbound_nodes: [] }, check: (shapes) => (shapes[0]!.length !== shapes[1]!.length ? `${what} on tensors of ranks ${shapes[0]!.length} and ${shapes[1]!.length} is not supported (TensorFlow's broadcasting aligns them differently from Keras's merge layers)` : null) };
    } else if (fn === '__operators__.getitem') {
      const [spec] = take('slice_spec', 'var');
      if (args.var !== undefined && args.var !== null) throw new ModelFormatError(`${where}: ${what} on a variable is not supported`);
      r = sliceAsTimeSlice(spec, name, what, where);
    } else if (fn === 'math.reduce_mean' || fn === 'math.reduce_max') {
      const [axis, keepdims] = take('axis', 'keepdims');
      r = poolOverTime(fn === 'math.reduce_mean' ? 'GlobalAveragePooling1D' : 'GlobalMaxPooling1D', axis ?? null, keepdims, name, what, where);
    } else if (fn === 'concat') {
      const [axis] = take('axis');
      r = concatenate(axis, name, what, where);
    } else if (fn === 'expand_dims') {
      const [axis] = take('axis');
      r = expandDims(axis, name, what, where);
    } else if (fn === 'squeeze') {
      const [axis] = take('axis');
      r = squeeze(axis ?? null, name, what, where);
    } else if (fn === 'reshape') {
      const [shape] = take('shape');
      r = reshape(shape, name, what, where);
    } else if (fn === 'compat.v1.transpose' || fn === 'transpose') {
      const [perm, conjugate] = take('perm', 'conjugate');
      if (conjugate !== undefined && conjugate !== false) throw new ModelFormatError(`${where}: ${what} with conjugate = ${show(conjugate)} is not supported`);
      r = transpose(perm ?? null, name, what, where);
    } else {
      // nn.softmax(logits, axis=None): None is the last axis.
      const [axis] = take('axis');
      r = softmax(axis ?? -1, name, what, where);
    }
    const s = JSON.stringify(r.json.config);
    if (seen !== undefined && s !== seen) throw new ModelFormatError(`${where}: ${what} is called with other arguments than in its first call; rnnkit reads one layer per op`);
    seen = s;
    reading = r;
    return { args: [inputs.length === 1 && !list ? inputs[0] : inputs], kwargs: {} };
  });
  return { ...reading!, json: { ...reading!.json, inbound_nodes: calls } };
}
