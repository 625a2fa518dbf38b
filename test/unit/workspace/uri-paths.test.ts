import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { basenameUri, dirnameUri, joinUri } from '../../../extension/workspace/uriPaths';

describe('URI paths for the vscode.workspace.fs adapter', () => {
  test('join encodes names and basename decodes them', () => {
    const base = 'file:///ws/.state';
    for (const name of ['plain', 'with space', 'hash#and?query', '100%', 'Ångström', 'a:b', '.x.json.1.tmp']) {
      const joined = joinUri(base, name);
      assert.equal(basenameUri(joined), name);
      assert.equal(dirnameUri(joined), base);
    }
  });
  test('dirname stops at the root of the authority', () => {
    assert.equal(dirnameUri('file:///ws'), 'file:///');
    assert.equal(dirnameUri('vscode-remote://host:1/a/b'), 'vscode-remote://host:1/a');
    assert.equal(dirnameUri('vscode-remote://host:1/a'), 'vscode-remote://host:1/');
  });
  test('a trailing slash is ignored', () => {
    assert.equal(joinUri('file:///ws/', 'a'), 'file:///ws/a');
    assert.equal(basenameUri('file:///ws/a/'), 'a');
  });
});
