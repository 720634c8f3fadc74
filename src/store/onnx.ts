// A trained dense network as an ONNX model (Gemm + activation per layer; softmax, or the target's units, at the end), encoded by protobufjs.
import protobuf from 'protobufjs/light.js';
import type { Preprocess } from '../data/transform.ts';
import type { Activation } from '../model/trial-config.ts';
import { parameterLayout } from '../model/parameter-layout.ts';

/** NOTE: opset 13 (Gemm, Relu, Tanh, Sigmoid, Softmax on one axis) with IR version 7, which every onnxruntime since 1.6 reads. */
export const ONNX_OPSET = 13;
const IR_VERSION = 7;
const FLOAT = 1;
const ATTRIBUTE_INT = 2;

/** The graph's input and output names, for code that runs the model. */
export const ONNX_INPUT = 'features';
export const ONNX_PROBABILITIES = 'probabilities';
export const ONNX_VALUE = 'value';

/** The part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto: same field numbers) that a feed-forward graph uses. */
const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            docString: { type: 'string', id: 10 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        AttributeProto: { fields: { name: { type: 'string', id: 1 }, i: { type: 'int64', id: 3 }, type: { type: 'int32', id: 20 } } },
        TensorProto: { fields: { dims: { rule: 'repeated', type: 'int64', id: 1 }, dataType: { type: 'int32', id: 2 }, name: { type: 'string', id: 8 }, rawData: { type: 'bytes', id: 9 } } },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
      },
    },
  },
};

const ACTIVATION_OPS: Record<Activation, string | null> = { linear: null, relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' };

export interface OnnxNetwork {
  /** Layer widths, input first (the encoded features), output last. */
  widths: readonly number[];
  activation: Activation;
  /** One trial's parameters in the kernels' layout (W [I][O] row-major, then b, per layer). */
  params: Float32Array;
  /** The transform its inputs went through; the target decides the output (probabilities, or a value in the target's units). */
  preprocess: Preprocess;
  /** Metadata written into the model (trial, study, …). */
  metadata?: Record<string, string>;
}

function tensor(name: string, dims: number[], values: Float32Array) {
  const bytes = new Uint8Array(values.length * 4);
  // NOTE: raw_data is little-endian whatever the host is.
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: FLOAT, rawData: bytes };
}

function valueInfo(name: string, columns: number) {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'rows' }, { dimValue: columns }] } } } };
}

/** Layer l's weights and bias; for regression the last layer also maps the standardized output to the target's units (z·std + mean). */
function layerTensors(net: OnnxNetwork, l: number) {
  const { widths, params, preprocess } = net;
  const { wBase, bBase } = parameterLayout(widths);
  const I = widths[l]!;
  const O = widths[l + 1]!;
  const w = params.slice(wBase[l]!, wBase[l]! + I * O);
  const b = params.slice(bBase[l]!, bBase[l]! + O);
  const target = preprocess.target;
  if (l === widths.length - 2 && target.task === 'regression') {
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * target.std;
    for (let o = 0; o < O; o++) b[o] = b[o]! * target.std + target.mean;
  }
  return [tensor(`W${l}`, [I, O], w), tensor(`B${l}`, [O], b)];
}

/** The graph: features → (Gemm → activation)* → Gemm → Softmax (classification) or the value in the target's units (regression). */
function graphOf(net: OnnxNetwork) {
  const L = net.widths.length - 1;
  const regression = net.preprocess.target.task === 'regression';
  const output = regression ? ONNX_VALUE : ONNX_PROBABILITIES;
  const node: object[] = [];
  const initializer = [];
  let h = ONNX_INPUT;
  for (let l = 0; l < L; l++) {
    initializer.push(...layerTensors(net, l));
    const last = l === L - 1;
    const z = last && regression ? output : `z${l}`;
    node.push({ name: `dense${l}`, opType: 'Gemm', input: [h, `W${l}`, `B${l}`], output: [z] });
    h = z;
    const op = last ? (regression ? null : 'Softmax') : ACTIVATION_OPS[net.activation];
    if (op) {
      const next = last ? output : `a${l}`;
      node.push({ name: `${op.toLowerCase()}${l}`, opType: op, input: [h], output: [next], attribute: op === 'Softmax' ? [{ name: 'axis', i: 1, type: ATTRIBUTE_INT }] : [] });
      h = next;
    }
  }
  return {
    name: 'fusetune',
    node,
    initializer,
    input: [valueInfo(ONNX_INPUT, net.widths[0]!)],
    output: [valueInfo(output, net.widths[L]!)],
    docString: `Input: rows encoded by preprocess.json (${net.widths[0]} features). Output: ${regression ? `${net.preprocess.target.name} in its own units` : `the probability of each class of ${net.preprocess.target.name}`}.`,
  };
}

/** The network as the bytes of an .onnx file. */
export function encodeOnnx(net: OnnxNetwork): Uint8Array {
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  const Model = root.lookupType('onnx.ModelProto');
  const target = net.preprocess.target;
  const labels = target.task === 'classification' ? { classes: JSON.stringify(target.classes) } : {};
  const model = {
    irVersion: IR_VERSION,
    producerName: 'fusetune',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: graphOf(net),
    metadataProps: Object.entries({ ...net.metadata, target: target.name, ...labels }).map(([key, value]) => ({ key, value })),
  };
  return Model.encode(Model.fromObject(model)).finish();
}
