// Every uniform/params struct is declared once in TS; this checks each against its WGSL declaration.
import { describe, expect, it } from 'vitest';
import { CopyDims } from '../../src/kernels/copy.ts';
import { DropoutDims } from '../../src/kernels/dropout.ts';
import { PeakDims } from '../../src/kernels/fma-peak.ts';
import { GatherDims } from '../../src/kernels/gather.ts';
import type { ScalarStruct } from '../../src/model/struct.ts';
import { MatmulDims } from '../../src/kernels/matmul.ts';
import { OptimizerDims } from '../../src/kernels/optimizer.ts';
import { SHADERS, matmulTile, MATMUL_VARIANTS, shaderSource, type KernelId } from '../../src/kernels/shaders.ts';
import { RegressionDims } from '../../src/kernels/regression-loss.ts';
import { XentDims } from '../../src/kernels/softmax-xent.ts';
import { PAD_LABEL, StepHeader, TrialParams, TrialStep } from '../../src/model/structs.ts';

/** Fields of `struct name { ... }` in WGSL source, as [name, type] pairs. */
function wgslStruct(source: string, name: string): [string, string][] {
  const match = new RegExp(`struct ${name} \\{([^}]*)\\}`).exec(source);
  if (!match) throw new Error(`struct ${name} not found`);
  return match[1]!
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim())
    .filter(Boolean)
    .map((line) => {
      const field = /^(\w+)\s*:\s*([\w<>]+)\s*,?$/.exec(line);
      if (!field) throw new Error(`cannot read field "${line}" of ${name}`);
      return [field[1]!, field[2]!];
    });
}

const cases: [ScalarStruct<string>, KernelId, number?][] = [
  [CopyDims, 'copy'],
  [PeakDims, 'fma-peak'],
  [MatmulDims, 'dense-forward'],
  [GatherDims, 'gather'],
  [DropoutDims, 'dropout'],
  [XentDims, 'softmax-xent'],
  [RegressionDims, 'regression-loss'],
  [OptimizerDims, 'optimizer'],
  [TrialParams, 'optimizer'],
  [TrialStep, 'optimizer'],
  // StepData: the TS header is the WGSL struct without its trailing runtime array.
  [StepHeader, 'optimizer', 1],
];

describe('TS structs match their WGSL declarations', () => {
  for (const [struct, kernel, dropTail = 0] of cases) {
    it(`${struct.name} (in ${kernel})`, () => {
      const fields = wgslStruct(shaderSource(kernel), struct.name);
      expect(fields.slice(0, fields.length - dropTail)).toEqual(struct.fields.map(([n, t]) => [n, t]));
      // Arrays of these structs are indexed with stride byteSize, and WGSL's stride is 4 bytes per
      // scalar field: every struct is padded explicitly to a multiple of 16 so the two agree.
      expect(struct.fields.length * 4).toBe(struct.byteSize);
    });
  }
});

describe('shader registry', () => {
  it('every kernel opens with its own header comment and has an entry point main', () => {
    for (const id of Object.keys(SHADERS) as KernelId[]) {
      const own = SHADERS[id][SHADERS[id].length - 1]!;
      expect(own.startsWith('// '), id).toBe(true);
      expect(own).toMatch(/fn main\(/);
    }
  });

  it('the padding row’s label is the same word in TS and in every loss kernel', () => {
    for (const id of ['softmax-xent', 'regression-loss'] as const) {
      const match = /const PAD_LABEL: u32 = (0x[0-9a-f]+)u;/.exec(shaderSource(id));
      expect(Number(match?.[1]), id).toBe(PAD_LABEL);
    }
  });

  it('reads every matmul core’s tile from its WGSL', () => {
    for (const v of MATMUL_VARIANTS) {
      const tile = matmulTile(v);
      expect(tile.tileM % tile.wgY).toBe(0);
      expect(tile.tileN % tile.wgX).toBe(0);
    }
  });
});
