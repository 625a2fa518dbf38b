import { RestateFormatError, RestateUsageError } from '../errors';
import { isThenable, type Operation } from '../drive';
import { MISSING, OWN_VALUE_KEY, compareNames, isPlainObject } from '../values';
import { UnreadableValue } from '../unreadable';
import type { AnyBackend } from './backend';

/**
 * The wrappers (hybrid, caching) and the controllers write each algorithm once, as a generator over the
 * backend calls it needs (see ../drive.ts): a call's result is used at once when it is a plain value and
 * yielded when it is a promise. The sync classes drive the generators with ../drive.ts's `runSync`, which
 * refuses promises; the async ones with its `runAsync`, which awaits them.
 */
export type Steps<T> = Operation<T>;

/** A backend read that reports a missing node as MISSING. */
export function* readStep(backend: AnyBackend, path: string): Steps<unknown> {
  const value = backend.read(path, MISSING);
  return isThenable(value) ? yield value : value;
}

/**
 * A read for an old value (S131): the backend's tolerant read where it has one, else a plain read; a
 * RestateFormatError that either of them still throws makes the whole node one UnreadableValue.
 */
export function* readTolerantStep(backend: AnyBackend, path: string): Steps<unknown> {
  try {
    const value = typeof backend.readTolerant === 'function' ? backend.readTolerant(path) : backend.read(path, MISSING);
    return isThenable(value) ? yield value : value;
  } catch (error) {
    if (error instanceof RestateFormatError) return new UnreadableValue(error);
    throw error;
  }
}

export function* writeStep(backend: AnyBackend, path: string, value: unknown): Steps<void> {
  const done = backend.write(path, value);
  if (isThenable(done)) yield done;
}

export function* deleteStep(backend: AnyBackend, path: string): Steps<void> {
  const done = backend.delete(path);
  if (isThenable(done)) yield done;
}

/** Child names; for a custom backend without listChildren, the fallback of S78 (keys of an object read). */
export function* listStep(backend: AnyBackend, path: string): Steps<string[]> {
  if (typeof backend.listChildren === 'function') {
    const names = backend.listChildren(path);
    return (isThenable(names) ? yield names : names) as string[];
  }
  return childNamesOfRead(yield* readStep(backend, path));
}

export function childNamesOfRead(value: unknown): string[] {
  if (!isPlainObject(value)) return [];
  return Object.keys(value)
    .filter((key) => key !== OWN_VALUE_KEY)
    .sort(compareNames);
}

/** What a sync wrapper's driver (runSync in ../drive.ts) throws when the backend it wraps returns a promise (S22). */
export function refusalOfAsync(component: string): () => Error {
  return () => new RestateUsageError(component, 'a wrapped backend returned a promise: use the async variant to wrap an async backend');
}

/**
 * A node's read from its own value (MISSING if it has none) and its children (S10, S15): MISSING when it has neither, the own
 * value alone without children, else a new object with `"/"` first and the children in code-unit order.
 */
export function assembleRead(own: unknown, children: [string, unknown][]): unknown {
  if (children.length === 0) return own;
  children.sort((a, b) => compareNames(a[0], b[0]));
  const result: Record<string, unknown> = {};
  if (own !== MISSING) result[OWN_VALUE_KEY] = own;
  for (const [name, value] of children) {
    // defineProperty, because assigning a child named `__proto__` would replace the prototype instead.
    Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** Splits a backend's read into own value and children, given the names it lists there. */
export function splitRead(read: unknown, names: readonly string[]): { own: unknown; children: Map<string, unknown> } {
  const children = new Map<string, unknown>();
  if (names.length === 0) return { own: read, children };
  if (!isPlainObject(read)) return { own: MISSING, children };
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(read, name)) children.set(name, read[name]);
  }
  const own = Object.prototype.hasOwnProperty.call(read, OWN_VALUE_KEY) ? read[OWN_VALUE_KEY] : MISSING;
  return { own, children };
}
