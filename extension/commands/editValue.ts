import * as vscode from 'vscode';
import { readOwnValue, type StateHost, type StateHosts } from '../explorer/stateHost';
import { RestateFormatError } from '../restate';
import type { Command } from './command';
import { reportFailure, targetOf } from './targets';
import { askValue, valueArgument } from './valueInput';

/** Values whose JSON text is longer than this are edited in the file, not in an input box. */
const inlineLimit = 1000;

/**
 * Edits a node's own value: `restate.editValue(target, value?)`. Without a value it asks, prefilled with
 * the current one; a large value opens the node's file in an editor instead. Returns whether it wrote.
 */
export class EditValueCommand implements Command {
  readonly id = 'restate.editValue';

  constructor(private readonly hosts: StateHosts) {}

  async execute(target?: unknown, value?: unknown): Promise<boolean> {
    const resolved = targetOf(this.hosts, target);
    if (resolved === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a node in the State Explorer to edit its value.'));
      return false;
    }
    const { host, path } = resolved;
    let given = value === undefined ? undefined : valueArgument(value);
    if (value === undefined) {
      // A file that cannot be read at all is reported, not thrown at the caller.
      const current = await reportFailure(vscode.l10n.t('Editing {0}', path), () => prefill(host, path));
      if (current === undefined) return false;
      if (current.text.length > inlineLimit && path !== '/') {
        await vscode.window.showTextDocument(host.fileFor(path));
        return false;
      }
      given = await askValue(current.title, current.text);
    }
    if (given === undefined) return false;
    const written = await reportFailure(vscode.l10n.t('Editing {0}', path), () => host.controller.setState(path, given.value));
    return written === true;
  }
}

/**
 * What the input box starts with: the value as one line of JSON. A file that cannot be parsed can still be
 * replaced (S131), so its text is offered for fixing, and the title says what is wrong with it.
 */
async function prefill(host: StateHost, path: string): Promise<{ title: string; text: string }> {
  try {
    const current = await readOwnValue(host, path);
    const text = current.hasValue ? JSON.stringify(current.value, null, 1)?.replace(/\n\s*/g, ' ') ?? '' : '';
    return { title: vscode.l10n.t('Edit {0}', path), text };
  } catch (error) {
    if (!(error instanceof RestateFormatError)) throw error;
    const raw = new TextDecoder().decode(await vscode.workspace.fs.readFile(host.fileFor(path)));
    return { title: vscode.l10n.t('Edit {0}: its file cannot be parsed ({1})', path, error.detail), text: raw.replace(/\s*\n\s*/g, ' ').trim() };
  }
}
