import * as vscode from 'vscode';
import { hasFiles, type StateHosts } from '../sources/stateHost';
import type { Command } from './command';
import { targetOf } from './targets';

/**
 * Opens a node's value file in an editor: `restate.openFile(target)`. A node without a value file is
 * revealed in the Explorer as a folder instead. Returns the URI opened.
 */
export class OpenFileCommand implements Command {
  readonly id = 'restate.openFile';

  constructor(private readonly hosts: StateHosts) {}

  async execute(target?: unknown): Promise<vscode.Uri | undefined> {
    const resolved = targetOf(this.hosts, target);
    if (resolved === undefined) return undefined;
    if (!hasFiles(resolved.host)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is kept in Redis ({1}): it has no file to open.', resolved.path, resolved.host.label));
      return undefined;
    }
    const file = resolved.host.fileFor(resolved.path);
    if (await exists(file)) {
      await vscode.window.showTextDocument(file, { preview: true });
      return file;
    }
    const folder = resolved.host.folderFor(resolved.path);
    if (await exists(folder)) {
      await vscode.commands.executeCommand('revealInExplorer', folder);
      return folder;
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no file yet.', resolved.path));
    return undefined;
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
