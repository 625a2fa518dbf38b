import type { CallbackFailure } from './errors';
import { RestateUsageError } from './errors';
import type { Operation } from './drive';
import type { ChangeContext, Engine } from './engine';
import { ControllerEvent } from './events';
import { resolveConcretePath, type PathLike } from './path';
import { describeRunError, guardedRun, newRunStats, runCause, type RunStats, type SystemCallback, type Trigger } from './system';

/** A tracked callback: re-run whenever a path it read last time changes (S66–S71). */
export class Tracker implements SystemCallback {
  readonly kind = 'tracker';
  readonly stats: RunStats = newRunStats();
  /** The reads of the run that decided the current subscriptions, in read order. */
  reads: string[] = [];
  readonly #engine: Engine;
  #runsStarted = 0;
  #appliedRun = 0;

  constructor(
    engine: Engine,
    readonly id: string,
    readonly fn: (event: never) => unknown,
    readonly payload: unknown,
  ) {
    this.#engine = engine;
  }

  run(trigger: Trigger, failures: CallbackFailure[] | undefined): Operation<void> {
    const engine = this.#engine;
    const runNumber = ++this.#runsStarted;
    const reads = new Set<string>();
    const recordRead = (path: PathLike): void => {
      reads.add(resolveConcretePath(path, 'track'));
    };
    const fields = {
      emittingPath: trigger.emittingPath,
      currentPath: trigger.levelPath,
      prevValue: trigger.prevValue,
      newValue: trigger.newValue,
      payload: trigger.kind === 'initial' ? this.payload : trigger.payload,
    };
    const event = new ControllerEvent(engine.facade, fields, true, recordRead);
    const fn = this.fn as (event: ControllerEvent) => unknown;
    const context = { chain: trigger.chain, cause: this.id as `track:${string}`, batch: trigger.batch };
    const body = engine.callUser(context, `the tracked callback ${this.id}`, () => fn(event));
    return guardedRun(this.id, this.stats, trigger, failures, body as Operation<void>, (durationMs, failure) => {
      // With overlapping async runs, the latest-started run that has finished decides (S71).
      if (runNumber > this.#appliedRun) {
        this.#appliedRun = runNumber;
        this.#reconcile([...reads]);
      }
      if (!engine.trace.active) return;
      engine.trace.emit({
        kind: 'track-run',
        id: this.id,
        triggerPath: trigger.emittingPath,
        reads: [...reads],
        durationMs,
        error: describeRunError(failure),
        cause: runCause(trigger),
        depth: (trigger.chain?.length ?? 0) + 1,
      });
    });
  }

  #reconcile(reads: string[]): void {
    const engine = this.#engine;
    if (engine.callbacks.get(this.id)?.system !== this) return;
    if (reads.length === this.reads.length && reads.every((path, i) => path === this.reads[i])) return;
    const current = new Set(reads);
    for (const path of this.reads) {
      if (!current.has(path)) engine.subscriptions.remove(path, this.id);
    }
    for (const path of reads) engine.subscriptions.add(path, this.id);
    this.reads = reads;
  }
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
