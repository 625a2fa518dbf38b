import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

export type JsoncResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * Parses a value typed by the user as JSONC (comments and trailing commas allowed). The message of a
 * failure names the problem and its line and column, for the input box's validation message.
 */
export function parseJsonc(text: string): JsoncResult {
  if (text.trim() === '') return { ok: false, message: 'Type a JSON value, e.g. 42, "text", true, null, [1, 2] or {"key": "value"}.' };
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const [first] = errors;
  if (first !== undefined) {
    const { line, column } = position(text, first.offset);
    return { ok: false, message: `${describe(printParseErrorCode(first.error))} at line ${line}, column ${column}` };
  }
  if (value === undefined) return { ok: false, message: 'Type a JSON value.' };
  return { ok: true, value };
}

function describe(code: string): string {
  // 'InvalidSymbol' → 'Invalid symbol'
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
