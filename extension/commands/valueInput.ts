import * as vscode from 'vscode';
import type { StateHost } from '../sources/stateHost';
import { derivationSourcesOf } from './derivedTarget';
import { parseJsonc } from './jsonc';

/**
 * Asks for a JSONC value. The input box shows the parse error while the text is invalid and refuses to
 * accept it, so nothing is written from a bad value; `warning`, if any, shows from the start and while the
 * value is valid, which can then be accepted. Undefined when cancelled.
 */
export function askValue(title: string, prefill?: string, warning?: string): Promise<{ value: unknown } | undefined> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.value = prefill ?? '';
  box.valueSelection = [0, box.value.length];
  box.prompt = vscode.l10n.t('A JSON value; comments and trailing commas are allowed.');
  box.placeholder = '42, "text", true, null, [1, 2], {"key": "value"}';
  box.ignoreFocusOut = true;
  const warningMessage = warning === undefined ? undefined : { message: warning, severity: vscode.InputBoxValidationSeverity.Warning };
  // A box created by createInputBox is not validated before the first keystroke: the warning must show at once.
  box.validationMessage = warningMessage;
  const validate = (): { value: unknown } | undefined => {
    const parsed = parseJsonc(box.value);
    box.validationMessage = parsed.ok ? warningMessage : { message: parsed.message, severity: vscode.InputBoxValidationSeverity.Error };
    return parsed.ok ? { value: parsed.value } : undefined;
  };
  return new Promise((resolve) => {
    let accepted: { value: unknown } | undefined;
    box.onDidChangeValue(validate);
    box.onDidAccept(() => {
      accepted = validate();
      if (accepted !== undefined) box.hide();
    });
    box.onDidHide(() => {
      box.dispose();
      resolve(accepted);
    });
    box.show();
  });
}

/**
 * The value given to a command as an argument: a string is JSONC text (so `'"text"'` writes a string),
 * anything else is the value itself. Undefined, with an error shown, for text that does not parse.
 */
export function valueArgument(argument: unknown): { value: unknown } | undefined {
  if (typeof argument !== 'string') return { value: argument };
  const parsed = parseJsonc(argument);
  if (parsed.ok) return { value: parsed.value };
  void vscode.window.showErrorMessage(vscode.l10n.t('Not a valid JSON value: {0}. Nothing was written.', parsed.message));
  return undefined;
}

/** Why a value typed for a derived path will not stay (S118); undefined when no derivation writes the path. */
export function derivedWarning(host: StateHost, path: string): string | undefined {
  const sources = derivationSourcesOf(host.controller.graph(), path);
  if (sources === undefined) return undefined;
  return sources.length === 0
    ? vscode.l10n.t('{0} is derived: its derivation will overwrite the value you write here.', path)
    : vscode.l10n.t('{0} is derived from {1}: its derivation will overwrite the value you write here when {2} changes.',
      path, sources.join(', '), sources.length === 1 ? sources[0] : vscode.l10n.t('one of them'));
}
