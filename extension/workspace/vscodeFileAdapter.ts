import { constants, lstatSync, readFileSync, realpathSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import * as vscode from 'vscode';
import { nodeFileAdapter } from '../restate';
import type { EntryKind, FileAdapter } from '../restate';
import { basenameUri, dirnameUri, joinUri } from './uriPaths';

/**
 * A FileAdapter (S96) for a state folder wherever the workspace lives: local, remote (SSH, WSL, containers,
 * code-server) or virtual. Paths are URI strings. `file` URIs are on the machine the extension runs on, and
 * their I/O goes straight to node:fs: vscode.workspace.fs relays every call through the workbench, which
 * made one call take 10–50 ms in code-server (a derivation's dest write made four) against well under 1 ms.
 * Other schemes go through vscode.workspace.fs.
 */
export function vscodeFileAdapter(scheme: string): FileAdapter {
  return scheme === 'file' ? localFileAdapter : workspaceFsAdapter();
}

const fsPath = (path: string): string => vscode.Uri.parse(path, true).fsPath;

// node:fs takes numeric open flags wherever it takes a flag string, though its typings admit only strings.
const flags = (value: number): string => value as unknown as string;
// A read that refuses a final symlink tells a value file from a link in one call (not on Windows).
const NO_FOLLOW_READ = constants.O_NOFOLLOW === undefined ? undefined : flags(constants.O_RDONLY | constants.O_NOFOLLOW);
// As nodeFileAdapter's writes: a symlink planted at the name of the file being written is not followed.
const WRITE = flags(constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0));

/*
 * nodeFileAdapter on `file` URI strings, with the calls of a value's read and write made synchronously: the
 * folder's real path, the value file read without following a link, the child folder's stat, the temporary
 * file and the rename. Each is one or a few system calls on one small file, a few microseconds on a local
 * disk; made asynchronously, each went through libuv's thread pool and waited for the extension host's next
 * turn, and a derivation's run (its dest read for the conflict check of S130, then written) made about ten
 * such round trips, 60–75% of the run on a busy machine. Folder listings, the reads of a parent's children
 * (thousands of files for a large folder), deletes and folder creation stay asynchronous, as do writes with
 * fsync, which wait for the disk.
 */
const localFileAdapter: FileAdapter = {
  join: joinUri,
  dirname: dirnameUri,
  basename: basenameUri,
  readFile: (path) => nodeFileAdapter.readFile(fsPath(path)),
  ...(NO_FOLLOW_READ === undefined ? {} : { readFileNoFollow: async (path: string) => readFileSync(fsPath(path), { flag: NO_FOLLOW_READ }) }),
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
    return info === undefined ? undefined : { kind: kindOfStats(info), mtimeMs: info.mtimeMs };
  },
  delete: (path, opts) => nodeFileAdapter.delete(fsPath(path), opts),
  async rename(from, to, opts) {
    if (opts.fsync) return nodeFileAdapter.rename(fsPath(from), fsPath(to), opts);
    renameSync(fsPath(from), fsPath(to));
  },
  mkdir: (path) => nodeFileAdapter.mkdir(fsPath(path)),
  realpath: async (path) => vscode.Uri.file(realpathSync.native(fsPath(path))).toString(),
};

function kindOfStats(info: Stats): EntryKind {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  return 'other';
}

function workspaceFsAdapter(): FileAdapter {
  const fs = vscode.workspace.fs;
  const adapter: FileAdapter = {
    join: joinUri,
    dirname: dirnameUri,
    basename: basenameUri,

    readFile: (path) => wrap(fs.readFile(vscode.Uri.parse(path, true))),

    // The workspace fs cannot fsync; the backend's rename still makes the write atomic.
    writeFile: (path, data) => wrap(fs.writeFile(vscode.Uri.parse(path, true), data)),

    async readDirectory(path) {
      const entries = await wrap(fs.readDirectory(vscode.Uri.parse(path, true)));
      return entries.map(([name, type]) => ({ name, kind: kindOf(type) }));
    },

    async stat(path) {
      try {
        const info = await fs.stat(vscode.Uri.parse(path, true));
        return { kind: kindOf(info.type), mtimeMs: info.mtime };
      } catch (error) {
        const code = codeOf(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw withCode(error);
      }
    },

    async delete(path, opts) {
      try {
        await fs.delete(vscode.Uri.parse(path, true), { recursive: opts.recursive, useTrash: false });
      } catch (error) {
        if (codeOf(error) === 'ENOENT') return;
        throw withCode(error);
      }
    },

    rename: (from, to) => wrap(fs.rename(vscode.Uri.parse(from, true), vscode.Uri.parse(to, true), { overwrite: true })),

    // createDirectory creates missing parents and accepts an existing folder.
    mkdir: (path) => wrap(fs.createDirectory(vscode.Uri.parse(path, true))),
  };
  // No holdFolder: vscode.workspace.fs works by path, in another process, so a write checks its folder just
  // before the rename instead, and temporary files cannot be opened with O_NOFOLLOW (README, Backends).
  // Without realpath the backend refuses to cross symlinks at all, the safe choice where it cannot tell
  // where a link leads.
  return adapter;
}

function kindOf(type: vscode.FileType): EntryKind {
  if (type & vscode.FileType.SymbolicLink) return 'symlink';
  if (type & vscode.FileType.Directory) return 'directory';
  if (type & vscode.FileType.File) return 'file';
  return 'other';
}

/** vscode.FileSystemError codes mapped to the Node codes the backend understands. */
const nodeCodes: Record<string, string> = {
  FileNotFound: 'ENOENT',
  EntryNotFound: 'ENOENT',
  FileNotADirectory: 'ENOTDIR',
  EntryNotADirectory: 'ENOTDIR',
  FileIsADirectory: 'EISDIR',
  EntryIsADirectory: 'EISDIR',
  FileExists: 'EEXIST',
  EntryExists: 'EEXIST',
  NoPermissions: 'EACCES',
};

function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object' || !('code' in error) || typeof error.code !== 'string') return undefined;
  return nodeCodes[error.code] ?? error.code;
}

class AdapterError extends Error {
  constructor(message: string, readonly code: string | undefined, options: { cause: unknown }) {
    super(message, options);
  }
}

function withCode(error: unknown): Error {
  return new AdapterError(error instanceof Error ? error.message : String(error), codeOf(error), { cause: error });
}

async function wrap<T>(operation: Thenable<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw withCode(error);
  }
}
