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
