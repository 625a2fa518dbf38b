// Child process of the fault test: writes through FileSystemSyncBackend until it is killed.
import { FileSystemSyncBackend } from '../../../extension/restate/index';

const base = process.argv[2];
if (base === undefined) throw new Error('usage: fs-fault-writer.ts <base>');
const backend = new FileSystemSyncBackend(base);
// Values of a few hundred kilobytes take several write calls, so a kill often lands inside one.
const big = 'x'.repeat(200_000);
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const n = i % 7;
  backend.write(`/n${n}`, { i, text: big.slice(0, 1000 + ((i * 7919) % big.length)) });
  backend.write(`/deep/d${n % 3}/leaf`, [i, 'ü'.repeat(i % 50)]);
  if (i % 5 === 0) backend.write('/', { round: i });
  if (i % 11 === 0) backend.delete(`/deep/d${i % 3}`);
}
