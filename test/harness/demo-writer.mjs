// Keeps the demo state folder changing, as an app using restate would: every second it writes
// /clock ({"time": …, "date": …}) and /counter, atomically (a hidden .tmp file renamed into place) and
// in the bytes Python's json.dumps produces.
//
//   node test/harness/demo-writer.mjs <state folder> [interval ms]
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonJson } from './python-json.mjs';

const [stateFolder, intervalArg] = process.argv.slice(2);
if (!stateFolder) {
  console.error('usage: node test/harness/demo-writer.mjs <state folder> [interval ms]');
  process.exit(2);
}
const intervalMs = Number(intervalArg ?? 1000);

function write(name, value) {
  const file = join(stateFolder, `${name}.json`);
  const temporary = join(stateFolder, `.${name}.json.${process.pid}.tmp`);
  writeFileSync(temporary, pythonJson(value));
  renameSync(temporary, file);
}

let counter = 0;
const tick = () => {
  const now = new Date();
  write('clock', { time: now.toTimeString().slice(0, 8), date: now.toISOString().slice(0, 10) });
  write('counter', ++counter);
};
tick();
setInterval(tick, intervalMs);
