// A running app's graph on the demo workspace: the demo writer (as `npm start` runs it) opens an inspector
// over the workspace's .state; the State Explorer lists it under "Running apps", a click shows its graph in
// the graph panel beside the workspace's own, marked as running in that process, and its runs flash.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../harness/host.mjs';
import { openViewContainer, tree, until } from '../harness/workbench.mjs';

export const workspace = 'test/fixtures/demo-workspace';

const explorer = (page) => tree(page, 'State Explorer');
const graph = (page) => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
const graphNode = (page, id) => graph(page).locator(`g.node[data-id="${id}"]`);
const appRow = (page) => explorer(page).getByRole('treeitem', { name: /^running app demo-writer \(pid \d+\)$/ });

export async function setup(context) {
  const writer = spawn(process.execPath, [join(repoRoot, 'test/harness/demo-writer.mjs'), join(context.workspace, '.state'), '500'], { cwd: repoRoot, stdio: 'inherit' });
  context.writer = writer;
}

export async function teardown(context) {
  const writer = context.writer;
  if (!writer || writer.exitCode !== null || writer.signalCode !== null) return;
  const exited = new Promise((resolve) => writer.once('exit', resolve));
  writer.kill('SIGTERM');
  await exited;
}

export const steps = [
  ['the explorer lists the demo writer under Running apps', async ({ page, writer }) => {
    await openViewContainer(page, 'Restate');
    await explorer(page).getByRole('treeitem', { name: /^Running apps/ }).waitFor({ timeout: 30_000 });
    await appRow(page).waitFor({ timeout: 30_000 });
    const name = await appRow(page).getAttribute('aria-label');
    if (!name?.includes(`pid ${writer.pid}`)) throw new Error(`the row reads "${name}", not the writer's pid ${writer.pid}`);
  }],

  ['a click shows its graph, its nodes marked as running in the writer', async ({ page, writer }) => {
    await appRow(page).click();
    for (const id of ['derive:/writer/parity', 'derive:/writer/minute', '/counter', '/writer/parity']) {
      await graphNode(page, id).waitFor({ timeout: 30_000 });
    }
    const owner = await graphNode(page, 'derive:/writer/parity').getAttribute('data-owner');
    if (owner !== `demo-writer, pid ${writer.pid}`) throw new Error(`the derivation's owner reads "${owner}"`);
    if (await graphNode(page, '/counter').getAttribute('data-owner') !== null) throw new Error('a path is marked with an owner');
    const tracker = graph(page).locator('g.node.kind-tracker.owned');
    await tracker.first().waitFor({ timeout: 10_000 });
  }],

  ['the writer\'s runs flash and count up', async ({ page, screenshot }) => {
    const node = graphNode(page, 'derive:/writer/parity');
    const flashes = async () => Number((await node.getAttribute('data-flashes')) ?? '0');
    const before = await flashes();
    await until(async () => (await flashes()) >= before + 2, 'the derivation did not flash on the writer\'s runs', { timeout: 15_000 });
    await until(async () => /derivation derive \/writer\/parity, [2-9]\d* runs?/.test((await node.getAttribute('aria-label')) ?? ''), 'the run count did not follow', { timeout: 15_000 });
    await node.click();
    await graph(page).locator('li.run').first().waitFor({ timeout: 15_000 });
    await screenshot('apps-graph');
  }],

  ['the panel switches back to the workspace\'s own graph', async ({ page }) => {
    const select = graph(page).locator('select#host');
    const options = await select.locator('option').allTextContents();
    if (!options.some((text) => /^\.state › app demo-writer \(pid \d+\)$/.test(text))) throw new Error(`the hosts read ${options.join(', ')}`);
    await select.selectOption({ label: '.state' });
    await graphNode(page, 'derive:/doubled').waitFor({ timeout: 30_000 });
    if (await graphNode(page, 'derive:/doubled').getAttribute('data-owner') !== null) throw new Error('the workspace\'s own derivation is marked with an owner');
  }],
];
