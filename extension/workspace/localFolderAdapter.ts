import { close, closeSync, constants, lstatSync, openSync, readFileSync, realpathSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import { nodeFileAdapter } from '../restate';
import type { EntryKind, FileAdapter } from '../restate';

/** How an adapter's paths are composed, and how they map to this machine's file paths and back. */
export interface LocalPaths {
  join(dir: string, name: string): string;
  dirname(path: string): string;
  basename(path: string): string;
  toFsPath(path: string): string;
  fromFsPath(fsPath: string): string;
}

// node:fs takes numeric open flags wherever it takes a flag string, though its typings admit only strings.
const flags = (value: number): string => value as unknown as string;
// A read that refuses a final symlink tells a value file from a link in one call (not on Windows).
const NO_FOLLOW_READ = constants.O_NOFOLLOW === undefined ? undefined : flags(constants.O_RDONLY | constants.O_NOFOLLOW);
// As nodeFileAdapter's writes: a symlink planted at the name of the file being written is not followed.
const WRITE = flags(constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0));

// How many value files just read stay open at once (see ReadsKeptOpen); a burst's reads beyond it close at once.
const KEPT_OPEN_LIMIT = 16;

/**
 * Value files read without following a link stay open until the end of the event loop's turn, then close on
 * libuv's thread pool. A derivation's dest write reads its file back for the conflict check (S130) and renames
 * the new file over it in the same turn: while the old file is still open, the rename only unlinks it, and
 * freeing its inode and blocks, most of a single write's time on ext4 after a pause (bench/README.md, "The
 * rename: freeing the file it replaces"), is left to the close, off the extension host's thread. An open descriptor takes no lock on
 * Linux or macOS, and the rename replaces the name all the same; on an NFS mount the client keeps the replaced
 * file under a hidden `.nfs…` name until the close, which no listing of the state takes for a value file.
 */
class ReadsKeptOpen {
  readonly #open = new Map<string, number>();
  #closeScheduled = false;

  /** The file's bytes, read through a descriptor that refuses a final symlink and stays open for this turn. */
  read(file: string, flag: string): Buffer {
    const fd = openSync(file, flag);
    let data: Buffer;
    try {
      data = readFileSync(fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#keep(file, fd);
    return data;
  }

  /** Closes, on the thread pool, the descriptor of `file` read in this turn, if any: it was just replaced. */
  release(file: string): void {
    const fd = this.#open.get(file);
    if (fd === undefined) return;
    this.#open.delete(file);
    closeLater(fd);
  }

  #keep(file: string, fd: number): void {
    this.release(file);
    if (this.#open.size >= KEPT_OPEN_LIMIT) {
      const [oldest] = this.#open.keys();
      this.release(oldest);
    }
    this.#open.set(file, fd);
    if (this.#closeScheduled) return;
    this.#closeScheduled = true;
    setImmediate(() => {
      this.#closeScheduled = false;
      for (const kept of this.#open.values()) closeLater(kept);
      this.#open.clear();
    });
  }
}

// A close of a read descriptor has nothing to report: the data was read, and the descriptor is gone either way.
function closeLater(fd: number): void {
  close(fd, () => undefined);
}

/**
 * A FileAdapter (S96) for a folder on this machine: nodeFileAdapter's operations on the paths `paths` maps,
 * with the calls of one value's read and write made synchronously: the folder's real path, the value file
 * read without following a link, a stat, the temporary file and the rename. Each is one or a few system calls
 * on one small file, microseconds on a local disk; made asynchronously, each went through libuv's thread pool
 * and waited for the next turn of a busy event loop, and a derivation's run (its dest read for the conflict
 * check of S130, then written) made about ten such round trips. Folder listings, the reads of a parent's
 * children (thousands of files in a large folder), deletes and folder creation stay asynchronous, as do
 * writes with fsync, which wait for the disk. No `holdFolder`: each write checks its folder's real path
 * before the temporary file and again just before the rename (S90).
 */
export function localFolderAdapter(paths: LocalPaths): FileAdapter {
  const fsPath = paths.toFsPath;
  const kept = new ReadsKeptOpen();
  return {
    join: paths.join,
    dirname: paths.dirname,
    basename: paths.basename,
    readFile: (path) => nodeFileAdapter.readFile(fsPath(path)),
    ...(NO_FOLLOW_READ === undefined ? {} : { readFileNoFollow: async (path: string) => kept.read(fsPath(path), NO_FOLLOW_READ) }),
    async writeFile(path, data, opts) {
      if (opts.fsync) return nodeFileAdapter.writeFile(fsPath(path), data, opts);
      writeFileSync(fsPath(path), data, { flag: WRITE });
    },
    readDirectory: (path) => nodeFileAdapter.readDirectory(fsPath(path)),
    async stat(path) {
      let info: Stats | undefined;
      try {
        info = lstatSync(fsPath(path), { throwIfNoEntry: false });
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOTDIR') return undefined;
        throw error;
      }
      return info === undefined ? undefined : { kind: kindOf(info), mtimeMs: info.mtimeMs };
    },
    delete: (path, opts) => nodeFileAdapter.delete(fsPath(path), opts),
    async rename(from, to, opts) {
      if (opts.fsync) return nodeFileAdapter.rename(fsPath(from), fsPath(to), opts);
      const target = fsPath(to);
      renameSync(fsPath(from), target);
      kept.release(target);
    },
    mkdir: (path) => nodeFileAdapter.mkdir(fsPath(path)),
    realpath: async (path) => paths.fromFsPath(realpathSync.native(fsPath(path))),
  };
}

function kindOf(info: Stats): EntryKind {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  return 'other';
}
