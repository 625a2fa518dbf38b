// Child process of the temporary file tests: writes one value whose rename never finishes, then waits to be killed.
import { basename } from 'node:path';
import { FileSystemAsyncBackend, nodeFileAdapter } from '../../../extension/restate/index';

const base = process.argv[2];
if (base === undefined) throw new Error('usage: fs-stuck-writer.ts <base>');
const backend = new FileSystemAsyncBackend(base, {
  removeStaleTemporaryFiles: false,
  adapter: {
    ...nodeFileAdapter,
    // The temporary file is complete when the rename starts; stopping here leaves it as a kill mid-write would.
    // Only the name: the folder may be reached through a held descriptor.
    rename: (from) => new Promise<void>(() => process.stdout.write(`${basename(from)}\n`)),
  },
});
void backend.write('/a/b', { text: 'x'.repeat(100_000) });
setInterval(() => undefined, 60_000);
