import { RestateUsageError } from './errors';
import type { Operation } from './drive';
import type { ChangeContext, Engine } from './engine';
import type { Delivery } from './notification';
import { ControllerEvent, ReadLog } from './events';
import { describeRunError, guardedRun, guardedRunNow, newRunStats, runCause, type RunStats, type SystemCallback, type Trigger } from './system';

/** A tracked callback: re-run whenever a path it read last time changes (S66–S71). */
export class Tracker implements SystemCallback {
  readonly kind = 'tracker';
  readonly stats: RunStats = newRunStats();
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
    const run = this.#begin(trigger);
    const fn = this.fn as (event: ControllerEvent) => unknown;
    const body = this.#engine.callUser(run.context, this.#what, () => fn(run.event));
    return guardedRun(this.id, this.stats, trigger, delivery, body as Operation<void>, (durationMs, failure) => this.#end(run, trigger, durationMs, failure));
  }

  runNow(trigger: Trigger, delivery: Delivery | undefined): void {
    guardedRunNow(this.id, this.stats, trigger, delivery, this.#begin(trigger), this.#callNow, this.#endNow);
  }

  readonly #callNow = (run: TrackerRun): void => {
    this.#engine.now!.callUser(run.context, this.fn as (event: ControllerEvent) => unknown, run.event, this.#what);
  };

  readonly #endNow = (run: TrackerRun, durationMs: number, failure: unknown): void => this.#end(run, run.trigger, durationMs, failure);

  #begin(trigger: Trigger): TrackerRun {
    const reads = new ReadLog();
    const fields = {
      emittingPath: trigger.emittingPath,
      currentPath: trigger.levelPath,
      prevValue: trigger.prevValue,
      newValue: trigger.newValue,
      payload: trigger.kind === 'initial' ? this.payload : trigger.payload,
    };
    const event = new ControllerEvent(this.#engine.facade, fields, true, reads);
    return { number: ++this.#runsStarted, trigger, reads, event, context: { chain: trigger.chain, cause: this.#cause, batch: trigger.batch } };
  }

  #end(run: TrackerRun, trigger: Trigger, durationMs: number, failure: unknown): void {
    const engine = this.#engine;
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
