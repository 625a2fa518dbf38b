// A Redis root beside the demo state folder: its own redis-server, the root in the workspace's settings, and
// another client whose writes the tree follows live.
import { addRedisRoot, openRedisBackend, seedDemoTree, startRedisServer, tickDemoTree } from '../harness/demo-redis.mjs';
import { descriptionOf, openViewContainer, tree, treeItem, until } from '../harness/workbench.mjs';

export const workspace = 'test/fixtures/demo-workspace';

const label = 'Redis (demo)';
const explorer = (page) => tree(page, 'State Explorer');

export async function setup(context) {
  context.redis = await startRedisServer();
  // Another program sharing the tree: its own client, whose writes reach the explorer through the change feed.
  context.other = await openRedisBackend(context.redis.url, 'demo');
  await seedDemoTree(context.other);
  addRedisRoot(context.workspace, { url: context.redis.url, prefix: 'demo', label });
}

export async function teardown({ other, redis }) {
  await other?.close();
  await redis?.dispose();
}

export const steps = [
  ['the Restate container opens from the activity bar', async ({ page }) => {
    await openViewContainer(page, 'Restate');
    await explorer(page).waitFor({ timeout: 30_000 });
  }],

  ['the Redis root shows beside the state folder, connected, with its tree', async ({ page }) => {
    const view = explorer(page);
    await treeItem(view, `${label}, connected`).waitFor({ timeout: 30_000 });
    await treeItem(view, 'counter').waitFor({ timeout: 30_000 });
    await until(async () => (await descriptionOf(treeItem(view, 'requests'))) === '0', 'requests does not show 0', { timeout: 30_000 });
    const service = await descriptionOf(treeItem(view, 'service'));
    if (service !== '2 children') throw new Error(`service shows "${service}", expected "2 children"`);
    const sessions = await descriptionOf(treeItem(view, 'sessions'));
    if (sessions !== '3 children') throw new Error(`sessions shows "${sessions}", expected "3 children"`);
    const names = await view.getByRole('treeitem').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label')));
    const redisRow = names.indexOf(`${label}, connected`);
    if (names.indexOf('counter') > redisRow || names.slice(redisRow + 1).join(',') !== 'requests,service,sessions') {
      throw new Error(`the rows are ${names.join(',')}: expected the state folder's, then the Redis root with requests, service, sessions`);
    }
  }],

  ['a node of the Redis root expands to show its children', async ({ page }) => {
    const view = explorer(page);
    await treeItem(view, 'sessions').click();
    for (const name of ['s1', 's2', 's3']) await treeItem(view, name).waitFor({ timeout: 10_000 });
    await until(async () => (await descriptionOf(treeItem(view, 's1'))) === '{2 keys}', 's1 does not show {2 keys}');
  }],

  ['writes by another client appear live: a value changes, a session starts and the oldest ends', async ({ page, other }) => {
    const view = explorer(page);
    await tickDemoTree(other, 1);
    await until(async () => (await descriptionOf(treeItem(view, 'requests'))) === '1', 'requests does not show the new value 1');
    await treeItem(view, 's4').waitFor({ timeout: 10_000 });
    await until(async () => (await treeItem(view, 's1').count()) === 0, 's1 is still in the tree');
    await other.write('/requests', 4242);
    await until(async () => (await descriptionOf(treeItem(view, 'requests'))) === '4242', 'requests does not show the new value 4242');
  }],

  ['screenshot', async ({ page, screenshot }) => {
    const view = explorer(page);
    // The state folder folds away, so that the Redis root's tree fits with a session opened.
    await treeItem(view, '.state').click();
    await until(async () => (await treeItem(view, 'counter').count()) === 0, 'the state folder does not fold');
    await treeItem(view, 's4').click();
    await treeItem(view, 'user').waitFor({ timeout: 10_000 });
    // Move away and let the hover tooltip fade, so that it does not cover the tree.
    await page.mouse.move(900, 700);
    await page.waitForTimeout(1000);
    await screenshot('redis-explorer');
  }],
];
