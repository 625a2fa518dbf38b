import * as vscode from 'vscode';
import type { Edit } from './config';
import { DEFAULT_FORMATTING } from './config';
import type { DefinitionsManager } from './definitions';

/**
 * Applies jsonc-parser edits to the definitions file through the editor's document, so they join its undo
 * stack and respect unsaved changes, then saves it (which reloads the definitions). A missing file is
 * created first.
 */
export async function editDefinitionsFile(
  manager: DefinitionsManager,
  folder: vscode.WorkspaceFolder,
  makeEdits: (text: string, formatting: typeof DEFAULT_FORMATTING) => Edit[],
): Promise<boolean> {
  const uri = manager.fileOf(folder);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(''));
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
  const formatting = {
    ...DEFAULT_FORMATTING,
    ...(editor && typeof editor.options.tabSize === 'number' ? { tabSize: editor.options.tabSize } : {}),
    ...(editor && typeof editor.options.insertSpaces === 'boolean' ? { insertSpaces: editor.options.insertSpaces } : {}),
    eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
  };
  const edits = makeEdits(document.getText(), formatting);
  if (edits.length === 0) return false;
  const workspaceEdit = new vscode.WorkspaceEdit();
  for (const edit of edits) {
    workspaceEdit.replace(uri, new vscode.Range(document.positionAt(edit.offset), document.positionAt(edit.offset + edit.length)), edit.content);
  }
  if (!(await vscode.workspace.applyEdit(workspaceEdit))) throw new Error(`[restate] cannot edit ${uri.fsPath}`);
  await document.save();
  await manager.reload(folder);
  return true;
}

/** The workspace folder to work in: the only one, or the one the user picks. */
export async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Workspace folder whose .vscode/restate.jsonc to edit') });
}
