import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import type { Command } from './command';
import { reportFailure, targetOf } from './targets';

/** Notifies a node's subscribers without changing it: `restate.ping(target)`. */
export class PingCommand implements Command {
  readonly id = 'restate.ping';

  constructor(private readonly hosts: StateHosts) {}

  async execute(target?: unknown): Promise<boolean> {
    const resolved = targetOf(this.hosts, target);
    if (resolved === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a node in the State Explorer to ping it.'));
      return false;
    }
    const done = await reportFailure(vscode.l10n.t('Pinging {0}', resolved.path), async () => {
      await resolved.host.controller.ping(resolved.path);
      return true;
    });
    return done === true;
  }
}
