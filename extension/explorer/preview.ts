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

/** The value pretty-printed for a tooltip, cut so that a large value does not fill the screen. */
export function prettyValue(value: unknown, maxLength = 2000): string {
  const text = JSON.stringify(value, null, 2) ?? String(value);
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
