import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildSync } from 'esbuild';
import { FileSystemAsyncBackend, FileSystemSyncBackend, nodeFileAdapter } from '../../../extension/restate/index';
import { freshDir } from './fs-helpers';
import { until } from '../until';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Sweeper {
  removeStaleTemporaryFiles(): Promise<string[]>;
}

const kinds: readonly { name: string; open(base: string, sweepOnOpen?: boolean): Sweeper }[] = [
  { name: 'FileSystemSyncBackend', open: (base, sweepOnOpen = true) => new FileSystemSyncBackend(base, { removeStaleTemporaryFiles: sweepOnOpen }) },
  { name: 'FileSystemAsyncBackend', open: (base, sweepOnOpen = true) => new FileSystemAsyncBackend(base, { removeStaleTemporaryFiles: sweepOnOpen }) },
];

/** The temporary file name of one write, caught as the rename starts. */
async function temporaryNameOfAWrite(): Promise<string> {
  let caught = '';
  const backend = new FileSystemAsyncBackend(join(freshDir(), 'state'), {
    removeStaleTemporaryFiles: false,
    adapter: {
      ...nodeFileAdapter,
      rename: (from, to, opts) => {
        caught = basename(from);
        return nodeFileAdapter.rename(from, to, opts);
      },
    },
  });
  await backend.write('/a', 1);
  return caught;
}

/** The id of a process that has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  return pid;
}

function writeAged(file: string, ageMs: number): void {
  writeFileSync(file, '{"half');
  age(file, ageMs);
}

function age(file: string, ageMs: number): void {
  const when = new Date(Date.now() - ageMs);
  utimesSync(file, when, when);
}


describe('temporary files (S87)', () => {
  let host = '';
  before(async () => {
    host = (await temporaryNameOfAWrite()).split('.')[3].split('-')[0];
  });

  it('S87 a temporary file name records the host and the process id, in the shape listings ignore', async () => {
    const name = await temporaryNameOfAWrite();
    assert.match(name, new RegExp(`^\\.a\\.json\\.[0-9a-z]+-${process.pid}-[0-9a-z]+\\.tmp$`));
    assert.notEqual(host, '');
  });

  for (const kind of kinds) {
    it(`S87 opening a folder with ${kind.name} removes the leftovers of dead writers, and nothing else`, async () => {
      const dir = freshDir();
      const base = join(dir, 'state');
      mkdirSync(join(base, 'a'), { recursive: true });
      mkdirSync(join(base, 'deep', 'x'), { recursive: true });
      mkdirSync(join(dir, 'outside'));
      writeFileSync(join(base, 'a', 'b.json'), '1');
      const dead = deadPid();
      const live = process.pid;
      const leftovers = [
        join(base, 'a', `.b.json.${host}-${dead}-k1.tmp`), // this host, writer gone, 11 minutes old
        join(base, 'a', `.f.json.zzzzzz-${live}-k5.tmp`), // another host, a day old
        join(base, 'a', '.g.json.k2j3h4abc.tmp'), // written by an older version, without a process id, a day old
        join(base, 'deep', 'x', `.k.json.${host}-${dead}-k8.tmp`),
        join(dir, `.state.json.${host}-${dead}-k9.tmp`), // the root value's, next to the base
      ];
      const kept = [
        join(base, 'a', `.c.json.${host}-${dead}-k2.tmp`), // writer gone, but only a minute old
        join(base, 'a', `.d.json.${host}-${live}-k3.tmp`), // a writer that runs, however old
        join(base, 'a', `.e.json.zzzzzz-${dead}-k4.tmp`), // another host: its process cannot be checked from here
        join(base, 'a', '.h.json.k2j3h4abc.tmp'), // without a process id, an hour old
        join(base, 'a', '.notes.tmp'), // not a temporary file of a value file
        join(base, 'a', `.i.txt.${host}-${dead}-k6.tmp`), // another serializer's
        join(dir, `.other.json.${host}-${dead}-k10.tmp`), // next to the base, but not for its root value
        join(dir, 'outside', `.l.json.${host}-${dead}-k11.tmp`), // reached only through a symlink
      ];
      for (const file of leftovers) writeAged(file, file.includes('zzzzzz') || file.includes('k2j3h4') ? 25 * HOUR : 11 * MINUTE);
      writeAged(kept[0], 1 * MINUTE);
      writeAged(kept[1], 48 * HOUR);
      writeAged(kept[2], 11 * MINUTE);
      writeAged(kept[3], 1 * HOUR);
      for (const file of kept.slice(4)) writeAged(file, 48 * HOUR);
      const folderNamedLikeOne = join(base, 'a', `.j.json.${host}-${dead}-k7.tmp`);
      mkdirSync(folderNamedLikeOne);
      age(folderNamedLikeOne, 48 * HOUR);
      symlinkSync(join(dir, 'outside'), join(base, 'link'));

      const backend = kind.open(base);
      await until(() => leftovers.every((file) => !existsSync(file)), 'the leftovers are removed');
      // The first call may join the sweep that opening started; the second one starts afresh.
      await backend.removeStaleTemporaryFiles();
      assert.deepEqual(await backend.removeStaleTemporaryFiles(), []);
      for (const file of [...kept, folderNamedLikeOne, join(base, 'a', 'b.json')]) assert.ok(existsSync(file), `${file} was removed`);
    });
  }

  it('S87 removeStaleTemporaryFiles lists the files it removed; with the option off, opening removes nothing', async () => {
    const base = join(freshDir(), 'state');
    mkdirSync(base);
    const leftover = join(base, `.v.json.${host}-${deadPid()}-k1.tmp`);
    writeAged(leftover, 11 * MINUTE);
    for (const kind of kinds) {
      kind.open(base, false);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(existsSync(leftover), kind.name);
    }
    assert.deepEqual(await kinds[0].open(base, false).removeStaleTemporaryFiles(), [leftover]);
    assert.deepEqual(readdirSync(base), []);
  });

  describe('with a writer stopped inside a write', () => {
    let stuckWriter = '';
    before(() => {
      stuckWriter = join(freshDir(), 'stuck-writer.cjs');
      buildSync({ entryPoints: [join(__dirname, 'fs-stuck-writer.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: stuckWriter, logLevel: 'error' });
    });

    it('S87 its temporary file stays while it runs, however old, and goes once it is killed', { timeout: 30_000 }, async () => {
      const base = join(freshDir(), 'state');
      const child = spawn(process.execPath, [stuckWriter, base], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        const temporary = await new Promise<string>((resolve, reject) => {
          child.stdout.once('data', (chunk: Buffer) => resolve(join(base, 'a', chunk.toString().trim())));
          child.once('exit', () => reject(new Error('the writer exited early')));
        });
        assert.match(basename(temporary), new RegExp(`^\\.b\\.json\\.${host}-${child.pid}-[0-9a-z]+\\.tmp$`));
        age(temporary, 48 * HOUR);
        for (const kind of kinds) {
          assert.deepEqual(await kind.open(base, false).removeStaleTemporaryFiles(), [], kind.name);
          assert.ok(existsSync(temporary));
        }
        child.kill('SIGKILL');
        await exited;
        assert.deepEqual(await kinds[1].open(base, false).removeStaleTemporaryFiles(), [temporary]);
        assert.deepEqual(readdirSync(join(base, 'a')), []);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
});
