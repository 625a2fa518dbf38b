import type { AnyBackend } from './backends/backend';
import { deleteStep, listStep, readStep, readTolerantStep, writeStep } from './backends/drive';
import { CallbackStore, isSystemId } from './callbacks';
import { BatchState } from './batch';
import { CYCLE_LIMIT, checkRunByWalk, checkWriteByWalk, depthLimitError, extendChain, type Chain } from './chain';
import { AsyncValueInSyncModeError, Nested, ignoreRejection, isThenable, type Operation } from './drive';
import { RestateCallbackError, RestateIdError, RestateUsageError } from './errors';
import type { DelStateOptions, GetStateOptions, PingOptions, SetStateOptions } from './options';
import { ConcretePaths, childOf, resolvePattern, type PathLike } from './path';
import { InterleavedDelivery, LevelWalk, type DestWriter, NestedDelivery, OpenNotifications, WALK_DONE, WALK_RUN, advanceWalk, finishDelivery, settlePlain, type Change, type Delivery } from './notification';
import { SubscriptionIndex } from './subscriptions';
import { SharedReading, type RunHost, type SystemCallback } from './system';
import { SyncPath, type SyncPathHost } from './syncPath';
import { TraceHub, type TraceCause } from './trace';
import { MISSING, OWN_VALUE_KEY, compareNames, deepEqual, isPlainObject } from './values';
import type { EventController } from './events';
import { AsyncContextCarrier, FieldCarrier, type ChangeContext, type ContextCarrier } from './context';
import { NOT_NOTIFIED, PendingWrite, UNCHANGED, WRITE_START, writeValue, type SettledWrite } from './write';

const COMPONENT = 'controller';

/**
 * The algorithms behind both controllers, each written once: as a generator (see drive.ts), which the
 * public classes in controller.ts drive synchronously or asynchronously, or, for a set's steps, which
 * ControllerSync's plain-call path also runs, as plain calls that wait only for a promise (writeValue, in write.ts).
 */
export class Engine implements SyncPathHost, RunHost {
  readonly backend: AnyBackend;
  readonly isAsync: boolean;
  readonly maxDepth: number;
  readonly callbacks = new CallbackStore();
  readonly subscriptions = new SubscriptionIndex();
  readonly trace = new TraceHub();
  /** ControllerSync's shared clock reading for run durations (S119). */
  readonly clock = new SharedReading();
  /** Checks the paths callers pass (S7); shared with the backend when it offers its own (InMemoryBackend.paths). */
  readonly paths: ConcretePaths;
  readonly carrier: ContextCarrier;
  /** ControllerSync's plain-call path (syncPath.ts); `undefined` for ControllerAsync. */
  readonly plain: SyncPath | undefined;
  /** ControllerSync's open notifications, which nest strictly (notification.ts); `undefined` for ControllerAsync. */
  readonly open: OpenNotifications | undefined;
  /**
   * The controller (ControllerSync or ControllerAsync) that drives this engine, which events and
   * derivations hand to user code; typed here by what the engine itself calls on it.
   */
  facade!: EventController;
  /**
   * Whether derivation and tracker runs are timed for the graph's lastRunMs (S119). Reading the clock took
   * a quarter or more of a short tracked run's time, and only graph() and the trace show durations, so by
   * default timing starts when one of them is first used.
   */
  timesRuns: boolean;
  #trackerCount = 0;

  constructor(backend: AnyBackend, isAsync: boolean, maxDepth: number, timesRuns: boolean, paths = new ConcretePaths()) {
    this.backend = backend;
    this.paths = paths;
    this.isAsync = isAsync;
    this.maxDepth = maxDepth;
    this.timesRuns = timesRuns;
    if (isAsync) {
      this.carrier = new AsyncContextCarrier();
      this.plain = undefined;
      this.open = undefined;
    } else {
      const carrier = new FieldCarrier();
      this.carrier = carrier;
      this.open = new OpenNotifications();
      this.plain = new SyncPath(this, carrier);
    }
  }

  nextTrackerId(): string {
    return `track:${++this.#trackerCount}`;
  }

  // ---- reads -------------------------------------------------------------------------------------

  /** The raw backend read: the value, or MISSING. */
  read(path: string): Operation<unknown> {
    return readStep(this.backend, path);
  }

  listChildren(path: string): Operation<string[]> {
    return listStep(this.backend, path);
  }

  /** The read of a value about to be replaced: a value that cannot be parsed is an UnreadableValue (S131). */
  readOld(path: string): Operation<unknown> {
    return readTolerantStep(this.backend, path);
  }

  *getState(path: PathLike, opts: GetStateOptions | undefined, context: ChangeContext | undefined): Operation<unknown> {
    const canonical = this.paths.resolve(path, COMPONENT);
    let value = this.backend.read(canonical, MISSING);
    if (isThenable(value)) value = yield value;
    if (value !== MISSING) return value;
    if (canonical === '/') return {};
    const dflt = opts?.default;
    if (opts?.writeDefault === true && dflt !== undefined) {
      const log = context?.batch ?? context?.chain?.log;
      if (log !== undefined) yield* log.beforeWrite(this, canonical, MISSING);
      yield* this.rawWrite(canonical, dflt);
      if (this.trace.active) {
        const depth = (context?.chain?.length ?? 0) + 1;
        this.trace.emit({ kind: 'set', path: canonical, prevValue: undefined, value: dflt, changed: true, notified: false, payload: undefined, batched: context?.batch !== undefined, cause: context?.cause ?? 'api', depth });
      }
    }
    return dflt;
  }

  /** A value as getState would give it, for a canonical path (MISSING mapped to the default, root to {}). */
  *readWithDefault(canonical: string, dflt: unknown): Operation<unknown> {
    const value = yield* this.read(canonical);
    if (value !== MISSING) return value;
    return canonical === '/' ? {} : dflt;
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** A backend write with no comparison, notification or trace. */
  rawWrite(path: string, value: unknown): Operation<void> {
    return writeStep(this.backend, path, value);
  }

  /** A backend delete with no notification or trace. */
  rawDelete(path: string): Operation<void> {
    return deleteStep(this.backend, path);
  }

  /**
   * setState as a generator: the write's steps are writeValue's, shared with ControllerSync's plain-call
   * path; what is left here is the delivery of the change they report.
   */
  *setState(path: PathLike, value: unknown, opts: SetStateOptions | undefined, context: ChangeContext | undefined): Operation<boolean> {
    const canonical = this.paths.resolve(path, COMPONENT);
    const cause = context?.cause ?? opts?.cause ?? 'api';
    let outcome = writeValue(this, canonical, value, opts, context?.chain, cause, context?.batch, undefined, WRITE_START, undefined);
    if (outcome instanceof PendingWrite) outcome = ((yield outcome.settled) as SettledWrite).outcome;
    if (outcome === UNCHANGED) return false;
    if (outcome === NOT_NOTIFIED) return true;
    if (this.subscriptions.levelLists(canonical) !== undefined) {
      yield* this.#notify({ kind: 'set', path: canonical, prevValue: outcome, newValue: value, payload: opts?.payload, cause, chain: extendChain(context?.chain, canonical, cause), runner: context?.runner, descendants: undefined });
    }
    return true;
  }

  *delState(path: PathLike, opts: DelStateOptions | undefined, context: ChangeContext | undefined): Operation<boolean> {
    const canonical = this.paths.resolve(path, COMPONENT);
    const prevValue = yield* this.readOld(canonical);
    if (prevValue === MISSING) return false;
    const cause = context?.cause ?? opts?.cause ?? 'api';
    this.checkChange(context?.chain, canonical, cause);
    const chain = extendChain(context?.chain, canonical, cause);
    const payload = opts?.payload;
    const notify = opts?.skipNotify !== true;
    const descendants = notify && !this.subscriptions.isEmpty ? yield* this.#subscribedDescendants(canonical) : undefined;
    const batch = context?.batch;
    const log = batch ?? chain.log;
    if (log !== undefined) yield* log.beforeDelete(this, canonical, prevValue);
    yield* this.rawDelete(canonical);
    if (this.trace.active) {
      this.trace.emit({ kind: 'delete', path: canonical, prevValue, existed: true, notified: notify && batch === undefined, payload, batched: batch !== undefined, cause, depth: chain.length });
    }
    if (batch !== undefined) {
      if (notify) {
        for (const descendant of descendants ?? []) batch.recordChange(descendant.path, descendant.prevValue, payload, 'descendant', cause);
        batch.recordChange(canonical, prevValue, payload, 'change', cause);
      }
      return true;
    }
    if (notify && !this.subscriptions.isEmpty) {
      yield* this.#notify({ kind: 'delete', path: canonical, prevValue, newValue: undefined, payload, cause, chain, runner: context?.runner, descendants });
    }
    return true;
  }

  *ping(path: PathLike, opts: PingOptions | undefined, context: ChangeContext | undefined): Operation<void> {
    const canonical = this.paths.resolve(path, COMPONENT);
    const value = yield* this.readWithDefault(canonical, opts?.default);
    const cause = context?.cause ?? opts?.cause ?? 'api';
    this.checkChange(context?.chain, canonical, cause);
    const chain = extendChain(context?.chain, canonical, cause);
    const payload = opts?.payload;
    const batch = context?.batch;
    if (this.trace.active) {
      this.trace.emit({ kind: 'ping', path: canonical, value, payload, batched: batch !== undefined, cause, depth: chain.length });
    }
    if (batch !== undefined) {
      batch.recordChange(canonical, value, payload, 'ping', cause);
      return;
    }
    if (this.subscriptions.levelLists(canonical) !== undefined) {
      yield* this.#notify({ kind: 'ping', path: canonical, prevValue: value, newValue: value, payload, cause, chain, runner: context?.runner, descendants: undefined });
    }
  }

  /** S124: reports a change that already happened in the storage. */
  *notifyChange(
    path: PathLike,
    change: { prevValue: unknown; newValue: unknown; payload?: unknown; cause?: TraceCause },
    context: ChangeContext | undefined,
  ): Operation<void> {
    const canonical = this.paths.resolve(path, COMPONENT);
    const { prevValue, newValue, payload } = change;
    if (deepEqual(prevValue, newValue)) return;
    const cause = context?.cause ?? change.cause ?? 'file';
    this.checkChange(context?.chain, canonical, cause);
    const chain = extendChain(context?.chain, canonical, cause);
    const isDelete = newValue === undefined;
    const batch = context?.batch;
    const batched = batch !== undefined;
    if (this.trace.active) {
      this.trace.emit(
        isDelete
          ? { kind: 'delete', path: canonical, prevValue, existed: prevValue !== undefined, notified: !batched, payload, batched, cause, depth: chain.length }
          : { kind: 'set', path: canonical, prevValue, value: newValue, changed: true, notified: !batched, payload, batched, cause, depth: chain.length },
      );
    }
    if (this.subscriptions.isEmpty) return;
    const descendants = isDelete ? this.#descendantsInValue(canonical, prevValue) : undefined;
    if (batch !== undefined) {
      for (const descendant of descendants ?? []) batch.recordChange(descendant.path, descendant.prevValue, payload, 'descendant', cause);
      batch.recordChange(canonical, prevValue, payload, 'change', cause);
      return;
    }
    yield* this.#notify({ kind: isDelete ? 'delete' : 'set', path: canonical, prevValue, newValue, payload, cause, chain, runner: context?.runner, descendants });
  }

  /**
   * Refuses a change of `path` extending `outer` past maxDepth (S38), or as the 101st of the path in the
   * chain (S132). A derivation writing its dest on ControllerSync's plain-call path counts its own writes.
   */
  checkChange(outer: Chain | undefined, path: string, cause: TraceCause, target?: DestWriter): void {
    const length = (outer?.length ?? 0) + 1;
    if (length > this.maxDepth) throw depthLimitError(extendChain(outer, path, cause), this.maxDepth);
    if (length <= CYCLE_LIMIT) return;
    if (this.plain !== undefined) this.plain.checkWrite(outer, path, target);
    else checkWriteByWalk(outer, path);
  }

  /**
   * Refuses a run of a derivation or tracker, set off by a change with `chain`, that would be its 101st in
   * the chain (S132). ControllerSync's changes nest strictly, so it counts the system's changes being
   * delivered; ControllerAsync's chains may interleave, so it counts along the chain once it is long enough.
   */
  checkRun(system: SystemCallback, chain: Chain | undefined): void {
    if (this.plain !== undefined) this.plain.checkRun(system, chain);
    else checkRunByWalk(chain, system.id);
  }

  // ---- notification ------------------------------------------------------------------------------

  /**
   * Delivers a change: S28 step 1 when it has descendants, then each level up to the root. Without
   * `collected`, this is a whole notification: its failures are thrown together at the end (S45).
   */
  *#notify(change: Change, collected?: Delivery): Operation<void> {
    const delivery = collected ?? this.newDelivery();
    // ControllerSync counts the changes being delivered for S132, on this path as on its plain-call path.
    const counts = this.plain;
    counts?.openLink(change.path, change.runner);
    try {
      const index = this.subscriptions;
      if (change.descendants !== undefined) {
        for (const descendant of change.descendants) {
          const list = index.deliveryList(descendant.path);
          if (list.length === 0) continue;
          // S28 step 1: each descendant at its own level only.
          const emitted = { path: descendant.path, prevValue: descendant.prevValue, newValue: undefined };
          yield* this.#walk(new LevelWalk(change, emitted, delivery, [list], index.version));
        }
      }
      // One walk finds every level's list; a subscription added meanwhile makes the rest be looked up again.
      const version = index.version;
      const lists = index.levelLists(change.path);
      if (lists !== undefined) yield* this.#walk(new LevelWalk(change, change, delivery, lists, version));
    } finally {
      counts?.closeLink(change.path, change.runner);
      if (collected === undefined) delivery.close();
    }
    if (collected === undefined) finishDelivery(delivery);
  }

  /** How one notification keeps its failures and the system callbacks it ran (notification.ts). */
  newDelivery(): Delivery {
    return this.open === undefined ? new InterleavedDelivery() : new NestedDelivery(this.open);
  }

  /** Runs `fn` as one batch (S113–S117): notifications wait for the outermost batch; a failure undoes its writes. */
  *batch<R>(fn: () => R, context: ChangeContext | undefined): Operation<R> {
    const outer = context?.batch;
    const state = outer ?? new BatchState();
    const mark = state.mark;
    const inner: ChangeContext = { chain: context?.chain, cause: context?.cause, batch: state };
    let result: unknown;
    try {
      result = this.carrier.run(inner, fn);
      if (isThenable(result)) {
        if (!this.isAsync) {
          ignoreRejection(result);
          throw new RestateUsageError('batch', 'the function given to ControllerSync.batch returned a promise: its writes were undone; use ControllerAsync.batch for async work');
        }
        result = yield result;
      }
    } catch (error) {
      inner.ended = true;
      yield* state.rollback(this, mark, error);
      throw error;
    }
    inner.ended = true;
    if (outer === undefined) {
      try {
        yield* this.#flush(state, context);
      } catch (error) {
        // A chain stopped part-way (a cycle, maxDepth) is undone with the batch (S132). Failures collected
        // from callbacks are not: the flush went through every callback, and the writes stay (S45).
        if (!(error instanceof RestateCallbackError)) yield* state.rollback(this, mark, error);
        throw error;
      }
    }
    return result as R;
  }

  /** Notifies what a batch changed, each path once, with system callbacks once for the whole flush (S115). */
  *#flush(batch: BatchState, context: ChangeContext | undefined): Operation<void> {
    const delivery = this.newDelivery();
    try {
      yield* this.#deliverFlush(batch, context, delivery);
    } finally {
      delivery.close();
    }
    finishDelivery(delivery);
  }

  *#deliverFlush(batch: BatchState, context: ChangeContext | undefined, delivery: Delivery): Operation<void> {
    for (const pending of batch.changes.values()) {
      const stored = yield* this.readOld(pending.path);
      // A ping of a missing path with a default reports the default, as outside a batch (S29).
      const newValue = stored !== MISSING ? stored : pending.pingValue !== MISSING ? pending.pingValue : undefined;
      const pinged = pending.pings.length > 0;
      const unchanged = deepEqual(pending.prevValue, newValue);
      if (!pinged && unchanged) continue;
      const kind = pinged && unchanged ? 'ping' : newValue === undefined ? 'delete' : 'set';
      const cause = context?.cause ?? pending.cause;
      // The flush's changes log their writes, and those of every change they set off, in the batch (S132).
      const chain = extendChain(context?.chain, pending.path, cause, batch);
      const change: Change = { kind, path: pending.path, prevValue: pending.prevValue, newValue, payload: pending.payload, cause, chain, runner: undefined, descendants: undefined };
      if (pending.descendantOnly) {
        const list = this.subscriptions.deliveryList(pending.path);
        const emitted = { path: pending.path, prevValue: pending.prevValue, newValue };
        if (list.length > 0) yield* this.#walk(new LevelWalk(change, emitted, delivery, [list], this.subscriptions.version));
      } else {
        yield* this.#notify(change, delivery);
      }
    }
  }

  /** Drives a walk (notification.ts): system callbacks run from the driver's stack, a chain of derivations nesting a change per link (S132). */
  *#walk(walk: LevelWalk): Operation<void> {
    while (true) {
      const step = advanceWalk(this, walk);
      if (step === WALK_DONE) return;
      if (step === WALK_RUN) {
        yield new Nested(walk.system!.run(walk.trigger!, walk.delivery));
        continue;
      }
      let failed = false;
      let failure: unknown;
      try {
        yield walk.pending;
      } catch (error) {
        failed = true;
        failure = error;
      }
      settlePlain(walk, failed, failure);
    }
  }

  /** Runs user code (a transform or tracked function) on `argument` as part of a change, in the given context. */
  *callUser<A>(context: ChangeContext, what: string, fn: (argument: A) => unknown, argument: A): Operation<unknown> {
    try {
      const result = this.carrier.call(context, fn, argument);
      if (!isThenable(result)) return result;
      if (!this.isAsync) {
        ignoreRejection(result);
        throw new AsyncValueInSyncModeError(what);
      }
      return yield result;
    } finally {
      context.ended = true;
      this.clock.stale();
    }
  }

  /** S28 step 1: existing descendants of `path` that have a matching subscription, found through the index. */
  *#subscribedDescendants(path: string): Operation<{ path: string; prevValue: unknown }[]> {
    const found = new Map<string, unknown>();
    for (const relative of this.subscriptions.relativePatternsBelow(path)) {
      for (const concrete of yield* this.#expand(path, relative, 0)) {
        if (!found.has(concrete)) found.set(concrete, yield* this.readOld(concrete));
      }
    }
    return sortDeepestFirst(found);
  }

  *#expand(base: string, relative: readonly string[], index: number): Operation<string[]> {
    if (index === relative.length) return [base];
    const names = yield* this.listChildren(base);
    const segment = relative[index];
    const matches = segment === '*' ? names : names.includes(segment) ? [segment] : [];
    const result: string[] = [];
    for (const name of matches) result.push(...(yield* this.#expand(childOf(base, name), relative, index + 1)));
    return result;
  }

  /** S124: the descendants a reported delete notifies, with old values taken from the merged `prevValue`. */
  #descendantsInValue(path: string, prevValue: unknown): { path: string; prevValue: unknown }[] {
    const found = new Map<string, unknown>();
    for (const relative of this.subscriptions.relativePatternsBelow(path)) {
      const visit = (current: string, value: unknown, index: number): void => {
        if (index === relative.length) {
          found.set(current, value);
          return;
        }
        if (!isPlainObject(value)) return;
        const segment = relative[index];
        for (const name of Object.keys(value)) {
          if (name === OWN_VALUE_KEY || (segment !== '*' && segment !== name)) continue;
          visit(childOf(current, name), value[name], index + 1);
        }
      };
      visit(path, prevValue, 0);
    }
    return sortDeepestFirst(found);
  }

  // ---- callbacks and subscriptions ----------------------------------------------------------------

  registerCallback(cb: unknown, opts: { forceId?: string; replace?: boolean } | undefined): string {
    return this.callbacks.register(cb, opts?.forceId, opts?.replace === true);
  }

  subscribe(path: PathLike, cb: unknown, opts: { forceId?: string; replace?: boolean } | undefined): string {
    if (typeof cb !== 'function') {
      throw new RestateUsageError('callbacks', `subscribe(${JSON.stringify(String(path))}) needs a callback function, got ${cb === null ? 'null' : typeof cb}`);
    }
    const pattern = resolvePattern(path, COMPONENT);
    const id = this.registerCallback(cb, opts);
    this.subscriptions.add(pattern, id);
    return id;
  }

  subscribeById(path: PathLike, id: string, opts: { ignoreMissing?: boolean } | undefined): string {
    const pattern = resolvePattern(path, COMPONENT);
    if (isSystemId(id)) {
      throw new RestateIdError(id, `cannot subscribe ${pattern} to ${JSON.stringify(id)}: derivations and trackers manage their own subscriptions`);
    }
    if (this.callbacks.get(id) === undefined && opts?.ignoreMissing !== true) {
      throw new RestateIdError(id, `cannot subscribe ${pattern} to the unknown callback id ${JSON.stringify(id)} (pass { ignoreMissing: true } to subscribe before registering)`);
    }
    this.subscriptions.add(pattern, id);
    return id;
  }

  unsubscribe(path: PathLike, cbOrId: unknown): boolean {
    const pattern = resolvePattern(path, COMPONENT);
    if (typeof cbOrId === 'string') {
      // A derivation or tracker would silently stop hearing the path, and S50 refuses the other direction.
      if (isSystemId(cbOrId)) {
        throw new RestateIdError(cbOrId, `cannot unsubscribe ${JSON.stringify(cbOrId)} from ${pattern}: derivations and trackers manage their own subscriptions (use underive or untrack)`);
      }
      return this.subscriptions.remove(pattern, cbOrId);
    }
    if (typeof cbOrId !== 'function') {
      throw new RestateUsageError('callbacks', `unsubscribe(${pattern}) needs a callback function or an id`);
    }
    let removed = false;
    for (const id of this.callbacks.idsOf(cbOrId as (event: never) => unknown)) {
      if (this.subscriptions.remove(pattern, id)) removed = true;
    }
    return removed;
  }

  /** Removes a system callback and its subscriptions; returns whether it existed. */
  removeSystem(id: string): SystemCallback | undefined {
    const entry = this.callbacks.get(id);
    if (entry?.system === undefined) return undefined;
    this.callbacks.remove(id);
    this.subscriptions.removeId(id);
    for (const record of entry.system.keptSubscriptions) this.subscriptions.removeKept(record);
    return entry.system;
  }

  removeCallback(id: string): boolean {
    if (isSystemId(id)) return this.removeSystem(id) !== undefined;
    const entry = this.callbacks.remove(id);
    this.subscriptions.removeId(id);
    return entry !== undefined;
  }
}

function sortDeepestFirst(found: Map<string, unknown>): { path: string; prevValue: unknown }[] {
  const depthOf = (path: string): number => (path === '/' ? 0 : path.split('/').length - 1);
  return [...found]
    .map(([path, prevValue]) => ({ path, prevValue }))
    .sort((a, b) => depthOf(b.path) - depthOf(a.path) || compareNames(a.path, b.path));
}
