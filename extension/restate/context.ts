import { AsyncLocalStorage } from 'node:async_hooks';
import type { BatchState } from './batch';
import type { Chain } from './chain';
import type { SystemCallback } from './system';
import type { TraceCause } from './trace';

/**
 * Where a call is made from. A call made while a callback, transform or tracked function runs is a nested
 * change (S36); its context tells the chain of changes above it (S38) and who acts (S122).
 */
export interface ChangeContext {
  /** The enclosing change's chain of causes; `undefined` at the top level. */
  readonly chain: Chain | undefined;
  /** Who acts for writes made in this context; `undefined` leaves it to the call's `cause` option. */
  readonly cause: TraceCause | undefined;
  /** The open batch that writes made in this context join (S113). */
  readonly batch?: BatchState;
  /** The derivation or tracker whose run this is, which ControllerSync counts changes for (S132). */
  readonly runner?: SystemCallback;
  /**
   * Set once the callback, transform or batch function that ran in this context has finished. Work it left
   * behind (a timer, an unawaited promise) still sees the context through AsyncLocalStorage, but its writes
   * are new top-level changes, not nested ones, and join no batch.
   */
  ended?: boolean;
}

/** Carries the current ChangeContext: a plain field for ControllerSync, AsyncLocalStorage for ControllerAsync. */
export interface ContextCarrier {
  current(): ChangeContext | undefined;
  run<R>(context: ChangeContext, fn: () => R): R;
  /** `run` of `fn(argument)`, without a closure. */
  call<A, R>(context: ChangeContext, fn: (argument: A) => R, argument: A): R;
}

export class FieldCarrier implements ContextCarrier {
  #context: ChangeContext | undefined;

  current(): ChangeContext | undefined {
    return this.#context;
  }

  /** Makes `context` current and returns the one to give back to `leave`: `run` without a closure. */
  enter(context: ChangeContext): ChangeContext | undefined {
    const previous = this.#context;
    this.#context = context;
    return previous;
  }

  leave(previous: ChangeContext | undefined): void {
    this.#context = previous;
  }

  run<R>(context: ChangeContext, fn: () => R): R {
    const previous = this.#context;
    this.#context = context;
    try {
      return fn();
    } finally {
      this.#context = previous;
    }
  }

  call<A, R>(context: ChangeContext, fn: (argument: A) => R, argument: A): R {
    const previous = this.#context;
    this.#context = context;
    try {
      return fn(argument);
    } finally {
      this.#context = previous;
    }
  }
}

export class AsyncContextCarrier implements ContextCarrier {
  readonly #storage = new AsyncLocalStorage<ChangeContext>();

  current(): ChangeContext | undefined {
    const context = this.#storage.getStore();
    return context?.ended === true ? undefined : context;
  }

  run<R>(context: ChangeContext, fn: () => R): R {
    return this.#storage.run(context, fn);
  }

  call<A, R>(context: ChangeContext, fn: (argument: A) => R, argument: A): R {
    return this.#storage.run(context, fn, argument);
  }
}
