import * as vscode from 'vscode';
import { removeDerivation, removeTracker } from '../definitions/config';
import type { DefinitionsManager } from '../definitions/definitions';
import { editDefinitionsFile, pickFolder } from '../definitions/editFile';
import type { Command } from './command';

/** Remove Derivation: deletes a derivation's entry from the file; the controller then underives it. */
export class RemoveDerivationCommand implements Command {
  readonly id = 'restate.removeDerivation';
  readonly #manager: DefinitionsManager;

  constructor(manager: DefinitionsManager) {
    this.#manager = manager;
  }

  /** `dest` may be given (automation, the graph); otherwise the user picks. */
  async execute(dest?: unknown): Promise<boolean> {
    const folder = await pickFolder();
    if (!folder) return false;
    let chosen = typeof dest === 'string' ? dest : undefined;
    if (chosen === undefined) {
      const items = this.#manager.definitionsOf(folder).derivations.map((d) => ({ label: d.dest, description: vscode.l10n.t('from {0}', d.sources.join(', ')) }));
      if (items.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No derivation is defined in .vscode/restate.jsonc.'));
        return false;
      }
      chosen = (await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Derivation to remove') }))?.label;
    }
    if (chosen === undefined) return false;
    const target = chosen;
    return editDefinitionsFile(this.#manager, folder, (text, formatting) => removeDerivation(text, target, formatting));
  }
}

/** Untrack: deletes a tracked computation's entry from the file; the controller then untracks it. */
export class UntrackCommand implements Command {
  readonly id = 'restate.untrack';
  readonly #manager: DefinitionsManager;

  constructor(manager: DefinitionsManager) {
    this.#manager = manager;
  }

  /** `name` may be given (automation, the graph); otherwise the user picks. */
  async execute(name?: unknown): Promise<boolean> {
    const folder = await pickFolder();
    if (!folder) return false;
    let chosen = typeof name === 'string' ? name : undefined;
    if (chosen === undefined) {
      const items = this.#manager.definitionsOf(folder).trackers.map((t) => ({ label: t.name, description: t.expression }));
      if (items.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No tracked computation is defined in .vscode/restate.jsonc.'));
        return false;
      }
      chosen = (await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Tracked computation to remove') }))?.label;
    }
    if (chosen === undefined) return false;
    const target = chosen;
    return editDefinitionsFile(this.#manager, folder, (text, formatting) => removeTracker(text, target, formatting));
  }
}
