import * as vscode from 'vscode';
import type { StateHosts } from '../sources/stateHost';
import { childPath } from '../sources/statePaths';
import type { Command } from './command';
import { pickHost, reportFailure, targetOf, type StateTarget } from './targets';
import { askValue, valueArgument } from './valueInput';

/**
 * Adds a child under a node: `restate.addChild(parent?, name?, value?)`. The parent defaults to the root;
 * the name and value are asked for when missing. Returns the new path, or undefined.
 */
export class AddChildCommand implements Command {
  readonly id = 'restate.addChild';

  constructor(private readonly hosts: StateHosts) {}

  async execute(parent?: unknown, name?: unknown, value?: unknown): Promise<string | undefined> {
    const resolved: StateTarget | undefined = parent === undefined
      ? await pickHost(this.hosts).then((host) => (host ? { host, path: '/' } : undefined))
      : targetOf(this.hosts, parent);
    if (resolved === undefined) return undefined;
    const { host, path } = resolved;
    const childName = typeof name === 'string' ? name : await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Child to {0}', path),
      prompt: vscode.l10n.t('The name of the new child'),
      ignoreFocusOut: true,
      validateInput: (text) => nameProblem(text),
    });
    if (childName === undefined) return undefined;
    const problem = nameProblem(childName);
    if (problem !== undefined) {
      void vscode.window.showErrorMessage(problem);
      return undefined;
    }
    const target = childPath(path, childName);
    const existing = await host.controller.getState(target);
    if (existing !== undefined && typeof name !== 'string') {
      const overwrite = vscode.l10n.t('Overwrite');
      const answer = await vscode.window.showWarningMessage(vscode.l10n.t('{0} exists already. Overwrite its value?', target), { modal: true }, overwrite);
      if (answer !== overwrite) return undefined;
    }
    const given = value === undefined ? await askValue(vscode.l10n.t('Value for {0}', target), 'null') : valueArgument(value);
    if (given === undefined) return undefined;
    const written = await reportFailure(vscode.l10n.t('Adding {0}', target), () => host.controller.setState(target, given.value));
    return written === undefined ? undefined : target;
  }
}

function nameProblem(name: string): string | undefined {
  if (name.trim() === '') return vscode.l10n.t('Type a name.');
  if (name.includes('/')) return vscode.l10n.t('A name cannot contain "/": add the child to the node above it instead.');
  if (name === '.' || name === '..' || name.includes('*')) return vscode.l10n.t('"{0}" cannot be used as a name.', name);
  return undefined;
}
