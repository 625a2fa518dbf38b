import type { DelStateOptions, GetStateOptions, SetStateOptions } from './options';
import type { PathLike } from './path';

/**
 * What an event needs of its controller (S43): the public types of events (StateEvent, in controller.ts)
 * say which controller it is.
 */
export interface EventController {
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
  declare readonly controller: EventController;
  declare readonly emittingPath: string;
  declare readonly currentPath: string;
  declare readonly prevValue: unknown;
  declare readonly newValue: unknown;
  declare readonly payload: unknown;
  #bubbling: boolean;

  constructor(
    controller: EventController,
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
    return this.controller.getState(path, opts);
  }

  setState(path: PathLike, value: unknown, opts?: SetStateOptions): unknown {
    return eventSetState(this.controller, path, value, opts);
  }

  delState(path: PathLike, opts?: DelStateOptions): unknown {
    return eventDelState(this.controller, path, opts);
  }
}

/** An event's setState: the controller's (S43). Shared with a tracked run's event (track.ts). */
export function eventSetState(controller: EventController, path: PathLike, value: unknown, opts: SetStateOptions | undefined): unknown {
  return controller.setState(path, value, opts);
}

/** An event's delState: the controller's (S43). */
export function eventDelState(controller: EventController, path: PathLike, opts: DelStateOptions | undefined): unknown {
  return controller.delState(path, opts);
}
