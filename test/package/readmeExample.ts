// The README's library example, as README.md shows it, for the tests that run it: against the sources
// (test/unit/readme.test.ts) and against the packed package installed in a project of its own
// (test/package/library.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repositoryRoot = join(__dirname, '..', '..');
/** The package name the example imports, as a developer who installed the package writes it. */
export const packageName = (JSON.parse(readFileSync(join(repositoryRoot, 'extension', 'restate', 'package.json'), 'utf8')) as { name: string }).name;
export const libraryImport = `'${packageName}'`;

/** The first TypeScript block after the "## The library" heading of a README. */
export function libraryExample(readmePath = join(repositoryRoot, 'README.md')): string {
  const readme = readFileSync(readmePath, 'utf8');
  const section = readme.indexOf('\n## The library\n');
  assert.ok(section >= 0, `${readmePath} has no "## The library" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(block, `the "## The library" section of ${readmePath} has no \`\`\`ts block`);
  assert.ok(block[1].includes(libraryImport), `the README example no longer imports the library as ${libraryImport}`);
  return block[1];
}

/** The text a `// <label> …` comment on the line containing `code` says, up to an ellipsis. */
export function claimedAfter(example: string, code: string, label: string): string {
  const line = example.split('\n').find((candidate) => candidate.includes(code) && candidate.includes(`// ${label}`));
  assert.ok(line, `no line with ${code} and a "// ${label}" comment in the README example`);
  return line.slice(line.indexOf(`// ${label}`) + `// ${label}`.length).split('…')[0].trim();
}

/**
 * Holds a run of the example to what its comments say: it logs the bubbled write once, and the derivation
 * wrote the admin count the last line states to its file in `folder`.
 */
export function assertExampleRan(example: string, stdout: string, folder: string): void {
  const logged = stdout.split('\n').filter((line) => line !== '');
  assert.equal(logged.length, 1, `the example logged ${JSON.stringify(logged)}`);
  assert.ok(logged[0].startsWith(claimedAfter(example, "'/users/3'", 'logs:')), `logged ${logged[0]}`);
  assert.equal(logged[0], "/users/3 undefined → { name: 'Carol', role: 'admin' }");

  const admins: unknown = JSON.parse(readFileSync(join(folder, '.state', 'stats', 'admins.json'), 'utf8'));
  assert.equal(String(admins), claimedAfter(example, "getState('/stats/admins')", ''));
  assert.equal(admins, 2);
  assert.deepEqual(JSON.parse(readFileSync(join(folder, '.state', 'users', '3.json'), 'utf8')), { name: 'Carol', role: 'admin' });
}
