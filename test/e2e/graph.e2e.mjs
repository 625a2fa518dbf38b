// The dependency graph on the demo workspace: definitions from .vscode/restate.jsonc, the graph panel, and a
// source changed on disk flowing to the derived value in the tree and a flash in the graph.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonJson } from '../harness/python-json.mjs';
import { descriptionOf, openViewContainer, runCommand, tree, treeItem, until } from '../harness/workbench.mjs';

export const workspace = 'test/fixtures/demo-workspace';

const explorer = (page) => tree(page, 'State Explorer');
const graph = (page) => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
const graphNode = (page, id) => graph(page).locator(`g.node[data-id="${id}"]`);

const DEFINITIONS = `{
  // Written by the end-to-end test.
  "derivations": [
    { "dest": "/doubled", "sources": ["/counter"], "transform": "sources[0] * 2" }
  ],
  "trackers": [
    { "name": "themeWatch", "expression": "get('/settings/beta') ? get('/settings/theme') : 'default'" }
  ]
}
`;

export const steps = [
  ['the definitions file is written and the derived value appears in the tree', async ({ page, workspace }) => {
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, '.vscode', 'restate.jsonc'), DEFINITIONS);
    await openViewContainer(page, 'Restate');
    const view = explorer(page);
    await treeItem(view, 'doubled').waitFor({ timeout: 30_000 });
    // The tree marks derived nodes after the value: "0 · derived".
    await until(async () => /^0\b.*derived/.test(await descriptionOf(treeItem(view, 'doubled'))), 'doubled does not show 0, derived', { timeout: 15_000 });
  }],

  ['Show Graph opens the panel with the state, derivation and tracker nodes', async ({ page }) => {
    await runCommand(page, 'Restate: Show Graph');
    await graph(page).getByRole('img', { name: 'state graph' }).waitFor({ timeout: 30_000 });
    for (const id of ['/counter', 'derive:/doubled', '/doubled', 'tracker:themeWatch', '/settings/beta']) {
      await graphNode(page, id).waitFor({ timeout: 30_000 });
    }
    const label = await graphNode(page, 'derive:/doubled').getAttribute('aria-label');
    if (!/derivation derive \/doubled, 1 run/.test(label ?? '')) throw new Error(`the derivation reads "${label}"`);
  }],

  ['a source changed on disk updates the tree and flashes the graph', async ({ page, workspace, screenshot }) => {
    writeFileSync(join(workspace, '.state', 'counter.json'), pythonJson(21));
    await until(async () => /^42\b/.test(await descriptionOf(treeItem(explorer(page), 'doubled'))), 'doubled does not show 42', { timeout: 15_000 });
    await until(async () => Number(await graphNode(page, 'derive:/doubled').getAttribute('data-flashes')) >= 1, 'the derivation did not flash', { timeout: 10_000 });
    await until(async () => Number(await graphNode(page, '/counter').getAttribute('data-flashes')) >= 1, 'the source did not flash', { timeout: 10_000 });
    await until(async () => /2 runs/.test((await graphNode(page, 'derive:/doubled').getAttribute('aria-label')) ?? ''), 'the run count did not go up');
    await screenshot('graph-flash');
  }],

  ['the filter dims what does not match', async ({ page }) => {
    await graph(page).getByRole('searchbox', { name: 'filter nodes' }).fill('doubled');
    await until(async () => (await graphNode(page, '/settings/beta').getAttribute('class'))?.includes('dim'), '/settings/beta is not dimmed');
    const doubled = await graphNode(page, '/doubled').getAttribute('class');
    if (doubled?.includes('dim')) throw new Error('/doubled is dimmed although it matches');
  }],
];
