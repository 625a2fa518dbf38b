// Measures the State Explorer in a real VS Code (code-server + headless chromium), as a user sees it:
//   1. the time from opening the view until the tree shows the root's children, for a state folder of
//      10,000 leaves;
//   2. the time until the tree is consistent after another process writes 1,000 of those files at once,
//      and how many tree refreshes that burst caused (from the extension's log channel).
// Not part of `npm run test:e2e` (it is not a *.e2e.mjs scenario): run `node esbuild.mjs && node test/e2e/speed.mjs`.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, makeTempDir, removeDir, startCodeServer, workbenchUrl } from '../harness/host.mjs';
import { openViewContainer, tree, until, waitForWorkbench } from '../harness/workbench.mjs';

const leaves = Number(process.env.RESTATE_SPEED_LEAVES ?? 10_000);
const burst = Number(process.env.RESTATE_SPEED_BURST ?? 1_000);
const name = (index) => `n${String(index).padStart(5, '0')}`;

const dir = makeTempDir('speed');
const workspace = join(dir, 'workspace');
const state = join(workspace, '.state');
mkdirSync(state, { recursive: true });
for (let index = 0; index < leaves; index++) writeFileSync(join(state, `${name(index)}.json`), String(index));

function findFiles(root, fileName) {
  const found = [];
  for (const entry of readdirSync(root)) {
    const full = join(root, entry);
    if (statSync(full).isDirectory()) found.push(...findFiles(full, fileName));
    else if (entry === fileName) found.push(full);
  }
  return found;
}

/** How many refreshes the extension has logged so far. */
function refreshesLogged(userData) {
  return findFiles(join(userData, 'logs'), 'Restate State Explorer.log')
    .map((file) => readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('] refresh ')).length)
    .reduce((sum, count) => sum + count, 0);
}

let host;
let browser;
let failed = false;
try {
  host = await startCodeServer({ dir: join(dir, 'vscode') });
  browser = await launchChromium({ dir: join(dir, 'chromium') });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(workbenchUrl(host.authority, { folder: workspace }));
  await waitForWorkbench(page);
  // Wait for the activity-bar entry (the extension host is up), then time opening the view.
  await page.getByRole('tab', { name: 'Restate' }).waitFor({ timeout: 60_000 });
  const view = tree(page, 'State Explorer');
  const opened = performance.now();
  await openViewContainer(page, 'Restate');
  await view.getByRole('treeitem', { name: name(0), exact: true }).waitFor({ timeout: 60_000 });
  const firstShown = performance.now() - opened;

  const userData = join(dir, 'vscode', 'user-data');
  await page.waitForTimeout(1000);
  const refreshesBefore = refreshesLogged(userData);
  const visible = await view.getByRole('treeitem').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label')));
  const written = performance.now();
  for (let index = 0; index < burst; index++) writeFileSync(join(state, `${name(index)}.json`), String(-index - 1));
  await until(async () => {
    const rows = await view.getByRole('treeitem').evaluateAll((items) => items.map((row) => [
      row.getAttribute('aria-label'),
      row.querySelector('.label-description')?.textContent?.trim() ?? '',
    ]));
    return rows.length > 0 && rows.every(([label, description]) => {
      const index = Number(label.slice(1));
      return index >= burst || description === String(-index - 1);
    });
  }, 'the tree did not show the written values', { timeout: 60_000, interval: 20 });
  const consistent = performance.now() - written;
  // Refreshes still queued after the visible rows are right count too.
  await page.waitForTimeout(2000);
  const refreshes = refreshesLogged(userData) - refreshesBefore;

  console.log(`State Explorer speed (${leaves} leaves, burst of ${burst} writes; ${visible.length} rows visible)`);
  console.log(`  first display of the root's children  ${firstShown.toFixed(0).padStart(6)} ms   (target < 1000 ms)`);
  console.log(`  consistent after the burst            ${consistent.toFixed(0).padStart(6)} ms   (target < 3000 ms)`);
  console.log(`  tree refreshes caused by the burst    ${String(refreshes).padStart(6)}      (target < 20)`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser?.close().catch(() => {});
  await host?.stop();
  if (!failed) removeDir(dir);
}
process.exit(failed ? 1 : 0);
