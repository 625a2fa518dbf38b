import type { Chain } from './chain';
import { RestateCallbackError, type CallbackFailure } from './errors';
import type { SystemCallback, Trigger } from './system';
import type { TraceCause } from './trace';

/** One state change on its way to the subscribers. */
export interface Change {
  readonly kind: 'set' | 'delete' | 'ping';
  readonly path: string;
  readonly prevValue: unknown;
  readonly newValue: unknown;
  readonly payload: unknown;
  readonly cause: TraceCause;
  readonly chain: Chain;
  /** S28 step 1: existing descendants with subscribers, deepest first, with their old values. */
  readonly descendants: readonly { path: string; prevValue: unknown }[] | undefined;
}

/** What the callbacks of one delivery see as emitted: the change itself, or one of its S28 descendants. */
export interface Emitted {
  readonly path: string;
  readonly prevValue: unknown;
  readonly newValue: unknown;
}

/**
 * What one notification collects while it delivers: the failures thrown together at its end (S45), and
 * the system callbacks that already ran, since each runs at most once per notification (S34). `close`
 * must be called when the notification ends, however it ends.
 */
export interface Delivery {
  /** Made on first use: most notifications have no failure. */
  readonly failures: CallbackFailure[];
  readonly failed: boolean;
  /** Marks a system callback as run; false if it already ran in this notification. */
  claimSystem(system: SystemCallback): boolean;
  close(): void;
}

/** Ends a whole notification: its failures, if any, are thrown together. */
export function finishDelivery(delivery: Delivery): void {
  if (delivery.failed) throw new RestateCallbackError(delivery.failures);
}

/**
 * For ControllerAsync, whose notifications may interleave: the ids that ran, in a set made only for a
 * second one, since most notifications reach one system callback or none.
 */
export class InterleavedDelivery implements Delivery {
  #failures: CallbackFailure[] | undefined;

  get failures(): CallbackFailure[] {
    return (this.#failures ??= []);
  }

  get failed(): boolean {
    return this.#failures !== undefined && this.#failures.length > 0;
  }
  #firstSystem: string | undefined;
  #otherSystems: Set<string> | undefined;

  claimSystem(system: SystemCallback): boolean {
    const id = system.id;
    if (this.#firstSystem === undefined) {
      this.#firstSystem = id;
      return true;
    }
    if (this.#firstSystem === id) return false;
    this.#otherSystems ??= new Set();
    if (this.#otherSystems.has(id)) return false;
    this.#otherSystems.add(id);
    return true;
  }

  close(): void {}
}

/**
 * For ControllerSync, whose notifications nest strictly: each system callback remembers the notification
 * that ran it last, which costs no lookup. A nested notification that runs a callback the enclosing one
 * already ran puts the older mark back when it closes.
 */
export class NestedDelivery implements Delivery {
  #failures: CallbackFailure[] | undefined;

  get failures(): CallbackFailure[] {
    return (this.#failures ??= []);
  }

  get failed(): boolean {
    return this.#failures !== undefined && this.#failures.length > 0;
  }
  #open = true;
  /** Pairs of a system callback and the open notification whose mark this one replaced. */
  #replaced: (SystemCallback | NestedDelivery)[] | undefined;

  claimSystem(system: SystemCallback): boolean {
    const previous = system.ranIn;
    if (previous === this) return false;
    system.ranIn = this;
    if (previous instanceof NestedDelivery && previous.#open) (this.#replaced ??= []).push(system, previous);
    return true;
  }

  close(): void {
    this.#open = false;
    const replaced = this.#replaced;
    if (replaced === undefined) return;
    for (let i = 0; i < replaced.length; i += 2) (replaced[i] as SystemCallback).ranIn = replaced[i + 1] as NestedDelivery;
  }
}

/** What a system callback at `level` is told about the change. */
export function triggerAt(change: Change, emitted: Emitted, level: string): Trigger {
  return {
    kind: change.kind,
    emittingPath: emitted.path,
    levelPath: level,
    prevValue: emitted.prevValue,
    newValue: emitted.newValue,
    payload: change.payload,
    cause: change.cause,
    chain: change.chain,
  };
}

export function collectFailure(failures: CallbackFailure[], callbackId: string, path: string, emittingPath: string, error: unknown): void {
  if (error instanceof RestateCallbackError) failures.push(...error.failures);
  else failures.push({ callbackId, path, emittingPath, error });
}
