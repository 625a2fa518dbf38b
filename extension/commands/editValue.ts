import * as vscode from 'vscode';
import { RestateFormatError, deepEqual } from '../restate';
import { hasFiles, readOwnValue, type StateHost, type StateHosts } from '../sources/stateHost';
import type { Command } from './command';
import { reportFailure, selectedStateNode, targetOf, type ViewSelection } from './targets';
import { askValue, derivedWarning, valueArgument } from './valueInput';

/** Values whose JSON text is longer than this are edited in the file, not in an input box. */
const inlineLimit = 1000;

/** What to do when the node's file changed while it was being edited, as VS Code asks on a save conflict. */
export type EditConflictAnswer = 'overwrite' | 'keepTheirs';

/**
 * What callers may add to an edit: `basedOn`, the own value the edit started from, for a caller that showed
 * the value itself (`undefined` for none); `onConflict`, the answer to give if the file changed since.
 */
export interface EditValueOptions {
  readonly basedOn?: unknown;
  readonly onConflict?: EditConflictAnswer;
}

/** The node's own value as an edit sees it; `unreadable` holds the text of a file that cannot be parsed (S131). */
type OwnValue = { hasValue: boolean; value: unknown; unreadable?: { text: string; detail: string } };

/**
 * Edits a node's own value: `restate.editValue(target?, value?, options?)`. Without a target (F2 in the
 * tree) it edits the selected node. Without a value it asks, prefilled with the current one and warning
 * when a derivation writes the path; a large value opens the node's file in an editor instead. When the
 * file changed since the edit began (another program wrote it), it asks whether to overwrite it or keep
 * theirs. Returns whether it wrote.
 */
export class EditValueCommand implements Command {
  readonly id = 'restate.editValue';

  constructor(
    private readonly hosts: StateHosts,
    private readonly selection: ViewSelection,
  ) {}

  async execute(target?: unknown, value?: unknown, options?: unknown): Promise<boolean> {
    const resolved = targetOf(this.hosts, target ?? selectedStateNode(this.selection));
    if (resolved === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a node in the State Explorer to edit its value.'));
      return false;
    }
    const { host, path } = resolved;
    const editing = vscode.l10n.t('Editing {0}', path);
    const { basedOn, onConflict } = optionsOf(options);
    // A file that cannot be read at all is reported, not thrown at the caller.
    const began = basedOn ?? (await reportFailure(editing, () => readForEdit(host, path)));
    if (began === undefined) return false;
    let edited = value === undefined ? undefined : valueArgument(value);
    if (value === undefined) {
      // A file that cannot be parsed can still be replaced (S131): its text is offered for fixing.
      const text = began.unreadable !== undefined
        ? began.unreadable.text
        : began.hasValue ? JSON.stringify(began.value, null, 1)?.replace(/\n\s*/g, ' ') ?? '' : '';
      // A Redis root has no file to open: its values are edited in the box, however long.
      if (text.length > inlineLimit && path !== '/' && hasFiles(host)) {
        await vscode.window.showTextDocument(host.fileFor(path));
        return false;
      }
      const title = began.unreadable !== undefined
        ? vscode.l10n.t('Edit {0}: its file cannot be parsed ({1})', path, began.unreadable.detail)
        : vscode.l10n.t('Edit {0}', path);
      edited = await askValue(title, text, derivedWarning(host, path));
    }
    if (edited === undefined) return false;
    const newValue = edited.value;
    const now = await reportFailure(editing, async () => {
      const current = await readForEdit(host, path);
      // The controller and its cache start from what is on disk now, so the write below is not refused as
      // based on a stale read, and the other program's change is reported before the answer is asked for.
      await host.reload(path);
      return current;
    });
    if (now === undefined) return false;
    if (!sameOwnValue(began, now)) {
      const answer = onConflict ?? (await askOnConflict(host, path, now));
      if (answer !== 'overwrite') return false;
    }
    const written = await reportFailure(editing, () => host.controller.setState(path, newValue));
    return written === true;
  }
}

function sameOwnValue(a: OwnValue, b: OwnValue): boolean {
  if (a.unreadable !== undefined || b.unreadable !== undefined) return a.unreadable?.text === b.unreadable?.text;
  return a.hasValue === b.hasValue && deepEqual(a.value, b.value);
}

/** The own value, or the raw text of a file that cannot be parsed. */
async function readForEdit(host: StateHost, path: string): Promise<OwnValue> {
  try {
    return await readOwnValue(host, path);
  } catch (error) {
    if (!(error instanceof RestateFormatError) || !hasFiles(host)) throw error;
    const raw = new TextDecoder().decode(await vscode.workspace.fs.readFile(host.fileFor(path)));
    return { hasValue: false, value: undefined, unreadable: { text: raw.replace(/\s*\n\s*/g, ' ').trim(), detail: error.detail } };
  }
}

async function askOnConflict(host: StateHost, path: string, now: OwnValue): Promise<EditConflictAnswer | undefined> {
  const overwrite = vscode.l10n.t('Overwrite');
  const keepTheirs = vscode.l10n.t('Keep Theirs');
  const shown = now.unreadable !== undefined
    ? vscode.l10n.t('text that cannot be parsed')
    : now.hasValue ? JSON.stringify(now.value)?.slice(0, 200) ?? '' : vscode.l10n.t('no value');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} was changed by another program since you began editing it.', path),
    {
      modal: true,
      detail: vscode.l10n.t('{0} now holds {1}. Overwrite it with your value, or keep theirs?', hasFiles(host) ? host.fileFor(path).toString(true) : `${host.label} ${path}`, shown),
    },
    overwrite,
    keepTheirs,
  );
  if (answer === overwrite) return 'overwrite';
  return answer === keepTheirs ? 'keepTheirs' : undefined;
}

function optionsOf(options: unknown): { basedOn: OwnValue | undefined; onConflict: EditConflictAnswer | undefined } {
  if (options === null || typeof options !== 'object') return { basedOn: undefined, onConflict: undefined };
  const { basedOn, onConflict } = options as EditValueOptions;
  return {
    basedOn: 'basedOn' in options ? { hasValue: basedOn !== undefined, value: basedOn } : undefined,
    onConflict: onConflict === 'overwrite' || onConflict === 'keepTheirs' ? onConflict : undefined,
  };
}
