import { readFileSync, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';

/*
 * The tree's own reads of a state folder (a value file, a folder's entries, whether a folder exists) as
 * vscode.workspace.fs answers them, for any scheme. A `file` URI is on the machine the extension runs on,
 * and its reads go straight to node:fs: vscode.workspace.fs relays every call through the workbench, which in
 * code-server made the first display of a 10,000-entry folder wait for the relayed listing and the 200
 * relayed reads of its first page (and the start-up scan for state folders for its relayed stat) behind
 * everything else the workbench was doing. Errors keep node's codes (ENOENT, EISDIR, …); callers that
 * tell an absent file from a broken one accept those as well as vscode.FileSystemError's.
 */

/** The bytes of a file. A `file` URI is read synchronously: one small value file, microseconds on a local disk. */
export async function readFileBytes(uri: vscode.Uri): Promise<Uint8Array> {
  if (uri.scheme === 'file') return readFileSync(uri.fsPath);
  return vscode.workspace.fs.readFile(uri);
}

/**
 * The entries of a folder with their types, as vscode.workspace.fs.readDirectory gives them: a symbolic link
 * has the SymbolicLink bit with the type of what it leads to (Unknown when it leads nowhere).
 */
export async function readDirectoryTypes(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
  if (uri.scheme !== 'file') return vscode.workspace.fs.readDirectory(uri);
  const folder = uri.fsPath;
  const entries = await readdir(folder, { withFileTypes: true });
  return Promise.all(entries.map(async (entry): Promise<[string, vscode.FileType]> => [entry.name, await typeOf(folder, entry)]));
}

/** The type of what a URI names, following symbolic links as vscode.workspace.fs.stat does; throws when there is nothing. */
export async function fileTypeOf(uri: vscode.Uri): Promise<vscode.FileType> {
  if (uri.scheme !== 'file') return (await vscode.workspace.fs.stat(uri)).type;
  const info = await stat(uri.fsPath);
  return info.isDirectory() ? vscode.FileType.Directory : info.isFile() ? vscode.FileType.File : vscode.FileType.Unknown;
}

async function typeOf(folder: string, entry: Dirent): Promise<vscode.FileType> {
  if (entry.isDirectory()) return vscode.FileType.Directory;
  if (entry.isFile()) return vscode.FileType.File;
  if (!entry.isSymbolicLink()) return vscode.FileType.Unknown;
  try {
    const target = await stat(join(folder, entry.name));
    return vscode.FileType.SymbolicLink | (target.isDirectory() ? vscode.FileType.Directory : target.isFile() ? vscode.FileType.File : vscode.FileType.Unknown);
  } catch {
    return vscode.FileType.SymbolicLink | vscode.FileType.Unknown;
  }
}
