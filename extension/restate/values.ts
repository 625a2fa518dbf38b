/** The unique marker for "no value here" (S13). Backends return it for missing nodes; it is never stored. */
export const MISSING: unique symbol = Symbol('restate.MISSING');
/** The type of {@link MISSING}. */
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
 * Any depth compares without overflowing the stack (S134), and values that contain themselves are equal
 * when they unfold alike.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN is the only value unequal to itself.
    return a !== a && b !== b;
  }
  try {
    return equalNested(a, b, RECURSION_LIMIT);
  } catch (error) {
    if (error !== TOO_DEEP) throw error;
    return equalWithStack(a, b);
  }
}

/**
 * How deep the recursive comparison goes before it starts over with an explicit stack: recursion is the
 * fastest for the shallow values that nearly every write compares, and this many frames fit on any stack.
 */
const RECURSION_LIMIT = 256;
const TOO_DEEP: unique symbol = Symbol('too deep');

function equalNested(a: unknown, b: unknown, levelsLeft: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b;
  // Thrown rather than returned, so that the common case carries no third result through every level.
  if (levelsLeft === 0) throw TOO_DEEP;
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const left = a as unknown[];
    const right = b as unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) {
      if (!equalNested(left[i], right[i], levelsLeft - 1)) return false;
    }
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const leftKeys = Object.keys(a);
  if (leftKeys.length !== Object.keys(b).length) return false;
  for (const key of leftKeys) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!equalNested(a[key], b[key], levelsLeft - 1)) return false;
  }
  return true;
}

/**
 * The same comparison with the pairs still to compare on a list instead of the call stack. Each pair of
 * containers is looked into once: the first mismatch anywhere ends the comparison, so a pair met again is
 * either equal or still being compared, which also makes values that contain themselves terminate.
 */
function equalWithStack(a: object, b: object): boolean {
  const pending: unknown[] = [a, b];
  const seen = new Map<object, object>();
  while (pending.length > 0) {
    const right = pending.pop();
    const left = pending.pop();
    if (left === right) continue;
    if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
      if (left === left || right === right) return false;
      continue;
    }
    const leftIsArray = Array.isArray(left);
    if (leftIsArray !== Array.isArray(right)) return false;
    if (!leftIsArray && (!isPlainObject(left) || !isPlainObject(right))) return false;
    if (comparedBefore(seen, left, right)) continue;
    if (leftIsArray) {
      const leftItems = left as unknown[];
      const rightItems = right as unknown[];
      if (leftItems.length !== rightItems.length) return false;
      for (let i = leftItems.length - 1; i >= 0; i--) pending.push(leftItems[i], rightItems[i]);
      continue;
    }
    const leftRecord = left as Record<string, unknown>;
    const rightRecord = right as Record<string, unknown>;
    const leftKeys = Object.keys(leftRecord);
    if (leftKeys.length !== Object.keys(rightRecord).length) return false;
    for (const key of leftKeys) {
      if (!Object.prototype.hasOwnProperty.call(rightRecord, key)) return false;
      pending.push(leftRecord[key], rightRecord[key]);
    }
  }
  return true;
}

/**
 * Whether the pair was met before, remembering it if not. A container is nearly always compared with one
 * partner, kept as is; a Set only holds the partners of one met with several. Partners are arrays or plain
 * objects, never Sets, so the two cannot be confused.
 */
function comparedBefore(seen: Map<object, object>, left: object, right: object): boolean {
  const partners = seen.get(left);
  if (partners === undefined) {
    seen.set(left, right);
    return false;
  }
  if (partners === right) return true;
  if (partners instanceof Set) {
    if (partners.has(right)) return true;
    partners.add(right);
    return false;
  }
  seen.set(left, new Set([partners, right]));
  return false;
}

/** Compares names in UTF-16 code-unit order (S15), the order of `listChildren`. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
