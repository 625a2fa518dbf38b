import { AsyncLocalStorage } from 'node:async_hooks';
import type { AnyBackend } from './backends/backend';
import { deleteStep, listStep, readStep, readTolerantStep, writeStep } from './backends/drive';
import { CallbackStore, isSystemId } from './callbacks';
import { BatchState } from './batch';
import { CYCLE_LIMIT, checkRunByWalk, checkWriteByWalk, depthLimitError, extendChain, type Chain } from './chain';
import { AsyncValueInSyncModeError, Nested, ignoreRejection, isThenable, runAsync, runSync, type Operation } from './drive';
import {
  RestateCallbackError,
  RestateFormatError,
  RestateIdError,
  RestateUsageError,
  RestateValueError,
} from './errors';
import type { DelStateOptions, GetStateOptions, PingOptions, SetStateOptions } from './options';
import { ConcretePaths, childOf, resolvePattern, type PathLike } from './path';
import { InterleavedDelivery, LevelWalk, type DestWriter, NestedDelivery, OpenNotifications, WALK_DONE, WALK_RUN, advanceWalk, finishDelivery, settlePlain, type Change, type Delivery } from './notification';
import { SubscriptionIndex } from './subscriptions';
import { SharedReading, type SystemCallback } from './system';
import { SyncPath, type WriteTarget } from './syncPath';
import { TraceHub, type TraceCause } from './trace';
import { MISSING, OWN_VALUE_KEY, compareNames, deepEqual, isPlainObject } from './values';
import type { EventController } from './events';

const COMPONENT = 'controller';

/**
 * Where a call is made from. A call made while a callback, transform or tracked function runs is a nested
 * change (S36); its context tells the chain of changes above it (S38) and who acts (S122).
 */
export interface ChangeContext {
  /** The enclosing change's chain of causes; `undefined` at the top level. */
  readonly chain: Chain | undefined;
  /** Who acts for writes made in this context; `undefined` leaves it to the call's `cause` option. */
  readonly cause: TraceCause | undefined;
  /** The open batch that writes made in this context join (S113). */
  readonly batch?: BatchState;
  /** The derivation or tracker whose run this is, which ControllerSync counts changes for (S132). */
  readonly runner?: SystemCallback;
  /**
   * Set once the callback, transform or batch function that ran in this context has finished. Work it left
   * behind (a timer, an unawaited promise) still sees the context through AsyncLocalStorage, but its writes
   * are new top-level changes, not nested ones, and join no batch.
   */
  ended?: boolean;
}

/** Carries the current ChangeContext: a plain field for ControllerSync, AsyncLocalStorage for ControllerAsync. */
interface ContextCarrier {
  current(): ChangeContext | undefined;
  run<R>(context: ChangeContext, fn: () => R): R;
  /** `run` of `fn(argument)`, without a closure. */
  call<A, R>(context: ChangeContext, fn: (argument: A) => R, argument: A): R;
}

export class FieldCarrier implements ContextCarrier {
  #context: ChangeContext | undefined;

  current(): ChangeContext | undefined {
    return this.#context;
  }

  /** Makes `context` current and returns the one to give back to `leave`: `run` without a closure. */
  enter(context: ChangeContext): ChangeContext | undefined {
    const previous = this.#context;
    this.#context = context;
    return previous;
  }

  leave(previous: ChangeContext | undefined): void {
    this.#context = previous;
  }

  run<R>(context: ChangeContext, fn: () => R): R {
    const previous = this.#context;
    this.#context = context;
    try {
      return fn();
    } finally {
      this.#context = previous;
    }
  }

  call<A, R>(context: ChangeContext, fn: (argument: A) => R, argument: A): R {
    const previous = this.#context;
    this.#context = context;
    try {
      return fn(argument);
    } finally {
      this.#context = previous;
    }
  }
}

class AsyncContextCarrier implements ContextCarrier {
  readonly #storage = new AsyncLocalStorage<ChangeContext>();

  current(): ChangeContext | undefined {
    const context = this.#storage.getStore();
    return context?.ended === true ? undefined : context;
  }

  run<R>(context: ChangeContext, fn: () => R): R {
    return this.#storage.run(context, fn);
  }

  call<A, R>(context: ChangeContext, fn: (argument: A) => R, argument: A): R {
    return this.#storage.run(context, fn, argument);
  }
}

/**
 * The algorithms behind both controllers, each written once: as a generator (see drive.ts), which the
 * public classes in controller.ts drive synchronously or asynchronously, or, for a set's steps, which
 * ControllerSync's plain-call path also runs, as plain calls that wait only for a promise (writeValue).
 */
export class Engine {
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
    let outcome = writeValue(this, canonical, value, opts, context?.chain, cause, context?.batch, undefined);
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

/**
 * setState's refusal of a value that is no value (S13). The error is made elsewhere: kept this small, the
 * check is inlined into a derivation's run along with the rest of its write.
 */
export function refuseUnset(canonical: string, value: unknown): void {
  if (value === undefined || value === MISSING) throw unsetValueError(canonical, value);
}

function unsetValueError(canonical: string, value: unknown): RestateValueError {
  return new RestateValueError(COMPONENT, canonical, `cannot set ${canonical} to ${value === undefined ? 'undefined' : 'MISSING'}: use delState to remove a value`);
}

/** writeValue's answer for a value equal to the stored one: nothing was written. */
export const UNCHANGED: unique symbol = Symbol('unchanged');
/** writeValue's answer for a write that notifies nobody: skipNotify, or joined to a batch that notifies it later. */
export const NOT_NOTIFIED: unique symbol = Symbol('not notified');

/** writeValue's answer once a step returned a promise (ControllerAsync): what it settles to. */
export interface SettledWrite {
  readonly outcome: unknown;
}

export class PendingWrite {
  constructor(readonly settled: Promise<SettledWrite>) {}
}

/** Where writeValue takes its steps up again once a promise settled (ControllerAsync): after the read, the log, the write. */
export const WRITE_START = 0;
const WRITE_READ = 1;
const WRITE_LOGGED = 2;
const WRITE_STORED = 3;

/**
 * The steps of a set (S13, S18, S113, S131, S132), the one statement of them that both paths run: the
 * generator setState and ControllerSync's plain-call path (SyncPath.writeCanonical), which deliver what it
 * reports each in their own way. Plain calls while every step answers at once; when a backend call returns
 * a promise, ControllerSync refuses it, and for ControllerAsync the steps go on from there when it settles
 * (`from`, with the `stored` value read), the answer being a PendingWrite. The answer: UNCHANGED,
 * NOT_NOTIFIED, or the old value of a change to notify.
 *
 * Plain calls rather than a generator, and one function rather than one per step, because a derivation's
 * run on the plain-call path writes its dest through it once per link of a chain: a generator's frame and
 * object, or a call per step, would be a large part of the write's cost (bench/README.md, "restate's call
 * stack"). A `target` (a derivation writing its dest) reads and writes through the backend's handle on the
 * path and counts its own writes (S132).
 */
export function writeValue(
  engine: Engine,
  canonical: string,
  value: unknown,
  opts: SetStateOptions | undefined,
  chain: Chain | undefined,
  cause: TraceCause,
  batch: BatchState | undefined,
  target: WriteTarget | undefined,
  from = WRITE_START,
  resumedStored?: unknown,
): unknown {
  let stored = resumedStored;
  if (from === WRITE_START) {
    // The runs this change sets off must not take their start from a reading made before it.
    engine.clock.stale();
    refuseUnset(canonical, value);
    const handle = target?.handle;
    try {
      stored = handle !== undefined ? handle.read() : engine.backend.read(canonical, MISSING);
    } catch (error) {
      stored = readUnparsable(engine, canonical, error);
    }
    if (isThenable(stored)) return writeLater(readLater(engine, canonical, stored), engine, canonical, value, opts, chain, cause, batch, target, WRITE_READ, undefined);
  }
  const prevValue = previousOf(canonical, stored, opts);
  if (from <= WRITE_READ) {
    if (isUnchanged(value, prevValue, opts)) {
      if (engine.trace.active) {
        engine.trace.emit({ kind: 'set', path: canonical, prevValue, value, changed: false, notified: false, payload: opts?.payload, batched: false, cause, depth: (chain?.length ?? 0) + 1 });
      }
      return UNCHANGED;
    }
    engine.checkChange(chain, canonical, cause, target);
    // A write in a batch, or in a batch's flush, is logged there, to be undone if the batch fails (S116, S132).
    const log = batch ?? chain?.log;
    if (log !== undefined) {
      if (engine.isAsync) {
        return writeLater(runAsync(log.beforeWrite(engine, canonical, stored)), engine, canonical, value, opts, chain, cause, batch, target, WRITE_LOGGED, stored);
      }
      runSync(log.beforeWrite(engine, canonical, stored));
    }
  }
  if (from <= WRITE_LOGGED) {
    const handle = target?.handle;
    if (handle !== undefined) handle.write(value);
    else {
      const written = engine.backend.write(canonical, value);
      if (isThenable(written)) return writeLater(later(engine, written), engine, canonical, value, opts, chain, cause, batch, target, WRITE_STORED, stored);
    }
  }
  // Written: a batch records the change for its flush (S115); the trace is told.
  const notify = opts?.skipNotify !== true;
  if (batch !== undefined && notify) batch.recordChange(canonical, stored === MISSING ? undefined : stored, opts?.payload, 'change', cause);
  if (engine.trace.active) {
    const batched = batch !== undefined;
    engine.trace.emit({ kind: 'set', path: canonical, prevValue, value, changed: true, notified: notify && !batched, payload: opts?.payload, batched, cause, depth: (chain?.length ?? 0) + 1 });
  }
  return notify && batch === undefined ? prevValue : NOT_NOTIFIED;
}

/**
 * writeValue's steps from `from` on, once `step` settles: the stored value it read (WRITE_READ), or `stored`.
 * A function of its own so that writeValue holds no closure over its arguments, which would make V8 allocate
 * them a context on every call, on the plain-call path too.
 */
function writeLater(
  step: Promise<unknown>,
  engine: Engine,
  canonical: string,
  value: unknown,
  opts: SetStateOptions | undefined,
  chain: Chain | undefined,
  cause: TraceCause,
  batch: BatchState | undefined,
  target: WriteTarget | undefined,
  from: number,
  stored: unknown,
): PendingWrite {
  return pending(step.then((settled) => writeValue(engine, canonical, value, opts, chain, cause, batch, target, from, from === WRITE_READ ? settled : stored)));
}

/** A backend read's promise (ControllerAsync), with S131's tolerant read of a value that cannot be parsed. */
function readLater(engine: Engine, canonical: string, stored: PromiseLike<unknown>): Promise<unknown> {
  return later(engine, stored).then(undefined, (error: unknown) => readUnparsable(engine, canonical, error));
}

/** S131: a stored value that cannot be parsed is overwritten all the same; its old value is read tolerantly. */
function readUnparsable(engine: Engine, canonical: string, error: unknown): unknown {
  if (!(error instanceof RestateFormatError)) throw error;
  return engine.isAsync ? runAsync(engine.readOld(canonical)) : runSync(engine.readOld(canonical));
}

/** A backend call's promise, which ControllerSync refuses (S39) and ControllerAsync waits for. */
function later(engine: Engine, thenable: PromiseLike<unknown>): Promise<unknown> {
  if (!engine.isAsync) {
    ignoreRejection(thenable);
    throw new AsyncValueInSyncModeError('the backend');
  }
  return Promise.resolve(thenable);
}

/** The rest of writeValue's steps, once `rest` settles; boxed, so that an old value is never taken for a promise to adopt. */
function pending(rest: Promise<unknown>): PendingWrite {
  return new PendingWrite(rest.then((outcome) => (outcome instanceof PendingWrite ? outcome.settled : { outcome })));
}

/** What a set compares with and reports as the old value: the stored value, else the default; the root at least {} (S18). */
export function previousOf(canonical: string, stored: unknown, opts: SetStateOptions | undefined): unknown {
  return stored !== MISSING ? stored : canonical === '/' ? {} : opts?.default;
}

/** Whether a set changes nothing (S18): eqFunc's verdict, or deepEqual's. */
export function isUnchanged(value: unknown, prevValue: unknown, opts: SetStateOptions | undefined): boolean {
  return opts?.eqFunc === undefined ? deepEqual(value, prevValue) : Boolean(opts.eqFunc(value, prevValue));
}

function sortDeepestFirst(found: Map<string, unknown>): { path: string; prevValue: unknown }[] {
  const depthOf = (path: string): number => (path === '/' ? 0 : path.split('/').length - 1);
  return [...found]
    .map(([path, prevValue]) => ({ path, prevValue }))
    .sort((a, b) => depthOf(b.path) - depthOf(a.path) || compareNames(a.path, b.path));
}
