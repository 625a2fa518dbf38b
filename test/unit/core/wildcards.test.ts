// Wildcard matching in subscriptions (S54–S55), and where `*` is allowed (S6–S7).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RestatePathError } from '../../../extension/restate/index';
import { forEachController } from './controllers';
import type { AnyEvent } from './callback-for';

/** A callback that logs `tag@currentPath<-emittingPath`. */
function recorder(log: string[], tag: string): (event: AnyEvent) => void {
  return (event) => {
    log.push(`${tag}@${event.currentPath}<-${event.emittingPath}`);
  };
}

function isPathError(err: unknown): boolean {
  return err instanceof RestatePathError && err.code === 'path';
}

forEachController('wildcard matching', (kind) => {
  it('S54 /users/*/name matches /users/1/name', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/users/*/name', recorder(log, 'p'));
    await c.setState('/users/1/name', 'Ada');
    await c.setState('/users/two/name', 'Bob');
    assert.deepEqual(log, ['p@/users/1/name<-/users/1/name', 'p@/users/two/name<-/users/two/name']);
  });

  it('S54 /users/*/name does not match /users/1/email or /users/name', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/users/*/name', recorder(log, 'p'));
    await c.setState('/users/1/email', 'a@example.org');
    await c.setState('/users/name', 'nobody');
    await c.setState('/users/1', { name: 'inside a value' });
    await c.setState('/users', 'own');
    assert.deepEqual(log, []);
  });

  it('S54 /users/*/name does not match /users/1/name/first itself, only its ancestor level', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/users/*/name', recorder(log, 'p'));
    await c.setState('/users/1/name/first', 'Ada');
    assert.deepEqual(log, ['p@/users/1/name<-/users/1/name/first']);
  });

  it('S54 /* does not match the root', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/*', recorder(log, 'p'));
    await c.setState('/', 1);
    await c.ping('/');
    assert.deepEqual(log, []);
    await c.setState('/x', 1);
    assert.deepEqual(log, ['p@/x<-/x']);
  });

  it('S54 * matches one whole segment of any name', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/a/*', recorder(log, 'p'));
    await c.setState('/a', 1);
    await c.setState('/ab', 1);
    await c.setState('/b/x', 1);
    assert.deepEqual(log, []);
    for (const name of ['with space', 'ünï', '日本', 'v1.2', 'x']) await c.setState(`/a/${name}`, 1);
    assert.deepEqual(log, ['p@/a/with space<-/a/with space', 'p@/a/ünï<-/a/ünï', 'p@/a/日本<-/a/日本', 'p@/a/v1.2<-/a/v1.2', 'p@/a/x<-/a/x']);
  });

  it('S54 several wildcards and a wildcard in the first segment', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/*/*', recorder(log, 'two'));
    c.subscribe('/*/b/*', recorder(log, 'mid'));
    await c.setState('/a/b/c', 1);
    await c.setState('/a/x/c', 1);
    assert.deepEqual(log, ['mid@/a/b/c<-/a/b/c', 'two@/a/b<-/a/b/c', 'two@/a/x<-/a/x/c']);
  });

  it('S54 patterns are normalised like paths', async () => {
    const c = kind.make();
    const log: string[] = [];
    const p = recorder(log, 'p');
    c.subscribe('users//*/./name/', p);
    await c.setState('/users/1/name', 'Ada');
    assert.deepEqual(log, ['p@/users/1/name<-/users/1/name']);
    assert.equal(c.unsubscribe('/users/*/name', p), true);
  });

  it('S55 patterns are matched at every level of a notification', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/*', recorder(log, 'top'));
    c.subscribe('/users/*', recorder(log, 'user'));
    c.subscribe('/users/*/name', recorder(log, 'name'));
    c.subscribe('/users/*/name/first', recorder(log, 'first'));
    c.subscribe('/users/*/name/first/*', recorder(log, 'below'));
    await c.setState('/users/1/name/first', 'Ada');
    assert.deepEqual(log, [
      'first@/users/1/name/first<-/users/1/name/first',
      'name@/users/1/name<-/users/1/name/first',
      'user@/users/1<-/users/1/name/first',
      'top@/users<-/users/1/name/first',
    ]);
  });

  it('S55 deletes and pings match patterns at every level too', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/users/1/name/first', 'Ada');
    c.subscribe('/users/*/name', recorder(log, 'name'));
    await c.ping('/users/1/name/first');
    await c.delState('/users/1/name/first');
    assert.deepEqual(log, ['name@/users/1/name<-/users/1/name/first', 'name@/users/1/name<-/users/1/name/first']);
  });
});

forEachController('where wildcards are allowed', (kind) => {
  it('S6 malformed wildcard segments are rejected in subscriptions', async () => {
    const c = kind.make();
    const f = (): void => undefined;
    for (const pattern of ['/a*', '/a/**', '/*a/b', '/a/b*c']) {
      assert.throws(() => c.subscribe(pattern, f), isPathError, pattern);
    }
  });

  it('S7 subscription methods accept patterns; reads, writes, deletes and pings reject them', async () => {
    const c = kind.make();
    const f = (): void => undefined;
    const id = c.subscribe('/a/*', f);
    assert.equal(c.subscribeById('/b/*', id), id);
    assert.equal(c.unsubscribeById('/b/*', id), true);
    assert.equal(c.unsubscribe('/a/*', f), true);
    await assert.rejects(async () => c.getState('/a/*'), isPathError);
    await assert.rejects(async () => c.setState('/a/*', 1), isPathError);
    await assert.rejects(async () => c.delState('/a/*'), isPathError);
    await assert.rejects(async () => c.ping('/*'), isPathError);
  });
});
