import type { Dirent } from 'node:fs';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { DESCRIPTOR_FOLDER, direntKind, makeFoldersSync, nodeFileAdapter, nodeReadFileNoFollow } from './adapter';
import type { EntryKind, FileAdapter } from './adapter';
import { hostTag } from './names';
import type { WriterProcess } from './names';

/*
 * The filesystem algorithms are written once, as generators that yield these operations (house style:
 * sync and async without writing everything twice). `performSync` performs them with synchronous node:fs calls,
 * `performAsync` awaits them on a FileAdapter. Both give every operation the same meaning, so the layout code
 * cannot tell which one drives it.
 */

/** A file or folder that is not there (or a folder where a file was expected): absence, not an error. */
export const NOT_FOUND: unique symbol = Symbol('not found');
/** A value file that is a symlink; the layout decides whether it may be followed (S90). */
export const IS_SYMLINK: unique symbol = Symbol('symlink');

export interface DirectoryEntry {
  readonly name: string;
  readonly kind: EntryKind;
}

export type FileOp =
  | { readonly op: 'readFile'; readonly path: string; readonly text: boolean; readonly detectLink: boolean }
  | { readonly op: 'readDirectory'; readonly path: string }
  | { readonly op: 'stat'; readonly path: string }
  | { readonly op: 'childFolderKind'; readonly folder: string; readonly name: string; readonly path: string }
  | { readonly op: 'modifiedTime'; readonly path: string }
  | { readonly op: 'holdFolder'; readonly path: string }
  | { readonly op: 'releaseFolder'; readonly held: string }
  | { readonly op: 'realpath'; readonly path: string; readonly folder: boolean }
  | { readonly op: 'writeFile'; readonly path: string; readonly data: string | Uint8Array; readonly fsync: boolean }
  | { readonly op: 'rename'; readonly from: string; readonly to: string; readonly fsync: boolean }
  | { readonly op: 'delete'; readonly path: string; readonly recursive: boolean }
  | { readonly op: 'mkdir'; readonly path: string }
  | { readonly op: 'sleep'; readonly ms: number }
  | { readonly op: 'parallel'; readonly tasks: readonly Task<unknown>[]; readonly limit: number };

type PrimitiveOp = Exclude<FileOp, { op: 'parallel' }>;

export type Task<T> = Generator<FileOp, T, unknown>;

/** A failed operation, with the file it was working on. `code` is the underlying error's code, if any. */
export class FileOpError extends Error {
  readonly code: string | undefined;
  readonly file: string;

  constructor(file: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.code = codeOf(cause);
    this.file = file;
  }
}

export function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object' || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function opFile(op: PrimitiveOp): string {
  return op.op === 'rename' ? op.to : op.op === 'sleep' ? '' : op.op === 'releaseFolder' ? op.held : op.path;
}

// The helpers below give each operation its result type; the drivers guarantee it.

/**
 * The file's content (a string when `text`), NOT_FOUND when nothing readable is there, or IS_SYMLINK when
 * `detectLink` is set and the path is a symlink.
 */
export function* readFile(path: string, text: boolean, detectLink: boolean): Task<string | Uint8Array | typeof NOT_FOUND | typeof IS_SYMLINK> {
  return (yield { op: 'readFile', path, text, detectLink }) as string | Uint8Array | typeof NOT_FOUND | typeof IS_SYMLINK;
}

/** The folder's entries, or NOT_FOUND when there is no folder. */
export function* readDirectory(path: string): Task<readonly DirectoryEntry[] | typeof NOT_FOUND> {
  return (yield { op: 'readDirectory', path }) as readonly DirectoryEntry[] | typeof NOT_FOUND;
}

/** What is at `path`, not following a final symlink. */
export function* stat(path: string): Task<EntryKind | typeof NOT_FOUND> {
  return (yield { op: 'stat', path }) as EntryKind | typeof NOT_FOUND;
}

/** What a node's folder of children can be: a folder, or a symlink the layout may follow (S90). */
export type ChildFolderKind = 'directory' | 'symlink';

/**
 * Whether the entry `name` of `folder` (at `path`, their join) is a folder or a symlink, not following it;
 * NOT_FOUND for anything else or nothing. The sync driver may answer from one listing of `folder` made in
 * the current synchronous run, when that run looks into the folder often.
 */
export function* childFolderKind(folder: string, name: string, path: string): Task<ChildFolderKind | typeof NOT_FOUND> {
  return (yield { op: 'childFolderKind', folder, name, path }) as ChildFolderKind | typeof NOT_FOUND;
}

/** When the file was last modified, in milliseconds since 1970; NOT_FOUND when it is not there or the driver cannot tell. */
export function* modifiedTime(path: string): Task<number | typeof NOT_FOUND> {
  return (yield { op: 'modifiedTime', path }) as number | typeof NOT_FOUND;
}

/**
 * The path with links resolved. `folder` marks a containment check of a folder, which the sync driver may
 * answer from the verifications of the current synchronous run.
 */
export function* realpath(path: string, folder: boolean): Task<string | typeof NOT_FOUND> {
  return (yield { op: 'realpath', path, folder }) as string | typeof NOT_FOUND;
}

/** A folder held open, reached through `path` whatever happens to the path it was opened by; `real` is where it was then. */
export interface HeldFolder {
  readonly path: string;
  readonly real: string;
}

/**
 * Opens a folder so that paths through the result keep reaching it even if its path is swapped for a
 * symlink meanwhile; NOT_FOUND when there is no folder; undefined when the driver cannot hold folders.
 * Every hold must be released.
 */
export function* holdFolder(path: string): Task<HeldFolder | typeof NOT_FOUND | undefined> {
  return (yield { op: 'holdFolder', path }) as HeldFolder | typeof NOT_FOUND | undefined;
}

export function* releaseFolder(held: HeldFolder): Task<void> {
  yield { op: 'releaseFolder', held: held.path };
}

/** Creates a temporary file, never through a symlink at its name, and never over an existing file where the driver can tell. */
export function* writeFile(path: string, data: string | Uint8Array, fsync: boolean): Task<void> {
  yield { op: 'writeFile', path, data, fsync };
}

export function* rename(from: string, to: string, fsync: boolean): Task<void> {
  yield { op: 'rename', from, to, fsync };
}

export function* remove(path: string, recursive: boolean): Task<void> {
  yield { op: 'delete', path, recursive };
}

export function* mkdir(path: string): Task<void> {
  yield { op: 'mkdir', path };
}

export function* sleep(ms: number): Task<void> {
  yield { op: 'sleep', ms };
}

/** Runs the tasks concurrently (at most `limit` at a time) when the driver can, in order otherwise. */
export function* parallel<T extends readonly unknown[]>(tasks: { readonly [K in keyof T]: Task<T[K]> }, limit = Infinity): Task<T> {
  return (yield { op: 'parallel', tasks, limit }) as T;
}

/** This process, for temporary file names; `process.kill(pid, 0)` tells whether another one runs. */
export const thisProcess: WriterProcess = Object.freeze({
  host: hostTag(hostname()),
  pid: process.pid,
  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it runs, under another user.
      return codeOf(error) === 'EPERM';
    }
  },
});

/** Performs operations with synchronous node:fs calls. */
export interface SyncFiles {
  execute(op: PrimitiveOp): unknown;
}

/** Performs operations by awaiting an adapter. */
export interface AsyncFiles {
  execute(op: PrimitiveOp): Promise<unknown>;
}

export function performSync<T>(task: Task<T>, files: SyncFiles): T {
  let step = task.next();
  while (step.done !== true) {
    const op = step.value;
    let result: unknown;
    try {
      result = op.op === 'parallel' ? op.tasks.map((sub) => performSync(sub, files)) : files.execute(op);
    } catch (error) {
      step = task.throw(error);
      continue;
    }
    step = task.next(result);
  }
  return step.value;
}

export async function performAsync<T>(task: Task<T>, files: AsyncFiles): Promise<T> {
  let step = task.next();
  while (step.done !== true) {
    const op = step.value;
    let result: unknown;
    try {
      result = op.op === 'parallel' ? await runLimited(op.tasks, op.limit, files) : await files.execute(op);
    } catch (error) {
      step = task.throw(error);
      continue;
    }
    step = task.next(result);
  }
  return step.value;
}

// A bounded pool: reading a parent with thousands of children must not open thousands of files at once.
// Tasks start in order and their results are taken in order, so the earliest task that fails decides the
// error, as in performSync: a leaf read's containment check (S90) wins over a failure of the file reads beside
// it, however fast that one fails, and tasks after the failing one are not waited for.
async function runLimited(tasks: readonly Task<unknown>[], limit: number, files: AsyncFiles): Promise<unknown[]> {
  const runs: Promise<unknown>[] = [];
  let failed = false;
  const start = (): void => {
    if (failed || runs.length >= tasks.length) return;
    const run = performAsync(tasks[runs.length], files);
    runs.push(run);
    run.then(start, () => {
      failed = true;
    });
  };
  for (let i = 0; i < Math.min(limit, tasks.length); i++) start();
  const results: unknown[] = new Array<unknown>(tasks.length);
  // Every finished task has started its successor before this loop resumes, so runs[i] exists by now.
  for (let i = 0; i < tasks.length; i++) results[i] = await runs[i];
  return results;
}

const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR']);
const NO_THROW = { throwIfNoEntry: false } as const;
interface ReadOptions {
  readonly encoding?: 'utf8';
  readonly flag: string;
}
// node:fs takes numeric open flags wherever it takes a flag string, though its typings admit only strings.
function openFlags(flags: number): string {
  return flags as unknown as string;
}
const NOFOLLOW: number | undefined = constants.O_NOFOLLOW;
const PLAIN_READ = { text: { encoding: 'utf8', flag: 'r' }, binary: { flag: 'r' } } as const;
const NOFOLLOW_READ = {
  text: { encoding: 'utf8', flag: openFlags(constants.O_RDONLY | (NOFOLLOW ?? 0)) },
  binary: { flag: openFlags(constants.O_RDONLY | (NOFOLLOW ?? 0)) },
} as const;
// Ideally a symlinked value file makes open() fail with ELOOP; some systems report EMLINK or EFTYPE.
const LINK_CODES = new Set(['ELOOP', 'EMLINK', 'EFTYPE']);

// A synchronous run lists a folder instead of asking for one entry's kind at a time once it has asked this
// often: a listing of the folder costs about as much as a few hundred lookups of names it lacks, and far
// less than ten thousand of them, as when a loop reads every child of a folder.
const LOOKS_BEFORE_LISTING = 32;
// Once a folder's size is known, a run lists it only after as many looks as a quarter of its entries, about
// where the looks have cost what the listing costs: never much more than twice the best choice made knowing
// how many looks the run will make.
const LOOKS_PER_LISTED_ENTRY = 1 / 4;
const REMEMBERED_FOLDER_SIZES = 1024;

/**
 * node:fs, synchronously. Folder containment checks are remembered until the current synchronous run
 * ends (the next microtask), so a burst of calls checks each folder once; a check that happens between
 * two runs sees every change made in the meantime. Deletes forget all of them at once. Likewise a folder
 * looked into often for children folders is listed once for the rest of the run; every change this driver
 * makes to folders forgets those listings.
 */
export class NodeSyncFiles implements SyncFiles {
  readonly #verifiedFolders = new Map<string, string>();
  /** Per folder looked into in this run: how often so far, or its folders and symlinks once listed. */
  readonly #folderLooks = new Map<string, number | ChildFolderListing>();
  /** How many entries folders had when last listed, for the choice of when to list them again. */
  readonly #folderSizes = new Map<string, number>();
  #clearScheduled = false;

  execute(op: PrimitiveOp): unknown {
    try {
      return this.#execute(op);
    } catch (error) {
      throw new FileOpError(opFile(op), error);
    }
  }

  #execute(op: PrimitiveOp): unknown {
    switch (op.op) {
      case 'readFile':
        return this.#readFile(op.path, op.text, op.detectLink);
      case 'readDirectory':
        try {
          return readdirSync(op.path, { withFileTypes: true }).map((entry) => ({ name: entry.name, kind: direntKind(entry) }));
        } catch (error) {
          if (ABSENT_CODES.has(codeOf(error) ?? '')) return NOT_FOUND;
          throw error;
        }
      case 'stat':
        return lstatOrAbsent(op.path);
      case 'childFolderKind':
        return this.#childFolderKind(op.folder, op.name, op.path);
      case 'realpath':
        return this.#realpath(op.path, op.folder);
      case 'modifiedTime':
        return lstatSync(op.path, NO_THROW)?.mtimeMs ?? NOT_FOUND;
      case 'holdFolder':
        return holdFolderSync(op.path);
      case 'releaseFolder':
        closeSync(heldDescriptor(op.held));
        return undefined;
      case 'writeFile':
        if (op.fsync) writeDurably(op.path, op.data);
        else writeFileSync(op.path, op.data, { flag: NEW_FILE_FLAG });
        return undefined;
      case 'rename':
        this.#folderLooks.clear();
        renameSync(op.from, op.to);
        if (op.fsync) syncFolder(dirname(op.to));
        return undefined;
      case 'delete':
        this.#verifiedFolders.clear();
        this.#folderLooks.clear();
        if (op.recursive) rmSync(op.path, { recursive: true, force: true });
        else removeOne(op.path);
        return undefined;
      case 'mkdir':
        this.#folderLooks.clear();
        makeFoldersSync(op.path);
        return undefined;
      case 'sleep':
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, op.ms);
        return undefined;
    }
  }

  #readFile(path: string, text: boolean, detectLink: boolean): unknown {
    if (!detectLink) return readOrAbsent(path, text, PLAIN_READ);
    if (NOFOLLOW === undefined) {
      if (lstatSync(path, NO_THROW)?.isSymbolicLink() === true) return IS_SYMLINK;
      return readOrAbsent(path, text, PLAIN_READ);
    }
    // One call that opens without following a final symlink, reads and closes: as cheap as a plain read.
    try {
      return readOrAbsent(path, text, NOFOLLOW_READ);
    } catch (error) {
      if (LINK_CODES.has(codeOf(error) ?? '')) return IS_SYMLINK;
      throw error;
    }
  }

  #realpath(path: string, folder: boolean): unknown {
    if (folder) {
      const known = this.#verifiedFolders.get(path);
      if (known !== undefined) return known;
    }
    let real: string;
    try {
      real = realpathSync.native(path);
    } catch (error) {
      if (ABSENT_CODES.has(codeOf(error) ?? '')) return NOT_FOUND;
      throw error;
    }
    if (folder) {
      this.#verifiedFolders.set(path, real);
      this.#forgetWhenRunEnds();
    }
    return real;
  }

  #childFolderKind(folder: string, name: string, path: string): ChildFolderKind | typeof NOT_FOUND {
    const known = this.#folderLooks.get(folder);
    if (typeof known === 'object') return listedChildFolderKind(known, name, path);
    const looks = (known ?? 0) + 1;
    const size = this.#folderSizes.get(folder);
    if (looks < (size === undefined ? LOOKS_BEFORE_LISTING : Math.max(LOOKS_BEFORE_LISTING, size * LOOKS_PER_LISTED_ENTRY))) {
      this.#folderLooks.set(folder, looks);
      this.#forgetWhenRunEnds();
      return childFolderKindOf(lstatOrAbsent(path));
    }
    const listing = listChildFolders(folder);
    if (this.#folderSizes.size >= REMEMBERED_FOLDER_SIZES) this.#folderSizes.clear();
    this.#folderSizes.set(folder, listing.entries);
    this.#folderLooks.set(folder, listing);
    this.#forgetWhenRunEnds();
    return listedChildFolderKind(listing, name, path);
  }

  #forgetWhenRunEnds(): void {
    if (this.#clearScheduled) return;
    this.#clearScheduled = true;
    queueMicrotask(() => {
      this.#clearScheduled = false;
      this.#verifiedFolders.clear();
      this.#folderLooks.clear();
    });
  }
}

function lstatOrAbsent(path: string): EntryKind | typeof NOT_FOUND {
  try {
    const info = lstatSync(path, NO_THROW);
    return info === undefined ? NOT_FOUND : direntKind(info);
  } catch (error) {
    if (codeOf(error) === 'ENOTDIR') return NOT_FOUND;
    throw error;
  }
}

function childFolderKindOf(kind: EntryKind | typeof NOT_FOUND): ChildFolderKind | typeof NOT_FOUND {
  return kind === 'directory' || kind === 'symlink' ? kind : NOT_FOUND;
}

interface ChildFolderListing {
  /** The folders and symlinks of the folder, by name. */
  readonly folders: ReadonlyMap<string, ChildFolderKind>;
  /** Their names as a file system that ignores case, Unicode normalisation or trailing dots would compare them. */
  readonly folded: ReadonlySet<string>;
  readonly entries: number;
}

/** The folders and symlinks in a folder, and how many entries it has; none when it is not there. */
function listChildFolders(folder: string): ChildFolderListing {
  const folders = new Map<string, ChildFolderKind>();
  const folded = new Set<string>();
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if (ABSENT_CODES.has(codeOf(error) ?? '')) return { folders, folded, entries: 0 };
    throw error;
  }
  for (const entry of entries) {
    const kind = entry.isDirectory() ? 'directory' : entry.isSymbolicLink() ? 'symlink' : undefined;
    if (kind === undefined) continue;
    folders.set(entry.name, kind);
    folded.add(foldName(entry.name));
  }
  return { folders, folded, entries: entries.length };
}

function listedChildFolderKind(listing: ChildFolderListing, name: string, path: string): ChildFolderKind | typeof NOT_FOUND {
  const kind = listing.folders.get(name);
  if (kind !== undefined) return kind;
  // Where the file system takes another spelling for the same name (macOS, Windows), only asking it can tell.
  if (listing.folded.size > 0 && listing.folded.has(foldName(name))) return childFolderKindOf(lstatOrAbsent(path));
  return NOT_FOUND;
}

// Wider than any file system's own comparison: a false match only costs an lstat.
function foldName(name: string): string {
  return name.normalize('NFD').toUpperCase().toLowerCase().replace(/[. ]+$/, '');
}

function readOrAbsent(path: string, text: boolean, flags: { readonly text: ReadOptions; readonly binary: ReadOptions }): unknown {
  try {
    return text ? readFileSync(path, flags.text) : readFileSync(path, flags.binary);
  } catch (error) {
    const code = codeOf(error) ?? '';
    if (ABSENT_CODES.has(code) || code === 'EISDIR') return NOT_FOUND;
    throw error;
  }
}

// Without `recursive`, a folder is removed only when empty, like rmdir.
function removeOne(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    const code = codeOf(error) ?? '';
    if (ABSENT_CODES.has(code)) return;
    if ((code !== 'EISDIR' && code !== 'EPERM') || lstatSync(path, NO_THROW)?.isDirectory() !== true) throw error;
    rmdirSync(path);
  }
}

const FOLDER_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);
// Temporary names are unique: a file already there, or a symlink planted at the name, makes the write fail.
const NEW_FILE_FLAG = openFlags(constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (NOFOLLOW ?? 0));

function holdFolderSync(path: string): unknown {
  if (DESCRIPTOR_FOLDER === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(path, openFlags(FOLDER_FLAGS));
  } catch (error) {
    if (ABSENT_CODES.has(codeOf(error) ?? '')) return NOT_FOUND;
    throw error;
  }
  const held = DESCRIPTOR_FOLDER + fd;
  try {
    return { path: held, real: readlinkSync(held) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function heldDescriptor(held: string): number {
  return Number(held.slice(DESCRIPTOR_FOLDER?.length ?? 0));
}

function writeDurably(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, NEW_FILE_FLAG);
  try {
    if (typeof data === 'string') writeSync(fd, data, null, 'utf8');
    else writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFolder(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or sync a folder; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Performs operations on a FileAdapter. */
export class AdapterFiles implements AsyncFiles {
  readonly #adapter: FileAdapter;
  readonly #held = new Map<string, () => Promise<void>>();
  readonly #readNoFollow: ((path: string) => Promise<Uint8Array>) | undefined;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(adapter: FileAdapter) {
    this.#adapter = adapter;
    // Only the frozen default adapter is known to be plain node:fs; a copy may have replaced readFile.
    this.#readNoFollow = adapter.readFileNoFollow?.bind(adapter) ?? (adapter === nodeFileAdapter ? nodeReadFileNoFollow : undefined);
  }

  async execute(op: PrimitiveOp): Promise<unknown> {
    try {
      return await this.#execute(op);
    } catch (error) {
      throw new FileOpError(opFile(op), error);
    }
  }

  async #execute(op: PrimitiveOp): Promise<unknown> {
    const adapter = this.#adapter;
    switch (op.op) {
      case 'readFile':
        return this.#readFile(op.path, op.text, op.detectLink);
      case 'readDirectory':
        try {
          return await adapter.readDirectory(op.path);
        } catch (error) {
          if (ABSENT_CODES.has(codeOf(error) ?? '')) return NOT_FOUND;
          throw error;
        }
      case 'stat':
        return (await adapter.stat(op.path))?.kind ?? NOT_FOUND;
      case 'childFolderKind': {
        const kind = (await adapter.stat(op.path))?.kind;
        return kind === 'directory' || kind === 'symlink' ? kind : NOT_FOUND;
      }
      case 'modifiedTime':
        return (await adapter.stat(op.path))?.mtimeMs ?? NOT_FOUND;
      case 'realpath':
        if (adapter.realpath === undefined) throw new Error('the file adapter cannot resolve symlinks');
        try {
          return await adapter.realpath(op.path);
        } catch (error) {
          if (ABSENT_CODES.has(codeOf(error) ?? '')) return NOT_FOUND;
          throw error;
        }
      case 'holdFolder': {
        if (adapter.holdFolder === undefined) return undefined;
        let held: Awaited<ReturnType<NonNullable<FileAdapter['holdFolder']>>>;
        try {
          held = await adapter.holdFolder(op.path);
        } catch (error) {
          if (ABSENT_CODES.has(codeOf(error) ?? '')) return NOT_FOUND;
          throw error;
        }
        if (held === undefined) return undefined;
        this.#held.set(held.path, held.release);
        return { path: held.path, real: held.real };
      }
      case 'releaseFolder': {
        const release = this.#held.get(op.held);
        this.#held.delete(op.held);
        return release?.();
      }
      case 'writeFile':
        return adapter.writeFile(op.path, typeof op.data === 'string' ? this.#encoder.encode(op.data) : op.data, { fsync: op.fsync });
      case 'rename':
        return adapter.rename(op.from, op.to, { fsync: op.fsync });
      case 'delete':
        return adapter.delete(op.path, { recursive: op.recursive });
      case 'mkdir':
        return adapter.mkdir(op.path);
      case 'sleep':
        return new Promise<void>((resolve) => setTimeout(resolve, op.ms));
    }
  }

  async #readFile(path: string, text: boolean, detectLink: boolean): Promise<unknown> {
    if (detectLink && this.#readNoFollow !== undefined) {
      // One open that refuses a final symlink replaces the stat beside the read.
      try {
        const data = await this.#readNoFollow(path);
        return text ? this.#decoder.decode(data) : data;
      } catch (error) {
        const code = codeOf(error) ?? '';
        if (LINK_CODES.has(code)) return IS_SYMLINK;
        if (ABSENT_CODES.has(code) || code === 'EISDIR') return NOT_FOUND;
        throw error;
      }
    }
    // Both at once: the stat costs no extra wait, and the data is only used if the path is a plain file.
    const [data, info] = await Promise.allSettled([
      this.#adapter.readFile(path),
      detectLink ? this.#adapter.stat(path) : Promise.resolve({ kind: 'file' as EntryKind }),
    ]);
    if (info.status === 'fulfilled') {
      if (info.value === undefined || info.value.kind === 'directory') return NOT_FOUND;
      if (info.value.kind === 'symlink') return IS_SYMLINK;
    }
    if (data.status === 'rejected') {
      const code = codeOf(data.reason) ?? '';
      if (ABSENT_CODES.has(code) || code === 'EISDIR') return NOT_FOUND;
      throw data.reason;
    }
    if (info.status === 'rejected') throw info.reason;
    return text ? this.#decoder.decode(data.value) : data.value;
  }
}
