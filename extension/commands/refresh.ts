import type { Command } from './command';
import type { StateTreeProvider } from '../explorer/stateTree';
import type { WorkspaceStateHosts } from '../sources/workspaceStateHosts';

/**
 * Looks for state folders again, forgets every cached read and re-reads the whole tree: for changes the
 * file watcher cannot see (network drives, some remote file systems).
 */
export class RefreshCommand implements Command {
  readonly id = 'restate.refresh';

  constructor(private readonly hosts: WorkspaceStateHosts, private readonly tree: StateTreeProvider) {}

  async execute(): Promise<void> {
    await this.hosts.refresh();
    for (const host of this.hosts.all) host.cache?.invalidate('/');
    this.tree.refresh();
  }
}
