import type { ControllerAsync, ControllerSync } from './controller';
import type { PathLike } from './path';
import type { Cause } from './trace';

/** `(newValue, prevValue)`: truthy means equal, and the write is skipped (S25). */
export type EqualityFunction = (newValue: unknown, prevValue: unknown) => unknown;

export interface GetStateOptions<T = unknown> {
  default?: T;
  writeDefault?: boolean;
}
export interface SetStateOptions {
  eqFunc?: EqualityFunction;
  default?: unknown;
  payload?: unknown;
  skipNotify?: boolean;
  cause?: Cause;
}
export interface DelStateOptions {
  payload?: unknown;
  skipNotify?: boolean;
  cause?: Cause;
}
export interface PingOptions {
  default?: unknown;
  payload?: unknown;
  cause?: Cause;
}

type AnyController = ControllerSync | ControllerAsync;
type Result<C extends AnyController, T> = C extends ControllerAsync ? Promise<T> : T;

/** What a callback receives (S40). `C` is the controller kind: helpers return promises for ControllerAsync. */
export interface StateEvent<C extends AnyController = ControllerSync> {
  readonly controller: C;
  /** The path that was set, deleted or pinged. */
  readonly emittingPath: string;
  /** The level being delivered. */
  readonly currentPath: string;
  readonly prevValue: unknown;
  /** `undefined` after a delete. */
  readonly newValue: unknown;
  readonly payload: unknown;
  /** `false` after stopBubbling(). */
  readonly bubbling: boolean;
  stopBubbling(): void;
  getState(path: PathLike, opts?: GetStateOptions): Result<C, unknown>;
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): Result<C, boolean>;
  delState(path: PathLike, opts?: DelStateOptions): Result<C, boolean>;
}

/** A subscriber. Its result is ignored by ControllerSync and awaited by ControllerAsync. */
export type StateCallback<C extends AnyController = ControllerSync> = (event: StateEvent<C>) => unknown;

interface EventController {
  getState(path: PathLike, opts?: GetStateOptions): unknown;
  setState(path: PathLike, value: unknown, opts?: SetStateOptions): unknown;
  delState(path: PathLike, opts?: DelStateOptions): unknown;
}

/** What a tracked callback's event reads through, recording each path it reads (S66). */
export interface ReadRecorder {
  /** Records the read and reads, as the controller's getState would. */
  read(path: PathLike, opts: GetStateOptions | undefined): unknown;
}

/**
 * The one event implementation for both controllers; helpers forward to the controller (S43). One is made
 * per callback level and per tracked run, so its public fields are declared rather than defined: the
 * constructor's assignments are then all it costs.
 */
export class ControllerEvent {
  declare readonly controller: AnyController;
  declare readonly emittingPath: string;
  declare readonly currentPath: string;
  declare readonly prevValue: unknown;
  declare readonly newValue: unknown;
  declare readonly payload: unknown;
  #bubbling: boolean;
  /** A tracked callback's event records into this the paths it reads (S66). */
  readonly #reads: ReadRecorder | undefined;

  constructor(
    controller: AnyController,
    emittingPath: string,
    currentPath: string,
    prevValue: unknown,
    newValue: unknown,
    payload: unknown,
    bubbling: boolean,
    reads?: ReadRecorder,
  ) {
    this.controller = controller;
    this.emittingPath = emittingPath;
    this.currentPath = currentPath;
    this.prevValue = prevValue;
    this.newValue = newValue;
    this.payload = payload;
    this.#bubbling = bubbling;
    this.#reads = reads;
  }

  get bubbling(): boolean {
    return this.#bubbling;
  }

  stopBubbling(): void {
    this.#bubbling = false;
  }

  getState(path: PathLike, opts?: GetStateOptions): unknown {
    if (this.#reads !== undefined) return this.#reads.read(path, opts);
    return (this.controller as EventController).getState(path, opts);
  }

  setState(path: PathLike, value: unknown, opts?: SetStateOptions): unknown {
    return (this.controller as EventController).setState(path, value, opts);
  }

  delState(path: PathLike, opts?: DelStateOptions): unknown {
    return (this.controller as EventController).delState(path, opts);
  }
}
