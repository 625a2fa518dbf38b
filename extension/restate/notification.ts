import type { BatchState } from './batch';
import type { Chain } from './chain';
import type { CallbackEntry, CallbackStore } from './callbacks';
import type { ChangeContext, ContextCarrier } from './context';
import { AsyncValueInSyncModeError, ignoreRejection, isThenable } from './drive';
import { ControllerEvent, type EventController } from './events';
import { RestateCallbackError, RestateCycleError, collectFailure, type CallbackFailure } from './errors';
import { ancestorAt } from './path';
import type { LevelLists, Subscription, SubscriptionIndex } from './subscriptions';
import type { Delivery, SharedReading, SystemCallback, Trigger } from './system';

export type { Delivery } from './system';
import type { TraceCause } from './trace';

/**
 * What delivering a change needs of the engine: the subscriptions and the callbacks, the controller that
 * events hand to callbacks, the current context, and the run clock. Declared here, not taken from
 * engine.ts, so that delivery stays below the engine and ControllerSync's plain-call path, which both run it.
 */
export interface DeliveryHost {
  readonly subscriptions: SubscriptionIndex;
  readonly callbacks: CallbackStore;
  readonly facade: EventController;
  readonly carrier: ContextCarrier;
  readonly isAsync: boolean;
  readonly clock: SharedReading;
}

/** One state change on its way to the subscribers. */
export interface Change {
  readonly kind: 'set' | 'delete' | 'ping';
  readonly path: string;
  readonly prevValue: unknown;
  readonly newValue: unknown;
  readonly payload: unknown;
  readonly cause: TraceCause;
  readonly chain: Chain;
  /** The derivation or tracker whose run made the change, if any: ControllerSync counts its changes (S132). */
  readonly runner: SystemCallback | undefined;
  /** S28 step 1: existing descendants with subscribers, deepest first, with their old values. */
  readonly descendants: readonly { path: string; prevValue: unknown }[] | undefined;
}

/** What the callbacks of one delivery see as emitted: the change itself, or one of its S28 descendants. */
export interface Emitted {
  readonly path: string;
  readonly prevValue: unknown;
  readonly newValue: unknown;
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
 * the mark of the notification that ran it last, which costs no lookup. A nested notification that runs a
 * callback the enclosing one already ran puts the older mark back when it closes. The mark is a number
 * rather than the notification itself, so that a long-lived callback never holds a short-lived object
 * (bench/README.md, "Notes on the code").
 */
interface NestingDelivery extends Delivery {
  readonly mark: number;
  /** How many notifications were open when this one opened: its place in `open.marks`. */
  readonly depth: number;
  /** Triples of a system callback and the mark and depth, of a notification still open, that this one replaced. */
  replaced: (SystemCallback | number)[] | undefined;
}

/** A mark no notification has: a system callback's before its first run. */
export const NO_MARK = 0;

/**
 * One ControllerSync's open notifications. They nest strictly, so the open ones are the first `depth` of
 * `marks`, which holds the mark of the open notification at each depth: a typed array, where storing a
 * mark allocates nothing.
 */
export class OpenNotifications {
  lastMark = NO_MARK;
  depth = 0;
  // Typed without a buffer type argument, so that the declarations read in TypeScript before 5.7 too.
  marks: Float64Array = new Float64Array(64);

  /** Opens a notification: its mark, at the depth `depth` had before. */
  open(): number {
    const mark = ++this.lastMark;
    const depth = this.depth;
    if (depth === this.marks.length) {
      const grown = new Float64Array(depth * 2);
      grown.set(this.marks);
      this.marks = grown;
    }
    this.marks[depth] = mark;
    this.depth = depth + 1;
    return mark;
  }

  claim(delivery: NestingDelivery, system: SystemCallback): boolean {
    const previous = system.ranIn;
    const mark = delivery.mark;
    if (previous === mark) return false;
    const previousDepth = system.ranDepth;
    system.ranIn = mark;
    system.ranDepth = delivery.depth;
    if (previous !== NO_MARK && previousDepth < this.depth && this.marks[previousDepth] === previous) {
      (delivery.replaced ??= []).push(system, previous, previousDepth);
    }
    return true;
  }

  /** Closes the notification, and any nested in it that was never closed (a generator left unfinished). */
  close(delivery: NestingDelivery): void {
    this.depth = delivery.depth;
    const replaced = delivery.replaced;
    if (replaced === undefined) return;
    for (let i = 0; i < replaced.length; i += 3) {
      const system = replaced[i] as SystemCallback;
      system.ranIn = replaced[i + 1] as number;
      system.ranDepth = replaced[i + 2] as number;
    }
  }
}

/** ControllerSync's delivery on the generator path (see NestingDelivery). */
export class NestedDelivery implements NestingDelivery {
  #failures: CallbackFailure[] | undefined;
  readonly #open: OpenNotifications;
  readonly depth: number;
  readonly mark: number;
  replaced: (SystemCallback | number)[] | undefined;

  constructor(open: OpenNotifications) {
    this.#open = open;
    this.depth = open.depth;
    this.mark = open.open();
  }

  get failures(): CallbackFailure[] {
    return (this.#failures ??= []);
  }

  get failed(): boolean {
    return this.#failures !== undefined && this.#failures.length > 0;
  }

  claimSystem(system: SystemCallback): boolean {
    return this.#open.claim(this, system);
  }

  close(): void {
    this.#open.close(this);
  }
}

/** A derivation writing its dest on ControllerSync's plain-call path (see SyncSet.writer). */
export interface DestWriter {
  /** How many of its writes of its dest are being delivered (S132, see SyncPath). */
  openDestLinks: number;
  /** Ends the run: records it, and collects `failure` into `delivery` or rethrows it (as a run's catch would). */
  endRun(trigger: Trigger, delivery: Delivery, started: number, failed: boolean, failure: unknown): void;
}

/**
 * A set made on ControllerSync's plain-call path (syncPath.ts), as one object that is at once the change,
 * the link it adds to the chain of causes (S38), the trigger a system callback subscribed to its own path
 * gets, the notification that delivers it (see NestingDelivery), and the walk of its delivery (Walk): a
 * chain of derivations is delivered from SyncPath's own stack of these, not from nested calls (S132).
 * Merged because a chain of derivations makes one per link: one object instead of five, which the chain
 * workload of bench/peers.ts measures (bench/README.md).
 */
export class SyncSet implements Change, Chain, Trigger, NestingDelivery, Walk {
  declare readonly path: string;
  declare readonly prevValue: unknown;
  declare readonly newValue: unknown;
  declare readonly payload: unknown;
  declare readonly cause: TraceCause;
  declare readonly outer: Chain | undefined;
  declare readonly length: number;
  declare readonly log: BatchState | undefined;
  declare readonly runner: SystemCallback | undefined;
  /**
   * The derivation whose run wrote this change to its dest, which counts it for S132 (else it is counted
   * by path), and whose run ends when this change's delivery ends, with the trigger the change it
   * interrupted keeps.
   */
  declare readonly writer: DestWriter | undefined;
  declare readonly open: OpenNotifications;
  declare readonly mark: number;
  declare readonly depth: number;
  declare replaced: (SystemCallback | number)[] | undefined;
  /** Made on first use: most notifications have no failure. */
  declare collected: CallbackFailure[] | undefined;
  // The walk of its delivery (see Walk), so that it can stop for a nested change and go on after it.
  declare readonly change: SyncSet;
  declare readonly emitted: SyncSet;
  declare readonly delivery: SyncSet;
  declare readonly lists: LevelLists;
  declare readonly version: number;
  declare nextDepth: number;
  declare list: readonly Subscription[] | undefined;
  declare listIndex: number;
  declare level: string;
  declare bubbling: boolean;
  declare event: ControllerEvent | undefined;
  declare trigger: Trigger | undefined;
  declare system: SystemCallback | undefined;
  declare pending: PromiseLike<unknown> | undefined;
  declare pendingId: string;
  declare pendingContext: ChangeContext | undefined;
  /** The change whose delivery this one interrupted, as a derivation's dest write; undefined for the first. */
  declare parentChange: SyncSet | undefined;
  /** When the writer's run started (a runClock reading), or -1 if it is not timed. */
  declare runStarted: number;

  constructor(
    path: string,
    prevValue: unknown,
    newValue: unknown,
    payload: unknown,
    cause: TraceCause,
    outer: Chain | undefined,
    lists: LevelLists,
    version: number,
    runner: SystemCallback | undefined,
    writer: DestWriter | undefined,
    open: OpenNotifications,
  ) {
    this.path = path;
    this.prevValue = prevValue;
    this.newValue = newValue;
    this.payload = payload;
    this.cause = cause;
    this.outer = outer;
    this.length = outer === undefined ? 1 : outer.length + 1;
    this.log = outer === undefined ? undefined : outer.log;
    this.runner = runner;
    this.writer = writer;
    this.open = open;
    this.depth = open.depth;
    this.mark = open.open();
    this.replaced = undefined;
    this.collected = undefined;
    this.change = this;
    this.emitted = this;
    this.delivery = this;
    this.lists = lists;
    this.version = version;
    this.nextDepth = lists.length - 1;
    this.list = undefined;
    this.listIndex = 0;
    this.level = path;
    this.bubbling = true;
    this.event = undefined;
    this.trigger = undefined;
    this.system = undefined;
    this.pending = undefined;
    this.pendingId = '';
    this.pendingContext = undefined;
    this.parentChange = undefined;
    this.runStarted = -1;
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
    return this.open.claim(this, system);
  }

  close(): void {
    this.open.close(this);
  }
}

/**
 * Where the delivery of one emitted path stands, level by level from the path up to the root: the one
 * statement of delivery order and bubbling (S33, S42), which both controllers advance with `advanceWalk`.
 * A walk stops for what its driver has to do: run a system callback (the driver runs it as a plain call or
 * as a generator) or wait for a plain callback's promise (ControllerAsync only).
 */
export interface Walk {
  readonly change: Change;
  /** What the callbacks see as emitted: the change itself, or one of its S28 descendants. */
  readonly emitted: Emitted;
  readonly delivery: Delivery;
  /** The subscription lists of the emitted path's levels, root first, as SubscriptionIndex.levelLists gives them. */
  readonly lists: LevelLists;
  /** The subscription index's version when delivery started: the lists hold while it is unchanged. */
  readonly version: number;
  /** The next level to deliver, as an index into `lists`; -1 once the root is done. */
  nextDepth: number;
  /** The list of the level being delivered, or undefined between levels. */
  list: readonly Subscription[] | undefined;
  listIndex: number;
  level: string;
  bubbling: boolean;
  event: ControllerEvent | undefined;
  /** What a system callback at this level is told; made when the first one is due to run. */
  trigger: Trigger | undefined;
  /** The system callback to run, when advanceWalk returns WALK_RUN. */
  system: SystemCallback | undefined;
  /** The plain callback's promise to wait for, when advanceWalk returns WALK_AWAIT, with its id and context. */
  pending: PromiseLike<unknown> | undefined;
  pendingId: string;
  pendingContext: ChangeContext | undefined;
}

/** advanceWalk's answers. */
export const WALK_DONE = 0;
export const WALK_RUN = 1;
export const WALK_AWAIT = 2;

/** A walk of its own, for deliveries whose change is not one (ControllerSync's SyncSet is its own walk). */
export class LevelWalk implements Walk {
  readonly change: Change;
  readonly emitted: Emitted;
  readonly delivery: Delivery;
  readonly lists: LevelLists;
  readonly version: number;
  nextDepth: number;
  list: readonly Subscription[] | undefined = undefined;
  listIndex = 0;
  level: string;
  bubbling = true;
  event: ControllerEvent | undefined = undefined;
  trigger: Trigger | undefined = undefined;
  system: SystemCallback | undefined = undefined;
  pending: PromiseLike<unknown> | undefined = undefined;
  pendingId = '';
  pendingContext: ChangeContext | undefined = undefined;

  constructor(change: Change, emitted: Emitted, delivery: Delivery, lists: LevelLists, version: number) {
    this.change = change;
    this.emitted = emitted;
    this.delivery = delivery;
    this.lists = lists;
    this.version = version;
    this.nextDepth = lists.length - 1;
    this.level = emitted.path;
  }
}

/**
 * Delivers from where `walk` stands until it is done (WALK_DONE), a system callback is due to run
 * (WALK_RUN: `walk.system`, with `walk.trigger`), or a plain callback returned a promise (WALK_AWAIT:
 * `walk.pending`, then settlePlain). Plain callbacks run here, in the context of the change (S36). A
 * SyncSet's system callbacks run here too, as plain calls: a derivation's dest write that is still to be
 * delivered is returned, to be delivered first.
 */
export function advanceWalk(engine: DeliveryHost, walk: Walk): number | SyncSet {
  const index = engine.subscriptions;
  const emitted = walk.emitted;
  while (true) {
    let list = walk.list;
    if (list === undefined) {
      const depth = walk.nextDepth;
      if (depth < 0) return WALK_DONE;
      walk.nextDepth = depth - 1;
      const path = emitted.path;
      const last = walk.lists.length - 1;
      if (index.version === walk.version) {
        list = walk.lists[depth];
        if (list === undefined || list.length === 0) continue;
        walk.level = depth === last ? path : ancestorAt(path, depth);
      } else {
        // A subscription added or removed meanwhile: the rest of the levels are looked up again.
        const level = depth === last ? path : ancestorAt(path, depth);
        list = index.deliveryList(level);
        if (list.length === 0) continue;
        walk.level = level;
      }
      walk.list = list;
      walk.listIndex = 0;
      walk.event = undefined;
      walk.trigger = undefined;
    }
    const level = walk.level;
    const bubbling = walk.bubbling;
    let event = walk.event;
    for (let i = walk.listIndex; i < list.length; i++) {
      const subscription = list[i];
      if (!subscription.live) continue;
      const entry = engine.callbacks.entryOf(subscription);
      if (entry === undefined) continue;
      // Read from the subscription, which this loop has in hand, rather than from the entry.
      const system = subscription.system;
      if (system !== undefined) {
        // A system callback runs once per notification (S34) and ignores stopBubbling (S59, S70).
        if (walk instanceof SyncSet) {
          // ControllerSync's plain-call path runs it at once; a derivation's dest write is delivered first.
          if (!walk.claimSystem(system)) continue;
          const nested = system.runNow((walk.trigger ??= level === emitted.path ? walk : triggerAt(walk, walk, level)), walk);
          if (nested === undefined) continue;
          walk.listIndex = i + 1;
          walk.event = event;
          // What a run returns to deliver first is a derivation's dest write, made on this path: a SyncSet.
          return nested as SyncSet;
        }
        if (!walk.delivery.claimSystem(system)) continue;
        walk.trigger ??= triggerAt(walk.change, emitted, level);
        walk.listIndex = i + 1;
        walk.event = event;
        walk.system = system;
        return WALK_RUN;
      }
      if (event === undefined) {
        // Plain callbacks at a level share one event, made only when one of them is due to run.
        if (!bubbling) continue;
        event = new ControllerEvent(engine.facade, emitted.path, level, emitted.prevValue, emitted.newValue, walk.change.payload, bubbling);
      }
      if (!event.bubbling) continue;
      const pending = callPlain(engine, walk, entry, event, level);
      if (pending !== undefined) {
        walk.listIndex = i + 1;
        walk.event = event;
        walk.pending = pending;
        return WALK_AWAIT;
      }
    }
    // Whether plain callbacks may still run above this level (S42).
    walk.bubbling = event === undefined ? bubbling : event.bubbling;
    walk.list = undefined;
  }
}

/** Runs a plain callback; returns its promise for ControllerAsync to wait for, else collects its failure (S45). */
function callPlain(engine: DeliveryHost, walk: Walk, entry: CallbackEntry, event: ControllerEvent, level: string): PromiseLike<unknown> | undefined {
  const context: ChangeContext = { chain: walk.change.chain, cause: entry.cause };
  let result: unknown;
  try {
    result = engine.carrier.call(context, entry.fn as (event: ControllerEvent) => unknown, event);
    if (isThenable(result)) {
      if (engine.isAsync) {
        walk.pendingId = entry.id;
        walk.pendingContext = context;
        return result;
      }
      ignoreRejection(result);
      throw new AsyncValueInSyncModeError(`the callback ${entry.id}`);
    }
  } catch (error) {
    keepCallbackFailure(walk, entry.id, level, error);
  } finally {
    if (walk.pendingContext !== context) context.ended = true;
    engine.clock.stale();
  }
  return undefined;
}

/** Ends the wait for a plain callback's promise: `failed` with `error` if it rejected. */
export function settlePlain(walk: Walk, failed: boolean, error: unknown): void {
  walk.pendingContext!.ended = true;
  walk.pendingContext = undefined;
  walk.pending = undefined;
  if (failed) keepCallbackFailure(walk, walk.pendingId, walk.level, error);
}

/** A plain callback's failure is collected (S45); a RestateCycleError passes through (S38). */
function keepCallbackFailure(walk: Walk, id: string, level: string, error: unknown): void {
  if (error instanceof RestateCycleError) throw error;
  collectFailure(walk.delivery.failures, id, level, walk.emitted.path, error);
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

