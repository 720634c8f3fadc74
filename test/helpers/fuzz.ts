// Seeded generators of malformed input for the fuzz suites; FUZZ_SEED and FUZZ_COUNT pick another run (see docs/robustness.md).
import { Rng } from '../../src/util/random.ts';

/** The run's seed: FUZZ_SEED, else a fixed one, so a failure reproduces from the test's output. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20260415);

/** Cases per suite: FUZZ_COUNT, else the suite's own number. */
export function fuzzCount(fallback: number): number {
  const count = Number(process.env.FUZZ_COUNT ?? fallback);
  if (!Number.isInteger(count) || count < 1) throw new Error(`FUZZ_COUNT must be an integer ≥ 1 (got ${process.env.FUZZ_COUNT})`);
  return count;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class Fuzz {
  readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  int(n: number): number {
    return this.rng.int(n);
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)]!;
  }

  /** A value a field should not hold, or holds only at its edge: every JSON kind, huge, negative, tiny, long, odd text. */
  nastyValue(): Json {
    const kinds: (() => Json)[] = [
      () => this.pick([0, -0, 1, -1, 0.5, -0.5, 2, 1.5, 1e-300, 5e-324, 1e9, -1e9, 1e15, 2 ** 53, 2 ** 53 + 2, 1e21, 1e300, -1e300, 1.7976931348623157e308, 4294967296, 65536, 100_001]),
      () => this.pick(['', ' ', 'NaN', 'Infinity', '-Infinity', '0x10', '1e-3', 'adam', 'relu', 'grid', 'lr', 'null', 'true', '__proto__', 'constructor']),
      () => this.pick([true, false, null]),
      () => this.pick<Json>([[], {}, [1, 2], [[]], { a: 1 }, [null], ['x', 'x'], [1, 1]]),
      () => 'x'.repeat(this.pick([1000, 100_000])),
      () => this.pick(['\u001b[31mred\u001b[0m', 'a\nb', 'tab\there', '\u0000', 'é', '日本', '🙂', '\u202eevil', '../../x', 'a/b', 'C:\\x', '\ud800']),
      () => this.nested(this.pick([2, 50, 1000])),
    ];
    return clone(this.pick(kinds)());
  }

  /** Arrays or objects nested `depth` deep. */
  nested(depth: number): Json {
    let value: Json = this.chance(0.5) ? 1 : 'deep';
    for (let i = 0; i < depth; i++) value = this.chance(0.5) ? [value] : { k: value };
    return value;
  }

  /** A key an object should not have: unknown, reserved, empty, long, odd characters. */
  nastyKey(): string {
    return this.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'extra', 'LR', 'lr ', 'k'.repeat(5000), '\u001b[2J', 'é', 'a.b', '[0]', 'units_9', 'units_0']);
  }

  /** Every [path, value] pair inside `value` (objects and arrays, not the root). */
  paths(value: Json, prefix: (string | number)[] = [], out: [(string | number)[], Json][] = [], depth = 0): [(string | number)[], Json][] {
    if (depth > 12 || value === null || typeof value !== 'object') return out;
    for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
      out.push([[...prefix, key], child]);
      this.paths(child, [...prefix, key], out, depth + 1);
    }
    return out;
  }
}

/** Sets `path` in `root` (own properties only: a "__proto__" key is an ordinary key here, as after JSON.parse). */
export function setAt(root: Json, path: (string | number)[], value: Json | undefined): void {
  let at = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) {
    at = at[key] as Record<string | number, Json>;
    if (at === null || typeof at !== 'object') return;
  }
  if (at === null || typeof at !== 'object') return;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(at)) at.splice(Number(last), 1);
    else delete at[last];
  } else Object.defineProperty(at, last, { value, enumerable: true, writable: true, configurable: true });
}

export function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Counts of one suite's outcomes, printed at its end for docs/robustness.md. */
export interface FuzzTally {
  tried: number;
  accepted: number;
  /** Refused with a typed error naming a field, line, column or tensor. */
  refusedNamed: number;
  /** Refused with a typed error about the whole file (empty, not JSON, too few classes). */
  refusedWhole: number;
  /** Anything else thrown, or an accepted input that was not usable: must stay empty. */
  crashes: string[];
}

export function newTally(): FuzzTally {
  return { tried: 0, accepted: 0, refusedNamed: 0, refusedWhole: 0, crashes: [] };
}

export function describeTally(name: string, tally: FuzzTally, seed: number): string {
  return `${name} fuzz (seed ${seed}): ${tally.tried} tried, ${tally.accepted} accepted and usable, ${tally.refusedNamed} refused naming a field/line/tensor, ${tally.refusedWhole} refused as a whole file, ${tally.crashes.length} crashes`;
}
