import { RestateUsageError } from '../errors';
import { MISSING, OWN_VALUE_KEY, compareNames, isPlainObject } from '../values';
import type { AnyBackend } from './backend';

/**
 * The wrappers (hybrid, caching) write each algorithm once, as a generator that yields the backend calls
 * it needs. `runSync` performs them directly and `runAsync` awaits them, so the sync and async classes
 * share one source of truth and differ only in the driver.
 */
export type BackendCall =
  | { readonly op: 'read'; readonly backend: AnyBackend; readonly path: string }
  | { readonly op: 'write'; readonly backend: AnyBackend; readonly path: string; readonly value: unknown }
  | { readonly op: 'delete'; readonly backend: AnyBackend; readonly path: string }
  | { readonly op: 'list'; readonly backend: AnyBackend; readonly path: string };

export type Steps<T> = Generator<BackendCall, T, unknown>;

/** A backend read that reports a missing node as MISSING. */
export function* readStep(backend: AnyBackend, path: string): Steps<unknown> {
  return yield { op: 'read', backend, path };
}

export function* writeStep(backend: AnyBackend, path: string, value: unknown): Steps<void> {
  yield { op: 'write', backend, path, value };
}

export function* deleteStep(backend: AnyBackend, path: string): Steps<void> {
  yield { op: 'delete', backend, path };
}

/** Child names; for a custom backend without listChildren, the fallback of S78 (keys of an object read). */
export function* listStep(backend: AnyBackend, path: string): Steps<string[]> {
  if (typeof backend.listChildren === 'function') return (yield { op: 'list', backend, path }) as string[];
  return childNamesOfRead(yield { op: 'read', backend, path });
}

export function childNamesOfRead(value: unknown): string[] {
  if (!isPlainObject(value)) return [];
  return Object.keys(value)
    .filter((key) => key !== OWN_VALUE_KEY)
    .sort(compareNames);
}

function perform(call: BackendCall): unknown {
  switch (call.op) {
    case 'read':
      return call.backend.read(call.path, MISSING);
    case 'write':
      return call.backend.write(call.path, call.value);
    case 'delete':
      return call.backend.delete(call.path);
    case 'list':
      return call.backend.listChildren!(call.path);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Drives `steps` synchronously; a backend that returns a promise is a usage error (S22). */
export function runSync<T>(steps: Steps<T>, component: string): T {
  let next = steps.next();
  while (!next.done) {
    const call = next.value;
    let result: unknown;
    try {
      result = perform(call);
      if (isThenable(result)) {
        // Nobody will await this promise; keep its rejection from surfacing as unhandled.
        Promise.resolve(result).catch(() => undefined);
        throw new RestateUsageError(
          component,
          `the backend returned a promise from ${call.op}(${call.path}): use the async variant to wrap an async backend`,
        );
      }
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

/** Drives `steps`, awaiting every backend call, so backends of either kind work. */
export async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    let result: unknown;
    try {
      result = await perform(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
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
