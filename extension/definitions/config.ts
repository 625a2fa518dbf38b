import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Edit, FormattingOptions, Node, ParseError } from 'jsonc-parser';

export type { Edit } from 'jsonc-parser';
import { resolvePath } from '../restate';
import { compileCode, SandboxSyntaxError } from './sandbox';
import type { CompiledCode } from './sandbox';

/**
 * The definitions file, `.vscode/restate.jsonc`:
 *
 *   {
 *     "derivations": [{ "dest": "/total", "sources": ["/a", "/b"], "transform": "sources[0] + sources[1]" }],
 *     "trackers": [{ "name": "view", "expression": "get('/flag') ? get('/new') : get('/old')", "dest": "/view" }]
 *   }
 *
 * Parsing keeps going past a broken entry: every problem is reported with its offsets in the text, and every
 * entry that is sound is returned. Nothing here depends on VS Code, so it is tested in plain Node.
 */

export const DEFINITIONS_FILE = '.vscode/restate.jsonc';
export const DERIVE_PARAMS = ['sources', 'get'] as const;
export const TRACK_PARAMS = ['get'] as const;

export interface TextSpan {
  readonly offset: number;
  readonly length: number;
}

export interface DerivationDefinition {
  readonly kind: 'derivation';
  /** The derivation's id in the controller: `derive:` + the canonical dest. */
  readonly id: string;
  readonly dest: string;
  readonly sources: readonly string[];
  readonly transform: string;
  readonly code: CompiledCode;
  /** The entry's object in the file. */
  readonly span: TextSpan;
}

export interface TrackerDefinition {
  readonly kind: 'tracker';
  /** `tracker:` + name; the controller's own `track:<n>` id changes with every registration. */
  readonly id: string;
  readonly name: string;
  readonly expression: string;
  readonly dest: string | undefined;
  readonly code: CompiledCode;
  readonly span: TextSpan;
}

export type Definition = DerivationDefinition | TrackerDefinition;

export interface ConfigProblem extends TextSpan {
  readonly message: string;
  /** The entry the problem belongs to, when it is about one. */
  readonly entryId?: string;
}

export interface Definitions {
  readonly derivations: readonly DerivationDefinition[];
  readonly trackers: readonly TrackerDefinition[];
  readonly problems: readonly ConfigProblem[];
}

export const EMPTY_DEFINITIONS: Definitions = { derivations: [], trackers: [], problems: [] };

export function trackerId(name: string): string {
  return `tracker:${name}`;
}

function spanOf(node: Node): TextSpan {
  return { offset: node.offset, length: node.length };
}

class Collector {
  readonly problems: ConfigProblem[] = [];
  report(node: Node | TextSpan, message: string, entryId?: string): void {
    this.problems.push({ offset: node.offset, length: node.length, message, ...(entryId ? { entryId } : {}) });
  }
}

function stringProperty(entry: Node, key: string, problems: Collector, label: string, required: boolean): { value: string; node: Node } | undefined {
  const node = findNodeAtLocation(entry, [key]);
  if (!node) {
    if (required) problems.report(entry, `${label} needs a "${key}" string.`);
    return undefined;
  }
  if (node.type !== 'string' || (node.value as string).trim() === '') {
    problems.report(node, `${label}: "${key}" must be a non-empty string.`);
    return undefined;
  }
  return { value: node.value as string, node };
}

function statePath(node: Node, problems: Collector, label: string, allowPattern: boolean): string | undefined {
  try {
    const path = resolvePath(node.value as string);
    if (!allowPattern && path.split('/').includes('*')) {
      problems.report(node, `${label}: "${node.value as string}" is a pattern; a destination must be a concrete path.`);
      return undefined;
    }
    return path;
  } catch (error) {
    problems.report(node, `${label}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

function compile(node: Node, params: readonly string[], problems: Collector, label: string, entryId: string): CompiledCode | undefined {
  try {
    return compileCode(node.value as string, params);
  } catch (error) {
    if (!(error instanceof SandboxSyntaxError)) throw error;
    problems.report(node, `${label}: syntax error: ${error.message}`, entryId);
    return undefined;
  }
}

function entriesOf(root: Node, key: string, problems: Collector): Node[] {
  const list = findNodeAtLocation(root, [key]);
  if (!list) return [];
  if (list.type !== 'array') {
    problems.report(list, `"${key}" must be an array.`);
    return [];
  }
  return (list.children ?? []).filter((entry) => {
    if (entry.type === 'object') return true;
    problems.report(entry, `Each entry of "${key}" must be an object.`);
    return false;
  });
}

function parseDerivation(entry: Node, index: number, problems: Collector): DerivationDefinition | undefined {
  const label = `derivations[${index}]`;
  const destProp = stringProperty(entry, 'dest', problems, label, true);
  const transformProp = stringProperty(entry, 'transform', problems, label, true);
  const sourcesNode = findNodeAtLocation(entry, ['sources']);
  let sources: string[] | undefined;
  if (!sourcesNode) problems.report(entry, `${label} needs "sources", an array of state paths.`);
  else if (sourcesNode.type !== 'array') problems.report(sourcesNode, `${label}: "sources" must be an array of state paths.`);
  else {
    sources = [];
    for (const source of sourcesNode.children ?? []) {
      if (source.type !== 'string') {
        problems.report(source, `${label}: each source must be a state path string.`);
        sources = undefined;
        break;
      }
      const path = statePath(source, problems, label, true);
      if (path === undefined) {
        sources = undefined;
        break;
      }
      if (!sources.includes(path)) sources.push(path);
    }
  }
  const dest = destProp && statePath(destProp.node, problems, label, false);
  if (!dest || !transformProp || !sources) return undefined;
  const id = `derive:${dest}`;
  const code = compile(transformProp.node, DERIVE_PARAMS, problems, label, id);
  if (!code) return undefined;
  return { kind: 'derivation', id, dest, sources, transform: transformProp.value, code, span: spanOf(entry) };
}

function parseTracker(entry: Node, index: number, problems: Collector): TrackerDefinition | undefined {
  const label = `trackers[${index}]`;
  const nameProp = stringProperty(entry, 'name', problems, label, true);
  const expressionProp = stringProperty(entry, 'expression', problems, label, true);
  const destNode = findNodeAtLocation(entry, ['dest']);
  let dest: string | undefined;
  if (destNode) {
    if (destNode.type !== 'string') {
      problems.report(destNode, `${label}: "dest" must be a state path string.`);
      return undefined;
    }
    dest = statePath(destNode, problems, label, false);
    if (dest === undefined) return undefined;
  }
  if (!nameProp || !expressionProp) return undefined;
  const id = trackerId(nameProp.value);
  const code = compile(expressionProp.node, TRACK_PARAMS, problems, label, id);
  if (!code) return undefined;
  return { kind: 'tracker', id, name: nameProp.value, expression: expressionProp.value, dest, code, span: spanOf(entry) };
}

export function parseDefinitions(text: string): Definitions {
  const problems = new Collector();
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  for (const error of errors) {
    problems.report(error, `Invalid JSONC: ${printParseErrorCode(error.error)}.`);
  }
  if (!root) return { derivations: [], trackers: [], problems: problems.problems };
  if (root.type !== 'object') {
    problems.report(root, 'The definitions file must hold an object with "derivations" and "trackers" arrays.');
    return { derivations: [], trackers: [], problems: problems.problems };
  }
  const derivations: DerivationDefinition[] = [];
  entriesOf(root, 'derivations', problems).forEach((entry, index) => {
    const parsed = parseDerivation(entry, index, problems);
    if (!parsed) return;
    if (derivations.some((other) => other.id === parsed.id)) {
      problems.report(findNodeAtLocation(entry, ['dest']) ?? entry, `derivations[${index}]: ${parsed.dest} is already derived by an earlier entry; this one is ignored.`);
      return;
    }
    derivations.push(parsed);
  });
  const trackers: TrackerDefinition[] = [];
  entriesOf(root, 'trackers', problems).forEach((entry, index) => {
    const parsed = parseTracker(entry, index, problems);
    if (!parsed) return;
    if (trackers.some((other) => other.id === parsed.id)) {
      problems.report(findNodeAtLocation(entry, ['name']) ?? entry, `trackers[${index}]: the name "${parsed.name}" is used by an earlier entry; this one is ignored.`);
      return;
    }
    trackers.push(parsed);
  });
  return { derivations, trackers, problems: problems.problems };
}

// Editing: jsonc-parser's modify computes minimal edits, so the user's comments and formatting stay.

export interface NewDerivation {
  readonly dest: string;
  readonly sources: readonly string[];
  readonly transform: string;
}

export interface NewTracker {
  readonly name: string;
  readonly expression: string;
  readonly dest?: string;
}

export const DEFAULT_FORMATTING: FormattingOptions = { insertSpaces: true, tabSize: 2, eol: '\n' };

function indexWhere(text: string, key: 'derivations' | 'trackers', matches: (value: unknown) => boolean): number {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const list = root && findNodeAtLocation(root, [key]);
  if (!list || list.type !== 'array') return -1;
  return (list.children ?? []).findIndex((child) => matches(getNodeValue(child)));
}

function sameDest(dest: string): (value: unknown) => boolean {
  const wanted = resolvePath(dest);
  return (value) => {
    if (typeof value !== 'object' || value === null) return false;
    const entryDest = (value as { dest?: unknown }).dest;
    if (typeof entryDest !== 'string') return false;
    try {
      return resolvePath(entryDest) === wanted;
    } catch {
      return false;
    }
  };
}

function sameName(name: string): (value: unknown) => boolean {
  return (value) => typeof value === 'object' && value !== null && (value as { name?: unknown }).name === name;
}

/**
 * The edits that set `path` to `value` (or remove it when `value` is undefined). An empty file first gets
 * `{}`, as one more edit at its start, so the result is always an object.
 */
function edit(text: string, path: (string | number)[], value: unknown, formatting: FormattingOptions): Edit[] {
  if (text.trim() === '') {
    const created = applyEdits('{}', modify('{}', path, value, { formattingOptions: formatting }));
    return [{ offset: 0, length: text.length, content: `${created}\n` }];
  }
  if (value !== undefined && path.at(-1) === -1) {
    const appended = appendToArray(text, path.slice(0, -1), value, formatting);
    if (appended) return appended;
  }
  return modify(text, path, value, { formattingOptions: formatting });
}

/**
 * Appends to an existing, non-empty array by hand: jsonc-parser's modify reformats the whole line it
 * touches, which would reflow a last entry the user wrote on one line. The new entry gets the last entry's
 * indentation.
 */
function appendToArray(text: string, path: (string | number)[], value: unknown, formatting: FormattingOptions): Edit[] | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true });
  const list = root && findNodeAtLocation(root, path);
  const last = list?.type === 'array' ? list.children?.at(-1) : undefined;
  if (!last) return undefined;
  const lineStart = text.lastIndexOf('\n', last.offset - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
  const unit = formatting.insertSpaces ? ' '.repeat(formatting.tabSize ?? 2) : '\t';
  const eol = formatting.eol ?? '\n';
  const json = JSON.stringify(value, null, unit).split('\n').join(`${eol}${indent}`);
  return [{ offset: last.offset + last.length, length: 0, content: `,${eol}${indent}${json}` }];
}

/** Edits that add a derivation, or replace the one with the same dest in place. */
export function addDerivation(text: string, entry: NewDerivation, formatting = DEFAULT_FORMATTING): Edit[] {
  const index = indexWhere(text, 'derivations', sameDest(entry.dest));
  const value = { dest: entry.dest, sources: [...entry.sources], transform: entry.transform };
  return edit(text, ['derivations', index], value, formatting);
}

/** Edits that add a tracker, or replace the one with the same name in place. */
export function addTracker(text: string, entry: NewTracker, formatting = DEFAULT_FORMATTING): Edit[] {
  const index = indexWhere(text, 'trackers', sameName(entry.name));
  const value = entry.dest ? { name: entry.name, expression: entry.expression, dest: entry.dest } : { name: entry.name, expression: entry.expression };
  return edit(text, ['trackers', index], value, formatting);
}

/** Edits that remove the derivation of `dest`: none when there is no such entry. */
export function removeDerivation(text: string, dest: string, formatting = DEFAULT_FORMATTING): Edit[] {
  const index = indexWhere(text, 'derivations', sameDest(dest));
  return index < 0 ? [] : edit(text, ['derivations', index], undefined, formatting);
}

/** Edits that remove the tracker called `name`: none when there is no such entry. */
export function removeTracker(text: string, name: string, formatting = DEFAULT_FORMATTING): Edit[] {
  const index = indexWhere(text, 'trackers', sameName(name));
  return index < 0 ? [] : edit(text, ['trackers', index], undefined, formatting);
}

export { applyEdits };

/** Converts an offset to a zero-based line and character, as VS Code positions count them. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: Math.min(offset, text.length) - lineStart };
}
