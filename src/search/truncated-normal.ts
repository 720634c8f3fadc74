// The standard normal's tails and masses in log space, and draws of a truncated normal (Optuna's _truncnorm, for TPE's kernels).
import type { Rng } from '../util/random.ts';

/** ln √(2π). */
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln P(Z > z) for z ≥ 0, Z standard normal: Numerical Recipes' Chebyshev fit of erfc (relative
 * error < 1.2e-7 everywhere), in log space so that it never underflows.
 */
function logUpperTail(z: number): number {
  if (z === Infinity) return -Infinity;
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return Math.log(0.5 * t) - x * x + erfcPoly(t);
}

/** P(Z > z) for 0 ≤ z < 37 (beyond, it underflows): the same fit, one exp. */
function upperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return 0.5 * t * Math.exp(-x * x + erfcPoly(t));
}

function erfcPoly(t: number): number {
  return -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
}

/** ln(e^a − e^b) for a ≥ b. */
const logDiffExp = (a: number, b: number) => (b === -Infinity ? a : a + Math.log1p(-Math.exp(b - a)));

/** ln P(a < Z < b), in whichever tail keeps precision; linear space while P(Z > a) cannot underflow (a < 25). */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) [a, b] = [-b, -a];
  if (a >= 0) return a < 25 ? Math.log(upperTail(a) - (b < 37 ? upperTail(b) : 0)) : logDiffExp(logUpperTail(a), logUpperTail(b));
  return Math.log1p(-(b < 37 ? upperTail(b) : 0) - (a > -37 ? upperTail(-a) : 0));
}

/** ln of the standard normal mass in a bin [z − w/2, z + w/2]; narrow bins by the midpoint rule with its w² correction. */
export function logBinMass(z: number, w: number): number {
  if (w < 0.01) return Math.log(w) - 0.5 * z * z - LOG_SQRT_2PI + Math.log1p((w * w * (z * z - 1)) / 24);
  return logGaussMass(z - w / 2, z + w / 2);
}

/** A draw of N(mu, sigma²) inside [low, high]. NOTE: mu lies in the interval and sigma ≤ its width, so ≥ 34% of draws are accepted. */
export function truncatedNormal(rng: Rng, mu: number, sigma: number, low: number, high: number): number {
  for (let i = 0; i < 64; i++) {
    const x = mu + sigma * rng.normal();
    if (x >= low && x <= high) return x;
  }
  return mu;
}
