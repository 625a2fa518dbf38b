/**
 * What the command line needs of its process, given to `main` so that tests run it in-process: output,
 * input, the environment, the working directory, and a signal that asks a long-running command to stop.
 */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Read whole by `set PATH -` and by `copy - DEST`. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative folders and files are resolved against it. */
  readonly cwd: string;
  /** Aborted when `watch` should stop (SIGINT or SIGTERM for the real process). */
  readonly stop: AbortSignal;
}

/** Exit codes: 0 done, 1 a runtime failure (I/O, an unreachable server), 2 bad usage or input, 3 nothing at the path. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_FOUND = 3;

/** A failure the command line explains itself: its message is the whole line printed after `restate: `. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }

  override get name(): string {
    return 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT_USAGE, message);
}

export async function readAll(input: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of input) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
