import { CYCLE_LIMIT, writeCycleError, type Chain } from './chain';
import type { ChangeContext, FieldCarrier } from './context';
import { AsyncValueInSyncModeError, ignoreRejection, isThenable, runSync, type Operation } from './drive';
import { RestateCallbackError } from './errors';
import type { GetStateOptions, SetStateOptions } from './options';
import { SyncSet, WALK_DONE, advanceWalk, finishDelivery, type Change, type DeliveryHost, type DestWriter, type OpenNotifications } from './notification';
import type { ConcretePaths, PathLike } from './path';
import { refuseRepeatedRun, type SystemCallback } from './system';
import { MISSING } from './values';
import { NOT_NOTIFIED, UNCHANGED, WRITE_START, writeValue, type WriteHost, type WriteTarget } from './write';

const COMPONENT = 'controller';

/**
 * What ControllerSync's plain-call path needs of the engine: what a set's steps and a delivery need, the
 * check of the paths callers pass, the open notifications, and the generators it hands rarer calls to.
 * Declared here, not taken from engine.ts, so that this path stays below the engine, which makes it.
 */
export interface SyncPathHost extends WriteHost, DeliveryHost {
  readonly paths: ConcretePaths;
  readonly open: OpenNotifications | undefined;
  getState(path: PathLike, opts: GetStateOptions | undefined, context: ChangeContext | undefined): Operation<unknown>;
  setState(path: PathLike, value: unknown, opts: SetStateOptions | undefined, context: ChangeContext | undefined): Operation<boolean>;
}

/**
 * ControllerSync's hot path: getState, setState and the notification it sets off, as plain calls.
 *
 * A derivation run through the generators of engine.ts passes through seven generator frames and a dozen
 * allocations, most of its cost (bench/README.md, "restate's call stack"). So when a call needs none of the
 * rarer machinery (an open batch, a trace listener), ControllerSync takes this path; a call that does is
 * handed to the generators. Neither path has steps of its own to keep in step with the other: a set's
 * steps are writeValue's (write.ts), a delivery's walk is advanceWalk's (notification.ts), a run's start
 * and end are startRun's and recordRunEnd's (system.ts). What is this path's own is how it sequences them
 * without generators: a chain of derivations' dest writes is delivered from a stack of SyncSets (#deliver)
 * rather than from drive.ts's driver, which costs a chain about a sixth more instructions per link
 * (bench/README.md, "restate's call stack"); and the counts of changes being delivered (S132). The
 * differential test runs random sequences through both.
 */
export class SyncPath {
  readonly #engine: SyncPathHost;
  readonly #carrier: FieldCarrier;
  /**
   * How many changes of each path are being delivered: ControllerSync's changes nest strictly, so these
   * are the path's writes in the current chain of causes (S132). A derivation's writes of its dest on
   * this path are counted in the derivation instead (WriteTarget), which costs a chain no map lookups.
   */
  readonly #openPaths = new Map<string, number>();

  constructor(engine: SyncPathHost, carrier: FieldCarrier) {
    this.#engine = engine;
    this.#carrier = carrier;
  }

  getState(path: PathLike, opts: GetStateOptions | undefined, context: ChangeContext | undefined): unknown {
    const engine = this.#engine;
    if (opts?.writeDefault === true) return runSync(engine.getState(path, opts, context));
    return this.getCanonical(this.#engine.paths.resolve(path, COMPONENT), opts?.default);
  }

  /** getState of a canonical path, with no default to write. */
  getCanonical(canonical: string, dflt: unknown): unknown {
    const value = settle(this.#engine.backend.read(canonical, MISSING));
    if (value !== MISSING) return value;
    return canonical === '/' ? {} : dflt;
  }

  setState(path: PathLike, value: unknown, opts: SetStateOptions | undefined, context: ChangeContext | undefined): boolean {
    const engine = this.#engine;
    if (context?.batch !== undefined || engine.trace.active) return runSync(engine.setState(path, value, opts, context));
    const canonical = this.#engine.paths.resolve(path, COMPONENT);
    return this.setCanonical(canonical, value, opts, context?.chain, context?.cause ?? opts?.cause ?? 'api', undefined, context?.runner);
  }

  /**
   * setState for a path already known to be canonical, outside a batch, with no trace listener. A caller
   * that writes the same path again and again (a derivation, its dest) passes what it keeps for it.
   */
  setCanonical(
    canonical: string,
    value: unknown,
    opts: SetStateOptions | undefined,
    chain: Change['chain'] | undefined,
    cause: Change['cause'],
    target?: WriteTarget,
    runner?: SystemCallback,
  ): boolean {
    const written = this.writeCanonical(canonical, value, opts, chain, cause, target, runner);
    if (typeof written === 'boolean') return written;
    this.#deliver(written);
    return true;
  }

  /**
   * setCanonical's write without its delivery: false if the value was equal, true if there is nothing to
   * notify, else the change, opened, which the caller must have delivered (a derivation's run returns it).
   * The write's steps are writeValue's (write.ts), which the generators run too; this path makes the
   * change it reports a SyncSet.
   */
  writeCanonical(
    canonical: string,
    value: unknown,
    opts: SetStateOptions | undefined,
    chain: Change['chain'] | undefined,
    cause: Change['cause'],
    target: WriteTarget | undefined,
    runner: SystemCallback | undefined,
  ): boolean | SyncSet {
    // No PendingWrite: ControllerSync refuses a backend's promise, and no batch is open on this path.
    const prevValue = writeValue(this.#engine, canonical, value, opts, chain, cause, undefined, target, WRITE_START, undefined);
    if (prevValue === UNCHANGED) return false;
    if (prevValue === NOT_NOTIFIED) return true;
    return this.openChange(canonical, prevValue, value, opts, chain, cause, target, runner) ?? true;
  }

  /**
   * The change a write reported by writeValue makes, opened (counted as being delivered, S132), or undefined
   * if nobody listens at its path or above. A derivation's run calls writeValue and this itself, one call
   * fewer per link of a chain than through writeCanonical.
   */
  openChange(
    canonical: string,
    prevValue: unknown,
    value: unknown,
    opts: SetStateOptions | undefined,
    chain: Change['chain'] | undefined,
    cause: Change['cause'],
    target: WriteTarget | undefined,
    runner: SystemCallback | undefined,
  ): SyncSet | undefined {
    const engine = this.#engine;
    const index = engine.subscriptions;
    const lists = target === undefined ? index.levelLists(canonical) : index.levelListsVia(canonical, target);
    if (lists === undefined) return undefined;
    const change = new SyncSet(canonical, prevValue, value, opts?.payload, cause, chain, lists, index.version, runner, target, engine.open!);
    if (target !== undefined) target.openDestLinks++;
    else this.openLink(canonical, runner);
    return change;
  }

  /** Refuses a write of `path` that would be its CYCLE_LIMIT + 1st in the chain it extends (S132). */
  checkWrite(outer: Chain | undefined, path: string, target: DestWriter | undefined): void {
    if (outer === undefined || outer.length < CYCLE_LIMIT) return;
    let count = this.#openPaths.get(path) ?? 0;
    const destCount = target ?? this.#derivationOf(path);
    if (destCount !== undefined) count += destCount.openDestLinks;
    if (count >= CYCLE_LIMIT) throw writeCycleError(outer, path);
  }

  /** Refuses a run of `system` that would be its CYCLE_LIMIT + 1st in the chain that set it off (S132). */
  checkRun(system: SystemCallback, chain: Chain | undefined): void {
    refuseRepeatedRun(system, chain);
  }

  /** Counts a change being delivered (S132): by path, and for the derivation or tracker that made it. */
  openLink(path: string, runner: SystemCallback | undefined): void {
    if (runner !== undefined) runner.openLinks++;
    const open = this.#openPaths;
    open.set(path, (open.get(path) ?? 0) + 1);
  }

  closeLink(path: string, runner: SystemCallback | undefined): void {
    if (runner !== undefined) runner.openLinks--;
    const open = this.#openPaths;
    const count = (open.get(path) ?? 1) - 1;
    if (count === 0) open.delete(path);
    else open.set(path, count);
  }

  /** The derivation whose dest `path` is, which counts its own writes of it. */
  #derivationOf(path: string): DestWriter | undefined {
    const system = this.#engine.callbacks.get(`derive:${path}`)?.system;
    return system?.kind === 'derivation' ? (system as unknown as DestWriter) : undefined;
  }

  /**
   * Delivers `first` and every change a derivation's dest write makes during it, from a stack of changes
   * rather than nested calls: a change that a derivation's run returns is delivered before the one it
   * interrupted goes on (S63), and ends that run when done. Depth-first, as nested calls would be.
   */
  #deliver(first: SyncSet): void {
    let change = first;
    while (true) {
      let nested: SyncSet | undefined;
      try {
        nested = this.#advance(change);
      } catch (error) {
        change = this.#unwind(change, first, error);
        continue;
      }
      if (nested !== undefined) {
        nested.parentChange = change;
        change = nested;
        continue;
      }
      this.#close(change);
      if (change === first) {
        finishDelivery(change);
        return;
      }
      const parent = change.parentChange!;
      try {
        // As when the dest write threw its notification's failures into the run: they are the run's (S45).
        const failed = change.failed;
        change.writer!.endRun(parent.trigger!, parent, change.runStarted, failed, failed ? new RestateCallbackError(change.failures) : undefined);
      } catch (error) {
        change = this.#unwind(parent, first, error);
        continue;
      }
      change = parent;
    }
  }

  /**
   * An error escaped `change`'s delivery: it ends the run that made the change, which collects it into the
   * change it interrupted, where delivery goes on (returned), or rethrows it (a RestateCycleError) to the
   * next one out, up to `first`, whose caller gets it.
   */
  #unwind(change: SyncSet, first: SyncSet, error: unknown): SyncSet {
    let current = change;
    let thrown = error;
    while (true) {
      this.#close(current);
      if (current === first) throw thrown;
      const parent = current.parentChange!;
      try {
        current.writer!.endRun(parent.trigger!, parent, current.runStarted, true, thrown);
        return parent;
      } catch (next) {
        thrown = next;
        current = parent;
      }
    }
  }

  #close(change: SyncSet): void {
    change.close();
    const writer = change.writer;
    if (writer !== undefined) writer.openDestLinks--;
    else this.closeLink(change.path, change.runner);
  }

  /**
   * Delivers `change` from where it stands (advanceWalk), running system callbacks as plain calls. Stops
   * when a derivation's run returns its dest write's change, which is returned to be delivered first, with
   * the level's place kept. Undefined once the root is done.
   */
  #advance(change: SyncSet): SyncSet | undefined {
    // A SyncSet's walk never waits (advanceWalk refuses a plain callback's promise) and runs its system
    // callbacks itself: it ends, or stops for a nested change.
    const step = advanceWalk(this.#engine, change);
    return step === WALK_DONE ? undefined : (step as SyncSet);
  }

  /**
   * Runs a transform or tracked function as part of a change, in `context`; `what` names it if it returns
   * a promise, which ControllerSync cannot wait for.
   */
  callUser<A>(context: ChangeContext, fn: (argument: A) => unknown, argument: A, what: string): unknown {
    const previous = this.#carrier.enter(context);
    try {
      const result = fn(argument);
      if (isThenable(result)) {
        ignoreRejection(result);
        throw new AsyncValueInSyncModeError(what);
      }
      return result;
    } finally {
      this.#carrier.leave(previous);
      context.ended = true;
      this.#engine.clock.stale();
    }
  }

  /** A backend read as it is, or the backend refused for returning a promise. */
  read(canonical: string): unknown {
    return settle(this.#engine.backend.read(canonical, MISSING));
  }
}

function settle(value: unknown): unknown {
  if (isThenable(value)) {
    ignoreRejection(value);
    throw new AsyncValueInSyncModeError('the backend');
  }
  return value;
}
