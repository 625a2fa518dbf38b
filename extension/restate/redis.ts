/**
 * restate's Redis backend: a module of its own, so that importing the core library needs no Redis client.
 */
export { RedisBackend, redactedUrl } from './backends/redis/backend';
export type { RedisBackendOptions, BackendChange } from './backends/redis/backend';
