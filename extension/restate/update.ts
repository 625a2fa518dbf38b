import { isThenable } from './drive';
import { RestateConflictError, RestateUsageError } from './errors';
import type { TraceCause } from './trace';
import { MISSING, deepEqual } from './values';

/** Options of `update`. */
export interface UpdateOptions {
  /**
   * How often `fn` may run before the update gives up with a RestateConflictError (S129), on a backend that
   * detects a change between the read and the write (Redis). A positive integer; default 20.
   */
  tries?: number;
}

const DEFAULT_UPDATE_TRIES = 20;

/** A backend that excludes concurrent updates of a path with a lock (the file backends, and wrappers over them). */
interface ExclusiveBackend {
  exclusive<T>(path: string, step: () => T): T;
}

/** A backend that writes only if a node is unchanged since it was read (the Redis backend). */
interface VersionedBackend {
  readVersioned(path: string): unknown;
  writeIfVersion(path: string, value: unknown, version: string): unknown;
}

/** What update needs of a controller; the methods return plain values for ControllerSync, promises for ControllerAsync. */
export interface UpdateTarget {
  readonly backend: unknown;
  readonly inBatch: boolean;
  getState(path: string): unknown;
  setState(path: string, value: unknown): unknown;
  delState(path: string): unknown;
  notifyChange(path: string, change: { prevValue: unknown; newValue: unknown; cause: TraceCause }): unknown;
}

function isVersioned(backend: unknown): backend is VersionedBackend {
  return typeof (backend as Partial<VersionedBackend>).readVersioned === 'function' && typeof (backend as Partial<VersionedBackend>).writeIfVersion === 'function';
}

/** The number of tries, checked: a positive integer. */
export function updateTries(options: UpdateOptions | undefined, path: string): number {
  const tries = options?.tries ?? DEFAULT_UPDATE_TRIES;
  if (!Number.isInteger(tries) || tries < 1) {
    throw new RestateUsageError('controller', `update of ${path}: tries must be a positive integer, got ${String(tries)}`);
  }
  return tries;
}

function conflict(path: string, tries: number): RestateConflictError {
  return new RestateConflictError('controller', path, `cannot update ${path}: it changed between every read and write, ${tries} times`);
}

/** ControllerSync's update (S129): the same rules as updateAsync, on a backend whose calls return values. */
export function updateSync(target: UpdateTarget, path: string, fn: (value: unknown) => unknown, tries: number): boolean {
  const step = (): boolean => {
    const next = fn(target.getState(path));
    if (isThenable(next)) throw new RestateUsageError('controller', `the function given to ControllerSync.update for ${path} returned a promise; use ControllerAsync.update for async work`);
    return (next === undefined ? target.delState(path) : target.setState(path, next)) as boolean;
  };
  const backend = target.backend;
  if (target.inBatch) return step();
  if (isVersioned(backend)) {
    const refuse = (): RestateUsageError => new RestateUsageError('controller', `the backend's versioned read or write of ${path} returned a promise; use ControllerAsync with an asynchronous backend`);
    for (let attempt = 0; attempt < tries; attempt++) {
      const read = backend.readVersioned(path);
      if (isThenable(read)) throw refuse();
      const { value, version } = read as { value: unknown; version: string };
      const current = value === MISSING ? undefined : value;
      const next = fn(current);
      if (isThenable(next)) throw new RestateUsageError('controller', `the function given to ControllerSync.update for ${path} returned a promise; use ControllerAsync.update for async work`);
      if (deepEqual(next, current)) return false;
      const written = backend.writeIfVersion(path, next, version);
      if (isThenable(written)) throw refuse();
      if (written === true) {
        // The storage changed; tell this controller's subscribers as a setState or delState would.
        target.notifyChange(path, { prevValue: current, newValue: next, cause: 'api' });
        return true;
      }
    }
    throw conflict(path, tries);
  }
  const exclusive = (backend as Partial<ExclusiveBackend>).exclusive;
  return typeof exclusive === 'function' ? (exclusive.call(backend, path, step) as boolean) : step();
}

/**
 * ControllerAsync's update (S129): on a versioned backend, reads with the version and writes only if it is
 * unchanged, running `fn` again up to `tries` times; on a backend with `exclusive`, runs once under its lock;
 * otherwise runs once.
 */
export async function updateAsync(target: UpdateTarget, path: string, fn: (value: unknown) => unknown, tries: number): Promise<boolean> {
  const step = async (): Promise<boolean> => {
    const next = await fn(await target.getState(path));
    return (await (next === undefined ? target.delState(path) : target.setState(path, next))) as boolean;
  };
  const backend = target.backend;
  if (target.inBatch) return step();
  if (isVersioned(backend)) {
    for (let attempt = 0; attempt < tries; attempt++) {
      const { value, version } = (await backend.readVersioned(path)) as { value: unknown; version: string };
      const current = value === MISSING ? undefined : value;
      const next = await fn(current);
      if (deepEqual(next, current)) return false;
      if ((await backend.writeIfVersion(path, next, version)) === true) {
        await target.notifyChange(path, { prevValue: current, newValue: next, cause: 'api' });
        return true;
      }
    }
    throw conflict(path, tries);
  }
  const exclusive = (backend as Partial<ExclusiveBackend>).exclusive;
  return typeof exclusive === 'function' ? (exclusive.call(backend, path, step) as Promise<boolean>) : step();
}
