import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildSync } from 'esbuild';
import { FileSystemSyncBackend } from '../../../extension/restate/index';
import { freshDir } from './fs-helpers';

const WRITER_SOURCE = join(__dirname, 'fs-fault-writer.ts');
let writer = '';
const ROUNDS = 10;
const PARALLEL = 3;

function jsonFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) found.push(...jsonFiles(full));
    else if (name.endsWith('.json')) found.push(full);
  }
  return found;
}

function temporaryFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) found.push(...temporaryFiles(full));
    else if (name.startsWith('.') && name.endsWith('.tmp')) found.push(full);
  }
  return found;
}

/** Starts a writer on `base`, lets it write for a random moment after it is ready, then SIGKILLs it. */
function killMidWrite(base: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, base], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => {
      setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 250);
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the writer stopped by itself: ${stderr}`));
    });
  });
}

describe('FileSystemSyncBackend under SIGKILL', () => {
  // Bundled once, so that each of the many writer processes starts in milliseconds rather than compiling TypeScript.
  before(() => {
    writer = join(freshDir(), 'writer.cjs');
    buildSync({ entryPoints: [WRITER_SOURCE], bundle: true, platform: 'node', format: 'cjs', outfile: writer, logLevel: 'error' });
  });

  it(`S87 S97 a writer killed ${ROUNDS * PARALLEL} times mid-loop leaves every .json file parseable`, { timeout: 60_000 }, async () => {
    const bases = Array.from({ length: PARALLEL }, () => join(freshDir(), 'state'));
    let files = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(bases.map(killMidWrite));
      for (const base of bases) {
        const rootFile = existsSync(base + '.json') ? [base + '.json'] : [];
        for (const file of [...(existsSync(base) ? jsonFiles(base) : []), ...rootFile]) {
          const text = readFileSync(file, 'utf8');
          assert.doesNotThrow(() => JSON.parse(text), `${file} after round ${round}: ${text.slice(0, 80)}`);
          files++;
        }
        // Leftover temporary files are ignored, so the whole tree still reads.
        assert.doesNotThrow(() => new FileSystemSyncBackend(base).read('/'));
      }
    }
    assert.ok(files > ROUNDS * PARALLEL, `only ${files} files were checked`);
    // What the killed writers left is removed once it has aged past the wait for a dead writer's files.
    for (const base of bases) {
      const leftovers = temporaryFiles(dirname(base));
      const aged = new Date(Date.now() - 11 * 60_000);
      for (const file of leftovers) utimesSync(file, aged, aged);
      const removed = await new FileSystemSyncBackend(base, { removeStaleTemporaryFiles: false }).removeStaleTemporaryFiles();
      assert.deepEqual(removed.sort(), leftovers.sort());
      assert.deepEqual(temporaryFiles(dirname(base)), []);
    }
  });
});
