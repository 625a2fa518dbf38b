import type { Cause } from './trace';

/** `(newValue, prevValue)`: truthy means equal, and the write is skipped (S25). */
export type EqualityFunction = (newValue: unknown, prevValue: unknown) => unknown;

/** Options of `getState`. */
export interface GetStateOptions<T = unknown> {
  /** What to return for a missing node (default `undefined`). */
  default?: T;
  /** Also write `default` to the missing node, notifying as a setState would. */
  writeDefault?: boolean;
}
/** Options of `setState`. */
export interface SetStateOptions {
  /** How to compare the new value with the old one (default {@link deepEqual}); equal means no write (S25). */
  eqFunc?: EqualityFunction;
  /** The old value to compare with when the node is missing. */
  default?: unknown;
  /** Anything, handed to the callbacks in their event and to the trace. */
  payload?: unknown;
  /** Write without notifying subscribers, derivations or trackers. */
  skipNotify?: boolean;
  /** Who the write is reported as coming from (default `'api'`). */
  cause?: Cause;
}
/** Options of `delState`. */
export interface DelStateOptions {
  /** Anything, handed to the callbacks in their event and to the trace. */
  payload?: unknown;
  /** Delete without notifying subscribers, derivations or trackers. */
  skipNotify?: boolean;
  /** Who the delete is reported as coming from (default `'api'`). */
  cause?: Cause;
}
/** Options of `ping`. */
export interface PingOptions {
  /** The value to report for a missing node. */
  default?: unknown;
  /** Anything, handed to the callbacks in their event and to the trace. */
  payload?: unknown;
  /** Who the ping is reported as coming from (default `'api'`). */
  cause?: Cause;
}

/** Options of `track`. */
export interface TrackOptions {
  /** Handed to the callback in its event and to the trace. */
  payload?: unknown;
  /** What the graph and an inspecting explorer show for the tracker; default the callback's own name, if any. */
  name?: string;
}

/** Options of an atom's `set`: those of `setState` but `default`, which is the atom's. */
export interface AtomSetOptions {
  /** How to compare the new value with the old one (default {@link deepEqual}). */
  eqFunc?: EqualityFunction;
  /** Anything, handed to the callbacks in their event and to the trace. */
  payload?: unknown;
  /** Write without notifying. */
  skipNotify?: boolean;
}
