/**
 * A model's topology as the TF.js layers-model format stores it (Keras JSON, snake_case):
 *
 *   Sequential: {class_name: 'Sequential', config: {name, layers: [{class_name, config}]}}
 *   graph:      {class_name: 'Model', config: {name, layers: [{name, class_name, config,
 *                inbound_nodes}], input_layers, output_layers}}
 *
 * as tfjs writes them: each inbound node is the list of its input tensors
 * `[layer, nodeIndex, tensorIndex, kwargs]`, a recurrent layer's initial states are
 * extra inputs after the sequence, and node indices count only this model's calls of
 * a layer (a layer also called by another model keeps its other nodes out). The
 * reverse direction is loading.ts.
 */
import type { Layer } from '../layers/layer.js';
import type { Node, SymbolicTensor } from '../layers/node.js';
import { layerToKeras, type KerasLayerJSON, type KerasModelJSON } from '../io/config.js';
import type { Graph } from './graph.js';

/** What the topology needs of a model. */
export interface TopologyModel {
  readonly className: string;
  readonly name: string;
  readonly graph: Graph;
  /** Sequential's layers in order (no input layer). */
  readonly layers: Layer[];
}

/** One layer's Keras JSON: a nested model is written as its own topology. */
export function layerJson(layer: Layer): KerasLayerJSON {
  const nested = layer as unknown as Partial<TopologyModel>;
  if (nested.graph !== undefined && (layer.className === 'Model' || layer.className === 'Sequential')) {
    const t = modelToKeras(layer as unknown as TopologyModel);
    return { class_name: t.class_name, config: { ...t.config, trainable: layer.trainable } as KerasModelJSON['config'] & Record<string, unknown> };
  }
  return layerToKeras(layer);
}

/** The topology of a built model. */
export function modelToKeras(model: TopologyModel): KerasModelJSON {
  const graph = model.graph;
  if (model.className === 'Sequential') {
    const first = model.layers[0]!;
    const input = graph.inputs[0]!;
    const layers = model.layers.map((l, i) => {
      const json = layerJson(l);
      if (i === 0 && json.config.batch_input_shape === undefined) json.config.batch_input_shape = [first.batchInputShape?.[0] ?? null, ...input.shape.slice(1)];
      return json;
    });
    return { class_name: 'Sequential', config: { name: model.name, layers } };
  }
  // Node indices as this model numbers them: a layer's calls that belong to the graph, in order.
  const inGraph = new Set<Node>(graph.nodes);
  for (const t of graph.inputs) inGraph.add(t.sourceLayer.inboundNodes[t.nodeIndex]!);
  const ref = (t: SymbolicTensor): [string, number, number] => {
    const nodes = t.sourceLayer.inboundNodes.filter((n) => inGraph.has(n));
    return [t.sourceLayer.name, nodes.indexOf(t.sourceLayer.inboundNodes[t.nodeIndex]!), t.tensorIndex];
  };
  const layers = graph.layers.map((l) => {
    const json = layerJson(l);
    const nodes = l.inboundNodes.filter((n) => inGraph.has(n) && n.inputs.length > 0);
    const inbound = nodes.map((n) => n.inputs.map((t) => [...ref(t), { ...n.call.args }]));
    return { name: l.name, class_name: json.class_name, config: json.config, inbound_nodes: inbound };
  });
  return {
    class_name: 'Model',
    config: {
      name: model.name,
      layers: layers as KerasLayerJSON[],
      input_layers: graph.inputs.map(ref),
      output_layers: graph.outputs.map(ref),
    } as KerasModelJSON['config'],
  };
}
