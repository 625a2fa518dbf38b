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

/** Drives an operation synchronously; a promise it yields is refused with the error `refuse` makes. */
export function runSync<T>(operation: Operation<T>, refuse: () => Error = () => new AsyncValueInSyncModeError('the backend')): T {
  let step = operation.next();
  while (!step.done) {
    const value = step.value;
    if (isThenable(value)) {
      ignoreRejection(value);
      step = operation.throw(refuse());
    } else {
      step = operation.next(value);
    }
  }
  return step.value;
}

/** Drives an operation, awaiting every promise it yields. */
export async function runAsync<T>(operation: Operation<T>): Promise<T> {
  let step = operation.next();
  while (!step.done) {
    let settled: unknown;
    try {
      settled = await step.value;
    } catch (error) {
      step = operation.throw(error);
      continue;
    }
    step = operation.next(settled);
  }
  return step.value;
}
