// Several objectives: dominance, non-dominated fronts, crowding distance, the Pareto front, hypervolume and its greedy subsets.
import type { Direction } from '../model/objectives.ts';

/** Objective vectors, one per trial, each in the study's objective order. */
export type ObjectiveValues = readonly (readonly number[])[];

/**
 * Values as losses (smaller is better): a maximized objective is negated. NOTE: NaN becomes +∞, so
 * a trial whose objective is NaN ranks below every number and never dominates.
 */
export function toLosses(values: ObjectiveValues, directions: readonly Direction[]): number[][] {
  return values.map((v) => {
    if (v.length !== directions.length) throw new RangeError(`an objective vector has ${v.length} values, the study has ${directions.length} objectives`);
    return v.map((x, i) => (Number.isNaN(x) ? Infinity : directions[i] === 'maximize' ? -x : x));
  });
}

/** Whether loss vector a dominates b: no worse in every objective and better in one. Equal vectors do not dominate each other. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

function lexicographic(losses: readonly (readonly number[])[]): (i: number, j: number) => number {
  return (i, j) => {
    for (let k = 0; k < losses[i].length; k++) if (losses[i][k] !== losses[j][k]) return losses[i][k] < losses[j][k] ? -1 : 1;
    return i - j;
  };
}

/**
 * Non-dominated sorting of loss vectors: front 0 is the Pareto front, front r is the front of what
 * remains without fronts 0…r−1; each front lists indices in ascending order. Stops once `limit`
 * points are ranked. Points are visited in lexicographic order, where anything that dominates a
 * point comes before it, so each point is compared only with the front being built.
 */
export function lossFronts(losses: readonly (readonly number[])[], limit = Infinity): number[][] {
  let remaining = losses.map((_, i) => i).sort(lexicographic(losses));
  const fronts: number[][] = [];
  let ranked = 0;
  while (remaining.length > 0 && ranked < limit) {
    const front: number[] = [];
    const rest: number[] = [];
    for (const i of remaining) (front.some((f) => dominates(losses[f], losses[i])) ? rest : front).push(i);
    fronts.push(front.sort((a, b) => a - b));
    ranked += front.length;
    remaining = rest;
  }
  return fronts;
}

/** Non-dominated fronts of objective vectors (see lossFronts). */
export function nonDominatedFronts(values: ObjectiveValues, directions: readonly Direction[], limit = Infinity): number[][] {
  return lossFronts(toLosses(values, directions), limit);
}

/**
 * The indices of the Pareto front, ascending. Tie rules: equal vectors dominate neither each
 * other, so all of them are on the front; a NaN objective counts as the worst value.
 */
export function paretoFront(values: ObjectiveValues, directions: readonly Direction[]): number[] {
  return values.length === 0 ? [] : lossFronts(toLosses(values, directions), 1)[0];
}

/**
 * Crowding distance of each member (as NSGA-II and Optuna define it): per objective, the gap
 * between a member's two neighbours in sorted order over that objective's finite range, summed.
 * The extremes of an objective get +∞; an objective on which all members agree adds nothing;
 * members with equal values are ordered by index, and a gap between equal neighbours is 0.
 */
export function crowdingDistances(losses: readonly (readonly number[])[], members: readonly number[]): number[] {
  const distance = new Map(members.map((m) => [m, 0]));
  const objectives = members.length > 0 ? losses[members[0]].length : 0;
  for (let k = 0; k < objectives; k++) {
    const sorted = [...members].sort((a, b) => (losses[a][k] < losses[b][k] ? -1 : losses[a][k] > losses[b][k] ? 1 : a - b));
    const at = (i: number) => (i < 0 ? -Infinity : i >= sorted.length ? Infinity : losses[sorted[i]][k]);
    if (at(0) === at(sorted.length - 1)) continue;
    const finite = sorted.map((m) => losses[m][k]).filter(Number.isFinite);
    const width = finite.length > 1 && finite[finite.length - 1] > finite[0] ? finite[finite.length - 1] - finite[0] : 1;
    sorted.forEach((m, i) => {
      const gap = at(i - 1) === at(i + 1) ? 0 : at(i + 1) - at(i - 1);
      distance.set(m, distance.get(m)! + gap / width);
    });
  }
  return members.map((m) => distance.get(m)!);
}

/** Members ordered by crowding distance, largest first; equal distances by index. */
export function byCrowding(losses: readonly (readonly number[])[], members: readonly number[]): number[] {
  const distances = crowdingDistances(losses, members);
  return members
    .map((m, i) => [m, distances[i]] as const)
    .sort((a, b) => (b[1] === a[1] ? a[0] - b[0] : b[1] > a[1] ? 1 : -1))
    .map(([m]) => m);
}

/**
 * NSGA-II's survivor selection: `size` indices, whole fronts in order, the front that does not fit
 * cut by crowding distance (largest first, then by index).
 */
export function selectByRankAndCrowding(losses: readonly (readonly number[])[], size: number): number[] {
  const chosen: number[] = [];
  for (const front of lossFronts(losses, size)) {
    if (chosen.length + front.length <= size) chosen.push(...front);
    else chosen.push(...byCrowding(losses, front).slice(0, size - chosen.length));
    if (chosen.length >= size) break;
  }
  return chosen;
}

/** Hypervolume dominated by loss vectors up to `reference` (slicing on the last objective; exact). */
export function lossHypervolume(losses: readonly (readonly number[])[], reference: readonly number[]): number {
  const d = reference.length;
  const points = losses.filter((p) => p.every((x, i) => x < reference[i]));
  if (points.length === 0) return 0;
  if (d === 1) return reference[0] - Math.min(...points.map((p) => p[0]));
  if (d === 2) {
    let area = 0;
    let best = reference[1];
    for (const p of [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
      if (p[1] < best) {
        area += (reference[0] - p[0]) * (best - p[1]);
        best = p[1];
      }
    }
    return area;
  }
  const sorted = [...points].sort((a, b) => a[d - 1] - b[d - 1]);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const height = (i + 1 < sorted.length ? sorted[i + 1][d - 1] : reference[d - 1]) - sorted[i][d - 1];
    if (height > 0) volume += height * lossHypervolume(sorted.slice(0, i + 1).map((p) => p.slice(0, d - 1)), reference.slice(0, d - 1));
  }
  return volume;
}

/** Hypervolume of objective vectors against a reference point given in the objectives' own units. */
export function hypervolume(values: ObjectiveValues, directions: readonly Direction[], reference: readonly number[]): number {
  return lossHypervolume(toLosses(values, directions), toLosses([reference], directions)[0]);
}

/**
 * `k` members of one front chosen to keep as much hypervolume as possible, as Optuna's MOTPE breaks
 * ties in its border front: reference point 1.1 × the members' worst losses, then greedy. With two
 * objectives each step adds the member of largest exclusive contribution (exact, O(k·n)); with
 * three or more, the members of largest crowding distance (cheaper, and the rule NSGA-II uses).
 */
export function selectHypervolumeSubset(losses: readonly (readonly number[])[], members: readonly number[], k: number): number[] {
  if (k >= members.length) return [...members];
  if (losses[members[0]].length !== 2) return byCrowding(losses, members).slice(0, k);
  const reference = [0, 1].map((j) => {
    const worst = Math.max(...members.map((m) => losses[m][j]));
    return Math.max(1.1 * worst, 0.9 * worst) || 1e-12;
  });
  if (!reference.every(Number.isFinite)) return members.slice(0, k);
  // On a front sorted by the first loss, each member's exclusive box reaches to its nearest chosen neighbours.
  const rest = [...members].sort(lexicographic(losses));
  const corner = rest.map(() => [...reference]);
  const chosen: number[] = [];
  while (chosen.length < k) {
    let best = 0;
    let bestArea = -Infinity;
    rest.forEach((m, i) => {
      const area = (corner[i][0] - losses[m][0]) * (corner[i][1] - losses[m][1]);
      if (area > bestArea) [best, bestArea] = [i, area];
    });
    const picked = losses[rest[best]];
    chosen.push(rest[best]);
    for (let i = 0; i < rest.length; i++) {
      if (i < best) corner[i][0] = Math.min(corner[i][0], picked[0]);
      if (i > best) corner[i][1] = Math.min(corner[i][1], picked[1]);
    }
    rest.splice(best, 1);
    corner.splice(best, 1);
  }
  return chosen;
}
