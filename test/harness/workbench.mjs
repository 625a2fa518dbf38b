// Helpers for driving the VS Code workbench (1.100) with playwright-core. Tree items are found by
// their accessible name, which the extension sets to the node's name (accessibilityInformation.label;
// without it the name would be the tooltip).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value; fails with `message` after `timeout` ms. */
export async function until(check, message, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  while (true) {
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${message} (after ${timeout} ms)${lastError ? `: ${lastError.message}` : ''}`);
    }
    await sleep(interval);
  }
}

export async function waitForWorkbench(page) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
}

/** Opens a view container from the activity bar, unless it is open already (a second click closes it). */
export async function openViewContainer(page, title) {
  const tab = page.getByRole('tab', { name: title });
  // The container appears once the extension host has registered the extension's contributions.
  await tab.waitFor({ timeout: 60_000 });
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
}

export function tree(page, name) {
  return page.getByRole('tree', { name });
}

export function treeItem(treeLocator, name) {
  return treeLocator.getByRole('treeitem', { name, exact: true });
}

export async function descriptionOf(item) {
  return (await item.locator('.label-description').textContent())?.trim() ?? '';
}

/** Runs a command through the F1 palette by its full title, e.g. "Restate: Refresh". */
export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.getByRole('textbox').fill(`>${title}`);
  await quickInput.getByRole('option', { name: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}
