import { realpath as nodeRealpath } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { EntryKind, FileAdapter } from '../restate';
import { basenameUri, dirnameUri, joinUri } from './uriPaths';

/**
 * A FileAdapter (S96) on vscode.workspace.fs, so that a state folder is read and written wherever the
 * workspace lives: local, remote (SSH, WSL, containers, code-server) or virtual. Paths are URI strings.
 */
export function vscodeFileAdapter(scheme: string): FileAdapter {
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
  // Only local files can be resolved through symlinks (the extension runs where the workspace is). Without
  // realpath the backend refuses to cross symlinks at all, which is the safe choice for other schemes.
  if (scheme === 'file') {
    adapter.realpath = async (path) => {
      try {
        return vscode.Uri.file(await nodeRealpath(vscode.Uri.parse(path, true).fsPath)).toString();
      } catch (error) {
        throw withCode(error);
      }
    };
  }
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
