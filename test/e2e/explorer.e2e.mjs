// The State Explorer on the demo workspace: browse, follow an external write, run a command.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonJson } from '../harness/python-json.mjs';
import { descriptionOf, openViewContainer, runCommand, tree, treeItem, until } from '../harness/workbench.mjs';

export const workspace = 'test/fixtures/demo-workspace';

const explorer = (page) => tree(page, 'State Explorer');
const quickInput = (page) => page.locator('.quick-input-widget');

/** Clicks a tree item and waits until it is the selected one, so that keys pressed next go to it. */
async function select(view, name) {
  const item = treeItem(view, name);
  await item.click();
  await until(async () => (await item.getAttribute('aria-selected')) === 'true', `${name} is not selected`);
}

export const steps = [
  ['the Restate container opens from the activity bar', async ({ page }) => {
    await openViewContainer(page, 'Restate');
    await explorer(page).waitFor({ timeout: 30_000 });
  }],

  ['the tree lists the top level of the state folder, sorted, with value previews', async ({ page }) => {
    const view = explorer(page);
    for (const name of ['app', 'clock', 'counter', 'doubled', 'settings', 'status', 'users']) {
      await treeItem(view, name).waitFor({ timeout: 30_000 });
    }
    const names = await view.getByRole('treeitem').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label')));
    if (names.join(',') !== 'app,clock,counter,doubled,settings,status,users') throw new Error(`top level is ${names.join(',')}`);
    const counter = await descriptionOf(treeItem(view, 'counter'));
    if (counter !== '0') throw new Error(`counter shows "${counter}", expected "0"`);
    const clock = await descriptionOf(treeItem(view, 'clock'));
    if (clock !== '{2 keys}') throw new Error(`clock shows "${clock}", expected "{2 keys}"`);
    const settings = await descriptionOf(treeItem(view, 'settings'));
    if (settings !== '5 children') throw new Error(`settings shows "${settings}", expected "5 children"`);
  }],

  ['a node expands to show its children', async ({ page }) => {
    const view = explorer(page);
    await treeItem(view, 'users').click();
    await treeItem(view, 'alice').waitFor({ timeout: 10_000 });
    await until(async () => (await descriptionOf(treeItem(view, 'zoe'))) === '{3 keys}', 'zoe does not show {3 keys}');
  }],

  ['a write by another process appears in the tree', async ({ page, workspace }) => {
    const view = explorer(page);
    const state = join(workspace, '.state');
    writeFileSync(join(state, 'counter.json'), pythonJson(4242));
    writeFileSync(join(state, 'users/dave.json'), pythonJson({ name: 'Dave', age: 51, roles: [] }));
    await until(async () => (await descriptionOf(treeItem(view, 'counter'))) === '4242',
      'counter does not show the new value 4242');
    await treeItem(view, 'dave').waitFor({ timeout: 10_000 });
  }],

  ['a value is edited through the inline Edit button and its input box', async ({ page, workspace }) => {
    const view = explorer(page);
    const counter = treeItem(view, 'counter');
    await counter.hover();
    await counter.getByRole('button', { name: 'Edit Value…' }).click();
    const input = page.locator('.quick-input-widget').getByRole('textbox');
    await input.waitFor({ timeout: 10_000 });
    await until(async () => (await input.inputValue()) === '4242', 'the input box is not prefilled with 4242');
    await input.fill('{"oops": }');
    await page.locator('.quick-input-widget').getByText(/Value expected/i).waitFor({ timeout: 10_000 });
    await input.fill('1234 // from the UI');
    await page.keyboard.press('Enter');
    await until(async () => (await descriptionOf(counter)) === '1234', 'counter does not show the edited value 1234');
    await until(() => readFileSync(join(workspace, '.state', 'counter.json'), 'utf8') === '1234', 'counter.json was not written');
  }],

  ['Restate: Refresh runs from the command palette', async ({ page }) => {
    await runCommand(page, 'Restate: Refresh');
    await treeItem(explorer(page), 'counter').waitFor({ timeout: 10_000 });
  }],

  ['Find in the title bar opens the search after a node was clicked, and finds text inside values', async ({ page }) => {
    const view = explorer(page);
    await select(view, 'counter');
    const header = page.locator('.pane-header').filter({ hasText: 'State Explorer' });
    await header.hover();
    await header.getByRole('button', { name: 'Find…' }).click();
    const input = quickInput(page).getByRole('textbox');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('dev');
    // alice's roles are ["admin", "dev"]: the item shows where its value matched.
    const alice = quickInput(page).getByRole('option').filter({ hasText: '/users/alice' });
    await alice.waitFor({ timeout: 15_000 });
    await until(async () => (await alice.textContent())?.includes('roles[1]: "dev"'), 'alice does not show where "dev" matched');
    await alice.click();
    await until(async () => (await treeItem(view, 'alice').getAttribute('aria-selected')) === 'true', 'alice was not revealed');
  }],

  ['F2 edits the selected node, and a word without quotes is told to need them', async ({ page }) => {
    const view = explorer(page);
    await select(view, 'counter');
    await page.keyboard.press('F2');
    const input = quickInput(page).getByRole('textbox');
    await input.waitFor({ timeout: 10_000 });
    await until(async () => (await input.inputValue()) === '1234', 'the input box is not prefilled with 1234');
    await input.fill('light');
    await quickInput(page).getByText('Text needs quotes: "light"').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden', timeout: 10_000 });
  }],

  ['editing a derived value warns that its derivation will overwrite it', async ({ page, workspace }) => {
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    const definitions = join(workspace, '.vscode', 'restate.jsonc');
    const view = explorer(page);
    const derived = async () => (await treeItem(view, 'doubled').count()) > 0 && /^2468\b.*derived/.test(await descriptionOf(treeItem(view, 'doubled')));
    // The file watcher can miss a file written into a folder created a moment before (the folder is not
    // watched yet): the file is written again, as a second save would, until the tree shows the derivation.
    await until(async () => {
      writeFileSync(definitions, '{ "derivations": [{ "dest": "/doubled", "sources": ["/counter"], "transform": "sources[0] * 2" }] }\n');
      return until(derived, 'not yet', { timeout: 10_000 }).catch(() => false);
    }, 'doubled does not show 2468, derived', { timeout: 60_000 });
    await select(view, 'doubled');
    await page.keyboard.press('F2');
    await quickInput(page).getByText('/doubled is derived from /counter: its derivation will overwrite the value you write here when /counter changes.')
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await quickInput(page).getByRole('textbox').waitFor({ state: 'hidden', timeout: 10_000 });
  }],

  ['Delete on the selected node asks with its state path and how to undo it', async ({ page, workspace }) => {
    const view = explorer(page);
    await select(view, 'dave');
    await page.keyboard.press('Delete');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    const text = await dialog.textContent();
    for (const expected of ['Delete /users/dave?', 'The files go from the state folder .state.', 'Revert This Change in the Changes view can undo it.']) {
      if (!text?.includes(expected)) throw new Error(`the dialog does not say "${expected}": ${text}`);
    }
    if (text.includes('file://')) throw new Error(`the dialog shows a URI: ${text}`);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await until(async () => (await treeItem(view, 'dave').count()) === 0, 'dave is still in the tree');
    await until(() => !existsSync(join(workspace, '.state', 'users', 'dave.json')), 'dave.json was not deleted');
  }],

  ['screenshot', async ({ page, screenshot }) => {
    await treeItem(explorer(page), 'alice').click();
    // Move away and let the hover tooltip fade, so that it does not cover the tree.
    await page.mouse.move(900, 700);
    await page.waitForTimeout(1000);
    await screenshot('state-explorer');
  }],
];
