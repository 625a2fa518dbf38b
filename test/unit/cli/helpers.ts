// Runs the command line in-process, as `main(argv, io)`, with its output collected.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after } from 'node:test';
import { main } from '../../../extension/restate/cli/main';
export { until } from '../until';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd: string;
  readonly stdin?: string;
  readonly env?: Record<string, string | undefined>;
  readonly stop?: AbortSignal;
  /** Told of every chunk written to stdout as it comes (watch). */
  readonly onStdout?: (text: string) => void;
  readonly onStderr?: (text: string) => void;
}

export async function runCli(argv: readonly string[], options: CliOptions): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: {
      write: (text: string) => {
        stdout += text;
        options.onStdout?.(text);
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
        options.onStderr?.(text);
      },
    },
    stdin: (async function* () {
      if (options.stdin !== undefined) yield options.stdin;
    })(),
    env: options.env ?? {},
    cwd: options.cwd,
    stop: options.stop ?? new AbortController().signal,
  });
  return { code, stdout, stderr };
}

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the file's tests. */
export function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'restate-cli-'));
  made.push(dir);
  return dir;
}

/** The state folder the Python original wrote (the project's copy of the shared fixture). */
export const PYTHON_FIXTURE = join(__dirname, '..', '..', 'fixtures', 'python-state', 'state');

/** A copy of the Python fixture's state folder in a fresh temporary folder; the fixture itself is never touched. */
export function pythonStateCopy(): string {
  const target = join(freshDir(), 'python-state');
  cpSync(PYTHON_FIXTURE, target, { recursive: true });
  return target;
}

/** Every file under `dir` (relative path → content), and every folder (relative path + '/'). */
export function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      const full = join(current, name);
      const key = relative(dir, full).split('\\').join('/');
      if (statSync(full).isDirectory()) {
        files.set(key + '/', '');
        walk(full);
      } else {
        files.set(key, readFileSync(full, 'utf8'));
      }
    }
  };
  walk(dir);
  return files;
}

export function oneLine(text: string): boolean {
  return text.endsWith('\n') && text.indexOf('\n') === text.length - 1;
}

