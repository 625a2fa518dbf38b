/**
 * restate: hierarchical, path-addressed state in pluggable storage backends, with subscriptions that
 * bubble from a changed path to its ancestors. This module is the library's only public entry point.
 */
export {
  RestateError,
  RestatePathError,
  RestateNameError,
  RestateValueError,
  RestateSerializeError,
  RestateFormatError,
  RestateBackendError,
  RestateCallbackError,
  RestateCycleError,
  RestateIdError,
  RestateMountError,
  RestateUsageError,
} from './errors';
export type { RestateErrorCode, CallbackFailure } from './errors';
export { StatePath, ROOT_PATH, resolvePath } from './path';
export type { PathLike } from './path';
export { MISSING, deepEqual } from './values';
export type { Missing } from './values';

// Backends
export type { Backend, AsyncBackend } from './backends/backend';
export { InMemoryBackend } from './backends/memory';
