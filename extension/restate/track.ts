import { RestateUsageError } from './errors';
import type { Operation } from './drive';
import type { ChangeContext, Engine } from './engine';
import type { Delivery } from './notification';
import { ControllerEvent, ReadLog } from './events';
import { RunRecord, clockReadingStale, describeRunError, guardedRun, keepRunFailure, readRunClock, runCause, type SystemCallback, type Trigger } from './system';

/** A tracked callback: re-run whenever a path it read last time changes (S66–S71). */
export class Tracker implements SystemCallback {
  readonly kind = 'tracker';
  readonly stats = new RunRecord();
  ranIn: Delivery | undefined;
  registered = false;
  /** The reads of the run that decided the current subscriptions, in read order. */
  reads: string[] = [];
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
  ) {
    this.#engine = engine;
    this.#cause = id as `track:${string}`;
    this.#what = `the tracked callback ${id}`;
  }

  run(trigger: Trigger, delivery: Delivery | undefined): Operation<void> {
    const run = this.#begin(trigger, new ReadLog());
    const fn = this.fn as (event: ControllerEvent) => unknown;
    const body = this.#engine.callUser(run.context, this.#what, () => fn(run.event));
    return guardedRun(this.id, this.stats, trigger, delivery, body as Operation<void>, (durationMs, failure) => this.#end(run, durationMs, failure));
  }

  runNow(trigger: Trigger, delivery: Delivery | undefined): void {
    // guardedRun as plain calls, written out: a fan of trackers runs this once per tracker.
    const run = this.#begin(trigger, new ReadLog());
    const started = readRunClock();
    clockReadingStale();
    let failure: unknown;
    try {
      this.#engine.now!.callUser(run.context, this.fn as (event: ControllerEvent) => unknown, run.event, this.#what);
    } catch (error) {
      failure = error;
      keepRunFailure(error, this.id, trigger, delivery);
    } finally {
      const ended = readRunClock();
      this.stats.record(started, ended, failure);
      this.#end(run, this.#engine.trace.active ? Number(ended - started) / 1e6 : 0, failure);
    }
  }

  #begin(trigger: Trigger, reads: ReadLog): TrackerRun {
    const payload = trigger.kind === 'initial' ? this.payload : trigger.payload;
    const event = new ControllerEvent(this.#engine.facade, trigger.emittingPath, trigger.levelPath, trigger.prevValue, trigger.newValue, payload, true, reads);
    return { number: ++this.#runsStarted, trigger, reads, event, context: { chain: trigger.chain, cause: this.#cause, batch: trigger.batch } };
  }

  #end(run: TrackerRun, durationMs: number, failure: unknown): void {
    const engine = this.#engine;
    const trigger = run.trigger;
    // With overlapping async runs, the latest-started run that has finished decides (S71).
    if (run.number > this.#appliedRun) {
      this.#appliedRun = run.number;
      this.#reconcile(run.reads);
    }
    if (!engine.trace.active) return;
    engine.trace.emit({
      kind: 'track-run',
      id: this.id,
      triggerPath: trigger.emittingPath,
      reads: [...run.reads.paths],
      durationMs,
      error: describeRunError(failure),
      cause: runCause(trigger),
      depth: (trigger.chain?.length ?? 0) + 1,
    });
  }

  #reconcile(reads: ReadLog): void {
    const engine = this.#engine;
    if (!this.registered) return;
    const paths = reads.paths;
    if (sameList(paths, this.reads)) return;
    for (const path of this.reads) {
      if (!reads.has(path)) engine.subscriptions.remove(path, this.id);
    }
    for (const path of paths) engine.subscriptions.add(path, this.id);
    this.reads = [...paths];
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One run of a tracker: what it read, the event it got, and the context its writes are made in. */
interface TrackerRun {
  readonly number: number;
  readonly trigger: Trigger;
  readonly reads: ReadLog;
  readonly event: ControllerEvent;
  readonly context: ChangeContext;
}

/** Registers a tracker and runs it once (S66). */
export function* registerTracker(engine: Engine, fn: unknown, payload: unknown, context: ChangeContext | undefined): Operation<string> {
  if (typeof fn !== 'function') throw new RestateUsageError('track', 'track() needs a callback function');
  const tracker = new Tracker(engine, engine.nextTrackerId(), fn as (event: never) => unknown, payload);
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
