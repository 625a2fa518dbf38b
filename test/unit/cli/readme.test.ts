// The README's command line session, run as it is written: each `$ restate …` line of its console block runs
// in-process in a fresh folder (standing for /home/me/project), and prints exactly the lines that follow it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { freshDir, runCli } from './helpers';

const SHOWN_FOLDER = '/home/me/project';

/** The words of a command line as a POSIX shell splits them, for the quoting the README uses ('…' and "…"). */
function words(line: string): string[] {
  const found: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === "'" || char === '"') {
      const end = line.indexOf(char, i + 1);
      assert.ok(end > i, `unclosed quote in ${line}`);
      current = (current ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (char === ' ') {
      if (current !== undefined) found.push(current);
      current = undefined;
    } else {
      current = (current ?? '') + char;
    }
  }
  if (current !== undefined) found.push(current);
  return found;
}

it('the README command line session prints what it shows', async () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Command line\n'));
  const block = /```console\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the "## Command line" section has no ```console block');
  const steps: { command: string; output: string[] }[] = [];
  for (const line of block[1].split('\n').filter((text) => text !== '')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
    else steps.at(-1)?.output.push(line);
  }
  assert.ok(steps.length >= 7, `only ${steps.length} commands in the session`);
  const cwd = freshDir();
  for (const { command, output } of steps) {
    const [program, ...argv] = words(command);
    assert.equal(program, 'restate');
    const run = await runCli(argv, { cwd });
    const printed = (run.stdout + run.stderr).split(cwd).join(SHOWN_FOLDER);
    assert.equal(printed, output.map((line) => line + '\n').join(''), command);
    assert.equal(run.code === 0, !printed.startsWith('restate: '), `${command} exited ${run.code}`);
  }
});
