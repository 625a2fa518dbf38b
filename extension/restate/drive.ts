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

/**
 * Where a driven operation stands: the operation running now and those it is nested in. `advance` runs it
 * until it finishes or yields a thenable; the two drivers differ only in what they do with the thenable.
 */
class Driving {
  current: Operation<unknown>;
  /** The operations the current one is nested in, innermost last: made only for the first Nested. */
  outer: Operation<unknown>[] | undefined = undefined;
  input: unknown = undefined;
  failure: unknown = undefined;
  failed = false;
  /** The outermost operation's result, once `advance` has returned undefined. */
  result: unknown = undefined;

  constructor(operation: Operation<unknown>) {
    this.current = operation;
  }

  /** Runs until the operation finishes (undefined; what it throws is thrown) or yields a thenable (returned). */
  advance(): PromiseLike<unknown> | undefined {
    while (true) {
      let step: IteratorResult<unknown, unknown>;
      try {
        step = this.failed ? this.current.throw(this.failure) : this.current.next(this.input);
      } catch (error) {
        const outer = this.outer;
        if (outer === undefined || outer.length === 0) throw error;
        this.current = outer.pop()!;
        this.failure = error;
        this.failed = true;
        continue;
      }
      this.failed = false;
      const value = step.value;
      if (step.done) {
        const outer = this.outer;
        if (outer === undefined || outer.length === 0) {
          this.result = value;
          return undefined;
        }
        this.current = outer.pop()!;
        this.input = value;
      } else if (value instanceof Nested) {
        (this.outer ??= []).push(this.current);
        this.current = value.operation;
        this.input = undefined;
      } else if (isThenable(value)) {
        return value;
      } else {
        this.input = value;
      }
    }
  }

  /** Resumes with what the thenable `advance` returned settled to. */
  resolve(value: unknown): void {
    this.input = value;
  }

  reject(error: unknown): void {
    this.failure = error;
    this.failed = true;
  }
}

/** Drives an operation synchronously; a promise it yields is refused with the error `refuse` makes. */
export function runSync<T>(operation: Operation<T>, refuse: () => Error = () => new AsyncValueInSyncModeError('the backend')): T {
  const driving = new Driving(operation);
  while (true) {
    const pending = driving.advance();
    if (pending === undefined) return driving.result as T;
    ignoreRejection(pending);
    driving.reject(refuse());
  }
}

/** Drives an operation, awaiting every promise it yields. */
export async function runAsync<T>(operation: Operation<T>): Promise<T> {
  const driving = new Driving(operation);
  while (true) {
    const pending = driving.advance();
    if (pending === undefined) return driving.result as T;
    try {
      driving.resolve(await pending);
    } catch (error) {
      driving.reject(error);
    }
  }
}
