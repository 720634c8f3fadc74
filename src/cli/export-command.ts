// `fusetune export --onnx`: a results folder's trial as an ONNX model, with its preprocess.json beside it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serializePreprocess } from '../data/transform.ts';
import { checkOutputFile, writeAtomic } from '../store/node-store.ts';
import { encodeOnnx, ONNX_INPUT, ONNX_OPSET, ONNX_PROBABILITIES, ONNX_VALUE } from '../store/onnx.ts';
import { InputError } from '../util/input-error.ts';
import { numberFlag } from './flags.ts';
import { loadModel, PREPROCESS_FILE } from './model-folder.ts';
import { required } from './predict-command.ts';

export const EXPORT_USAGE = `Usage: fusetune export --onnx --model DIR [--trial N] [--out FILE.onnx]

Writes a table study's trial (best.safetensors, or --trial N's weights) as an ONNX model (opset
${ONNX_OPSET}) that onnxruntime (web, node, Python) runs. The preprocessing is not in the graph: the
model's input "${ONNX_INPUT}" [rows, F] is rows encoded by preprocess.json (imputed, one-hot, standardized),
which is written beside the model. The output is "${ONNX_PROBABILITIES}" [rows, classes] (softmax, classes
in preprocess.json's order) or "${ONNX_VALUE}" [rows, 1] in the target's own units.

  --onnx         the format (the only one)
  --model DIR    the results folder of fusetune run
  --trial N      a kept trial's weights (DIR/weights/trial-N.safetensors); default best.safetensors
  --out FILE     the .onnx file (default DIR/model.onnx); preprocess.json goes into its folder`;

const OPTIONS = {
  onnx: { type: 'boolean' },
  model: { type: 'string' },
  trial: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** preprocess.json beside the model, unless the same file is there already; a different one is not overwritten. */
function writeTransformBeside(out: string, text: string): string {
  const path = join(dirname(out), PREPROCESS_FILE);
  if (existsSync(path)) {
    if (readFileSync(path, 'utf8') === text) return path;
    throw new InputError(`--out ${out}: ${path} already holds another transform; give the model its own folder`);
  }
  writeAtomic(path, text);
  return path;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  if (values.help) {
    console.log(EXPORT_USAGE);
    return 0;
  }
  if (!values.onnx) throw new InputError('--onnx is required: the format to write (ONNX is the only one)');
  const folder = required(values, 'model', 'the results folder of fusetune run');
  const trial = values.trial === undefined ? undefined : numberFlag('trial', values.trial, { integer: true, min: 0 });
  const model = loadModel(folder, trial);
  const out = resolve(values.out ?? join(model.dir, 'model.onnx'));
  checkOutputFile(out, '--out');
  const { widths, activation, params, preprocess } = model;
  const bytes = encodeOnnx({ widths, activation, params, preprocess, metadata: { study: model.record.study.name ?? '', trial: String(model.trial) } });
  const transform = writeTransformBeside(out, serializePreprocess(preprocess));
  writeAtomic(out, bytes);
  const output = preprocess.target.task === 'classification' ? `"${ONNX_PROBABILITIES}" [rows, ${widths.at(-1)}]` : `"${ONNX_VALUE}" [rows, 1] in ${preprocess.target.name}'s units`;
  console.log(`wrote ${out} (${bytes.length} bytes): trial ${model.trial}, ${widths.join('-')} ${activation}; input "${ONNX_INPUT}" [rows, ${widths[0]}], output ${output}`);
  console.log(`preprocessing is not in the graph: encode rows with ${transform} (beside the model) first, as fusetune predict does`);
  return 0;
}
