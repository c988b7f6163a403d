/**
 * A minimal ONNX graph builder (onnx-proto): graph inputs/outputs with value info, nodes with generated
 * names, float32/int64 initializers, and the encoded ModelProto (IR version 8, opset 17). Used to build
 * the VAE graphs at load time (../vae/vaeOnnxGraphs.ts) and the tiny test models (test/helpers/tinyModels.ts).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** TensorProto element types used by the builders. */
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

/** A node attribute: int or float, ints, string, or a tensor. */
export type OnnxAttr = number | number[] | string | { tensor: onnxProto.onnx.ITensorProto };

export class OnnxGraph {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private n = 0;

  /** A fresh name `${prefix}_<n>` (unique within the graph). */
  protected fresh(prefix: string): string {
    return `${prefix}_${this.n++}`;
  }

  /** Declare a graph input (a string dim is symbolic); returns its name. */
  input(name: string, elemType: number, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declare a graph output (produced by the node given `name` as `outName`). */
  output(name: string, elemType: number, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Add a node; returns its output's name (`outName`, else a generated one). */
  op(type: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outName?: string): string {
    const out = outName ?? this.fresh(type.toLowerCase());
    const attribute = Object.entries(attrs).map(([name, v]) => attributeProto(name, v));
    this.nodes.push({ opType: type, input: inputs, output: [out], name: this.fresh(type), attribute });
    return out;
  }

  /** A float32 initializer (`name`, else a generated one); returns its name. */
  floats(data: Float32Array, dims: number[], name?: string): string {
    const n = name ?? this.fresh('w');
    this.initializers.push({ name: n, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return n;
  }

  /** An int64 initializer (`name`, else a generated one); returns its name. */
  ints(values: number[], dims = [values.length], name?: string): string {
    const n = name ?? this.fresh('c');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name: n, dataType: INT64, dims, rawData: new Uint8Array(data.buffer) });
    return n;
  }

  /** The encoded ModelProto (IR version 8, default-domain opset 17). */
  encode(graphName: string, producerName = 'waterline'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attributeProto(name: string, v: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.TENSOR, t: v.tensor };
}
