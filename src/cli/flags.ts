// Command-line input: negative numbers as flag values, decimal-only numbers, and error text made safe for a terminal.
import type { ParseArgsConfig } from 'node:util';
import { parseDecimal } from '../util/decimal.ts';
import { InputError } from '../util/input-error.ts';

/**
 * `--lr -0.1` as `--lr=-0.1` (and `-n -1` as `--n=-1`). parseArgs refuses a value that starts with a
 * dash as "ambiguous", but a negative number is never a flag: it goes to the flag, whose own rule then
 * accepts or refuses it.
 */
export function joinNegativeValues(argv: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = arg.startsWith('--') ? arg.slice(2) : /^-[^-]$/.test(arg) ? byShort.get(arg.slice(1)) : undefined;
    const option = name !== undefined && Object.hasOwn(options, name) ? options[name] : undefined;
    const next = argv[i + 1];
    if (option?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** A flag's number, or why it is not one: decimal notation only (`0x10`, `Infinity` and `` are refused). */
export function decimalFlag(text: string): number | string {
  const value = parseDecimal(text);
  if (value === null) return `must be a number in decimal notation (got ${JSON.stringify(text)})`;
  return Number.isFinite(value) ? value : `must be a finite number (got ${text})`;
}

/**
 * A flag's number in decimal notation within bounds (`above`: exclusive), or an InputError naming the
 * flag (`lr` is `--lr`; a name with its dash, `-n`, is shown as given).
 */
export function numberFlag(flag: string, text: string, rule: { integer?: boolean; min?: number; above?: number; max?: number } = {}): number {
  const name = flag.startsWith('-') ? flag : `--${flag}`;
  const value = decimalFlag(text);
  if (typeof value === 'string') throw new InputError(`${name}: ${value}`);
  if (rule.integer && !Number.isInteger(value)) throw new InputError(`${name}: must be an integer (got ${text})`);
  if (rule.min !== undefined && value < rule.min) throw new InputError(`${name}: must be ≥ ${rule.min} (got ${text})`);
  if (rule.above !== undefined && !(value > rule.above)) throw new InputError(`${name}: must be > ${rule.above} (got ${text})`);
  if (rule.max !== undefined && value > rule.max) throw new InputError(`${name}: must be ≤ ${rule.max} (got ${text})`);
  return value;
}

/** Text with its control characters (escape sequences, carriage returns…) written as \u escapes; newlines and tabs kept. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
