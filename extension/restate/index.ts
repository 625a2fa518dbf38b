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
  RestateConflictError,
  RestateIdError,
  RestateMountError,
  RestateUsageError,
} from './errors';
export type { RestateErrorCode, CallbackFailure } from './errors';
export { StatePath, ROOT_PATH, resolvePath } from './path';
export type { PathLike } from './path';
export { MISSING, deepEqual } from './values';
export { UnreadableValue } from './unreadable';
export type { Missing } from './values';

export { ControllerSync, ControllerAsync } from './controller';
export type { ControllerOptions, CallbackOptions, ExternalChange, UpdateOptions } from './controller';
export { DeriveData } from './derive';
export { Atom, AtomAsync } from './atoms';
export type { StateEvent, StateCallback } from './controller';
export type { EqualityFunction, GetStateOptions, SetStateOptions, DelStateOptions, PingOptions } from './options';
export type { GraphSnapshot, GraphNode, GraphEdge, RunStats } from './graph';
export type { TraceRecord, TraceCause, Cause, TraceListener } from './trace';

// Backends
export type { Backend, AsyncBackend, ValueHandle, BackendChange, WatchableBackend } from './backends/backend';
export { InMemoryBackend } from './backends/memory';
export { FileSystemSyncBackend } from './backends/filesystem/sync';
export type { FileSystemSyncBackendOptions } from './backends/filesystem/sync';
export { FileSystemAsyncBackend } from './backends/filesystem/async';
export type { FileSystemAsyncBackendOptions } from './backends/filesystem/async';
export { jsonSerializer } from './backends/filesystem/json';
export { nodeFileAdapter } from './backends/filesystem/adapter';
export type { FileAdapter, EntryKind } from './backends/filesystem/adapter';
export type { Serializer } from './backends/filesystem/serializer';
export { HybridSyncBackend, HybridAsyncBackend } from './backends/hybrid';
export type { Mount, ResolvedMount } from './backends/hybrid';
export { CachingSyncBackend, CachingAsyncBackend } from './backends/caching';
export type { CachingClock, CachingOptions, InvalidateOptions } from './backends/caching';
