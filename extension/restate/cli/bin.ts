// The process entry of the `restate` command: it hands the process to `main` and exits with its code.
import { main } from './main';

const stopping = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second signal while the command winds down ends it at once, as a signal would without a handler.
    if (stopping.signal.aborted) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    stopping.abort(signal);
  });
}

// A reader that went away (`restate watch | head -1`) ends the command as Ctrl-C would, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stopping.abort('EPIPE');
});

// The library's watchers do not hold the process open (a program that forgets to close them still ends), so
// the command holds it until main returns: watch waits on the stop signal alone.
const held = setInterval(() => undefined, 1 << 30);

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // Touched only by a command that reads it, so that an unused stdin holds nothing open.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
  cwd: process.cwd(),
  stop: stopping.signal,
}).then(
  (code) => {
    clearInterval(held);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`restate: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    clearInterval(held);
    process.exitCode = 1;
  },
);
