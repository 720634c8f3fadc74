// The samplers that learn from the study's history, as study files name them: their option schemas and one factory.
import { z } from 'zod';
import { Nsga2Sampler, nsga2SamplerSchema } from './nsga2.ts';
import type { Direction, Sampler } from './samplers.ts';
import type { Space } from './space.ts';
import { motpeSamplerSchema, TpeSampler, tpeSamplerSchema } from './tpe.ts';

/** For the study's sampler union: z.discriminatedUnion('type', [random, grid, ...LEARNING_SAMPLER_SCHEMAS]). */
export const LEARNING_SAMPLER_SCHEMAS = [tpeSamplerSchema, motpeSamplerSchema, nsga2SamplerSchema] as const;
export const learningSamplerSchema = z.discriminatedUnion('type', LEARNING_SAMPLER_SCHEMAS);
/** The learning samplers' names: tpe, motpe, nsga2. */
export const LEARNING_SAMPLERS: readonly string[] = LEARNING_SAMPLER_SCHEMAS.map((schema) => schema.shape.type.value);
export type LearningSamplerSpec = z.output<typeof learningSamplerSchema>;
/** A spec as written in a study file: options left out take their defaults. */
export type LearningSamplerInput = z.input<typeof learningSamplerSchema>;

/**
 * The sampler a spec names, over `space`, seeded by the spec's own seed if it has one, else
 * `seed`; `directions` lists the objectives in the order PastTrial.values holds them. `tpe` and
 * `motpe` are one sampler (MOTPE whenever there are several directions).
 */
export function createLearningSampler(spec: LearningSamplerInput, space: Space, seed: number, directions: readonly Direction[]): Sampler {
  const parsed = learningSamplerSchema.parse(spec);
  if (parsed.type === 'nsga2') {
    const { type: _, seed: own, ...options } = parsed;
    return new Nsga2Sampler(space, own ?? seed, directions, options);
  }
  const { type: _, seed: own, ...options } = parsed;
  return new TpeSampler(space, own ?? seed, directions, options);
}
