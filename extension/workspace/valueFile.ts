import * as vscode from 'vscode';
import { MISSING, RestateBackendError, RestateFormatError, jsonSerializer } from '../restate';
import { readFileBytes } from './fileAccess';

const component = 'explorer';

/**
 * A node's own value, read from its value file alone (`a/b.json`), or MISSING when there is none. The
 * controller's read of a node with children is the merged read of its whole subtree (S10), which for the
 * root of a large state folder reads every file; the tree needs only the node's own value and lists the
 * children separately.
 *
 * Throws a RestateFormatError when the file cannot be parsed and a RestateBackendError when it cannot be
 * read, like the backend does for the same file. A `file` value file is read with node:fs, synchronously, as
 * the backend reads one value: vscode.workspace.fs relays every call through the workbench (10–50 ms a call
 * in code-server), and the tree reads a page of value files at once, Find every one.
 */
export async function readValueFile(file: vscode.Uri, path: string): Promise<unknown> {
  let data: Uint8Array;
  try {
    data = await readFileBytes(file);
  } catch (error) {
    // A folder without a value file has no own value, and neither has a name that is a folder (S84).
    if (absentCodes.has(codeOf(error))) return MISSING;
    throw new RestateBackendError(component, `cannot read ${file.toString(true)} (state path ${path}): ${messageOf(error)}`, { path, cause: error });
  }
  try {
    return jsonSerializer.deserialize(data);
  } catch (error) {
    throw new RestateFormatError(component, path, file.toString(true), messageOf(error), { cause: error });
  }
}

const absentCodes = new Set(['FileNotFound', 'EntryNotFound', 'FileIsADirectory', 'EntryIsADirectory', 'ENOENT', 'EISDIR']);

function codeOf(error: unknown): string {
  return error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string' ? error.code : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
