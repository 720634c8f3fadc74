// The sampler a study file names: random, grid (declared or shuffled order), TPE/MOTPE, NSGA-II; PBT starts from random.
import { createLearningSampler } from './learning-samplers.ts';
import { GridSampler, RandomSampler, type Sampler } from './samplers.ts';
import type { Study } from './study.ts';

export function createSampler(study: Study): Sampler {
  const spec = study.sampler;
  const directions = study.objective.map((o) => o.direction);
  switch (spec.type) {
    case 'grid':
      return new GridSampler(study.space, spec.shuffle ? study.seed : undefined);
    case 'random':
    case 'pbt':
      return new RandomSampler(study.space, study.seed);
    default:
      return createLearningSampler(spec, study.space, study.seed, directions);
  }
}
