// JSON as Python's json module writes and reads it: bare NaN, Infinity and -Infinity tokens, ", " and ": " separators.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * `json.dumps(value)` as Python writes it (non-finite numbers as bare tokens, Python's separators),
 * so a journal written here reads like one Optuna wrote. Undefined object fields are left out.
 */
export function encodePythonJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    case 'string':
      return encodeString(value);
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => encodePythonJson(item ?? null)).join(', ')}]`;
      const fields: string[] = [];
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (item !== undefined) fields.push(`${encodeString(key)}: ${encodePythonJson(item)}`);
      }
      return `{${fields.join(', ')}}`;
    }
    default:
      throw new TypeError(`cannot encode a ${typeof value} as JSON`);
  }
}

/**
 * A JSON string whose text never holds `NaN` or `Infinity` (their first letter as a \u escape, the same
 * string to any JSON reader). NOTE: optuna-dashboard's browser reader parses a line with bare NaN or
 * Infinity by replacing those words everywhere in its text, strings included, and drops the line
 * when a string held one.
 */
function encodeString(text: string): string {
  return JSON.stringify(text).replace(/NaN/g, '\\u004eaN').replace(/Infinity/g, '\\u0049nfinity');
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A JSON string literal: no raw control characters, only JSON's escapes (Python's strict mode agrees).
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;

/**
 * `json.loads(text)`: JSON plus Python's NaN, Infinity and -Infinity. Throws a SyntaxError naming
 * the position of the first problem. Lines without those tokens take the native parser.
 */
export function decodePythonJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${pos}`);
  };
  const skip = () => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    pos = SPACE.lastIndex;
  };
  const match = (pattern: RegExp): string | null => {
    pattern.lastIndex = pos;
    const found = pattern.exec(text);
    if (!found) return null;
    pos = pattern.lastIndex;
    return found[0];
  };
  const literal = (word: string): boolean => {
    if (!text.startsWith(word, pos)) return false;
    pos += word.length;
    return true;
  };
  const value = (): JsonValue => {
    skip();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const out: Record<string, JsonValue> = {};
      skip();
      if (literal('}')) return out;
      for (;;) {
        skip();
        const key = match(STRING) ?? fail('expected a property name');
        skip();
        if (!literal(':')) fail("expected ':'");
        // defineProperty, so a "__proto__" key is data as in JSON.parse, not a prototype.
        Object.defineProperty(out, JSON.parse(key) as string, { value: value(), enumerable: true, writable: true, configurable: true });
        skip();
        if (literal('}')) return out;
        if (!literal(',')) fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const out: JsonValue[] = [];
      skip();
      if (literal(']')) return out;
      for (;;) {
        out.push(value());
        skip();
        if (literal(']')) return out;
        if (!literal(',')) fail("expected ',' or ']'");
      }
    }
    if (c === '"') return JSON.parse(match(STRING) ?? fail('malformed string')) as string;
    if (literal('NaN')) return NaN;
    if (literal('Infinity')) return Infinity;
    if (literal('-Infinity')) return -Infinity;
    if (literal('true')) return true;
    if (literal('false')) return false;
    if (literal('null')) return null;
    const number = match(NUMBER);
    return number === null ? fail('unexpected character') : Number(number);
  };
  const result = value();
  skip();
  if (pos < text.length) fail('unexpected text after the value');
  return result;
}
