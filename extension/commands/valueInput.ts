import * as vscode from 'vscode';
import { parseJsonc } from './jsonc';

/**
 * Asks for a JSONC value. The input box shows the parse error while the text is invalid and refuses to
 * accept it, so nothing is written from a bad value. Undefined when cancelled.
 */
export async function askValue(title: string, prefill?: string): Promise<{ value: unknown } | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    value: prefill,
    prompt: vscode.l10n.t('A JSON value; comments and trailing commas are allowed.'),
    placeHolder: '42, "text", true, null, [1, 2], {"key": "value"}',
    ignoreFocusOut: true,
    validateInput: (input) => {
      const parsed = parseJsonc(input);
      return parsed.ok ? undefined : { message: parsed.message, severity: vscode.InputBoxValidationSeverity.Error };
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseJsonc(text);
  return parsed.ok ? { value: parsed.value } : undefined;
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
