// The State Explorer on the demo workspace: browse, follow an external write, run a command.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonJson } from '../harness/python-json.mjs';
import { descriptionOf, openViewContainer, runCommand, tree, treeItem, until } from '../harness/workbench.mjs';

export const workspace = 'test/fixtures/demo-workspace';

const explorer = (page) => tree(page, 'State Explorer');

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

  ['screenshot', async ({ page, screenshot }) => {
    await treeItem(explorer(page), 'alice').click();
    // Move away and let the hover tooltip fade, so that it does not cover the tree.
    await page.mouse.move(900, 700);
    await page.waitForTimeout(1000);
    await screenshot('state-explorer');
  }],
];
