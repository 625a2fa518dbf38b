import * as vscode from 'vscode';
import type { Command } from './command';
import { configuredStateFolders, type WorkspaceStateHosts } from '../sources/workspaceStateHosts';

/**
 * Creates the first configured state folder (`.state` by default) in a workspace folder. Without an
 * argument it uses the only workspace folder, or asks which one. Returns the folder's URI.
 */
export class CreateStateFolderCommand implements Command {
  readonly id = 'restate.createStateFolder';

  constructor(private readonly hosts: WorkspaceStateHosts) {}

  async execute(target?: unknown): Promise<vscode.Uri | undefined> {
    const workspaceFolder = await this.pickWorkspaceFolder(target);
    if (!workspaceFolder) return undefined;
    const [relativePath] = configuredStateFolders(workspaceFolder);
    if (relativePath === undefined) {
      void vscode.window.showErrorMessage(vscode.l10n.t(
        'No state folder is configured for {0}: add one to the setting restate.stateFolders.', workspaceFolder.name));
      return undefined;
    }
    const uri = vscode.Uri.joinPath(workspaceFolder.uri, relativePath);
    try {
      await vscode.workspace.fs.createDirectory(uri);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot create the state folder {0}: {1}', uri.fsPath, reason));
      return undefined;
    }
    await this.hosts.refresh();
    return uri;
  }

  private async pickWorkspaceFolder(target: unknown): Promise<vscode.WorkspaceFolder | undefined> {
    if (target instanceof vscode.Uri) {
      const folder = vscode.workspace.getWorkspaceFolder(target);
      if (!folder) void vscode.window.showErrorMessage(vscode.l10n.t('{0} is not in an open workspace folder.', target.fsPath));
      return folder;
    }
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Open a folder first: the state folder is created inside it.'));
      return undefined;
    }
    if (folders.length === 1) return folders[0];
    return vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Where should the state folder be created?') });
  }
}
