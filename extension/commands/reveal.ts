import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import type { ExplorerNode, StateTreeProvider } from '../explorer/stateTree';
import type { Command } from './command';
import { targetOf, type StateTarget } from './targets';

/**
 * Shows a node in the State Explorer, expanding its ancestors and selecting it: `restate.reveal(hostId, path)`.
 * The graph panel runs it for a path node. Returns the path revealed, or undefined when there is no such node.
 */
export class RevealCommand implements Command {
  readonly id = 'restate.reveal';

  constructor(
    private readonly hosts: StateHosts,
    private readonly tree: StateTreeProvider,
    private readonly view: vscode.TreeView<ExplorerNode>,
  ) {}

  async execute(hostId?: unknown, path?: unknown): Promise<string | undefined> {
    if (typeof hostId !== 'string' || typeof path !== 'string') {
      void vscode.window.showErrorMessage(vscode.l10n.t('Reveal needs a state folder id and a state path.'));
      return undefined;
    }
    await this.hosts.whenReady();
    const target = targetOf(this.hosts, { host: hostId, path });
    return target === undefined ? undefined : revealNode(this.tree, this.view, target);
  }
}

/** Reveals and selects a node, paging in its ancestors' children as needed; undefined when it does not exist. */
export async function revealNode(tree: StateTreeProvider, view: vscode.TreeView<ExplorerNode>, target: StateTarget): Promise<string | undefined> {
  if (!await tree.ensureListed(target.host, target.path)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} does not exist in {1}.', target.path, target.host.label));
    return undefined;
  }
  if (target.path === '/') {
    await vscode.commands.executeCommand('restate.explorer.focus');
    return target.path;
  }
  await view.reveal(tree.nodeFor(target.host, target.path), { select: true, focus: true, expand: false });
  return target.path;
}
