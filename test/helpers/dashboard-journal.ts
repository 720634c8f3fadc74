// The rules optuna-dashboard's browser-only journal reader (optuna-dashboard `tslib/storage/src/journal.ts`,
// also in its VS Code extension) applies to a journal file, written here from reading its source (not
// copied): what makes it throw, what makes it drop a line, and what it keeps of a study's metric names.

export interface DashboardReading {
  /** `line N: why`, for every line that reader would throw on or drop. */
  problems: string[];
  /** Per study (by creation order), the metric names it shows after the whole file. */
  metricNames: (string[] | undefined)[];
  trials: number;
}

const DISTRIBUTIONS = new Set(['IntDistribution', 'FloatDistribution', 'CategoricalDistribution']);

/**
 * Reads journal text the way that reader does and reports where it breaks:
 * - a line is `JSON.parse`d; when that fails, every `NaN`, `-Infinity` and `Infinity` in the line's
 *   text (inside strings too) is replaced by a quoted placeholder and the line parsed again; a line
 *   that still fails is dropped;
 * - a param's distribution (op 4 with both params and distributions, op 5) is `JSON.parse`d and must
 *   be an Int-, Float- or CategoricalDistribution; a float or int param's value gets `.toString()`;
 * - every trial user attr value of op 8 gets `.toString()` (null throws: the whole file fails);
 * - every study system attr record (op 3) replaces the study's metric names with its
 *   `study:metric_names` key, undefined when the record holds another key.
 */
export function readAsDashboard(text: string): DashboardReading {
  const problems: string[] = [];
  const metricNames: (string[] | undefined)[] = [];
  const studyIds: number[] = [];
  let trials = 0;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    const where = `line ${i + 1}`;
    let log: Record<string, unknown>;
    try {
      log = JSON.parse(line) as Record<string, unknown>;
    } catch {
      const escaped = line.replace(/NaN/g, '"***nan***"').replace(/-Infinity/g, '"***-inf***"').replace(/Infinity/g, '"***inf***"');
      try {
        log = JSON.parse(escaped) as Record<string, unknown>;
      } catch (error) {
        problems.push(`${where}: dropped (${(error as Error).message})`);
        return;
      }
    }
    const toString = (value: unknown, what: string) => {
      if (value === null || value === undefined) problems.push(`${where}: ${what} is ${value}: .toString() throws`);
    };
    const distribution = (text: unknown, what: string): { name?: string; attributes?: { choices?: unknown[] } } | null => {
      try {
        const parsed = JSON.parse(typeof text === 'string' && text !== '' ? text : '') as { name?: string };
        if (!DISTRIBUTIONS.has(parsed.name ?? '')) throw new Error(`unexpected distribution ${String(text)}`);
        return parsed;
      } catch (error) {
        problems.push(`${where}: ${what}: ${(error as Error).message}`);
        return null;
      }
    };
    switch (log.op_code) {
      case 0:
        studyIds.push(metricNames.length);
        metricNames.push(undefined);
        break;
      case 3: {
        const attr = log.system_attr as Record<string, unknown>;
        const study = log.study_id as number;
        if (study < metricNames.length) metricNames[study] = attr['study:metric_names'] as string[] | undefined;
        break;
      }
      case 4: {
        trials++;
        const params = log.params as Record<string, unknown> | undefined;
        const distributions = log.distributions as Record<string, string> | undefined;
        if (params === undefined || distributions === undefined) break;
        for (const [name, value] of Object.entries(params)) {
          const d = distribution(distributions[name], `param ${name}`);
          if (d && d.name !== 'CategoricalDistribution') toString(value, `param ${name}`);
        }
        break;
      }
      case 5:
        distribution(log.distribution, `param ${String(log.param_name)}`);
        toString(log.param_value_internal, `param ${String(log.param_name)}`);
        break;
      case 8:
        for (const [key, value] of Object.entries(log.user_attr as Record<string, unknown>)) toString(value, `user attr ${key}`);
        break;
    }
  });
  return { problems, metricNames, trials };
}
