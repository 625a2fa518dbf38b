import * as vscode from 'vscode';
import { readOwnValue, type StateHosts } from '../explorer/stateHost';
import type { ExplorerNode } from '../explorer/stateTree';
import type { Command } from './command';
import { reportFailure, selectedStateNode, targetOf } from './targets';
import { askValue, derivedWarning, valueArgument } from './valueInput';

/** Values whose JSON text is longer than this are edited in the file, not in an input box. */
const inlineLimit = 1000;

/**
 * Edits a node's own value: `restate.editValue(target?, value?)`. Without a target (F2 in the tree) it edits
 * the selected node. Without a value it asks, prefilled with the current one and warning when a derivation
 * writes the path; a large value opens the node's file in an editor instead. Returns whether it wrote.
 */
export class EditValueCommand implements Command {
  readonly id = 'restate.editValue';

  constructor(
    private readonly hosts: StateHosts,
    private readonly view: vscode.TreeView<ExplorerNode>,
  ) {}

  async execute(target?: unknown, value?: unknown): Promise<boolean> {
    const resolved = targetOf(this.hosts, target ?? selectedStateNode(this.view));
    if (resolved === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a node in the State Explorer to edit its value.'));
      return false;
    }
    const { host, path } = resolved;
    let given = value === undefined ? undefined : valueArgument(value);
    if (value === undefined) {
      // A value that cannot be read (an invalid file) is reported, not thrown at the caller.
      const current = await reportFailure(vscode.l10n.t('Editing {0}', path), () => readOwnValue(host, path));
      if (current === undefined) return false;
      const text = current.hasValue ? JSON.stringify(current.value, null, 1)?.replace(/\n\s*/g, ' ') ?? '' : '';
      if (text.length > inlineLimit && path !== '/') {
        await vscode.window.showTextDocument(host.fileFor(path));
        return false;
      }
      given = await askValue(vscode.l10n.t('Edit {0}', path), text, derivedWarning(host, path));
    }
    if (given === undefined) return false;
    const written = await reportFailure(vscode.l10n.t('Editing {0}', path), () => host.controller.setState(path, given.value));
    return written === true;
  }
}
