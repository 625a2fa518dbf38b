/** The unique marker for "no value here" (S13). Backends return it for missing nodes; it is never stored. */
export const MISSING: unique symbol = Symbol('restate.MISSING');
export type Missing = typeof MISSING;

/** The key under which a parent read carries the node's own value (S10). */
export const OWN_VALUE_KEY = '/';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Structural equality, the default `eqFunc` (S18): `===` for primitives except that NaN equals NaN;
 * arrays element by element; plain objects by key set and values; everything else by reference.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN is the only value unequal to itself.
    return a !== a && b !== b;
  }
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const left = a as unknown[];
    const right = b as unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) {
      if (!deepEqual(left[i], right[i])) return false;
    }
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const leftKeys = Object.keys(a);
  if (leftKeys.length !== Object.keys(b).length) return false;
  for (const key of leftKeys) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!deepEqual(a[key], b[key])) return false;
  }
  return true;
}

/** Compares names in UTF-16 code-unit order (S15), the order of `listChildren`. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
