import * as vscode from 'vscode';
import { resolvePath } from '../restate';
import type { StateHost, StateHosts } from '../sources/stateHost';
import type { ExplorerNode, StateTreeProvider } from '../explorer/stateTree';

/** A state path in a state folder: what most commands act on. */
export interface StateTarget {
  readonly host: StateHost;
  readonly path: string;
}

/**
 * What a command may be given to name a node: a tree node (context menus, inline buttons), a state path
 * (the only or first state folder), or `{ path, host }` with a host id (tests, keybindings, other extensions).
 */
export type TargetArgument = ExplorerNode | string | { readonly path: string; readonly host?: string };

function isNode(value: object): value is ExplorerNode {
  return 'kind' in value && 'host' in value && typeof (value as { kind: unknown }).kind === 'string';
}

/** The target named by a command argument, or undefined (with a message) when it names nothing usable. */
export function targetOf(hosts: StateHosts, argument: unknown): StateTarget | undefined {
  if (argument === undefined || argument === null) return undefined;
  if (typeof argument === 'object' && isNode(argument)) {
    // A running app's row names no state node: the commands on state do not apply to it.
    if (argument.kind === 'apps' || argument.kind === 'app') return undefined;
    return { host: argument.host, path: argument.kind === 'host' ? '/' : argument.path };
  }
  let path: unknown;
  let hostId: unknown;
  if (typeof argument === 'string') path = argument;
  else if (typeof argument === 'object' && 'path' in argument) ({ path, host: hostId } = argument as { path: unknown; host?: unknown });
  if (typeof path !== 'string') return undefined;
  const host = typeof hostId === 'string' ? hosts.hostFor(hostId) : hosts.all[0];
  if (host === undefined) {
    void vscode.window.showErrorMessage(typeof hostId === 'string'
      ? vscode.l10n.t('No state folder with the id {0} is open.', hostId)
      : vscode.l10n.t('This workspace has no state folder yet: create one first.'));
    return undefined;
  }
  try {
    return { host, path: resolvePath(path) };
  } catch (error) {
    void vscode.window.showErrorMessage(messageOf(error));
    return undefined;
  }
}

/**
 * The State Explorer's selection as VS Code last reported it. TreeView.selection, and the selection events
 * sent meanwhile, leave out the selected nodes of a folder the view is reading again (after a refresh of it,
 * until its children arrive), though they are still selected: a key pressed just then must still act on
 * them. When a refresh left the one selected node out for good (VS Code did not ask for its folder again),
 * it is revealed and selected anew; when it is gone, nothing is selected.
 */
export class ViewSelection implements vscode.Disposable {
  #selection: readonly ExplorerNode[];
  readonly #subscriptions: vscode.Disposable[];
  #check: ReturnType<typeof setTimeout> | undefined;
  #refreshedAt = 0;

  constructor(readonly view: vscode.TreeView<ExplorerNode>, private readonly tree: StateTreeProvider) {
    this.#selection = view.selection;
    this.#subscriptions = [
      view.onDidChangeSelection((event) => {
        // Soon after a refresh, an empty selection may only mean that the selected node is being read again.
        if (event.selection.length === 0 && Date.now() - this.#refreshedAt < 2 * reselectDelayMs) this.#scheduleCheck();
        else this.#selection = event.selection;
      }),
      tree.onDidChangeTreeData(() => {
        this.#refreshedAt = Date.now();
        this.#scheduleCheck();
      }),
    ];
  }

  get nodes(): readonly ExplorerNode[] {
    return this.view.selection.length > 0 ? this.view.selection : this.#selection;
  }

  dispose(): void {
    clearTimeout(this.#check);
    for (const subscription of this.#subscriptions) subscription.dispose();
  }

  #scheduleCheck(): void {
    clearTimeout(this.#check);
    this.#check = setTimeout(() => void this.#reselect(), reselectDelayMs);
  }

  async #reselect(): Promise<void> {
    this.#check = undefined;
    const [selected, ...others] = this.#selection;
    if (selected?.kind !== 'state' || others.length > 0 || this.view.selection.length > 0 || !this.view.visible) return;
    try {
      if (!await this.tree.ensureListed(selected.host, selected.path)) {
        if (this.#selection[0] === selected) this.#selection = [];
        return;
      }
      await this.view.reveal(this.tree.nodeFor(selected.host, selected.path), { select: true, focus: false, expand: false });
    } catch {
      // Gone meanwhile, or the view was refreshed again: the next refresh checks again.
    }
  }
}

/** How long after a refresh the selection is checked: VS Code applies refreshes a little later (debounced). */
const reselectDelayMs = 400;

/**
 * The state node selected in the State Explorer, for a command run by a key in the view (Delete, F2): moving
 * the keyboard focus in the tree moves the selection with it.
 */
export function selectedStateNode(selection: ViewSelection): ExplorerNode | undefined {
  const [selected] = selection.nodes;
  return selected?.kind === 'state' ? selected : undefined;
}

/** Asks which state folder to use when there are several. */
export async function pickHost(hosts: StateHosts): Promise<StateHost | undefined> {
  await hosts.whenReady();
  const all = hosts.all;
  if (all.length === 0) {
    void vscode.window.showErrorMessage(vscode.l10n.t('This workspace has no state folder yet: create one first.'));
    return undefined;
  }
  if (all.length === 1) return all[0];
  const picked = await vscode.window.showQuickPick(all.map((host) => ({ label: host.label, host })), {
    placeHolder: vscode.l10n.t('Which state folder?'),
  });
  return picked?.host;
}

/** Validates a state path typed by the user; undefined when it is fine. */
export function pathProblem(text: string): string | undefined {
  try {
    resolvePath(text);
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a controller operation, showing a failure to the user instead of leaving it unseen. */
export async function reportFailure<T>(what: string, operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await operation();
  } catch (error) {
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} failed: {1}', what, messageOf(error)));
    return undefined;
  }
}
