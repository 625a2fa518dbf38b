import type { Chain } from './chain';
import { RestateCallbackError, type CallbackFailure } from './errors';
import type { Trigger } from './system';
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
 * the system callbacks that already ran, since each runs at most once per notification (S34). Most
 * notifications reach one system callback or none, so the set is made only for a second one.
 */
export class Delivery {
  readonly failures: CallbackFailure[] = [];
  #firstSystem: string | undefined;
  #otherSystems: Set<string> | undefined;

  /** Marks a system callback as run; false if it already ran in this notification. */
  claimSystem(id: string): boolean {
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

  /** Ends a whole notification: its failures, if any, are thrown together. */
  finish(): void {
    if (this.failures.length > 0) throw new RestateCallbackError(this.failures);
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
