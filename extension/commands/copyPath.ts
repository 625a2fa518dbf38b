import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import { keyPathText } from '../explorer/preview';
import type { Command } from './command';
import { targetOf } from './targets';

/** Copies a node's state path (plus the key path of an inner node): `restate.copyPath(target)`. */
export class CopyPathCommand implements Command {
  readonly id = 'restate.copyPath';

  constructor(private readonly hosts: StateHosts) {}

  async execute(target?: unknown): Promise<string | undefined> {
    const resolved = targetOf(this.hosts, target);
    if (resolved === undefined) return undefined;
    const inner = typeof target === 'object' && target !== null && 'keys' in target && Array.isArray(target.keys)
      ? keyPathText(target.keys as (string | number)[])
      : '';
    const text = resolved.path + inner;
    await vscode.env.clipboard.writeText(text);
    return text;
  }
}
