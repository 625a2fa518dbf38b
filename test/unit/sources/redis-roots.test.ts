import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRedisRoots } from '../../../extension/sources/redisRoots';

describe('restate.redisRoots', () => {
  test('an entry gives a root with its label, flags and an id without credentials', () => {
    const { roots, problems } = parseRedisRoots([
      { url: 'redis://127.0.0.1:6390', prefix: 'app' },
      { url: 'rediss://reader@cache.example:6380/2', prefix: 'shared', label: 'Shared', readOnly: true },
      { url: 'redis://127.0.0.1:6390', prefix: 'derived', allowWorkspaceWrites: true },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(roots.map(({ label, readOnly, allowWorkspaceWrites, id }) => ({ label, readOnly, allowWorkspaceWrites, id })), [
      { label: 'app @ 127.0.0.1:6390', readOnly: false, allowWorkspaceWrites: false, id: 'redis|redis://127.0.0.1:6390|app|commands' },
      { label: 'Shared', readOnly: true, allowWorkspaceWrites: false, id: 'redis|rediss://reader@cache.example:6380/2|shared|readOnly' },
      { label: 'derived @ 127.0.0.1:6390', readOnly: false, allowWorkspaceWrites: true, id: 'redis|redis://127.0.0.1:6390|derived|workspaceWrites' },
    ]);
  });

  test('a URL with a password is refused with a message naming the root, and the password is not repeated', () => {
    const { roots, problems } = parseRedisRoots([
      { url: 'redis://admin:s3cret@db.example:6379', prefix: 'app', label: 'Production' },
      { url: 'redis://:hunter2@db.example:6379', prefix: 'jobs' },
      { url: 'redis://127.0.0.1:6390', prefix: 'kept' },
    ]);
    assert.deepEqual(roots.map((root) => root.prefix), ['kept']);
    assert.equal(problems.length, 2);
    assert.match(problems[0], /^restate\.redisRoots\[0\] \("Production"\): its url carries a password, and passwords are never read from settings/);
    assert.match(problems[1], /^restate\.redisRoots\[1\] \(prefix "jobs"\): its url carries a password/);
    for (const problem of problems) assert.doesNotMatch(problem, /s3cret|hunter2/);
  });

  test('bad entries are refused one by one, each naming what is wrong', () => {
    const { roots, problems } = parseRedisRoots([
      'redis://127.0.0.1',
      { prefix: 'a' },
      { url: 'http://127.0.0.1', prefix: 'b' },
      { url: 'redis://127.0.0.1', prefix: 'x{y}' },
      { url: 'redis://127.0.0.1', prefix: 'c', readOnly: 'yes' },
      { url: 'redis://127.0.0.1', prefix: 'd' },
      { url: 'redis://127.0.0.1', prefix: 'd', readOnly: true },
    ]);
    assert.deepEqual(roots.map((root) => root.prefix), ['d']);
    assert.deepEqual(problems, [
      'restate.redisRoots[0]: must be an object with url and prefix, got "redis://127.0.0.1"',
      'restate.redisRoots[1] (prefix "a"): has no url (a redis:// or rediss:// URL)',
      'restate.redisRoots[2] (prefix "b"): its url http://127.0.0.1/ is not a redis:// or rediss:// URL',
      'restate.redisRoots[3] (prefix "x{y}"): its prefix must be a non-empty string without braces, got "x{y}"',
      'restate.redisRoots[4] (prefix "c"): readOnly must be true or false, got "yes"',
      'restate.redisRoots[6] (prefix "d"): d on redis://127.0.0.1 is listed twice',
    ]);
  });

  test('no setting gives no roots; a setting that is not a list is one problem', () => {
    assert.deepEqual(parseRedisRoots(undefined), { roots: [], problems: [] });
    assert.deepEqual(parseRedisRoots({ url: 'redis://127.0.0.1', prefix: 'a' }).problems, [
      'restate.redisRoots must be a list of { url, prefix } objects, got {"url":"redis://127.0.0.1","prefix":"a"}',
    ]);
  });

  test('a read-only root never takes workspace writes', () => {
    const { roots } = parseRedisRoots([{ url: 'redis://127.0.0.1', prefix: 'a', readOnly: true, allowWorkspaceWrites: true }]);
    assert.equal(roots[0].allowWorkspaceWrites, false);
  });
});
