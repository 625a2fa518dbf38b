// A small app for the tests: restate's ControllerAsync on a state folder, a derivation and a tracker defined
// in code under <base>, and an inspector. It prints "ready" once the inspector is announced, then sets
// <base>/counter to each number it reads on stdin. restate loads through tsx, as in the demo writer.
//
//   node test/inspect/inspectedApp.mjs <state folder> <name> <base path>
import { createInterface } from 'node:readline';
import { tsImport } from 'tsx/esm/api';

const [stateFolder, name, base] = process.argv.slice(2);
if (!stateFolder || !name || !base) {
  console.error('usage: node test/inspect/inspectedApp.mjs <state folder> <name> <base path>');
  process.exit(2);
}
const { ControllerAsync, FileSystemAsyncBackend, inspect } = await tsImport('../../extension/restate/index.ts', import.meta.url);
const state = new ControllerAsync(new FileSystemAsyncBackend(stateFolder));
await state.derive(`${base}/doubled`, `${base}/counter`, (counter) => (typeof counter === 'number' ? counter * 2 : null));
await state.track(async (event) => {
  await event.getState(`${base}/doubled`);
});
const inspector = await inspect(state, { name, graphIntervalMs: 100 });
console.log('ready');
createInterface({ input: process.stdin }).on('line', (line) => {
  const value = Number(line.trim());
  if (Number.isFinite(value)) void state.setState(`${base}/counter`, value).then(() => console.log(`set ${value}`));
});
const stop = () => void inspector.dispose().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
