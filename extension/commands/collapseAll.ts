import * as vscode from 'vscode';
import type { Command } from './command';

/** Collapses every node of the State Explorer. */
export class CollapseAllCommand implements Command {
  readonly id = 'restate.collapseAll';

  async execute(): Promise<void> {
    await vscode.commands.executeCommand('workbench.actions.treeView.restate.explorer.collapseAll');
  }
}
