// Rule references (S…, C…) in code, tests and the README must each name an entry of docs/behaviour.md.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const behaviourDoc = join(root, 'docs', 'behaviour.md');
const scannedRoots = ['extension', 'webview', 'test', 'bench', 'README.md'];
const skippedFolders = new Set(['node_modules', 'results', '.vscode-test', 'test-results', 'dist', 'out']);
const scannedExtensions = ['.ts', '.mts', '.mjs', '.js', '.md', '.jsonc', '.sh'];

/** A rule id (`S12`, `C3`), or a range of them (`S57–S65`, `C1-C24`), which cites every rule in it. */
const RULE_REFERENCE = /\b([SC])(\d+)\b(?:\s*[–-]\s*\1?(\d+)\b)?/g;
/** An entry of the behaviour document: a heading that starts with its rule id. */
const RULE_HEADING = /^#{2,4} ([SC]\d+)\b/;

interface Reference {
  readonly id: string;
  readonly where: string;
}

function scannedFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return scannedExtensions.some((ext) => path.endsWith(ext)) ? [path] : [];
  const files: string[] = [];
  for (const name of readdirSync(path).sort()) {
    if (skippedFolders.has(name)) continue;
    files.push(...scannedFiles(join(path, name)));
  }
  return files;
}

/** The rule ids a line cites, a range counting as each id in it. */
function citedIds(line: string): string[] {
  const ids: string[] = [];
  for (const match of line.matchAll(RULE_REFERENCE)) {
    const [, letter, first, last] = match;
    const from = Number(first);
    const to = last === undefined ? from : Number(last);
    if (to < from || to - from > 200) {
      ids.push(`${letter}${from}`);
      continue;
    }
    for (let n = from; n <= to; n++) ids.push(`${letter}${n}`);
  }
  return ids;
}

function references(): Reference[] {
  const found: Reference[] = [];
  for (const start of scannedRoots) {
    for (const file of scannedFiles(join(root, start))) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const id of citedIds(line)) found.push({ id, where: `${relative(root, file)}:${index + 1}` });
      });
    }
  }
  return found;
}

function documentedIds(): Map<string, number> {
  const ids = new Map<string, number>();
  readFileSync(behaviourDoc, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const heading = RULE_HEADING.exec(line);
      if (heading === null) return;
      const id = heading[1];
      assert.ok(!ids.has(id), `docs/behaviour.md:${index + 1} documents ${id} a second time (first at line ${ids.get(id)})`);
      assert.ok(line.includes(`<a id="${id}"></a>`), `docs/behaviour.md:${index + 1}: the entry ${id} needs the anchor <a id="${id}"></a>, so that docs/behaviour.md#${id} finds it`);
      ids.set(id, index + 1);
    });
  return ids;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
function headingSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('docs/behaviour.md', () => {
  it('reads a single id, a range and a range spelled with the letter again', () => {
    assert.deepEqual(citedIds('as in S12, and S57–S59; C1-C3 too'), ['S12', 'S57', 'S58', 'S59', 'C1', 'C2', 'C3']);
    assert.deepEqual(citedIds('S3–7 and C20 S6'), ['S3', 'S4', 'S5', 'S6', 'S7', 'C20', 'S6']);
    assert.deepEqual(citedIds('MS12, S12a and a plain 12 cite nothing'), []);
  });

  it('has an entry for every rule that code, tests and the README cite', () => {
    assert.ok(existsSync(behaviourDoc), 'docs/behaviour.md is missing');
    const documented = documentedIds();
    const all = references();
    assert.ok(all.length > 500, `expected the rule references of the tests, found only ${all.length}`);
    const unresolved = all.filter((reference) => !documented.has(reference.id));
    assert.deepEqual(
      unresolved.map((reference) => `${reference.where}: ${reference.id}`),
      [],
      'these references name no entry of docs/behaviour.md',
    );
  });

  it('links within itself and from the README only to anchors it has', () => {
    const text = readFileSync(behaviourDoc, 'utf8');
    const anchors = new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]));
    for (const heading of text.matchAll(/^#{1,6} (.+)$/gm)) anchors.add(headingSlug(heading[1]));
    const broken: string[] = [];
    for (const [file, pattern] of [
      ['docs/behaviour.md', /\]\(#([^)]+)\)/g],
      ['README.md', /\]\(docs\/behaviour\.md#([^)]+)\)/g],
    ] as const) {
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const match of line.matchAll(pattern)) if (!anchors.has(match[1])) broken.push(`${file}:${index + 1}: #${match[1]}`);
      });
    }
    assert.deepEqual(broken, [], 'these links lead to no anchor of docs/behaviour.md');
  });

  it('is what code, tests and the README point to, rather than a document outside the repository', () => {
    const outside = /semantics\.md|shared\/docs|semantics\s§/;
    const pointing: string[] = [];
    for (const start of scannedRoots) {
      for (const file of scannedFiles(join(root, start))) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, index) => {
            if (outside.test(line)) pointing.push(`${relative(root, file)}:${index + 1}`);
          });
      }
    }
    assert.deepEqual(pointing, [], 'these lines point to a document that is not in the repository');
  });
});
