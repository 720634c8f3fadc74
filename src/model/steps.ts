// How many optimizer steps a trial takes: an epoch is every full batch of the training split, once.

/**
 * Why a batch of `batchSize` rows cannot train on `trainRows` (a batch never wraps around the
 * epoch), as the end of a sentence naming the batch size; null when it fits.
 */
export function batchTooLarge(batchSize: number, trainRows: number): string | null {
  return batchSize > trainRows ? `exceeds the ${trainRows} training rows` : null;
}

/** Full batches in one pass over `trainRows` (the last partial batch is dropped). */
export function stepsPerEpoch(trainRows: number, batchSize: number): number {
  return Math.floor(trainRows / batchSize);
}

/** Steps a trial trains: its epochs, capped by the study's maxStepsPerTrial. */
export function plannedSteps(config: { batchSize: number; epochs: number }, trainRows: number, maxStepsPerTrial = Infinity): number {
  return Math.min(stepsPerEpoch(trainRows, config.batchSize) * config.epochs, maxStepsPerTrial);
}
