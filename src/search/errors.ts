// StudyError: every problem in a study file or a trial's parameters, each as `path: message`, never a raw zod dump.
import type { z } from 'zod';
import { InputError } from '../util/input-error.ts';

export interface StudyIssue {
  /** Where the problem is, e.g. `space.lr.values[2]`; `(root)` for the document itself. */
  path: string;
  message: string;
}

const MAX_LISTED_ISSUES = 50;

export class StudyError extends InputError {
  constructor(
    readonly issues: StudyIssue[],
    title = 'invalid study',
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    // NOTE: a generated file can hold thousands of mistakes; the message lists the first ones, `issues` all.
    const shown = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => `  ${issue.path}: ${issue.message}`);
    if (issues.length > MAX_LISTED_ISSUES) shown.push(`  … and ${issues.length - MAX_LISTED_ISSUES} more`);
    super(`${title} (${count}):\n${shown.join('\n')}`);
    this.name = 'StudyError';
  }
}

/** `['space', 'lr', 'values', 2]` → `space.lr.values[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A value as the user wrote it, for messages: strings quoted, objects named by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify writes Infinity and NaN as null.
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

function listOptions(options: readonly unknown[]): string {
  return options
    .filter((option) => option !== undefined && option !== null)
    .map(String)
    .join(', ');
}

type ZodIssue = z.core.$ZodIssue;

/** One zod issue in our words; zod's own text only where it already names the problem plainly. */
export function issueMessage(issue: ZodIssue): string {
  const got = 'input' in issue ? ` (got ${describeValue(issue.input)})` : '';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'int') return `must be an integer${got}`;
      return `must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}${got}`;
    case 'too_small':
      if (issue.origin === 'array') return Number(issue.minimum) === 1 ? 'must not be empty' : `needs at least ${issue.minimum} items`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}${got}`;
    case 'too_big':
      if (issue.origin === 'array') return `holds more than ${issue.maximum} items`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long`;
      return `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}${got}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${listOptions(issue.values)}${got}`;
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        // zod reports the whole object as input; the reader wants the discriminator's value.
        const input = issue.input;
        const value = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[issue.discriminator] : input;
        return `must be one of ${listOptions(issue.options)} (got ${describeValue(value)})`;
      }
      return issue.message;
    default:
      return issue.message;
  }
}

/** Every zod issue as a StudyIssue, paths formatted, so callers can merge them with their own checks. */
export function issuesFromZod(error: z.ZodError): StudyIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) }));
}
