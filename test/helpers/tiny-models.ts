// Tiny ONNX models with the same input and output names and shapes as the real ones, generated
// here (the real weights cannot be downloaded on a test machine). Each computes something simple
// and known from its input, so a test can check every adapter step: sizing, normalisation, which
// output is read, and how it is converted.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = 1;

type Dim = number | string;

function valueInfo(name: string, dims: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  });
}

function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, number | number[]> = {}) {
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attributes).map(([name, value]) =>
      Array.isArray(value)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: value })
        : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value }),
    ),
  });
}

function scalar(name: string, value: number) {
  return onnx.TensorProto.create({ name, dataType: FLOAT, dims: [], floatData: [value] });
}

function model(graph: Parameters<typeof onnx.GraphProto.create>[0]): Buffer {
  const proto = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'depthmill-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: onnx.GraphProto.create(graph),
  });
  return Buffer.from(onnx.ModelProto.encode(proto).finish());
}

/**
 * Like Depth Anything V2: `pixel_values` [1,3,H,W] (any H, W) -> `predicted_depth` [1,H,W],
 * here the mean of the three normalised channels. A decoy first output makes sure the adapter
 * reads the output by name.
 */
export function tinyDepthAnything(): Buffer {
  return model({
    name: 'tiny-depth-anything',
    node: [
      node('ReduceMax', ['pixel_values'], ['decoy'], { axes: [1], keepdims: 0 }),
      node('ReduceMean', ['pixel_values'], ['predicted_depth'], { axes: [1], keepdims: 0 }),
    ],
    input: [valueInfo('pixel_values', [1, 3, 'height', 'width'])],
    output: [valueInfo('decoy', [1, 'height', 'width']), valueInfo('predicted_depth', [1, 'height', 'width'])],
  });
}

/**
 * Like FastDepth: input `0` [1,3,224,224] -> [1,1,224,224] metres, here `offset` + mean of the
 * channels (offset 0: black predicts 0 m, as FastDepth does where it has no idea).
 */
export function tinyFastDepth(offset = 1): Buffer {
  return model({
    name: 'tiny-fastdepth',
    node: [node('ReduceMean', ['0'], ['mean'], { axes: [1], keepdims: 1 }), node('Add', ['mean', 'one'], ['350'])],
    initializer: [scalar('one', offset)],
    input: [valueInfo('0', [1, 3, 224, 224])],
    output: [valueInfo('350', [1, 1, 224, 224])],
  });
}

/** Like U2-Net-p: `input.1` [1,3,320,320] -> seven [1,1,320,320] outputs; the first is the mean channel. */
export function tinyU2Netp(): Buffer {
  const outputs = ['1959', '1960', '1961', '1962', '1963', '1964', '1965'];
  return model({
    name: 'tiny-u2netp',
    node: [
      node('ReduceMean', ['input.1'], ['1959'], { axes: [1], keepdims: 1 }),
      ...outputs.slice(1).map((name) => node('Neg', ['1959'], [name])),
    ],
    input: [valueInfo('input.1', [1, 3, 320, 320])],
    output: outputs.map((name) => valueInfo(name, [1, 1, 320, 320])),
  });
}

/**
 * Like ISNet as IMG.LY publishes it: `input` [1,3,1024,1024] -> `output` [1,1,1024,1024], a
 * probability (the real graph ends in a sigmoid), here sigmoid(mean of the normalised channels).
 * The real model lists `output` first of twelve; a decoy first output here makes sure the adapter
 * reads it by name.
 */
export function tinyIsnet(): Buffer {
  return model({
    name: 'tiny-isnet',
    node: [
      node('ReduceMean', ['input'], ['mean'], { axes: [1], keepdims: 1 }),
      node('Neg', ['mean'], ['1890']),
      node('Sigmoid', ['mean'], ['output']),
    ],
    input: [valueInfo('input', [1, 3, 1024, 1024])],
    output: [valueInfo('1890', [1, 1, 1024, 1024]), valueInfo('output', [1, 1, 1024, 1024])],
  });
}
