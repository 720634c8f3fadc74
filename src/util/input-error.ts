// The one kind of error for bad input a user can fix: a flag, a study file, a data file, a weights file, a folder.

/**
 * A value the user handed fusetune was refused; the message names the flag, field, line or tensor.
 * NOTE: the CLI exits 2 on this type and its subclasses (StudyError, DataError, SafetensorsError), 1 on anything else.
 */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}
