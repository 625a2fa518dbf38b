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
 * What ControllerSync's notifications, which nest strictly, keep for S34: each system callback remembers
 * the notification that ran it last, which costs no lookup. A nested notification that runs a callback the
 * enclosing one already ran puts the older mark back when it closes.
 */
interface NestingDelivery extends Delivery {
  open: boolean;
  /** Pairs of a system callback and the open notification whose mark this one replaced. */
  replaced: (SystemCallback | NestingDelivery)[] | undefined;
}

function claimNested(delivery: NestingDelivery, system: SystemCallback): boolean {
  const previous = system.ranIn as NestingDelivery | undefined;
  if (previous === delivery) return false;
  system.ranIn = delivery;
  if (previous !== undefined && previous.open === true) (delivery.replaced ??= []).push(system, previous);
  return true;
}

function closeNested(delivery: NestingDelivery): void {
  delivery.open = false;
  const replaced = delivery.replaced;
  if (replaced === undefined) return;
  for (let i = 0; i < replaced.length; i += 2) (replaced[i] as SystemCallback).ranIn = replaced[i + 1] as NestingDelivery;
}

/** ControllerSync's delivery on the generator path (see NestingDelivery). */
export class NestedDelivery implements NestingDelivery {
  #failures: CallbackFailure[] | undefined;
  open = true;
  replaced: (SystemCallback | NestingDelivery)[] | undefined;

  get failures(): CallbackFailure[] {
    return (this.#failures ??= []);
  }

  get failed(): boolean {
    return this.#failures !== undefined && this.#failures.length > 0;
  }

  claimSystem(system: SystemCallback): boolean {
    return claimNested(this, system);
  }

  close(): void {
    closeNested(this);
  }
}

/**
 * A set made on ControllerSync's plain-call path (syncPath.ts), as one object that is at once the change,
 * the link it adds to the chain of causes (S38), the trigger a system callback subscribed to its own path
 * gets, and the notification that delivers it (see NestingDelivery). A chain of derivations nests one
 * change per link, and this makes one object for each instead of four.
 */
export class SyncSet implements Change, Chain, Trigger, NestingDelivery {
  declare readonly path: string;
  declare readonly prevValue: unknown;
  declare readonly newValue: unknown;
  declare readonly payload: unknown;
  declare readonly cause: TraceCause;
  declare readonly outer: Chain | undefined;
  declare readonly length: number;
  declare open: boolean;
  declare replaced: (SystemCallback | NestingDelivery)[] | undefined;
  /** Made on first use: most notifications have no failure. */
  declare collected: CallbackFailure[] | undefined;

  constructor(path: string, prevValue: unknown, newValue: unknown, payload: unknown, cause: TraceCause, outer: Chain | undefined) {
    this.path = path;
    this.prevValue = prevValue;
    this.newValue = newValue;
    this.payload = payload;
    this.cause = cause;
    this.outer = outer;
    this.length = outer === undefined ? 1 : outer.length + 1;
    this.open = true;
    this.replaced = undefined;
    this.collected = undefined;
  }

  get kind(): 'set' {
    return 'set';
  }

  get emittingPath(): string {
    return this.path;
  }

  get levelPath(): string {
    return this.path;
  }

  get chain(): Chain {
    return this;
  }

  get descendants(): undefined {
    return undefined;
  }

  get batch(): undefined {
    return undefined;
  }

  get failures(): CallbackFailure[] {
    return (this.collected ??= []);
  }

  get failed(): boolean {
    return this.collected !== undefined && this.collected.length > 0;
  }

  claimSystem(system: SystemCallback): boolean {
    return claimNested(this, system);
  }

  close(): void {
    closeNested(this);
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
