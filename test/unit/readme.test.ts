// The README's library example, as written there, against a temporary folder.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ControllerSync, FileSystemSyncBackend, type StateEvent } from '../../extension/restate/index';

describe('README library example', () => {
  it('S112 the quick example derives the admin count and logs the bubbled write', () => {
    const folder = mkdtempSync(join(tmpdir(), 'restate-readme-'));
    try {
      const state = new ControllerSync(new FileSystemSyncBackend(join(folder, '.state')));
      state.setState('/users/1', { name: 'Alice', role: 'admin' });
      state.setState('/users/2', { name: 'Bob', role: 'user' });
      state.derive('/stats/admins', '/users', (users) =>
        Object.values((users ?? {}) as Record<string, { role: string }>).filter((u) => u.role === 'admin').length,
      );
      const logged: unknown[][] = [];
      state.subscribe('/users', (event: StateEvent) => logged.push([event.emittingPath, event.prevValue, event.newValue]));
      state.setState('/users/3', { name: 'Carol', role: 'admin' });
      assert.equal(state.getState('/stats/admins'), 2);
      assert.deepEqual(logged, [['/users/3', undefined, { name: 'Carol', role: 'admin' }]]);
      assert.equal(readFileSync(join(folder, '.state', 'users', '3.json'), 'utf8'), '{"name": "Carol", "role": "admin"}');
      assert.equal(readFileSync(join(folder, '.state', 'stats', 'admins.json'), 'utf8'), '2');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
