import * as vscode from 'vscode';
import { addDerivation, DERIVE_PARAMS } from '../definitions/config';
import type { NewDerivation } from '../definitions/config';
import type { DefinitionsManager } from '../definitions/definitions';
import { editDefinitionsFile, pickFolder } from '../definitions/editFile';
import { compileCode } from '../definitions/sandbox';
import { resolvePath } from '../restate';
import type { Command } from './command';

export function checkPath(value: string, allowPattern: boolean): string | undefined {
  try {
    const path = resolvePath(value.trim());
    if (!allowPattern && path.split('/').includes('*')) return vscode.l10n.t('A destination must be a concrete path, without *.');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function checkCode(value: string, params: readonly string[]): string | undefined {
  try {
    compileCode(value, params);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Derive…: asks for a destination, sources and a transform, and writes the entry into the file. */
export class DeriveCommand implements Command {
  readonly id = 'restate.derive';
  readonly #manager: DefinitionsManager;

  constructor(manager: DefinitionsManager) {
    this.#manager = manager;
  }

  /** With an entry as argument (automation), nothing is asked. */
  async execute(preset?: unknown): Promise<boolean> {
    const folder = await pickFolder();
    if (!folder) return false;
    const entry = isNewDerivation(preset) ? preset : await ask();
    if (!entry) return false;
    return editDefinitionsFile(this.#manager, folder, (text, formatting) => addDerivation(text, entry, formatting));
  }
}

function isNewDerivation(value: unknown): value is NewDerivation {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<NewDerivation>;
  return typeof entry.dest === 'string' && Array.isArray(entry.sources) && typeof entry.transform === 'string';
}

async function ask(): Promise<NewDerivation | undefined> {
  const dest = await vscode.window.showInputBox({
    title: vscode.l10n.t('Derive (1/3)'),
    prompt: vscode.l10n.t('Destination: the state path the derived value is written to'),
    placeHolder: '/totals/sum',
    validateInput: (value) => checkPath(value, false),
  });
  if (dest === undefined) return undefined;
  const sources = await vscode.window.showInputBox({
    title: vscode.l10n.t('Derive (2/3)'),
    prompt: vscode.l10n.t('Sources: state paths, separated by commas (* matches one level)'),
    placeHolder: '/a, /b',
    validateInput: (value) => {
      const list = value.split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length === 0) return vscode.l10n.t('At least one source.');
      return list.map((s) => checkPath(s, true)).find((problem) => problem !== undefined);
    },
  });
  if (sources === undefined) return undefined;
  const transform = await vscode.window.showInputBox({
    title: vscode.l10n.t('Derive (3/3)'),
    prompt: vscode.l10n.t('Transform: a JavaScript expression or function body over sources (the values, in order) and get(path)'),
    placeHolder: 'sources[0] + sources[1]',
    validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('A transform is needed.') : checkCode(value, DERIVE_PARAMS)),
  });
  if (transform === undefined) return undefined;
  return { dest: resolvePath(dest.trim()), sources: sources.split(',').map((s) => s.trim()).filter(Boolean).map((s) => resolvePath(s)), transform };
}
