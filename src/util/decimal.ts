// Numbers as people write them in flags and CSV cells: decimal notation only.

/** NOTE: Number() also reads "0x10", "0o7", "0b1", "Infinity", "" and "  " (as 0); whoever wrote those meant something else. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The number `text` writes in decimal notation (`16`, `-0.1`, `.5`, `1e-3`), or null for anything
 * else. A decimal too large for a double (`1e999`) gives ±Infinity, for the caller to refuse by range.
 */
export function parseDecimal(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}
