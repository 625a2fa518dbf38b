import { RestateBackendError, RestateError, RestateFormatError, RestateNameError, RestatePathError, RestateSerializeError, RestateValueError } from '../../errors';
import { childOf, splitPath } from '../../path';
import { UnreadableValue } from '../../unreadable';
import { MISSING, OWN_VALUE_KEY, compareNames } from '../../values';
import { checkWritableName, isTemporaryName, parseTemporaryFileName, temporaryFileName } from './names';
import type { TemporaryFileOwner, WriterProcess } from './names';
import { FileOpError, IS_SYMLINK, NOT_FOUND, childFolderKind, codeOf, holdFolder, mkdir, modifiedTime, parallel, readDirectory, readFile, realpath, releaseFolder, remove, rename, sleep, stat, writeFile } from './ops';
import type { ChildFolderKind, HeldFolder, Task } from './ops';
import { ValueLocationError, valueSuffix } from './serializer';
import type { Serializer } from './serializer';

export const COMPONENT = 'fs';

// How many files a parent read keeps in flight at once when the driver runs tasks concurrently.
const READ_CONCURRENCY = 32;
const RETRYABLE_RENAME_CODES = new Set(['EPERM', 'EACCES', 'EBUSY']);
const RENAME_RETRY_MS = 1000;
// A temporary file of a writer on this host whose process is gone is a leftover once it is this old; the
// wait covers a process that only looks gone, because it runs in another pid namespace under the same name.
const DEAD_WRITER_AGE_MS = 10 * 60_000;
// Any other temporary file (of another host, or of an older version that recorded no process) is a leftover
// after a day: no write takes that long.
const ABANDONED_AGE_MS = 24 * 60 * 60_000;

export interface PathOps {
  join(dir: string, name: string): string;
  dirname(path: string): string;
  basename(path: string): string;
}

export interface LayoutOptions {
  readonly base: string;
  readonly serializer: Serializer;
  readonly fsync: boolean;
  readonly paths: PathOps;
  /** Whether the driver can answer `realpath`; without it, every symlink is treated as leading outside. */
  readonly resolvesLinks: boolean;
  /** Retry renames that fail with EPERM, EACCES or EBUSY, as virus scanners and indexers cause on Windows. */
  readonly retryRenames: boolean;
  /** Recorded in temporary file names; without it, only a day's age makes a temporary file a leftover. */
  readonly writer?: WriterProcess;
}

/** A folder a write goes into: the path to use for its files, and the hold that keeps it, if any. */
interface WriteFolder {
  readonly path: string;
  readonly held: HeldFolder | undefined;
}

interface ChildSources {
  file?: string;
  folder?: { readonly path: string; readonly real: string };
}

/**
 * The on-disk layout shared by both filesystem backends (S82–S95), written once as tasks that yield file
 * operations. Paths given to the tasks are canonical; the backends resolve and validate them first.
 *
 * Node `/a/b` keeps its value in `<base>/a/b.json` and its children in `<base>/a/b/`; the root's value
 * lives next to the base folder, in `<base>.json`, as the Python original has it.
 */
export class FileLayout {
  readonly base: string;
  readonly rootFile: string;
  readonly suffix: string;
  readonly #serializer: Serializer;
  readonly #text: boolean;
  readonly #fsync: boolean;
  readonly #paths: PathOps;
  readonly #resolvesLinks: boolean;
  readonly #retryRenames: boolean;
  readonly #writer: WriterProcess | undefined;
  #baseReal: string | undefined;

  constructor(options: LayoutOptions) {
    this.base = options.base;
    this.#serializer = options.serializer;
    this.#text = options.serializer.binary !== true;
    this.suffix = valueSuffix(options.serializer);
    this.#fsync = options.fsync;
    this.#paths = options.paths;
    this.#resolvesLinks = options.resolvesLinks;
    this.#retryRenames = options.retryRenames;
    this.#writer = options.writer;
    this.rootFile = options.paths.join(options.paths.dirname(options.base), options.paths.basename(options.base) + this.suffix);
  }

  /** Checks a write before anything is touched: the value, the names (S89), then serialisation (S87 step 1). */
  encode(path: string, value: unknown): string | Uint8Array {
    if (value === undefined || value === MISSING) {
      throw new RestateValueError(COMPONENT, path, `cannot write ${value === undefined ? 'undefined' : 'MISSING'} to ${path}: delete the path instead`);
    }
    const segments = splitPath(path);
    for (const segment of segments) {
      checkWritableName(segment, path, this.suffix, COMPONENT);
      this.#checkRepresentable(segment, path);
    }
    try {
      return this.#serializer.serialize(value);
    } catch (error) {
      const location = error instanceof ValueLocationError ? error.location : '';
      const detail = error instanceof ValueLocationError ? error.detail : describe(error);
      throw new RestateSerializeError(COMPONENT, path, location, detail, { cause: error });
    }
  }

  /** Turns anything a task threw into a RestateError naming the operation and the file (S86). */
  translate(error: unknown, verb: string, path: string): RestateError {
    if (error instanceof RestateError) return error;
    if (error instanceof FileOpError) {
      return new RestateBackendError(COMPONENT, `cannot ${verb} ${path}: ${error.message}`, { path, file: error.file, cause: error.cause });
    }
    return new RestateBackendError(COMPONENT, `cannot ${verb} ${path}: ${describe(error)}`, { path, cause: error });
  }

  /**
   * The node's read (S10, S86), or MISSING. `tolerant` puts an UnreadableValue in place of each value
   * file that cannot be parsed instead of throwing (S131).
   */
  *read(path: string, tolerant = false): Task<unknown> {
    const segments = this.#segments(path);
    if (segments.length === 0) {
      const value = yield* this.#readValue(this.rootFile, path, true, tolerant);
      const baseReal = yield* this.#baseRealPath();
      return combine(value, baseReal === NOT_FOUND ? undefined : yield* this.#readChildren(this.base, baseReal, path, tolerant));
    }
    const folders = this.#folders(segments);
    const folder = folders[folders.length - 1];
    const name = segments[segments.length - 1];
    const [folderReal, value, childKind] = yield* parallel<[string | typeof NOT_FOUND, unknown, ChildFolderKind | typeof NOT_FOUND]>([
      this.#checkFolder(folders, path, 'read'),
      this.#readValue(this.#paths.join(folder, name + this.suffix), path, false, tolerant),
      childFolderKind(folder, name, this.#paths.join(folder, name)),
    ]);
    if (folderReal === NOT_FOUND) return MISSING;
    let children: Record<string, unknown> | undefined;
    if (childKind !== NOT_FOUND) {
      const dir = yield* this.#childFolder(folder, folderReal, name, childKind, path, 'read');
      if (dir !== undefined) children = yield* this.#readChildren(dir.path, dir.real, path, tolerant);
    }
    return combine(value, children);
  }

  /** Names of existing children in code-unit order, without reading any value (S78, S84). */
  *listChildren(path: string): Task<string[]> {
    const segments = this.#segments(path);
    let dir: { path: string; real: string } | undefined;
    if (segments.length === 0) {
      const baseReal = yield* this.#baseRealPath();
      if (baseReal === NOT_FOUND) return [];
      dir = { path: this.base, real: baseReal };
    } else {
      const folders = this.#folders(segments);
      const folder = folders[folders.length - 1];
      const name = segments[segments.length - 1];
      const folderReal = yield* this.#checkFolder(folders, path, 'list');
      if (folderReal === NOT_FOUND) return [];
      const kind = yield* childFolderKind(folder, name, this.#paths.join(folder, name));
      if (kind === NOT_FOUND) return [];
      dir = yield* this.#childFolder(folder, folderReal, name, kind, path, 'list');
      if (dir === undefined) return [];
    }
    const sources = yield* this.#classify(dir.path, dir.real);
    const names: string[] = [];
    const folderOnly: string[] = [];
    for (const [name, source] of sources) (source.file !== undefined ? names : folderOnly).push(name);
    // Only a folder without a value file needs a look inside: it is a child only if it holds one (S84).
    const holdsChildren = yield* parallel<boolean[]>(
      folderOnly.map((name) => this.#hasChildren(sources.get(name)!.folder!.path, sources.get(name)!.folder!.real)),
      READ_CONCURRENCY,
    );
    folderOnly.forEach((name, i) => {
      if (holdsChildren[i]) names.push(name);
    });
    return names.sort(compareNames);
  }

  /**
   * Writes `data` as the node's value: temporary file, then rename (S87). The folder is held open for the
   * write where the driver can (S90), so that swapping it for a symlink cannot divert the files; elsewhere
   * its real path is checked before the temporary file is written and again just before the rename.
   */
  *write(path: string, data: string | Uint8Array): Task<void> {
    const segments = this.#segments(path);
    if (segments.length === 0) {
      yield* this.#writeRoot(data);
      return;
    }
    const folders = this.#folders(segments);
    const fileName = segments[segments.length - 1] + this.suffix;
    // A folder that vanishes during the write (a delete removing emptied folders) is created once more.
    for (let attempt = 0; ; attempt++) {
      let folder = yield* this.#enterFolder(folders, path);
      if (folder === NOT_FOUND) {
        try {
          yield* this.#createFolders(folders, path);
        } catch (error) {
          if (attempt > 0 || codeOf(error) !== 'ENOENT') throw error;
          continue;
        }
        folder = yield* this.#enterFolder(folders, path);
      }
      if (folder === NOT_FOUND) throw new FileOpError(folders[folders.length - 1], Object.assign(new Error('the folder vanished while it was written to'), { code: 'ENOENT' }));
      try {
        yield* this.#writeInto(folder, folders, fileName, data, path);
        return;
      } catch (error) {
        const code = codeOf(error);
        if (attempt > 0 || (code !== 'ENOENT' && code !== 'ENOTDIR')) throw error;
      } finally {
        if (folder.held !== undefined) yield* releaseFolder(folder.held);
      }
    }
  }

  *#writeInto(folder: WriteFolder, folders: readonly string[], fileName: string, data: string | Uint8Array, path: string): Task<void> {
    const temporary = this.#paths.join(folder.path, temporaryFileName(fileName, this.#writer));
    const file = this.#paths.join(folder.path, fileName);
    const shownFile = this.#paths.join(folders[folders.length - 1], fileName);
    try {
      yield* writeFile(temporary, data, this.#fsync);
      // A verification is good for one step only: the folder may have been swapped since the last one.
      if (folder.held === undefined) yield* this.#checkFolder(folders, path, 'write', false);
    } catch (error) {
      yield* this.#discard(temporary);
      throw error instanceof FileOpError ? new FileOpError(shownFile, error.cause) : error;
    }
    yield* this.#moveIntoPlace(temporary, file, path, shownFile, fileName);
  }

  /**
   * Renames a written temporary file over the value file; on failure removes it, and says so plainly when a
   * folder of the same name is in the way. `shownFile` is the file as errors name it.
   */
  *#moveIntoPlace(temporary: string, file: string, path: string, shownFile: string, fileName: string): Task<void> {
    try {
      yield* this.#renameOver(temporary, file);
    } catch (error) {
      yield* this.#discard(temporary);
      if ((yield* stat(file)) === 'directory') {
        throw new RestateBackendError(
          COMPONENT,
          `cannot write ${path}: ${shownFile} is a folder (it holds the children of a node named ${fileName}), so the value file cannot go there; rename or remove that folder`,
          { path, file: shownFile, cause: error },
        );
      }
      throw error instanceof FileOpError ? new FileOpError(shownFile, error.cause) : error;
    }
  }

  /** The root's value lives next to the base, in a folder no symlink inside the base can stand for. */
  *#writeRoot(data: string | Uint8Array): Task<void> {
    const folder = this.#paths.dirname(this.base);
    const file = this.rootFile;
    const temporary = this.#paths.join(folder, temporaryFileName(this.#paths.basename(file), this.#writer));
    try {
      yield* writeFile(temporary, data, this.#fsync);
    } catch (error) {
      yield* this.#discard(temporary);
      const code = codeOf(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      yield* mkdir(folder);
      yield* writeFile(temporary, data, this.#fsync);
    }
    yield* this.#moveIntoPlace(temporary, file, '/', file, this.#paths.basename(file));
  }

  /**
   * The deepest of `folders`, ready for a write: held open where the driver can, after checking that it
   * lies inside the base; otherwise checked afresh. NOT_FOUND when it does not exist.
   */
  *#enterFolder(folders: readonly string[], path: string, verb = 'write'): Task<WriteFolder | typeof NOT_FOUND> {
    const folder = folders[folders.length - 1];
    const held = yield* holdFolder(folder);
    if (held === undefined) {
      const real = yield* this.#checkFolder(folders, path, verb, false);
      return real === NOT_FOUND ? NOT_FOUND : { path: folder, held: undefined };
    }
    if (held === NOT_FOUND) return NOT_FOUND;
    const baseReal = yield* this.#baseRealPath();
    if (baseReal !== NOT_FOUND && this.#isInside(held.real, baseReal)) return { path: held.path, held };
    yield* releaseFolder(held);
    // Name the link itself when it is still there to find.
    yield* this.#checkFolder(folders, path, verb, false);
    throw this.#linkError(folder, held.real, path, verb);
  }

  /** Removes the value file and the children folder, then the ancestor folders left empty (S88). */
  *delete(path: string): Task<void> {
    const segments = this.#segments(path);
    if (segments.length === 0) {
      if ((yield* stat(this.rootFile)) !== 'directory') yield* remove(this.rootFile, false);
      const entries = yield* readDirectory(this.base);
      if (entries === NOT_FOUND) return;
      yield* parallel(entries.map((entry) => remove(this.#paths.join(this.base, entry.name), entry.kind === 'directory')), READ_CONCURRENCY);
      return;
    }
    const folders = this.#folders(segments);
    const folder = folders[folders.length - 1];
    const name = segments[segments.length - 1];
    // Held like a write's folder (S90): removing a subtree through a folder swapped for a symlink would
    // remove whatever it leads to.
    const entered = yield* this.#enterFolder(folders, path, 'delete');
    if (entered === NOT_FOUND) return;
    try {
      const file = this.#paths.join(entered.path, name + this.suffix);
      const childDir = this.#paths.join(entered.path, name);
      const [fileKind, dirKind] = yield* parallel<[string | typeof NOT_FOUND, string | typeof NOT_FOUND]>([stat(file), stat(childDir)]);
      // A folder named like the value file belongs to another node (`name.json`), and a plain file named like
      // the children folder is not part of the state: both stay.
      if (fileKind === 'file' || fileKind === 'symlink') yield* remove(file, false);
      if (dirKind === 'directory') yield* remove(childDir, true);
      else if (dirKind === 'symlink') yield* remove(childDir, false);
    } catch (error) {
      throw error instanceof FileOpError && entered.held !== undefined ? new FileOpError(error.file.replace(entered.held.path, folder), error.cause) : error;
    } finally {
      if (entered.held !== undefined) yield* releaseFolder(entered.held);
    }
    for (let i = folders.length - 1; i > 0; i--) {
      const entries = yield* readDirectory(folders[i]);
      if (entries === NOT_FOUND || entries.length > 0) return;
      try {
        yield* remove(folders[i], false);
      } catch {
        // Something appeared in the folder meanwhile; it is no longer empty, so it stays.
        return;
      }
    }
  }

  /**
   * Removes the temporary files that writers killed mid-write left behind (S87), below the base and, for
   * the root value, next to it; returns the files removed. A file goes only when its writer cannot be
   * writing it any more: recorded as a process of this host that no longer runs, and unchanged for ten
   * minutes, or unchanged for a day. Symlinks are not followed, and folders that cannot be read are skipped.
   */
  *removeStaleTemporaryFiles(): Task<string[]> {
    const removed: string[] = [];
    const rootFileName = this.#paths.basename(this.rootFile);
    yield* this.#removeStaleIn(this.#paths.dirname(this.base), (valueFileName) => valueFileName === rootFileName, removed);
    const folders = [this.base];
    while (folders.length > 0) folders.push(...(yield* this.#removeStaleIn(folders.pop()!, () => true, removed)));
    return removed;
  }

  /** Removes the leftovers in one folder whose value file name `accepts`; returns its subfolders. */
  *#removeStaleIn(folder: string, accepts: (valueFileName: string) => boolean, removed: string[]): Task<string[]> {
    let entries: readonly { name: string; kind: string }[] | typeof NOT_FOUND;
    try {
      entries = yield* readDirectory(folder);
    } catch {
      return [];
    }
    if (entries === NOT_FOUND) return [];
    const subfolders: string[] = [];
    for (const entry of entries) {
      if (entry.kind === 'directory') subfolders.push(this.#paths.join(folder, entry.name));
      if (entry.kind !== 'file') continue;
      const parsed = parseTemporaryFileName(entry.name, this.suffix);
      if (parsed === undefined || !accepts(parsed.valueFileName)) continue;
      const file = this.#paths.join(folder, entry.name);
      try {
        const modified = yield* modifiedTime(file);
        if (modified === NOT_FOUND || !this.#isLeftOver(parsed.owner, Date.now() - modified)) continue;
        yield* remove(file, false);
        removed.push(file);
      } catch {
        // Gone meanwhile, or not ours to remove: either way it stays out of the listings.
      }
    }
    return subfolders;
  }

  #isLeftOver(owner: TemporaryFileOwner | null, ageMs: number): boolean {
    const writer = this.#writer;
    if (owner !== null && writer !== undefined && owner.host === writer.host) {
      return ageMs >= DEAD_WRITER_AGE_MS && !writer.isAlive(owner.pid);
    }
    return ageMs >= ABANDONED_AGE_MS;
  }

  #segments(path: string): string[] {
    const segments = splitPath(path);
    for (const segment of segments) this.#checkRepresentable(segment, path);
    return segments;
  }

  // A name the adapter would split into several path components (a backslash on Windows) could reach
  // somewhere other than the node it names.
  #checkRepresentable(segment: string, path: string): void {
    if (!segment.includes('\\')) return;
    const joined = this.#paths.join(this.base, segment);
    if (this.#paths.basename(joined) !== segment || this.#paths.dirname(joined) !== this.base) {
      throw new RestateNameError(COMPONENT, path, segment, 'this file system would read it as several path components');
    }
  }

  /** `[base, base/s1, …, base/s1/…/s(n-1)]`: the folders down to the one that holds the node's files. */
  #folders(segments: readonly string[]): string[] {
    const folders = [this.base];
    let folder = this.base;
    for (let i = 0; i < segments.length - 1; i++) {
      folder = this.#paths.join(folder, segments[i]);
      folders.push(folder);
    }
    return folders;
  }

  *#baseRealPath(): Task<string | typeof NOT_FOUND> {
    if (this.#baseReal !== undefined) return this.#baseReal;
    if (!this.#resolvesLinks) {
      const kind = yield* stat(this.base);
      return kind === NOT_FOUND ? NOT_FOUND : this.base;
    }
    const real = yield* realpath(this.base, false);
    if (real !== NOT_FOUND) this.#baseReal = real;
    return real;
  }

  #isInside(real: string, baseReal: string): boolean {
    if (!real.startsWith(baseReal)) return false;
    if (real.length === baseReal.length) return true;
    const last = baseReal.charCodeAt(baseReal.length - 1);
    if (last === 0x2f || last === 0x5c) return true;
    const next = real.charCodeAt(baseReal.length);
    return next === 0x2f || next === 0x5c;
  }

  /**
   * The real path of the deepest folder of `folders` if it lies inside the base, NOT_FOUND when it does
   * not exist; a RestatePathError naming the link when a symlink leads outside (S90).
   */
  *#checkFolder(folders: readonly string[], path: string, verb: string, mayReuse = true): Task<string | typeof NOT_FOUND> {
    const baseReal = this.#baseReal ?? (yield* this.#baseRealPath());
    if (baseReal === NOT_FOUND) return NOT_FOUND;
    const folder = folders[folders.length - 1];
    if (folders.length === 1) return baseReal;
    if (!this.#resolvesLinks) {
      for (let i = 1; i < folders.length; i++) {
        const kind = yield* stat(folders[i]);
        if (kind === NOT_FOUND) return NOT_FOUND;
        if (kind === 'symlink') throw this.#linkError(folders[i], undefined, path, verb);
      }
      return folder;
    }
    const real = yield* realpath(folder, mayReuse);
    if (real === NOT_FOUND || this.#isInside(real, baseReal)) return real;
    for (let i = 1; i < folders.length; i++) {
      const target = yield* realpath(folders[i], false);
      if (target !== NOT_FOUND && !this.#isInside(target, baseReal)) throw this.#linkError(folders[i], target, path, verb);
    }
    throw this.#linkError(folder, real, path, verb);
  }

  #linkError(link: string, target: string | undefined, path: string, verb: string): RestatePathError {
    const where = target === undefined ? 'the file adapter cannot tell where it leads' : `it leads to ${target}`;
    return new RestatePathError(COMPONENT, path, `cannot ${verb} ${path}: ${link} is a symlink out of the base folder ${this.base} (${where}); restate does not follow it`);
  }

  /** The children folder of a node, following a symlink only inside the base; undefined when there is none. */
  *#childFolder(folder: string, folderReal: string, name: string, kind: string, path: string, verb: string): Task<{ path: string; real: string } | undefined> {
    const dir = this.#paths.join(folder, name);
    if (kind === 'directory') return { path: dir, real: this.#paths.join(folderReal, name) };
    if (!this.#resolvesLinks) throw this.#linkError(dir, undefined, path, verb);
    const baseReal = yield* this.#baseRealPath();
    const target = yield* realpath(dir, false);
    if (target === NOT_FOUND || baseReal === NOT_FOUND) return undefined;
    if (!this.#isInside(target, baseReal)) throw this.#linkError(dir, target, path, verb);
    return (yield* stat(target)) === 'directory' ? { path: target, real: target } : undefined;
  }

  /** A value file's value, or MISSING. `outside` marks the root value file, which lies outside the base. */
  *#readValue(file: string, path: string, outside: boolean, tolerant: boolean): Task<unknown> {
    let raw = yield* readFile(file, this.#text, true);
    if (raw === IS_SYMLINK) {
      if (!this.#resolvesLinks) throw this.#linkError(file, undefined, path, 'read');
      const target = yield* realpath(file, false);
      if (target === NOT_FOUND) return MISSING;
      if (!outside) {
        const baseReal = yield* this.#baseRealPath();
        if (baseReal === NOT_FOUND || !this.#isInside(target, baseReal)) throw this.#linkError(file, target, path, 'read');
      }
      raw = yield* readFile(target, this.#text, false);
    }
    if (raw === NOT_FOUND || raw === IS_SYMLINK) return MISSING;
    return this.#decode(raw, file, path, tolerant);
  }

  #decode(raw: string | Uint8Array, file: string, path: string, tolerant: boolean): unknown {
    const content = typeof raw === 'string' && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    try {
      return this.#serializer.deserialize(content);
    } catch (error) {
      const unreadable = new RestateFormatError(COMPONENT, path, file, describe(error), { cause: error });
      if (tolerant) return new UnreadableValue(unreadable);
      throw unreadable;
    }
  }

  /**
   * The entries of a folder that can be children (S84), by name. Symlinks count only when they stay
   * inside the base and do not lead back to a folder above, which would make reads endless.
   */
  *#classify(dir: string, dirReal: string): Task<Map<string, ChildSources>> {
    const sources = new Map<string, ChildSources>();
    const entries = yield* readDirectory(dir);
    if (entries === NOT_FOUND) return sources;
    const suffix = this.suffix;
    for (const entry of entries) {
      const entryName = entry.name;
      if (isTemporaryName(entryName)) continue;
      let kind = entry.kind;
      let path = this.#paths.join(dir, entryName);
      let real: string | undefined;
      if (kind === 'symlink') {
        if (!this.#resolvesLinks) continue;
        const baseReal = yield* this.#baseRealPath();
        const target = yield* realpath(path, false);
        if (target === NOT_FOUND || baseReal === NOT_FOUND || !this.#isInside(target, baseReal)) continue;
        if (this.#isInside(dirReal, target)) continue;
        const targetKind = yield* stat(target);
        if (targetKind === NOT_FOUND) continue;
        kind = targetKind;
        path = target;
        real = target;
      }
      if (kind === 'file' && entryName.length > suffix.length && entryName.endsWith(suffix)) {
        const name = entryName.slice(0, -suffix.length);
        if (isChildName(name)) {
          const source = sources.get(name);
          if (source === undefined) sources.set(name, { file: path });
          else source.file = path;
        }
      } else if (kind === 'directory' && isChildName(entryName)) {
        const folder = { path, real: real ?? this.#paths.join(dirReal, entryName) };
        const source = sources.get(entryName);
        if (source === undefined) sources.set(entryName, { folder });
        else source.folder = folder;
      }
    }
    return sources;
  }

  /** Whether a folder holds a child, recursively: folders without children do not count (S84). */
  *#hasChildren(dir: string, dirReal: string): Task<boolean> {
    const sources = yield* this.#classify(dir, dirReal);
    for (const source of sources.values()) {
      if (source.file !== undefined) return true;
    }
    for (const source of sources.values()) {
      if (yield* this.#hasChildren(source.folder!.path, source.folder!.real)) return true;
    }
    return false;
  }

  /** The children of a node as a fresh object in code-unit order, or undefined when it has none. */
  *#readChildren(dir: string, dirReal: string, path: string, tolerant: boolean): Task<Record<string, unknown> | undefined> {
    const sources = yield* this.#classify(dir, dirReal);
    if (sources.size === 0) return undefined;
    const names = [...sources.keys()].sort(compareNames);
    const reads = yield* parallel<unknown[]>(
      names.map((name) => this.#readChild(sources.get(name)!, childOf(path, name), tolerant)),
      READ_CONCURRENCY,
    );
    let children: Record<string, unknown> | undefined;
    for (let i = 0; i < names.length; i++) {
      if (reads[i] === MISSING) continue;
      children ??= {};
      setKey(children, names[i], reads[i]);
    }
    return children;
  }

  *#readChild(source: ChildSources, path: string, tolerant: boolean): Task<unknown> {
    let value: unknown = MISSING;
    if (source.file !== undefined) {
      const raw = yield* readFile(source.file, this.#text, false);
      if (raw !== NOT_FOUND && raw !== IS_SYMLINK) value = this.#decode(raw, source.file, path, tolerant);
    }
    const children = source.folder === undefined ? undefined : yield* this.#readChildren(source.folder.path, source.folder.real, path, tolerant);
    return combine(value, children);
  }

  /**
   * Creates the folders down to the last of `folders`, one at a time, each inside its parent held open
   * or checked just before (S90).
   */
  *#createFolders(folders: readonly string[], path: string): Task<void> {
    let existing = folders.length - 1;
    while (existing >= 0 && (yield* stat(folders[existing])) === NOT_FOUND) existing--;
    try {
      // The base and the folders above it are not the state's: only what lies inside can be swapped.
      if (existing < 0) yield* mkdir(this.base);
      for (let level = Math.max(existing, 0) + 1; level < folders.length; level++) {
        const parent = yield* this.#enterFolder(folders.slice(0, level), path);
        if (parent === NOT_FOUND) throw new FileOpError(folders[level - 1], Object.assign(new Error('the folder vanished while a folder was created in it'), { code: 'ENOENT' }));
        try {
          yield* mkdir(this.#paths.join(parent.path, this.#paths.basename(folders[level])));
        } catch (error) {
          // The parent was removed after it was entered (a folder renamed over it replaces it).
          if (codeOf(error) !== 'ENOENT') throw error;
          throw new FileOpError(folders[level - 1], Object.assign(new Error(`${folders[level - 1]} vanished while a folder was made in it`), { code: 'ENOENT' }));
        } finally {
          if (parent.held !== undefined) yield* releaseFolder(parent.held);
        }
      }
    } catch (error) {
      const code = codeOf(error);
      if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
      yield* this.#throwFileConflict(folders, path, error);
    }
  }

  *#throwFileConflict(folders: readonly string[], path: string, cause: unknown): Task<never> {
    for (let i = 1; i < folders.length; i++) {
      const kind = yield* stat(folders[i]);
      if (kind === 'file' || kind === 'other') {
        throw new RestateBackendError(
          COMPONENT,
          `cannot write ${path}: ${folders[i]} is a file, but it is needed as a folder for the children; rename or remove that file`,
          { path, file: folders[i], cause },
        );
      }
    }
    throw cause;
  }

  *#renameOver(temporary: string, file: string): Task<void> {
    let waited = 0;
    let delay = 10;
    while (true) {
      try {
        yield* rename(temporary, file, this.#fsync);
        return;
      } catch (error) {
        if (!this.#retryRenames || !RETRYABLE_RENAME_CODES.has(codeOf(error) ?? '') || waited >= RENAME_RETRY_MS) throw error;
        if ((yield* stat(file)) === 'directory') throw error;
        yield* sleep(delay);
        waited += delay;
        delay = Math.min(delay * 2, 200);
      }
    }
  }

  *#discard(temporary: string): Task<void> {
    try {
      yield* remove(temporary, false);
    } catch {
      // The original error matters more; a leftover temporary file is ignored by every listing.
    }
  }
}

// Names that no path can reach are not children.
function isChildName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('*');
}

function combine(value: unknown, children: Record<string, unknown> | undefined): unknown {
  if (children === undefined) return value;
  if (value === MISSING) return children;
  const node: Record<string, unknown> = { [OWN_VALUE_KEY]: value };
  for (const name of Object.keys(children)) setKey(node, name, children[name]);
  return node;
}

// Plain assignment of "__proto__" would replace the prototype instead of adding a child.
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
