import type { BatchState } from './batch';
import type { Chain } from './chain';
import type { ControllerEvent } from './events';
import { RestateCallbackError, type CallbackFailure } from './errors';
import type { LevelLists, Subscription } from './subscriptions';
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
 * the mark of the notification that ran it last, which costs no lookup. A nested notification that runs a
 * callback the enclosing one already ran puts the older mark back when it closes. The mark is a number
 * rather than the notification itself: storing a new object in a long-lived callback on every run cost a
 * write barrier, and kept every notification's object alive for the collector to visit.
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
  marks = new Float64Array(64);

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
 * gets, the notification that delivers it (see NestingDelivery), and the place its delivery stands in: a
 * chain of derivations is delivered from SyncPath's own stack of these, not from nested calls (S132). A
 * chain of derivations nests one change per link, and this makes one object for each instead of four.
 */
export class SyncSet implements Change, Chain, Trigger, NestingDelivery {
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
  // Where the delivery stands, so that it can stop for a nested change and go on after it.
  declare readonly lists: LevelLists;
  /** The subscription index's version when delivery started: the lists hold while it is unchanged. */
  declare readonly version: number;
  /** The next level to deliver, as an index into `lists`; -1 once the root is done. */
  declare nextDepth: number;
  /** The list of the level being delivered, or undefined between levels. */
  declare list: readonly Subscription[] | undefined;
  declare listIndex: number;
  declare level: string;
  declare bubbling: boolean;
  declare event: ControllerEvent | undefined;
  declare trigger: Trigger | undefined;
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
    this.lists = lists;
    this.version = version;
    this.nextDepth = lists.length - 1;
    this.list = undefined;
    this.listIndex = 0;
    this.level = path;
    this.bubbling = true;
    this.event = undefined;
    this.trigger = undefined;
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
