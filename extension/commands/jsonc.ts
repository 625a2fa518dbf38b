import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

export type JsoncResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * Parses a value typed by the user as JSONC (comments and trailing commas allowed). The message of a
 * failure says how to fix the usual slips (a word without quotes, single quotes, Python's True/None,
 * object keys without quotes) when it can, then names the problem and its line and column.
 */
export function parseJsonc(text: string): JsoncResult {
  if (text.trim() === '') return { ok: false, message: 'Type a JSON value, e.g. 42, "text", true, null, [1, 2] or {"key": "value"}.' };
  const errors: ParseError[] = [];
  const value = parseWith(text, errors);
  const [first] = errors;
  if (first !== undefined) {
    const { line, column } = position(text, first.offset);
    const problem = `${describe(printParseErrorCode(first.error))} at line ${line}, column ${column}`;
    const fix = suggestFix(text);
    return { ok: false, message: fix === undefined ? problem : `${capitalise(fix.reason)}: ${fix.text} (${problem.toLowerCase()})` };
  }
  if (value === undefined) return { ok: false, message: 'Type a JSON value.' };
  return { ok: true, value };
}

export interface JsoncFix {
  /** What was wrong, in a few words: `text needs quotes`. */
  readonly reason: string;
  /** The corrected text; it parses. */
  readonly text: string;
}

/** A fixed suggestion longer than this is not repeated in the message, only its reason. */
const shownFixLength = 80;

/**
 * The corrected text of a value that does not parse, for the slips people make most when typing JSON by
 * hand; undefined when none of them explains the error.
 */
export function suggestFix(text: string): JsoncFix | undefined {
  const trimmed = text.trim();
  const literal = pythonLiterals.get(trimmed);
  if (literal !== undefined) return { reason: 'JSON spells it', text: literal };
  // Nothing of JSON's structure: the whole input is meant as text.
  if (!/[{}[\]"',:]|\/[/*]/.test(trimmed)) return { reason: 'text needs quotes', text: JSON.stringify(trimmed) };
  const repaired = repair(text);
  if (repaired.reasons.size === 0 || repaired.text === text || !parses(repaired.text)) return undefined;
  const reason = [...repaired.reasons].join(', ');
  return { reason, text: repaired.text.length > shownFixLength ? `${repaired.text.slice(0, shownFixLength - 1)}…` : repaired.text };
}

const pythonLiterals = new Map([['True', 'true'], ['False', 'false'], ['None', 'null']]);

/**
 * Rewrites single-quoted strings as double-quoted ones, quotes bare words (keys before a colon, text
 * elsewhere) and spells Python's literals as JSON does; double-quoted strings and comments stay as typed.
 */
function repair(text: string): { text: string; reasons: Set<string> } {
  const reasons = new Set<string>();
  let result = '';
  let index = 0;
  while (index < text.length) {
    const rest = text.slice(index);
    const token = /^"(?:[^"\\\n]|\\.)*"?|^\/\/[^\n]*|^\/\*[\s\S]*?(?:\*\/|$)/.exec(rest)
      ?? /^'((?:[^'\\\n]|\\.)*)'/.exec(rest)
      ?? /^[A-Za-z_$][\w$.-]*/.exec(rest);
    if (token === null) {
      result += text[index];
      index++;
      continue;
    }
    const [whole, singleQuoted] = token;
    index += whole.length;
    if (whole.startsWith('"') || whole.startsWith('/')) {
      result += whole;
    } else if (whole.startsWith("'")) {
      reasons.add('text needs double quotes');
      result += JSON.stringify(singleQuoted.replace(/\\'/g, "'"));
    } else if (/^\s*:/.test(text.slice(index))) {
      reasons.add('keys need quotes');
      result += JSON.stringify(whole);
    } else if (whole === 'true' || whole === 'false' || whole === 'null') {
      result += whole;
    } else if (pythonLiterals.has(whole)) {
      reasons.add('JSON spells True, False and None as true, false and null');
      result += pythonLiterals.get(whole)!;
    } else {
      reasons.add('text needs quotes');
      result += JSON.stringify(whole);
    }
  }
  return { text: result, reasons };
}

function parseWith(text: string, errors: ParseError[]): unknown {
  return parse(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
}

function parses(text: string): boolean {
  const errors: ParseError[] = [];
  return parseWith(text, errors) !== undefined && errors.length === 0;
}

function describe(code: string): string {
  // 'InvalidSymbol' → 'Invalid symbol'
  return capitalise(code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
