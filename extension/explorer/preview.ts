/** Short text shown next to a node: `"Alice"`, `42`, `true`, `null`, `{3 keys}`, `[5 items]`. */
export function previewValue(value: unknown, maxLength = 60): string {
  if (Array.isArray(value)) return value.length === 1 ? '[1 item]' : `[${value.length} items]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).length;
    return keys === 1 ? '{1 key}' : `{${keys} keys}`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** Short text shown next to a node with children: `1 child`, `5 children`. */
export function childrenPreview(count: number): string {
  return count === 1 ? '1 child' : `${count} children`;
}

/** How deep a tooltip shows a value; deeper objects and arrays show as `{…}` and `[…]`. */
export const PRETTY_DEPTH = 64;

/**
 * The value pretty-printed for a tooltip as JSON.stringify(value, null, 2) prints it, cut so that a large value
 * does not fill the screen. It never throws: the printing stops at PRETTY_DEPTH levels (a value can be nested
 * deeper than JSON.stringify's stack allows, or hold itself) and once the text is longer than `maxLength`.
 */
export function prettyValue(value: unknown, maxLength = 2000): string {
  const parts: string[] = [];
  let length = 0;
  const push = (text: string): boolean => {
    parts.push(text);
    length += text.length;
    return length <= maxLength;
  };
  // JSON text of a value that is not an object or array; undefined where JSON.stringify leaves it out.
  const scalar = (item: unknown): string | undefined => {
    if (typeof item === 'bigint') return String(item);
    return JSON.stringify(item);
  };
  // Writes `item` at `depth`; false once the text is long enough.
  const write = (item: unknown, depth: number): boolean => {
    if (item === null || typeof item !== 'object') return push(scalar(item) ?? 'null');
    const isArray = Array.isArray(item);
    const entries: [string, unknown][] = isArray ? item.map((inner, index) => [String(index), inner]) : Object.entries(item);
    const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
    const shown = isArray ? entries : entries.filter(([, inner]) => (inner !== null && typeof inner === 'object') || scalar(inner) !== undefined);
    if (shown.length === 0) return push(open + close);
    if (depth >= PRETTY_DEPTH) return push(`${open}…${close}`);
    const indent = '  '.repeat(depth + 1);
    if (!push(open)) return false;
    for (const [index, [key, inner]] of shown.entries()) {
      if (!push(`${index === 0 ? '' : ','}\n${indent}${isArray ? '' : `${JSON.stringify(key)}: `}`)) return false;
      if (!write(inner, depth + 1)) return false;
    }
    return push(`\n${'  '.repeat(depth)}${close}`);
  };
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return String(value);
  write(value, 0);
  const text = parts.join('');
  return text.length > maxLength ? `${text.slice(0, maxLength)}\n…` : text;
}

export type ValueKind = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

export function valueKind(value: unknown): ValueKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string': return 'string';
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    default: return 'object';
  }
}

/** Codicon names by value kind. */
export const valueIcons: Readonly<Record<ValueKind, string>> = {
  string: 'symbol-string',
  number: 'symbol-number',
  boolean: 'symbol-boolean',
  null: 'symbol-null',
  object: 'symbol-object',
  array: 'symbol-array',
};

/** Whether a value has an inner structure to show: a non-empty object or array. */
export function isExpandable(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

/** The entries inside an object or array value, as [key, value] pairs in their own order. */
export function innerEntries(value: unknown): [string | number, unknown][] {
  if (Array.isArray(value)) return value.map((item, index) => [index, item]);
  if (value !== null && typeof value === 'object') return Object.entries(value);
  return [];
}

/** A key path inside a value as JavaScript-like text: `.name`, `[2]`, `["odd key"]`. */
export function keyPathText(keys: readonly (string | number)[]): string {
  return keys.map((key) => (typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)).join('');
}
