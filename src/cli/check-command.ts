// `fusetune check`: every kernel on this adapter against its float64 reference, at awkward shapes.
import { parseArgs } from 'node:util';
import { adapterName } from '../gpu/adapter-report.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { CHECK_TOLERANCE, selfCheck } from '../kernels/self-check.ts';
import { table } from './format.ts';

export const CHECK_USAGE = `Usage: fusetune check [--seed S] [--json]

Runs every WGSL kernel (and every matmul variant) on this adapter with random inputs at awkward
sizes and compares the results with the float64 references: relative error ‖gpu − ref‖/‖ref‖ must
stay under ${CHECK_TOLERANCE} (1e-3 for optimizer updates). Exit code 1 if any check fails.

  --seed S   inputs from this seed (default: a fresh one, printed)
  --json     one JSON object per check`;

export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(CHECK_USAGE);
    return 0;
  }
  const seed = values.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed ${values.seed}: expected an integer ≥ 0`);
  const ctx = await acquireNodeGpu();
  try {
    if (!values.json) console.log(`checking kernels on ${adapterName(ctx.report)}, seed ${seed}`);
    const results = await selfCheck(ctx, seed, (r) => values.json && console.log(JSON.stringify({ ...r, seed, adapter: adapterName(ctx.report) })));
    const failed = results.filter((r) => !r.ok);
    if (!values.json) {
      console.log(table(['kernel', 'shape', 'rel. error', 'ok'], results.map((r) => [r.kernel, r.shape, r.relativeError.toExponential(2), r.ok ? 'ok' : 'FAIL'])));
      console.log(`${results.length - failed.length} of ${results.length} checks passed`);
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    ctx.destroy();
  }
}
