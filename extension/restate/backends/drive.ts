import { RestateFormatError, RestateUsageError } from '../errors';
import { isThenable, runAsync as runOperationAsync, runSync as runOperationSync, type Operation } from '../drive';
import { MISSING, OWN_VALUE_KEY, compareNames, isPlainObject } from '../values';
import { UnreadableValue } from '../unreadable';
import type { AnyBackend } from './backend';

/**
 * The wrappers (hybrid, caching) and the controllers write each algorithm once, as a generator over the
 * backend calls it needs (see ../drive.ts): a call's result is used at once when it is a plain value and
 * yielded when it is a promise. The sync classes drive the generators with `runSync`, which refuses
 * promises; the async ones with `runAsync`, which awaits them.
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

/** Drives `steps` synchronously; a backend that returns a promise is a usage error (S22). */
export function runSync<T>(steps: Steps<T>, component: string): T {
  return runOperationSync(
    steps,
    () => new RestateUsageError(component, 'a wrapped backend returned a promise: use the async variant to wrap an async backend'),
  );
}

/** Drives `steps`, awaiting every backend call, so backends of either kind work. */
export function runAsync<T>(steps: Steps<T>): Promise<T> {
  return runOperationAsync(steps);
}

/** Marks "no own value" while a node's read is being assembled. */
export const NO_VALUE: unique symbol = Symbol('restate.noValue');

/**
 * A node's read from its own value and its children (S10, S15): MISSING when it has neither, the own
 * value alone without children, else a new object with `"/"` first and the children in code-unit order.
 */
export function assembleRead(own: unknown, children: [string, unknown][]): unknown {
  if (children.length === 0) return own === NO_VALUE ? MISSING : own;
  children.sort((a, b) => compareNames(a[0], b[0]));
  const result: Record<string, unknown> = {};
  if (own !== NO_VALUE) result[OWN_VALUE_KEY] = own;
  for (const [name, value] of children) {
    // defineProperty, because assigning a child named `__proto__` would replace the prototype instead.
    Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** Splits a backend's read into own value and children, given the names it lists there. */
export function splitRead(read: unknown, names: readonly string[]): { own: unknown; children: Map<string, unknown> } {
  const children = new Map<string, unknown>();
  if (names.length === 0) return { own: read === MISSING ? NO_VALUE : read, children };
  if (!isPlainObject(read)) return { own: NO_VALUE, children };
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(read, name)) children.set(name, read[name]);
  }
  const own = Object.prototype.hasOwnProperty.call(read, OWN_VALUE_KEY) ? read[OWN_VALUE_KEY] : NO_VALUE;
  return { own, children };
}
