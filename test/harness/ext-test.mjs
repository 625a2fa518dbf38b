// Runs the integration tests (out/test/index.js, built by `node esbuild.mjs --tests`) inside the
// extension host of a real VS Code: code-server, opened by headless chromium on a copy of the demo
// workspace. The runner writes its results to the file named by RESTATE_TEST_RESULTS; the page reports
// the exit code through window.codeAutomationExit, the hook VS Code calls when extension tests end.
//
//   node test/harness/ext-test.mjs            RESTATE_TEST_GREP=<text> runs only matching tests,
//                                             RESTATE_VERBOSE=1 prints the workbench console.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyWorkspace, launchChromium, makeTempDir, removeDir, repoRoot, startCodeServer, workbenchUrl } from './host.mjs';

const timeoutMs = 180_000;
const runner = join(repoRoot, 'out/test/index.js');
const fixture = join(repoRoot, 'test/fixtures/demo-workspace');
const verbose = process.env.RESTATE_VERBOSE === '1';

if (!existsSync(runner)) {
  console.error(`[ext-test] ${runner} is missing: build it with \`node esbuild.mjs --tests\`.`);
  process.exit(1);
}

const started = Date.now();
const dir = makeTempDir('ext-test');
const workspace = copyWorkspace(fixture, dir);
const resultsFile = join(dir, 'results.json');
let host;
let browser;
let exitCode;
let problem;
try {
  host = await startCodeServer({
    dir,
    env: {
      RESTATE_TEST_RESULTS: resultsFile,
      RESTATE_PYTHON_FIXTURE: join(repoRoot, 'test/fixtures/python-state/state'),
      ...(process.env.RESTATE_TEST_GREP ? { RESTATE_TEST_GREP: process.env.RESTATE_TEST_GREP } : {}) },
  });
  browser = await launchChromium({ dir: join(dir, 'chromium') });
  const page = await browser.newPage();
  if (verbose) page.on('console', (message) => console.log(`[workbench] ${message.text()}`));
  let reportExit;
  const exited = new Promise((resolve) => { reportExit = resolve; });
  await page.exposeFunction('codeAutomationExit', (code) => reportExit(code));
  await page.goto(workbenchUrl(host.authority, { folder: workspace, extensionTestsPath: runner }), { timeout: 120_000 });
  let timer;
  exitCode = await Promise.race([
    exited,
    new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); }),
  ]);
  clearTimeout(timer);
  if (exitCode === 'timeout') problem = `the tests did not finish within ${timeoutMs / 1000} s`;
} catch (error) {
  problem = error instanceof Error ? error.message : String(error);
} finally {
  await browser?.close().catch(() => {});
  await host?.stop();
}

let passed = 0;
let failed = 0;
if (existsSync(resultsFile)) {
  for (const result of JSON.parse(readFileSync(resultsFile, 'utf8'))) {
    if (result.state === 'passed') {
      passed++;
      console.log(`  ✓ ${result.title} (${result.durationMs ?? 0} ms)`);
    } else if (result.state === 'pending') {
      console.log(`  - ${result.title} (pending)`);
    } else {
      failed++;
      console.log(`  ✗ ${result.title}\n${indent(result.error ?? '')}`);
    }
  }
} else {
  problem ??= `the test runner reported no results (exit code ${exitCode}); run with RESTATE_VERBOSE=1 to see the workbench console`;
}
if (problem) {
  failed++;
  console.log(`  ✗ ${problem}`);
  if (host) console.log(`    code-server log: ${host.logFile}`);
}
const ok = failed === 0 && exitCode === 0;
if (ok) removeDir(dir);
console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`ext: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);

function indent(text) {
  return text.split('\n').map((line) => `      ${line}`).join('\n');
}
