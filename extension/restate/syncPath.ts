import { extendChain, chainPaths } from './chain';
import { AsyncValueInSyncModeError, ignoreRejection, isThenable, runSync } from './drive';
import { RestateCycleError, RestateFormatError, RestateValueError } from './errors';
import type { ChangeContext, Engine, FieldCarrier } from './engine';
import { ControllerEvent, type GetStateOptions, type SetStateOptions } from './events';
import { SyncSet, collectFailure, finishDelivery, triggerAt, type Change } from './notification';
import { ancestorAt, resolveConcretePath, type PathLike } from './path';
import type { ValueHandle } from './backends/backend';
import type { LevelLists, PathLevels, Subscription } from './subscriptions';
import { clockReadingStale, type Trigger } from './system';
import { MISSING, deepEqual } from './values';

const COMPONENT = 'controller';

/** What a caller that writes one path again and again keeps for it: its level lists, and the backend's handle on it if there is one. */
export interface WriteTarget extends PathLevels {
  readonly handle: ValueHandle | undefined;
}

/**
 * ControllerSync's hot path: getState, setState and the notification it sets off, as plain calls.
 *
 * The generators in engine.ts are the one complete statement of every algorithm, and both controllers can
 * run them. But a derivation that runs synchronously would otherwise pass through seven generator frames
 * and a dozen allocations, most of its cost (bench/README.md, "restate's call stack"). So when a call
 * needs none of the rarer machinery (an open batch, a trace listener), ControllerSync takes this path; a
 * call that does need it is handed to the generators, which stay correct under ControllerSync. Every
 * scenario of the unit tests runs on both controllers, which keeps the two in step.
 */
export class SyncPath {
  readonly #engine: Engine;
  readonly #carrier: FieldCarrier;

  constructor(engine: Engine, carrier: FieldCarrier) {
    this.#engine = engine;
    this.#carrier = carrier;
  }

  getState(path: PathLike, opts: GetStateOptions | undefined, context: ChangeContext | undefined): unknown {
    const engine = this.#engine;
    if (opts?.writeDefault === true) return runSync(engine.getState(path, opts, context));
    return this.getCanonical(resolveConcretePath(path, COMPONENT), opts?.default);
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
    const canonical = resolveConcretePath(path, COMPONENT);
    return this.setCanonical(canonical, value, opts, context?.chain, context?.cause ?? opts?.cause ?? 'api');
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
  ): boolean {
    const engine = this.#engine;
    // The runs this change sets off must not take their start from a reading made before it.
    clockReadingStale();
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, canonical, `cannot set ${canonical} to ${value === undefined ? 'undefined' : 'MISSING'}: use delState to remove a value`);
    }
    const handle = target?.handle;
    let stored: unknown;
    try {
      stored = handle !== undefined ? handle.read() : settle(engine.backend.read(canonical, MISSING));
    } catch (error) {
      // S131: a value that cannot be parsed is overwritten all the same.
      if (!(error instanceof RestateFormatError)) throw error;
      stored = runSync(engine.readOld(canonical));
    }
    const prevValue = stored !== MISSING ? stored : canonical === '/' ? {} : opts?.default;
    if (opts?.eqFunc === undefined ? deepEqual(value, prevValue) : opts.eqFunc(value, prevValue)) return false;
    const depth = (chain?.length ?? 0) + 1;
    if (depth > engine.maxDepth) throw new RestateCycleError(chainPaths(extendChain(chain, canonical)), engine.maxDepth);
    if (handle !== undefined) handle.write(value);
    else settle(engine.backend.write(canonical, value));
    if (opts?.skipNotify === true) return true;
    const lists = target === undefined ? engine.subscriptions.levelLists(canonical) : engine.subscriptions.levelListsVia(canonical, target);
    if (lists === undefined) return true;
    const change = new SyncSet(canonical, prevValue, value, opts?.payload, cause, chain);
    try {
      this.#deliverLevels(change, lists);
    } finally {
      change.close();
    }
    finishDelivery(change);
    return true;
  }

  /** Each level from the path up to the root; a level's path is sliced only when someone is there. */
  #deliverLevels(change: SyncSet, lists: LevelLists): void {
    const index = this.#engine.subscriptions;
    const version = index.version;
    const path = change.path;
    const last = lists.length - 1;
    let bubbling = true;
    for (let depth = last; depth >= 0; depth--) {
      if (index.version === version) {
        const list = lists[depth];
        if (list !== undefined && list.length > 0) bubbling = this.#deliverLevel(change, depth === last ? path : ancestorAt(path, depth), list, bubbling);
      } else {
        const level = depth === last ? path : ancestorAt(path, depth);
        const list = index.deliveryList(level);
        if (list.length > 0) bubbling = this.#deliverLevel(change, level, list, bubbling);
      }
    }
  }

  /** engine.ts's #deliverLevel for a set, as plain calls. The change is its own delivery. */
  #deliverLevel(change: SyncSet, level: string, list: readonly Subscription[], bubbling: boolean): boolean {
    const engine = this.#engine;
    let event: ControllerEvent | undefined;
    let trigger: Trigger | undefined;
    for (const subscription of list) {
      if (!subscription.live) continue;
      const id = subscription.id;
      const entry = engine.callbacks.entryOf(subscription);
      if (entry === undefined) continue;
      // Read from the subscription, which this loop has in hand, rather than from the entry.
      const system = subscription.system;
      if (system !== undefined) {
        if (!change.claimSystem(system)) continue;
        trigger ??= level === change.path ? change : triggerAt(change, change, level);
        system.runNow(trigger, change);
        continue;
      }
      if (event === undefined) {
        if (!bubbling) continue;
        event = new ControllerEvent(engine.facade, change.path, level, change.prevValue, change.newValue, change.payload, bubbling);
      }
      if (!event.bubbling) continue;
      const context: ChangeContext = { chain: change.chain, cause: entry.cause };
      const fn = entry.fn as (event: ControllerEvent) => unknown;
      try {
        const previous = this.#carrier.enter(context);
        let result: unknown;
        try {
          result = fn(event);
        } finally {
          this.#carrier.leave(previous);
          context.ended = true;
          clockReadingStale();
        }
        if (isThenable(result)) {
          ignoreRejection(result);
          throw new AsyncValueInSyncModeError(`the callback ${id}`);
        }
      } catch (error) {
        if (error instanceof RestateCycleError) throw error;
        collectFailure(change.failures, id, level, change.path, error);
      }
    }
    return event === undefined ? bubbling : event.bubbling;
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
      clockReadingStale();
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
