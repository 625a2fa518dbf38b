// The inspector's Redis transport comes only with the Redis entry: importing the core loads no Redis client.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

const root = join(__dirname, '..', '..', '..');

async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({ entryPoints: [join(root, entry)], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  return Object.keys(result.metafile.inputs);
}

describe('inspector entries', () => {
  it('S140 the core entry bundles the local inspector but no Redis client and no Redis transport', async () => {
    const inputs = await bundledInputs('extension/restate/index.ts');
    assert.ok(inputs.some((input) => input.endsWith('inspect/server.ts')), 'the local inspector is in the core');
    assert.deepEqual(inputs.filter((input) => input.includes('@redis') || input.endsWith('inspect/redis.ts')), []);
  });

  it('S140 the Redis entry bundles the Redis transport', async () => {
    const inputs = await bundledInputs('extension/restate/redis.ts');
    assert.ok(inputs.some((input) => input.endsWith('inspect/redis.ts')));
  });
});
