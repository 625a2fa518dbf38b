import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isInsideWorkspaceFolder } from '../../../extension/workspace/stateFolderPath';

describe('isInsideWorkspaceFolder', () => {
  test('accepts folders inside the workspace folder', () => {
    for (const path of ['.state', 'a/b', './a', 'a/../b', 'a/./b/', '.', 'a\\b', '..state']) {
      assert.equal(isInsideWorkspaceFolder(path), true, path);
    }
  });

  test('refuses folders that climb out of it', () => {
    for (const path of ['..', '../x', '../../etc', 'a/../../x', './..', 'a/b/../../..', '..\\x', 'a\\..\\..\\x']) {
      assert.equal(isInsideWorkspaceFolder(path), false, path);
    }
  });

  test('refuses absolute paths', () => {
    for (const path of ['/etc', '\\etc', 'C:\\state', 'c:/state', 'C:state', 'file:///etc', ' /etc']) {
      assert.equal(isInsideWorkspaceFolder(path), false, path);
    }
  });
});
