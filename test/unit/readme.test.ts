// The README's library example, taken from README.md itself: type-checked as the project's code is, then run
// in a temporary folder against the sources, and held to what its comments say it logs and computes. The
// packed package runs the same example in test/package/library.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { assertExampleRan, libraryExample, libraryImport, repositoryRoot as root } from '../package/readmeExample';

/** The example as a file of its own: the library imported from its sources by absolute path, so it runs from any folder. */
function writeRunnable(folder: string, example: string): string {
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
      assertExampleRan(example, run.stdout, folder);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
