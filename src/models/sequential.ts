/**
 * Sequential: a stack of layers, each taking the previous one's output — a Model whose
 * graph is a chain. Layers may be added before the input shape is known (the first
 * layer's inputShape, build(), or the first fit/predict gives it); the chain is then
 * called on an input tensor once, and every later add() extends it by one call.
 */
import { Layer, uniqueName, type Shape } from '../layers/layer.js';
import { InputLayer, input } from '../layers/inputLayer.js';
import { SymbolicTensor } from '../layers/node.js';
import { Tensor, formatShape, toTensor, type NestedArray } from '../core/tensor.js';
import { checkOptions } from '../core/errors.js';
import { Graph } from './graph.js';
import { Model } from './model.js';
import { formatSummary } from './summary.js';

export interface SequentialArgs {
  /**
   * Layers to add, in order. The first may be an InputLayer (tfjs's
   * `tf.layers.inputLayer({inputShape})`) or the tensor of `input({shape})` (Keras 3's
   * `Sequential([Input(shape), …])`): it declares the input instead of a first layer's inputShape.
   */
  layers?: (Layer | SymbolicTensor)[];
  /** Model name; default 'sequential', 'sequential_1', … */
  name?: string;
}

export class Sequential extends Model {
  override readonly className: string = 'Sequential';
  private readonly stack: Layer[] = [];
  /** The InputLayer the model was given first, if any: it declares the input shape, name and dtype. */
  private declaredInput: InputLayer | null = null;

  constructor(args: SequentialArgs = {}) {
    checkOptions(args, ['layers', 'name'], 'Sequential');
    super({ name: args?.name ?? uniqueName('sequential') } as never);
    for (const layer of args?.layers ?? []) this.add(layer);
  }

  /** The layers in order (no input layer, as in Keras and tfjs). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** @internal A loader's Sequential: these layers (unbuilt), built for inputShape without running initializers. */
  static assemble(name: string | undefined, layers: readonly Layer[], inputShape: Shape): Sequential {
    const model = new Sequential({ name });
    model.stack.push(...layers);
    model.buildFrom(inputShape, false);
    return model;
  }

  /**
   * Append a layer. With a known input shape the model is built at once, as in Keras. An
   * InputLayer (or `input()`'s tensor) first declares the input, as in tfjs and Keras.
   */
  add(layer: Layer | SymbolicTensor): void {
    this.refuseWhileFitting('add');
    if (layer instanceof SymbolicTensor && layer.sourceLayer instanceof InputLayer) layer = layer.sourceLayer;
    if (!(layer instanceof Layer)) throw new TypeError(`${this.where}: add expects a layer (e.g. layers.dense({units: 1})), got ${String(layer)}`);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0 || this.declaredInput !== null) throw new TypeError(`${this.where}: an InputLayer declares the model's input, so it comes first and once; ${layer.where} follows ${this.declaredInput?.where ?? this.stack[0]!.where}`);
      this.declaredInput = layer;
      return;
    }
    if (this.declaredInput !== null && this.stack.length === 0 && layer.batchInputShape !== null) {
      throw new RangeError(`${layer.where}: the model's input is declared by ${this.declaredInput.where}; give the input shape once`);
    }
    if ((layer as { returnState?: boolean }).returnState === true) {
      throw new RangeError(`${layer.where}: returnState is not usable inside a Sequential model (the layer returns several tensors); call layer.apply() directly`);
    }
    if (this.stack.some((l) => l.name === layer.name)) throw new RangeError(`${this.where}: a layer named '${layer.name}' is already in the model; layer names must be unique`);
    if (this.stack.length > 0 && layer.batchInputShape !== null && !this.isBuilt) {
      throw new RangeError(`${layer.where}: inputShape is only meaningful on the first layer of a Sequential model`);
    }
    this.stack.push(layer);
    if (this.isBuilt) {
      try {
        this.setGraph(this.extend(this.graph.outputs[0]!, [layer], true));
      } catch (e) {
        this.stack.pop();
        throw e;
      }
    } else if (this.declaredBatchShape !== null) {
      this.buildFrom(this.declaredBatchShape.slice(1));
    }
  }

  /** Build every layer for a per-sample input shape (no batch axis). */
  override build(inputShape?: Shape): void {
    if (inputShape === undefined) {
      const declared = this.declaredBatchShape;
      if (declared === null) throw new RangeError(`${this.where}: build needs an input shape: give the first layer inputShape (or an InputLayer first), or pass one to build()`);
      inputShape = declared.slice(1);
    }
    this.buildFrom(inputShape);
  }

  /** @internal Build the chain for a per-sample input shape; initialize false: leave the weights zero for a loader to fill. */
  buildFrom(inputShape: Shape, initialize = true): void {
    if (this.stack.length === 0) throw new RangeError(`${this.where}: the model has no layers; add some with model.add()`);
    if (this.isBuilt) {
      const built = this.graph.inputs[0]!.shape.slice(1);
      const same = built.length === inputShape.length && built.every((d, i) => d === inputShape[i] || d === null);
      if (!same) throw new RangeError(`${this.stack[0]!.where}: expected input of shape ${formatShape([null, ...built])}, got ${formatShape([null, ...inputShape])}`);
      return;
    }
    // A declared InputLayer builds the model as soon as a layer follows it, for its own shape.
    const declared = this.declaredInput;
    const batch = this.declaredBatchShape?.[0] ?? null;
    const x = declared !== null ? declared.output : input({ batchShape: [batch, ...inputShape], name: `${this.name}_input` });
    this.setGraph(this.extend(x, this.stack, initialize));
  }

  /** The graph of the chain from `from` through `layers` (each layer built first, so a loader can skip initializers). */
  private extend(from: SymbolicTensor, layers: readonly Layer[], initialize: boolean): Graph {
    let t = from;
    for (const layer of layers) {
      if (!layer.isBuilt) layer.build(t.shape.slice(1), initialize);
      const out = layer.apply(t) as SymbolicTensor | SymbolicTensor[];
      if (!(out instanceof SymbolicTensor)) throw new RangeError(`${layer.where}: gives ${out.length} outputs; every layer of a Sequential model must give one`);
      t = out;
    }
    const graph = this.graphOrNull;
    return new Graph(graph === null ? [from] : graph.inputs, [t], this.where);
  }

  /** The input's shape, batch axis first, as the model was told it (an InputLayer, or the first layer's inputShape), or null. */
  private get declaredBatchShape(): Shape | null {
    return this.declaredInput?.batchInputShape ?? this.stack[0]?.batchInputShape ?? null;
  }

  override inputWhere(): string {
    return this.stack[0]!.where;
  }

  override outputWhere(): string {
    return this.stack[this.stack.length - 1]!.where;
  }

  /** Per-sample input shape (after build). */
  override get inputShape(): Shape {
    return this.isBuilt ? this.graph.inputs[0]!.shape.slice(1) : [];
  }

  /** Per-sample output shape (after build). */
  override get outputShape(): Shape {
    return this.isBuilt ? this.graph.outputs[0]!.shape.slice(1) : [];
  }

  protected override buildForData(x: unknown, what: string): void {
    if (this.stack.length === 0) throw new RangeError(`${this.where}: the model has no layers; add some with model.add() before ${what}`);
    if (this.isBuilt) return;
    const first = Array.isArray(x) && x.length === 1 && x[0] instanceof Tensor ? x[0] : x;
    const t = toTensor(first as Tensor | NestedArray, `${what}: x`);
    if (t.rank < 1) throw new RangeError(`${what}: x must have a batch axis, got a scalar`);
    if (t.shape[0] === 0) throw new RangeError(`${what}: x has no samples (shape ${formatShape(t.shape)})`);
    if (t.rank === 3 && t.shape[1] === 0) throw new RangeError(`${what}: x has time length 0 (shape ${formatShape(t.shape)})`);
    this.buildFrom(t.shape.slice(1));
  }

  protected override compileOptions(): string[] {
    return ['optimizer', 'loss', 'metrics'];
  }

  protected override compileLater(): Record<string, string> {
    return { ...super.compileLater(), lossWeights: 'a Sequential model has a single output' };
  }

  protected override formatSummaryText(): string {
    const { trainable, nonTrainable } = this.trainableCounts();
    const optimizer = this.optimizer !== null && this.optimizer.numStateValues() > 0 ? this.optimizer.numStateValues() : null;
    return formatSummary(
      this.name,
      this.stack.map((l) => ({
        name: l.name,
        className: l.className,
        outputShape: l.isBuilt ? [null, ...l.outputShape] : null,
        params: l.isBuilt ? l.countParams() : null,
      })),
      { trainable, nonTrainable, optimizer },
    );
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })) };
  }
}
