/**
 * restate's Redis backend: a module of its own, so that importing the core library needs no Redis client.
 * It needs the package `@redis/client` beside restate-tree.
 *
 * @module restate-tree/redis
 */
export { RedisBackend, redactedUrl } from './backends/redis/backend';
export type { RedisBackendOptions } from './backends/redis/backend';
export type { BackendChange } from './backends/backend';
export { inspectOverRedis, redisInspectorDiscovery } from './inspect/redis';
export type { RedisInspectOptions } from './inspect/redis';
export type { RedisInspectRoot } from './inspect/protocol';
