import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { RestateConflictError } from '../../errors';
import { COMPONENT } from './layout';

/** A lock not refreshed for this long belongs to a process that died, and is broken (proper-lockfile's `stale`). */
const STALE_MS = 10_000;
/** How long an update waits for another process's update of the same node before it gives up. */
const WAIT_MS = 30_000;

/**
 * Where the locks of one state folder live: a per-user runtime folder keyed by the folder's real path, never
 * inside the state folder, where this library's layout and the Python original would read a lock as a node.
 */
export function lockFolder(base: string): string {
  let real: string;
  try {
    real = realpathSync(base);
  } catch {
    real = resolve(base);
  }
  const runtime = process.env.XDG_RUNTIME_DIR ?? tmpdir();
  const folder = join(runtime, `restate-locks-${safeUser()}`, createHash('sha1').update(real).digest('hex').slice(0, 20));
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return folder;
}

function safeUser(): string {
  try {
    return String(userInfo().uid >= 0 ? userInfo().uid : userInfo().username);
  } catch {
    return 'user';
  }
}

function lockOptions(folder: string, path: string): { target: string; lockfilePath: string } {
  const key = createHash('sha1').update(path).digest('hex').slice(0, 20);
  return { target: join(folder, key), lockfilePath: join(folder, `${key}.lock`) };
}

/** Runs `step` while holding the lock of `path` in the state folder `base`, taken synchronously. */
export function withPathLockSync<T>(base: string, path: string, step: () => T): T {
  const { target, lockfilePath } = lockOptions(lockFolder(base), path);
  const deadline = Date.now() + WAIT_MS;
  let release: (() => void) | undefined;
  for (let attempt = 0; release === undefined; attempt++) {
    try {
      release = lockfile.lockSync(target, { realpath: false, lockfilePath, stale: STALE_MS });
    } catch (error) {
      if (!isLocked(error) || Date.now() > deadline) throw waitFailed(path, error);
      // A synchronous caller has nothing else to do meanwhile: sleep without spinning.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(2 ** attempt, 50));
    }
  }
  try {
    return step();
  } finally {
    release();
  }
}

/** Runs `step` while holding the lock of `path` in the state folder `base`. */
export async function withPathLock<T>(base: string, path: string, step: () => Promise<T>): Promise<T> {
  const { target, lockfilePath } = lockOptions(lockFolder(base), path);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath,
      stale: STALE_MS,
      retries: { retries: Math.ceil(WAIT_MS / 50), factor: 1.2, minTimeout: 1, maxTimeout: 50 },
    });
  } catch (error) {
    throw waitFailed(path, error);
  }
  try {
    return await step();
  } finally {
    await release();
  }
}

function isLocked(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ELOCKED';
}

function waitFailed(path: string, error: unknown): Error {
  if (!isLocked(error)) return error instanceof Error ? error : new Error(String(error));
  return new RestateConflictError(COMPONENT, path, `cannot update ${path}: another process's update of it held its lock for over ${WAIT_MS / 1000} s`);
}
