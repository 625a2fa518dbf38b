import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import type { Command } from './command';
import { reportFailure, selectedStateNode, targetOf, type ViewSelection } from './targets';

/**
 * Deletes a node and everything below it: `restate.delete(target?, confirmed?)`. Without a target (the
 * Delete key in the tree) it deletes the selected node. Asks for confirmation, saying how much goes and how
 * to undo it, unless `confirmed` is true. Returns whether anything was deleted.
 */
export class DeleteCommand implements Command {
  readonly id = 'restate.delete';

  constructor(
    private readonly hosts: StateHosts,
    private readonly selection: ViewSelection,
  ) {}

  async execute(target?: unknown, confirmed?: unknown): Promise<boolean> {
    const resolved = targetOf(this.hosts, target ?? selectedStateNode(this.selection));
    if (resolved === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a node in the State Explorer to delete it.'));
      return false;
    }
    const { host, path } = resolved;
    if (confirmed !== true) {
      const backend = host.controller.backend;
      // Counting lists the folder; a listing that fails is reported like the delete itself would be.
      const below = backend.listChildren === undefined
        ? 0
        : await reportFailure(vscode.l10n.t('Deleting {0}', path), () => countBelow((p) => Promise.resolve(backend.listChildren!(p)), path));
      if (below === undefined) return false;
      const what = path === '/'
        ? vscode.l10n.t('Delete everything in {0}?', host.label)
        : below === 0
          ? vscode.l10n.t('Delete {0}?', path)
          : vscode.l10n.t('Delete {0} and the {1} nodes below it?', path, below);
      const remove = vscode.l10n.t('Delete');
      const answer = await vscode.window.showWarningMessage(what, {
        modal: true,
        detail: `${vscode.l10n.t('The files go from the state folder {0}.', host.label)}\n${below === 0
          ? vscode.l10n.t('Revert This Change in the Changes view can undo it.')
          : vscode.l10n.t('Revert This Change in the Changes view brings back {0} and the nodes below it.', path)}`,
      }, remove);
      if (answer !== remove) return false;
    }
    const deleted = await reportFailure(vscode.l10n.t('Deleting {0}', path), () => host.controller.delState(path));
    return deleted === true;
  }
}

/** How many nodes are below a path, counted up to a limit that keeps the question quick. */
async function countBelow(list: (path: string) => Promise<string[]>, path: string, limit = 10_000): Promise<number> {
  let count = 0;
  const queue = [path];
  while (queue.length > 0 && count < limit) {
    const current = queue.shift()!;
    for (const name of await list(current)) {
      count++;
      queue.push(current === '/' ? `/${name}` : `${current}/${name}`);
    }
  }
  return count;
}
