import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import type { Command } from './command';
import { reportFailure, targetOf } from './targets';

/**
 * Copies a node's value as pretty JSON: `restate.copyValue(target)`. A node with children copies its
 * whole read (S10); an inner node copies its part. Returns the text copied.
 */
export class CopyValueCommand implements Command {
  readonly id = 'restate.copyValue';

  constructor(private readonly hosts: StateHosts) {}

  async execute(target?: unknown): Promise<string | undefined> {
    const resolved = targetOf(this.hosts, target);
    if (resolved === undefined) return undefined;
    const value = typeof target === 'object' && target !== null && 'kind' in target && target.kind === 'inner' && 'value' in target
      ? target.value
      : await reportFailure(vscode.l10n.t('Reading {0}', resolved.path), () => resolved.host.controller.getState(resolved.path));
    if (value === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no value.', resolved.path));
      return undefined;
    }
    const text = JSON.stringify(value, null, 2);
    await vscode.env.clipboard.writeText(text);
    return text;
  }
}
