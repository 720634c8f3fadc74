// Tables of the profile and fixed-cost suites (the docs' profile table, per-kernel rates, the study's fixed costs).
import { centralValue, type BenchRecord } from './record.ts';
import { num, percent, valueText, type ReportTable } from './report-cells.ts';
import { PROFILE_CATEGORIES } from './profile-suite.ts';

/** Per T: one-pass step, profiled step, shares by category, matmul GFLOP/s and its share of the FMA peak. */
export function profileTables(_all: readonly BenchRecord[], runs: [string, BenchRecord[]][]): ReportTable[] {
  return runs.flatMap(([key, rs]) => {
    const steps = rs.filter((r) => r.kernel === 'train-step');
    const core = steps[0]?.shape.matmul;
    const summary: ReportTable = {
      title: `Profile of one fused step (batch ${steps[0]?.shape.batch ?? '-'}${core === undefined ? '' : `, ${core} matmul core`}) — ${key}`,
      header: ['T', 'step ms (one pass)', 'profiled ms', ...PROFILE_CATEGORIES.map((c) => c), 'matmul GFLOP/s', 'of FMA peak'],
      rows: steps.map((r) => [
        String(r.T),
        valueText(r.values.stepMs),
        num(centralValue(r.values.profiledStepMs)),
        ...PROFILE_CATEGORIES.map((c) => percent(centralValue(r.values[`${c}Share`]))),
        num((centralValue(r.values.tflops) ?? NaN) * 1000),
        percent(centralValue(r.values.peakShare)),
      ]),
    };
    // Per kernel at T = 1, 32 and the largest T profiled.
    const Ts = [...new Set(steps.map((r) => r.T))];
    const shown = [...new Set([Ts[0], Ts.includes(32) ? 32 : undefined, Ts.at(-1)].filter((T): T is number => T !== undefined))];
    const kernels = shown.map((T): ReportTable => ({
      title: `Profile by dispatch, T=${T} — ${key}`,
      header: ['dispatch', 'kernel', 'ms', 'share', 'GFLOP/s', 'of peak', 'GB/s', 'of copy'],
      rows: rs
        .filter((r) => r.T === T && r.kernel !== 'train-step')
        .map((r) => [
          String(r.shape.dispatch),
          r.kernel,
          valueText(r.values.ms),
          percent(centralValue(r.values.share)),
          num(centralValue(r.values.gflops)),
          percent(centralValue(r.values.peakShare)),
          num(centralValue(r.values.gbPerSec)),
          percent(centralValue(r.values.bandwidthShare)),
        ]),
    }));
    return [summary, ...kernels];
  });
}

/** The default study's fixed costs: device, data, and the study cold and warm. */
export function fixedTables(runs: [string, BenchRecord[]][]): ReportTable[] {
  return runs.map(([key, rs]) => {
    const of = (kernel: string) => rs.find((r) => r.kernel === kernel);
    const ms = (value: Parameters<typeof centralValue>[0]) => num(centralValue(value));
    const rows: string[][] = [];
    for (const [kernel, what] of [
      ['cli-start', 'new process: `fusetune help` (Node, TypeScript loader, CLI)'],
      ['cli-start-device', 'new process: `fusetune device` (+ Dawn, driver, first adapter)'],
      ['acquire-device', 'another adapter + device in a running process'],
    ] as const) {
      const r = of(kernel);
      if (r) rows.push([what, valueText(r.values.ms), '']);
    }
    const data = of('data');
    if (data) {
      rows.push(['data: load (package cache → memory)', ms(data.values.loadMs), data.note ?? '']);
      rows.push(['data: upload', ms(data.values.uploadMs), `${num((centralValue(data.values.bytes) ?? 0) / 2 ** 20)} MiB`]);
    }
    for (const pass of ['cold', 'warm']) {
      const r = of(`study-${pass}`);
      if (!r) continue;
      const v = r.values;
      rows.push([`study, ${pass} pipeline cache: whole run`, ms(v.wallMs), `${num(centralValue(v.samplesPerSec))} samples/s, ${ms(v.submits)} submits`]);
      rows.push([`  pipelines pending`, ms(v.pipelineMs), `${ms(v.pipelineCalls)} calls, ${ms(v.pipelinesCached)} pipelines cached after`]);
      rows.push([`  readbacks pending`, ms(v.readbackMs), `${ms(v.readbacks)} readbacks`]);
      rows.push([`  the rest (training, scheduling)`, ms(v.otherMs), '']);
    }
    return { title: `Fixed costs of the ${rs[0]?.workload ?? 'default study'} — ${key}`, header: ['what', 'ms', 'notes'], rows };
  });
}
