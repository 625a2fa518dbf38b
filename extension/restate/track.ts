import { RestateUsageError } from './errors';
import type { Operation } from './drive';
import type { ChangeContext } from './context';
import type { Engine } from './engine';
import { NO_MARK, type Delivery } from './notification';
import type { BatchState } from './batch';
import type { RegisteredSystem } from './callbacks';
import type { Chain } from './chain';
import { eventDelState, eventSetState, type EventController } from './events';
import type { DelStateOptions, GetStateOptions, SetStateOptions, TrackOptions } from './options';
import type { PathLike } from './path';
import type { TraceCause } from './trace';
import type { Subscription } from './subscriptions';
import { RunRecord, describeRunError, endReading, guardedRun, keepRunFailure, recordRunEnd, runCause, startRun, type SystemCallback, type Trigger } from './system';

/** A tracked callback: re-run whenever a path it read last time changes (S66–S71). */
export class Tracker extends RunRecord implements RegisteredSystem {
  readonly kind = 'tracker';
  ranIn = NO_MARK;
  ranDepth = 0;
  registered = false;
  openLinks = 0;
  readonly openDestLinks = 0;
  /** The reads of the run that decided the current subscriptions, in read order (S68). */
  reads: string[] = [];
  /** The subscription of each of `reads`, at the same place: removing the tracker removes them. */
  keptSubscriptions: Subscription[] = [];
  readonly #engine: Engine;
  readonly #cause: `track:${string}`;
  readonly #what: string;
  #runsStarted = 0;
  #appliedRun = 0;

  constructor(
    engine: Engine,
    readonly id: string,
    readonly fn: (event: never) => unknown,
    readonly payload: unknown,
    /** What the graph shows for it, when it has a name. */
    readonly name: string | undefined,
  ) {
    super();
    this.#engine = engine;
    this.#cause = id as `track:${string}`;
    this.#what = `the tracked callback ${id}`;
  }

  run(trigger: Trigger, delivery: Delivery | undefined): Operation<void> {
    const engine = this.#engine;
    const started = startRun(engine, this, trigger.chain, false);
    const run = this.#newRun(trigger);
    const body = engine.callUser(run, this.#what, this.fn as (event: TrackedRun) => unknown, run);
    return guardedRun(engine, started, body as Operation<void>, (ended, failed, failure) => this.#finishRun(run, trigger, delivery, started, ended, failed, failure));
  }

  runNow(trigger: Trigger, delivery: Delivery): undefined {
    const engine = this.#engine;
    const started = startRun(engine, this, trigger.chain, true);
    const run = this.#newRun(trigger);
    let failed = false;
    let failure: unknown;
    try {
      engine.plain!.callUser(run, this.fn as (event: TrackedRun) => unknown, run, this.#what);
    } catch (error) {
      failed = true;
      failure = error;
    }
    this.#finishRun(run, trigger, delivery, started, endReading(engine, started, true), failed, failure);
    return undefined;
  }

  /** The end of a run, on either path: its statistics (S119), its reads (S68), its trace record, and its failure kept or rethrown (S45). */
  #finishRun(run: TrackedRun, trigger: Trigger, delivery: Delivery | undefined, started: number, ended: number, failed: boolean, failure: unknown): void {
    const recorded = failed ? failure : undefined;
    this.#end(run, recordRunEnd(this, started, ended, recorded), recorded);
    if (failed) keepRunFailure(failure, this.id, trigger, delivery);
  }

  #newRun(trigger: Trigger): TrackedRun {
    const payload = trigger.kind === 'initial' ? this.payload : trigger.payload;
    return new TrackedRun(this.#engine, this, ++this.#runsStarted, trigger, payload, this.#cause, this.reads);
  }

  #end(run: TrackedRun, durationMs: number, failure: unknown): void {
    const engine = this.#engine;
    const number = TrackedRun.numberOf(run);
    // With overlapping async runs, the latest-started run that has finished decides (S71).
    if (number > this.#appliedRun) {
      this.#appliedRun = number;
      this.#reconcile(run);
    }
    if (!engine.trace.active) return;
    engine.trace.emit({
      kind: 'track-run',
      id: this.id,
      triggerPath: run.emittingPath,
      reads: [...TrackedRun.readsOf(run)],
      durationMs,
      error: describeRunError(failure),
      cause: runCause(TrackedRun.triggerOf(run)),
      depth: (run.chain?.length ?? 0) + 1,
    });
  }

  /** Subscribes to what the run read and not to what it no longer reads; paths read both times keep their subscription. */
  #reconcile(run: TrackedRun): void {
    if (!this.registered) return;
    const previous = this.reads;
    if (TrackedRun.readSameAs(run, previous)) return;
    const paths = TrackedRun.readsOf(run);
    const index = this.#engine.subscriptions;
    const previousSubscriptions = this.keptSubscriptions;
    for (let i = 0; i < previous.length; i++) {
      if (!TrackedRun.hasRead(run, previous[i])) index.removeKept(previousSubscriptions[i]);
    }
    const kept = previous.length > READ_SCAN_LIMIT ? new Map(previous.map((path, i) => [path, previousSubscriptions[i]])) : undefined;
    // Made at its size: pushing onto an empty list would grow it to 17 places, where most trackers read two or three paths.
    const subscriptions = new Array<Subscription>(paths.length);
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i];
      let subscription: Subscription | undefined;
      if (kept !== undefined) subscription = kept.get(path);
      else {
        const at = indexAmong(previous, path, previous.length);
        if (at !== -1) subscription = previousSubscriptions[at];
      }
      subscriptions[i] = subscription ?? index.addKept(path, this.id);
    }
    // The run has ended, so its list no longer changes (see TrackedRun's #add).
    this.reads = paths;
    this.keptSubscriptions = subscriptions;
  }
}

/**
 * Where `path` is among the first `end` of `paths`, or -1. A loop rather than indexOf, includes or slice,
 * which cost more than the scan for the few paths a tracker reads (bench/README.md, "Notes on the code").
 */
function indexAmong(paths: readonly string[], path: string, end: number): number {
  for (let i = 0; i < end; i++) if (paths[i] === path) return i;
  return -1;
}

/** Past this many reads, a run looks paths up in a set instead of scanning its list. */
const READ_SCAN_LIMIT = 16;

/**
 * One run of a tracker, in one object: the event its callback gets (S67), the context its writes are made
 * in, and the distinct paths it read in the order first read (S66). One object rather than an event and a
 * run state: a fan of trackers makes one per tracker and change. The run's state is in private fields and
 * reached by the tracker through static functions, so that the event shows users only what any event
 * shows, and the fields of a ChangeContext.
 *
 * Most runs read what the run before them read, in the same order, so a run only counts how many of its
 * first reads match the tracker's reads when it started, and makes a list of its own at the first read
 * that differs.
 */
class TrackedRun implements ChangeContext {
  /** The controller, which the callback sees as its own kind (StateEvent in controller.ts). */
  declare readonly controller: EventController;
  declare readonly emittingPath: string;
  declare readonly currentPath: string;
  declare readonly prevValue: unknown;
  declare readonly newValue: unknown;
  declare readonly payload: unknown;
  #bubbling: boolean;
  readonly #engine: Engine;
  readonly #tracker: Tracker;
  readonly #number: number;
  readonly #trigger: Trigger;
  readonly #cause: TraceCause;
  #ended: boolean;
  /** The tracker's reads when the run started, distinct and in read order. */
  readonly #previousReads: readonly string[];
  /** While `#ownReads` is undefined, the run's reads are the first `#matched` of `#previousReads`. */
  #matched: number;
  #ownReads: string[] | undefined;
  /** `#ownReads` as a set, once there are too many of them to scan. */
  #ownReadSet: Set<string> | undefined;

  constructor(engine: Engine, tracker: Tracker, number: number, trigger: Trigger, payload: unknown, cause: TraceCause, previousReads: readonly string[]) {
    this.controller = engine.facade;
    this.emittingPath = trigger.emittingPath;
    this.currentPath = trigger.levelPath;
    this.prevValue = trigger.prevValue;
    this.newValue = trigger.newValue;
    this.payload = payload;
    this.#bubbling = true;
    this.#engine = engine;
    this.#tracker = tracker;
    this.#number = number;
    this.#trigger = trigger;
    this.#cause = cause;
    this.#previousReads = previousReads;
    this.#ended = false;
    this.#matched = 0;
    this.#ownReads = undefined;
    this.#ownReadSet = undefined;
  }

  // The event's own members, as ControllerEvent has them. Not a subclass of it, whose construction V8 does
  // not inline (bench/README.md, "Notes on the code").
  get bubbling(): boolean {
    return this.#bubbling;
  }

  stopBubbling(): void {
    this.#bubbling = false;
  }

  setState(path: PathLike, value: unknown, opts?: SetStateOptions): unknown {
    return eventSetState(this.controller, path, value, opts);
  }

  delState(path: PathLike, opts?: DelStateOptions): unknown {
    return eventDelState(this.controller, path, opts);
  }

  // ChangeContext: the trigger's chain and batch, read only by writes made in the run.
  get chain(): Chain | undefined {
    return this.#trigger.chain;
  }

  get batch(): BatchState | undefined {
    return this.#trigger.batch;
  }

  get cause(): TraceCause {
    return this.#cause;
  }

  get runner(): SystemCallback {
    return this.#tracker;
  }

  get ended(): boolean {
    return this.#ended;
  }

  set ended(ended: boolean) {
    this.#ended = ended;
  }

  getState(path: PathLike, opts?: GetStateOptions): unknown {
    const engine = this.#engine;
    const canonical = engine.paths.resolve(path, 'track');
    this.#add(canonical);
    const plain = engine.plain;
    // ControllerSync reads at once; a default to write, and ControllerAsync, go through the controller.
    if (plain !== undefined && opts?.writeDefault !== true) return plain.getCanonical(canonical, opts?.default);
    return engine.facade.getState(canonical, opts);
  }

  /** Records a read; reads through the event after the run ended are not the run's. */
  #add(path: string): void {
    if (this.#ended) return;
    const own = this.#ownReads;
    if (own === undefined) {
      const previous = this.#previousReads;
      // #previousReads holds each path once, so the next one in order has not been read yet. The bound is
      // checked first: a read past the end would make this a comparison of any two values.
      if (this.#matched < previous.length && path === previous[this.#matched]) {
        this.#matched++;
        return;
      }
      if (previous.length <= READ_SCAN_LIMIT && indexAmong(previous, path, this.#matched) !== -1) return;
      this.#divert(path);
      return;
    }
    if (this.#ownReadSet !== undefined) {
      if (this.#ownReadSet.has(path)) return;
      this.#ownReadSet.add(path);
    } else {
      if (indexAmong(own, path, own.length) !== -1) return;
      if (own.length === READ_SCAN_LIMIT) this.#ownReadSet = new Set([...own, path]);
    }
    own.push(path);
  }

  /** Makes the run's own list of reads, at the first read that is not the next of the previous reads. */
  #divert(path: string): void {
    const previous = this.#previousReads;
    const matched = this.#matched;
    if (matched < previous.length && previous.length <= READ_SCAN_LIMIT) {
      // A read in place of one of the previous reads, as after a flag's flip: the list is made at its size
      // (pushing onto it would grow it to 17 places), with the new read in the place of the one it replaces.
      const own = new Array<string>(matched + 1);
      for (let i = 0; i < matched; i++) own[i] = previous[i];
      own[matched] = path;
      this.#ownReads = own;
      return;
    }
    this.#ownList();
    this.#add(path);
  }

  #ownList(): string[] {
    const own = this.#previousReads.slice(0, this.#matched);
    this.#ownReads = own;
    if (own.length > READ_SCAN_LIMIT) this.#ownReadSet = new Set(own);
    return own;
  }

  static numberOf(run: TrackedRun): number {
    return run.#number;
  }

  static triggerOf(run: TrackedRun): Trigger {
    return run.#trigger;
  }

  /** Whether the run read exactly `reads`, in the same order. */
  static readSameAs(run: TrackedRun, reads: readonly string[]): boolean {
    return run.#ownReads === undefined && run.#previousReads === reads && run.#matched === reads.length;
  }

  /** The distinct paths read, in the order first read. Once the run has ended, the list no longer changes. */
  static readsOf(run: TrackedRun): string[] {
    return run.#ownReads ?? run.#ownList();
  }

  static hasRead(run: TrackedRun, path: string): boolean {
    const own = run.#ownReads;
    if (own === undefined) return indexAmong(run.#previousReads, path, run.#matched) !== -1;
    return run.#ownReadSet !== undefined ? run.#ownReadSet.has(path) : indexAmong(own, path, own.length) !== -1;
  }
}

/** Registers a tracker and runs it once (S66). */
export function* registerTracker(engine: Engine, fn: unknown, opts: TrackOptions | undefined, context: ChangeContext | undefined): Operation<string> {
  if (typeof fn !== 'function') throw new RestateUsageError('track', 'track() needs a callback function');
  if (opts?.name !== undefined && (typeof opts.name !== 'string' || opts.name.trim() === '')) {
    throw new RestateUsageError('track', `a tracker's name must be a non-empty string, got ${JSON.stringify(opts.name)}`);
  }
  const name = opts?.name ?? (fn.name === '' ? undefined : fn.name);
  const payload = opts?.payload;
  const tracker = new Tracker(engine, engine.nextTrackerId(), fn as (event: never) => unknown, payload, name);
  engine.callbacks.registerSystem(tracker.id, tracker);
  const trigger: Trigger = { kind: 'initial', emittingPath: '/', levelPath: '/', prevValue: undefined, newValue: undefined, payload, cause: 'initial', chain: context?.chain, batch: context?.batch };
  yield* tracker.run(trigger, undefined);
  return tracker.id;
}

/** `untrack(idOrCallback)` (S71): one tracker by id, or every tracker running a function. */
export function removeTrackers(engine: Engine, idOrCallback: unknown): boolean {
  if (typeof idOrCallback === 'string') {
    return idOrCallback.startsWith('track:') && engine.removeSystem(idOrCallback) !== undefined;
  }
  let removed = false;
  for (const { id, system } of engine.callbacks.systemEntries()) {
    if (system instanceof Tracker && system.fn === idOrCallback && engine.removeSystem(id) !== undefined) removed = true;
  }
  return removed;
}
