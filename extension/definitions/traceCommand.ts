import * as vscode from 'vscode';
import type { Command } from '../commands/command';
import type { StateHosts } from '../explorer/stateHost';
import type { DefinitionsManager } from './definitions';
import { formatTrace } from './traceLog';
import type { TraceSubject } from './traceLog';

export const TRACE_SCHEME = 'restate-trace';

/**
 * Trace: pick a derivation or tracked computation (of any state folder) and read its current dependencies
 * and recent runs in a read-only document, produced fresh each time it is opened.
 */
export class TraceCommand implements Command, vscode.TextDocumentContentProvider, vscode.Disposable {
  readonly id = 'restate.trace';
  readonly #hosts: StateHosts;
  readonly #manager: DefinitionsManager;
  // VS Code keeps an open virtual document's text until told it changed; without this, opening the same
  // trace again would show the runs as they were the first time.
  readonly #onDidChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.#onDidChange.event;

  constructor(hosts: StateHosts, manager: DefinitionsManager) {
    this.#hosts = hosts;
    this.#manager = manager;
  }

  /** `(hostId, id)` may be given (automation, the graph); returns the report's URI. */
  async execute(hostId?: unknown, id?: unknown): Promise<vscode.Uri | undefined> {
    let target = typeof hostId === 'string' && typeof id === 'string' ? { hostId, id } : undefined;
    if (!target) {
      const items = this.#hosts.all.flatMap((host) => this.#subjects(host.id).map((subject) => ({
        label: subject.title,
        description: this.#hosts.all.length > 1 ? host.label : undefined,
        detail: subject.dependencies.length > 0 ? vscode.l10n.t('depends on {0}', subject.dependencies.join(', ')) : undefined,
        hostId: host.id,
        id: subject.id,
      })));
      if (items.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No derivation or tracked computation to trace: define one with "Restate: Derive…" or "Restate: Track…".'));
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Derivation or tracked computation to trace'), matchOnDetail: true });
      if (!picked) return undefined;
      target = { hostId: picked.hostId, id: picked.id };
    }
    const uri = vscode.Uri.from({ scheme: TRACE_SCHEME, path: `/${target.id.replace(/\//g, '∕')}.md`, query: new URLSearchParams(target).toString() });
    this.#onDidChange.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const params = new URLSearchParams(uri.query);
    const hostId = params.get('hostId') ?? '';
    const id = params.get('id') ?? '';
    const subject = this.#subjects(hostId).find((s) => s.id === id);
    const runs = this.#manager.forHost(hostId)?.trace.runsOf(id) ?? [];
    return formatTrace(subject ?? { id, title: id, dependencies: [], dest: undefined }, runs);
  }

  dispose(): void {
    this.#onDidChange.dispose();
  }

  #subjects(hostId: string): TraceSubject[] {
    const host = this.#hosts.hostFor(hostId);
    const entry = this.#manager.forHost(hostId);
    if (!host || !entry) return [];
    const definitions = this.#manager.definitionsOf(host.workspaceFolder);
    const graph = host.controller.graph();
    const readsOf = (definitionId: string): string[] => {
      const controllerId = entry.runner.controllerIdOf(definitionId);
      const node = graph.nodes.find((n) => n.id === controllerId);
      return node?.kind === 'tracker' ? node.reads : [];
    };
    return [
      ...definitions.derivations.map((d) => ({ id: d.id, title: vscode.l10n.t('Derivation of {0}', d.dest), dependencies: d.sources, dest: d.dest })),
      ...definitions.trackers.map((t) => ({ id: t.id, title: vscode.l10n.t('Tracked computation "{0}"', t.name), dependencies: readsOf(t.id), dest: t.dest })),
    ];
  }
}
