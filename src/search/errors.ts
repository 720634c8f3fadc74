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

/** `['space', 'lr', 'values', 2]` → `space.lr.values[2]`; an empty key as `[""]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (key === '') out += '[""]';
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

const A_TYPE: Readonly<Record<string, string>> = { string: 'a string', number: 'a number', int: 'an integer', boolean: 'a boolean', null: 'null', array: 'an array', object: 'an object' };

/** `a, b or c`. */
function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * What a union without a discriminator allows, from its branches: the types and literal values each
 * branch wanted of the value itself (nested unions flattened); null when a branch failed deeper
 * inside the value, where zod's own issues say more.
 */
function unionAlternatives(issue: Extract<ZodIssue, { code: 'invalid_union' }>): { types: string[]; values: unknown[] } | null {
  const types: string[] = [];
  const values: unknown[] = [];
  for (const branch of issue.errors) {
    const own = branch.filter((i) => i.path.length === 0);
    if (own.length !== 1 || own.length !== branch.length) return null;
    const i = own[0]!;
    if (i.code === 'invalid_value') values.push(...i.values);
    else if (i.code === 'invalid_type') types.push(A_TYPE[i.expected] ?? i.expected);
    else if (i.code === 'invalid_union') {
      const inner = unionAlternatives(i);
      if (!inner) return null;
      types.push(...inner.types);
      values.push(...inner.values);
    } else return null;
  }
  return { types, values };
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
      {
        // A union with a message of its own (scalarSchema's) already says what it allows.
        const allowed = issue.message === 'Invalid input' ? unionAlternatives(issue) : null;
        if (!allowed) return issue.message;
        const values = allowed.values.length > 0 ? [`one of ${listOptions(allowed.values)}`] : [];
        return `must be ${joinOr([...new Set(allowed.types), ...values])}${got}`;
      }
    case 'invalid_key':
      return `a name ${issue.issues[0] ? issueMessage(issue.issues[0]) : 'is not valid'}`;
    default:
      return issue.message;
  }
}

/** Every zod issue as a StudyIssue, paths formatted, so callers can merge them with their own checks. */
export function issuesFromZod(error: z.ZodError): StudyIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) }));
}
