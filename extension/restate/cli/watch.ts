import type { BackendChange } from '../backends/backend';
import { ControllerAsync } from '../controller';
import { isAtOrBelow } from '../path';
import type { TraceRecord } from '../trace';
import { UnreadableValue } from '../unreadable';
import { MISSING } from '../values';
import { EXIT_OK, type CliIo } from './io';
import type { OpenStore } from './store';
import { formatValue } from './tree';

/**
 * Follows the changes others make at or below `path` with a controller over the store (S127), printing one
 * line each from the controller's trace (which knows each change's cause), until `io.stop` is aborted.
 */
export async function watchCommand(io: CliIo, open: OpenStore, path: string, json: boolean): Promise<number> {
  // Reaches the store before anything follows it, so that an unreachable server is one error, not a warning loop.
  await open.backend.read(path, MISSING);
  const controller = new ControllerAsync(open.backend, {
    onFollowError: (error: unknown, change: BackendChange) => {
      io.stderr.write(`restate: warning: could not take the ${change.kind} of ${change.path}: ${error instanceof Error ? error.message : String(error)}\n`);
    },
  });
  try {
    // The controller follows only what someone subscribed to; the callback itself has nothing to do.
    controller.subscribe(path, () => undefined);
    // What the controller read is what it knows: the old value of the first change to come is taken from it.
    await controller.getState(path);
    const detach = controller.onTrace((record) => {
      const line = lineOf(record, path, json);
      if (line !== undefined) io.stdout.write(line + '\n');
    });
    try {
      // Both the folder and the Redis backend say when their watch sees changes: "watching" is true from then on.
      const backend = open.backend as { watching?: () => Promise<void> };
      if (typeof backend.watching === 'function') await backend.watching();
      if (!io.stop.aborted) io.stderr.write(`restate: watching ${path} in ${open.description}; Ctrl-C stops\n`);
      await stopped(io.stop);
      await controller.followed();
    } finally {
      detach();
    }
  } finally {
    controller.stopFollowing();
  }
  return EXIT_OK;
}

function stopped(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

interface WatchedChange {
  readonly kind: 'set' | 'delete' | 'resync';
  readonly path: string;
  readonly cause: string;
  readonly old: unknown;
  readonly new: unknown;
}

function changeOf(record: TraceRecord, watched: string): WatchedChange | undefined {
  if (record.kind === 'set') {
    if (!record.changed || !isAtOrBelow(record.path, watched)) return undefined;
    return { kind: 'set', path: record.path, cause: record.cause, old: record.prevValue, new: record.value };
  }
  if (record.kind === 'delete') {
    // Deleting an ancestor deletes the watched subtree too.
    if (!record.existed || !(isAtOrBelow(record.path, watched) || isAtOrBelow(watched, record.path))) return undefined;
    return { kind: 'delete', path: record.path, cause: record.cause, old: record.prevValue, new: undefined };
  }
  if (record.kind === 'resync') {
    if (!(isAtOrBelow(record.path, watched) || isAtOrBelow(watched, record.path))) return undefined;
    return { kind: 'resync', path: record.path, cause: record.cause, old: undefined, new: undefined };
  }
  return undefined;
}

function lineOf(record: TraceRecord, watched: string, json: boolean): string | undefined {
  const change = changeOf(record, watched);
  if (change === undefined) return undefined;
  const time = new Date().toISOString();
  if (json) {
    const entry: Record<string, unknown> = { time, path: change.path, kind: change.kind, cause: change.cause };
    if (isPresent(change.old)) entry.old = plain(change.old);
    if (isPresent(change.new)) entry.new = plain(change.new);
    return formatValue(entry);
  }
  if (change.kind === 'resync') return `${time} ${change.path} ${change.cause} read again (changes may have been missed)`;
  return `${time} ${change.path} ${change.cause} ${shown(change.old)} → ${shown(change.new)}`;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== MISSING;
}

/** An old value that could not be parsed is shown as what it is, not as the object that stands for it. */
function plain(value: unknown): unknown {
  return value instanceof UnreadableValue ? { unreadable: value.file } : value;
}

function shown(value: unknown): string {
  return isPresent(value) ? formatValue(plain(value)) : '(missing)';
}
