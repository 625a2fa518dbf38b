import * as vscode from 'vscode';
import { addTracker, TRACK_PARAMS } from '../definitions/config';
import type { NewTracker } from '../definitions/config';
import type { DefinitionsManager } from '../definitions/definitions';
import { editDefinitionsFile, pickFolder } from '../definitions/editFile';
import { resolvePath } from '../restate';
import type { Command } from './command';
import { checkCode, checkPath } from './derive';

/** Track…: asks for a name, an expression over get(path) and an optional destination; writes the entry. */
export class TrackCommand implements Command {
  readonly id = 'restate.track';
  readonly #manager: DefinitionsManager;

  constructor(manager: DefinitionsManager) {
    this.#manager = manager;
  }

  /** With an entry as argument (automation), nothing is asked. */
  async execute(preset?: unknown): Promise<boolean> {
    const folder = await pickFolder();
    if (!folder) return false;
    const entry = isNewTracker(preset) ? preset : await ask(this.#manager.definitionsOf(folder).trackers.map((t) => t.name));
    if (!entry) return false;
    return editDefinitionsFile(this.#manager, folder, (text, formatting) => addTracker(text, entry, formatting));
  }
}

function isNewTracker(value: unknown): value is NewTracker {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<NewTracker>;
  return typeof entry.name === 'string' && typeof entry.expression === 'string' && (entry.dest === undefined || typeof entry.dest === 'string');
}

async function ask(existing: readonly string[]): Promise<NewTracker | undefined> {
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Track (1/3)'),
    prompt: vscode.l10n.t('Name of the tracked computation (an existing name replaces that entry)'),
    placeHolder: 'visibleItems',
    validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('A name is needed.') : undefined),
  });
  if (name === undefined) return undefined;
  const expression = await vscode.window.showInputBox({
    title: vscode.l10n.t('Track (2/3)'),
    prompt: vscode.l10n.t('A JavaScript expression or function body that reads state with get(path); what it reads is tracked'),
    placeHolder: "get('/flags/new') ? get('/items/new') : get('/items/legacy')",
    validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('An expression is needed.') : checkCode(value, TRACK_PARAMS)),
  });
  if (expression === undefined) return undefined;
  const dest = await vscode.window.showInputBox({
    title: vscode.l10n.t('Track (3/3)'),
    prompt: existing.includes(name.trim())
      ? vscode.l10n.t('Optional: the state path its result is written to (replaces the tracker "{0}")', name.trim())
      : vscode.l10n.t('Optional: the state path its result is written to'),
    placeHolder: vscode.l10n.t('leave empty to only run it'),
    validateInput: (value) => (value.trim() === '' ? undefined : checkPath(value, false)),
  });
  if (dest === undefined) return undefined;
  return { name: name.trim(), expression, ...(dest.trim() ? { dest: resolvePath(dest.trim()) } : {}) };
}
