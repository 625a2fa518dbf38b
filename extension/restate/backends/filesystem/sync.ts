import { resolve } from 'node:path';
import { resolveConcretePath } from '../../path';
import { MISSING } from '../../values';
import type { Backend, BackendChange } from '../backend';
import { nodeFileAdapter } from './adapter';
import { jsonSerializer } from './json';
import { COMPONENT, FileLayout } from './layout';
import { withPathLockSync } from './locks';
import { AdapterFiles, NodeSyncFiles, performAsync, performSync, thisProcess } from './ops';
import type { Task } from './ops';
import type { Serializer } from './serializer';
import { FolderWatching } from './watch';

/** Options of FileSystemSyncBackend. */
export interface FileSystemSyncBackendOptions {
  /** How values become files; `jsonSerializer` (Python-compatible JSON) by default. */
  serializer?: Serializer;
  /** `'rename'` (default) makes writes atomic; `'fsync'` also makes them durable across power loss (S87). */
  durability?: 'rename' | 'fsync';
  /**
   * Whether opening the folder starts a sweep in the background that removes the temporary files of
   * writers killed mid-write (S87); true by default.
   */
  removeStaleTemporaryFiles?: boolean;
}

/**
 * Keeps the state in a folder with synchronous node:fs calls, in the Python original's layout (S81–S95).
 * `base` need not exist yet; relative paths are resolved against the working directory now.
 */
export class FileSystemSyncBackend implements Backend {
  /** The state folder, as an absolute path. */
  readonly base: string;
  readonly #layout: FileLayout;
  readonly #files = new NodeSyncFiles();
  readonly #serializer: Serializer;
  #sweep: Promise<string[]> | undefined;
  readonly #watching = new FolderWatching(() => ({
    base: this.base,
    rootFile: this.#layout.rootFile,
    suffix: this.#layout.suffix,
    serializer: this.#serializer,
    readTolerant: (path) => this.readTolerant(path),
  }));

  constructor(base: string, options: FileSystemSyncBackendOptions = {}) {
    this.base = resolve(base);
    this.#serializer = options.serializer ?? jsonSerializer;
    this.#layout = new FileLayout({
      base: this.base,
      serializer: this.#serializer,
      fsync: options.durability === 'fsync',
      paths: nodeFileAdapter,
      resolvesLinks: true,
      retryRenames: process.platform === 'win32',
      writer: thisProcess,
    });
    if (options.removeStaleTemporaryFiles !== false) void this.removeStaleTemporaryFiles();
  }

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    const fallback = arguments.length < 2 ? MISSING : dflt;
    const canonical = resolveConcretePath(path, COMPONENT);
    const result = this.#run(this.#layout.read(canonical, false), 'read', canonical);
    return result === MISSING ? fallback : result;
  }

  /** A read in which each value file that cannot be parsed is an UnreadableValue (S131); MISSING for a missing node. */
  readTolerant(path: string): unknown {
    const canonical = resolveConcretePath(path, COMPONENT);
    const result = this.#run(this.#layout.read(canonical, true), 'read', canonical);
    return result;
  }

  write(path: string, value: unknown): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    const data = this.#layout.encode(canonical, value);
    const written = this.#watching.ownWrite(canonical, data);
    try {
      this.#run(this.#layout.write(canonical, data), 'write', canonical);
    } finally {
      written?.();
    }
  }

  delete(path: string): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    const deleted = this.#watching.ownDelete(canonical);
    try {
      this.#run(this.#layout.delete(canonical), 'delete', canonical);
    } finally {
      deleted?.();
    }
  }

  listChildren(path: string): string[] {
    const canonical = resolveConcretePath(path, COMPONENT);
    return this.#run(this.#layout.listChildren(canonical), 'list the children of', canonical);
  }

  /**
   * Reports the changes other processes (another controller, the Python original, an editor) make to the
   * folder (S126), from a folder watcher: a controller over this backend follows them with cause 'remote'
   * (S127). This backend's own writes and deletes are not reported. The returned function stops watching;
   * `close()` stops every watcher, so that an idle process can exit.
   */
  watch(onChange: (change: BackendChange) => void): () => void {
    return this.#watching.watch(onChange);
  }

  /** Resolves once the folder watcher started by `watch` sees changes (changes made before may go unreported). */
  watching(): Promise<void> {
    return this.#watching.ready();
  }

  /** Stops watching the folder; the backend can still read and write. */
  async close(): Promise<void> {
    await this.#watching.close();
  }

  /**
   * Runs `step` with every other `exclusive` call for `path` on this folder excluded, in this process and
   * others on the machine (S129, `update`). A plain write elsewhere, or the Python original, takes no lock.
   */
  exclusive<T>(path: string, step: () => T): T {
    return withPathLockSync(this.base, resolveConcretePath(path, COMPONENT), step);
  }

  /**
   * Removes the temporary files that writers killed mid-write left in the folder (S87), with asynchronous
   * I/O so that a large folder does not hold up the caller; resolves to the files removed. While a sweep
   * runs, the call returns it; errors only leave files in place.
   */
  removeStaleTemporaryFiles(): Promise<string[]> {
    this.#sweep ??= performAsync(this.#layout.removeStaleTemporaryFiles(), new AdapterFiles(nodeFileAdapter))
      .catch(() => [])
      .finally(() => {
        this.#sweep = undefined;
      });
    return this.#sweep;
  }

  #run<T>(task: Task<T>, verb: string, path: string): T {
    try {
      return performSync(task, this.#files);
    } catch (error) {
      throw this.#layout.translate(error, verb, path);
    }
  }
}
