// End-to-end tests: a real VS Code workbench (code-server) in headless chromium, driven like a user.
// Every test/e2e/*.e2e.mjs file is a scenario: `export const workspace` (a fixture folder, copied, or
// undefined for an empty folder) and `export const steps` ([name, async (context) => {}] pairs, run in
// order in one workbench page; after a failed step the rest of its scenario is skipped). A scenario may also
// export `setup(context)`, run before the workbench loads (it may add to the context, e.g. a server it
// started), and `teardown(context)`, run after the scenario whether it passed or not.
// Screenshots go to test-results/e2e/ (git-ignored).
//
//   node test/harness/e2e.mjs [filter]        RESTATE_VERBOSE=1 prints the workbench console.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { copyWorkspace, launchChromium, makeTempDir, removeDir, repoRoot, startCodeServer, workbenchUrl } from './host.mjs';
import { waitForWorkbench } from './workbench.mjs';

const scenariosDir = join(repoRoot, 'test/e2e');
const screenshots = join(repoRoot, 'test-results/e2e');
const verbose = process.env.RESTATE_VERBOSE === '1';
const filter = process.argv[2];

if (!existsSync(join(repoRoot, 'dist/extension.js'))) {
  console.error('[e2e] dist/extension.js is missing: build it with `node esbuild.mjs`.');
  process.exit(1);
}
const files = readdirSync(scenariosDir).filter((name) => name.endsWith('.e2e.mjs') && (!filter || name.includes(filter))).sort();
if (files.length === 0) {
  console.error(`[e2e] no scenario in ${scenariosDir} matches ${filter ?? '*.e2e.mjs'}`);
  process.exit(1);
}

mkdirSync(screenshots, { recursive: true });
const started = Date.now();
const dir = makeTempDir('e2e');
let passed = 0;
let failed = 0;
let host;
let browser;
try {
  host = await startCodeServer({ dir });
  browser = await launchChromium({ dir: join(dir, 'chromium') });
  for (const file of files) {
    const scenario = await import(pathToFileURL(join(scenariosDir, file)).href);
    const name = file.replace(/\.e2e\.mjs$/, '');
    const scenarioDir = join(dir, name);
    mkdirSync(scenarioDir);
    const workspace = scenario.workspace
      ? copyWorkspace(join(repoRoot, scenario.workspace), scenarioDir)
      : join(scenarioDir, 'workspace');
    mkdirSync(workspace, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    if (verbose) page.on('console', (message) => console.log(`[workbench] ${message.text()}`));
    const context = {
      page,
      workspace,
      screenshot: async (label) => {
        const path = join(screenshots, `${label}.png`);
        await page.screenshot({ path });
        return path;
      },
    };
    console.log(name);
    let failedStep;
    const setup = scenario.setup ? [['setup', scenario.setup]] : [];
    try {
      for (const [title, run] of [...setup, ['the workbench loads', async () => {
        await page.goto(workbenchUrl(host.authority, { folder: workspace }), { timeout: 120_000 });
        await waitForWorkbench(page);
      }], ...scenario.steps]) {
        if (failedStep) {
          console.log(`  - ${title} (skipped)`);
          continue;
        }
        const stepStarted = Date.now();
        try {
          await run(context);
          passed++;
          console.log(`  ✓ ${title} (${Date.now() - stepStarted} ms)`);
        } catch (error) {
          failed++;
          failedStep = title;
          console.log(`  ✗ ${title}\n      ${(error instanceof Error ? error.message : String(error)).split('\n').join('\n      ')}`);
          console.log(`      screenshot: ${await context.screenshot(`${name}-failure`).catch(() => 'none')}`);
        }
      }
      await page.close();
    } finally {
      if (scenario.teardown) {
        try {
          await scenario.teardown(context);
        } catch (error) {
          failed++;
          console.log(`  ✗ teardown\n      ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
} catch (error) {
  failed++;
  console.log(`  ✗ ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await browser?.close().catch(() => {});
  await host?.stop();
}
if (failed === 0) removeDir(dir);
else if (host) console.log(`  code-server log: ${host.logFile}`);
console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
