// Runs the integration tests (out/test/, built by `node esbuild.mjs --tests`) in desktop VS Code with
// @vscode/test-electron, which downloads VS Code into .vscode-test/ on first use. The same runner and
// test files as test/harness/ext-test.mjs, which uses code-server where VS Code cannot be downloaded.
//
//   node test/harness/desktop.mjs      VSCODE_VERSION picks the version (default: the engines minimum).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { copyWorkspace, makeTempDir, removeDir, repoRoot } from './host.mjs';

const runner = join(repoRoot, 'out/test/index.js');
if (!existsSync(runner)) {
  console.error(`[desktop] ${runner} is missing: build it with \`node esbuild.mjs --tests\`.`);
  process.exit(1);
}
const engine = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines.vscode.replace(/^\^/, '');
const dir = makeTempDir('desktop');
const workspace = copyWorkspace(join(repoRoot, 'test/fixtures/demo-workspace'), dir);
const resultsFile = join(dir, 'results.json');

let exitCode = 0;
try {
  exitCode = await runTests({
    version: process.env.VSCODE_VERSION ?? engine,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: runner,
    extensionTestsEnv: { RESTATE_TEST_RESULTS: resultsFile },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(dir, 'user-data')],
  });
} catch (error) {
  console.error(`[desktop] ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
}

let passed = 0;
let failed = 0;
if (existsSync(resultsFile)) {
  for (const result of JSON.parse(readFileSync(resultsFile, 'utf8'))) {
    if (result.state === 'passed') passed++;
    if (result.state === 'failed') failed++;
  }
} else {
  failed++;
}
removeDir(dir);
console.log(`desktop: ${passed} passed, ${failed} failed`);
process.exit(exitCode === 0 && failed === 0 ? 0 : 1);
