// The decode loop's copy of an exported decoder: the same ONNX file without the outputs it
// never fetches. An export of format 4 or later outputs both `present.N.*` (past + new, for
// transformers.js) and `new_key_values.N.*` (the new positions, for a cache kept in place,
// kvCache.ts). ONNX Runtime runs every node of a graph whether or not its output is
// fetched, so each `present` Concat copied the whole cache on every token: about a quarter
// of a decode step after a 1,500-token prefix. Dropping those outputs, and the nodes only
// they needed, when the file is loaded keeps the folder on disk as transformers.js reads it.
import { fields, fieldString, strings, WIRE_LEN, writeVarint, type Field } from './protobuf';

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;

export interface PrunedGraph {
  /** The model without the dropped outputs: a view of the memory it was given. */
  bytes: Uint8Array;
  droppedOutputs: string[];
  droppedNodes: number;
  /** Why nothing was dropped, when nothing was. */
  kept?: string;
}

const PRESENT = /^present\.(\d+)\.(key|value)$/;

/** `present.N.*` outputs whose positions the graph also outputs as `new_key_values.N.*` (export format 4 and later). */
export function presentOutputsToDrop(outputNames: readonly string[]): Set<string> {
  const names = new Set(outputNames);
  return new Set(outputNames.filter((n) => PRESENT.test(n) && names.has(n.replace(PRESENT, 'new_key_values.$1.$2'))));
}

/**
 * Drops the outputs `drop` names from the ONNX model in `model`, and every node, initializer
 * and value annotation only they needed. Works in place: `model`'s bytes are compacted
 * and must not be used afterwards except through the result.
 */
export function pruneOutputs(model: Uint8Array, drop: (outputNames: readonly string[]) => Set<string>): PrunedGraph {
  const graph = fields(model).find((f) => f.number === MODEL_GRAPH && f.wire === WIRE_LEN);
  if (!graph) throw new Error('not an ONNX model: it has no graph');
  const parts = fields(model, graph.valueStart, graph.end);
  const name = (f: Field, number: number) => strings(model, f, number)[0] ?? '';

  const outputs = parts.filter((f) => f.number === GRAPH_OUTPUT).map((f) => ({ f, name: name(f, VALUE_INFO_NAME) }));
  const dropped = drop(outputs.map((o) => o.name));
  if (dropped.size === 0) return { bytes: model, droppedOutputs: [], droppedNodes: 0, kept: 'no output to drop' };

  const nodes = parts.filter((f) => f.number === GRAPH_NODE).map((f) => {
    const own = fields(model, f.valueStart, f.end);
    const strs = (n: number) => own.filter((x) => x.number === n).map((x) => fieldString(model, x));
    const subgraph = own.some((x) => x.number === NODE_ATTRIBUTE &&
      fields(model, x.valueStart, x.end).some((a) => a.number === ATTRIBUTE_GRAPH || a.number === ATTRIBUTE_GRAPHS));
    return { f, inputs: strs(NODE_INPUT), outputs: strs(NODE_OUTPUT), subgraph };
  });
  // A subgraph (If, Loop) may read outer names without listing them as inputs: liveness
  // cannot be worked out from inputs alone, so such a graph is left whole.
  if (nodes.some((n) => n.subgraph)) return { bytes: model, droppedOutputs: [], droppedNodes: 0, kept: 'the graph has subgraphs' };

  // Nodes are in topological order (an ONNX requirement): walking back from the outputs
  // kept marks every node one of them depends on.
  const needed = new Set(outputs.filter((o) => !dropped.has(o.name)).map((o) => o.name));
  const live = new Set<Field>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    live.add(n.f);
    for (const input of n.inputs) if (input) needed.add(input);
  }
  const inputs = new Set(parts.filter((f) => f.number === GRAPH_INPUT).map((f) => name(f, VALUE_INFO_NAME)));
  const droppedFields = new Set(outputs.filter((o) => dropped.has(o.name)).map((o) => o.f));
  const keep = (f: Field): boolean => {
    switch (f.number) {
      case GRAPH_NODE: return live.has(f);
      case GRAPH_OUTPUT: return !droppedFields.has(f);
      case GRAPH_INITIALIZER: { const n = name(f, TENSOR_NAME); return needed.has(n) || inputs.has(n); }
      case GRAPH_VALUE_INFO: return needed.has(name(f, VALUE_INFO_NAME));
      default: return true;
    }
  };
  const kept = parts.filter(keep);
  const graphLength = kept.reduce((sum, f) => sum + (f.end - f.start), 0);

  // Compact in place: everything before the graph stays put; the graph's new length
  // prefix is no longer than the old one, and each kept part moves towards the front, so
  // nothing is overwritten before it is copied.
  let out = graph.start;
  out = writeVarint(model, out, MODEL_GRAPH * 8 + WIRE_LEN);
  out = writeVarint(model, out, graphLength);
  for (const f of kept) {
    model.copyWithin(out, f.start, f.end);
    out += f.end - f.start;
  }
  model.copyWithin(out, graph.end);
  out += model.length - graph.end;
  return { bytes: model.subarray(0, out), droppedOutputs: [...dropped], droppedNodes: nodes.length - live.size };
}
