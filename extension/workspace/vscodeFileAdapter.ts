import * as vscode from 'vscode';
import type { EntryKind, FileAdapter } from '../restate';
import { localFolderAdapter } from './localFolderAdapter';
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

/** nodeFileAdapter on `file` URI strings, with single value files read and written synchronously. */
const localFileAdapter: FileAdapter = localFolderAdapter({
  join: joinUri,
  dirname: dirnameUri,
  basename: basenameUri,
  toFsPath: (path) => vscode.Uri.parse(path, true).fsPath,
  fromFsPath: (fsPath) => vscode.Uri.file(fsPath).toString(),
});

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
