import type * as vscode from 'vscode';
import type { StateHost, StateHosts } from '../sources/stateHost';
import type { ChangeHistory } from './history';

/**
 * Feeds a ChangeHistory from the trace of every state folder's controller, following hosts as they come
 * and go. While paused it detaches from the traces altogether, so recording costs nothing then (S123).
 */
export class ChangeRecorder implements vscode.Disposable {
  readonly #hosts: StateHosts;
  readonly #history: ChangeHistory;
  /** Trace detach functions by host id. */
  readonly #attached = new Map<string, { host: StateHost; detach: () => void }>();
  readonly #hostsSubscription: vscode.Disposable;
  #paused = false;

  constructor(hosts: StateHosts, history: ChangeHistory) {
    this.#hosts = hosts;
    this.#history = history;
    this.#hostsSubscription = hosts.onDidChangeHosts(() => this.#sync());
    this.#sync();
  }

  get paused(): boolean {
    return this.#paused;
  }

  set paused(paused: boolean) {
    if (paused === this.#paused) return;
    this.#paused = paused;
    this.#sync();
  }

  dispose(): void {
    this.#hostsSubscription.dispose();
    for (const id of [...this.#attached.keys()]) this.#detach(id);
  }

  /** Attaches to the current hosts (none while paused); forgets the changes of hosts that went away. */
  #sync(): void {
    const current = new Map(this.#hosts.all.map((host) => [host.id, host]));
    for (const [id, { host }] of [...this.#attached]) {
      if (this.#paused || current.get(id) !== host) this.#detach(id);
    }
    for (const id of this.#history.sources()) {
      if (!current.has(id)) this.#history.forgetSource(id);
    }
    if (this.#paused) return;
    for (const [id, host] of current) {
      if (this.#attached.has(id)) continue;
      // A delete's layout is taken now: the trace record comes right after the backend deleted the files.
      const detach = host.controller.onTrace((record) => this.#history.record(id, record, record.kind === 'delete' ? host.deletedLayout?.(record.path) : undefined));
      this.#attached.set(id, { host, detach });
    }
  }

  #detach(id: string): void {
    const attached = this.#attached.get(id);
    if (attached === undefined) return;
    attached.detach();
    this.#attached.delete(id);
    this.#history.closeGroup(id);
  }
}
