// bench/count.ts: reading cachegrind's output, and the command line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCountArguments, readCachegrindFile } from '../../../bench/count';

describe('bench:count', () => {
  const folder = mkdtempSync(join(tmpdir(), 'restate-count-test-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('sums every function, and the garbage collector apart, with compressed names and short lines', () => {
    const file = join(folder, 'cachegrind.out');
    writeFileSync(
      file,
      [
        'desc: I1 cache: 32768 B, 64 B, 8-way associative',
        'cmd: node x.mjs',
        'events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw ',
        'fl=???',
        'fn=???',
        '0 100 1 0 40 3 0 20 2 0',
        'fn=(1) v8::internal::Scavenger::ScavengeObject(v8::internal::HeapObject)',
        '0 50 0 0 10 1 0 5 1 0',
        'fn=(2) Builtins_MapPrototypeSet',
        '0 7',
        'fn=v8::internal::OrderedHashTable::Rehash(v8::internal::HeapObject)',
        '0 3',
        'fn=(1)',
        '0 5 0 0 0 4 0 0 0 0',
        'summary: 165 1 0 50 8 0 25 3 0',
        '',
      ].join('\n'),
    );
    assert.deepEqual(readCachegrindFile(file), { instructions: 165, gcInstructions: 55, d1ReadMisses: 8, d1WriteMisses: 3 });
  });

  it('refuses a file without the columns it reads, naming the file', () => {
    const file = join(folder, 'no-cache-sim.out');
    writeFileSync(file, 'events: Ir\nfn=x\n0 5\n');
    assert.throws(() => readCachegrindFile(file), (error: unknown) => error instanceof Error && error.message.includes(file) && error.message.includes('D1mr'));
  });

  it('reads libraries and --workloads, and names what it does not know', () => {
    assert.deepEqual(parseCountArguments([]), { libraries: ['restate', 'mobx', 'mobx (observe each)'], workloadNumbers: [1, 2, 3, 4, 5] });
    assert.deepEqual(parseCountArguments(['--workloads', '1,3', 'valtio']), { libraries: ['valtio'], workloadNumbers: [1, 3] });
    assert.throws(() => parseCountArguments(['--workloads', '6']), /--workloads takes numbers from 1 to 5.*"6"/);
    assert.throws(() => parseCountArguments(['--workloads']), /--workloads takes numbers/);
    assert.throws(() => parseCountArguments(['restate', 'redux']), /no library named "redux"; the libraries are restate, /);
  });
});
