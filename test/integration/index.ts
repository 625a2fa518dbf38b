// The test runner that VS Code's extension host loads through extensionTestsPath (code-server in CI,
// @vscode/test-electron on a desktop). It runs every *.test.js next to it with mocha.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/** The file the harness reads the results from; set by test/harness/ext-test.mjs and desktop.mjs. */
const resultsFile = process.env.RESTATE_TEST_RESULTS;

export interface TestResult {
  readonly title: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly durationMs?: number;
  readonly error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000 });
  const grep = process.env.RESTATE_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const entry of readdirSync(__dirname, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.test.js')) mocha.addFile(join(entry.parentPath, entry.name));
  }

  const results: TestResult[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (resultsFile) writeFileSync(resultsFile, JSON.stringify(results, null, 2));
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) => results.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration }));
    runner.on('pending', (test) => results.push({ title: test.fullTitle(), state: 'pending' }));
    runner.on('fail', (test, error: unknown) => results.push({
      title: test.fullTitle(),
      state: 'failed',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }));
  });
}
