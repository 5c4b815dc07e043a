/**
 * ONNX import: `loadOnnx(source)` reads the recurrent subset real exporters write —
 * `torch.onnx.export` of nn.Embedding / nn.RNN / nn.LSTM / nn.GRU / nn.Linear and activation
 * ops, of 1-D CNN and CNN-LSTM models (nn.Conv1d, nn.ConvTranspose1d, nn.MaxPool1d /
 * AvgPool1d, nn.BatchNorm1d, adaptive and mean / max pooling over time: see "Convolution and
 * pooling" below), tf2onnx's of Keras LSTM layers where it writes the LSTM op, tf2onnx's Loop form of
 * Keras LSTM / GRU / SimpleRNN layers (loop.ts first replaces each Loop it proves to be a
 * Keras cell by the ONNX recurrent op; the others are refused with its reason), and rnnkit's
 * own exportOnnx — into an ordinary rnnkit model (a Sequential where the
 * graph is a chain, else a graph Model) that predicts, streams, trains and saves as any other.
 *
 * The ONNX graph is not executed; it is read by abstract interpretation in node order. Every
 * ONNX value becomes one of: a constant (initializers, Constant nodes, arithmetic on them), a
 * symbolic shape (Shape(x), Gather of it, Concat with constants: the sizes PyTorch's export
 * computes for its zero initial states, 'B' being the batch size and 'T' the length), zeros of
 * such a shape (ConstantOfShape 0, or a zeros constant Expanded to it: an initial state rnnkit
 * leaves out), a model tensor (an
 * rnnkit tensor plus which rnnkit axis each ONNX axis is: Transposes only rename axes), or a
 * recurrent op's Y / Y_h / Y_c with its directions still apart (axes named T, D, B, F). The
 * plumbing around PyTorch's recurrent ops then resolves by itself: Squeeze of the direction
 * axis picks the one direction, Transpose + Reshape merging D and F is the Bidirectional
 * concat, Gather of the last time step of a forward sequence is the final state (the layer's
 * returnSequences: false output, exactly), Concat of Y_h along D and Gather(-2), Gather(-1)
 * are h_n[-2], h_n[-1]. Layers are chosen after the whole graph is read, from what is used:
 * a recurrent layer returns sequences only when its sequence is used.
 *
 * Graph inputs are batch-major in rnnkit. A time-major ONNX input ([T, B, F], PyTorch's
 * batch_first=False) is recognized where it reaches a recurrent op without a Transpose (the
 * reading is retried with that input's first two axes swapped), and becomes a [B, T, F]
 * input; outputs likewise come out batch axis first ([T, B, H] → [B, T, H]; h_n of one
 * direction [1, B, H] → [B, H]). States given as graph inputs [layers·directions, B, H] (PyTorch's
 * (h0, c0)) are found the same way, as the initial states of a recurrent op (whole, or each
 * layer's rows Sliced out: a Cropping1D), and become [B, layers·directions, H] inputs; stacked
 * final states (a Concat of Y_h on axis 0) come out [B, layers·directions, H]. Integer inputs
 * (token ids) become float inputs, as rnnkit's Embedding takes them.
 *
 * Beyond the recurrent core (the "Patterns" handlers in interpret, each reached through
 * patternStep before the core's switch): LayerNormalization over the features, the op and the
 * decomposed ReduceMean / Sub / Pow or Mul / ReduceMean / Add ε / Sqrt / Div or Reciprocal + Mul
 * form, read step by step as 'ln' values whose last step makes the layer (γ and β after it fold
 * in), TF's batch_normalization after tf.nn.moments as tf2onnx writes it, and tf2onnx's
 * InstanceNormalization rewrite (scale ones, B zeros, then Mul γ, Add β); attention pooling — Softmax over any non-batch axes (a Softmax layer), a broadcasting Mul
 * (Multiply), ReduceSum over time of weights [B, T, 1] times a sequence (a Dot along time, the
 * exact sum rnnkit has no layer for otherwise), a batched MatMul of two model tensors (Dot), a
 * MatMul by a vector (Dense(1) without bias) —, where Squeeze of a size-1 axis gives a 'unit'
 * value (the same rnnkit tensor, some size-1 axes not shown; a Reshape layer drops them only
 * where an op or graph output needs a real tensor); ReduceMean over time (GlobalAveragePooling1D);
 * Keras's RepeatVector (Unsqueeze at axis 1, then Tile or Expand: RepeatVector) and
 * TimeDistributed Dense (Reshape to [-1, F] gives a 'rows' view that per-row ops read as the
 * sequence, until the Reshape back), and Keras 3's TimeDistributed as tf2onnx unrolls it over a
 * fixed length (each step x[:, t] cut by a Slice, through the inner layer, Unsqueeze 0, Concat 0,
 * Transpose: see stepsAsSequence; one Dense on the sequence where every step is the same Dense /
 * activation chain). tf2onnx's form of Keras's fused LayerNormalization (a
 * Reshape to [1, B·T, F, 1] — B·T a ProdDim from Shape → Slice → ReduceProd — and a
 * BatchNormalization fed statistics computed from it: 'bt4' / 'fln' values, see
 * fusedLayerNorm) is a LayerNormalization, checked on graphs written after tf2onnx's source.
 *
 * Convolution and pooling (the section of that name in interpret): ONNX's Conv, ConvTranspose,
 * MaxPool, AveragePool, GlobalAverage/MaxPool and BatchNormalization read [B, C, T]. A model
 * tensor's perm says which rnnkit axis each ONNX axis is, so PyTorch's x.permute(0, 2, 1) before
 * the op makes ONNX axis 1 the features and axis 2 the time axis without any layer, the op's
 * output is again a [B, C', T'] view of a channels-last rnnkit tensor (perm [0, 2, 1]), and the
 * permute back only renames. Each op becomes a layer ('layer' nodes: a factory, Keras-order
 * weights) whose geometry equals the op's for every input length — proved from the attributes,
 * never from one example: pads / auto_pad map to 'valid', 'same' (SAME_UPPER and TF both put
 * floor(total / 2) before; stride-1 pads of span − 1 split floor / ceil), 'causal' ([span − 1,
 * 0]) or else, for a Conv, a ZeroPadding1D before a 'valid' Conv1D (the same sums); pooling pads
 * no mode matches are refused unless counted as zeros (count_include_pad 1: ZeroPadding1D +
 * 'valid', exact); ceil_mode only where it adds no window; a ConvTranspose's (pads,
 * output_padding) must equal the placement of some Keras padding / outputPadding (the exporter's
 * transposeGeometry), else 'valid' with the extra steps and a Cropping1D. Where an op needs
 * another axis order than the tensor has (a Dense after a Permute, a Flatten in ONNX's element
 * order, a [B, C, T] graph output of fixed length) a Permute layer is inserted; rnnkit's Permute
 * keeps an open axis first, so a graph input [B, C, T] with T open that reaches a Conv directly
 * is read channels-last (the reading is retried with that input's axes 1 and 2 swapped: the
 * rnnkit input is [B, T, C]), and such an output stays channels-last. Pad modes edge / reflect
 * on a fixed length are one-step crops joined along time (padSteps). Also read: zero Pad and
 * time-axis Slice (ZeroPadding1D, Cropping1D, counts valid for every length), Flatten and
 * Reshape to [batch, …], and rnnkit's exports of UpSampling1D (Unsqueeze, Tile, Reshape) and
 * BatchNormalization (Sub, Mul, Add). Refused by name: rnnkit's export of global pooling over
 * a masked sequence (a mask-weighted mean / max), and any of these layers reading a sequence an
 * Embedding or Masking layer masks (ONNX's op uses every step; rnnkit's global pooling would not).
 *
 * PyTorch 2.x plumbing (the TorchScript exporter): shape values are evaluated symbolically
 * through Reshape(shape, [-1]), Shape of a shape, integer Add / Sub / Mul / Equal, Equal(shape,
 * -1) (a run-time size is never negative) and Where on shapes — the fix-up PyTorch writes before
 * an Expand. A float constant expanded to [B, …] (a seq2seq decoder's start_token.expand(B, 1,
 * F)) is a 'bconst' value; fed to a recurrent op as X it becomes a model tensor made from that
 * op's own initial state h by a frozen zero-kernel Dense with the constant as bias (exact: see
 * constantSequence; refused where h is not a bounded recurrent state). h_n.view(1, D, B, H)
 * gives a unit axis 'U' that turns into the direction axis once a Gather picks a direction,
 * and Concat of such states along the features joins them (a bidirectional encoder's state into
 * a decoder); Concat of sequences along time is a Concatenate on axis 1 (the decoder's steps).
 * A decoder unrolled by the exporter becomes one layer per step (weights copied, not shared).
 * x[:, i] of a fixed-length sequence that is not a final state is a Cropping1D to that step
 * (a 'unit' value); on an open length it is refused. Shape(x) of an open time axis records x
 * (Dim `T@i`): a Reshape to [B, T, …] with that T is a Reshape keeping the open axis where T is
 * provably the reshaped tensor's own length (sameLength), else refused.
 *
 * Anything outside the subset is refused in one OnnxImportError listing every unsupported op
 * (type and node name), attribute and pattern. The file is untrusted: see decode.ts for the
 * bytes; here tensor element counts are checked against their bytes and maxBytes before
 * anything is allocated, and non-finite weights are refused by name (checkFinite). Tensors in
 * external data files are read first, bounded and inside the model's directory (external.ts).
 */
import { ModelFormatError, checkOptions, fileReadOptions, show } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { withNonFiniteWeights, type Layer } from '../../layers/layer.js';
import { input } from '../../layers/inputLayer.js';
import type { SymbolicTensor } from '../../layers/node.js';
import { Dense } from '../../layers/dense.js';
import { Embedding } from '../../layers/embedding.js';
import { Activation } from '../../layers/activation.js';
import { ELU, LeakyReLU, PReLU, ReLU, ThresholdedReLU } from '../../layers/advancedActivations.js';
import { Masking } from '../../layers/masking.js';
import { BatchNormalization } from '../../layers/batchNormalization.js';
import { LSTM } from '../../layers/lstm.js';
import { GRU } from '../../layers/gru.js';
import { SimpleRNN } from '../../layers/simpleRNN.js';
import { Bidirectional } from '../../layers/bidirectional.js';
import { Add, Concatenate, Multiply, Subtract } from '../../layers/merge.js';
import { LayerNormalization } from '../../layers/layerNormalization.js';
import { Softmax } from '../../layers/advancedActivations.js';
import { Dot } from '../../layers/dot.js';
import { Reshape } from '../../layers/reshape.js';
import { RepeatVector } from '../../layers/repeatVector.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../../layers/pooling.js';
import { Conv1D } from '../../layers/conv1d.js';
import { Conv1DTranspose } from '../../layers/convTranspose1d.js';
import { AveragePooling1D, MaxPooling1D } from '../../layers/pooling1d.js';
import { Cropping1D, UpSampling1D, ZeroPadding1D } from '../../layers/resize1d.js';
import { Flatten } from '../../layers/flatten.js';
import { Permute } from '../../layers/reshape.js';
import { transposeGeometry } from './export.js';
import type { Recurrent } from '../../layers/recurrent.js';
import { Sequential } from '../../models/sequential.js';
import { model as functionalModel, type Model } from '../../models/model.js';
import { readFileBounded, isNode } from '../node.js';
import { isLfsPointer, looksTextConverted, TEXT_CONVERTED } from '../lfsPointer.js';
import { resolveExternal, type ExternalFiles } from './external.js';
import { DTYPE_NAMES, ELEM_BYTES, decodeModel, type AttributeValue, type ModelData, type NodeData, type TensorData } from './decode.js';
import { loopRefusal, loopSteps, rewriteLoops } from './loop.js';
import { IDIOM_OPS, isIdiomNode, rewriteIdioms } from './idioms.js';

export interface OnnxLoadOptions {
  /** Most bytes of the file (with its external data files' ranges, and of all its tensors) accepted. Default 2^31. */
  maxBytes?: number;
  /** Refuse weights and constants holding NaN or ±Infinity. Default true. */
  checkFinite?: boolean;
  /**
   * The external data files' bytes by location as the model names them ('model.onnx.data'),
   * for a model given as bytes whose tensors live in other files; when given, no file is
   * read. Without it, a path's external files are read from the model's directory.
   */
  externalData?: ExternalFiles;
}

/** An ONNX model outside the importable subset: every problem, one per line after the first. */
export class OnnxImportError extends ModelFormatError {
  constructor(
    where: string,
    readonly problems: readonly string[],
  ) {
    super(`${where}: cannot import this ONNX model into rnnkit:\n  ${problems.join('\n  ')}`);
    this.name = 'OnnxImportError';
  }
}

const isBytes = (v: unknown): v is ArrayBuffer | ArrayBufferView => v instanceof ArrayBuffer || ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === '[object ArrayBuffer]';

/**
 * Load an ONNX model: `source` is the file's bytes (anywhere) or a file path (Node). Returns
 * an uncompiled model; see the module comment for what is read and how.
 */
export async function loadOnnx(source: string | ArrayBuffer | ArrayBufferView, options: OnnxLoadOptions = {}): Promise<Model> {
  const what = 'loadOnnx';
  checkOptions(options, ['maxBytes', 'checkFinite', 'externalData'], `${what} options`);
  const { maxBytes, checkFinite } = fileReadOptions(options ?? {}, what);
  const files = options?.externalData;
  if (files !== undefined && (typeof files !== 'object' || files === null || Array.isArray(files))) throw new TypeError(`${what}: externalData must be an object mapping file names to bytes, got ${show(files)?.slice(0, 80)}`);
  let bytes: Uint8Array;
  let where = 'the ONNX model';
  let path: string | null = null;
  if (typeof source === 'string') {
    if (!isNode()) throw new TypeError(`${what}: a file path works in Node only; in a browser pass the file's bytes`);
    ({ bytes, where } = await readFileBounded(source, maxBytes, what));
    path = where;
  } else {
    if (!isBytes(source)) throw new TypeError(`${what}: expected a file path or the bytes of an .onnx file (ArrayBuffer or typed array), got ${show(source)?.slice(0, 80)}`);
    bytes = ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
    if (bytes.length > maxBytes) throw new ModelFormatError(`${what}: ${bytes.length} bytes, more than the ${maxBytes} accepted (maxBytes)`);
  }
  const m = decodeOnnx(bytes, where);
  // Tensors in other files are read (bounded, inside the model's directory) before the synchronous reading.
  // maxBytes bounds the model file and its external data together.
  const external = await resolveExternal(m, where, path, files, maxBytes - bytes.length);
  return modelFromDecoded(m, where, { maxBytes, checkFinite, external });
}

// ---- Values ---------------------------------------------------------------------------

/** A constant: float tensors as float32, everything else (ints, bools, doubles) as float64 numbers. */
interface Const {
  readonly dtype: number;
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array;
}

/**
 * A size known only at run time: the batch size, or the length of the time axis — 'T' for some
 * open length, `T@i` for the length of the time axis of lengthSources[i] (Shape of a model
 * tensor: a Reshape may copy it into the tensor it came from, see sameLength).
 */
type Dim = number | 'B' | 'T' | `T@${number}` | ProdDim;
/**
 * The batch size times the length (Keras's fused LayerNormalization reshapes [B, T, F] to
 * [1, B·T, F, 1]): `B*6` for a fixed length 6, `B*T@i` for lengthSources[i]'s open length.
 */
type ProdDim = `B*${number}` | `B*T@${number}`;
const isLength = (d: Dim | undefined): boolean => d === 'T' || (typeof d === 'string' && d.startsWith('T@'));
/**
 * Axes of a recurrent op's outputs: time, direction, batch, features; U: a layer axis of size 1
 * in front of the directions (PyTorch's h_n.view(1, directions, B, H)), the direction axis once
 * a Gather has picked a direction.
 */
type Axis = 'T' | 'D' | 'B' | 'F' | 'U';

interface Ref {
  readonly node: IRNode;
  readonly port: string;
  /** rnnkit shape, batch axis (null) first. */
  readonly shape: readonly (number | null)[];
}

type Val =
  | { readonly k: 'const'; readonly c: Const }
  | { readonly k: 'shape'; readonly dims: readonly Dim[]; readonly scalar: boolean }
  | { readonly k: 'zeros'; readonly dims: readonly Dim[] }
  /** perm[k]: the rnnkit axis that ONNX axis k is. */
  | { readonly k: 'tensor'; readonly ref: Ref; readonly perm: readonly number[] }
  /** A recurrent op's output, one part per direction (or per state given as initial_h). */
  | { readonly k: 'dirs'; readonly axes: readonly Axis[]; readonly parts: readonly Ref[] }
  /** x[:, -1:, :] of a recurrent sequence (opset < 10 exports of out[:, -1, :]): the final state with a time axis of 1, until a Squeeze. */
  | { readonly k: 'laststep'; readonly ref: Ref; readonly perm: readonly number[]; readonly axis: number }
  /** ids == 0 on a [B, T] token-id tensor (rnnkit's export of Embedding maskZero). */
  | { readonly k: 'eq0'; readonly ids: Ref }
  /**
   * rnnkit's export of a Masking layer on [B, T, F] x, step by step: x == v (eq), its Not as
   * 0/1 (differs), their sum over features (count), count > 0 (keep: [B, T, 1], 1 where a
   * step is kept); x · keep is the layer's output, keep squeezed its mask.
   */
  | { readonly k: 'meq' | 'mdiffers' | 'mcount' | 'mkeep'; readonly x: Ref; readonly value: number }
  /** The kept steps of token ids `ids` (ids != 0); perm: per ONNX axis 0 = batch, 1 = time, 2 = a unit axis. */
  | { readonly k: 'mask'; readonly ids: Ref; readonly perm: readonly number[] }
  /** Per-row kept-step counts of that mask: a recurrent op's sequence_lens. */
  | { readonly k: 'lens'; readonly ids: Ref }
  /**
   * A model tensor seen without some of its unit axes (a Squeeze of a size-1 axis, a product
   * with a vector, a ReduceSum over time without keepdims): perm[k] is the rnnkit axis ONNX
   * axis k is; the rnnkit axes perm leaves out all have size 1 (see the Patterns handlers in interpret).
   */
  | { readonly k: 'unit'; readonly ref: Ref; readonly perm: readonly number[] }
  /**
   * A step of a decomposed layer normalization of x over its features (x − mean, its square, …,
   * ε: what the Add gave). TF's batch_normalization after tf.nn.moments goes on from 'inv' as
   * x · inv·γ + (β − mean · inv·γ): 'invg', 'xs', 'ms', 'shift' carry γ and β. Keras 3's
   * LayerNormalization (tf2onnx) writes x · inv·γ + ((−mean) · inv·γ + β): 'negmean' is −mean.
   */
  | {
      readonly k: 'ln';
      readonly stage: 'mean' | 'centred' | 'square' | 'var' | 'vareps' | 'std' | 'inv' | 'invg' | 'xs' | 'ms' | 'shift' | 'negmean';
      readonly x: TensorVal;
      readonly eps: number;
      readonly gamma?: Float32Array | null;
      readonly beta?: Float32Array | null;
    }
  /**
   * A step of GELU's exact form, x·(1 + erf(x/√2))/2, written op by op (PyTorch's nn.GELU before
   * opset 20, tf2onnx's Keras gelu, rnnkit's own export): x/√2 (scaled), its Erf, 1 + that
   * (onePlus), x times that (xOnePlus, PyTorch's order; TF's halves x first). `xName` is x's
   * ONNX name, to count its readers when the GELU folds into the Dense before it.
   */
  | { readonly k: 'gelu'; readonly stage: 'scaled' | 'erf' | 'onePlus' | 'xOnePlus'; readonly x: TensorVal; readonly xName: string; readonly readers: readonly NodeData[] }
  /** ConstantOfShape of a value other than 0 (tf2onnx's ones for InstanceNormalization's scale). */
  | { readonly k: 'fill'; readonly value: number }
  /**
   * A float constant expanded over the batch axis (PyTorch's start_token.expand(B, 1, F) of a
   * seq2seq decoder): dims with 'B' at the batch axis, data the constant with that axis of size 1.
   */
  | { readonly k: 'bconst'; readonly dims: readonly Dim[]; readonly data: Float32Array }
  /** A [B, F] tensor given a time axis of 1 at ONNX axis 1 (Keras's RepeatVector: expand_dims, then Tile). */
  | { readonly k: 'step1'; readonly ref: Ref }
  /**
   * Keras 3's RepeatVector as tf2onnx writes it: the [B, 1, F] step (a Reshape to [-1, 1, F])
   * given a unit axis at 2, [B, 1, 1, F] ('step1u'), tiled by [1, 1, n, 1] ('repeated', n) until
   * the Reshape to [B, n, F].
   */
  | { readonly k: 'step1u'; readonly ref: Ref }
  | { readonly k: 'repeated'; readonly ref: Ref; readonly n: number }
  /** A [B, T, F] tensor with batch and time merged, [B·T, F] (Keras's TimeDistributed / Dense on sequences: Reshape → MatMul → Reshape). */
  | { readonly k: 'rows'; readonly ref: Ref }
  /** Unsqueeze(x, [2]) of a [B, T, C] sequence, [B, T, 1, C] (rnnkit's UpSampling1D export), and its Tile by [1, 1, n, 1]. */
  | { readonly k: 'unsq2'; readonly ref: Ref }
  | { readonly k: 'tiled'; readonly ref: Ref; readonly n: number }
  /**
   * tf2onnx's form of Keras's fused LayerNormalization: x [B, T, F] reshaped to [1, B·T, F, 1]
   * (bt4; after the BatchNormalization, x is the LayerNormalization's output), and the steps of
   * the statistics the BatchNormalization is fed (fln): ReduceMean over axes [0, 2, 3] (mean),
   * its Squeeze (meanv), x − mean (centred), ReduceSumSquare of it (sumsq), ÷ F (var).
   */
  | { readonly k: 'bt4'; readonly x: TensorVal }
  | { readonly k: 'fln'; readonly stage: 'mean' | 'meanv' | 'centred' | 'sumsq' | 'var'; readonly x: TensorVal }
  /** Made by a node that was refused: its consumers stay quiet (the node is listed once). */
  | { readonly k: 'bad' };

type TensorVal = { readonly k: 'tensor'; readonly ref: Ref; readonly perm: readonly number[] };

/** A layer that makes a mask: Embedding (when maskZero) or Masking. */
type MaskNode = IRNode & { kind: 'embedding' | 'masking' };

type IRNode =
  | { kind: 'input'; name: string; shape: (number | null)[]; index: number }
  /** frozen: trainable false (the zero-kernel Dense that carries a constant over the batch: see batchConstant). */
  | { kind: 'dense'; name: string; kernel: Float32Array; inDim: number; units: number; bias: Float32Array | null; activation: string; x: Ref; frozen?: true }
  /** An Activation layer, or (param) an activation layer with that one option. */
  | { kind: 'act'; name: string; activation: string; x: Ref; param?: { cls: 'LeakyReLU' | 'ELU' | 'ThresholdedReLU' | 'ReLU'; value: number } }
  | { kind: 'embedding'; name: string; table: Float32Array; vocab: number; dim: number; x: Ref; maskZero: boolean }
  | { kind: 'masking'; name: string; maskValue: number; x: Ref; maskZero: true }
  /** Concatenate along rnnkit axis `axis` (-1: the features). */
  | { kind: 'concat'; name: string; xs: Ref[]; axis?: number }
  | { kind: 'merge'; name: string; op: 'Add' | 'Sub' | 'Mul'; xs: Ref[] }
  /**
   * x · scale + shift per feature (either may be absent): tf2onnx's inference-time Keras
   * BatchNormalization (batchnorm/mul_1, batchnorm/add_1), read as a BatchNormalization
   * layer whose moving statistics are neutral.
   */
  | { kind: 'affine'; name: string; units: number; scale: Float32Array | null; shift: Float32Array | null; x: Ref; stats?: { mean: Float32Array; variance: Float32Array; epsilon: number }; centred?: boolean }
  /** LayerNormalization over the features (γ, β absent when the file has none). */
  | { kind: 'layernorm'; name: string; units: number; epsilon: number; gamma: Float32Array | null; beta: Float32Array | null; x: Ref }
  /** Softmax over rnnkit axes (batch axis 0 never among them). */
  | { kind: 'softmax'; name: string; axes: number[]; x: Ref }
  /** Dot along one rnnkit axis of each input. */
  | { kind: 'dot'; name: string; axes: [number, number]; xs: Ref[] }
  /** Reshape to a per-sample shape (-1 first for an open axis). */
  | { kind: 'reshape'; name: string; target: number[]; x: Ref }
  | { kind: 'repeat'; name: string; n: number; x: Ref }
  /** The mean over time of [B, T, F]. */
  | { kind: 'gap'; name: string; x: Ref }
  /**
   * A layer of the convolutional subset (Conv1D, Conv1DTranspose, pooling, global pooling,
   * ZeroPadding1D, Cropping1D, UpSampling1D, Flatten, Permute): made by `make` once the
   * graph is read, with `weights` in Keras's order. activation: the one an activation op
   * after it folds into (Conv1D / Conv1DTranspose: 'linear' until then), null where none may.
   */
  | { kind: 'layer'; name: string; make: (name: string, activation: string) => Layer; weights: Tensor[]; x: Ref; activation: string | null; cropping?: [number, number] }
  | RecNode;

interface RecDir {
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
}

interface RecNode {
  kind: 'rec';
  name: string;
  op: 'LSTM' | 'GRU' | 'RNN';
  D: number;
  H: number;
  I: number;
  T: number | null;
  dirs: RecDir[];
  activation: string;
  recurrentActivation: string;
  resetAfter: boolean;
  x: Ref;
  /** Initial states per state (h, then c), per direction; empty when zeros. */
  init: Ref[][];
  /** direction 'reverse': a goBackwards layer. */
  reverse: boolean;
  /** The maskZero Embedding or the Masking layer whose mask gives this op's sequence_lens, or null. */
  masked: MaskNode | null;
}

/** A graph input's layout hypothesis was wrong: the reading is retried with its first two axes swapped. */
class LayoutError extends Error {}

/**
 * Graph input `index` is [B, C, T] with an open time axis and reaches a convolution or pooling
 * op as it is: the reading is retried with that input read channels-last ([B, T, C]), as
 * rnnkit's layers take it (a Permute cannot move an open axis).
 */
class ChannelsFirst extends Error {
  constructor(readonly index: number) {
    super(`graph input ${index} is channels-first`);
  }
}

const DEFAULT_ACTS: Readonly<Record<string, readonly string[]>> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };

/** Attributes each op may carry (any other is listed as unsupported); ops not here are unsupported. */
const OPS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, readonly string[]>, {
    Constant: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
    Identity: [],
    Dropout: ['seed'],
    Cast: ['to', 'saturate'],
    Shape: ['start', 'end'],
    Gather: ['axis'],
    Unsqueeze: ['axes'],
    Squeeze: ['axes'],
    Concat: ['axis'],
    ConstantOfShape: ['value'],
    Expand: [],
    Slice: ['starts', 'ends', 'axes'],
    Reshape: ['allowzero'],
    Transpose: ['perm'],
    MatMul: [],
    Equal: [],
    Not: [],
    ReduceSum: ['axes', 'keepdims', 'noop_with_empty_axes'],
    Where: [],
    Greater: [],
    Gemm: ['alpha', 'beta', 'transA', 'transB'],
    BatchNormalization: ['epsilon', 'momentum', 'spatial', 'training_mode'],
    Add: [],
    Sub: [],
    Mul: [],
    Relu: [],
    Tanh: [],
    Sigmoid: [],
    Softmax: ['axis'],
    Elu: ['alpha'],
    Selu: ['alpha', 'gamma'],
    Softplus: [],
    Softsign: [],
    HardSigmoid: ['alpha', 'beta'],
    LogSoftmax: ['axis'],
    LeakyRelu: ['alpha'],
    PRelu: [],
    ThresholdedRelu: ['alpha'],
    Gelu: ['approximate'],
    Shrink: ['lambd', 'bias'],
    Mish: [],
    HardSwish: [],
    Exp: [],
    LayerNormalization: ['axis', 'epsilon', 'stash_type'],
    ReduceMean: ['axes', 'keepdims', 'noop_with_empty_axes'],
    Pow: [],
    Sqrt: [],
    Div: [],
    Erf: [],
    Clip: ['min', 'max'],
    Reciprocal: [],
    Tile: [],
    Neg: [],
    InstanceNormalization: ['epsilon'],
    Conv: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    ConvTranspose: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides'],
    MaxPool: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
    AveragePool: ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides'],
    GlobalAveragePool: [],
    GlobalMaxPool: [],
    ReduceMax: ['axes', 'keepdims', 'noop_with_empty_axes'],
    ReduceProd: ['axes', 'keepdims', 'noop_with_empty_axes'],
    ReduceSumSquare: ['axes', 'keepdims', 'noop_with_empty_axes'],
    Flatten: ['axis'],
    Pad: ['mode', 'pads', 'value'],
    LSTM: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout'],
    GRU: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout', 'linear_before_reset'],
    RNN: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'],
  }),
);

/** Inputs an op cannot do without (others: one). */
const ARITY: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, { Gather: 2, Expand: 2, Greater: 2, MatMul: 2, Gemm: 2, Add: 2, Sub: 2, Mul: 2, Equal: 2, Where: 3, Reshape: 2, LSTM: 3, GRU: 3, RNN: 3, Concat: 1, BatchNormalization: 5, LayerNormalization: 2, Pow: 2, Div: 2, Tile: 2, InstanceNormalization: 3, Conv: 2, ConvTranspose: 2 }),
);

/** Element-wise activation ops → rnnkit activation names (attributes checked where they are read). */
const ACT_OPS: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    Relu: 'relu',
    Tanh: 'tanh',
    Sigmoid: 'sigmoid',
    Softmax: 'softmax',
    LogSoftmax: 'logSoftmax',
    Elu: 'elu',
    Selu: 'selu',
    Softplus: 'softplus',
    Softsign: 'softsign',
    HardSigmoid: 'hardSigmoid',
    LeakyRelu: 'leakyRelu',
    ThresholdedRelu: 'thresholdedRelu', // always a ThresholdedReLU layer (its param), never this name
    Gelu: 'gelu',
    Shrink: 'softShrink',
    Mish: 'mish',
    HardSwish: 'hardSilu',
    Exp: 'exponential',
  }),
);

/** An element-wise activation node: an ONNX activation op, or an idiom of rnnkit's exporter (idioms.ts). */
function isActivation(n: NodeData): boolean {
  return ACT_OPS[n.opType] !== undefined || isIdiomNode(n);
}

/** Recurrent activations (ONNX names) → rnnkit names; HardSigmoid is decided by its alpha. */
const RNN_ACTS: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, { Sigmoid: 'sigmoid', Tanh: 'tanh', Relu: 'relu', Softsign: 'softsign', Softplus: 'softplus', Elu: 'elu', HardSigmoid: 'hardSigmoid', Affine: 'linear', LeakyRelu: 'leakyRelu' }),
);

// ---- Reading --------------------------------------------------------------------------

interface Options {
  maxBytes: number;
  checkFinite: boolean;
  /** The contents of tensors kept in external files (external.ts), by tensor. */
  external?: ReadonlyMap<TensorData, Uint8Array>;
}

function nodeLabel(n: NodeData): string {
  // An unnamed node goes by its first output that is given: ONNX's own LSTM / GRU cases leave
  // Y out (outputs ['', 'Y_h']), and "LSTM '?'" would not say which node was refused.
  return `${n.opType} '${n.name || n.outputs.find((o) => o !== '') || '?'}'`;
}

/** A TensorProto's contents, sizes checked before allocating. */
function readConst(t: TensorData, where: string, o: Options, budget: { left: number }): Const {
  const label = `tensor '${t.name}' (byte ${t.offset})`;
  const ext = t.external ? o.external?.get(t) : undefined;
  if (t.external && ext === undefined) throw new ModelFormatError(`${where}: ${label} keeps its data in an external file, which was not read (loadOnnx reads external data for a file path or options.externalData)`);
  if (t.external && t.raw !== null) throw new ModelFormatError(`${where}: ${label} has both raw_data and external data`);
  const elem = ELEM_BYTES[t.dtype];
  if (elem === undefined || ![1, 6, 7, 9, 11].includes(t.dtype)) throw new ModelFormatError(`${where}: ${label} has data type ${DTYPE_NAMES[t.dtype] ?? t.dtype}, which loadOnnx does not read (float, double, int32, int64, bool)`);
  let count = 1;
  for (const d of t.dims) {
    count *= d;
    if (!Number.isSafeInteger(count) || count * elem > o.maxBytes) throw new ModelFormatError(`${where}: ${label} of shape [${t.dims.join(', ')}] is larger than maxBytes (${o.maxBytes})`);
  }
  budget.left -= count * elem;
  if (budget.left < 0) throw new ModelFormatError(`${where}: the tensors hold more than maxBytes (${o.maxBytes})`);
  const data = t.dtype === 1 ? new Float32Array(count) : new Float64Array(count);
  const raw = ext ?? t.raw;
  if (raw !== null && (raw.length > 0 || ext !== undefined)) {
    if (raw.length !== count * elem) throw new ModelFormatError(`${where}: ${label}: ${ext !== undefined ? 'its external data holds' : 'raw_data holds'} ${raw.length} bytes, shape [${t.dims.join(', ')}] of ${DTYPE_NAMES[t.dtype]} needs ${count * elem}`);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      if (t.dtype === 1) data[i] = v.getFloat32(4 * i, true);
      else if (t.dtype === 11) data[i] = v.getFloat64(8 * i, true);
      else if (t.dtype === 6) data[i] = v.getInt32(4 * i, true);
      else if (t.dtype === 7) data[i] = Number(v.getBigInt64(8 * i, true));
      else data[i] = v.getUint8(i) !== 0 ? 1 : 0;
    }
  } else {
    const src = t.dtype === 1 ? t.floats : t.dtype === 11 ? t.doubles : t.ints;
    const n = src?.length ?? 0;
    if (n !== count) throw new ModelFormatError(`${where}: ${label}: holds ${n} values, shape [${t.dims.join(', ')}] needs ${count}`);
    for (let i = 0; i < count; i++) data[i] = t.dtype === 9 ? (src![i] !== 0 ? 1 : 0) : src![i]!;
  }
  if (o.checkFinite && (t.dtype === 1 || t.dtype === 11)) {
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new ModelFormatError(`${where}: ${label} holds ${data[bad]} at index ${bad}; loadOnnx refuses non-finite weights (checkFinite: false loads them anyway)`);
  }
  return { dtype: t.dtype, dims: t.dims, data };
}

/**
 * Bytes that do not decode and begin with text: a Git LFS pointer (the file was never fetched)
 * or other text saved under an .onnx name, said as such rather than as a protobuf field error.
 */
function textInstead(bytes: Uint8Array, where: string): ModelFormatError | null {
  const head = bytes.subarray(0, 64);
  if (head.length === 0 || !head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))) return null;
  const text = new TextDecoder().decode(head);
  if (isLfsPointer(bytes)) return new ModelFormatError(`${where}: a Git LFS pointer, not the ONNX file (fetch it with git lfs pull)`);
  return new ModelFormatError(`${where}: text, not an ONNX protobuf (it begins ${JSON.stringify(text.slice(0, 40))})`);
}

function decodeOnnx(bytes: Uint8Array, where: string): ModelData {
  try {
    return decodeModel(bytes, where);
  } catch (e) {
    // A text-converted file fails somewhere in the protobuf (a length runs past the end): say why.
    if (e instanceof ModelFormatError && looksTextConverted(bytes)) throw new ModelFormatError(`${where}: does not decode as ONNX: ${TEXT_CONVERTED} (the decoder said: ${e.message.startsWith(where) ? e.message.slice(where.length + 2) : e.message})`);
    throw textInstead(bytes, where) ?? e;
  }
}

/** Synchronous core of loadOnnx on the file's bytes (external data not read: see loadOnnx). */
export function modelFromOnnx(bytes: Uint8Array, where: string, o: Options): Model {
  return modelFromDecoded(decodeOnnx(bytes, where), where, o);
}

function modelFromDecoded(decoded: ModelData, where: string, o: Options): Model {
  // tf2onnx's Loop form of Keras recurrent layers becomes the ONNX recurrent op (loop.ts).
  // rnnkit's own spellings of activations ONNX has no op for become one node each (idioms.ts).
  const m = rewriteIdioms(rewriteLoops(decoded, where, o.maxBytes));
  const budget = { left: o.maxBytes };
  const consts = new Map<string, Const>();
  for (const t of m.graph.initializers) {
    if (t.name === '') throw new ModelFormatError(`${where}: an initializer at byte ${t.offset} has no name`);
    consts.set(t.name, readConst(t, where, o, budget));
  }
  // Inputs are the graph inputs that are not initializers (IR < 4 lists initializers as inputs too).
  const realInputs = m.graph.inputs.filter((v) => !consts.has(v.name));
  const swappable = realInputs.map((v) => (v.dims?.length ?? 0) >= 2);
  const candidates = swappable.filter(Boolean).length;
  let last: unknown = null;
  // Inputs found channels-first ([B, C, T] into a Conv or pool): read as [B, T, C] from then on.
  const channelsFirst = new Set<number>();
  // Hypotheses: every input batch-first, then (on a layout clash at a recurrent op) time-major ones.
  for (let mask = 0; mask < 2 ** Math.min(candidates, 4); mask++) {
    let bit = 0;
    const swap = swappable.map((s) => s && ((mask >> bit++) & 1) === 1);
    try {
      return interpret(m, where, o, consts, budget, swap, channelsFirst);
    } catch (e) {
      if (e instanceof ChannelsFirst && !channelsFirst.has(e.index) && !swap[e.index]) {
        // The same hypothesis again with that input channels-last (each input at most once: the loop ends).
        channelsFirst.add(e.index);
        mask--;
        continue;
      }
      if (e instanceof ChannelsFirst) {
        last = new Error(`graph input ${e.index} reaches a convolution or pooling op as [B, C, T] with an open time axis in a way loadOnnx cannot lay out`);
        continue;
      }
      if (e instanceof LayoutError) {
        last = e;
        continue;
      }
      // A layer refusing what the file asks (a size, an option) is still a bad file, not a crash.
      if (e instanceof RangeError || e instanceof TypeError) throw Object.assign(new ModelFormatError(`${where}: ${e.message}`), { cause: e });
      throw e;
    }
  }
  throw new OnnxImportError(where, [(last as Error).message]);
}

/** Boolean ops that join masks (rnnkit writes And for element-wise merges and Or or And for Concatenate). */
const MASK_JOINS: ReadonlySet<string> = new Set(['And', 'Or']);

/**
 * Every op and attribute outside the subset, found before reading (`refused` gets the nodes
 * concerned, which the reading then skips; what only the reading can see is added there).
 */
function checkOps(m: ModelData, refused: Set<NodeData>): string[] {
  const p: string[] = [];
  const opset = m.opsets.get('') ?? 0;
  if (opset < 7 || opset > 21) p.push(`opset ${opset} of the default domain (loadOnnx reads opsets 7 to 21)`);
  for (const [domain] of m.opsets) if (domain !== '' && m.graph.nodes.some((n) => n.domain === domain)) p.push(`operator set domain '${domain}' (only the default ONNX domain is read)`);
  if (m.functions > 0) p.push(`${m.functions} model-local function(s) (not inlined by loadOnnx)`);
  if (m.graph.sparseInitializers > 0) p.push(`${m.graph.sparseInitializers} sparse initializer(s)`);
  for (const n of m.graph.nodes) {
    const before = p.length;
    const allowed = isIdiomNode(n) ? [] : OPS[n.opType];
    if (n.domain !== '' && n.domain !== 'ai.onnx') p.push(`op ${nodeLabel(n)} of domain '${n.domain}'`);
    else if (allowed === undefined) p.push(loopRefusal(n) ?? `op ${nodeLabel(n)}${MASK_JOINS.has(n.opType) ? " (a join of step masks, as rnnkit's export of a merge of masked inputs: loadOnnx reads a recurrent op's sequence_lens from one Embedding or Masking layer's mask)" : ''}`);
    else {
      for (const [k, v] of n.attributes) {
        if (!allowed.includes(k)) p.push(`${nodeLabel(n)}: attribute '${k}' (${n.opType} is read with ${allowed.length === 0 ? 'no attributes' : allowed.join(', ')})`);
        else if (v.type === 'other') p.push(`${nodeLabel(n)}: attribute '${k}' holds a ${v.value}`);
      }
    }
    if (p.length > before) refused.add(n);
  }
  return p;
}

function attrInt(n: NodeData, key: string, dflt: number): number {
  const a = n.attributes.get(key);
  if (a === undefined) return dflt;
  if (a.type !== 'int') throw new ModelFormatError(`${nodeLabel(n)}: attribute '${key}' must be an integer, got a ${a.type}`);
  return a.value;
}

function attrFloat(n: NodeData, key: string, dflt: number): number {
  const a = n.attributes.get(key);
  if (a === undefined) return dflt;
  if (a.type !== 'float') throw new ModelFormatError(`${nodeLabel(n)}: attribute '${key}' must be a float, got a ${a.type}`);
  return a.value;
}

function attrInts(n: NodeData, key: string): readonly number[] | null {
  const a = n.attributes.get(key);
  if (a === undefined) return null;
  if (a.type !== 'ints') throw new ModelFormatError(`${nodeLabel(n)}: attribute '${key}' must be a list of integers, got a ${a.type}`);
  return a.value;
}

function attrOf(n: NodeData, key: string): AttributeValue | undefined {
  return n.attributes.get(key);
}

/** A layer name from the node name: PyTorch's '/rnn/LSTM_1' → 'rnn'; made unique per model. */
class Names {
  private readonly used = new Set<string>();
  /** A name taken as it is (graph inputs keep their ONNX names, so predict can be fed by name). */
  reserve(name: string): void {
    this.used.add(name);
  }
  take(node: NodeData | null, fallback: string): string {
    let base = fallback;
    // rnnkit's export names weights '<layer>_<weight>__<n>': the layer's own name comes back.
    const own = node?.inputs.map((i) => /^([A-Za-z][A-Za-z0-9_.-]*)_(W|kernel|embeddings)__\d+$/.exec(i)?.[1]).find((x) => x !== undefined);
    if (own !== undefined) base = own;
    // (and its node names, 'n_<Op>__<n>', say nothing: such a layer gets the class's name)
    else if (node !== null && node.name !== '' && !/^n_[A-Za-z]+__\d+$/.test(node.name)) {
      const parts = node.name.split('/').filter((s) => s !== '');
      if (parts.length > 1 && /^[A-Z][A-Za-z]*(_\d+)?$/.test(parts[parts.length - 1]!)) parts.pop();
      const joined = parts.join('_').replace(/[^A-Za-z0-9_.-]/g, '_');
      if (joined !== '' && /^[A-Za-z]/.test(joined)) base = joined;
    }
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

function norm(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ModelFormatError(`${what}: axis ${axis} outside rank ${rank}`);
  return a;
}

/** One reading of the graph under an input-layout hypothesis (swap[i]: input i is time-major). */
function interpret(m: ModelData, where: string, o: Options, consts: ReadonlyMap<string, Const>, budget: { left: number }, swap: readonly boolean[], channelsFirst: ReadonlySet<number>): Model {
  const vals = new Map<string, Val>();
  const refused = new Set<NodeData>();
  const problems: string[] = checkOps(m, refused);
  const names = new Names();
  const ir: IRNode[] = [];
  const opset = m.opsets.get('') ?? 0;
  const ports = new Map<IRNode, Map<string, Ref>>();
  const port = (node: IRNode, name: string, shape: readonly (number | null)[]): Ref => {
    let own = ports.get(node);
    if (own === undefined) ports.set(node, (own = new Map()));
    let r = own.get(name);
    if (r === undefined) own.set(name, (r = { node, port: name, shape }));
    return r;
  };
  // How many times each value is consumed (a MatMul's bias Add or activation is folded into
  // its Dense only when nothing else reads the MatMul's output).
  const uses = new Map<string, number>();
  for (const n of m.graph.nodes) for (const i of n.inputs) if (i !== '') uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const v of m.graph.outputs) uses.set(v.name, (uses.get(v.name) ?? 0) + 1);

  for (const [k, c] of consts) vals.set(k, { k: 'const', c });
  let inputIndex = 0;
  m.graph.inputs.forEach((v) => {
    if (consts.has(v.name)) return;
    const i = inputIndex++;
    names.reserve(v.name);
    if (v.dims === null) throw new ModelFormatError(`${where}: graph input '${v.name}' has no shape`);
    if (v.dtype !== 1 && v.dtype !== 6 && v.dtype !== 7 && v.dtype !== 11) problems.push(`graph input '${v.name}' of type ${DTYPE_NAMES[v.dtype] ?? v.dtype} (float or integer inputs only)`);
    const rank = v.dims.length;
    if (rank < 2) {
      problems.push(`graph input '${v.name}' of rank ${rank} (it needs a batch axis and at least one more)`);
      vals.set(v.name, { k: 'bad' });
      return;
    }
    const perm = Array.from({ length: rank }, (_, k) => k);
    if (swap[i]) [perm[0], perm[1]] = [1, 0];
    else if (channelsFirst.has(i) && rank === 3) [perm[1], perm[2]] = [2, 1];
    // rnnkit shape: batch first; an axis sized by a symbol (or 0) is open — only the time axis may be.
    const shape: (number | null)[] = new Array<number | null>(rank).fill(null);
    v.dims.forEach((d, k) => {
      if (perm[k] !== 0) shape[perm[k]!] = typeof d === 'number' && d > 0 ? d : null;
    });
    const node: IRNode = { kind: 'input', name: v.name, shape, index: i };
    ir.push(node);
    vals.set(v.name, { k: 'tensor', ref: port(node, 'y', shape), perm });
  });

  const get = (n: NodeData, i: number): Val | undefined => {
    const name = n.inputs[i];
    if (name === undefined || name === '') return undefined;
    const v = vals.get(name);
    if (v === undefined) throw new ModelFormatError(`${where}: ${nodeLabel(n)} reads '${name}', which no earlier node, input or initializer makes`);
    return v;
  };
  /**
   * A bias Add or an activation folded into the Dense before it changes what every name of
   * that Dense's output means: those names (`names`, as they stand at the fold) may be read
   * only on the way to the folding node; checked once the whole graph is read.
   */
  /** Folds into a layer made earlier: no other node may read the names the layer's output had before (`pattern`: the fold's own nodes, which may). */
  const fusions: { names: Set<string>; at: NodeData; what: string; pattern?: ReadonlySet<NodeData> }[] = [];
  function noteFusion(n: NodeData, ref: Ref, what: string, pattern?: ReadonlySet<NodeData>): void {
    const names = new Set<string>();
    for (const [k, v] of vals) if ((v.k === 'tensor' || v.k === 'unit' || v.k === 'rows') && v.ref === ref) names.add(k);
    fusions.push({ names, at: n, what, ...(pattern === undefined ? {} : { pattern }) });
  }
  const order = new Map(m.graph.nodes.map((n, i) => [n, i]));
  /** The tensors whose open length a shape value holds (Dim `T@i`). */
  const lengthSources: Ref[] = [];

  for (const n of m.graph.nodes) {
    const ins = n.inputs.map((_, i) => get(n, i));
    let outs: Val[];
    if (refused.has(n) || ins.some((v) => v?.k === 'bad')) outs = n.outputs.map(() => ({ k: 'bad' }) as const);
    else {
      try {
        outs = step(n, ins);
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        problems.push(e.message);
        outs = n.outputs.map(() => ({ k: 'bad' }) as const);
      }
    }
    n.outputs.forEach((name, i) => {
      if (name === '') return;
      if (vals.has(name) && !consts.has(name)) throw new ModelFormatError(`${where}: ${nodeLabel(n)} makes '${name}', which another node already makes`);
      vals.set(name, outs[i] ?? { k: 'bad' });
    });
  }

  function step(n: NodeData, ins: (Val | undefined)[]): Val[] {
    const op = n.opType;
    const x = ins[0];
    // Constants fold whatever the op (the subset below covers what exporters leave unfolded).
    if (op === 'Constant') return [constantNode(n)];
    const need = ARITY[op] ?? 1;
    for (let i = 0; i < need; i++) if (ins[i] === undefined) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: input ${i} is missing (${op} takes at least ${need})`);
    if (x === undefined) throw new Unsupported(`${nodeLabel(n)}: its first input is missing`);
    if (ins.every((v) => v === undefined || v.k === 'const') && op !== 'ConstantOfShape') return [foldConst(n, ins as (Val & { k: 'const' })[])];
    // Integer arithmetic on parts of shapes whose sizes are all known (PyTorch's dynamo export multiplies the
    // last two sizes of a recurrent output's shape, 1 direction × H): folded as constants.
    if ((op === 'Mul' || op === 'Add' || op === 'Sub') && ins.some((v) => v?.k === 'shape') && ins.every((v) => v !== undefined && (v.k === 'const' || (v.k === 'shape' && v.dims.every((d) => typeof d === 'number'))))) {
      return [foldConst(n, ins.map((v) => (v!.k === 'shape' ? { k: 'const' as const, c: { dtype: 7, dims: v!.scalar ? [] : [v!.dims.length], data: Float64Array.from(v!.dims as number[]) } } : (v as Val & { k: 'const' }))))];
    }
    const special = patternStep(n, op, ins);
    if (special !== null) return [special];
    switch (op) {
      case 'Identity':
        return [x];
      case 'Dropout':
        // Inference: Dropout is the identity; its optional mask output is not.
        if (n.outputs[1] !== undefined && n.outputs[1] !== '' && (uses.get(n.outputs[1]) ?? 0) > 0) throw new Unsupported(`${nodeLabel(n)}: its mask output is used`);
        if (ins[2] !== undefined) throw new Unsupported(`${nodeLabel(n)}: training_mode given`);
        return [x, { k: 'bad' }];
      case 'Cast': {
        // rnnkit computes in float32: a Cast to float or double changes nothing it computes; a
        // Cast to an integer type truncates, which only graph inputs (token ids) may go through.
        const to = attrInt(n, 'to', 0);
        if (x.k === 'tensor') {
          if (to === 1 || to === 11 || ((to === 6 || to === 7) && x.ref.node.kind === 'input')) return [x];
          throw new Unsupported(`${nodeLabel(n)}: a Cast of a computed tensor to ${DTYPE_NAMES[to] ?? to}`);
        }
        if (x.k === 'zeros' || x.k === 'shape' || x.k === 'mask' || x.k === 'lens' || x.k === 'mdiffers' || x.k === 'mkeep') return [x];
        throw new Unsupported(`${nodeLabel(n)} of a recurrent op's output`);
      }
      case 'Shape':
        return [shapeOf(n, x)];
      case 'ConstantOfShape':
        return [constantOfShape(n, x)];
      case 'Expand':
        return [expand(n, x, ins[1]!)];
      case 'Gather':
        return [gather(n, x, ins[1])];
      case 'Unsqueeze':
        return [unsqueeze(n, x, ins[1])];
      case 'Squeeze':
        return [squeeze(n, x, ins[1])];
      case 'Concat':
        return [concat(n, ins)];
      case 'Slice':
        return [slice(n, ins)];
      case 'Reshape':
        return [reshape(n, x, ins[1])];
      case 'Transpose':
        return [transpose(n, x)];
      case 'MatMul':
        return [matmul(n, x, ins[1])];
      case 'Equal':
        return [equal(n, x, ins[1]!)];
      case 'Not':
        if (x.k === 'eq0') return [{ k: 'mask', ids: x.ids, perm: [0, 1] }];
        if (x.k === 'meq') return [{ k: 'mdiffers', x: x.x, value: x.value }];
        throw new Unsupported(`${nodeLabel(n)} of something other than ids == 0 (an Embedding's mask)`);
      case 'ReduceSum':
        return [reduceSum(n, x, ins[1])];
      case 'Greater': {
        const c = ins[1]!;
        if (x.k === 'mcount' && c.k === 'const' && c.c.data.length === 1 && c.c.data[0] === 0) return [{ k: 'mkeep', x: x.x, value: x.value }];
        throw new Unsupported(`${nodeLabel(n)}: a Greater other than a Masking layer's kept-step test`);
      }
      case 'Where':
        return [where_(n, x, ins[1]!, ins[2]!)];
      case 'Gemm':
        return [gemm(n, x, ins[1], ins[2])];
      case 'BatchNormalization':
        return [batchNorm(n, x, ins)];
      case 'Add':
      case 'Sub':
      case 'Mul':
        return [arith(n, op, x, ins[1]!)];
      case 'LSTM':
      case 'GRU':
      case 'RNN':
        return recurrent(n, op, ins);
      case 'Conv':
        return [conv(n, x, ins[1]!, ins[2])];
      case 'ConvTranspose':
        return [convTranspose(n, x, ins[1]!, ins[2])];
      case 'MaxPool':
      case 'AveragePool':
        return [pool(n, x), { k: 'bad' }];
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        return [globalPool(n, x)];
      case 'ReduceMax': {
        const y = reduceTime(n, x, ins[1]);
        if (y === null) throw new Unsupported(`${nodeLabel(n)}: a ReduceMax other than over the time axis of a sequence (global max pooling)`);
        return [y];
      }
      case 'Flatten': {
        if (!isTensor(x)) throw new Unsupported(`${nodeLabel(n)}: its input is not a model tensor`);
        const axis = norm(attrInt(n, 'axis', 1), x.perm.length + 1, nodeLabel(n));
        if (axis !== 1 || x.perm[0] !== 0) throw new Unsupported(`${nodeLabel(n)}: axis ${attrInt(n, 'axis', 1)} (only axis 1, all but the batch axis)`);
        return [reshapeTo(n, x, [-1])];
      }
      case 'Pad':
        return [pad(n, x, ins)];
      case 'PRelu':
        return [prelu(n, x, ins[1])];
    }
    if (isActivation(n)) return [activationOp(n, x)];
    throw new Unsupported(`op ${nodeLabel(n)}`);
  }

  function constantNode(n: NodeData): Val {
    const [key, a] = [...n.attributes][0] ?? [];
    if (a === undefined || n.attributes.size !== 1) throw new Unsupported(`${nodeLabel(n)}: expected exactly one value attribute`);
    if (key === 'value' && a.type === 'tensor') return { k: 'const', c: readConst(a.value, where, o, budget) };
    if (key === 'value_float' && a.type === 'float') return { k: 'const', c: { dtype: 1, dims: [], data: Float32Array.of(a.value) } };
    if (key === 'value_floats' && a.type === 'floats') return { k: 'const', c: { dtype: 1, dims: [a.value.length], data: Float32Array.from(a.value) } };
    if (key === 'value_int' && a.type === 'int') return { k: 'const', c: { dtype: 7, dims: [], data: Float64Array.of(a.value) } };
    if (key === 'value_ints' && a.type === 'ints') return { k: 'const', c: { dtype: 7, dims: [a.value.length], data: Float64Array.from(a.value) } };
    throw new Unsupported(`${nodeLabel(n)}: attribute '${key}' of type ${a.type}`);
  }

  /** The axes input (opset ≥ 13) or attribute (before). */
  function axesOf(n: NodeData, v: Val | undefined): number[] | null {
    if (v !== undefined) {
      if (v.k !== 'const') throw new Unsupported(`${nodeLabel(n)}: axes must be a constant`);
      return [...v.c.data];
    }
    const a = attrInts(n, 'axes');
    return a === null ? null : [...a];
  }

  function foldConst(n: NodeData, ins: ({ k: 'const'; c: Const } | undefined)[]): Val {
    const c = ins[0]!.c;
    const make = (dims: number[], data: number[] | Float32Array | Float64Array, dtype = c.dtype): Val => ({ k: 'const', c: { dtype, dims, data: dtype === 1 ? Float32Array.from(data) : Float64Array.from(data) } });
    switch (n.opType) {
      case 'Identity':
        return ins[0]!;
      case 'Cast': {
        const to = attrInt(n, 'to', 1);
        const data = [...c.data].map((v) => (to === 1 ? Math.fround(v) : to === 6 || to === 7 ? Math.trunc(v) : to === 9 ? (v !== 0 ? 1 : 0) : v));
        if (![1, 6, 7, 9, 11].includes(to)) throw new Unsupported(`${nodeLabel(n)}: cast to ${DTYPE_NAMES[to] ?? to}`);
        return make([...c.dims], data, to);
      }
      case 'Shape':
        return make([c.dims.length], [...c.dims], 7);
      case 'Unsqueeze': {
        const axes = axesOf(n, ins[1]);
        if (axes === null) throw new Unsupported(`${nodeLabel(n)}: no axes`);
        const rank = c.dims.length + axes.length;
        const sorted = axes.map((a) => norm(a, rank, nodeLabel(n))).sort((a, b) => a - b);
        const dims = [...c.dims];
        for (const a of sorted) dims.splice(a, 0, 1);
        return make(dims, c.data);
      }
      case 'Squeeze': {
        const axes = axesOf(n, ins[1]);
        const keep = c.dims.filter((d, k) => (axes === null ? d !== 1 : !axes.map((a) => norm(a, c.dims.length, nodeLabel(n))).includes(k)));
        return make(keep, c.data);
      }
      case 'Reshape': {
        const shape = [...ins[1]!.c.data];
        const total = c.data.length;
        const dims = shape.map((d, k) => (d === 0 ? (c.dims[k] ?? 0) : d));
        const known = dims.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
        const out = dims.map((d) => (d === -1 ? total / known : d));
        if (out.reduce((a, d) => a * d, 1) !== total || out.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: cannot reshape [${c.dims.join(', ')}] to [${shape.join(', ')}]`);
        return make(out, c.data);
      }
      case 'Concat': {
        const parts = ins.map((v) => v!.c);
        const rank = c.dims.length;
        const a = norm(attrInt(n, 'axis', 0), rank, nodeLabel(n));
        if (parts.some((p) => p.dims.length !== rank || p.dims.some((d, k) => k !== a && d !== c.dims[k]))) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: inputs of shapes ${parts.map((p) => `[${p.dims.join(', ')}]`).join(', ')} do not join along axis ${a}`);
        const outer = c.dims.slice(0, a).reduce((x, d) => x * d, 1);
        const inner = c.dims.slice(a + 1).reduce((x, d) => x * d, 1);
        const data: number[] = [];
        for (let i = 0; i < outer; i++) for (const p of parts) for (let j = 0; j < p.dims[a]! * inner; j++) data.push(p.data[i * p.dims[a]! * inner + j]!);
        const dims = [...c.dims];
        dims[a] = parts.reduce((x, p) => x + p.dims[a]!, 0);
        return make(dims, data);
      }
      case 'Transpose': {
        const rank = c.dims.length;
        const p = attrInts(n, 'perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
        if (p.length !== rank || new Set(p).size !== rank || p.some((a) => a < 0 || a >= rank)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: perm [${p.join(', ')}] is not a permutation of ${rank} axes`);
        return make(
          p.map((a) => c.dims[a]!),
          pick(
            c,
            p.map((a) => Array.from({ length: c.dims[a]! }, (_, i) => i)),
            p,
          ),
        );
      }
      case 'Gather': {
        const idx = ins[1]!.c;
        const rank = c.dims.length;
        const a = norm(attrInt(n, 'axis', 0), rank, nodeLabel(n));
        const list = [...idx.data].map((i) => {
          const j = i < 0 ? i + c.dims[a]! : i;
          if (j < 0 || j >= c.dims[a]!) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: index ${i} outside [0, ${c.dims[a]})`);
          return j;
        });
        const lists = c.dims.map((d, k) => (k === a ? list : Array.from({ length: d }, (_, i) => i)));
        return make([...c.dims.slice(0, a), ...idx.dims, ...c.dims.slice(a + 1)], pick(c, lists, null));
      }
      case 'Slice': {
        const rank = c.dims.length;
        const lists = c.dims.map((d, k) => sliceIndices(n, ins, d, k, rank));
        return make(
          lists.map((l) => l.length),
          pick(c, lists, null),
        );
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Equal': {
        // Integer shape arithmetic (PyTorch's Expand fix-up multiplies ones by -1): both of one
        // shape, or one of them a single value. Float constants are left alone: they are weights,
        // folded into layers where they are read (a float product here would round as float64).
        const d = ins[1]!.c;
        if (c.dtype === 1 || d.dtype === 1 || c.dtype === 11 || d.dtype === 11) break;
        const [big, len] = c.data.length >= d.data.length ? [c, c.data.length] : [d, d.data.length];
        if ((c.data.length !== len && c.data.length !== 1) || (d.data.length !== len && d.data.length !== 1) || (c.data.length === d.data.length && c.dims.join() !== d.dims.join())) break;
        const at = (v: Const, i: number): number => v.data[v.data.length === 1 ? 0 : i]!;
        const f = { Add: (a: number, b: number) => a + b, Sub: (a: number, b: number) => a - b, Mul: (a: number, b: number) => a * b, Equal: (a: number, b: number) => (a === b ? 1 : 0) }[n.opType]!;
        return make([...big.dims], Array.from({ length: len }, (_, i) => f(at(c, i), at(d, i))), n.opType === 'Equal' ? 9 : c.dtype);
      }
    }
    throw new Unsupported(`${nodeLabel(n)} on constants only (loadOnnx folds Identity, Cast, Shape, Unsqueeze, Squeeze, Reshape, Concat, Gather, Slice, Transpose, and Add / Sub / Mul / Equal of integers)`);
  }

  /**
   * Elements of `c` at the index lists per axis (row-major over the lists), reading the lists
   * in the axis order `order` (a Transpose's perm; null: in order).
   */
  function pick(c: Const, lists: readonly (readonly number[])[], order: readonly number[] | null): number[] {
    const rank = c.dims.length;
    const strides = new Array<number>(rank);
    for (let k = rank - 1, s = 1; k >= 0; k--) {
      strides[k] = s;
      s *= c.dims[k]!;
    }
    const axisOf = order ?? lists.map((_, k) => k);
    // A Gather can make more elements than the file holds: bounded like the file's own tensors.
    const count = lists.reduce((a, l) => a * l.length, 1);
    budget.left -= count * 8;
    if (budget.left < 0) throw new ModelFormatError(`${where}: folding constants would make ${count} more elements than maxBytes (${o.maxBytes}) allows`);
    const out: number[] = [];
    const walk = (k: number, off: number): void => {
      if (k === rank) {
        out.push(c.data[off]!);
        return;
      }
      for (const i of lists[k]!) walk(k + 1, off + i * strides[axisOf[k]!]!);
    };
    if (rank === 0) return [c.data[0]!];
    walk(0, 0);
    return out;
  }

  /**
   * The indices a Slice keeps along `axis` of size `size` (rank `rank`): starts / ends / axes /
   * steps from its inputs (opset ≥ 10) or attributes (before), clamped as ONNX clamps them.
   */
  function sliceIndices(n: NodeData, ins: (Val | undefined)[], size: number, axis: number, rank: number): number[] {
    const [s0, e0, step] = sliceBounds(n, ins, size, axis, rank);
    const out: number[] = [];
    for (let i = s0; step > 0 ? i < e0 : i > e0; i += step) out.push(i);
    return out;
  }

  /** [start, end, step] of a Slice along `axis`, clamped to `size` (the whole axis when the Slice leaves it alone). */
  function sliceBounds(n: NodeData, ins: (Val | undefined)[], size: number, axis: number, rank: number): [number, number, number] {
    const num = (i: number, attr: string): number[] | null => {
      if (opset < 10) return attrInts(n, attr) === null ? null : [...attrInts(n, attr)!];
      const v = ins[i];
      if (v === undefined) return null;
      if (v.k !== 'const') throw new Unsupported(`${nodeLabel(n)}: its ${attr} must be constants`);
      return [...v.c.data];
    };
    if (opset >= 10 && ['starts', 'ends', 'axes'].some((k) => n.attributes.has(k))) throw new Unsupported(`${nodeLabel(n)}: attributes starts / ends / axes at opset ${opset} (inputs since opset 10)`);
    const starts = num(1, 'starts') ?? [];
    const ends = num(2, 'ends') ?? [];
    if (starts.length !== ends.length) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: ${starts.length} starts, ${ends.length} ends`);
    const axes = (num(3, 'axes') ?? starts.map((_, k) => k)).map((a) => norm(a, rank, nodeLabel(n)));
    const steps = opset < 10 ? starts.map(() => 1) : (num(4, 'steps') ?? starts.map(() => 1));
    const k = axes.indexOf(axis);
    if (k < 0) return [0, size, 1];
    const step = steps[k]!;
    if (!Number.isInteger(step) || step === 0) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: step ${step}`);
    // ONNX: negative starts/ends count from the end; clamped to [0, size] going forward, [-1, size - 1] going back.
    // INT32_MAX (tf2onnx's "to the end" for x[:, a:]) and above is past any axis, also one of unknown size (2^40 here).
    const fix = (v: number, lo: number, hi: number): number => (v >= 2 ** 31 - 1 ? hi : Math.min(hi, Math.max(lo, v < 0 ? v + size : v)));
    const s0 = step > 0 ? fix(starts[k]!, 0, size) : fix(starts[k]!, -1, size - 1);
    const e0 = step > 0 ? fix(ends[k]!, 0, size) : fix(ends[k]!, -1, size - 1);
    return [s0, e0, step];
  }

  /** A Slice's starts / ends / axes as given (input since opset 10, attribute before), or null (axes absent). */
  function sliceInput(n: NodeData, ins: (Val | undefined)[], i: number, attr: string): number[] | null {
    if (opset < 10) {
      const v = attrInts(n, attr);
      return v === null ? null : [...v];
    }
    const v = ins[i];
    if (v === undefined) return null;
    if (v.k !== 'const') throw new Unsupported(`${nodeLabel(n)}: its ${attr} must be constants`);
    return [...v.c.data];
  }

  /** Start and end (step 1) of a Slice along an axis whose size is unknown or symbolic. */
  function sliceRange(n: NodeData, ins: (Val | undefined)[], size: number, axis: number, rank: number): [number, number] {
    const [s0, e0, step] = sliceBounds(n, ins, size, axis, rank);
    if (step !== 1) throw new Unsupported(`${nodeLabel(n)}: step ${step} along axis ${axis} (only 1 there)`);
    return [s0, Math.max(s0, e0)];
  }

  function shapeOf(n: NodeData, x: Val): Val {
    let dims: Dim[];
    if (x.k === 'tensor') dims = x.perm.map((a): Dim => (a === 0 ? 'B' : (x.ref.shape[a] ?? `T@${lengthSources.push(x.ref) - 1}`)));
    else if (x.k === 'zeros') dims = [...x.dims];
    else if (x.k === 'shape' && !x.scalar) dims = [x.dims.length];
    else if (x.k === 'bconst') dims = [...x.dims];
    else if (x.k === 'bt4') dims = [1, prodOf(x.x.ref), x.x.ref.shape[2]!, 1];
    else if (x.k === 'dirs') {
      // A recurrent op's output by its axes (PyTorch's dynamo export reads the shape of the transposed Y to reshape it).
      const r = x.parts[0]!;
      dims = x.axes.map((a): Dim => (a === 'B' ? 'B' : a === 'D' ? x.parts.length : a === 'U' ? 1 : a === 'F' ? r.shape[r.shape.length - 1]! : (r.shape[1] ?? `T@${lengthSources.push(r) - 1}`)));
    } else if (x.k === 'step1') dims = ['B', 1, x.ref.shape[1]!];
    else if (x.k === 'step1u') dims = ['B', 1, 1, x.ref.shape[1]!];
    else if (x.k === 'repeated') dims = ['B', 1, x.n, x.ref.shape[1]!];
    else throw new Unsupported(`${nodeLabel(n)} of a recurrent op's output`);
    const start = norm(attrInt(n, 'start', 0), dims.length + 1, nodeLabel(n));
    const endAttr = attrInt(n, 'end', dims.length);
    const end = endAttr < 0 ? endAttr + dims.length : Math.min(endAttr, dims.length);
    const out = dims.slice(start, end);
    if (x.k === 'shape' || out.every((d) => typeof d === 'number')) return { k: 'const', c: { dtype: 7, dims: [out.length], data: Float64Array.from(out as number[]) } };
    return { k: 'shape', dims: out, scalar: false };
  }

  function constantOfShape(n: NodeData, x: Val): Val {
    const a = attrOf(n, 'value');
    if (a !== undefined) {
      const c = a.type === 'tensor' ? readConst(a.value, where, o, budget) : null;
      if (c === null || c.data.length !== 1 || c.data[0] !== 0) throw new Unsupported(`${nodeLabel(n)}: a value other than 0 (only zero initial states are read)`);
    }
    if (x.k === 'shape') return { k: 'zeros', dims: x.dims };
    if (x.k === 'const') return { k: 'zeros', dims: [...x.c.data] };
    throw new Unsupported(`${nodeLabel(n)}: its shape is not a shape`);
  }

  /**
   * Zeros expanded to a shape: torch.onnx.export's zero initial state of a recurrent layer
   * whose batch axis is not dynamic (no dynamic_axes) is a [L·D, N, H] zeros constant, N the
   * example's batch size, expanded to [L·D, B, H] (with dynamic_axes it is a
   * ConstantOfShape). The shapes broadcast as numpy's do, except that the baked-in N meets
   * the batch axis B: zeros at every batch size, as rnnkit's batch axis is free at the input
   * too (the file's fixed batch size is not kept).
   */
  function expand(n: NodeData, x: Val, shapeV: Val): Val {
    if (x.k === 'const' && x.c.dtype === 1 && !x.c.data.every((z) => z === 0) && shapeV.k === 'shape' && shapeV.dims.includes('B')) return batchConstant(n, x.c, shapeV.dims);
    // tf.ones([B·T]) at opset ≥ 11 (tf2onnx writes Fill as Expand): a fill, read only as the fused layer normalization's scale.
    if (x.k === 'const' && x.c.data.length === 1 && x.c.data[0] !== 0 && shapeV.k === 'shape' && shapeV.dims.length === 1 && isProd(shapeV.dims[0])) return { k: 'fill', value: x.c.data[0]! };
    if (!(x.k === 'zeros' || (x.k === 'const' && x.c.data.every((z) => z === 0)))) throw new Unsupported(`${nodeLabel(n)}: an Expand of something other than zeros (only zero initial states are read)`);
    let to: Dim[];
    if (shapeV.k === 'shape') to = [...shapeV.dims];
    else if (shapeV.k === 'const' && shapeV.c.dims.length === 1) {
      to = [...shapeV.c.data];
      if (to.some((d) => !Number.isInteger(d) || (d as number) < 0)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: shape [${to.join(', ')}] is not a list of sizes`);
    } else throw new Unsupported(`${nodeLabel(n)}: its shape is not a shape`);
    const from: Dim[] = x.k === 'zeros' ? [...x.dims] : [...x.c.dims];
    const rank = Math.max(from.length, to.length);
    const dims: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const a = from[from.length - rank + i] ?? 1;
      const b = to[to.length - rank + i] ?? 1;
      if (a === 1 || a === b || (b === 'B' && typeof a === 'number')) dims.push(b);
      else if (b === 1) dims.push(a);
      else throw new Unsupported(`${nodeLabel(n)}: shape [${from.join(', ')}] does not expand to [${to.join(', ')}]`);
    }
    return { k: 'zeros', dims };
  }

  /**
   * A float constant expanded to a shape whose only run-time size is the batch ('B', at the axis
   * where the constant has 1; other axes equal or broadcast from 1): a 'bconst'. The data is
   * broadcast here, bounded by maxBytes.
   */
  function batchConstant(n: NodeData, c: Const, to: readonly Dim[]): Val {
    const label = nodeLabel(n);
    if (to.length !== c.dims.length || to.filter((d) => d === 'B').length !== 1 || to.some(isLength)) throw new Unsupported(`${label}: a constant of shape [${c.dims.join(', ')}] expanded to [${to.join(', ')}] (read: to the batch size along one axis of the same rank)`);
    if (to.some((d) => d !== 'B' && (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))) throw new Unsupported(`${label}: a constant expanded to [${to.join(', ')}] (read: the batch size and fixed sizes)`);
    const dims1 = to.map((d, k) => {
      if (d === 'B') {
        if (c.dims[k] !== 1) throw new Unsupported(`${label}: a constant with ${c.dims[k]} rows expanded to the batch size`);
        return 1;
      }
      if (c.dims[k] !== 1 && c.dims[k] !== d) throw new ModelFormatError(`${where}: ${label}: shape [${c.dims.join(', ')}] does not expand to [${to.join(', ')}]`);
      return d as number;
    });
    const count = dims1.reduce((p, d) => p * d, 1);
    if (!Number.isSafeInteger(count) || count * 4 > budget.left) throw new ModelFormatError(`${where}: ${label}: expands to more elements than maxBytes (${o.maxBytes}) allows`);
    budget.left -= count * 4;
    const data = Float32Array.from(pick(c, dims1.map((d, k) => Array.from({ length: d }, (_, i) => (c.dims[k] === 1 ? 0 : i))), null));
    return { k: 'bconst', dims: to, data };
  }

  function gather(n: NodeData, x: Val, idxV: Val | undefined): Val {
    const axisAttr = attrInt(n, 'axis', 0);
    if (idxV === undefined) throw new Unsupported(`${nodeLabel(n)}: no indices`);
    if (x.k === 'const' && idxV.k === 'tensor') {
      // An embedding lookup: table [V, E] gathered along axis 0 by token ids.
      if (x.c.dims.length !== 2 || norm(axisAttr, 2, nodeLabel(n)) !== 0 || x.c.dtype !== 1) throw new Unsupported(`${nodeLabel(n)}: a lookup in a constant other than a float [V, E] table along axis 0`);
      const [V, E] = x.c.dims as [number, number];
      const node: IRNode = { kind: 'embedding', name: names.take(n, 'embedding'), table: x.c.data as Float32Array, vocab: V, dim: E, x: idxV.ref, maskZero: false };
      ir.push(node);
      const rank = idxV.perm.length;
      return { k: 'tensor', ref: port(node, 'y', [...idxV.ref.shape, E]), perm: [...idxV.perm, rank] };
    }
    if (x.k === 'shape' && idxV.k === 'const' && idxV.c.dims.length === 1) {
      // tf2onnx's shape of a transposed tensor: Gather(Shape(x), perm).
      const dims = [...idxV.c.data].map((i) => {
        const j = i < 0 ? i + x.dims.length : i;
        if (!Number.isInteger(j) || j < 0 || j >= x.dims.length) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: index ${i} outside a shape of rank ${x.dims.length}`);
        return x.dims[j]!;
      });
      return { k: 'shape', dims, scalar: false };
    }
    if (idxV.k !== 'const' || idxV.c.data.length !== 1 || idxV.c.dims.length > 1) throw new Unsupported(`${nodeLabel(n)}: indices other than one constant`);
    const idx = idxV.c.data[0]!;
    const scalar = idxV.c.dims.length === 0;
    if (x.k === 'shape') {
      const j = idx < 0 ? idx + x.dims.length : idx;
      if (j < 0 || j >= x.dims.length) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: index ${idx} outside a shape of rank ${x.dims.length}`);
      return { k: 'shape', dims: [x.dims[j]!], scalar };
    }
    if (x.k === 'dirs') {
      const a = norm(axisAttr, x.axes.length, nodeLabel(n));
      let parts: Ref[];
      if (x.axes[a] === 'D') {
        const j = idx < 0 ? idx + x.parts.length : idx;
        if (j < 0 || j >= x.parts.length) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: direction ${idx} of ${x.parts.length}`);
        parts = [x.parts[j]!];
      } else if (x.axes[a] === 'T') parts = x.parts.map((p) => lastStep(n, p, idx));
      else throw new Unsupported(`${nodeLabel(n)}: a Gather along the ${x.axes[a] === 'B' ? 'batch' : 'feature'} axis of a recurrent op's output`);
      if (!scalar && x.axes[a] !== 'D') throw new Unsupported(`${nodeLabel(n)}: a one-element index list along time`);
      const axes = scalar ? x.axes.filter((_, k) => k !== a) : x.axes;
      return fromDirs(n, axes, parts);
    }
    if (x.k === 'tensor') {
      const a = norm(axisAttr, x.perm.length, nodeLabel(n));
      if (x.perm[a] !== 1 || x.ref.shape.length !== 3 || !scalar) throw new Unsupported(`${nodeLabel(n)}: a Gather on a model tensor other than one step of the time axis`);
      const T = x.ref.shape[1] ?? null;
      let ref: Ref;
      try {
        // The final state where the step is the one a layer processed last (returnSequences: false, exactly).
        ref = lastStep(n, x.ref, idx);
      } catch (e) {
        if (!(e instanceof Unsupported) || T === null) throw e;
        // x[:, i] of a sequence of fixed length: a Cropping1D to that one step, its time axis of 1
        // left out (a 'unit' value: a Reshape layer drops it where a real tensor is needed).
        const j = idx < 0 ? idx + T : idx;
        if (!Number.isInteger(j) || j < 0 || j >= T) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: step ${idx} of a sequence of ${T} steps`);
        const crop = layerNode(n, 'cropping1d', (name) => new Cropping1D({ cropping: [j, T - 1 - j], name }), [], x.ref);
        return { k: 'unit', ref: crop, perm: x.perm.filter((_, k) => k !== a) };
      }
      return { k: 'tensor', ref, perm: x.perm.filter((_, k) => k !== a).map((p) => (p > 1 ? p - 1 : p)) };
    }
    throw new Unsupported(`${nodeLabel(n)} of zeros`);
  }

  /** Step `idx` of a recurrent sequence: the final state where that step is the one processed last. */
  function lastStep(n: NodeData, r: Ref, idx: number): Ref {
    const T = r.shape[1] ?? null;
    const atEnd = idx === -1 || (T !== null && idx === T - 1);
    const node = r.node;
    if (node.kind === 'rec') {
      if (r.port === 'seq0' && atEnd) return port(node, 'h0', [null, node.H]);
      if (r.port === 'seqin0' && (idx === 0 || (T !== null && idx === -T))) return port(node, 'h0', [null, node.H]);
      if (r.port === 'seq1' && (idx === 0 || (T !== null && idx === -T))) return port(node, 'h1', [null, node.H]);
      if (r.port === 'seq1' || r.port === 'seqcat') {
        throw new Unsupported(
          `${nodeLabel(n)}: step ${idx} of the backward direction of ${node.op} '${node.name}' is not its final state (out[:, -1] of a bidirectional layer holds the backward direction after one step); rnnkit has no layer that picks one step — use h_n (torch.cat([h_n[-2], h_n[-1]], 1)) instead`,
        );
      }
    }
    if (T === null) {
      throw new Unsupported(
        `${nodeLabel(n)}: step ${idx} of a sequence of open length (x[:, ${idx}]): which steps to crop depends on the length, and no rnnkit layer picks one step of an open-length sequence; read: the last step of a forward recurrent layer's output (its final state), or any step where the length is fixed (export without a dynamic time axis)`,
      );
    }
    throw new Unsupported(`${nodeLabel(n)}: step ${idx} of a sequence that is not a forward recurrent layer's output (only the last step of one, which is its final state, is read)`);
  }

  /** A dirs value with its axes: a model tensor once the direction axis is gone. */
  function fromDirs(n: NodeData, axes: readonly Axis[], parts: readonly Ref[]): Val {
    if (axes.includes('D')) return { k: 'dirs', axes, parts };
    // [1, D, B, H] with one direction picked: [1, B, H], one layer's state of that direction.
    if (axes.includes('U') && parts.length === 1) return { k: 'dirs', axes: axes.map((a) => (a === 'U' ? 'D' : a)), parts };
    if (axes.includes('U')) throw new Error(`loadOnnx: ${nodeLabel(n)} kept a unit axis over ${parts.length} parts`);
    if (parts.length !== 1) throw new Error(`loadOnnx: ${nodeLabel(n)} lost a direction axis of size ${parts.length}`);
    const hasT = axes.includes('T');
    const perm = axes.map((a) => (a === 'B' ? 0 : a === 'T' ? 1 : hasT ? 2 : 1));
    return { k: 'tensor', ref: parts[0]!, perm };
  }

  function unsqueeze(n: NodeData, x: Val, axesV: Val | undefined): Val {
    const axes = axesOf(n, axesV);
    if (axes === null || axes.length !== 1) throw new Unsupported(`${nodeLabel(n)}: axes other than one`);
    if (x.k === 'shape' && x.scalar && norm(axes[0]!, 1, nodeLabel(n)) === 0) return { k: 'shape', dims: x.dims, scalar: false };
    if (x.k === 'zeros') {
      // tf2onnx: a [B, H] zero state given its direction axis, [1, B, H].
      const dims = [...x.dims];
      dims.splice(norm(axes[0]!, dims.length + 1, nodeLabel(n)), 0, 1);
      return { k: 'zeros', dims };
    }
    if (x.k === 'mask' && x.perm.length === 2) {
      const perm = [...x.perm];
      perm.splice(norm(axes[0]!, 3, nodeLabel(n)), 0, 2);
      return { k: 'mask', ids: x.ids, perm };
    }
    if (x.k === 'tensor' && x.perm.length === 2 && x.perm[0] === 0 && norm(axes[0]!, 3, nodeLabel(n)) === 0) {
      // A [B, H] tensor as one direction's initial state [1, B, H] (rnnkit's export writes these).
      return { k: 'dirs', axes: ['D', 'B', 'F'], parts: [x.ref] };
    }
    throw new Unsupported(`${nodeLabel(n)}: an Unsqueeze other than a [B, H] state's direction axis`);
  }

  function squeeze(n: NodeData, x: Val, axesV: Val | undefined): Val {
    if (x.k === 'mkeep') {
      const axes = axesOf(n, axesV)?.map((a) => norm(a, 3, nodeLabel(n)));
      if (axes?.length === 1 && axes[0] === 2) return { k: 'mask', ids: x.x, perm: [0, 1] };
      throw new Unsupported(`${nodeLabel(n)}: a Squeeze of a Masking layer's kept steps other than of its unit axis`);
    }
    if (x.k === 'laststep') {
      const axes = axesOf(n, axesV)?.map((a) => norm(a, 3, nodeLabel(n)));
      if (axes !== undefined && (axes.length !== 1 || axes[0] !== x.axis)) throw new Unsupported(`${nodeLabel(n)}: a Squeeze of axes other than the one-step time axis`);
      return { k: 'tensor', ref: x.ref, perm: x.perm.filter((_, k) => k !== x.axis).map((p) => (p > 1 ? p - 1 : p)) };
    }
    if (x.k !== 'dirs') throw new Unsupported(`${nodeLabel(n)}: a Squeeze of something other than a recurrent op's output`);
    const axes = axesOf(n, axesV)?.map((a) => norm(a, x.axes.length, nodeLabel(n))) ?? x.axes.map((a, k) => (a === 'D' && x.parts.length === 1 ? k : -1)).filter((k) => k >= 0);
    if (axes.length !== 1 || x.axes[axes[0]!] !== 'D' || x.parts.length !== 1) throw new Unsupported(`${nodeLabel(n)}: a Squeeze other than of a one-direction axis`);
    return fromDirs(
      n,
      x.axes.filter((_, k) => k !== axes[0]),
      x.parts,
    );
  }

  function transpose(n: NodeData, x: Val): Val {
    if (x.k === 'bconst') {
      const rank = x.dims.length;
      const p = attrInts(n, 'perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
      if (p.length !== rank || new Set(p).size !== rank || p.some((a) => a < 0 || a >= rank)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: perm [${p.join(', ')}] is not a permutation of ${rank} axes`);
      const c: Const = { dtype: 1, dims: x.dims.map((d) => (d === 'B' ? 1 : (d as number))), data: x.data };
      const data = Float32Array.from(pick(c, p.map((a) => Array.from({ length: c.dims[a]! }, (_, i) => i)), p));
      return { k: 'bconst', dims: p.map((a) => x.dims[a]!), data };
    }
    const rank = x.k === 'tensor' || x.k === 'mask' ? x.perm.length : x.k === 'dirs' ? x.axes.length : -1;
    if (rank < 0) throw new Unsupported(`${nodeLabel(n)} of a constant shape or zeros`);
    const p = attrInts(n, 'perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
    if (p.length !== rank || new Set(p).size !== rank || p.some((a) => a < 0 || a >= rank)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: perm [${p.join(', ')}] is not a permutation of ${rank} axes`);
    if (x.k === 'tensor') return { k: 'tensor', ref: x.ref, perm: p.map((a) => x.perm[a]!) };
    if (x.k === 'mask') return { k: 'mask', ids: x.ids, perm: p.map((a) => x.perm[a]!) };
    const axes = p.map((a) => (x as { axes: readonly Axis[] }).axes[a]!);
    const parts = (x as { parts: readonly Ref[] }).parts;
    if (axes.join() === 'B,D,F' && parts.every((r) => r.node.kind !== 'rec' && r.shape.length === 2 && r.shape[1] === parts[0]!.shape[1])) return stepsAsSequence(n, parts);
    return { k: 'dirs', axes, parts };
  }

  /**
   * [B, F] values stacked on a new leading axis (Unsqueeze 0, Concat 0) and put batch first: no
   * recurrent op's directions but the steps of a sequence [B, P, F] — what tf2onnx writes for Keras
   * 3's TimeDistributed over a sequence of fixed length, which it unrolls step by step (each step
   * x[:, t] through the inner layer, then stacked). Where step t is the same Dense / activation
   * chain applied to step t of one sequence S of P steps, t = 0 … P − 1, that chain is applied once
   * to S (a Dense acts on each step); otherwise each value becomes a step (Reshape to [1, F], a
   * Concatenate along time).
   */
  function stepsAsSequence(n: NodeData, parts: readonly Ref[]): Val {
    const P = parts.length;
    const chains = parts.map((r, t) => stepChain(r, t, P));
    const first = chains[0];
    if (first != null && chains.every((c) => c !== null && c.src.node === first.src.node && c.src.port === first.src.port && c.nodes.length === first.nodes.length && c.nodes.every((m, i) => sameStepNode(m, first.nodes[i]!)))) {
      let x = first.src;
      for (const m of first.nodes) {
        const node: IRNode = { ...m, name: names.take(null, m.kind === 'dense' ? 'dense' : 'activation'), x };
        ir.push(node);
        x = port(node, 'y', [null, P, m.kind === 'dense' ? m.units : x.shape[2]!]);
      }
      return { k: 'tensor', ref: x, perm: [0, 1, 2] };
    }
    return { k: 'tensor', ref: stackSteps(n, parts), perm: [0, 1, 2] };
  }

  /** [B, F] values as the steps of one [B, P, F] tensor: each Reshaped to [1, F], joined by a Concatenate along time. */
  function stackSteps(n: NodeData | null, parts: readonly Ref[]): Ref {
    const F = parts[0]!.shape[1]!;
    const steps = parts.map((r) => {
      const node: IRNode = { kind: 'reshape', name: names.take(null, 'reshape'), target: [1, F], x: r };
      ir.push(node);
      return port(node, 'y', [null, 1, F]);
    });
    const node: IRNode = { kind: 'concat', name: names.take(n, 'concatenate'), xs: steps, axis: 1 };
    ir.push(node);
    return port(node, 'y', [null, parts.length, F]);
  }

  /** Row d of a [B, R, F] tensor as [B, F] (a Cropping1D to that row unless it is the only one, then a Reshape). */
  function stepOf(r: Ref, d: number, R: number): Ref {
    const F = r.shape[2]!;
    const row = R === 1 ? r : layerNode(null, 'cropping1d', (name) => new Cropping1D({ cropping: [d, R - 1 - d], name }), [], r);
    const node: IRNode = { kind: 'reshape', name: names.take(null, 'reshape'), target: [F], x: row };
    ir.push(node);
    return port(node, 'y', [null, F]);
  }

  /** r as a Dense / activation chain over step t of a sequence of P steps (a Cropping1D to that step, squeezed), or null. */
  function stepChain(r: Ref, t: number, P: number): { src: Ref; nodes: (IRNode & { kind: 'dense' | 'act' })[] } | null {
    const nodes: (IRNode & { kind: 'dense' | 'act' })[] = [];
    let at = r;
    while (at.port === 'y' && (at.node.kind === 'dense' || at.node.kind === 'act')) {
      nodes.unshift(at.node);
      at = at.node.x;
    }
    // The last step of a forward recurrent op's unmasked sequence is read as its final state (lastStep).
    const rec = at.node;
    if (rec.kind === 'rec' && at.port === 'h0' && t === P - 1 && rec.T === P && rec.D === 1 && rec.masked === null) return { src: port(rec, 'seq0', [null, P, rec.H]), nodes };
    const squeezed = at.node;
    if (squeezed.kind !== 'reshape' || squeezed.target.length !== 1) return null;
    const crop = squeezed.x.node;
    if (crop.kind !== 'layer' || crop.cropping === undefined || crop.cropping[0] !== t || crop.cropping[1] !== P - 1 - t || crop.x.shape[1] !== P) return null;
    return { src: crop.x, nodes };
  }

  /** The same Dense (weights, bias, activation) or activation, whatever its input. */
  function sameStepNode(a: IRNode, b: IRNode): boolean {
    const same = (u: Float32Array | null, v: Float32Array | null): boolean => u === v || (u !== null && v !== null && u.length === v.length && u.every((z, i) => Object.is(z, v[i])));
    if (a.kind === 'dense' && b.kind === 'dense') return a.units === b.units && a.inDim === b.inDim && a.activation === b.activation && a.frozen === b.frozen && same(a.kernel, b.kernel) && same(a.bias, b.bias);
    if (a.kind === 'act' && b.kind === 'act') return a.activation === b.activation && a.param?.cls === b.param?.cls && a.param?.value === b.param?.value;
    return false;
  }

  function slice(n: NodeData, ins: (Val | undefined)[]): Val {
    const x = ins[0]!;
    if (x.k === 'shape' && !x.scalar) {
      // Part of a shape: tf2onnx's strided_slice taking the batch size out of Shape(x).
      const [s, e] = sliceRange(n, ins, x.dims.length, 0, 1);
      return { k: 'shape', dims: x.dims.slice(s, e), scalar: false };
    }
    if (x.k === 'zeros') {
      // PyTorch slices each layer's zero initial state out of one zeros tensor.
      const dims = x.dims.map((d, k) => {
        if (typeof d !== 'number') {
          const [s, e] = sliceRange(n, ins, 2 ** 40, k, x.dims.length);
          if (s !== 0 || e < 2 ** 40) throw new Unsupported(`${nodeLabel(n)}: a Slice along the batch or time axis`);
          return d;
        }
        const [s, e] = sliceRange(n, ins, d, k, x.dims.length);
        return Math.max(0, e - s);
      });
      return { k: 'zeros', dims };
    }
    if (x.k === 'dirs') {
      const a = x.axes.indexOf('D');
      const [s, e] = sliceRange(n, ins, x.parts.length, a, x.axes.length);
      for (let k = 0; k < x.axes.length; k++) {
        if (k === a) continue;
        const [s2, e2] = sliceRange(n, ins, 2 ** 40, k, x.axes.length);
        if (s2 !== 0 || e2 < 2 ** 40) throw new Unsupported(`${nodeLabel(n)}: a Slice of a recurrent op's output along an axis other than the directions`);
      }
      return { k: 'dirs', axes: x.axes, parts: x.parts.slice(s, e) };
    }
    if (x.k === 'tensor' && x.perm.length === 3) {
      // Only the time axis cut to its last step: x[:, -1:, :].
      const rank = 3;
      const a = x.perm.indexOf(1);
      const T = x.ref.shape[1] ?? 2 ** 40;
      const [s0, e0, st] = sliceBounds(n, ins, T, a, rank);
      const whole = [0, 1, 2].every((k) => {
        if (k === a) return true;
        const size = x.ref.shape[x.perm[k]!] ?? 2 ** 40;
        const [s2, e2, st2] = sliceBounds(n, ins, size, k, rank);
        return s2 === 0 && e2 === size && st2 === 1;
      });
      // The last step of a recurrent op's output is its final state; of another sequence of fixed length, a crop (below).
      if (whole && st === 1 && s0 === T - 1 && e0 === T && (x.ref.node.kind === 'rec' || x.ref.shape[1] === null)) return { k: 'laststep', ref: lastStep(n, x.ref, -1), perm: x.perm, axis: a };
      // The first step of a backward direction's output (x[:1], tf2onnx's Keras Bidirectional): its final state.
      if (whole && st === 1 && s0 === 0 && e0 === 1 && x.ref.node.kind === 'rec' && (x.ref.port === 'seq1' || x.ref.port === 'seqin0')) return { k: 'laststep', ref: lastStep(n, x.ref, 0), perm: x.perm, axis: a };
      // The whole time axis reversed: a reverse op's input-order sequence in processing order (rnnkit's own goBackwards export).
      if (whole && st === -1 && s0 === T - 1 && e0 === -1 && x.ref.node.kind === 'rec' && x.ref.port === 'seqin0') return { k: 'tensor', ref: port(x.ref.node, 'seq0', x.ref.shape), perm: x.perm };
      if (whole && st === 1) {
        // Steps cut at both ends, by counts that hold for every length: a Cropping1D (rnnkit's own export writes
        // ends −c, or 2^62 for none). An open length (T stands for it) admits starts ≥ 0 and ends < 0 or past any length.
        const open = x.ref.shape[1] === null;
        const [starts, ends] = [sliceInput(n, ins, 1, 'starts') ?? [], sliceInput(n, ins, 2, 'ends') ?? []];
        const k = (sliceInput(n, ins, 3, 'axes') ?? starts.map((_, i) => i)).map((v) => norm(v, rank, nodeLabel(n))).indexOf(a);
        if (k < 0 || starts[k] === undefined || ends[k] === undefined) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: starts / ends do not cover axis ${a}`);
        const [rs, re] = [starts[k]!, ends[k]!];
        const fromEnd = re >= 2 ** 31 - 1 ? 0 : re < 0 ? -re : null;
        if (open && (rs < 0 || fromEnd === null)) throw new Unsupported(`${nodeLabel(n)}: a Slice of steps [${rs}, ${re}) of a sequence of open length (a crop that depends on the length)`);
        const cropping: [number, number] = open ? [rs, fromEnd!] : [s0, Math.max(0, T - e0)];
        if (!open && e0 <= s0) throw new Unsupported(`${nodeLabel(n)}: a Slice keeping no step`);
        const crop = layerNode(n, 'cropping1d', (name) => new Cropping1D({ cropping, name }), [], x.ref);
        // Remembered for stepsAsSequence: a step cut out this way and stacked back is a step of this sequence.
        if (!open) (crop.node as { cropping?: [number, number] }).cropping = cropping;
        return { k: 'tensor', ref: crop, perm: x.perm };
      }
    }
    if (x.k === 'tensor' && x.ref.node.kind === 'input' && x.perm.length === 3) {
      // PyTorch's (h0, c0) given as graph inputs [layers·directions, B, H], sliced per layer: read with
      // that input's first two axes swapped (the next hypothesis), the Slice is a crop of the rows.
      throw new LayoutError(
        `${nodeLabel(n)}: a Slice of graph input '${x.ref.node.name}' (if it is a [layers·directions, B, H] initial state sliced per layer: rnnkit's inputs put the batch axis first; export with zero initial states, or with one [B, H] input per state and direction)`,
      );
    }
    throw new Unsupported(`${nodeLabel(n)}: a Slice of a model tensor other than its last time step (only of initial-state zeros, of directions and of the last step)`);
  }

  function concat(n: NodeData, ins: (Val | undefined)[]): Val {
    const xs = ins.filter((v): v is Val => v !== undefined);
    const axis = attrInt(n, 'axis', 0);
    if (xs.every((v) => v.k === 'shape' || v.k === 'const')) {
      const dims: Dim[] = [];
      for (const v of xs) {
        if (v.k === 'const' && v.c.dims.length !== 1) throw new Unsupported(`${nodeLabel(n)}: a Concat of a shape with a constant that is not 1-D`);
        dims.push(...(v.k === 'shape' ? v.dims : [...v.c.data]));
      }
      return { k: 'shape', dims, scalar: false };
    }
    if (xs.some((v) => v.k === 'zeros') && xs.every((v) => v.k === 'zeros' || (v.k === 'const' && v.c.data.every((z) => z === 0)))) {
      // tf2onnx's zero initial state of a bidirectional op: the [1, B, H] zeros of each direction joined on axis 0.
      const parts = xs.map((v) => (v.k === 'zeros' ? v.dims : v.k === 'const' ? v.c.dims : []));
      const rank = parts[0]!.length;
      const a = norm(axis, rank, nodeLabel(n));
      const dims = [...parts[0]!];
      for (const p of parts.slice(1)) {
        if (p.length !== rank || p.some((d, k) => k !== a && d !== dims[k])) throw new Unsupported(`${nodeLabel(n)}: a Concat of zeros whose shapes differ off axis ${a}`);
        const [s, d] = [dims[a]!, p[a]!];
        if (typeof s !== 'number' || typeof d !== 'number') throw new Unsupported(`${nodeLabel(n)}: a Concat of zeros along a run-time axis`);
        dims[a] = s + d;
      }
      return { k: 'zeros', dims };
    }
    if (xs.every((v) => v.k === 'dirs')) {
      const ds = xs as { axes: readonly Axis[]; parts: readonly Ref[] }[];
      const a = norm(axis, ds[0]!.axes.length, nodeLabel(n));
      if (ds[0]!.axes[a] === 'F' && ds.every((d) => d.axes.join() === ds[0]!.axes.join() && d.parts.length === ds[0]!.parts.length)) {
        // States joined along their features, direction by direction: torch.cat([h[:, 0], h[:, 1]], dim=2) of
        // h_n.view(1, 2, B, H) is the forward and backward final states side by side (a Bidirectional's concat).
        return { k: 'dirs', axes: ds[0]!.axes, parts: ds[0]!.parts.map((_, i) => joinRefs(n, ds.map((d) => d.parts[i]!))) };
      }
      if (ds[0]!.axes[a] !== 'D' || ds.some((d) => d.axes.join() !== ds[0]!.axes.join())) throw new Unsupported(`${nodeLabel(n)}: a Concat of recurrent outputs other than along their direction axis`);
      return { k: 'dirs', axes: ds[0]!.axes, parts: ds.flatMap((d) => d.parts) };
    }
    if (xs.every((v) => v.k === 'tensor')) {
      const ts = xs as { ref: Ref; perm: readonly number[] }[];
      const rank = ts[0]!.perm.length;
      const a = norm(axis, rank, nodeLabel(n));
      if (ts.every((t) => t.perm.join() === ts[0]!.perm.join()) && ts[0]!.perm[a] === 1 && rank === 3 && ts.every((t) => t.ref.shape.length === 3 && t.ref.shape[2] === ts[0]!.ref.shape[2])) {
        // Sequences joined along time (a seq2seq decoder's steps, torch.cat(outs, dim=1)): Concatenate on axis 1.
        const lens = ts.map((t) => t.ref.shape[1] ?? null);
        const node: IRNode = { kind: 'concat', name: names.take(n, 'concatenate'), xs: ts.map((t) => t.ref), axis: 1 };
        ir.push(node);
        const T = lens.every((l) => l !== null) ? (lens as number[]).reduce((p, l) => p + l, 0) : null;
        return { k: 'tensor', ref: port(node, 'y', [null, T, ts[0]!.ref.shape[2]!]), perm: ts[0]!.perm };
      }
      if (ts.some((t) => t.perm.join() !== ts[0]!.perm.join()) || ts[0]!.perm[a] !== rank - 1) throw new Unsupported(`${nodeLabel(n)}: a Concat of model tensors other than along the feature or time axis`);
      return { k: 'tensor', ref: joinRefs(n, ts.map((t) => t.ref)), perm: ts[0]!.perm };
    }
    throw new Unsupported(`${nodeLabel(n)}: a Concat of mixed values`);
  }

  /** Concatenated features: a Bidirectional's own concat where the parts are its two directions, else a Concatenate layer. */
  function joinRefs(n: NodeData, refs: readonly Ref[]): Ref {
    const [a, b] = refs;
    if (refs.length === 2 && a!.node === b!.node && a!.node.kind === 'rec') {
      const node = a!.node;
      if (a!.port === 'seq0' && b!.port === 'seq1') return port(node, 'seqcat', [null, node.T, 2 * node.H]);
      if (a!.port === 'h0' && b!.port === 'h1') return port(node, 'hcat', [null, 2 * node.H]);
    }
    const shape = [...refs[0]!.shape];
    shape[shape.length - 1] = refs.reduce((s, r) => s + (r.shape[r.shape.length - 1] ?? 0), 0);
    const node: IRNode = { kind: 'concat', name: names.take(n, 'concatenate'), xs: [...refs] };
    ir.push(node);
    return port(node, 'y', shape);
  }

  function reshape(n: NodeData, x: Val, shapeV: Val | undefined): Val {
    // A 1-D shape value reshaped to [-1] (PyTorch's Expand writes Reshape(shape, [-1])): the same shape.
    if (x.k === 'shape' && !x.scalar && shapeV?.k === 'const' && shapeV.c.data.length === 1 && (shapeV.c.data[0] === -1 || shapeV.c.data[0] === x.dims.length)) return x;
    if (x.k === 'dirs' && x.axes.join() === 'D,B,F' && (shapeV?.k === 'shape' || shapeV?.k === 'const') && attrInt(n, 'allowzero', 0) === 0) {
      // h_n [layers·directions, B, H] viewed as [layers, directions, B, H] (x.size(0) for B): read with one
      // layer, the leading 1 a unit axis that becomes the direction axis once a Gather picks a direction.
      const to: Dim[] = shapeV.k === 'shape' ? [...shapeV.dims] : [...shapeV.c.data];
      const H = x.parts[0]!.shape[1] as number;
      const P = x.parts.length;
      if (to.length === 4 && to[0] === 1 && to[1] === P && (to[2] === 'B' || to[2] === -1) && (to[3] === H || (to[3] === -1 && to[2] === 'B'))) return { k: 'dirs', axes: ['U', 'D', 'B', 'F'], parts: x.parts };
      if (to.length === 4 && typeof to[0] === 'number' && to[0] > 1) {
        throw new Unsupported(`${nodeLabel(n)}: h_n of ${P} [B, H] states viewed as [${to.join(', ')}], ${to[0]} layers by directions (read: one layer, [1, directions, B, H])`);
      }
    }
    if (x.k === 'tensor' && (shapeV?.k === 'shape' || shapeV?.k === 'const') && attrInt(n, 'allowzero', 0) === 0) {
      const to: Dim[] = shapeV.k === 'shape' ? [...shapeV.dims] : [...shapeV.c.data];
      const F = x.ref.shape[2];
      if (to.length === 4 && x.perm.join() === '0,1,2' && x.ref.shape.length === 3 && to[0] === 1 && to[3] === 1 && (to[2] === F || to[2] === -1) && to[1] !== undefined && (to[1] === -1 ? to[2] === F : isProd(to[1]) && sameProd(to[1], x.ref))) return { k: 'bt4', x };
    }
    if ((x.k === 'tensor' || x.k === 'tiled') && attrInt(n, 'allowzero', 0) === 0) {
      // [batch, ...rest]: the batch size copied (0) or PyTorch's x.size(0) (a shape value 'B').
      const to: Dim[] | null = shapeV?.k === 'const' && shapeV.c.dims.length === 1 ? [...shapeV.c.data] : shapeV?.k === 'shape' ? [...shapeV.dims] : null;
      if (to !== null && to.length >= 2 && (to[0] === 0 || to[0] === 'B') && to.slice(1).every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= -1)) {
        const rest = to.slice(1) as number[];
        if (x.k === 'tiled') {
          // [B, T, n, C] → [B, T·n, C]: each step repeated n times, Keras's UpSampling1D.
          const C = x.ref.shape[2]!;
          if (rest.length === 2 && rest[0] === -1 && (rest[1] === C || rest[1] === 0)) {
            const size = x.n;
            return { k: 'tensor', ref: layerNode(n, 'up_sampling1d', (name) => new UpSampling1D({ size, name }), [], x.ref), perm: [0, 1, 2] };
          }
          throw new Unsupported(`${nodeLabel(n)}: a [B, T, ${x.n}, C] tile reshaped to [${to.join(', ')}] (read: [0, -1, C], Keras's UpSampling1D)`);
        }
        if (rest.filter((d) => d === -1).length <= 1) return reshapeTo(n, x, rest);
      }
      if (x.k === 'tensor' && to !== null) {
        const open = openLengthReshape(n, x, to);
        if (open !== null) return open;
      }
    }
    if (x.k === 'dirs' && shapeV?.k === 'shape' && !shapeV.scalar) return reshapeDirs(n, x, shapeV.dims);
    if (shapeV?.k !== 'const') throw new Unsupported(`${nodeLabel(n)}: a shape that is not a constant`);
    const s = [...shapeV.c.data];
    if (x.k === 'dirs') return reshapeDirs(n, x, s);
    throw new Unsupported(`${nodeLabel(n)}: a Reshape other than joining a recurrent op's directions ([T, B, D, H] → [T, B, D·H])`);
  }

  /**
   * A recurrent op's output reshaped: [.., D, F] → [.., D·F] with the leading axes kept (0 = copy,
   * -1 = inferred, the batch size 'B' or the fixed length written out): the directions side by
   * side; or one direction's axis of size 1 dropped.
   */
  function reshapeDirs(n: NodeData, x: Val & { k: 'dirs' }, s: readonly Dim[]): Val {
    const r = x.axes.length;
    const merges = r >= 2 && x.axes[r - 2] === 'D' && x.axes[r - 1] === 'F' && s.length === r - 1;
    const H = x.parts[0]!.shape[x.parts[0]!.shape.length - 1]!;
    const lastOk = s[r - 2] === -1 || s[r - 2] === x.parts.length * H;
    const lead = s.slice(0, r - 2);
    // Leading axes copied (0), inferred (-1), the batch size, or the length written out (keras2onnx's [-1, 28, D·H] after
    // [B, T, D, H]) or read from the output's own shape (PyTorch's dynamo export, an open length).
    const T = x.parts[0]!.shape[1];
    const ownLength = (d: Dim): boolean => T === null && typeof d === 'string' && d.startsWith('T@') && lengthSources[Number(d.slice(2))] !== undefined && sameLength(lengthSources[Number(d.slice(2))]!, x.parts[0]!);
    const keepsLeading = lead.every((d, i) => d === 0 || d === -1 || (x.axes[i] === 'B' && d === 'B') || (x.axes[i] === 'T' && (d === T || ownLength(d)))) && s.filter((d) => d === -1).length <= 1;
    if (merges && lastOk && keepsLeading && attrInt(n, 'allowzero', 0) === 0) {
      const ref = x.parts.length === 1 ? x.parts[0]! : joinRefs(n, x.parts);
      return fromDirs(n, [...x.axes.slice(0, r - 2), 'F'], [ref]);
    }
    // One direction's axis of size 1 dropped anywhere (keras2onnx's Reshape(Y_h, [-1, H]) of [1, B, H]):
    // the batch inferred (-1), a fixed length or the features written out.
    if (x.parts.length === 1 && x.axes.includes('D') && s.length === r - 1 && attrInt(n, 'allowzero', 0) === 0) {
      const rest = x.axes.filter((a) => a !== 'D');
      const size = (a: Axis): number | null => (a === 'F' ? H : a === 'T' ? (x.parts[0]!.shape[1] ?? null) : null);
      if (s.filter((d) => d === -1).length <= 1 && rest.every((a, i) => s[i] === -1 || (a === 'B' && s[i] === 'B') || (size(a) !== null && s[i] === size(a)))) return fromDirs(n, rest, x.parts);
    }
    throw new Unsupported(`${nodeLabel(n)}: a Reshape other than joining a recurrent op's directions ([T, B, D, H] → [T, B, D·H])`);
  }

  /**
   * Reshape of a [B, T, …] tensor of open length T to [B, T, …rest] with T read from the graph
   * (x.view(B, x.size(1), 2, -1)): rnnkit's Reshape keeps the open axis first (-1) and fills
   * each step's features into rest, which needs the elements in rnnkit's order and the length
   * in the shape to be this tensor's own (sameLength); else null (refused as before).
   */
  function openLengthReshape(n: NodeData, x: TensorVal, to: readonly Dim[]): Val | null {
    const t = to[1];
    if (to.length < 3 || !(to[0] === 'B' || to[0] === 0) || !isLength(t) || x.ref.shape[1] !== null || x.perm[0] !== 0 || x.perm[1] !== 1 || !sameOrder(x)) return null;
    const src = typeof t === 'string' && t.startsWith('T@') ? lengthSources[Number(t.slice(2))] : undefined;
    if (src === undefined || !sameLength(src, x.ref)) {
      throw new Unsupported(`${nodeLabel(n)}: a Reshape to [${to.map((d) => (isLength(d) ? 'T' : d)).join(', ')}] with a run-time length T that loadOnnx cannot prove to be this tensor's own length (read: x.size(1) of the tensor reshaped, or of one whose steps it keeps one to one; or write -1 for the time axis)`);
    }
    const rest = to.slice(2);
    if (!rest.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= -1 && d !== 0) || rest.filter((d) => d === -1).length > 1) return null;
    const per = x.ref.shape.slice(2).reduce((p: number, d) => p * (d as number), 1);
    const known = (rest as number[]).filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    if (known === 0 || per % known !== 0 || (!rest.includes(-1) && known !== per)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: steps of ${per} values reshaped to [${rest.join(', ')}]`);
    const target = [-1, ...(rest as number[]).map((d) => (d === -1 ? per / known : d))];
    const y = layerNode(n, 'reshape', (name) => new Reshape({ targetShape: target, name }), [], x.ref);
    return { k: 'tensor', ref: y, perm: range(0, target.length + 1) };
  }

  /**
   * Whether two tensors have the same open length for every input: each traced back through
   * layers that keep steps one to one (Dense, activations, normalizations, Masking, Embedding,
   * a recurrent layer's sequence) to the same tensor.
   */
  function sameLength(a: Ref, b: Ref): boolean {
    const root = (r: Ref): Ref => {
      for (let i = 0; i < 10000; i++) {
        const nd = r.node;
        const keeps = nd.kind === 'dense' || nd.kind === 'act' || nd.kind === 'affine' || nd.kind === 'layernorm' || nd.kind === 'masking' || nd.kind === 'embedding' || (nd.kind === 'rec' && r.port.startsWith('seq'));
        if (!keeps || r.shape.length < 3) return r;
        r = nd.x;
      }
      return r;
    };
    const [ra, rb] = [root(a), root(b)];
    return ra.node === rb.node && ra.port === rb.port;
  }

  /** Equal(ids, 0) on [B, T] token ids: the start of rnnkit's maskZero export. */
  function equal(n: NodeData, a: Val, b: Val): Val {
    if (a.k === 'shape' && !a.scalar && b.k === 'const' && b.c.data.length === a.dims.length) {
      // PyTorch's Expand fix-up, Equal(shape, -1): a run-time size ('B', 'T') is never negative; otherwise unknown.
      const out = a.dims.map((d, k) => {
        const c = b.c.data[k]!;
        if (typeof d === 'number') return d === c ? 1 : 0;
        if (c < 0) return 0;
        throw new Unsupported(`${nodeLabel(n)}: the run-time size ${d === 'B' ? 'batch size' : 'length'} compared with ${c}`);
      });
      return { k: 'const', c: { dtype: 9, dims: [out.length], data: Float64Array.from(out) } };
    }
    const [t, c] = a.k === 'tensor' ? [a, b] : [b, a];
    if (t.k === 'tensor' && c.k === 'const' && c.c.data.length === 1 && c.c.data[0] === 0 && t.perm.length === 2 && t.perm[0] === 0 && t.ref.shape.length === 2) return { k: 'eq0', ids: t.ref };
    if (t.k === 'tensor' && c.k === 'const' && c.c.data.length === 1 && t.perm.join() === '0,1,2' && t.ref.shape.length === 3) return { k: 'meq', x: t.ref, value: c.c.data[0]! };
    throw new Unsupported(`${nodeLabel(n)}: an Equal other than token ids == 0 (Embedding maskZero) or a [B, T, F] sequence == a constant (Masking)`);
  }

  /** ReduceSum of a [B, T] mask over time, keepdims 0: per-row lengths. */
  function reduceSum(n: NodeData, x: Val, axesV: Val | undefined): Val {
    const axes = axesOf(n, axesV);
    if (x.k === 'mask' && x.perm.length === 2 && axes !== null && axes.length === 1 && x.perm[norm(axes[0]!, 2, nodeLabel(n))] === 1 && attrInt(n, 'keepdims', 1) === 0) return { k: 'lens', ids: x.ids };
    if (x.k === 'mdiffers' && axes !== null && axes.length === 1 && norm(axes[0]!, 3, nodeLabel(n)) === 2 && attrInt(n, 'keepdims', 1) === 1) return { k: 'mcount', x: x.x, value: x.value };
    if (x.k === 'mask' && x.perm.length === 3) throw new Unsupported(`${nodeLabel(n)}: a sum over time of a mask [B, T, 1]: rnnkit's export of GlobalAveragePooling1D / GlobalMaxPooling1D on a masked sequence (over the kept steps) is not read back`);
    throw new Unsupported(`${nodeLabel(n)}: a ReduceSum other than the lengths of an Embedding's mask`);
  }

  /**
   * Where(mask [T, B, 1], Y [T, B, H], h [B, H]): rnnkit's export rebuilding Keras's values at
   * masked steps (the previous output, i.e. the final state) — the layer's own sequence with
   * zeroOutputForMask false (port seqk).
   */
  function where_(n: NodeData, m: Val, y: Val, h: Val): Val {
    if (m.k === 'const' && m.c.dims.length === 1 && [y, h].every((v) => (v.k === 'shape' && !v.scalar && v.dims.length === m.c.data.length) || (v.k === 'const' && v.c.dims.length === 1 && v.c.data.length === m.c.data.length))) {
      // Where(Equal(shape, -1), ones, shape): sizes picked one by one, a shape again.
      const at = (v: Val, k: number): Dim => (v.k === 'shape' ? v.dims[k]! : (v as { c: Const }).c.data[k]!);
      return { k: 'shape', dims: [...m.c.data].map((c, k) => at(c !== 0 ? y : h, k)), scalar: false };
    }
    if (m.k === 'mask' && m.perm.join() === '1,0,2' && isTensor(y) && isTensor(h) && y.perm.join() === '1,0,2' && h.perm.join() === '0,1') {
      const node = y.ref.node;
      if (node.kind === 'rec' && node.masked !== null && node.masked.x === m.ids && node.D === 1 && y.ref.port === 'seq0' && h.ref.node === node && h.ref.port === 'h0') {
        return { k: 'tensor', ref: port(node, 'seqk0', y.ref.shape), perm: y.perm };
      }
    }
    throw new Unsupported(`${nodeLabel(n)}: a Where other than a masked recurrent sequence's repeated final state (rnnkit's export)`);
  }

  function isTensor(v: Val | undefined): v is { k: 'tensor'; ref: Ref; perm: readonly number[] } {
    return v?.k === 'tensor';
  }

  /** A Dense from x · kernel [in, out]; x's last ONNX axis must be rnnkit's feature axis. */
  function dense(n: NodeData, x: Val, kernel: Float32Array, inDim: number, units: number): Val {
    if (!isTensor(x)) throw new Unsupported(`${nodeLabel(n)}: its input is not a model tensor`);
    const rank = x.perm.length;
    // A product along another rnnkit axis (after a Permute, or a [B, C, T] view): that axis made the last by a Permute layer.
    if (x.perm[rank - 1] !== rank - 1 && x.perm[0] === 0) x = { k: 'tensor', ref: arrange(n, x, range(0, rank)), perm: range(0, rank) };
    if (x.perm[rank - 1] !== rank - 1) throw new Unsupported(`${nodeLabel(n)}: a product along an axis other than the features`);
    const have = x.ref.shape[rank - 1];
    if (have !== inDim) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: weights of ${inDim} inputs for ${have} features`);
    const node: IRNode = { kind: 'dense', name: names.take(n, 'dense'), kernel, inDim, units, bias: null, activation: 'linear', x: x.ref };
    ir.push(node);
    const shape = [...x.ref.shape];
    shape[rank - 1] = units;
    return { k: 'tensor', ref: port(node, 'y', shape), perm: x.perm };
  }

  function matmul(n: NodeData, x: Val, wV: Val | undefined): Val {
    if (wV?.k !== 'const' || wV.c.dims.length !== 2 || wV.c.dtype !== 1) throw new Unsupported(`${nodeLabel(n)}: a MatMul other than by a constant float [in, out] matrix`);
    const [inDim, units] = wV.c.dims as [number, number];
    return dense(n, x, wV.c.data as Float32Array, inDim, units);
  }

  function gemm(n: NodeData, x: Val, bV: Val | undefined, cV: Val | undefined): Val {
    const bad = ['alpha', 'beta'].filter((k) => attrFloat(n, k, 1) !== 1);
    if (attrInt(n, 'transA', 0) !== 0) bad.push('transA');
    if (bad.length > 0) throw new Unsupported(`${nodeLabel(n)}: ${bad.map((k) => `${k} = ${k === 'transA' ? 1 : attrFloat(n, k, 1)}`).join(', ')} (only alpha = beta = 1, transA = 0)`);
    if (bV?.k !== 'const' || bV.c.dims.length !== 2 || bV.c.dtype !== 1) throw new Unsupported(`${nodeLabel(n)}: B is not a constant float matrix`);
    const transB = attrInt(n, 'transB', 0) !== 0;
    const [r, c] = bV.c.dims as [number, number];
    const inDim = transB ? c : r;
    const units = transB ? r : c;
    let kernel = bV.c.data as Float32Array;
    if (transB) {
      kernel = new Float32Array(r * c);
      for (let i = 0; i < inDim; i++) for (let u = 0; u < units; u++) kernel[i * units + u] = (bV.c.data as Float32Array)[u * inDim + i]!;
    }
    const y = dense(n, x, kernel, inDim, units);
    if (cV !== undefined && !addBias(n, y, cV, true)) throw new Unsupported(`${nodeLabel(n)}: C is not a constant float bias`);
    return y;
  }

  /** Fold a constant bias into the Dense making `y` (when nothing else reads the product). */
  function addBias(n: NodeData, y: Val, c: Val, own: boolean): boolean {
    if (!isTensor(y) || c.k !== 'const' || c.c.dtype !== 1) return false;
    const node = y.ref.node;
    if (node.kind !== 'dense' || node.bias !== null || node.activation !== 'linear') return false;
    // The bias broadcasts along the last ONNX axis: that must be the features.
    if (y.perm[y.perm.length - 1] !== y.perm.length - 1) return false;
    if (!own && (uses.get(n.inputs.find((i) => vals.get(i) === y) ?? '') ?? 0) !== 1) return false;
    if (!own) noteFusion(n, y.ref, 'bias Add');
    const units = node.units;
    if (c.c.data.length !== units || c.c.dims.some((d, k) => d !== 1 && k !== c.c.dims.length - 1) || c.c.dims.length > y.perm.length) {
      if (c.c.data.length === 1 && units !== 1) {
        node.bias = new Float32Array(units).fill(c.c.data[0]!);
        return true;
      }
      throw new Unsupported(`${nodeLabel(n)}: a bias of shape [${c.c.dims.join(', ')}] for ${units} units`);
    }
    node.bias = Float32Array.from(c.c.data);
    return true;
  }

  function arith(n: NodeData, op: 'Add' | 'Sub' | 'Mul', a: Val, b: Val): Val {
    if (op === 'Mul') {
      const [t, k] = a.k === 'mkeep' ? [b, a] : [a, b];
      if (k.k === 'mkeep' && isTensor(t) && t.ref === k.x && t.perm.join() === '0,1,2') {
        const node: IRNode = { kind: 'masking', name: names.take(n, 'masking'), maskValue: k.value, x: t.ref, maskZero: true };
        ir.push(node);
        return { k: 'tensor', ref: port(node, 'y', t.ref.shape), perm: t.perm };
      }
    }
    if (op === 'Add') {
      if (isTensor(a) && b.k === 'const' && addBias(n, a, b, false)) return a;
      if (isTensor(b) && a.k === 'const' && addBias(n, b, a, false)) return b;
    }
    if (op !== 'Sub') {
      const [t, c] = isTensor(a) && b.k === 'const' ? [a, b] : isTensor(b) && a.k === 'const' ? [b, a] : [null, null];
      if (t !== null && c !== null) return affine(n, op, t, c.c);
    }
    if (op === 'Sub' && isTensor(a) && b.k === 'const') {
      // rnnkit's export of BatchNormalization: (x − moving mean) · factor + β. The centring is a
      // BatchNormalization layer with that mean and a variance making 1/√(variance + ε) exactly 1;
      // the Mul and Add after it fold in as γ and β (affine below).
      const R = a.perm.length;
      const F = a.ref.shape[R - 1];
      const mean = typeof F === 'number' && a.perm[R - 1] === R - 1 && R >= 2 ? perFeature(b, F) : null;
      if (mean === null || F === undefined || F === null) throw new Unsupported(`${nodeLabel(n)}: Sub of a model tensor and a constant of shape [${b.c.dims.join(', ')}] (only a per-feature mean, rnnkit's export of BatchNormalization)`);
      const node: IRNode = { kind: 'affine', name: names.take(n, 'batch_normalization'), units: F, scale: null, shift: null, x: a.ref, stats: { mean, variance: new Float32Array(F).fill(1 - AFFINE_EPS), epsilon: AFFINE_EPS }, centred: true };
      ir.push(node);
      return { k: 'tensor', ref: port(node, 'y', a.ref.shape), perm: a.perm };
    }
    if (isTensor(a) && isTensor(b)) {
      if (a.perm.join() !== b.perm.join() || a.ref.shape.join() !== b.ref.shape.join()) throw new Unsupported(`${nodeLabel(n)}: operands of different shapes or layouts`);
      const node: IRNode = { kind: 'merge', name: names.take(n, op.toLowerCase()), op, xs: [a.ref, b.ref] };
      ir.push(node);
      return { k: 'tensor', ref: port(node, 'y', a.ref.shape), perm: a.perm };
    }
    throw new Unsupported(`${nodeLabel(n)}: ${op} of a model tensor and a constant (only a MatMul's bias is read)`);
  }

  /**
   * A model tensor times / plus a per-feature constant: an affine node, or the shift of the
   * affine node that made the tensor (tf2onnx's Keras BatchNormalization: Mul, then Add).
   */
  function affine(n: NodeData, op: 'Add' | 'Mul', t: { k: 'tensor'; ref: Ref; perm: readonly number[] }, c: Const): Val {
    const rank = t.perm.length;
    const F = t.ref.shape[rank - 1];
    const lastIsFeatures = t.perm[rank - 1] === rank - 1 && rank >= 2;
    if (!lastIsFeatures || typeof F !== 'number' || c.dtype !== 1 || c.dims.length > rank || c.dims.some((d, k) => d !== 1 && k !== c.dims.length - 1) || (c.data.length !== F && c.data.length !== 1)) {
      throw new Unsupported(`${nodeLabel(n)}: ${n.opType} of a model tensor and a constant of shape [${c.dims.join(', ')}] (only a MatMul's bias, or a per-feature scale and shift, are read)`);
    }
    const v = c.data.length === F ? Float32Array.from(c.data) : new Float32Array(F).fill(c.data[0]!);
    const prev = t.ref.node;
    const alone = (uses.get(n.inputs.find((i) => vals.get(i) === t) ?? '') ?? 0) === 1;
    if (prev.kind === 'affine' && prev.centred === true && prev.shift === null && (op === 'Add' || prev.scale === null) && alone) {
      // γ (the factor) and β of a centring read from rnnkit's BatchNormalization export.
      noteFusion(n, t.ref, op === 'Mul' ? 'scale Mul' : 'shift Add');
      if (op === 'Mul') prev.scale = v;
      else prev.shift = v;
      return t;
    }
    if (op === 'Add' && prev.kind === 'affine' && prev.shift === null && prev.stats === undefined && alone) {
      noteFusion(n, t.ref, 'shift Add');
      prev.shift = v;
      return t;
    }
    const node: IRNode = { kind: 'affine', name: names.take(n, 'batch_normalization'), units: F, scale: op === 'Mul' ? v : null, shift: op === 'Add' ? v : null, x: t.ref };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', t.ref.shape), perm: t.perm };
  }

  /** ONNX BatchNormalization in inference mode on [B, C] (C the features): a BatchNormalization layer with the op's statistics. */
  function batchNorm(n: NodeData, x: Val, ins: (Val | undefined)[]): Val {
    if (attrInt(n, 'training_mode', 0) !== 0) throw new Unsupported(`${nodeLabel(n)}: training_mode 1 (only inference-mode BatchNormalization is read)`);
    if (attrInt(n, 'spatial', 1) !== 1) throw new Unsupported(`${nodeLabel(n)}: spatial 0 (statistics per element, not per channel)`);
    if (n.outputs.slice(1).some((o) => o !== '' && (uses.get(o) ?? 0) > 0)) throw new Unsupported(`${nodeLabel(n)}: its running statistics outputs are used`);
    if (!isTensor(x)) throw new Unsupported(`${nodeLabel(n)}: its input is not a model tensor`);
    const rank = x.perm.length;
    const C = x.ref.shape[rank - 1];
    // ONNX normalises axis 1: that must be rnnkit's feature axis (the last), as on a [B, C] tensor.
    if (rank < 2 || x.perm[1] !== rank - 1 || typeof C !== 'number') throw new Unsupported(`${nodeLabel(n)}: its channel axis 1 is not the feature axis`);
    const vec = (i: number, what: string): Float32Array => {
      const v = ins[i];
      if (v?.k !== 'const' || v.c.dtype !== 1 || v.c.data.length !== C) throw new Unsupported(`${nodeLabel(n)}: ${what} is not a constant float vector of ${C}`);
      return Float32Array.from(v.c.data);
    };
    const [scale, shift, mean, variance] = [vec(1, 'scale'), vec(2, 'B'), vec(3, 'mean'), vec(4, 'var')];
    const epsilon = attrFloat(n, 'epsilon', 1e-5);
    if (!(epsilon > 0)) throw new Unsupported(`${nodeLabel(n)}: epsilon ${epsilon} (rnnkit's BatchNormalization takes epsilon > 0)`);
    const node: IRNode = { kind: 'affine', name: names.take(n, 'batch_normalization'), units: C, scale, shift, x: x.ref, stats: { mean, variance, epsilon } };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', x.ref.shape), perm: x.perm };
  }

  function activationOp(n: NodeData, x: Val): Val {
    if (!isTensor(x)) throw new Unsupported(`${nodeLabel(n)}: its input is not a model tensor`);
    const op = n.opType;
    let name = isIdiomNode(n) ? IDIOM_OPS[op]! : ACT_OPS[op]!;
    const rank = x.perm.length;
    if (op === 'Softmax' || op === 'LogSoftmax') {
      // Before opset 13 both flattened the input to 2-D at axis (default 1): the same as the last axis only for 2-D input.
      const axis = norm(attrInt(n, 'axis', opset >= 13 ? -1 : 1), rank, nodeLabel(n));
      if (axis !== rank - 1 || x.perm[axis] !== rank - 1) throw new Unsupported(`${nodeLabel(n)}: axis ${attrInt(n, 'axis', opset >= 13 ? -1 : 1)} is not the feature axis`);
    }
    if (op === 'Gelu') {
      const approximate = attrOf(n, 'approximate');
      const form = approximate === undefined ? 'none' : approximate.type === 'string' ? approximate.value : '?';
      if (form === 'tanh') name = 'geluNew';
      else if (form !== 'none') throw new Unsupported(`${nodeLabel(n)}: approximate '${form}'`);
    }
    if (op === 'Shrink') {
      // Keras 3's soft_shrink and hard_shrink at their threshold 0.5 (no layer takes another).
      const [lambd, bias] = [attrFloat(n, 'lambd', 0.5), attrFloat(n, 'bias', 0)];
      if (lambd === 0.5 && bias === 0.5) name = 'softShrink';
      else if (lambd === 0.5 && bias === 0) name = 'hardShrink';
      else throw new Unsupported(`${nodeLabel(n)}: Shrink with lambd ${lambd} and bias ${bias} (read: lambd 0.5 with bias 0.5, soft_shrink, or 0, hard_shrink)`);
    }
    // One option each: its own layer (LeakyReLU, ELU, ThresholdedReLU) unless it is the activation function's value.
    let param: { cls: 'LeakyReLU' | 'ELU' | 'ThresholdedReLU'; value: number } | undefined;
    if (op === 'LeakyRelu' && attrFloat(n, 'alpha', 0.01) !== Math.fround(0.2)) param = { cls: 'LeakyReLU', value: attrFloat(n, 'alpha', 0.01) };
    if (op === 'Elu' && attrFloat(n, 'alpha', 1) !== 1) param = { cls: 'ELU', value: attrFloat(n, 'alpha', 1) };
    if (op === 'ThresholdedRelu') param = { cls: 'ThresholdedReLU', value: attrFloat(n, 'alpha', 1) };
    if (param !== undefined && (!Number.isFinite(param.value) || (param.cls !== 'ELU' && param.value < 0))) throw new Unsupported(`${nodeLabel(n)}: alpha ${param.value}`);
    if (op === 'Selu' && (attrFloat(n, 'alpha', Math.fround(1.6732632423543772)) !== Math.fround(1.6732632423543772) || attrFloat(n, 'gamma', Math.fround(1.0507009873554805)) !== Math.fround(1.0507009873554805))) {
      throw new Unsupported(`${nodeLabel(n)}: alpha / gamma other than SELU's constants`);
    }
    if (op === 'HardSigmoid') name = hardSigmoid(n, attrFloat(n, 'alpha', 0.2), attrFloat(n, 'beta', 0.5));
    const node = x.ref.node;
    if (param === undefined && (node.kind === 'dense' || node.kind === 'layer') && node.activation === 'linear' && (uses.get(n.inputs[0]!) ?? 0) === 1) {
      noteFusion(n, x.ref, `${op} activation`);
      node.activation = name;
      return x;
    }
    const act: IRNode = { kind: 'act', name: names.take(n, 'activation'), activation: name, x: x.ref, ...(param === undefined ? {} : { param }) };
    ir.push(act);
    return { k: 'tensor', ref: port(act, 'y', x.ref.shape), perm: x.perm };
  }

  /**
   * PRelu(x, slope) with a constant slope (rnnkit's export of PReLU, PyTorch's nn.PReLU): a PReLU
   * layer whose α is the slope, broadcast from the right; an axis where the slope has size 1 and
   * x another (or an open) size is shared.
   */
  function prelu(n: NodeData, x: Val, slope: Val | undefined): Val {
    if (!isTensor(x)) throw new Unsupported(`${nodeLabel(n)}: its input is not a model tensor`);
    if (slope === undefined || slope.k !== 'const') throw new Unsupported(`${nodeLabel(n)}: a slope that is not a constant`);
    const rank = x.perm.length;
    if (x.perm.some((p, i) => p !== i)) throw new Unsupported(`${nodeLabel(n)}: on a tensor whose axes are ordered otherwise than rnnkit's (a channels-first PReLU)`);
    const dims = slope.c.dims;
    const shape = x.ref.shape;
    const padded = [...Array.from({ length: Math.max(0, rank - dims.length) }, () => 1), ...dims];
    const bad = (): Unsupported => new Unsupported(`${nodeLabel(n)}: a slope of shape [${dims.join(', ')}] against an input of shape [${shape.map((d) => d ?? '?').join(', ')}] (read: one value per element or shared along axes)`);
    if (padded.length !== rank || padded[0] !== 1) throw bad();
    const sharedAxes: number[] = [];
    for (let k = 1; k < rank; k++) {
      if (padded[k] === shape[k]) continue;
      if (padded[k] !== 1) throw bad();
      sharedAxes.push(k);
    }
    const alpha = new Tensor(Float32Array.from(slope.c.data), padded.slice(1));
    const ref = layerNode(n, 'p_re_lu', (name) => new PReLU({ name, ...(sharedAxes.length > 0 ? { sharedAxes } : {}) }), [alpha], x.ref);
    return { k: 'tensor', ref, perm: x.perm };
  }

  function hardSigmoid(n: NodeData, alpha: number, beta: number): string {
    if (beta === Math.fround(0.5) && alpha === Math.fround(0.2)) return 'hardSigmoidLegacy';
    if (beta === Math.fround(0.5) && alpha === Math.fround(1 / 6)) return 'hardSigmoid';
    throw new Unsupported(`${nodeLabel(n)}: HardSigmoid alpha ${alpha}, beta ${beta} (rnnkit has 0.2 / 0.5 and 1/6 / 0.5)`);
  }

  function recurrent(n: NodeData, op: 'LSTM' | 'GRU' | 'RNN', ins: (Val | undefined)[]): Val[] {
    const label = nodeLabel(n);
    const problems: string[] = [];
    const direction = attrOf(n, 'direction');
    const dir = direction === undefined ? 'forward' : direction.type === 'string' ? direction.value : '?';
    if (dir !== 'forward' && dir !== 'bidirectional' && dir !== 'reverse') problems.push(`direction '${dir}'`);
    if (attrOf(n, 'clip') !== undefined) problems.push(`attribute 'clip' (rnnkit's cells do not clip)`);
    if (op === 'LSTM' && attrInt(n, 'input_forget', 0) !== 0) problems.push(`input_forget = 1 (coupled input and forget gates)`);
    const layout = attrInt(n, 'layout', 0);
    if (layout !== 0 && layout !== 1) problems.push(`layout = ${layout}`);
    const trips = loopSteps(n);
    if (trips !== undefined) {
      // A Loop read as this op runs its trip count of steps: X must have exactly that many.
      const x0 = ins[0];
      const T = isTensor(x0) ? (x0.ref.shape[1] ?? null) : null;
      if (T !== trips) problems.push(`a Loop read as a Keras ${op} whose input sequence has ${T === null ? 'an open number of' : T} steps, not the Loop's trip count ${trips} (a Keras layer runs every step)`);
    }
    let masked: MaskNode | null = null;
    const lens = ins[4];
    if (lens !== undefined) {
      const src = isTensor(ins[0]) ? maskSource(ins[0].ref) : null;
      if (lens.k === 'lens' && src !== null && src.x === lens.ids) {
        if (src.kind === 'embedding') src.maskZero = true;
        masked = src;
      } else problems.push(`input sequence_lens other than the lengths of the mask of the Embedding or Masking layer feeding X (rnnkit's export of masks)`);
    }
    if (op === 'LSTM' && ins[7] !== undefined) problems.push(`input P (peephole weights; rnnkit's LSTM has no peepholes)`);
    const D = dir === 'bidirectional' ? 2 : 1;
    const H = attrInt(n, 'hidden_size', 0);
    const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
    // activations: per direction f (gates), g (candidate), h (LSTM output); Keras has one activation for g and h.
    const acts = attrOf(n, 'activations');
    const names0 = acts === undefined ? [] : acts.type === 'strings' ? acts.value : null;
    const per = DEFAULT_ACTS[op]!.length;
    let activation = 'tanh';
    let recurrentActivation = 'sigmoid';
    if (names0 === null) problems.push(`attribute 'activations' is not a list of strings`);
    else {
      const list = names0.length === 0 ? [...DEFAULT_ACTS[op]!, ...(D === 2 ? DEFAULT_ACTS[op]! : [])] : names0;
      const alphas = attrOf(n, 'activation_alpha');
      const betas = attrOf(n, 'activation_beta');
      const alphaList = alphas?.type === 'floats' ? [...alphas.value] : [];
      const betaList = betas?.type === 'floats' ? [...betas.value] : [];
      if (list.length !== per * D) problems.push(`${list.length} activations for ${D} direction(s) of ${per}`);
      else {
        const mapped: string[] = [];
        for (const a of list) {
          const canon = RNN_ACTS[a] === undefined ? undefined : a;
          if (canon === undefined) {
            problems.push(`activation '${a}' (read: ${Object.keys(RNN_ACTS).join(', ')})`);
            mapped.push('?');
            continue;
          }
          // Activations taking alpha/beta consume the lists in order (ONNX's rule).
          if (a === 'HardSigmoid') {
            const alpha = alphaList.length > 0 ? alphaList.shift()! : 0.2;
            const beta = betaList.length > 0 ? betaList.shift()! : 0.5;
            try {
              mapped.push(hardSigmoid(n, alpha, beta));
            } catch (e) {
              problems.push((e as Error).message);
            }
          } else if (a === 'Affine') {
            const alpha = alphaList.length > 0 ? alphaList.shift()! : 1;
            const beta = betaList.length > 0 ? betaList.shift()! : 0;
            if (alpha !== 1 || beta !== 0) problems.push(`activation Affine with alpha ${alpha}, beta ${beta} (only the identity)`);
            mapped.push('linear');
          } else if (a === 'Elu') {
            const alpha = alphaList.length > 0 ? alphaList.shift()! : 1;
            if (alpha !== 1) problems.push(`activation Elu with alpha ${alpha} (rnnkit's elu has alpha 1)`);
            mapped.push('elu');
          } else if (a === 'LeakyRelu') {
            const alpha = alphaList.length > 0 ? alphaList.shift()! : 0.01;
            if (alpha !== Math.fround(0.2)) problems.push(`activation LeakyRelu with alpha ${alpha} (rnnkit's leakyRelu activation has slope 0.2)`);
            mapped.push('leakyRelu');
          } else mapped.push(RNN_ACTS[a]!);
        }
        if (alphaList.length > 0 || betaList.length > 0) problems.push(`activation_alpha / activation_beta values no activation takes`);
        if (D === 2 && mapped.slice(0, per).join() !== mapped.slice(per).join()) problems.push(`the two directions have different activations (${list.join(', ')})`);
        if (op === 'LSTM' && mapped[1] !== mapped[2]) problems.push(`activations g = ${list[1]} and h = ${list[2]} differ (Keras's LSTM uses one activation for both)`);
        if (op === 'RNN') activation = mapped[0]!;
        else {
          recurrentActivation = mapped[0]!;
          activation = mapped[1]!;
        }
      }
    }
    const resetAfter = op === 'GRU' && attrInt(n, 'linear_before_reset', 0) !== 0;
    const x0 = ins[0]!;
    const x = x0.k === 'bconst' ? constantSequence(n, x0, layout, ins[5]) : x0;
    if (!isTensor(x) || x.perm.length !== 3) problems.push(`input X is not a model sequence`);
    // layout 0: X is [T, B, features] (a Transpose of the model's batch-major input); layout 1: [B, T, features], the input as it is.
    else if (layout === 1 ? x.perm[0] !== 0 || x.perm[1] !== 1 : x.perm[0] !== 1 || x.perm[1] !== 0) throw new LayoutError(`${label}: input X is not laid out ${layout === 1 ? '[B, T, features] (layout 1)' : '[T, B, features]'} (a time-major input that does not reach it, or a Transpose loadOnnx does not follow)`);
    const consts = [1, 2, 3].map((i) => ins[i]);
    for (const [i, c] of consts.entries()) if (c !== undefined && c.k !== 'const') problems.push(`input ${['W', 'R', 'B'][i]} is not a constant`);
    if (problems.length > 0) throw new Unsupported(`${label}: ${problems.join('; ')}`);
    const xs = x as { ref: Ref; perm: readonly number[] };
    const I = xs.ref.shape[2] as number;
    const W = (consts[0] as { c: Const }).c;
    const R = (consts[1] as { c: Const }).c;
    const B = consts[2] === undefined ? null : (consts[2] as { c: Const }).c;
    const shapeIs = (c: Const, dims: number[], what: string): void => {
      if (c.dims.join() !== dims.join() || c.dtype !== 1) throw new ModelFormatError(`${where}: ${label}: ${what} is ${DTYPE_NAMES[c.dtype]} [${c.dims.join(', ')}], expected float [${dims.join(', ')}]`);
    };
    if (!Number.isInteger(H) || H <= 0) throw new ModelFormatError(`${where}: ${label}: hidden_size ${H}`);
    shapeIs(W, [D, G * H, I], 'W');
    shapeIs(R, [D, G * H, H], 'R');
    if (B !== null) shapeIs(B, [D, 2 * G * H], 'B');
    // Keras gate block kg comes from ONNX block order[kg]: LSTM Keras i, f, c, o ← ONNX i, o, f, c; GRU z, r, h in both.
    const order = op === 'LSTM' ? [0, 2, 3, 1] : op === 'GRU' ? [0, 1, 2] : [0];
    const dirs: RecDir[] = [];
    for (let d = 0; d < D; d++) {
      const kernelOf = (src: Const, rows: number): Float32Array => {
        const out = new Float32Array(rows * G * H);
        const base = d * G * H * rows;
        order.forEach((og, kg) => {
          for (let h = 0; h < H; h++) for (let i = 0; i < rows; i++) out[i * G * H + kg * H + h] = src.data[base + (og * H + h) * rows + i]!;
        });
        return out;
      };
      let bias: Float32Array | null = null;
      if (B !== null) {
        const wb = (kg: number, h: number): number => B.data[d * 2 * G * H + order[kg]! * H + h]!;
        const rb = (kg: number, h: number): number => B.data[d * 2 * G * H + G * H + order[kg]! * H + h]!;
        if (resetAfter) {
          // Keras reset_after: bias [2, 3H], input bias then recurrent bias — ONNX's Wb, Rb as they are.
          bias = new Float32Array(2 * G * H);
          for (let kg = 0; kg < G; kg++) for (let h = 0; h < H; h++) [bias[kg * H + h], bias[G * H + kg * H + h]] = [wb(kg, h), rb(kg, h)];
        } else {
          // One bias: Wb + Rb, rounded once to float32 (both enter every gate's sum outside any
          // product, including GRU's candidate without linear_before_reset).
          bias = new Float32Array(G * H);
          for (let kg = 0; kg < G; kg++) for (let h = 0; h < H; h++) bias[kg * H + h] = wb(kg, h) + rb(kg, h);
        }
      }
      dirs.push({ kernel: kernelOf(W, I), recurrentKernel: kernelOf(R, H), bias });
    }
    const S = op === 'LSTM' ? 2 : 1;
    const init: Ref[][] = [];
    for (let s = 0; s < S; s++) {
      const v = ins[5 + s];
      if (v === undefined || v.k === 'zeros' || (v.k === 'const' && v.c.data.every((z) => z === 0))) continue;
      if (v.k === 'tensor' && v.ref.shape.length === 3 && v.perm.join() === (layout === 1 ? '0,1,2' : '1,0,2') && v.ref.shape[1] === D && v.ref.shape[2] === H) {
        // A state given as a graph input [layers·directions, B, H] (PyTorch's (h0, c0), read batch first as
        // [B, layers·directions, H]) and cut to this op's D rows (a Slice: Cropping1D): row d is direction d.
        init.push(range(0, D).map((d) => stepOf(v.ref, d, D)));
        continue;
      }
      if (v.k === 'tensor' && v.ref.node.kind === 'input' && v.perm.join() === (layout === 1 ? '1,0,2' : '0,1,2')) throw new LayoutError(`${label}: initial ${s === 0 ? 'h' : 'c'} comes from graph input '${v.ref.node.name}' laid out with the batch axis first`);
      if (v.k !== 'dirs' || v.parts.length !== D || v.axes.join() !== (layout === 1 ? 'B,D,F' : 'D,B,F')) {
        const from = v.k === 'tensor' && v.ref.node.kind === 'input' ? ` (it comes from graph input '${v.ref.node.name}', a [layers·directions, B, H] state: rnnkit's inputs put the batch axis first; export with zero initial states, or with one [B, H] input per state and direction)` : '';
        throw new Unsupported(`${label}: initial ${s === 0 ? 'h' : 'c'} is neither zeros nor one [B, H] model tensor per direction${from}`);
      }
      init.push([...v.parts]);
    }
    if (init.length !== 0 && init.length !== S) throw new Unsupported(`${label}: one initial state given, the other zero (rnnkit takes all states or none)`);
    const node: RecNode = { kind: 'rec', name: names.take(n, op.toLowerCase()), op, D, H, I, T: xs.ref.shape[1] ?? null, dirs, activation, recurrentActivation, resetAfter, x: xs.ref, init, reverse: dir === 'reverse', masked };
    ir.push(node);
    const part = (what: string, shape: (number | null)[]): Ref[] => Array.from({ length: D }, (_, d) => port(node, `${what}${d}`, shape));
    return [
      // A reverse op's Y is in input order; rnnkit's goBackwards layer returns processing order,
      // which a time reversal of Y gives (port seq0); Y itself (seqin0) has no rnnkit layer.
      { k: 'dirs', axes: layout === 1 ? ['B', 'T', 'D', 'F'] : ['T', 'D', 'B', 'F'], parts: node.reverse ? [port(node, 'seqin0', [null, node.T, H])] : part('seq', [null, node.T, H]) },
      { k: 'dirs', axes: layout === 1 ? ['B', 'D', 'F'] : ['D', 'B', 'F'], parts: part('h', [null, H]) },
      ...(op === 'LSTM' ? [{ k: 'dirs', axes: layout === 1 ? ['B', 'D', 'F'] : ['D', 'B', 'F'], parts: part('c', [null, H]) } as Val] : []),
    ];
  }

  /**
   * A recurrent op's X that is a constant expanded over the batch (a seq2seq decoder's start
   * token), as a model tensor: rnnkit has no layer without an input, so the constant is made
   * from the op's own initial state h by a Dense with a zero kernel and the constant as its
   * bias (trainable false), reshaped to [steps, features]. Exact: h comes from a recurrent
   * layer whose output is finite or NaN (bounded activations: tanh, sigmoid, softsign,
   * hardSigmoid; a GRU's own initial states so too), and 0 · h + c is c wherever h is finite;
   * where a row of h is NaN, so is that row of every output of this op, in ONNX as in rnnkit
   * (h enters every step through R · h, and NaN · w is NaN for any weight).
   */
  function constantSequence(n: NodeData, v: Val & { k: 'bconst' }, layout: number, initH: Val | undefined): Val {
    const label = nodeLabel(n);
    const want = layout === 1 ? [0, 1] : [1, 0];
    const [T, F] = [v.dims[want[1]!], v.dims[2]];
    if (v.dims.length !== 3 || v.dims[want[0]!] !== 'B' || typeof T !== 'number' || typeof F !== 'number') throw new Unsupported(`${label}: input X is a constant of shape [${v.dims.join(', ')}] (read: expanded over the batch, ${layout === 1 ? '[B, T, F]' : '[T, B, F]'})`);
    const src = initH?.k === 'dirs' ? initH.parts[0] : undefined;
    if (src === undefined || !finiteOrNaN(src, 0)) {
      throw new Unsupported(`${label}: input X is a constant expanded over the batch, and its initial state h is not a recurrent layer's final state with bounded activations (rnnkit makes such a constant from that state: a Dense with a zero kernel)`);
    }
    const H = src.shape[1] as number;
    // [T, 1, F] or [1, T, F] with the batch axis of size 1: the elements are in [T, F] order already.
    const bias = Float32Array.from(v.data);
    if (T * F * H * 4 > budget.left) throw new ModelFormatError(`${where}: ${label}: a constant input of ${T}×${F} values needs a ${H}×${T * F} kernel, more than maxBytes (${o.maxBytes}) allows`);
    budget.left -= T * F * H * 4;
    const dn: IRNode = { kind: 'dense', name: names.take(null, 'start_constant'), kernel: new Float32Array(H * T * F), inDim: H, units: T * F, bias, activation: 'linear', x: src, frozen: true };
    ir.push(dn);
    const rn: IRNode = { kind: 'reshape', name: names.take(null, 'start_constant_steps'), target: [T, F], x: port(dn, 'y', [null, T * F]) };
    ir.push(rn);
    return { k: 'tensor', ref: port(rn, 'y', [null, T, F]), perm: layout === 1 ? [0, 1, 2] : [1, 0, 2] };
  }

  // ---- tf2onnx's form of Keras's fused LayerNormalization -------------------------------
  // Keras (tf.keras 2, ε ≥ 1.001e-5) reshapes x [B, T, F] to [1, B·T, F, 1] (the product from
  // Shape → Slice → ReduceProd), runs fused_batch_norm in training mode over it (NCHW: one
  // channel per step, statistics over its F features) with scale ones and offset zeros (tf.ones /
  // tf.zeros of [B·T]: Expand, or ConstantOfShape before opset 11), reshapes back and applies γ,
  // β. tf2onnx's BatchNorm handler (onnx_opset/nn.py, is_training with exponential_avg_factor 1)
  // feeds ONNX's BatchNormalization the statistics it computes: ReduceMean over [0, 2, 3]
  // (keepdims), its Squeeze, ReduceSumSquare of x − mean over [0, 2, 3] ÷ the count F (Shape →
  // Gather [0, 2, 3] → ReduceProd → Cast, folded to F). Per step c that is (x − mean_c) /
  // √(var_c + ε) with var_c the biased variance over the features: LayerNormalization(ε) over F.

  function isProd(d: Dim | undefined): d is ProdDim {
    return typeof d === 'string' && d.startsWith('B*');
  }
  /** The B·T Dim of a [B, T, F] tensor. */
  function prodOf(r: Ref): ProdDim {
    const T = r.shape[1];
    return typeof T === 'number' ? `B*${T}` : `B*T@${lengthSources.push(r) - 1}`;
  }
  /** Whether d is B times r's length (fixed, or provably r's own open length). */
  function sameProd(d: ProdDim, r: Ref): boolean {
    const rest = d.slice(2);
    if (rest.startsWith('T@')) return r.shape[1] === null && lengthSources[Number(rest.slice(2))] !== undefined && sameLength(lengthSources[Number(rest.slice(2))]!, r);
    return r.shape[1] === Number(rest);
  }

  /** ReduceProd of a shape value: sizes multiplied, B times a length kept symbolic (a ProdDim). */
  function reduceProd(n: NodeData, x: Val, axesV: Val | undefined): Val {
    const label = nodeLabel(n);
    if (x.k !== 'shape' || x.scalar) throw new Unsupported(`${label}: a ReduceProd of something other than a shape`);
    const axes = axesOf(n, axesV);
    if (axes !== null && (axes.length !== 1 || norm(axes[0]!, 1, label) !== 0)) throw new Unsupported(`${label}: axes [${axes.join(', ')}] of a 1-D shape`);
    const keep = attrInt(n, 'keepdims', 1) !== 0;
    const nums = x.dims.filter((d): d is number => typeof d === 'number');
    const k = nums.reduce((p, d) => p * d, 1);
    const sym = x.dims.filter((d) => typeof d !== 'number');
    let d: Dim;
    if (sym.length === 0) {
      if (!Number.isSafeInteger(k)) throw new ModelFormatError(`${where}: ${label}: a product of sizes past 2^53`);
      return { k: 'const', c: { dtype: 7, dims: keep ? [1] : [], data: Float64Array.of(k) } };
    }
    if (sym.length === 1 && sym[0] === 'B' && (nums.length === 0 || x.dims.length === 1)) d = 'B';
    else if (sym.length === 1 && sym[0] === 'B') d = `B*${k}`;
    else if (sym.length === 2 && sym[0] === 'B' && typeof sym[1] === 'string' && sym[1].startsWith('T@') && k === 1) d = `B*${sym[1]}` as ProdDim;
    else throw new Unsupported(`${label}: a product of run-time sizes [${x.dims.join(', ')}] (read: the batch size times one tensor's length or fixed sizes)`);
    return { k: 'shape', dims: [d], scalar: !keep };
  }

  /** Steps of tf2onnx's fused layer normalization (see above); anything else reading them is refused. */
  function fusedLayerNorm(n: NodeData, op: string, ins: (Val | undefined)[]): Val {
    const label = nodeLabel(n);
    const x = ins[0]!;
    const b = ins[1];
    // The reduced axes must be the [1, ·, F, 1] view's 0, 2 and 3: each step's features.
    const overFeatures = (): boolean => {
      const axes = axesOf(n, opset >= 18 || op === 'Squeeze' ? b : undefined);
      return axes !== null && axes.map((a) => norm(a, 4, label)).sort().join() === '0,2,3';
    };
    switch (op) {
      case 'Identity':
        return x;
      case 'Cast':
        if (x.k === 'bt4' && (attrInt(n, 'to', 0) === 1 || attrInt(n, 'to', 0) === 11)) return x;
        break;
      case 'Shape':
        if (x.k === 'bt4') return shapeOf(n, x);
        break;
      case 'ReduceMean':
        if (x.k === 'bt4' && overFeatures() && attrInt(n, 'keepdims', 1) === 1) return { k: 'fln', stage: 'mean', x: x.x };
        break;
      case 'Squeeze':
        if (x.k === 'fln' && x.stage === 'mean' && overFeatures()) return { ...x, stage: 'meanv' };
        break;
      case 'Sub':
        if (x.k === 'bt4' && b?.k === 'fln' && b.stage === 'mean' && sameTensor(x.x, b.x)) return { k: 'fln', stage: 'centred', x: x.x };
        break;
      case 'ReduceSumSquare':
        if (x.k === 'fln' && x.stage === 'centred' && overFeatures() && attrInt(n, 'keepdims', 1) === 0) return { ...x, stage: 'sumsq' };
        break;
      case 'Div':
        if (x.k === 'fln' && x.stage === 'sumsq' && scalarOf(b) === x.x.ref.shape[2]) return { ...x, stage: 'var' };
        break;
      case 'BatchNormalization': {
        const [, scale, shift, mean, vr] = ins;
        const all = (v: Val | undefined, want: number): boolean => (v?.k === 'fill' ? v.value === want : v?.k === 'zeros' ? want === 0 : v?.k === 'const' && v.c.data.every((d) => d === want));
        const stat = (v: Val | undefined, stage: string): boolean => v?.k === 'fln' && v.stage === stage && x.k === 'bt4' && sameTensor(v.x, x.x);
        if (x.k !== 'bt4' || !all(scale, 1) || !all(shift, 0) || !stat(mean, 'meanv') || !stat(vr, 'var')) break;
        if (attrInt(n, 'training_mode', 0) !== 0) throw new Unsupported(`${label}: training_mode 1`);
        if (n.outputs.slice(1).some((o) => o !== '' && (uses.get(o) ?? 0) > 0)) throw new Unsupported(`${label}: its running mean / variance outputs are used`);
        const y = layerNormNode(n, x.x, attrFloat(n, 'epsilon', 1e-5));
        return { k: 'bt4', x: y as TensorVal };
      }
      case 'Reshape': {
        if (x.k !== 'bt4' || attrInt(n, 'allowzero', 0) !== 0) break;
        const to: Dim[] | null = b?.k === 'shape' ? [...b.dims] : b?.k === 'const' && b.c.dims.length === 1 ? [...b.c.data] : null;
        const r = x.x.ref;
        const T = r.shape[1] ?? null;
        const tag = to?.[1];
        const okT = tag === T || (T === null && typeof tag === 'string' && tag.startsWith('T@') && sameLength(lengthSources[Number(tag.slice(2))]!, r)) || (tag === -1 && to?.[2] === r.shape[2]);
        if (to !== null && to.length === 3 && to[0] === 'B' && okT && (to[2] === r.shape[2] || (to[2] === -1 && tag !== -1))) return x.x;
        break;
      }
    }
    const v = ins.find((i) => i?.k === 'bt4' || i?.k === 'fln')!;
    throw new Unsupported(
      `${label}: reads ${v.k === 'bt4' ? 'the [1, B·T, F, 1] view' : `step '${(v as { stage: string }).stage}'`} of tf2onnx's form of Keras's fused LayerNormalization in a way loadOnnx does not follow (read: ReduceMean over axes 0, 2, 3 with keepdims, its Squeeze, Sub, ReduceSumSquare, Div by F, BatchNormalization with ones, zeros and those statistics, Reshape back to [B, T, F])`,
    );
  }

  /** Whether every element of r is finite or NaN, never ±Infinity: a recurrent layer's h with bounded activations (constantSequence). */
  function finiteOrNaN(r: Ref, depth: number): boolean {
    const node = r.node;
    const bounded = ['tanh', 'sigmoid', 'softsign', 'hardSigmoid'];
    if (node.kind !== 'rec' || !['h0', 'h1', 'hcat'].includes(r.port) || depth > 256) return false;
    if (!bounded.includes(node.activation) || (node.op !== 'RNN' && !bounded.includes(node.recurrentActivation))) return false;
    // An LSTM's h is o · act(c) and a SimpleRNN's act(…), bounded whatever came before; a GRU's
    // mixes in its previous state, so its initial states must be so too.
    return node.op !== 'GRU' || node.init.flat().every((x) => finiteOrNaN(x, depth + 1));
  }

  // ---- Patterns beyond the recurrent core ------------------------------------------------
  // Layer normalization (the op, and its decomposed forms), attention pooling over time
  // (Softmax over any axis, broadcast Mul, ReduceSum over time of weights × sequence, batched
  // MatMul, products with a vector), mean pooling over time, and Keras's RepeatVector and
  // TimeDistributed Dense as tf2onnx writes them. Each handler returns null when the op is left
  // to the handlers above, so the recurrent reading is unchanged.

  // (function declarations: the node loop above calls them before this point is reached)
  function range(lo: number, hi: number): number[] {
    return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
  }
  function sameTensor(a: TensorVal, b: TensorVal): boolean {
    return a.ref === b.ref && a.perm.join() === b.perm.join();
  }
  /** Float constant of F values laid out along the last axis (dims [F], [1, F], …), or null. */
  function perFeature(v: Val | undefined, F: number): Float32Array | null {
    return v?.k === 'const' && v.c.dtype === 1 && v.c.data.length === F && v.c.dims.every((d, k) => d === 1 || k === v.c.dims.length - 1) ? Float32Array.from(v.c.data) : null;
  }
  function scalarOf(v: Val | undefined): number | null {
    return v?.k === 'const' && v.c.data.length === 1 ? v.c.data[0]! : null;
  }
  /** A float constant scalar within float32 rounding of √2 (power 1) or 1/√2 (power −1). */
  function isSqrt2(v: Val | undefined, power: 1 | -1): boolean {
    const c = scalarOf(v);
    return v?.k === 'const' && v.c.dtype === 1 && c !== null && Math.abs(c - Math.SQRT2 ** power) < 1e-6;
  }

  /**
   * Add and Mul of GELU's exact form (see the 'gelu' value): x · 1/√2 starts it, 1 + erf, x times
   * that and the half (either order) end it in one gelu activation. TF's order halves x first:
   * that Mul became a scale-only affine node, dropped here when the GELU was its only reader.
   */
  function geluStep(n: NodeData, op: 'Add' | 'Mul', a: Val, b: Val | undefined): Val | null {
    if (op === 'Mul' && isTensor(a) && isSqrt2(b, -1)) return { k: 'gelu', stage: 'scaled', x: a, xName: n.inputs[0]!, readers: [n] };
    if (op === 'Mul' && isTensor(b) && isSqrt2(a, -1)) return { k: 'gelu', stage: 'scaled', x: b, xName: n.inputs[1]!, readers: [n] };
    const [g, other] = a.k === 'gelu' ? [a, b] : b?.k === 'gelu' ? [b, a] : [null, null];
    if (g === null) return null;
    if (op === 'Add' && g.stage === 'erf' && scalarOf(other) === 1) return { ...g, stage: 'onePlus' };
    if (op === 'Mul' && g.stage === 'xOnePlus' && scalarOf(other) === 0.5) return geluNode(n, g);
    if (op !== 'Mul' || g.stage !== 'onePlus' || !isTensor(other)) return null;
    if (sameTensor(other, g.x)) return { ...g, stage: 'xOnePlus', readers: [...g.readers, n] };
    const half = other.ref.node;
    const halfName = n.inputs[a === other ? 0 : 1]!;
    if (half.kind === 'affine' && half.x === g.x.ref && half.shift === null && half.stats === undefined && half.scale !== null && half.scale.every((v) => v === 0.5) && other.perm.join() === g.x.perm.join() && uses.get(halfName) === 1) {
      const k = ir.indexOf(half);
      if (k < 0) return null;
      ir.splice(k, 1);
      return geluNode(n, { ...g, readers: [...g.readers, ...m.graph.nodes.filter((k) => k.outputs.includes(halfName))] });
    }
    return null;
  }

  /** gelu(x): the activation of the Dense (or other linear layer) making x where the GELU's two ops reading x (its Div and a Mul) are all that read it, else an activation node. */
  function geluNode(n: NodeData, g: { x: TensorVal; xName: string; readers: readonly NodeData[] }): Val {
    const node = g.x.ref.node;
    if ((node.kind === 'dense' || node.kind === 'layer') && node.activation === 'linear' && uses.get(g.xName) === 2) {
      noteFusion(n, g.x.ref, 'Gelu activation', new Set(g.readers));
      node.activation = 'gelu';
      return g.x;
    }
    const act: IRNode = { kind: 'act', name: names.take(n, 'activation'), activation: 'gelu', x: g.x.ref };
    ir.push(act);
    return { k: 'tensor', ref: port(act, 'y', g.x.ref.shape), perm: g.x.perm };
  }

  /**
   * Clip of a model tensor: Relu's bounds by name (0 to 6 relu6, −1 to 1 hardTanh, 0 and none
   * relu), another upper bound over 0 a ReLU layer's maxValue; other bounds refused. Bounds are
   * inputs from opset 11, attributes before (absent: none).
   */
  function clip(n: NodeData, x: TensorVal, ins: (Val | undefined)[]): Val {
    const bound = (i: number, attr: string): number | null => {
      if (opset < 11) return n.attributes.has(attr) ? attrFloat(n, attr, 0) : null;
      const v = ins[i];
      if (v === undefined || (v.k === 'const' && v.c.data.length === 0)) return null;
      const c = scalarOf(v);
      if (c === null) throw new Unsupported(`${nodeLabel(n)}: a ${attr} bound that is not a constant scalar`);
      return c;
    };
    const [lo, hi] = [bound(1, 'min'), bound(2, 'max')];
    // ±FLT_MAX (the attributes' defaults) and infinities are no bound.
    const f = (v: number | null): number | null => (v === null || !(Math.abs(v) < 3.4028234663852886e38) ? null : Math.fround(v));
    // No lower bound on a ReLU's output (PyTorch's relu6 before opset 11: Relu, then Clip max 6): the bound 0 holds already.
    const node0 = x.ref.node;
    const nonNegative = (node0.kind === 'act' && node0.activation === 'relu' && node0.param === undefined) || ((node0.kind === 'dense' || node0.kind === 'layer') && node0.activation === 'relu');
    const [a, z] = [lo === null && nonNegative ? 0 : f(lo), f(hi)];
    let name: string | null = null;
    let param: { cls: 'ReLU'; value: number } | undefined;
    if (a === 0 && z === 6) name = 'relu6';
    else if (a === -1 && z === 1) name = 'hardTanh';
    else if (a === 0 && z === null) name = 'relu';
    else if (a === 0 && z !== null && z > 0) param = { cls: 'ReLU', value: z };
    else throw new Unsupported(`${nodeLabel(n)}: Clip to [${lo ?? '−∞'}, ${hi ?? '∞'}] (read: [0, 6] relu6, [−1, 1] hardTanh, [0, v] a ReLU with maxValue v)`);
    const node = x.ref.node;
    if (param === undefined && (node.kind === 'dense' || node.kind === 'layer') && node.activation === 'linear' && (uses.get(n.inputs[0]!) ?? 0) === 1) {
      noteFusion(n, x.ref, `Clip activation (${name})`);
      node.activation = name!;
      return x;
    }
    const act: IRNode = { kind: 'act', name: names.take(n, 'activation'), activation: name ?? 'relu', x: x.ref, ...(param === undefined ? {} : { param }) };
    ir.push(act);
    return { k: 'tensor', ref: port(act, 'y', x.ref.shape), perm: x.perm };
  }

  function rowsView(v: Val | undefined): Val | undefined {
    return v?.k === 'rows' ? { k: 'tensor', ref: v.ref, perm: [0, 1, 2] } : v;
  }

  function patternStep(n: NodeData, op: string, ins: (Val | undefined)[]): Val | null {
    const label = nodeLabel(n);
    const x = ins[0]!;
    const b = ins[1];
    if (ins.some((v) => v?.k === 'bt4' || v?.k === 'fln')) return fusedLayerNorm(n, op, ins);
    if (op === 'ReduceProd') return reduceProd(n, x, b);
    // A value seen without its unit axes becomes a real tensor (a Reshape layer) for the ops that do not read it as one.
    const unitOps = ['Softmax', 'LogSoftmax', 'Unsqueeze', 'Squeeze', 'Identity', 'Dropout', 'Cast', 'Tile', 'Expand'];
    if (ins.some((v) => v?.k === 'unit') && !unitOps.includes(op) && !isActivation(n)) {
      return firstOf(step(n, ins.map((v) => (v?.k === 'unit' ? materialize(n, v) : v))));
    }
    // [B·T, F] rows: per-row ops read them as the [B, T, F] sequence they are.
    if (x.k === 'rows' && (['MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Identity'].includes(op) || isActivation(n))) {
      // The names read stand for the view meanwhile, so a bias Add or activation folds into its Dense as on any sequence.
      const views = ins.map(rowsView);
      const saved = n.inputs.map((i, k) => [i, vals.get(i), views[k]] as const).filter(([, v]) => v?.k === 'rows');
      for (const [i, , view] of saved) vals.set(i, view!);
      let y: Val;
      try {
        y = firstOf(step(n, views));
      } finally {
        for (const [i, v] of saved) vals.set(i, v!);
      }
      if (y.k !== 'tensor' || y.perm.join() !== '0,1,2') throw new Unsupported(`${label}: on rows of a sequence merged with its batch axis`);
      return { k: 'rows', ref: y.ref };
    }
    if (ins.some((v) => v?.k === 'rows') && op !== 'Reshape') throw new Unsupported(`${label}: on a sequence reshaped to [batch·time, features] other than a per-row product, bias or activation`);
    switch (op) {
      case 'Identity':
        return x.k === 'ln' || x.k === 'step1' || x.k === 'fill' ? x : null;
      case 'Cast':
        if ((x.k === 'unit' || x.k === 'ln') && (attrInt(n, 'to', 0) === 1 || attrInt(n, 'to', 0) === 11)) return x;
        return null;
      case 'LayerNormalization':
        return layerNormOp(n, x, ins);
      case 'InstanceNormalization':
        return instanceNorm(n, x, ins[1], ins[2]);
      case 'ConstantOfShape': {
        const a = attrOf(n, 'value');
        const c = a?.type === 'tensor' ? readConst(a.value, where, o, budget) : null;
        if (x.k === 'const' && c !== null && c.data.length === 1 && (c.dtype === 6 || c.dtype === 7)) {
          // Integers of a constant shape (PyTorch's pads of F.pad / nn.ConstantPad1d are built so): folded.
          const dims = [...x.c.data];
          const count = dims.reduce((p, d) => p * d, 1);
          if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0) || count * 8 > budget.left) throw new ModelFormatError(`${where}: ${label}: shape [${dims.join(', ')}] (larger than maxBytes or not sizes)`);
          budget.left -= count * 8;
          return { k: 'const', c: { dtype: c.dtype, dims, data: new Float64Array(count).fill(c.data[0]!) } };
        }
        return c !== null && c.data.length === 1 && c.data[0] !== 0 && (x.k === 'shape' || x.k === 'const') ? { k: 'fill', value: c.data[0]! } : null;
      }
      case 'Neg':
        if (x.k === 'ln' && x.stage === 'ms') return { ...x, stage: 'shift', beta: null };
        if (x.k === 'ln' && x.stage === 'mean') return { ...x, stage: 'negmean' };
        // −x: a scale by −1, exact (rnnkit's export of log_sigmoid, −softplus(−x)).
        if (isTensor(x)) return affine(n, 'Mul', x, { dtype: 1, dims: [], data: Float32Array.of(-1) });
        break;
      case 'Softmax':
      case 'LogSoftmax':
        return x.k === 'tensor' || x.k === 'unit' ? softmaxOver(n, x) : null;
      case 'Squeeze':
        return x.k === 'tensor' || x.k === 'unit' ? squeezeUnits(n, x, b) : null;
      case 'Unsqueeze':
        return unsqueezeUnit(n, x, b);
      case 'Tile':
      case 'Expand':
        if (x.k === 'unsq2' && op === 'Tile') {
          // Tile by [1, 1, n, 1]: each step n times (rnnkit's export of UpSampling1D, before its Reshape).
          const times = b?.k === 'const' && b.c.data.length === 4 && b.c.data[0] === 1 && b.c.data[1] === 1 && b.c.data[3] === 1 ? b.c.data[2]! : null;
          const C = x.ref.shape[2]!;
          if (times === null || !Number.isSafeInteger(times) || times < 1) throw new Unsupported(`${label}: a Tile of a [B, T, 1, C] view other than by [1, 1, n, 1] (Keras's UpSampling1D)`);
          if (times * C * 4 > o.maxBytes) throw new ModelFormatError(`${where}: ${label}: repeats each step ${times} times, more than maxBytes (${o.maxBytes}) per step`);
          return { k: 'tiled', ref: x.ref, n: times };
        }
        if (x.k === 'step1u' && op === 'Tile') {
          const times = b?.k === 'const' && b.c.data.length === 4 && b.c.data[0] === 1 && b.c.data[1] === 1 && b.c.data[3] === 1 ? b.c.data[2]! : null;
          if (times === null || !Number.isSafeInteger(times) || times < 1) throw new Unsupported(`${label}: a Tile of a [B, 1, 1, F] step other than by [1, 1, n, 1] (Keras 3's RepeatVector)`);
          return { k: 'repeated', ref: x.ref, n: times };
        }
        return x.k === 'step1' ? repeatStep(n, x.ref, op, b!) : null;
      case 'Reshape':
        return reshapeRows(n, x, b);
      case 'MatMul':
        return matmulModel(n, x, b);
      case 'ReduceSum':
        return x.k === 'tensor' ? reduceSumTime(n, x, b) : null;
      case 'ReduceMean':
        return reduceMean(n, x, b);
      case 'Sub':
        if (isTensor(x) && b?.k === 'ln' && b.stage === 'mean' && sameTensor(x, b.x)) return { k: 'ln', stage: 'centred', x: b.x, eps: 0 };
        if (b?.k === 'ln' && b.stage === 'ms') {
          const beta = perFeature(x, b.x.ref.shape[b.x.ref.shape.length - 1] as number);
          if (beta !== null) return { ...b, stage: 'shift', beta };
        }
        break;
      case 'Pow':
        if (x.k === 'ln' && x.stage === 'centred' && scalarOf(b) === 2) return { k: 'ln', stage: 'square', x: x.x, eps: 0 };
        break;
      case 'Sqrt':
        if (x.k === 'ln' && x.stage === 'vareps') return { ...x, stage: 'std' };
        break;
      case 'Reciprocal':
        if (x.k === 'ln' && x.stage === 'std') return { ...x, stage: 'inv' };
        break;
      case 'Div':
        if (x.k === 'ln' && x.stage === 'centred' && b?.k === 'ln' && b.stage === 'std' && sameTensor(x.x, b.x)) return layerNormNode(n, x.x, b.eps);
        if (isTensor(x) && isSqrt2(b, 1)) return { k: 'gelu', stage: 'scaled', x, xName: n.inputs[0]!, readers: [n] };
        // x / c: a scale by 1/c (one rounding more than the division: within an ulp).
        if (isTensor(x) && b?.k === 'const' && b.c.dtype === 1 && b.c.data.every((v) => v !== 0 && Number.isFinite(1 / v))) {
          return affine(n, 'Mul', x, { ...b.c, data: Float32Array.from(b.c.data, (v) => 1 / v) });
        }
        break;
      case 'Erf':
        if (x.k === 'gelu' && x.stage === 'scaled') return { ...x, stage: 'erf' };
        throw new Unsupported(`${label}: an Erf other than GELU's, x·(1 + erf(x/√2))/2 (rnnkit has no erf activation)`);
      case 'Clip':
        return isTensor(x) ? clip(n, x, ins) : null;
      case 'Add':
      case 'Mul': {
        const gelu = geluStep(n, op, x, b);
        if (gelu !== null) return gelu;
        const [p, q] = b?.k === 'ln' || b?.k === 'tensor' ? [b, x] : [x, b];
        if (op === 'Mul' && p.k === 'ln' && q?.k === 'ln' && sameTensor(p.x, q.x)) {
          if (p.stage === 'centred' && q.stage === 'centred') return { k: 'ln', stage: 'square', x: p.x, eps: 0 };
          // Keras 3: (−mean) · inv(·γ), the shift before β (negation is exact, so this is −(mean · inv·γ)).
          const [ng, iv] = p.stage === 'negmean' ? [p, q] : [q, p];
          if (ng.stage === 'negmean' && (iv.stage === 'inv' || iv.stage === 'invg')) return { ...iv, stage: 'shift', gamma: iv.gamma ?? null, beta: null };
          if ((p.stage === 'centred' && q.stage === 'inv') || (p.stage === 'inv' && q.stage === 'centred')) return layerNormNode(n, p.x, p.stage === 'inv' ? p.eps : q.eps);
          // batch_normalization: mean · inv(·γ), and x · inv(·γ) + (β − mean · inv(·γ)).
          const [inv, other] = p.stage === 'inv' || p.stage === 'invg' ? [p, q] : [q, p];
          if ((inv.stage === 'inv' || inv.stage === 'invg') && other.stage === 'mean') return { ...inv, stage: 'ms', gamma: inv.gamma ?? null };
        }
        if (op === 'Add' && p.k === 'ln' && q?.k === 'ln' && sameTensor(p.x, q.x)) {
          const [xs, shift] = p.stage === 'xs' ? [p, q] : [q, p];
          if (xs.stage === 'xs' && shift.stage === 'shift' && xs.gamma === shift.gamma) {
            const y = layerNormNode(n, xs.x, xs.eps);
            const node = (y as TensorVal).ref.node as IRNode & { kind: 'layernorm' };
            node.gamma = xs.gamma ?? null;
            node.beta = shift.beta ?? null;
            return y;
          }
        }
        if (op === 'Add' && p.k === 'ln' && p.stage === 'shift' && (p.beta ?? null) === null && q?.k !== 'ln') {
          // Keras 3: the shift plus β.
          const beta = perFeature(q, p.x.ref.shape[p.x.ref.shape.length - 1] as number);
          if (beta !== null) return { ...p, beta };
        }
        if (op === 'Mul' && p.k === 'ln' && p.stage === 'inv') {
          const gamma = perFeature(q, p.x.ref.shape[p.x.ref.shape.length - 1] as number);
          if (gamma !== null) return { ...p, stage: 'invg', gamma };
        }
        if (op === 'Mul') {
          const [l, t] = x.k === 'ln' ? [x, b] : [b, x];
          if (l?.k === 'ln' && (l.stage === 'inv' || l.stage === 'invg') && isTensor(t) && sameTensor(t, l.x)) return { ...l, stage: 'xs', gamma: l.gamma ?? null };
        }
        if (op === 'Add' && p.k === 'ln' && p.stage === 'var') {
          const eps = scalarOf(q);
          if (eps === null || q?.k !== 'const' || q.c.dtype !== 1) throw new Unsupported(`${label}: a decomposed layer normalization's variance plus something other than a constant ε`);
          return { k: 'ln', stage: 'vareps', x: p.x, eps };
        }
        if (isTensor(p) && p.ref.node.kind === 'layernorm') {
          // γ and β of a decomposed layer normalization, folded into its layer when nothing else reads it.
          const ln = p.ref.node;
          const v = perFeature(q, ln.units);
          const readers = uses.get(n.inputs.find((i) => vals.get(i) === p) ?? '') ?? 0;
          if (v !== null && readers === 1 && p.perm[p.perm.length - 1] === p.ref.shape.length - 1 && ln.beta === null && (op === 'Add' || ln.gamma === null)) {
            noteFusion(n, p.ref, op === 'Mul' ? 'scale Mul' : 'shift Add');
            if (op === 'Mul') ln.gamma = v;
            else ln.beta = v;
            return p;
          }
        }
        if (op === 'Mul' && isTensor(x) && isTensor(b) && x.ref.shape.join() !== b.ref.shape.join()) return broadcastMul(n, x, b);
        break;
      }
    }
    for (const v of ins) if (v?.k === 'gelu') throw new Unsupported(`${label}: reads step '${v.stage}' of GELU's exact form in a way loadOnnx does not follow (read: Div by √2 or Mul by 1/√2, Erf, Add 1, then Mul by x and by 0.5, either order)`);
    for (const v of ins) if (v?.k === 'ln') throw new Unsupported(`${label}: reads step '${v.stage}' of a decomposed layer normalization in a way loadOnnx does not follow (read: ReduceMean, Sub, Pow 2 or Mul by itself, ReduceMean, Add ε, Sqrt, then Div, or Reciprocal and Mul, or TF's batch_normalization x · inv·γ + (β − mean · inv·γ))`);
    if (x.k === 'step1' && op !== 'Shape') throw new Unsupported(`${label}: on a [B, F] tensor given a time axis of 1 (only a Tile or Expand along it, Keras's RepeatVector, is read)`);
    if ((x.k === 'step1u' || x.k === 'repeated') && op !== 'Shape') throw new Unsupported(`${label}: on a [B, 1, ·, F] view of a step (only Keras 3's RepeatVector, Tile by [1, 1, n, 1] then a Reshape to [B, n, F], is read)`);
    if (x.k === 'unit' && isActivation(n)) {
      const act = activationOp(n, { k: 'tensor', ref: x.ref, perm: fullPerm(x) });
      return isTensor(act) ? { k: 'unit', ref: act.ref, perm: x.perm } : act;
    }
    return null;
  }

  function firstOf(vs: Val[]): Val {
    return vs[0] ?? { k: 'bad' };
  }

  /** A unit value's perm with its hidden axes appended (element-wise ops do not care where they are). */
  function fullPerm(v: { ref: Ref; perm: readonly number[] }): number[] {
    return [...v.perm, ...range(0, v.ref.shape.length).filter((a) => !v.perm.includes(a))];
  }

  /** A unit value as a real tensor: a Reshape layer dropping the hidden size-1 axes (the values keep their order). */
  function materialize(n: NodeData | null, v: { ref: Ref; perm: readonly number[] }): TensorVal {
    const label = n === null ? 'a graph output' : nodeLabel(n);
    const keep = [...v.perm].sort((p, q) => p - q);
    const perm = v.perm.map((a) => keep.indexOf(a));
    const shape = keep.map((a) => v.ref.shape[a]!);
    if (n === null && keep.length === 1 && keep[0] === 0) {
      // A graph output of shape [batch] (PyTorch's squeeze(-1) after the last Linear): the same
      // values as [batch, 1], rnnkit tensors keeping a feature axis.
      if (v.ref.shape.length === 2) return { k: 'tensor', ref: v.ref, perm: [0, 1] };
      const node: IRNode = { kind: 'reshape', name: names.take(null, 'reshape'), target: [1], x: v.ref };
      ir.push(node);
      return { k: 'tensor', ref: port(node, 'y', [v.ref.shape[0]!, 1]), perm: [0, 1] };
    }
    if (keep[0] !== 0 || shape.length < 2) throw new Unsupported(`${label}: a value of shape [batch] only (rnnkit tensors keep a feature axis)`);
    if (shape.slice(2).some((d) => d === null)) throw new Unsupported(`${label}: a reshape leaving an open axis other than the first`);
    const node: IRNode = { kind: 'reshape', name: names.take(null, 'reshape'), target: shape.slice(1).map((d) => d ?? -1), x: v.ref };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', shape), perm };
  }

  /** Softmax over the ONNX axis (opset ≥ 13) or the flattened axes from it (before): a Softmax layer over the rnnkit axes they are. */
  function softmaxOver(n: NodeData, x: { k: 'tensor' | 'unit'; ref: Ref; perm: readonly number[] }): Val | null {
    const rank = x.perm.length;
    const R = x.ref.shape.length;
    const given = attrInt(n, 'axis', opset >= 13 ? -1 : 1);
    const a = norm(given, rank, nodeLabel(n));
    const set = new Set((opset >= 13 ? [a] : range(a, rank)).map((k) => x.perm[k]!));
    if (x.k === 'tensor' && set.size === 1 && set.has(R - 1)) return null; // the features: an activation (it may fold into a Dense)
    if (n.opType === 'LogSoftmax') throw new Unsupported(`${nodeLabel(n)}: axis ${given} is not the feature axis (rnnkit's logSoftmax is over the features only)`);
    if (set.has(0)) throw new Unsupported(`${nodeLabel(n)}: a softmax over the batch axis`);
    // Hidden size-1 axes may join (a softmax over a size-1 axis too is the same) to make a run of adjacent axes.
    const axes = [...set].sort((p, q) => p - q);
    const run: number[] = [];
    for (let k = axes[0]!; k <= axes[axes.length - 1]!; k++) {
      if (!set.has(k) && (x.perm.includes(k) || x.ref.shape[k] !== 1)) throw new Unsupported(`${nodeLabel(n)}: a softmax over axes that are not adjacent in rnnkit's layout`);
      run.push(k);
    }
    const node: IRNode = { kind: 'softmax', name: names.take(n, 'softmax'), axes: run, x: x.ref };
    ir.push(node);
    return { k: x.k, ref: port(node, 'y', x.ref.shape), perm: x.perm };
  }

  function squeezeUnits(n: NodeData, x: { k: 'tensor' | 'unit'; ref: Ref; perm: readonly number[] }, axesV: Val | undefined): Val {
    const rank = x.perm.length;
    const size = (k: number): number | null => x.ref.shape[x.perm[k]!] ?? null;
    const axes = axesOf(n, axesV)?.map((a) => norm(a, rank, nodeLabel(n))) ?? range(0, rank).filter((k) => x.perm[k] !== 0 && size(k) === 1);
    for (const a of axes) if (x.perm[a] === 0 || size(a) !== 1) throw new Unsupported(`${nodeLabel(n)}: a Squeeze of axis ${a}, which is not an axis of size 1 (${x.perm[a] === 0 ? 'the batch axis' : `size ${size(a) ?? 'unknown'}`})`);
    return { k: 'unit', ref: x.ref, perm: x.perm.filter((_, k) => !axes.includes(k)) };
  }

  function unsqueezeUnit(n: NodeData, x: Val, axesV: Val | undefined): Val | null {
    const axes = axesOf(n, axesV);
    if (x.k === 'unit') {
      if (axes === null || axes.length !== 1) throw new Unsupported(`${nodeLabel(n)}: axes other than one`);
      const R = x.ref.shape.length;
      const perm = [...x.perm];
      perm.splice(norm(axes[0]!, perm.length + 1, nodeLabel(n)), 0, range(1, R).find((a) => !x.perm.includes(a))!);
      return perm.length === R ? { k: 'tensor', ref: x.ref, perm } : { k: 'unit', ref: x.ref, perm };
    }
    if (x.k === 'tensor' && x.ref.shape.length === 2 && x.perm.join() === '0,1' && axes?.length === 1 && norm(axes[0]!, 3, nodeLabel(n)) === 1) return { k: 'step1', ref: x.ref };
    if (x.k === 'step1' && axes?.length === 1 && norm(axes[0]!, 4, nodeLabel(n)) === 2) return { k: 'step1u', ref: x.ref };
    if (x.k === 'tensor' && x.ref.shape.length === 3 && x.perm.join() === '0,1,2' && axes?.length === 1 && norm(axes[0]!, 4, nodeLabel(n)) === 2) return { k: 'unsq2', ref: x.ref };
    return null;
  }

  /** Tile by [1, n, 1] or Expand to [·, n, ·] of a [B, 1, F] step: RepeatVector(n). */
  function repeatStep(n: NodeData, r: Ref, op: string, by: Val): Val {
    const F = r.shape[1]!;
    let times: number | null = null;
    if (op === 'Tile' && by.k === 'const' && by.c.data.length === 3 && by.c.data[0] === 1 && by.c.data[2] === 1) times = by.c.data[1]!;
    if (op === 'Expand') {
      const dims: Dim[] | null = by.k === 'const' && by.c.dims.length === 1 ? [...by.c.data] : by.k === 'shape' ? [...by.dims] : null;
      if (dims !== null && dims.length === 3 && (dims[0] === 1 || dims[0] === 'B') && (dims[2] === 1 || dims[2] === F) && typeof dims[1] === 'number') times = dims[1];
    }
    if (times === null || !Number.isInteger(times) || times < 1) throw new Unsupported(`${nodeLabel(n)}: a ${op} of a [B, 1, F] step other than along its time axis by a constant (Keras's RepeatVector)`);
    return repeatNode(n, r, times);
  }

  /** RepeatVector(times) of the [B, F] tensor r. */
  function repeatNode(n: NodeData, r: Ref, times: number): Val {
    const F = r.shape[1]!;
    // The count comes from the file: one sample's output must fit the byte budget (predict allocates it per batch row).
    if (times * F * 4 > o.maxBytes) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: repeats ${F} features ${times} times, ${times * F * 4} bytes per sample, more than maxBytes (${o.maxBytes})`);
    const node: IRNode = { kind: 'repeat', name: names.take(n, 'repeat_vector'), n: times, x: r };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', [null, times, F]), perm: [0, 1, 2] };
  }

  /** [B, T, F] → [-1 or B·T, F] (rows), and rows → [-1, T, U] back: Keras's TimeDistributed Dense, tf.keras 2's Dense on a sequence (Reshape → MatMul → Add → Reshape). */
  function reshapeRows(n: NodeData, x: Val, shapeV: Val | undefined): Val | null {
    const to: Dim[] | null = shapeV?.k === 'const' && shapeV.c.dims.length === 1 ? [...shapeV.c.data] : shapeV?.k === 'shape' ? [...shapeV.dims] : null;
    if (to === null || attrInt(n, 'allowzero', 0) !== 0) return null;
    const batch = (d: Dim | undefined): boolean => d === -1 || d === 0 || d === 'B';
    // [B, F] → [-1, 1, F]: a step with a time axis of 1 (Keras 3's RepeatVector begins so).
    if (x.k === 'tensor' && x.ref.shape.length === 2 && x.perm.join() === '0,1' && to.length === 3 && batch(to[0]) && to[1] === 1 && to[2] === x.ref.shape[1]) return { k: 'step1', ref: x.ref };
    if (x.k === 'repeated') {
      const F = x.ref.shape[1];
      if (to.length === 3 && batch(to[0]) && (to[1] === x.n || (to[1] === -1 && to[0] !== -1)) && to[2] === F) return repeatNode(n, x.ref, x.n);
      throw new Unsupported(`${nodeLabel(n)}: a [B, 1, ${x.n}, ${F}] tile reshaped to [${to.join(', ')}] (read: [B, ${x.n}, ${F}], Keras's RepeatVector)`);
    }
    // The row count -1, or B·T computed from the tensor's own shape (tf2onnx's Tensordot: Shape → Gather [0, 1] → ReduceProd).
    const rowCount = (d: Dim | undefined): boolean => d === -1 || (x.k === 'tensor' && isProd(d) && sameProd(d, x.ref));
    if (x.k === 'tensor' && x.perm.join() === '0,1,2' && x.ref.shape.length === 3 && to.length === 2 && rowCount(to[0]) && to[1] === x.ref.shape[2]) return { k: 'rows', ref: x.ref };
    if (x.k === 'rows') {
      const T = x.ref.shape[1];
      const U = x.ref.shape[2];
      const okB = to[0] === -1 || to[0] === 'B';
      const okT = to[1] === T || (T === null && isLength(to[1])) || (to[1] === -1 && to[0] === 'B');
      if (to.length === 3 && okB && okT && to[2] === U) return { k: 'tensor', ref: x.ref, perm: [0, 1, 2] };
      throw new Unsupported(`${nodeLabel(n)}: rows of a [B, ${T ?? 'T'}, ${U}] sequence reshaped to [${to.join(', ')}] (only back to [-1, ${T ?? 'T'}, ${U}])`);
    }
    return null;
  }

  function matmulModel(n: NodeData, x: Val, w: Val | undefined): Val | null {
    if (x.k === 'tensor' && w?.k === 'const' && w.c.dims.length === 1 && w.c.dtype === 1) {
      // h · v: a Dense(1) without bias whose unit output axis is hidden.
      const y = dense(n, x, Float32Array.from(w.c.data), w.c.dims[0]!, 1);
      return isTensor(y) ? { k: 'unit', ref: y.ref, perm: y.perm.slice(0, -1) } : y;
    }
    if (x.k === 'tensor' && w?.k === 'tensor') {
      // Batched product [B, P, K] × [B, K, Q]: a Dot along the rnnkit axes ONNX contracts.
      if (x.perm.length !== 3 || w.perm.length !== 3 || x.ref.shape.length !== 3 || w.ref.shape.length !== 3 || x.perm[0] !== 0 || w.perm[0] !== 0) throw new Unsupported(`${nodeLabel(n)}: a product of two model tensors other than a batched [B, P, K] × [B, K, Q]`);
      const node: IRNode = { kind: 'dot', name: names.take(n, 'dot'), axes: [x.perm[2]!, w.perm[1]!], xs: [x.ref, w.ref] };
      ir.push(node);
      return { k: 'tensor', ref: port(node, 'y', [null, x.ref.shape[x.perm[1]!]!, w.ref.shape[w.perm[2]!]!]), perm: [0, 1, 2] };
    }
    return null;
  }

  /** Mul of two model tensors whose shapes broadcast (per-step weights [B, T, 1] times a sequence [B, T, H]): a Multiply layer. */
  function broadcastMul(n: NodeData, a: TensorVal, b: TensorVal): Val {
    if (a.perm.join() !== b.perm.join() || a.ref.shape.length !== b.ref.shape.length) throw new Unsupported(`${nodeLabel(n)}: operands of different ranks or layouts`);
    const shape = a.ref.shape.map((s, k) => {
      const t = b.ref.shape[k]!;
      if (s === t || t === 1) return s;
      if (s === 1) return t;
      throw new Unsupported(`${nodeLabel(n)}: operands of shapes that do not broadcast`);
    });
    const node: IRNode = { kind: 'merge', name: names.take(n, 'multiply'), op: 'Mul', xs: [a.ref, b.ref] };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', shape), perm: a.perm };
  }

  /** The one reduced axis of a ReduceSum / ReduceMean (attribute before opset 13 / 18, input after), or null. */
  function reducedAxis(n: NodeData, x: TensorVal, axesV: Val | undefined): number | null {
    const axes = axesOf(n, axesV);
    return axes !== null && axes.length === 1 ? norm(axes[0]!, x.perm.length, nodeLabel(n)) : null;
  }

  /** Σ over time of weights [B, T, 1] × sequence [B, T, H] (attention pooling): a Dot along time, [B, 1, H]. */
  function reduceSumTime(n: NodeData, x: TensorVal, axesV: Val | undefined): Val | null {
    const a = reducedAxis(n, x, axesV);
    if (a === null || x.perm[a] !== 1 || x.ref.shape.length !== 3) return null;
    const m = x.ref.node;
    if (m.kind === 'merge' && m.op === 'Mul' && m.xs.length === 2) {
      const [p, q] = m.xs as [Ref, Ref];
      const [w, h] = p.shape[2] === 1 ? [p, q] : [q, p];
      if (w.shape[2] === 1 && w.shape.length === 3 && h.shape.length === 3 && w.shape[1] === h.shape[1]) {
        const node: IRNode = { kind: 'dot', name: names.take(n, 'dot'), axes: [1, 1], xs: [w, h] };
        ir.push(node);
        const ref = port(node, 'y', [null, 1, h.shape[2]!]);
        return attrInt(n, 'keepdims', 1) === 1 ? { k: 'tensor', ref, perm: x.perm } : { k: 'unit', ref, perm: x.perm.filter((_, k) => k !== a) };
      }
    }
    throw new Unsupported(`${nodeLabel(n)}: a ReduceSum over time of something other than per-step weights [B, T, 1] times a sequence (attention pooling); rnnkit has no layer summing a sequence over time`);
  }

  function reduceMean(n: NodeData, x: Val, axesV: Val | undefined): Val {
    const keep = attrInt(n, 'keepdims', 1);
    if (x.k === 'tensor' || (x.k === 'ln' && x.stage === 'square')) {
      const t = x.k === 'tensor' ? x : x.x;
      const a = reducedAxis(n, t, axesV);
      const R = t.ref.shape.length;
      if (a === t.perm.length - 1 && t.perm[a] === R - 1 && keep === 1 && typeof t.ref.shape[R - 1] === 'number') return { k: 'ln', stage: x.k === 'tensor' ? 'mean' : 'var', x: t, eps: 0 };
      if (x.k === 'tensor' && a !== null && t.perm[a] === 1 && R === 3 && keep === 0) {
        // The mean over time of [B, T, F]: GlobalAveragePooling1D, [B, F].
        const node: IRNode = { kind: 'gap', name: names.take(n, 'global_average_pooling1d'), x: t.ref };
        ir.push(node);
        return { k: 'tensor', ref: port(node, 'y', [null, t.ref.shape[2]!]), perm: t.perm.filter((_, k) => k !== a).map((p) => (p > 1 ? p - 1 : p)) };
      }
    }
    const pooled = reduceTime(n, x, axesV);
    if (pooled !== null) return pooled;
    throw new Unsupported(`${nodeLabel(n)}: a ReduceMean other than over the features with keepdims (a decomposed layer normalization) or over time (mean pooling)`);
  }

  function layerNormNode(n: NodeData, x: TensorVal, eps: number): Val {
    if (!(eps > 0)) throw new Unsupported(`${nodeLabel(n)}: a layer normalization with ε = ${eps} (rnnkit's LayerNormalization takes ε > 0)`);
    const R = x.ref.shape.length;
    const node: IRNode = { kind: 'layernorm', name: names.take(n, 'layer_normalization'), units: x.ref.shape[R - 1]!, epsilon: eps, gamma: null, beta: null, x: x.ref };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', x.ref.shape), perm: x.perm };
  }

  /**
   * InstanceNormalization of a [B, T, F] sequence with scale ones and B zeros (tf2onnx's rewrite
   * of TF's layer_norm pattern: the channels are the steps, so each step is normalised over its
   * features): a LayerNormalization; the Mul and Add after it fold in as γ and β.
   */
  function instanceNorm(n: NodeData, x: Val, s: Val | undefined, b: Val | undefined): Val {
    const label = nodeLabel(n);
    if (!isTensor(x) || x.perm.length !== 3 || x.perm[0] !== 0 || x.perm[2] !== x.ref.shape.length - 1) throw new Unsupported(`${label}: an InstanceNormalization other than over the features of a [B, T, F] sequence (tf2onnx's layer normalization)`);
    const all = (v: Val | undefined, want: number): boolean => (v?.k === 'fill' ? v.value === want : v?.k === 'zeros' ? want === 0 : v?.k === 'const' && v.c.data.every((d) => d === want));
    if (!all(s, 1) || !all(b, 0)) throw new Unsupported(`${label}: scale / B other than ones / zeros (a per-channel instance normalization, not a layer normalization)`);
    return layerNormNode(n, x, attrFloat(n, 'epsilon', 1e-5));
  }

  /** The LayerNormalization op (opset 17) over the features: rnnkit's LayerNormalization with its γ and β. */
  function layerNormOp(n: NodeData, x: Val, ins: (Val | undefined)[]): Val {
    const label = nodeLabel(n);
    if (n.outputs.slice(1).some((o) => o !== '' && (uses.get(o) ?? 0) > 0)) throw new Unsupported(`${label}: its Mean / InvStdDev outputs are used`);
    if (!isTensor(x)) throw new Unsupported(`${label}: its input is not a model tensor`);
    const rank = x.perm.length;
    const given = attrInt(n, 'axis', -1);
    const axis = norm(given, rank, label);
    const R = x.ref.shape.length;
    if (axis !== rank - 1) throw new Unsupported(`${label}: axis ${given} normalises over the last ${rank - axis} axes (rnnkit's LayerNormalization: over the features only)`);
    if (x.perm[axis] !== R - 1) throw new Unsupported(`${label}: its last axis is not the feature axis`);
    const F = x.ref.shape[R - 1]!;
    const gamma = perFeature(ins[1], F);
    const beta = ins[2] === undefined ? null : perFeature(ins[2], F);
    if (gamma === null || (ins[2] !== undefined && beta === null)) throw new Unsupported(`${label}: Scale / B are not constant float vectors of ${F}`);
    const y = layerNormNode(n, x, attrFloat(n, 'epsilon', 1e-5));
    const node = (y as TensorVal).ref.node as IRNode & { kind: 'layernorm' };
    node.gamma = gamma;
    node.beta = beta;
    return y;
  }


  // ---- Convolution and pooling ----------------------------------------------------------
  // ONNX's Conv / pooling ops read [B, C, T]: ONNX axis 1 must be rnnkit's feature axis and
  // axis 2 its time axis, which the Transpose PyTorch writes before them (x.permute(0, 2, 1))
  // gives by renaming alone. Their outputs are again [B, C', T'] views of a channels-last
  // rnnkit tensor; the Transpose back renames once more. Each becomes a layer ('layer' node)
  // whose geometry is proved equal to the op's for every input length, or the op is refused.

  /**
   * `x` laid out so that ONNX axis k is rnnkit axis want[k]: as it is, or through a Permute
   * layer (which rnnkit can apply only where an open time axis stays first).
   */
  function arrange(n: NodeData | null, x: TensorVal, want: readonly number[]): Ref {
    if (x.perm.join() === want.join()) return x.ref;
    const label = n === null ? 'a graph output' : nodeLabel(n);
    if (x.perm[0] !== 0 || want[0] !== 0 || x.perm.length !== want.length) throw new Unsupported(`${label}: a tensor whose batch axis is not first`);
    const R = want.length;
    // New rnnkit axis j (1..R-1) is old axis x.perm[k] where want[k] = j.
    const dims = range(1, R).map((j) => x.perm[want.indexOf(j)]!);
    const src = x.ref.node;
    // A graph input open beyond axis 1 ([B, C, T], T open) cannot be an rnnkit input at all: read it channels-last.
    if (src.kind === 'input' && R === 3 && x.ref.shape.slice(2).includes(null)) throw new ChannelsFirst(src.index);
    if (x.ref.shape[1] === null && dims[0] !== 1) throw new Unsupported(`${label}: needs the open (time) axis of its input moved from its place, which no rnnkit layer does (a Permute keeps an open axis first)`);
    const shape = [null, ...dims.map((a) => x.ref.shape[a]!)];
    const node: IRNode = { kind: 'layer', name: names.take(null, 'permute'), make: (name) => new Permute({ dims, name }), weights: [], x: x.ref, activation: null };
    ir.push(node);
    return port(node, 'y', shape);
  }

  /** A layer node on `x`; its rnnkit output shape comes from the layer itself. */
  function layerNode(n: NodeData | null, fallback: string, make: (name: string, activation: string) => Layer, weights: Tensor[], x: Ref, activation: string | null = null): Ref {
    const probe = make('probe', 'linear');
    const shape = [null, ...probe.computeOutputShape(x.shape.slice(1))] as (number | null)[];
    const node: IRNode = { kind: 'layer', name: names.take(n, fallback), make, weights, x, activation };
    ir.push(node);
    return port(node, 'y', shape);
  }

  /** The one integer of a 1-D window attribute (kernel_shape, strides, dilations, output_padding), or dflt. */
  function one(n: NodeData, key: string, dflt: number, min: number): number {
    const v = attrInts(n, key);
    if (v === null) return dflt;
    if (v.length !== 1) throw new Unsupported(`${nodeLabel(n)}: ${key} [${v.join(', ')}] (1-D ops only: one value)`);
    const k = v[0]!;
    // Sizes from an untrusted file: a window or stride beyond 2^20 steps is no real model, and would size buffers at predict.
    if (!Number.isSafeInteger(k) || k < min || k > 2 ** 20) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: ${key} ${k} (read: ${min} to 2^20)`);
    return k;
  }

  /** [before, after] of pads (absent: zeros); auto_pad as given ('NOTSET' when absent). */
  function padsOf(n: NodeData): { autoPad: string; pads: [number, number] } {
    const a = attrOf(n, 'auto_pad');
    const autoPad = a === undefined ? 'NOTSET' : a.type === 'string' ? a.value : '?';
    if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: auto_pad '${autoPad}'`);
    const p = attrInts(n, 'pads');
    if (p !== null && autoPad !== 'NOTSET') throw new ModelFormatError(`${where}: ${nodeLabel(n)}: pads given with auto_pad '${autoPad}'`);
    if (p === null) return { autoPad, pads: [0, 0] };
    if (p.length !== 2) throw new Unsupported(`${nodeLabel(n)}: pads [${p.join(', ')}] (1-D ops only: [before, after])`);
    if (p.some((v) => !Number.isSafeInteger(v) || v < 0 || v > 2 ** 20)) throw new ModelFormatError(`${where}: ${nodeLabel(n)}: pads [${p.join(', ')}]`);
    return { autoPad, pads: [p[0]!, p[1]!] };
  }

  /** A [B, C, T] view of a model sequence (ONNX axis 1 its features, 2 its time axis). */
  function ncw(n: NodeData, x: Val): Ref {
    if (isTensor(x) && x.perm.length === 4) throw new Unsupported(`${nodeLabel(n)}: a 2-D ${n.opType} (a 4-D input [batch, channels, height, width]); rnnkit reads 1-D ones over [batch, channels, steps]`);
    if (!isTensor(x) || x.perm.length !== 3 || x.ref.shape.length !== 3) throw new Unsupported(`${nodeLabel(n)}: its input is not a [batch, channels, steps] view of a model sequence`);
    return arrange(n, x, [0, 2, 1]);
  }

  /**
   * Keras's padding mode for a window of `span` taps at stride `s` whose ONNX padding is
   * auto_pad / pads, or the explicit pads to put in front as a ZeroPadding1D ('pad'), or why not.
   * TF's 'same' and ONNX's SAME_UPPER both put floor(total / 2) before; SAME_LOWER ceil.
   */
  function padMode(n: NodeData, span: number, s: number, causal: boolean): { mode: 'valid' | 'same' | 'causal' } | { mode: 'pad'; pads: [number, number] } {
    const { autoPad, pads } = padsOf(n);
    if (autoPad === 'VALID') return { mode: 'valid' };
    if (autoPad === 'SAME_UPPER') return { mode: 'same' };
    if (autoPad === 'SAME_LOWER') {
      // With stride 1 the total is span − 1 for every length: ceil and floor halves agree when it is even.
      if (s === 1 && (span - 1) % 2 === 0) return { mode: 'same' };
      throw new Unsupported(`${nodeLabel(n)}: auto_pad SAME_LOWER puts ceil(total / 2) steps before the input, Keras's 'same' floor(total / 2); they differ ${s === 1 ? `for a window of ${span} steps` : `at stride ${s} for some lengths`}`);
    }
    const [pb, pa] = pads;
    if (pb === 0 && pa === 0) return { mode: 'valid' };
    if (s === 1 && pb + pa === span - 1 && pb === Math.floor((span - 1) / 2)) return { mode: 'same' };
    if (causal && pb === span - 1 && pa === 0) return { mode: 'causal' };
    return { mode: 'pad', pads: [pb, pa] };
  }

  function zeroPad(pads: readonly [number, number], x: Ref): Ref {
    const padding: [number, number] = [pads[0], pads[1]];
    checkStepBytes(null, pads[0] + pads[1], x);
    return layerNode(null, 'zero_padding1d', (name) => new ZeroPadding1D({ padding, name }), [], x);
  }

  /** `steps` added steps of x's features must fit maxBytes per sample (predict allocates them per batch row). */
  function checkStepBytes(n: NodeData | null, steps: number, x: Ref): void {
    const F = x.shape[x.shape.length - 1] ?? 1;
    if (steps * F * 4 > o.maxBytes) throw new ModelFormatError(`${where}: ${n === null ? 'a pad' : nodeLabel(n)}: adds ${steps} steps of ${F} features, more than maxBytes (${o.maxBytes}) per sample`);
  }

  /** A channels-last result [B, T', F] seen as ONNX's [B, F, T']. */
  function asNcw(r: Ref): Val {
    return { k: 'tensor', ref: r, perm: [0, 2, 1] };
  }

  function conv(n: NodeData, x: Val, wV: Val, bV: Val | undefined): Val {
    const label = nodeLabel(n);
    let xr = ncw(n, x);
    if (wV.k !== 'const' || wV.c.dtype !== 1 || wV.c.dims.length !== 3) throw new Unsupported(`${label}: W is not a constant float [filters, channels / group, kernel] tensor (1-D convolutions only)`);
    const [F, Cg, K] = wV.c.dims as [number, number, number];
    const C = xr.shape[2] as number;
    const group = attrInt(n, 'group', 1);
    if (!Number.isSafeInteger(group) || group < 1 || C % group !== 0 || F % group !== 0 || Cg * group !== C) throw new ModelFormatError(`${where}: ${label}: W [${F}, ${Cg}, ${K}] with group ${group} does not fit ${C} input channels`);
    if (one(n, 'kernel_shape', K, 1) !== K) throw new ModelFormatError(`${where}: ${label}: kernel_shape [${one(n, 'kernel_shape', K, 1)}] but W has ${K} taps`);
    const s = one(n, 'strides', 1, 1);
    const d = one(n, 'dilations', 1, 1);
    if (s > 1 && d > 1) throw new Unsupported(`${label}: strides ${s} with dilations ${d} (rnnkit's Conv1D, as Keras, takes one or the other)`);
    let bias: Float32Array | null = null;
    if (bV !== undefined) {
      if (bV.k !== 'const' || bV.c.dtype !== 1 || bV.c.data.length !== F) throw new Unsupported(`${label}: B is not a constant float vector of ${F}`);
      bias = Float32Array.from(bV.c.data);
    }
    const span = d * (K - 1) + 1;
    const pm = padMode(n, span, s, true);
    if (pm.mode === 'pad') xr = zeroPad(pm.pads, xr);
    const padding = pm.mode === 'pad' ? 'valid' : pm.mode;
    // ONNX W [F, C/group, K] → Keras kernel [K, C/group, F].
    const w = wV.c.data;
    const kernel = new Float32Array(K * Cg * F);
    for (let f = 0; f < F; f++) for (let c = 0; c < Cg; c++) for (let k = 0; k < K; k++) kernel[(k * Cg + c) * F + f] = w[(f * Cg + c) * K + k]!;
    const weights = [new Tensor(kernel, [K, Cg, F]), ...(bias === null ? [] : [new Tensor(bias, [F])])];
    const make = (name: string, activation: string): Layer => new Conv1D({ filters: F, kernelSize: K, strides: s, dilationRate: d, groups: group, padding, useBias: bias !== null, activation: activation as never, name });
    return asNcw(layerNode(n, 'conv1d', make, weights, xr, 'linear'));
  }

  function convTranspose(n: NodeData, x: Val, wV: Val, bV: Val | undefined): Val {
    const label = nodeLabel(n);
    const xr = ncw(n, x);
    if (wV.k !== 'const' || wV.c.dtype !== 1 || wV.c.dims.length !== 3) throw new Unsupported(`${label}: W is not a constant float [channels, filters / group, kernel] tensor (1-D transposed convolutions only)`);
    const group = attrInt(n, 'group', 1);
    if (group !== 1) throw new Unsupported(`${label}: group ${group} (rnnkit's Conv1DTranspose has no groups)`);
    if (attrOf(n, 'output_shape') !== undefined) throw new Unsupported(`${label}: output_shape (the pads it implies depend on the input length; give pads and output_padding)`);
    const [C, F, K] = wV.c.dims as [number, number, number];
    if (xr.shape[2] !== C) throw new ModelFormatError(`${where}: ${label}: W [${C}, ${F}, ${K}] for ${xr.shape[2]} input channels`);
    if (one(n, 'kernel_shape', K, 1) !== K) throw new ModelFormatError(`${where}: ${label}: kernel_shape [${one(n, 'kernel_shape', K, 1)}] but W has ${K} taps`);
    const s = one(n, 'strides', 1, 1);
    const d = one(n, 'dilations', 1, 1);
    if (s > 1 && d > 1) throw new Unsupported(`${label}: strides ${s} with dilations ${d} (rnnkit's Conv1DTranspose, as Keras, takes one or the other)`);
    const op = one(n, 'output_padding', 0, 0);
    checkStepBytes(n, s * (K + op) * d, { ...xr, shape: [null, null, F] });
    const { autoPad, pads } = padsOf(n);
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') throw new Unsupported(`${label}: auto_pad ${autoPad} (read: explicit pads and output_padding)`);
    const [head, tail] = pads;
    let bias: Float32Array | null = null;
    if (bV !== undefined) {
      if (bV.k !== 'const' || bV.c.dtype !== 1 || bV.c.data.length !== F) throw new Unsupported(`${label}: B is not a constant float vector of ${F}`);
      bias = Float32Array.from(bV.c.data);
    }
    // ONNX W [C, F, K] → Keras kernel [K, F, C].
    const w = wV.c.data;
    const kernel = new Float32Array(K * F * C);
    for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) for (let k = 0; k < K; k++) kernel[(k * F + f) * C + c] = w[(c * F + f) * K + k]!;
    const weights = [new Tensor(kernel, [K, F, C]), ...(bias === null ? [] : [new Tensor(bias, [F])])];
    const layerWith = (padding: 'valid' | 'same', outputPadding: number | null) => (name: string, activation: string): Layer =>
      new Conv1DTranspose({ filters: F, kernelSize: K, strides: s, dilationRate: d, padding, outputPadding, useBias: bias !== null, activation: activation as never, name });
    // ONNX's output is input step t's tap j at t·s + j·d − head, (T − 1)·s + output_padding + span − head − tail
    // steps: a Keras geometry with the same three constants (transposeGeometry, the exporter's) is the same for every T.
    for (const padding of ['valid', 'same'] as const) {
      for (const outputPadding of [null, ...range(0, s)]) {
        let g: { head: number; tail: number; outputPadding: number };
        try {
          g = transposeGeometry(layerWith(padding, outputPadding)('probe', 'linear') as Conv1DTranspose);
        } catch (e) {
          if (e instanceof RangeError) continue;
          throw e;
        }
        if (g.head === head && g.tail === tail && g.outputPadding === op) return asNcw(layerNode(n, 'conv1d_transpose', layerWith(padding, outputPadding), weights, xr, 'linear'));
      }
    }
    // Otherwise 'valid' (nothing cut) with the extra steps ONNX keeps at the end, then the pads cut by a Cropping1D.
    const extra = Math.max(op - tail, 0);
    if (extra >= s) throw new Unsupported(`${label}: output_padding ${op} with pads [${head}, ${tail}] at stride ${s} (rnnkit's outputPadding stays below strides)`);
    const y = layerNode(n, 'conv1d_transpose', layerWith('valid', extra), weights, xr, null);
    const cropping: [number, number] = [head, Math.max(tail - op, 0)];
    return asNcw(layerNode(null, 'cropping1d', (name) => new Cropping1D({ cropping, name }), [], y));
  }

  function pool(n: NodeData, x: Val): Val {
    const label = nodeLabel(n);
    const max = n.opType === 'MaxPool';
    if (max && n.outputs[1] !== undefined && n.outputs[1] !== '' && (uses.get(n.outputs[1]) ?? 0) > 0) throw new Unsupported(`${label}: its Indices output is used`);
    let xr = ncw(n, x);
    if (attrInts(n, 'kernel_shape') === null) throw new ModelFormatError(`${where}: ${label}: no kernel_shape`);
    const K = one(n, 'kernel_shape', 1, 1);
    const s = one(n, 'strides', 1, 1);
    if (max && one(n, 'dilations', 1, 1) !== 1) throw new Unsupported(`${label}: dilations ${one(n, 'dilations', 1, 1)} (rnnkit's pooling windows are contiguous)`);
    const includePad = !max && attrInt(n, 'count_include_pad', 0) !== 0;
    const { autoPad, pads } = padsOf(n);
    const T = xr.shape[1] ?? null;
    if (attrInt(n, 'ceil_mode', 0) !== 0) {
      // ceil_mode adds a last window running past the end; only where the division is exact is that nothing.
      const exact = s === 1 || (T !== null && autoPad === 'NOTSET' && (T + pads[0] + pads[1] - K) % s === 0);
      if (!exact) throw new Unsupported(`${label}: ceil_mode 1 at stride ${s}${T === null ? ' on a sequence of open length' : ''} (a last partial window rnnkit's ${max ? 'MaxPooling1D' : 'AveragePooling1D'} does not take)`);
    }
    let padding: 'valid' | 'same';
    if (includePad && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') && K > 1) {
      throw new Unsupported(`${label}: count_include_pad 1 with auto_pad ${autoPad} (rnnkit's 'same' averages the real steps only, and the pads depend on the length)`);
    }
    if (includePad && autoPad === 'NOTSET' && (pads[0] > 0 || pads[1] > 0)) {
      // Counting the pads as zeros is padding with zeros, then averaging whole windows.
      xr = zeroPad(pads, xr);
      padding = 'valid';
    } else {
      const pm = padMode(n, K, s, false);
      if (pm.mode === 'pad') {
        throw new Unsupported(
          `${label}: pads [${pm.pads.join(', ')}] with kernel ${K} and stride ${s}: rnnkit's 'same' pads floor / ceil of (kernel − 1) at stride 1 only, and ${max ? 'a maximum over padding is not a maximum over zeros' : 'count_include_pad 0 averages the real steps only'}`,
        );
      }
      padding = pm.mode === 'causal' ? 'valid' : pm.mode;
    }
    const make = (name: string): Layer => (max ? new MaxPooling1D({ poolSize: K, strides: s, padding, name }) : new AveragePooling1D({ poolSize: K, strides: s, padding, name }));
    return asNcw(layerNode(n, max ? 'max_pooling1d' : 'average_pooling1d', make, [], xr));
  }

  /** GlobalAveragePool / GlobalMaxPool of [B, C, T]: [B, C, 1], a global pooling layer with keepdims. */
  function globalPool(n: NodeData, x: Val): Val {
    const xr = ncw(n, x);
    const max = n.opType === 'GlobalMaxPool';
    const make = (name: string): Layer => (max ? new GlobalMaxPooling1D({ keepdims: true, name }) : new GlobalAveragePooling1D({ keepdims: true, name }));
    return asNcw(layerNode(n, max ? 'global_max_pooling1d' : 'global_average_pooling1d', make, [], xr));
  }

  /** ReduceMean / ReduceMax over the time axis of a sequence: global pooling (keepdims as the op). */
  function reduceTime(n: NodeData, x: Val, axesV: Val | undefined): Val | null {
    if (!isTensor(x) || x.perm.length !== 3 || x.ref.shape.length !== 3) return null;
    const a = reducedAxis(n, x, axesV);
    if (a === null || x.perm[a] !== 1) return null;
    const keep = attrInt(n, 'keepdims', 1) !== 0;
    const max = n.opType === 'ReduceMax';
    if (!max && !keep) return null; // the mean without keepdims: the 'gap' node, as before
    const make = (name: string): Layer => (max ? new GlobalMaxPooling1D({ keepdims: keep, name }) : new GlobalAveragePooling1D({ keepdims: keep, name }));
    const y = layerNode(n, max ? 'global_max_pooling1d' : 'global_average_pooling1d', make, [], x.ref);
    return { k: 'tensor', ref: y, perm: keep ? x.perm : x.perm.filter((_, k) => k !== a).map((p) => (p > 1 ? p - 1 : p)) };
  }

  /** Whether the tensor's elements lie in ONNX's order (its axes of size > 1 in rnnkit's order). */
  function sameOrder(x: TensorVal): boolean {
    const big = x.perm.filter((a) => x.ref.shape[a] !== 1);
    return big.every((a, k) => k === 0 || a > big[k - 1]!);
  }

  /** Flatten (axis 1) or Reshape to [batch, ...rest]: rnnkit's Flatten or Reshape on the tensor in ONNX's element order. */
  function reshapeTo(n: NodeData, x: TensorVal, rest: number[]): Val {
    const R = x.perm.length;
    const ident = range(0, R);
    const src = sameOrder(x) ? x.ref : arrange(n, x, ident);
    const onnxDims = x.perm.map((a) => x.ref.shape[a] ?? null);
    // 0 copies the ONNX input's size (allowzero 0, checked by the caller).
    const target = rest.map((d, k) => {
      if (d !== 0) return d;
      const v = onnxDims[k + 1];
      if (typeof v !== 'number') throw new Unsupported(`${nodeLabel(n)}: a 0 (copy) at axis ${k + 1}, whose size is open`);
      return v;
    });
    if (target.length === 1 && target[0] === -1) {
      if (R === 2) return { k: 'tensor', ref: src, perm: [0, 1] };
      return { k: 'tensor', ref: layerNode(n, 'flatten', (name) => new Flatten({ name }), [], src), perm: [0, 1] };
    }
    const y = layerNode(n, 'reshape', (name) => new Reshape({ targetShape: target, name }), [], src);
    return { k: 'tensor', ref: y, perm: range(0, target.length + 1) };
  }

  /** Pad of a sequence along its time axis only, with zeros (negative pads crop): ZeroPadding1D or Cropping1D. */
  function pad(n: NodeData, x: Val, ins: (Val | undefined)[]): Val {
    const label = nodeLabel(n);
    const a = attrOf(n, 'mode');
    const mode = a === undefined ? 'constant' : a.type === 'string' ? a.value : '?';
    if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') throw new Unsupported(`${label}: mode '${mode}' (read: zeros, 'constant' with 0; 'edge' and 'reflect' on a fixed length)`);
    let pads: number[];
    let value = 0;
    if (opset < 11) {
      pads = [...(attrInts(n, 'pads') ?? [])];
      value = attrFloat(n, 'value', 0);
    } else {
      if (n.attributes.has('pads') || n.attributes.has('value')) throw new Unsupported(`${label}: attributes pads / value at opset ${opset} (inputs since opset 11)`);
      const p = ins[1];
      if (p?.k !== 'const') throw new Unsupported(`${label}: pads that are not a constant`);
      pads = [...p.c.data];
      const v = ins[2];
      if (v !== undefined) {
        if (v.k !== 'const' || v.c.data.length !== 1) throw new Unsupported(`${label}: a constant_value that is not one constant`);
        value = v.c.data[0]!;
      }
      if (ins[3] !== undefined) throw new Unsupported(`${label}: input axes`);
    }
    if (value !== 0 && mode === 'constant') throw new Unsupported(`${label}: padding value ${value} (rnnkit's ZeroPadding1D pads with 0)`);
    if (!isTensor(x) || x.perm.length !== 3 || x.ref.shape.length !== 3 || pads.length !== 6) throw new Unsupported(`${label}: a Pad of something other than a [batch, steps, features] sequence (in any axis order)`);
    const t = x.perm.indexOf(1);
    if (pads.some((p, k) => k % 3 !== t && p !== 0)) throw new Unsupported(`${label}: pads [${pads.join(', ')}] along axes other than time (rnnkit pads steps only)`);
    const [pb, pa] = [pads[t]!, pads[t + 3]!];
    if (![pb, pa].every((p) => Number.isSafeInteger(p) && Math.abs(p) <= 2 ** 20)) throw new ModelFormatError(`${where}: ${label}: pads [${pads.join(', ')}]`);
    if (pb === 0 && pa === 0) return x;
    if (mode !== 'constant') return padSteps(n, x, mode, pb, pa);
    if (pb >= 0 && pa >= 0) checkStepBytes(n, pb + pa, x.ref);
    if (pb >= 0 && pa >= 0) return { k: 'tensor', ref: layerNode(n, 'zero_padding1d', (name) => new ZeroPadding1D({ padding: [pb, pa], name }), [], x.ref), perm: x.perm };
    if (pb <= 0 && pa <= 0) return { k: 'tensor', ref: layerNode(n, 'cropping1d', (name) => new Cropping1D({ cropping: [-pb, -pa], name }), [], x.ref), perm: x.perm };
    throw new Unsupported(`${label}: pads [${pb}, ${pa}] along time, one negative (a crop) and one positive`);
  }

  /**
   * PyTorch's padding_mode 'replicate' / 'reflect' (Pad mode 'edge' / 'reflect') along time of a
   * fixed-length sequence: each padded step is a copy of one real step (edge: the first or last;
   * reflect: steps p … 1 before, T − 2 … after), so the output is a Concatenate along time of
   * one-step Cropping1D layers and the sequence itself — the same values. On an open length the
   * steps to copy depend on the length: refused.
   */
  function padSteps(n: NodeData, x: TensorVal, mode: string, pb: number, pa: number): Val {
    const label = nodeLabel(n);
    const T = x.ref.shape[1];
    if (typeof T !== 'number') throw new Unsupported(`${label}: mode '${mode}' along time of a sequence of open length (the steps it copies depend on the length; read on a fixed length)`);
    if (pb < 0 || pa < 0) throw new Unsupported(`${label}: mode '${mode}' with negative pads [${pb}, ${pa}]`);
    if (pb + pa > 256) throw new Unsupported(`${label}: mode '${mode}' with pads [${pb}, ${pa}] (read: at most 256 padded steps, each a layer)`);
    if (mode === 'reflect' && (pb >= T || pa >= T)) throw new ModelFormatError(`${where}: ${label}: reflect pads [${pb}, ${pa}] of a sequence of ${T} steps (each must be below the length)`);
    checkStepBytes(n, pb + pa, x.ref);
    const crops = new Map<number, Ref>();
    const step = (i: number): Ref => {
      let r = crops.get(i);
      if (r === undefined) crops.set(i, (r = layerNode(n, 'cropping1d', (name) => new Cropping1D({ cropping: [i, T - 1 - i], name }), [], x.ref)));
      return r;
    };
    const before = range(0, pb).map((k) => (mode === 'edge' ? 0 : pb - k));
    const after = range(0, pa).map((k) => (mode === 'edge' ? T - 1 : T - 2 - k));
    const node: IRNode = { kind: 'concat', name: names.take(n, 'concatenate'), xs: [...before.map(step), x.ref, ...after.map(step)], axis: 1 };
    ir.push(node);
    return { k: 'tensor', ref: port(node, 'y', [null, T + pb + pa, ...x.ref.shape.slice(2)]), perm: x.perm };
  }

  for (const f of fusions) {
    const at = order.get(f.at)!;
    for (const n of m.graph.nodes) {
      if (n === f.at || f.pattern?.has(n)) continue;
      const read = n.inputs.find((i) => f.names.has(i));
      // Pass-throughs before the fold (Identity, Cast) lead to it; any other reader saw the Dense without it.
      if (read !== undefined && !(order.get(n)! < at && n.outputs.every((o) => f.names.has(o)))) problems.push(`${nodeLabel(n)} reads '${read}' before the ${f.what} of ${nodeLabel(f.at)} (loadOnnx folds that into one Dense layer)`);
    }
    for (const v of m.graph.outputs) if (f.names.has(v.name)) problems.push(`graph output '${v.name}' is read before the ${f.what} of ${nodeLabel(f.at)} (loadOnnx folds that into one Dense layer)`);
  }

  // Graph outputs: model tensors, batch axis first.
  const outputs: Ref[] = [];
  for (const v of m.graph.outputs) {
    const val = vals.get(v.name);
    if (val === undefined) throw new ModelFormatError(`${where}: graph output '${v.name}' is made by no node`);
    if (val.k === 'bad') continue;
    if (val.k === 'tensor') {
      // Batch-first outputs keep ONNX's axis order (a Permute layer) where rnnkit can move the axes;
      // where an open axis would move ([B, C, T] with T open), they come channels-last, as the inputs.
      let ref = val.ref;
      if (val.perm[0] === 0 && !sameOrder(val)) {
        try {
          ref = arrange(null, val, range(0, val.perm.length));
        } catch (e) {
          if (!(e instanceof Unsupported || e instanceof ChannelsFirst)) throw e;
        }
      } else if (val.perm[0] === 0 && val.perm.some((a, k) => a !== k)) ref = materializeOrder(val);
      outputs.push(ref);
    }
    else if (val.k === 'unit') {
      try {
        outputs.push(materialize(null, val).ref);
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        problems.push(`graph output '${v.name}': ${e.message}`);
      }
    }
    else if (val.k === 'dirs' && val.parts.length === 1) outputs.push(val.parts[0]!);
    // Final states of several layers or directions stacked, [layers·directions, B, H] (PyTorch's h_n):
    // batch first as the inputs, [B, layers·directions, H].
    else if (val.k === 'dirs' && val.axes.join() === 'D,B,F' && val.parts.every((r) => r.shape.length === 2 && r.shape[1] === val.parts[0]!.shape[1])) outputs.push(stackSteps(null, val.parts));
    else problems.push(`graph output '${v.name}' is ${val.k === 'dirs' ? `a recurrent output holding ${val.parts.length} directions` : val.k === 'const' ? 'a constant' : 'a shape or zeros'} (not a model tensor)`);
  }
  if (problems.length > 0) throw new OnnxImportError(where, problems);
  return build(m, where, o, ir, outputs);

  /** A tensor whose elements are in ONNX's order but whose size-1 axes sit elsewhere: a Reshape to ONNX's shape. */
  function materializeOrder(v: TensorVal): Ref {
    const dims = v.perm.slice(1).map((a) => v.ref.shape[a] ?? -1);
    if (dims.filter((d) => d === -1).length > 1) return v.ref;
    const node: IRNode = { kind: 'reshape', name: names.take(null, 'reshape'), target: dims, x: v.ref };
    ir.push(node);
    return port(node, 'y', [null, ...v.perm.slice(1).map((a) => v.ref.shape[a]!)]);
  }
}

class Unsupported extends Error {}

/** The epsilon of a BatchNormalization read from a scale and shift: 1 − 2^-10 and 2^-10 are exact in float32 and sum to 1. */
const AFFINE_EPS = 2 ** -10;

/** The Embedding or Masking layer whose mask reaches `r` in rnnkit (through Dense, Activation and masked recurrent sequences), or null. */
function maskSource(r: Ref): MaskNode | null {
  const node = r.node;
  if (node.kind === 'embedding' || node.kind === 'masking') return node;
  if (node.kind === 'dense' || node.kind === 'act' || node.kind === 'affine') return maskSource(node.x);
  if (node.kind === 'rec' && r.port.startsWith('seq')) return node.masked;
  return null;
}

/** A masked layer's sequence with Keras's values at masked steps (seqk0) is its ordinary output. */
const canon = (p: string): string => (p === 'seqk0' ? 'seq0' : p);

// ---- Building -------------------------------------------------------------------------

function refsOf(node: IRNode): Ref[] {
  switch (node.kind) {
    case 'input':
      return [];
    case 'concat':
    case 'merge':
    case 'dot':
      return node.xs;
    case 'rec':
      return [node.x, ...node.init.flat()];
    default:
      return [node.x];
  }
}

/** What a recurrent node must return, from the ports used. */
function recConfig(node: RecNode, used: ReadonlySet<string>): { returnSequences: boolean; returnState: boolean; mergeMode: 'concat' | null; zeroOutputForMask: boolean } {
  const has = (p: string): boolean => used.has(p);
  const anySeq = has('seq0') || has('seqk0') || has('seq1') || has('seqcat');
  // ONNX writes zeros past a row's length: rnnkit's zeroOutputForMask (a Where rebuilding Keras's repeated state is port seqk0).
  const zeroOutputForMask = node.masked !== null && has('seq0');
  const separateSeq = has('seq0') || has('seq1');
  const anyC = has('c0') || has('c1');
  if (node.D === 1) return { returnSequences: anySeq, returnState: anyC || (anySeq && has('h0')), mergeMode: null, zeroOutputForMask };
  const mergeMode = anySeq && separateSeq ? null : 'concat';
  const needStates = anyC || has('h0') || has('h1') || (anySeq && has('hcat'));
  return { returnSequences: anySeq, returnState: needStates, mergeMode, zeroOutputForMask: false };
}

function build(m: ModelData, where: string, o: Options, ir: IRNode[], outputs: Ref[]): Model {
  // Keep what the outputs need.
  const live = new Set<IRNode>();
  const used = new Map<IRNode, Set<string>>();
  const stack = [...outputs];
  const mark = (r: Ref): void => {
    let u = used.get(r.node);
    if (u === undefined) used.set(r.node, (u = new Set()));
    u.add(r.port);
  };
  outputs.forEach(mark);
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (live.has(r.node)) continue;
    live.add(r.node);
    for (const x of refsOf(r.node)) {
      mark(x);
      stack.push(x);
    }
  }
  const nodes = ir.filter((n) => live.has(n));
  const maskProblems = nodes.flatMap((n) => {
    if (n.kind === 'gap' || n.kind === 'layer') {
      // The ONNX graph pools / convolves every step; rnnkit's global pooling leaves masked steps out
      // (and the step layers refuse masks): a masked input would give other numbers, so it is refused.
      const src = maskSource(n.x);
      if (src !== null && src.maskZero) return [`${n.name}: reads the masked output of ${src.kind === 'embedding' ? 'Embedding' : 'Masking'} '${src.name}' (the ONNX graph uses every step; rnnkit's layer would not)`];
      return [];
    }
    if (n.kind !== 'rec') return [];
    const u = used.get(n) ?? new Set();
    if (n.masked !== null && u.has('seq0') && u.has('seqk0')) return [`${n.op} '${n.name}': its masked sequence is used both with zeros and with repeated states past each row's length`];
    const src = n.masked === null ? maskSource(n.x) : null;
    if (src !== null && src.maskZero) return [`${n.op} '${n.name}': reads the masked output of ${src.kind === 'embedding' ? 'Embedding' : 'Masking'} '${src.name}' without sequence_lens (rnnkit would mask it)`];
    return [];
  });
  if (maskProblems.length > 0) throw new OnnxImportError(where, maskProblems);
  const inputOrder = nodes.filter((n) => n.kind === 'rec' && used.get(n)?.has('seqin0'));
  if (inputOrder.length > 0) {
    throw new OnnxImportError(
      where,
      inputOrder.map((n) => `${(n as RecNode).op} '${n.name}': direction 'reverse' with its sequence Y used in input order (rnnkit's goBackwards layer returns processing order; only Y reversed in time, or its last step, is read)`),
    );
  }
  const inputs = ir.filter((n): n is IRNode & { kind: 'input' } => n.kind === 'input');
  const configs = new Map<RecNode, ReturnType<typeof recConfig>>();
  for (const n of nodes) if (n.kind === 'rec') configs.set(n, recConfig(n, used.get(n) ?? new Set()));

  const layerOf = new Map<IRNode, Layer>();
  const makeLayer = (n: IRNode): Layer => {
    switch (n.kind) {
      case 'dense':
        return new Dense({ units: n.units, activation: n.activation as never, useBias: n.bias !== null, name: n.name, ...(n.frozen ? { trainable: false } : {}) });
      case 'act':
        if (n.param?.cls === 'LeakyReLU') return new LeakyReLU({ alpha: n.param.value, name: n.name });
        if (n.param?.cls === 'ELU') return new ELU({ alpha: n.param.value, name: n.name });
        if (n.param?.cls === 'ThresholdedReLU') return new ThresholdedReLU({ theta: n.param.value, name: n.name });
        if (n.param?.cls === 'ReLU') return new ReLU({ maxValue: n.param.value, name: n.name });
        return new Activation({ activation: n.activation as never, name: n.name });
      case 'masking':
        return new Masking({ maskValue: n.maskValue, name: n.name });
      case 'affine':
        // Moving mean 0 and variance 1 − 2^-10 with epsilon 2^-10: 1 / √(variance + epsilon) is exactly 1.
        return new BatchNormalization({ epsilon: n.stats?.epsilon ?? AFFINE_EPS, scale: n.scale !== null, center: n.shift !== null, name: n.name });
      case 'embedding':
        return new Embedding({ inputDim: n.vocab, outputDim: n.dim, maskZero: n.maskZero, name: n.name });
      case 'concat':
        return new Concatenate({ axis: n.axis ?? -1, name: n.name });
      case 'merge':
        return n.op === 'Add' ? new Add({ name: n.name }) : n.op === 'Sub' ? new Subtract({ name: n.name }) : new Multiply({ name: n.name });
      case 'layernorm':
        return new LayerNormalization({ epsilon: n.epsilon, scale: n.gamma !== null, center: n.beta !== null, name: n.name });
      case 'softmax':
        return new Softmax({ axis: n.axes.length === 1 ? n.axes[0]! : n.axes, name: n.name });
      case 'dot':
        return new Dot({ axes: n.axes, name: n.name });
      case 'reshape':
        return new Reshape({ targetShape: n.target, name: n.name });
      case 'repeat':
        return new RepeatVector({ n: n.n, name: n.name });
      case 'gap':
        return new GlobalAveragePooling1D({ name: n.name });
      case 'layer':
        return n.make(n.name, n.activation ?? 'linear');
      case 'rec': {
        const c = configs.get(n)!;
        const common = { units: n.H, activation: n.activation as never, useBias: n.dirs[0]!.bias !== null, returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: n.reverse, ...(n.D === 1 && c.zeroOutputForMask ? { zeroOutputForMask: true } : {}) };
        const name = n.D === 1 ? n.name : `${n.name}_cell`;
        const cell: Recurrent =
          n.op === 'LSTM'
            ? new LSTM({ ...common, recurrentActivation: n.recurrentActivation as never, name })
            : n.op === 'GRU'
              ? new GRU({ ...common, recurrentActivation: n.recurrentActivation as never, resetAfter: n.resetAfter, name })
              : new SimpleRNN({ ...common, name });
        return n.D === 1 ? cell : new Bidirectional({ layer: cell, mergeMode: c.mergeMode, name: n.name });
      }
      case 'input':
        throw new Error('loadOnnx: an input has no layer');
    }
  };

  const weightsOf = (n: IRNode): Tensor[] => {
    switch (n.kind) {
      case 'dense':
        return [new Tensor(n.kernel, [n.inDim, n.units]), ...(n.bias === null ? [] : [new Tensor(n.bias, [n.units])])];
      case 'embedding':
        return [new Tensor(n.table, [n.vocab, n.dim])];
      case 'layer':
        return n.weights;
      case 'layernorm':
        return [...(n.gamma === null ? [] : [new Tensor(n.gamma, [n.units])]), ...(n.beta === null ? [] : [new Tensor(n.beta, [n.units])])];
      case 'affine':
        return [
          ...(n.scale === null ? [] : [new Tensor(n.scale, [n.units])]),
          ...(n.shift === null ? [] : [new Tensor(n.shift, [n.units])]),
          new Tensor(n.stats?.mean ?? new Float32Array(n.units), [n.units]),
          new Tensor(n.stats?.variance ?? new Float32Array(n.units).fill(1 - AFFINE_EPS), [n.units]),
        ];
      case 'rec': {
        const G = n.op === 'LSTM' ? 4 : n.op === 'GRU' ? 3 : 1;
        return n.dirs.flatMap((d) => [
          new Tensor(d.kernel, [n.I, G * n.H]),
          new Tensor(d.recurrentKernel, [n.H, G * n.H]),
          ...(d.bias === null ? [] : [new Tensor(d.bias, n.resetAfter ? [2, G * n.H] : [G * n.H])]),
        ]);
      }
      default:
        return [];
    }
  };

  // A chain (one input, one output, each layer reading the previous one's only output) is a Sequential.
  const body = nodes.filter((n) => n.kind !== 'input');
  const primary = (n: IRNode): string | null => {
    if (n.kind !== 'rec') return 'y';
    const c = configs.get(n)!;
    if (c.returnState) return null;
    if (n.D === 1) return c.returnSequences ? 'seq0' : 'h0';
    return c.mergeMode === 'concat' ? (c.returnSequences ? 'seqcat' : 'hcat') : null;
  };
  const chain =
    inputs.length === 1 &&
    outputs.length === 1 &&
    body.length > 0 &&
    body.every((n, i) => {
      if (n.kind === 'concat' || n.kind === 'merge') return false;
      const x = refsOf(n);
      const prev = i === 0 ? inputs[0]! : body[i - 1]!;
      const p = primary(prev);
      return x.length === 1 && x[0]!.node === prev && p !== null && canon(x[0]!.port) === p && [...(used.get(prev) ?? [])].every((u) => canon(u) === p);
    }) &&
    outputs[0]!.node === body[body.length - 1] &&
    canon(outputs[0]!.port) === primary(body[body.length - 1]!);

  const setAll = (fn: () => void): void => (o.checkFinite ? fn() : withNonFiniteWeights(fn));
  const name = m.graph.name !== '' && /^[A-Za-z][A-Za-z0-9_.-]*$/.test(m.graph.name) ? m.graph.name : undefined;
  if (chain) {
    const ls = body.map((n) => {
      const l = makeLayer(n);
      layerOf.set(n, l);
      return l;
    });
    const seq = Sequential.assemble(name, ls, inputs[0]!.shape.slice(1));
    setAll(() => body.forEach((n) => layerOf.get(n)!.setWeights(weightsOf(n))));
    return seq;
  }

  // A graph: apply each layer to the symbolic tensors of its inputs.
  const sym = new Map<Ref, SymbolicTensor>();
  const inputSym = new Map<IRNode, SymbolicTensor>();
  const symInputs = inputs.map((n) => {
    const t = input({ shape: n.shape.slice(1), name: n.name });
    inputSym.set(n, t);
    return t;
  });
  const symOf = (r: Ref): SymbolicTensor => {
    const s = r.node.kind === 'input' ? inputSym.get(r.node) : sym.get(r);
    if (s === undefined) throw new Error(`loadOnnx: ${r.node.kind} '${r.node.name}' port ${r.port} was not built`);
    return s;
  };
  // Every ref some layer or output reads, per node.
  const refsByNode = new Map<IRNode, Set<Ref>>();
  for (const r of [...nodes.flatMap(refsOf), ...outputs]) {
    let set = refsByNode.get(r.node);
    if (set === undefined) refsByNode.set(r.node, (set = new Set()));
    set.add(r);
  }
  const refsFor = (n: IRNode): Ref[] => [...(refsByNode.get(n) ?? [])];
  for (const n of body) {
    const l = makeLayer(n);
    layerOf.set(n, l);
    const refs = refsFor(n);
    if (n.kind === 'rec') {
      const c = configs.get(n)!;
      const x = symOf(n.x);
      const initialState = n.init.length === 0 ? undefined : Array.from({ length: n.D }, (_, d) => n.init.map((s) => symOf(s[d]!))).flat();
      const res = l.apply(x, initialState === undefined ? {} : { initialState }) as unknown as SymbolicTensor | SymbolicTensor[];
      const outs = Array.isArray(res) ? res : [res];
      const S = n.op === 'LSTM' ? 2 : 1;
      const lead = n.D === 2 && c.mergeMode === null ? 2 : 1;
      const states = outs.slice(lead);
      const portMap = new Map<string, SymbolicTensor>();
      if (n.D === 1) {
        portMap.set(c.returnSequences ? 'seq0' : 'h0', outs[0]!);
        if (c.returnState) {
          portMap.set('h0', states[0]!);
          if (S === 2) portMap.set('c0', states[1]!);
        }
      } else {
        if (c.mergeMode === 'concat') portMap.set(c.returnSequences ? 'seqcat' : 'hcat', outs[0]!);
        else {
          portMap.set('seq0', outs[0]!);
          portMap.set('seq1', outs[1]!);
        }
        if (c.returnState) {
          for (let d = 0; d < 2; d++) {
            portMap.set(`h${d}`, states[d * S]!);
            if (S === 2) portMap.set(`c${d}`, states[d * S + 1]!);
          }
        }
      }
      for (const r of refs) {
        let t = portMap.get(canon(r.port));
        if (t === undefined && (r.port === 'seqcat' || r.port === 'hcat')) {
          const parts = r.port === 'seqcat' ? ['seq0', 'seq1'] : ['h0', 'h1'];
          t = new Concatenate({ axis: -1, name: `${n.name}_concat${r.port === 'hcat' ? '_states' : ''}` }).apply(parts.map((p) => portMap.get(p)!)) as unknown as SymbolicTensor;
        }
        if (t === undefined) throw new Error(`loadOnnx: ${n.op} '${n.name}' has no output for ${r.port}`);
        sym.set(r, t);
      }
    } else {
      const xs = refsOf(n).map(symOf);
      const y = l.apply(xs.length === 1 ? xs[0]! : xs) as unknown as SymbolicTensor;
      for (const r of refs) sym.set(r, y);
    }
  }
  const graphModel = functionalModel({ inputs: symInputs, outputs: outputs.map(symOf), ...(name === undefined ? {} : { name }) });
  setAll(() => body.forEach((n) => layerOf.get(n)!.setWeights(weightsOf(n))));
  return graphModel;
}
