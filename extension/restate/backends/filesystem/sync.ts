import { resolve } from 'node:path';
import { resolveConcretePath } from '../../path';
import { MISSING } from '../../values';
import type { Backend } from '../backend';
import { nodeFileAdapter } from './adapter';
import { jsonSerializer } from './json';
import { COMPONENT, FileLayout, NO_NODE } from './layout';
import { withPathLockSync } from './locks';
import { NodeSyncFiles, runSync } from './ops';
import type { Task } from './ops';
import type { Serializer } from './serializer';

export interface FileSystemSyncBackendOptions {
  /** How values become files; `jsonSerializer` (Python-compatible JSON) by default. */
  serializer?: Serializer;
  /** `'rename'` (default) makes writes atomic; `'fsync'` also makes them durable across power loss (S87). */
  durability?: 'rename' | 'fsync';
}

/**
 * Keeps the state in a folder with synchronous node:fs calls, in the Python original's layout (S81–S95).
 * `base` need not exist yet; relative paths are resolved against the working directory now.
 */
export class FileSystemSyncBackend implements Backend {
  readonly base: string;
  readonly #layout: FileLayout;
  readonly #files = new NodeSyncFiles();

  constructor(base: string, options: FileSystemSyncBackendOptions = {}) {
    this.base = resolve(base);
    this.#layout = new FileLayout({
      base: this.base,
      serializer: options.serializer ?? jsonSerializer,
      fsync: options.durability === 'fsync',
      paths: nodeFileAdapter,
      resolvesLinks: true,
      retryRenames: process.platform === 'win32',
    });
  }

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    const fallback = arguments.length < 2 ? MISSING : dflt;
    const canonical = resolveConcretePath(path, COMPONENT);
    const result = this.#run(this.#layout.read(canonical, false), 'read', canonical);
    return result === NO_NODE ? fallback : result;
  }

  /** A read in which each value file that cannot be parsed is an UnreadableValue (S131); MISSING for a missing node. */
  readTolerant(path: string): unknown {
    const canonical = resolveConcretePath(path, COMPONENT);
    const result = this.#run(this.#layout.read(canonical, true), 'read', canonical);
    return result === NO_NODE ? MISSING : result;
  }

  write(path: string, value: unknown): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    const data = this.#layout.encode(canonical, value);
    this.#run(this.#layout.write(canonical, data), 'write', canonical);
  }

  delete(path: string): void {
    const canonical = resolveConcretePath(path, COMPONENT);
    this.#run(this.#layout.delete(canonical), 'delete', canonical);
  }

  listChildren(path: string): string[] {
    const canonical = resolveConcretePath(path, COMPONENT);
    return this.#run(this.#layout.listChildren(canonical), 'list the children of', canonical);
  }

  /**
   * Runs `step` with every other `exclusive` call for `path` on this folder excluded, in this process and
   * others on the machine (S129, `update`). A plain write elsewhere, or the Python original, takes no lock.
   */
  exclusive<T>(path: string, step: () => T): T {
    return withPathLockSync(this.base, resolveConcretePath(path, COMPONENT), step);
  }

  #run<T>(task: Task<T>, verb: string, path: string): T {
    try {
      return runSync(task, this.#files);
    } catch (error) {
      throw this.#layout.translate(error, verb, path);
    }
  }
}
