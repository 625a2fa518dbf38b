/**
 * restate: hierarchical, path-addressed state in pluggable storage backends, with subscriptions that
 * bubble from a changed path to its ancestors. This module is the library's public entry point, the package's
 * `restate-tree`; the Redis backend is the other, `restate-tree/redis`.
 *
 * @module restate-tree
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
export { redactedUrl } from './backends/redisUrl';
export type { PathLike } from './path';
export { MISSING, deepEqual } from './values';
export { UnreadableValue } from './unreadable';
export type { Missing } from './values';

export { ControllerSync, ControllerAsync } from './controller';
export type { ControllerOptions, CallbackOptions, ExternalChange, UpdateOptions } from './controller';
export { DeriveData } from './derive';
export { Atom, AtomAsync } from './controller';
export type { AtomSetOptions } from './options';
export type { StateEvent, StateCallback, AnyController, Result } from './controller';
export type { EqualityFunction, GetStateOptions, SetStateOptions, DelStateOptions, PingOptions, TrackOptions } from './options';
export type { GraphSnapshot, GraphNode, GraphEdge, RunStats } from './graph';
export type { TraceRecord, TraceCommon, TraceCause, Cause, TraceListener } from './trace';

// Backends
export type { Backend, AsyncBackend, AnyBackend, ValueHandle, BackendChange, WatchableBackend } from './backends/backend';
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

// Inspector: lets a State Explorer watch a running app's graph and trace
export { inspect } from './inspect/server';
export { inspectorDiscovery, connectInspector, MAX_UNDECODABLE_LINES } from './inspect/client';
export type { ConnectInspectorOptions } from './inspect/client';
export { INSPECT_PROTOCOL_VERSION, describeWireValue, fromWireRecord } from './inspect/protocol';
export type {
  InspectOptions,
  Inspector,
  InspectAnnouncement,
  InspectorConnection,
  InspectorConnectionEvents,
  InspectorDiscovery,
  HelloMessage,
  WireTraceRecord,
  WireRecordOf,
  WireValue,
  JsonValue,
  LibraryInfo,
} from './inspect/protocol';
