import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import type { Command } from './command';
import { pathProblem, pickHost, reportFailure, targetOf, type StateTarget } from './targets';
import { askValue, derivedWarning, valueArgument } from './valueInput';

/**
 * Sets a state path to a value: `restate.setValue(target?, value?)`. The target is a node, a path or
 * `{ path, host }`; the value is JSONC text or a value. Whatever is missing is asked for. Returns whether
 * anything was written (an equal value writes nothing).
 */
export class SetValueCommand implements Command {
  readonly id = 'restate.setValue';

  constructor(private readonly hosts: StateHosts) {}

  async execute(target?: unknown, value?: unknown): Promise<boolean> {
    const resolved = target === undefined ? await this.#askTarget() : targetOf(this.hosts, target);
    if (resolved === undefined) return false;
    const given = value === undefined
      ? await askValue(vscode.l10n.t('Value for {0}', resolved.path), undefined, derivedWarning(resolved.host, resolved.path))
      : valueArgument(value);
    if (given === undefined) return false;
    const written = await reportFailure(vscode.l10n.t('Setting {0}', resolved.path),
      () => resolved.host.controller.setState(resolved.path, given.value));
    return written === true;
  }

  async #askTarget(): Promise<StateTarget | undefined> {
    const host = await pickHost(this.hosts);
    if (host === undefined) return undefined;
    const path = await vscode.window.showInputBox({
      title: vscode.l10n.t('Set Value'),
      prompt: vscode.l10n.t('The state path to set, e.g. /settings/theme'),
      placeHolder: '/settings/theme',
      ignoreFocusOut: true,
      validateInput: (text) => (text.trim() === '' ? vscode.l10n.t('Type a state path.') : pathProblem(text)),
    });
    return path === undefined ? undefined : targetOf(this.hosts, { path, host: host.id });
  }
}
