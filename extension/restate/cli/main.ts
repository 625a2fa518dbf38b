import { parseArgs } from 'node:util';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { ControllerAsync } from '../controller';
import { RestateError } from '../errors';
import { resolveConcretePath } from '../path';
import { MISSING } from '../values';
import { copyCommand } from './copy';
import { CliError, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, readAll, usageError, type CliIo } from './io';
import { DEFAULT_FOLDER, folderSpec, openStore, redisSpec, type OpenStore, type StoreSpec } from './store';
import { formatValue, readTree, treeLines } from './tree';
import { watchCommand } from './watch';

export type { CliIo } from './io';
export { EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from './io';

const STORE_HELP = `Where:
  --folder DIR            a state folder (default: ./${DEFAULT_FOLDER})
  --redis URL --prefix P  the tree P on a Redis server, URL redis://[user[:password]@]host[:port][/db]
                          (or rediss:// for TLS); --prefix alone takes the URL from RESTATE_REDIS_URL,
                          so that a password need not be on the command line`;

interface CommandBase {
  readonly usage: string;
  readonly summary: string;
  readonly details: string;
  /** Positionals: how many at least and at most. */
  readonly args: readonly [number, number];
  /** Options besides --help and the store's, with what each does. */
  readonly flags: readonly { readonly name: 'json' | 'replace'; readonly help: string }[];
}

/** A command over the store of --folder or --redis; copy names its places in its arguments instead. */
type Command =
  | (CommandBase & { readonly usesStore: true; run(context: StoreContext): Promise<number> })
  | (CommandBase & { readonly usesStore: false; run(context: CommandContext): Promise<number> });

interface CommandContext {
  readonly io: CliIo;
  readonly args: readonly string[];
  readonly flags: ParsedFlags;
  readonly warn: (message: string) => void;
}

interface StoreContext extends CommandContext {
  readonly store: StoreSpec;
}

interface ParsedFlags {
  readonly json: boolean;
  readonly replace: boolean;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  folder: { type: 'string' },
  redis: { type: 'string' },
  prefix: { type: 'string' },
  json: { type: 'boolean' },
  replace: { type: 'boolean' },
} as const;

const COMMANDS: Readonly<Record<string, Command>> = {
  get: {
    usage: 'get PATH',
    summary: 'print the value at PATH as JSON',
    details: 'A node with children prints as an object with one key per child and "/" for its own value.\nExit 3 when nothing is at PATH.',
    args: [1, 1],
    flags: [],
    usesStore: true,
    run: async ({ io, args, store, warn }) =>
      withStore(store, warn, async (open) => {
        const path = statePath(args[0]);
        const value = await open.backend.read(path, MISSING);
        if (value === MISSING) return notFound(path, open);
        io.stdout.write(formatValue(value, 2) + '\n');
        return EXIT_OK;
      }),
  },
  set: {
    usage: 'set PATH VALUE',
    summary: 'write VALUE (JSON; comments and trailing commas allowed) at PATH',
    details:
      'VALUE "-" reads the value from standard input. Strings need JSON quotes: restate set /name \'"Ada"\'.\n' +
      'A negative number goes after --, so that it is not taken for an option: restate set /t -- -5.\n' +
      'Children of PATH stay as they are.',
    args: [2, 2],
    flags: [],
    usesStore: true,
    run: async ({ io, args, store, warn }) => {
      const path = statePath(args[0]);
      const text = args[1] === '-' ? await readAll(io.stdin) : args[1];
      const value = parseValue(text, args[1] === '-' ? 'the value on standard input' : 'VALUE');
      return withStore(store, warn, async (open) => {
        await controllerOf(open).setState(path, value);
        return EXIT_OK;
      }, true);
    },
  },
  del: {
    usage: 'del PATH',
    summary: 'delete PATH and everything below it',
    details: 'Exit 3 when nothing is at PATH.',
    args: [1, 1],
    flags: [],
    usesStore: true,
    run: async ({ args, store, warn }) => {
      const path = statePath(args[0]);
      return withStore(store, warn, async (open) => ((await controllerOf(open).delState(path)) ? EXIT_OK : notFound(path, open)));
    },
  },
  ls: {
    usage: 'ls [PATH]',
    summary: 'list the names of the children of PATH (default /), one a line',
    details: 'A node without children lists nothing. Exit 3 when nothing is at PATH.',
    args: [0, 1],
    flags: [],
    usesStore: true,
    run: async ({ io, args, store, warn }) => {
      const path = statePath(args[0] ?? '/');
      return withStore(store, warn, async (open) => {
        const names = await open.backend.listChildren(path);
        if (names.length === 0 && path !== '/' && (await open.backend.read(path, MISSING)) === MISSING) return notFound(path, open);
        io.stdout.write(names.map((name) => name + '\n').join(''));
        return EXIT_OK;
      });
    },
  },
  tree: {
    usage: 'tree [PATH]',
    summary: 'print the subtree at PATH (default /), indented, with values',
    details: 'Each node is a line, "name = value" where it has a value of its own, indented under its parent.',
    args: [0, 1],
    flags: [],
    usesStore: true,
    run: async ({ io, args, store, warn }) => {
      const path = statePath(args[0] ?? '/');
      return withStore(store, warn, async (open) => {
        const tree = await readTree(open.backend, path);
        if (tree === undefined) {
          if (path !== '/') return notFound(path, open);
          io.stdout.write('/\n');
          return EXIT_OK;
        }
        io.stdout.write(treeLines(tree, path).map((line) => line + '\n').join(''));
        return EXIT_OK;
      });
    },
  },
  watch: {
    usage: 'watch [PATH]',
    summary: 'print the changes anyone makes at or below PATH (default /), until Ctrl-C',
    details:
      'One line a change: time, path, cause, old value → new value ("(missing)" for none).\n' +
      '--json prints one JSON object a line instead: {"time", "path", "kind", "cause", "old", "new"}, where\n' +
      'a missing old or new value leaves its key out. Runs until SIGINT or SIGTERM, then exits 0.',
    args: [0, 1],
    flags: [{ name: 'json', help: 'one JSON object a line instead of text' }],
    usesStore: true,
    run: async ({ io, args, flags, store, warn }) => {
      const path = statePath(args[0] ?? '/');
      return withStore(store, warn, (open) => watchCommand(io, open, path, flags.json));
    },
  },
  copy: {
    usage: 'copy SRC DEST',
    summary: 'copy a whole tree between state folders, Redis and JSON files (export, import, backup)',
    details:
      'SRC and DEST are each one of:\n' +
      '  folder:DIR                          a state folder\n' +
      '  redis://[user[:password]@]host[:port][/db]#PREFIX\n' +
      '                                      the tree PREFIX on a Redis server (or rediss://)\n' +
      '  FILE.json  or  file:FILE            a JSON file in restate\'s tree format\n' +
      '  -                                   standard input (SRC) or output (DEST), as JSON\n' +
      'DEST must be empty (or missing) unless --replace is given; then its tree is replaced whole.\n' +
      'A folder or file DEST is written beside it first and renamed into place, so it is either the old\n' +
      'tree or the new one. A Redis DEST is written one node at a time after every value and name was\n' +
      'checked: if the server fails midway, the tree at PREFIX is incomplete and the error says so.',
    args: [2, 2],
    flags: [{ name: 'replace', help: 'replace the tree of a DEST that is not empty (a file: overwrite it)' }],
    usesStore: false,
    run: async ({ io, args, flags, warn }) => copyCommand(io, args[0], args[1], flags.replace, warn),
  },
};

const GENERAL_HELP = `restate: read, write and watch restate state from the command line

Usage: restate COMMAND [ARGS] [options]

Commands:
${Object.values(COMMANDS)
  .map((command) => `  ${command.usage.padEnd(16)}${command.summary}`)
  .join('\n')}

${STORE_HELP.replace('Where:', 'Where (every command but copy, which names its places in SRC and DEST):')}

PATH is a state path such as /settings/theme (the leading / may be left out).
Run restate COMMAND --help for a command's details.
Exit codes: 0 done, 1 failed (I/O, server), 2 bad usage or input, 3 nothing at PATH.
`;

function commandHelp(command: Command): string {
  const flags = command.flags.map((flag) => `  --${flag.name.padEnd(22)}${flag.help}`).join('\n');
  return `Usage: restate ${command.usage} [options]\n\n${command.summary[0].toUpperCase()}${command.summary.slice(1)}.\n${command.details}\n${
    flags === '' ? '' : `\nOptions:\n${flags}\n`
  }${command.usesStore ? `\n${STORE_HELP}\n` : ''}`;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    const { code, message } = describeFailure(error);
    io.stderr.write(`restate: ${message}\n`);
    return code;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']*)'/.exec(message);
    if (unknown !== null && /^-[\d.]/.test(unknown[1])) throw usageError(`unknown option ${unknown[1]}: a value that starts with - goes after --, as in restate set /t -- ${unknown[1]}`);
    throw usageError(`${unknown !== null ? `unknown option ${unknown[1]}` : message.split('. ')[0]} (see restate --help)`);
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (name === undefined) {
    if (values.help === true) {
      io.stdout.write(GENERAL_HELP);
      return EXIT_OK;
    }
    throw usageError('no command given (see restate --help)');
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) throw usageError(`unknown command ${JSON.stringify(name)} (see restate --help)`);
  if (values.help === true) {
    io.stdout.write(commandHelp(command));
    return EXIT_OK;
  }
  for (const flag of ['json', 'replace'] as const) {
    if (values[flag] !== undefined && !command.flags.some((allowed) => allowed.name === flag)) throw usageError(`${name} takes no --${flag} (see restate ${name} --help)`);
  }
  const givesStore = values.folder !== undefined || values.redis !== undefined || values.prefix !== undefined;
  if (!command.usesStore && givesStore) throw usageError(`${name} takes its places as SRC and DEST, not --folder, --redis or --prefix`);
  const [least, most] = command.args;
  if (args.length < least || args.length > most) {
    throw usageError(`${name} takes ${least === most ? least : `${least} to ${most}`} argument${most === 1 ? '' : 's'}, got ${args.length}: restate ${command.usage}`);
  }
  const warn = (message: string): void => {
    io.stderr.write(`restate: warning: ${message}\n`);
  };
  const context: CommandContext = { io, args, flags: { json: values.json === true, replace: values.replace === true }, warn };
  return command.usesStore ? command.run({ ...context, store: storeOf(values, io) }) : command.run(context);
}

function storeOf(values: { folder?: string; redis?: string; prefix?: string }, io: CliIo): StoreSpec {
  if (values.folder !== undefined && (values.redis !== undefined || values.prefix !== undefined)) {
    throw usageError('give --folder or --redis with --prefix, not both');
  }
  if (values.folder !== undefined) return folderSpec(values.folder, io.cwd);
  const url = values.redis ?? (values.prefix !== undefined ? io.env.RESTATE_REDIS_URL : undefined);
  if (url !== undefined && url !== '') return redisSpec(url, values.prefix);
  if (values.prefix !== undefined) throw usageError('--prefix needs --redis URL (or RESTATE_REDIS_URL in the environment)');
  return folderSpec(DEFAULT_FOLDER, io.cwd);
}

function statePath(input: string): string {
  // A path is absolute in its tree; `a/b` means `/a/b`, as nothing else could be meant.
  return resolveConcretePath(input.startsWith('/') ? input : '/' + input, 'cli');
}

function parseValue(text: string, what: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length > 0) {
    const [first] = errors;
    const before = text.slice(0, first.offset);
    const line = before.split('\n').length;
    const column = first.offset - before.lastIndexOf('\n');
    throw usageError(`${what} is not valid JSON: ${printParseErrorCode(first.error)} at line ${line}, column ${column}${text.trim() === '' ? ' (it is empty)' : ''}`);
  }
  return value;
}

/** Opens the store, checks that a folder exists, runs `step` and releases the store whatever happens. */
async function withStore(spec: StoreSpec, warn: (message: string) => void, step: (open: OpenStore) => Promise<number>, creates = false): Promise<number> {
  const open = await openStore(spec, warn);
  try {
    if (!creates && !open.exists()) throw new CliError(EXIT_FAILURE, `${open.description} does not exist (give --folder DIR, or create it with restate set)`);
    return await step(open);
  } finally {
    await open.close();
  }
}

/** Writes and deletes go through a controller, as any program's would; it need not follow others' changes. */
function controllerOf(open: OpenStore): ControllerAsync {
  return new ControllerAsync(open.backend, { followBackend: false });
}

function notFound(path: string, open: OpenStore): never {
  throw new CliError(EXIT_NOT_FOUND, `nothing at ${path} in ${open.description}`);
}

function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  if (error instanceof RestateError) {
    const message = error.message.replace(/^\[restate\] \[[^\]]*\] /, '');
    const input = ['path', 'name', 'value', 'serialize', 'usage'].includes(error.code);
    return { code: input ? EXIT_USAGE : EXIT_FAILURE, message: firstLine(message) };
  }
  return { code: EXIT_FAILURE, message: firstLine(error instanceof Error ? error.message : String(error)) };
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0];
  return line === '' ? 'failed without a message' : line;
}
