// A workspace without a state folder: the welcome view creates one, and the tree then follows it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonJson } from '../harness/python-json.mjs';
import { openViewContainer, tree, treeItem, until } from '../harness/workbench.mjs';

export const workspace = undefined;

export const steps = [
  ['the welcome view offers to create a state folder', async ({ page }) => {
    await openViewContainer(page, 'Restate');
    await page.getByRole('button', { name: 'Create State Folder' }).waitFor({ timeout: 30_000 });
  }],

  ['its button creates .state', async ({ page, workspace }) => {
    await page.getByRole('button', { name: 'Create State Folder' }).click();
    await until(() => existsSync(join(workspace, '.state')), '.state was not created');
    await page.getByRole('button', { name: 'Create State Folder' }).waitFor({ state: 'hidden', timeout: 10_000 });
  }],

  ['a value written into the new folder appears', async ({ page, workspace }) => {
    writeFileSync(join(workspace, '.state/greeting.json'), pythonJson('hello'));
    await treeItem(tree(page, 'State Explorer'), 'greeting').waitFor({ timeout: 15_000 });
  }],
];
