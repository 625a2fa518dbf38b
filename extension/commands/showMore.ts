import type { StateHosts } from '../sources/stateHost';
import type { StateTreeProvider } from '../explorer/stateTree';
import type { Command } from './command';
import { targetOf } from './targets';

/** Shows the next page of a node's children: `restate.showMore(target)`, run by the "Show more" item. */
export class ShowMoreCommand implements Command {
  readonly id = 'restate.showMore';

  constructor(private readonly hosts: StateHosts, private readonly tree: StateTreeProvider) {}

  execute(target?: unknown): void {
    const resolved = targetOf(this.hosts, target);
    if (resolved !== undefined) this.tree.showMore(resolved.host, resolved.path);
  }
}
