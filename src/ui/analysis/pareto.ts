// The non-dominated trials of a study with several objectives, for studies whose record does not list them yet (a live run).
import type { Direction } from '../../model/objectives.ts';
import { paretoFront } from '../../search/pareto.ts';

/** The `index` of every point no other point beats in every objective (search/pareto.ts's rule and ties). */
export function nonDominated(points: readonly { index: number; values: readonly number[] }[], directions: readonly Direction[]): number[] {
  return paretoFront(
    points.map((p) => p.values),
    directions,
  ).map((i) => points[i]!.index);
}
