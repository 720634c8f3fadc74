// How many optimizer steps a trial takes: an epoch is every full batch of the training split, once.

/** Full batches in one pass over `trainRows` (the last partial batch is dropped). */
export function stepsPerEpoch(trainRows: number, batchSize: number): number {
  return Math.floor(trainRows / batchSize);
}

/** Steps a trial trains: its epochs, capped by the study's maxStepsPerTrial. */
export function plannedSteps(config: { batchSize: number; epochs: number }, trainRows: number, maxStepsPerTrial = Infinity): number {
  return Math.min(stepsPerEpoch(trainRows, config.batchSize) * config.epochs, maxStepsPerTrial);
}
