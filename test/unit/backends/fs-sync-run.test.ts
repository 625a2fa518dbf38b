// A synchronous run of FileSystemSyncBackend calls that reads many children of one folder answers "does this
// node have a folder of children?" from one listing of the folder instead of one lstat per read (S84). These
// tests read past the point where the listing takes over, so what the listing says is what they check.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileSystemSyncBackend, MISSING, RestatePathError } from '../../../extension/restate/index';
import { freshDir } from './fs-helpers';

// Well past the looks after which a folder is listed, so the later reads are answered from the listing.
const LEAVES = 100;
const LATE = 80;

function withLeaves(): { dir: string; base: string; backend: FileSystemSyncBackend } {
  const dir = freshDir();
  const base = join(dir, 'state');
  mkdirSync(join(base, 'items'), { recursive: true });
  for (let i = 0; i < LEAVES; i++) writeFileSync(join(base, 'items', `k${i}.json`), String(i));
  return { dir, base, backend: new FileSystemSyncBackend(base, { removeStaleTemporaryFiles: false }) };
}

describe('FileSystemSyncBackend: many reads in one folder in one synchronous run', () => {
  it('S84 S90 a children folder symlinked out of the base is still refused, one inside is followed, a plain one is read', { skip: process.platform === 'win32' }, () => {
    const { dir, base, backend } = withLeaves();
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.json'), '"secret"');
    symlinkSync(outside, join(base, 'items', `k${LATE}`));
    mkdirSync(join(base, 'real'));
    writeFileSync(join(base, 'real', 'a.json'), '1');
    symlinkSync(join(base, 'real'), join(base, 'items', `k${LATE + 1}`));
    mkdirSync(join(base, 'items', `k${LATE + 2}`));
    writeFileSync(join(base, 'items', `k${LATE + 2}`, 'b.json'), '2');

    const reads: unknown[] = [];
    let refused: unknown;
    for (let i = 0; i < LEAVES; i++) {
      try {
        reads.push(backend.read(`/items/k${i}`));
      } catch (error) {
        refused = error;
        reads.push('refused');
      }
    }
    assert.ok(refused instanceof RestatePathError && refused.message.includes(join(base, 'items', `k${LATE}`)), String(refused));
    assert.equal(reads[LATE], 'refused');
    assert.deepEqual(reads[LATE + 1], { '/': LATE + 1, a: 1 });
    assert.deepEqual(reads[LATE + 2], { '/': LATE + 2, b: 2 });
    assert.deepEqual(reads.slice(0, LATE), Array.from({ length: LATE }, (_, i) => i));
  });

  it('S84 a children folder this backend makes or removes within the run is seen by the reads after it', () => {
    const { backend } = withLeaves();
    for (let i = 0; i < LATE; i++) assert.equal(backend.read(`/items/k${i}`), i);
    backend.write(`/items/k${LATE}/child`, 'c');
    assert.deepEqual(backend.read(`/items/k${LATE}`), { '/': LATE, child: 'c' });
    for (let i = 0; i < LATE; i++) assert.equal(backend.read(`/items/k${i}`), i);
    backend.delete(`/items/k${LATE}/child`);
    assert.equal(backend.read(`/items/k${LATE}`), LATE);
    for (let i = 0; i < LATE; i++) assert.equal(backend.read(`/items/k${i}`), i);
    backend.write(`/items/k${LATE + 1}/deeper/child`, 'd');
    assert.deepEqual(backend.read(`/items/k${LATE + 1}`), { '/': LATE + 1, deeper: { child: 'd' } });
    assert.deepEqual(backend.listChildren(`/items/k${LATE + 1}`), ['deeper']);
  });

  it('S84 S89 a children folder spelt otherwise is found exactly where the file system finds it (case-insensitive ones alias)', () => {
    const { base, backend } = withLeaves();
    mkdirSync(join(base, 'items', `K${LATE}`));
    writeFileSync(join(base, 'items', `K${LATE}`, 'x.json'), '3');
    const aliased = existsSync(join(base, 'items', `k${LATE}`, 'x.json'));
    for (let i = 0; i < LATE; i++) assert.equal(backend.read(`/items/k${i}`), i);
    assert.deepEqual(backend.read(`/items/k${LATE}`), aliased ? { '/': LATE, x: 3 } : LATE);
    assert.deepEqual(backend.read(`/items/K${LATE}`), aliased ? { '/': LATE, x: 3 } : { x: 3 });
  });

  it('S84 a folder that is not there reads as missing however often it is looked into', () => {
    const { backend } = withLeaves();
    for (let i = 0; i < LEAVES; i++) assert.equal(backend.read(`/absent/k${i}`, 'none'), 'none');
    for (let i = 0; i < LEAVES; i++) assert.equal(backend.read(`/items/k${i}/below`), MISSING);
  });

  it('S84 a children folder another process makes between two runs is seen by the next run', async () => {
    const { base, backend } = withLeaves();
    for (let i = 0; i < LEAVES; i++) assert.equal(backend.read(`/items/k${i}`), i);
    await new Promise((resolve) => setImmediate(resolve));
    mkdirSync(join(base, 'items', `k${LATE}`));
    writeFileSync(join(base, 'items', `k${LATE}`, 'x.json'), '3');
    for (let i = 0; i < LATE; i++) assert.equal(backend.read(`/items/k${i}`), i);
    assert.deepEqual(backend.read(`/items/k${LATE}`), { '/': LATE, x: 3 });
  });
});
