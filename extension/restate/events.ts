import type { ControllerAsync, ControllerSync } from './controller';
import type { DelStateOptions, GetStateOptions, SetStateOptions } from './options';
import type { PathLike } from './path';

/** Either controller. */
export type AnyController = ControllerSync | ControllerAsync;
/** What an event helper returns: `T` for ControllerSync, a promise of it for ControllerAsync. */
export type Result<C extends AnyController, T> = C extends ControllerAsync ? Promise<T> : T;

/** What a callback receives (S40). `C` is the controller kind: helpers return promises for ControllerAsync. */
export interface StateEvent<C extends AnyController = ControllerSync> {
  /** The controller that delivers the event. */
  readonly controller: C;
  /** The path that was set, deleted or pinged. */
  readonly emittingPath: string;
  /** The level being delivered. */
  readonly currentPath: string;
  /** The value at `emittingPath` before the change (`undefined`: none). */
  readonly prevValue: unknown;
  /** `undefined` after a delete. */
  readonly newValue: unknown;
  /** The `payload` option of the call that made the change. */
  readonly payload: unknown;
  /** `false` after stopBubbling(). */
  readonly bubbling: boolean;
  /** Stops delivery to the levels above this one (derivations and trackers still run) (S42). */
  stopBubbling(): void;
  /** The controller's getState; in a tracker, the path read is followed (S67). */
  getState(path: PathLike, opts?: GetStateOptions): Result<C, unknown>;
  /** The controller's setState, as a change nested in this one (S36, S43). */
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): Result<C, boolean>;
  /** The controller's delState, as a change nested in this one (S36, S43). */
  delState(path: PathLike, opts?: DelStateOptions): Result<C, boolean>;
}

/** A subscriber. Its result is ignored by ControllerSync and awaited by ControllerAsync. */
export type StateCallback<C extends AnyController = ControllerSync> = (event: StateEvent<C>) => unknown;

interface EventController {
  getState(path: PathLike, opts?: GetStateOptions): unknown;
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): unknown;
  delState(path: PathLike, opts?: DelStateOptions): unknown;
}

/**
 * The one event implementation for both controllers; helpers forward to the controller (S43). One is made
 * per callback level, and a tracked run is one (track.ts), so its public fields are declared rather than
 * defined: the constructor's assignments are then all it costs.
 */
export class ControllerEvent {
  declare readonly controller: AnyController;
  declare readonly emittingPath: string;
  declare readonly currentPath: string;
  declare readonly prevValue: unknown;
  declare readonly newValue: unknown;
  declare readonly payload: unknown;
  #bubbling: boolean;

  constructor(
    controller: AnyController,
    emittingPath: string,
    currentPath: string,
    prevValue: unknown,
    newValue: unknown,
    payload: unknown,
    bubbling: boolean,
  ) {
    this.controller = controller;
    this.emittingPath = emittingPath;
    this.currentPath = currentPath;
    this.prevValue = prevValue;
    this.newValue = newValue;
    this.payload = payload;
    this.#bubbling = bubbling;
  }

  get bubbling(): boolean {
    return this.#bubbling;
  }

  stopBubbling(): void {
    this.#bubbling = false;
  }

  getState(path: PathLike, opts?: GetStateOptions): unknown {
    return (this.controller as EventController).getState(path, opts);
  }

  setState(path: PathLike, value: unknown, opts?: SetStateOptions): unknown {
    return eventSetState(this.controller, path, value, opts);
  }

  delState(path: PathLike, opts?: DelStateOptions): unknown {
    return eventDelState(this.controller, path, opts);
  }
}

/** An event's setState: the controller's (S43). Shared with a tracked run's event (track.ts). */
export function eventSetState(controller: AnyController, path: PathLike, value: unknown, opts: SetStateOptions | undefined): unknown {
  return (controller as EventController).setState(path, value, opts);
}

/** An event's delState: the controller's (S43). */
export function eventDelState(controller: AnyController, path: PathLike, opts: DelStateOptions | undefined): unknown {
  return (controller as EventController).delState(path, opts);
}
