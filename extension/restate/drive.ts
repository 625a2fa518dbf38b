import { RestateUsageError } from './errors';

/**
 * Every controller algorithm is written once, as a generator. Where it needs the result of something that
 * may be asynchronous (a backend call, a callback), it yields that result; a driver hands back the settled
 * value. `runSync` refuses promises, `runAsync` awaits them. Values that are not thenables are normally
 * handled inline by the algorithm without yielding, so the synchronous path stays cheap.
 */
export type Operation<T> = Generator<unknown, T, unknown>;

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Swallows a promise's rejection: used when a sync controller refuses a promise it cannot await (S39). */
export function ignoreRejection(value: PromiseLike<unknown>): void {
  value.then(undefined, () => undefined);
}

export class AsyncValueInSyncModeError extends RestateUsageError {
  constructor(what: string) {
    super('controller', `${what} returned a promise, which ControllerSync cannot wait for: use ControllerAsync`);
  }
}

/**
 * An operation to run nested in the one that yields it, as `yield*` would run it, but from the driver's
 * own stack: a change nested in a change nested in … (a chain of derivations, S63) then costs no
 * JavaScript stack frames per link, and resuming the innermost operation no longer passes through every
 * operation above it (S132). The value of `yield new Nested(operation)` is the operation's result; what
 * it throws is thrown at the yield.
 */
export class Nested {
  constructor(readonly operation: Operation<unknown>) {}
}

/** Drives an operation synchronously; a promise it yields is refused with the error `refuse` makes. */
export function runSync<T>(operation: Operation<T>, refuse: () => Error = () => new AsyncValueInSyncModeError('the backend')): T {
  let current: Operation<unknown> = operation;
  // The operations the current one is nested in, innermost last: made only for the first Nested.
  let outer: Operation<unknown>[] | undefined;
  let input: unknown;
  let failure: unknown;
  let failed = false;
  while (true) {
    let step: IteratorResult<unknown, unknown>;
    try {
      step = failed ? current.throw(failure) : current.next(input);
    } catch (error) {
      if (outer === undefined || outer.length === 0) throw error;
      current = outer.pop()!;
      failure = error;
      failed = true;
      continue;
    }
    failed = false;
    const value = step.value;
    if (step.done) {
      if (outer === undefined || outer.length === 0) return value as T;
      current = outer.pop()!;
      input = value;
    } else if (value instanceof Nested) {
      (outer ??= []).push(current);
      current = value.operation;
      input = undefined;
    } else if (isThenable(value)) {
      ignoreRejection(value);
      failure = refuse();
      failed = true;
    } else {
      input = value;
    }
  }
}

/** Drives an operation, awaiting every promise it yields. */
export async function runAsync<T>(operation: Operation<T>): Promise<T> {
  let current: Operation<unknown> = operation;
  let outer: Operation<unknown>[] | undefined;
  let input: unknown;
  let failure: unknown;
  let failed = false;
  while (true) {
    let step: IteratorResult<unknown, unknown>;
    try {
      step = failed ? current.throw(failure) : current.next(input);
    } catch (error) {
      if (outer === undefined || outer.length === 0) throw error;
      current = outer.pop()!;
      failure = error;
      failed = true;
      continue;
    }
    failed = false;
    const value = step.value;
    if (step.done) {
      if (outer === undefined || outer.length === 0) return value as T;
      current = outer.pop()!;
      input = value;
    } else if (value instanceof Nested) {
      (outer ??= []).push(current);
      current = value.operation;
      input = undefined;
    } else {
      try {
        input = await value;
      } catch (error) {
        failure = error;
        failed = true;
      }
    }
  }
}
