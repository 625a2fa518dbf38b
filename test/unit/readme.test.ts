// The README's library example, taken from README.md itself: type-checked as the project's code is, then run
// in a temporary folder, and held to what its comments say it logs and computes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(__dirname, '..', '..');
const libraryImport = "'./extension/restate'";

/** The first TypeScript block after the "## The library" heading, as the README shows it. */
function libraryExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.indexOf('\n## The library\n');
  assert.ok(section >= 0, 'README.md has no "## The library" section');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(block, 'the "## The library" section of README.md has no ```ts block');
  return block[1];
}

/** The example as a file of its own: the library imported by absolute path, so it runs from any folder. */
function writeRunnable(folder: string, example: string): string {
  assert.ok(example.includes(libraryImport), `the README example no longer imports the library as ${libraryImport}`);
  const file = join(folder, 'example.ts');
  writeFileSync(file, example.replace(libraryImport, JSON.stringify(join(root, 'extension', 'restate', 'index'))));
  return file;
}

function typeErrors(file: string): string[] {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([file], { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file?.fileName === file || diagnostic.file === undefined)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

/** The text a `// <label> …` comment on the line containing `code` says, up to an ellipsis. */
function claimedAfter(example: string, code: string, label: string): string {
  const line = example.split('\n').find((candidate) => candidate.includes(code) && candidate.includes(`// ${label}`));
  assert.ok(line, `no line with ${code} and a "// ${label}" comment in the README example`);
  return line.slice(line.indexOf(`// ${label}`) + `// ${label}`.length).split('…')[0].trim();
}

describe('README library example', () => {
  it('type-checks as written', () => {
    const folder = mkdtempSync(join(tmpdir(), 'restate-readme-'));
    try {
      assert.deepEqual(typeErrors(writeRunnable(folder, libraryExample())), []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('S112 runs as written: it logs the bubbled write and derives the admin count it states', () => {
    const example = libraryExample();
    const folder = mkdtempSync(join(tmpdir(), 'restate-readme-'));
    try {
      const file = writeRunnable(folder, example);
      const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const run = spawnSync(process.execPath, ['--import', tsx, file], { cwd: folder, encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, `the example failed:\n${run.stderr}`);

      const logged = run.stdout.split('\n').filter((line) => line !== '');
      assert.equal(logged.length, 1, `the example logged ${JSON.stringify(logged)}`);
      assert.ok(logged[0].startsWith(claimedAfter(example, "'/users/3'", 'logs:')), `logged ${logged[0]}`);
      assert.equal(logged[0], "/users/3 undefined → { name: 'Carol', role: 'admin' }");

      // The example's last line reads the derived count; the derivation wrote the same value to its file.
      const admins = JSON.parse(readFileSync(join(folder, '.state', 'stats', 'admins.json'), 'utf8'));
      assert.equal(String(admins), claimedAfter(example, "getState('/stats/admins')", ''));
      assert.equal(admins, 2);
      assert.deepEqual(JSON.parse(readFileSync(join(folder, '.state', 'users', '3.json'), 'utf8')), { name: 'Carol', role: 'admin' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
