// `restate copy` between state folders, JSON files and standard input/output, in-process: what it writes,
// that it refuses to overwrite without --replace, and that bad input leaves the destination as it was.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../../extension/restate/cli/main';
import { FileSystemAsyncBackend } from '../../../extension/restate/index';
import { PYTHON_FIXTURE, freshDir, oneLine, pythonStateCopy, runCli, snapshot } from './helpers';

async function sampleFolder(cwd: string, name = '.state'): Promise<string> {
  const base = join(cwd, name);
  const backend = new FileSystemAsyncBackend(base);
  await backend.write('/', 'root value');
  await backend.write('/cfg', { theme: 'dark' });
  await backend.write('/cfg/theme', 'light');
  await backend.write('/list', [1, 2.5, null, true]);
  return base;
}

describe('copy between folders and files', () => {
  it('S135 exports a folder to a JSON file that tells values from children, and imports it into a new folder byte for byte', async () => {
    const cwd = freshDir();
    const base = await sampleFolder(cwd);
    assert.deepEqual(await runCli(['copy', 'folder:.state', 'backup.json'], { cwd }), { code: 0, stdout: '', stderr: '' });
    const document = JSON.parse(readFileSync(join(cwd, 'backup.json'), 'utf8')) as unknown;
    assert.deepEqual(document, {
      format: 'restate-tree',
      version: 1,
      root: { value: 'root value', children: { cfg: { value: { theme: 'dark' }, children: { theme: { value: 'light' } } }, list: { value: [1, 2.5, null, true] } } },
    });
    assert.equal((await runCli(['copy', 'backup.json', 'folder:restored/.state'], { cwd })).code, EXIT_OK);
    assert.deepEqual(snapshot(join(cwd, 'restored', '.state')), snapshot(base));
    assert.equal(readFileSync(join(cwd, 'restored', '.state.json'), 'utf8'), readFileSync(base + '.json', 'utf8'));
    assert.deepEqual(readdirSync(join(cwd, 'restored')).sort(), ['.state', '.state.json'], 'no temporary folder is left');
  });

  it('copies the Python fixture folder to another folder with the same files', async () => {
    const source = pythonStateCopy();
    const cwd = freshDir();
    const run = await runCli(['copy', `folder:${source}`, 'folder:copy'], { cwd });
    assert.equal(run.code, EXIT_OK, run.stderr);
    assert.deepEqual(snapshot(join(cwd, 'copy')), snapshot(PYTHON_FIXTURE));
  });

  it('writes to standard output and reads from standard input with -', async () => {
    const cwd = freshDir();
    await sampleFolder(cwd);
    const exported = await runCli(['copy', 'folder:.state', '-'], { cwd });
    assert.equal(exported.code, EXIT_OK);
    assert.deepEqual((JSON.parse(exported.stdout) as { root: { value: unknown } }).root.value, 'root value');
    const imported = await runCli(['copy', '-', 'folder:again'], { cwd, stdin: exported.stdout });
    assert.equal(imported.code, EXIT_OK, imported.stderr);
    assert.deepEqual(snapshot(join(cwd, 'again')), snapshot(join(cwd, '.state')));
  });

  it('refuses a value the library cannot write (NaN, which the Python original may have left), naming its path, and writes nothing', async () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, '.state'));
    writeFileSync(join(cwd, '.state', 'f.json'), '[NaN, Infinity, -Infinity]');
    const run = await runCli(['copy', 'folder:.state', 'out.json'], { cwd });
    assert.equal(run.code, EXIT_USAGE);
    assert.ok(oneLine(run.stderr));
    assert.match(run.stderr, /the value at \/f cannot be stored: NaN cannot be stored/);
    assert.equal(existsSync(join(cwd, 'out.json')), false);
  });

  it('S135 refuses a destination that is not empty without --replace, and replaces it whole with it', async () => {
    const cwd = freshDir();
    await sampleFolder(cwd);
    const other = new FileSystemAsyncBackend(join(cwd, 'other'));
    await other.write('/old', 1);
    const before = snapshot(join(cwd, 'other'));
    const refused = await runCli(['copy', 'folder:.state', 'folder:other'], { cwd });
    assert.equal(refused.code, EXIT_FAILURE);
    assert.ok(oneLine(refused.stderr));
    assert.match(refused.stderr, /the state folder .*other is not empty; give --replace/);
    assert.deepEqual(snapshot(join(cwd, 'other')), before);
    const replaced = await runCli(['copy', 'folder:.state', 'folder:other', '--replace'], { cwd });
    assert.equal(replaced.code, EXIT_OK, replaced.stderr);
    assert.deepEqual(snapshot(join(cwd, 'other')), snapshot(join(cwd, '.state')));
    assert.deepEqual(readdirSync(cwd).sort(), ['.state', '.state.json', 'other', 'other.json'], 'the old tree and the temporary one are gone');
  });

  it('refuses to overwrite a file without --replace', async () => {
    const cwd = freshDir();
    await sampleFolder(cwd);
    writeFileSync(join(cwd, 'backup.json'), 'precious');
    const run = await runCli(['copy', 'folder:.state', 'backup.json'], { cwd });
    assert.equal(run.code, EXIT_FAILURE);
    assert.match(run.stderr, /backup\.json exists; give --replace/);
    assert.equal(readFileSync(join(cwd, 'backup.json'), 'utf8'), 'precious');
    assert.equal((await runCli(['copy', 'folder:.state', 'backup.json', '--replace'], { cwd })).code, EXIT_OK);
    assert.match(readFileSync(join(cwd, 'backup.json'), 'utf8'), /"format": "restate-tree"/);
  });
});

describe('S135 copy refuses bad input and writes nothing', () => {
  const badFiles: [string, string, RegExp][] = [
    ['a file that is not JSON', '{"format": ', /the file .*in\.json is not JSON/],
    ['JSON that is not a restate tree', '{"a": 1}', /is not a restate tree/],
    ['a tree of another version', '{"format": "restate-tree", "version": 9, "root": {}}', /version 9/],
    ['a node with an unknown key', '{"format": "restate-tree", "version": 1, "root": {"children": {"a": {"valu": 1}}}}', /root\.children\["a"\] has the unknown key "valu"/],
    ['a node with neither value nor children', '{"format": "restate-tree", "version": 1, "root": {"children": {"a": {}}}}', /root\.children\["a"\] has neither a value nor children/],
    ['a name no file system takes', '{"format": "restate-tree", "version": 1, "root": {"children": {"ok": {"value": 1}, "a:b": {"value": 1}}}}', /the name "a:b" under \/ cannot be stored/],
    ['a name with a slash', '{"format": "restate-tree", "version": 1, "root": {"children": {"a/b": {"value": 1}}}}', /the name "a\/b" under \/ cannot be stored/],
    ['a name that leaves the folder', '{"format": "restate-tree", "version": 1, "root": {"children": {"..": {"value": 1}}}}', /the name "\.\." under \/ cannot be stored/],
  ];
  for (const [what, text, message] of badFiles) {
    it(what, async () => {
      const cwd = freshDir();
      const dest = await sampleFolder(cwd, 'dest');
      const before = snapshot(dest);
      writeFileSync(join(cwd, 'in.json'), text);
      const run = await runCli(['copy', 'in.json', 'folder:dest', '--replace'], { cwd });
      assert.equal(run.code, EXIT_USAGE, run.stderr);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, message);
      assert.deepEqual(snapshot(dest), before);
      assert.deepEqual(readdirSync(cwd).sort(), ['dest', 'dest.json', 'in.json'], 'no temporary folder is left');
    });
  }

  const badSpecs: [string, string[], RegExp][] = [
    ['an unknown kind of place', ['copy', 'somewhere', 'x.json'], /SRC "somewhere": expected folder:DIR/],
    ['a Redis URL without a tree name', ['copy', 'x.json', 'redis://127.0.0.1:1'], /DEST redis:\/\/127\.0\.0\.1:1: name the tree after a #/],
    ['both ends on standard input and output', ['copy', '-', '-'], /cannot both be -/],
    ['an empty folder', ['copy', 'folder:', 'x.json'], /folder: needs a folder/],
  ];
  for (const [what, argv, message] of badSpecs) {
    it(what, async () => {
      const run = await runCli(argv, { cwd: freshDir() });
      assert.equal(run.code, EXIT_USAGE);
      assert.match(run.stderr, message);
    });
  }

  it('exits 1 for a source that does not exist, naming it', async () => {
    const cwd = freshDir();
    const missingFile = await runCli(['copy', 'nope.json', 'folder:x'], { cwd });
    assert.equal(missingFile.code, EXIT_FAILURE);
    assert.match(missingFile.stderr, /cannot read the file .*nope\.json/);
    const missingFolder = await runCli(['copy', 'folder:nope', 'x.json'], { cwd });
    assert.equal(missingFolder.code, EXIT_FAILURE);
    assert.match(missingFolder.stderr, /the state folder .*nope does not exist/);
    assert.equal(existsSync(join(cwd, 'x')), false);
    assert.equal(existsSync(join(cwd, 'x.json')), false);
  });
});
