import * as vscode from 'vscode';
import type { DefinitionsManager } from '../definitions/definitions';
import type { StateHosts } from '../sources/stateHost';
import type { Command } from './command';

/** A derivation or tracker that Trace… offers. */
interface TraceSubject {
  readonly hostId: string;
  readonly id: string;
  readonly title: string;
  /** What it depends on now: a derivation's sources, a tracker's reads of its last run. */
  readonly dependencies: readonly string[];
}

/**
 * Trace…: pick a derivation or tracked computation (of any state folder); the graph opens with it selected,
 * showing what it depends on, what depends on it, and its recent runs as they happen.
 */
export class TraceCommand implements Command {
  readonly id = 'restate.trace';
  readonly #hosts: StateHosts;
  readonly #manager: DefinitionsManager;

  constructor(hosts: StateHosts, manager: DefinitionsManager) {
    this.#hosts = hosts;
    this.#manager = manager;
  }

  /** `(hostId, id)` may be given (automation); any graph node id will do. Returns what was traced. */
  async execute(hostId?: unknown, id?: unknown): Promise<{ hostId: string; id: string } | undefined> {
    let target = typeof hostId === 'string' && typeof id === 'string' ? { hostId, id } : undefined;
    if (!target) {
      const items = this.#hosts.all.flatMap((host) => this.#subjects(host.id).map((subject) => ({
        label: subject.title,
        description: this.#hosts.all.length > 1 ? host.label : undefined,
        detail: subject.dependencies.length > 0 ? vscode.l10n.t('depends on {0}', subject.dependencies.join(', ')) : undefined,
        hostId: subject.hostId,
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
    await vscode.commands.executeCommand('restate.showGraph', target.hostId, target.id);
    return target;
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
      ...definitions.derivations.map((d) => ({ hostId, id: d.id, title: vscode.l10n.t('Derivation of {0}', d.dest), dependencies: d.sources })),
      ...definitions.trackers.map((t) => ({ hostId, id: t.id, title: vscode.l10n.t('Tracked computation "{0}"', t.name), dependencies: readsOf(t.id) })),
    ];
  }
}
