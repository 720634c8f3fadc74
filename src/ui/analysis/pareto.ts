// The non-dominated trials of a study with several objectives, for studies whose record does not list them yet (a live run).
import type { Direction } from '../../model/objectives.ts';

/** Indices of the points no other point beats in every objective (at least as good in all, better in one). */
export function nonDominated(points: readonly { index: number; values: readonly number[] }[], directions: readonly Direction[]): number[] {
  const loss = points.map((p) => p.values.map((v, k) => (directions[k] === 'maximize' ? -v : v)));
  const dominates = (a: number[], b: number[]) => a.every((x, k) => x <= b[k]!) && a.some((x, k) => x < b[k]!);
  return points.filter((_, i) => !loss.some((other, j) => j !== i && dominates(other, loss[i]!))).map((p) => p.index);
}
