import {
  close as closeCallback,
  constants,
  existsSync,
  mkdirSync,
  promises as fsp,
  lstat as lstatCallback,
  open as openCallback,
  readlink as readlinkCallback,
  readFile as readFileCallback,
  realpath as realpathCallback,
  statSync,
  writeFile as writeFileCallback,
} from 'node:fs';
import { basename as nodeBasename, dirname as nodeDirname, sep } from 'node:path';

/** What a directory entry or a path is; a symbolic link is reported as 'symlink', not followed. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

/**
 * The file operations under FileSystemAsyncBackend (S96). Paths are opaque strings composed only through
 * `join`, `dirname` and `basename`, so an adapter may use URIs and encode names as it needs.
 *
 * Failures carry Node-style `code`s where they have one: 'ENOENT' for a missing path, 'ENOTDIR' when a
 * file stands where a folder is expected, 'EISDIR' for the reverse. Anything else is reported as an I/O
 * error with the adapter's error as its cause.
 */
export interface FileAdapter {
  /** The path of `name` inside the folder `dir`. */
  join(dir: string, name: string): string;
  /** The folder a path is in. */
  dirname(path: string): string;
  /** The last part of a path: a file's or folder's name. */
  basename(path: string): string;
  /** The file's bytes; a missing file fails with code 'ENOENT'. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * `readFile` that fails (code 'ELOOP', 'EMLINK' or 'EFTYPE') instead of following a final symlink, so that one
   * call tells a value file from a link (S90). Without it, a read that must tell them apart also asks `stat`.
   */
  readFileNoFollow?(path: string): Promise<Uint8Array>;
  /** Creates or replaces the file; with `fsync`, the data is on disk when the promise resolves (if the adapter can). */
  writeFile(path: string, data: Uint8Array, opts: { fsync: boolean }): Promise<void>;
  /** The entries of a folder, symlinks reported as 'symlink'; a missing folder fails with code 'ENOENT'. */
  readDirectory(path: string): Promise<{
    /** The entry's name in the folder. */
    name: string;
    /** What it is. */
    kind: EntryKind;
  }[]>;
  /**
   * What is at `path` without following a final symlink, or undefined when nothing is there. `mtimeMs`, the
   * last modification in milliseconds since 1970, lets the backend remove temporary files that dead writers
   * left (S87); an adapter without it never has them removed.
   */
  stat(path: string): Promise<{
    /** What is there. */
    kind: EntryKind;
    /** Its last modification, in milliseconds since 1970. */
    mtimeMs?: number;
  } | undefined>;
  /** Removes a file, a symlink or (with `recursive`) a folder; a missing path is not an error. */
  delete(path: string, opts: { recursive: boolean }): Promise<void>;
  /** Moves `from` over `to`, replacing a file there; with `fsync`, also syncs the folder (if the adapter can). */
  rename(from: string, to: string, opts: { fsync: boolean }): Promise<void>;
  /** Creates the folder and any missing parents; an existing folder is not an error. */
  mkdir(path: string): Promise<void>;
  /**
   * The path with every symlink resolved, used to keep operations inside the base (S90). Without it,
   * the backend refuses to cross any symlink, as it cannot tell where the link leads.
   */
  realpath?(path: string): Promise<string>;
  /**
   * Opens a folder and returns a `path` that keeps reaching that very folder however its own path is
   * renamed or swapped for a symlink meanwhile, with `real`, where the folder was when opened; `release`
   * closes it. Writes go through it, so that another process cannot divert them out of the base (S90).
   * A missing folder fails with code 'ENOENT'; undefined where the adapter cannot hold folders, and then
   * each write checks the folder's real path just before it renames, which leaves a short window.
   */
  holdFolder?(path: string): Promise<{
    /** A path that reaches the held folder itself. */
    path: string;
    /** Where the folder was when opened, symlinks resolved. */
    real: string;
    /** Closes the folder. */
    release(): Promise<void>;
  } | undefined>;
}

export function direntKind(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryKind {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Joins with the platform separator; names are single segments, so node:path's normalisation is not needed. */
export function nodeJoin(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

function errorCode(error: unknown): unknown {
  return error !== null && typeof error === 'object' && 'code' in error ? error.code : undefined;
}

/*
 * Creating a folder and its missing parents, each tried a bounded number of times. Node's own recursive
 * mkdir starts over for as long as a parent exists but the child cannot be made in it, and that lasts
 * forever for a parent removed while it is reached through its descriptor (/proc/self/fd/<fd>, see
 * DESCRIPTOR_FOLDER): the child fails with ENOENT, the parent is a folder, and it tries again, at full CPU.
 * Here the parents are made once, top down, and a folder that still cannot be made fails with its error.
 */

/** Makes one folder: undefined when made or already a folder, the error when a parent is missing. */
async function makeFolder(folder: string): Promise<unknown> {
  try {
    await fsp.mkdir(folder);
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return error;
    if (code === 'EEXIST' && (await fsp.stat(folder).then((info) => info.isDirectory(), () => false))) return undefined;
    throw error;
  }
}

function makeFolderSync(folder: string): unknown {
  try {
    mkdirSync(folder);
    return undefined;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return error;
    if (code === 'EEXIST' && statSync(folder, { throwIfNoEntry: false })?.isDirectory() === true) return undefined;
    throw error;
  }
}

/** Creates the folder and any missing parents; an existing folder is not an error. */
export async function makeFolders(path: string): Promise<void> {
  const missing: string[] = [];
  for (let folder = path; ; folder = nodeDirname(folder)) {
    const absent = await makeFolder(folder);
    if (absent === undefined) break;
    if (nodeDirname(folder) === folder) throw absent;
    missing.push(folder);
  }
  // Every parent is there by now: a folder that still cannot be made fails instead of starting over.
  for (let i = missing.length - 1; i >= 0; i--) {
    const absent = await makeFolder(missing[i]);
    if (absent !== undefined) throw absent;
  }
}

/** makeFolders, synchronously. */
export function makeFoldersSync(path: string): void {
  const missing: string[] = [];
  for (let folder = path; ; folder = nodeDirname(folder)) {
    const absent = makeFolderSync(folder);
    if (absent === undefined) break;
    if (nodeDirname(folder) === folder) throw absent;
    missing.push(folder);
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    const absent = makeFolderSync(missing[i]);
    if (absent !== undefined) throw absent;
  }
}

async function syncFolder(path: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(path, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or sync a folder; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}

// node:fs takes numeric open flags wherever it takes a flag string, though its typings admit only strings.
const NOFOLLOW_READ_FLAG: string | undefined =
  constants.O_NOFOLLOW === undefined ? undefined : ((constants.O_RDONLY | constants.O_NOFOLLOW) as unknown as string);
// A symlink planted at the name of a file being written is not followed.
const WRITE_FLAG = (constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0)) as unknown as string;
const FOLDER_FLAG = (constants.O_RDONLY | (constants.O_DIRECTORY ?? 0)) as unknown as string;
/**
 * Where the descriptors of this process can be used as folders in paths (Linux): `/proc/self/fd/<fd>/name`
 * is `name` in the folder opened as `fd`, wherever that folder has moved since. It stands in for openat().
 */
export const DESCRIPTOR_FOLDER: string | undefined = process.platform === 'linux' && existsSync('/proc/self/fd') ? '/proc/self/fd/' : undefined;

/**
 * `nodeFileAdapter.readFile` that fails (ELOOP on most systems) instead of following a final symlink, so
 * one open tells a plain value file from a link; undefined where the platform has no O_NOFOLLOW (Windows).
 */
export const nodeReadFileNoFollow: ((path: string) => Promise<Uint8Array>) | undefined =
  NOFOLLOW_READ_FLAG === undefined
    ? undefined
    : (path) =>
        new Promise<Uint8Array>((resolve, reject) =>
          readFileCallback(path, { flag: NOFOLLOW_READ_FLAG }, (error, data) => (error ? reject(error) : resolve(data))),
        );

/** The default FileAdapter, on `node:fs`. */
export const nodeFileAdapter: FileAdapter = Object.freeze({
  join: nodeJoin,
  dirname: (path: string): string => nodeDirname(path),
  basename: (path: string): string => nodeBasename(path),

  // The callback forms of readFile and writeFile cost less than fs.promises' FileHandle-based ones.
  readFile: (path: string): Promise<Uint8Array> =>
    new Promise<Uint8Array>((resolve, reject) => readFileCallback(path, (error, data) => (error ? reject(error) : resolve(data)))),

  async writeFile(path: string, data: Uint8Array, opts: { fsync: boolean }): Promise<void> {
    if (!opts.fsync) {
      return new Promise<void>((resolve, reject) => writeFileCallback(path, data, { flag: WRITE_FLAG }, (error) => (error ? reject(error) : resolve())));
    }
    const handle = await fsp.open(path, WRITE_FLAG);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },

  async readDirectory(path: string): Promise<{ name: string; kind: EntryKind }[]> {
    const entries = await fsp.readdir(path, { withFileTypes: true });
    return entries.map((entry) => ({ name: entry.name, kind: direntKind(entry) }));
  },

  // Every leaf read asks for a children folder that usually is not there: the callback form answers
  // that without the promise API's extra layers.
  stat: (path: string): Promise<{ kind: EntryKind; mtimeMs: number } | undefined> =>
    new Promise<{ kind: EntryKind; mtimeMs: number } | undefined>((resolve, reject) =>
      lstatCallback(path, (error, info) => {
        if (error === null) resolve({ kind: direntKind(info), mtimeMs: info.mtimeMs });
        else if (error.code === 'ENOENT' || error.code === 'ENOTDIR') resolve(undefined);
        else reject(error);
      }),
    ),

  async delete(path: string, opts: { recursive: boolean }): Promise<void> {
    if (opts.recursive) return fsp.rm(path, { recursive: true, force: true });
    try {
      await fsp.unlink(path);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      // Without `recursive`, a folder is removed only when empty, like rmdir.
      if ((code !== 'EISDIR' && code !== 'EPERM') || !(await fsp.lstat(path)).isDirectory()) throw error;
      await fsp.rmdir(path);
    }
  },

  async rename(from: string, to: string, opts: { fsync: boolean }): Promise<void> {
    await fsp.rename(from, to);
    if (opts.fsync) await syncFolder(nodeDirname(to));
  },

  mkdir: makeFolders,

  // The same native realpath(3) as fs.promises.realpath, without its promise layers; it runs on every read.
  realpath: (path: string): Promise<string> =>
    new Promise<string>((resolve, reject) => realpathCallback.native(path, (error, real) => (error ? reject(error) : resolve(real)))),

  // Callbacks rather than a FileHandle: every write holds its folder, and the promise API costs more per call.
  holdFolder: (path: string): Promise<{ path: string; real: string; release(): Promise<void> } | undefined> =>
    new Promise((resolve, reject) => {
      if (DESCRIPTOR_FOLDER === undefined) return resolve(undefined);
      openCallback(path, FOLDER_FLAG, (openError, fd) => {
        if (openError !== null) return reject(openError);
        const release = (): Promise<void> => new Promise<void>((done, fail) => closeCallback(fd, (error) => (error ? fail(error) : done())));
        const held = DESCRIPTOR_FOLDER + fd;
        readlinkCallback(held, (error, real) => {
          if (error === null) resolve({ path: held, real, release });
          else release().then(() => reject(error), () => reject(error));
        });
      });
    }),
});
