import { resolve } from 'node:path';
import { RestateUsageError } from '../../errors';
import { resolveConcretePath } from '../../path';
import { MISSING } from '../../values';
import type { AsyncBackend, BackendChange } from '../backend';
import { nodeFileAdapter } from './adapter';
import type { FileAdapter } from './adapter';
import { jsonSerializer } from './json';
import { COMPONENT, FileLayout } from './layout';
import { withPathLock } from './locks';
import { AdapterFiles, performAsync, thisProcess } from './ops';
import type { Task } from './ops';
import type { Serializer } from './serializer';
import { FolderWatching } from './watch';

/** Options of FileSystemAsyncBackend. */
export interface FileSystemAsyncBackendOptions {
  /** How values become files; `jsonSerializer` (Python-compatible JSON) by default. */
  serializer?: Serializer;
  /** `'rename'` (default) makes writes atomic; `'fsync'` also makes them durable across power loss (S87). */
  durability?: 'rename' | 'fsync';
  /**
   * Whether opening the folder starts a sweep in the background that removes the temporary files of
   * writers killed mid-write (S87); true by default.
   */
  removeStaleTemporaryFiles?: boolean;
  /** Where the I/O goes (S96); `nodeFileAdapter` by default. */
  adapter?: FileAdapter;
}

/**
 * The asynchronous filesystem backend: the same layout, names, JSON and errors as FileSystemSyncBackend,
 * with I/O through a FileAdapter so that it also works on remote and virtual workspaces (S96).
 * With the default adapter, a relative `base` is resolved against the working directory now; other
 * adapters receive `base` exactly as given.
 */
export class FileSystemAsyncBackend implements AsyncBackend {
  /** The state folder, as the adapter names it. */
  readonly base: string;
  readonly #layout: FileLayout;
  readonly #files: AdapterFiles;
  readonly #locksWork: boolean;
  readonly #serializer: Serializer;
  readonly #adapter: FileAdapter;
  #sweep: Promise<string[]> | undefined;
  readonly #watching = new FolderWatching(() => ({
    base: this.base,
    rootFile: this.#layout.rootFile,
    suffix: this.#layout.suffix,
    serializer: this.#serializer,
    readTolerant: (path) => this.readTolerant(path),
  }));

  constructor(base: string, options: FileSystemAsyncBackendOptions = {}) {
    const adapter = options.adapter ?? nodeFileAdapter;
    this.base = adapter === nodeFileAdapter ? resolve(base) : base;
    // Locks live in this machine's file system; another adapter's folder may be somewhere else entirely.
    this.#locksWork = adapter === nodeFileAdapter;
    this.#files = new AdapterFiles(adapter);
    this.#adapter = adapter;
    this.#serializer = options.serializer ?? jsonSerializer;
    this.#layout = new FileLayout({
      base: this.base,
      serializer: this.#serializer,
      fsync: options.durability === 'fsync',
      paths: adapter,
      resolvesLinks: adapter.realpath !== undefined,
      retryRenames: process.platform === 'win32',
      writer: thisProcess,
    });
    if (options.removeStaleTemporaryFiles !== false) void this.removeStaleTemporaryFiles();
  }

  async read<D = typeof MISSING>(path: string, dflt?: D): Promise<unknown> {
    const fallback = arguments.length < 2 ? MISSING : dflt;
    const canonical = resolveConcretePath(path, COMPONENT);
    const result = await this.#run(this.#layout.read(canonical, false), 'read', canonical);
    return result === MISSING ? fallback : result;
  }

  /** A read in which each value file that cannot be parsed is an UnreadableValue (S131); MISSING for a missing node. */
  async readTolerant(path: string): Promise<unknown> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const result = await this.#run(this.#layout.read(canonical, true), 'read', canonical);
    return result;
  }

  async write(path: string, value: unknown): Promise<void> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const data = this.#layout.encode(canonical, value);
    const written = this.#watching.ownWrite(canonical, data);
    try {
      await this.#run(this.#layout.write(canonical, data), 'write', canonical);
    } finally {
      written?.();
    }
  }

  async delete(path: string): Promise<void> {
    const canonical = resolveConcretePath(path, COMPONENT);
    const deleted = this.#watching.ownDelete(canonical);
    try {
      await this.#run(this.#layout.delete(canonical), 'delete', canonical);
    } finally {
      deleted?.();
    }
  }

  async listChildren(path: string): Promise<string[]> {
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
    if (this.#adapter !== nodeFileAdapter) {
      throw new RestateUsageError(COMPONENT, `cannot watch ${this.base}: only a folder on this machine (the default adapter) can be watched; pass followBackend: false to the controller and watch it another way`);
    }
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
   * others on the machine (S129, `update`). Only with the default adapter: other adapters run `step` as it
   * is. A plain write elsewhere, or the Python original, takes no lock.
   */
  async exclusive<T>(path: string, step: () => Promise<T>): Promise<T> {
    const canonical = resolveConcretePath(path, COMPONENT);
    return this.#locksWork ? withPathLock(this.base, canonical, step) : step();
  }

  /**
   * Removes the temporary files that writers killed mid-write left in the folder (S87); resolves to the
   * files removed. While a sweep runs, the call returns it; errors only leave files in place.
   */
  removeStaleTemporaryFiles(): Promise<string[]> {
    this.#sweep ??= performAsync(this.#layout.removeStaleTemporaryFiles(), this.#files)
      .catch(() => [])
      .finally(() => {
        this.#sweep = undefined;
      });
    return this.#sweep;
  }

  async #run<T>(task: Task<T>, verb: string, path: string): Promise<T> {
    try {
      return await performAsync(task, this.#files);
    } catch (error) {
      throw this.#layout.translate(error, verb, path);
    }
  }
}
