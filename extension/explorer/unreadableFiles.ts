import * as vscode from 'vscode';
import type { StateDecorations } from './decorations';
import type { StateHosts } from '../sources/stateHost';

/**
 * Keeps the unreadable value files of every state folder in sight without a modal: the view's message
 * names them (the root of a single state folder has no row of its own), and the decorations mark the
 * nodes above them. The Output channel line for each is written by its host.
 */
export class UnreadableFilesView implements vscode.Disposable {
  readonly #hostSubscriptions = new Map<string, vscode.Disposable>();
  readonly #subscription: vscode.Disposable;

  constructor(
    private readonly hosts: StateHosts,
    private readonly decorations: StateDecorations,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    this.#subscription = hosts.onDidChangeHosts(() => this.#subscribeHosts());
    this.#subscribeHosts();
  }

  dispose(): void {
    this.#subscription.dispose();
    for (const subscription of this.#hostSubscriptions.values()) subscription.dispose();
    this.#hostSubscriptions.clear();
  }

  #subscribeHosts(): void {
    const current = new Set(this.hosts.all.map((host) => host.id));
    for (const [id, subscription] of this.#hostSubscriptions) {
      if (current.has(id)) continue;
      subscription.dispose();
      this.#hostSubscriptions.delete(id);
    }
    for (const host of this.hosts.all) {
      if (this.#hostSubscriptions.has(host.id)) continue;
      this.#hostSubscriptions.set(host.id, host.onDidChangeState((changes) => {
        if (changes.some((change) => change.kind === 'status')) this.#show();
      }));
    }
    this.#show();
  }

  #show(): void {
    const files: string[] = [];
    for (const host of this.hosts.all) {
      this.decorations.markUnreadable(host, [...host.unreadable.keys()]);
      for (const { file } of host.unreadable.values()) files.push(vscode.workspace.asRelativePath(vscode.Uri.parse(file), true));
    }
    const message = messageFor(files);
    // Setting the message redraws the view: only when it says something else.
    if (message !== this.view.message) this.view.message = message;
  }
}

function messageFor(files: readonly string[]): string | undefined {
  if (files.length === 0) return undefined;
  const where = vscode.l10n.t('See Output › Restate State Explorer.');
  if (files.length === 1) return vscode.l10n.t('{0} cannot be read. {1}', files[0], where);
  // Many files: the first few by name, so the message stays one line in a narrow view.
  const named = files.slice(0, 3).join(', ');
  const more = files.length > 3 ? vscode.l10n.t(' and {0} more', files.length - 3) : '';
  return vscode.l10n.t('{0} value files cannot be read: {1}{2}. {3}', files.length, named, more, where);
}
