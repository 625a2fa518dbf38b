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
  const types = entries.map((entry): [string, vscode.FileType] => [entry.name, direntType(entry)]);
  // Only links need a call of their own: a folder of 100,000 entries must not make 100,000 promises.
  const links = types.filter(([, type]) => type === vscode.FileType.SymbolicLink);
  await Promise.all(links.map(async (entry) => (entry[1] = await linkType(join(folder, entry[0])))));
  return types;
}

/** The names of the sub-folders of a folder (a link to a folder counts), or undefined when it cannot be read. */
export async function subfolderNames(folder: vscode.Uri): Promise<Set<string> | undefined> {
  try {
    const entries = await readDirectoryTypes(folder);
    return new Set(entries.filter(([, type]) => (type & vscode.FileType.Directory) !== 0).map(([name]) => name));
  } catch {
    return undefined;
  }
}

/** The type of what a URI names, following symbolic links as vscode.workspace.fs.stat does; throws when there is nothing. */
export async function fileTypeOf(uri: vscode.Uri): Promise<vscode.FileType> {
  if (uri.scheme !== 'file') return (await vscode.workspace.fs.stat(uri)).type;
  const info = await stat(uri.fsPath);
  return info.isDirectory() ? vscode.FileType.Directory : info.isFile() ? vscode.FileType.File : vscode.FileType.Unknown;
}

function direntType(entry: Dirent): vscode.FileType {
  if (entry.isDirectory()) return vscode.FileType.Directory;
  if (entry.isFile()) return vscode.FileType.File;
  return entry.isSymbolicLink() ? vscode.FileType.SymbolicLink : vscode.FileType.Unknown;
}

/** A link's type as vscode.workspace.fs reports it: its target's, with the link bit added. */
async function linkType(file: string): Promise<vscode.FileType> {
  try {
    const target = await stat(file);
    return vscode.FileType.SymbolicLink | (target.isDirectory() ? vscode.FileType.Directory : target.isFile() ? vscode.FileType.File : vscode.FileType.Unknown);
  } catch {
    return vscode.FileType.SymbolicLink | vscode.FileType.Unknown;
  }
}
