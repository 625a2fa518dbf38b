import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { derivationSourcesOf } from '../../../extension/commands/derivedTarget';
import { ControllerSync } from '../../../extension/restate/index';

describe('what derives a path an edit is about to write', () => {
  test('the sources of the derivation writing the path, none for other paths', () => {
    const c = new ControllerSync();
    c.setState('/counter', 2);
    c.deriveMany('/sum', ['/a', '/b'], () => 0);
    c.derive('/doubled', '/counter', (n) => (n as number) * 2);
    c.track(() => c.getState('/counter'));
    assert.deepEqual(derivationSourcesOf(c.graph(), '/doubled'), ['/counter']);
    assert.deepEqual(derivationSourcesOf(c.graph(), '/sum'), ['/a', '/b']);
    assert.equal(derivationSourcesOf(c.graph(), '/counter'), undefined);
    assert.equal(derivationSourcesOf(c.graph(), '/a'), undefined);
  });
  test('a removed derivation no longer claims its dest', () => {
    const c = new ControllerSync();
    const id = c.derive('/doubled', '/counter', () => 0);
    c.underive(id);
    assert.equal(derivationSourcesOf(c.graph(), '/doubled'), undefined);
  });
});
