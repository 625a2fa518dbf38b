/** Which kind of {@link RestateError} an error is: one code per subclass, so a handler can switch on it. */
export type RestateErrorCode =
  | 'path'
  | 'name'
  | 'value'
  | 'serialize'
  | 'format'
  | 'backend'
  | 'callback'
  | 'cycle'
  | 'conflict'
  | 'id'
  | 'mount'
  | 'usage';

/**
 * Every deliberate error thrown by restate is a RestateError with a `code` (S1). Messages read
 * `[restate] [component] what happened: detail` and name the path or file concerned. Catch it to tell
 * restate's refusals and storage failures from other errors; `code` says which subclass it is.
 */
export class RestateError extends Error {
  /** The kind of error, one per subclass (`'path'`, `'backend'`, …). */
  readonly code: RestateErrorCode;
  /** The part of restate that threw it (`'path'`, `'filesystem'`, `'redis'`, `'notify'`, …), also shown in the message. */
  readonly component: string;

  constructor(code: RestateErrorCode, component: string, message: string, options?: { cause?: unknown }) {
    super(`[restate] [${component}] ${message}`, options);
    this.code = code;
    this.component = component;
  }

  /** The subclass's name, such as `RestatePathError`, as stack traces and `console.log` show it. */
  override get name(): string {
    return this.constructor.name;
  }
}

/** A malformed or disallowed path (S3–S7, S90). `input` is what the caller passed, as text. */
export class RestatePathError extends RestateError {
  /** The path as the caller gave it, as text. */
  readonly input: string;

  constructor(component: string, input: string, message: string, code: RestateErrorCode = 'path') {
    super(code, component, message);
    this.input = input;
  }
}

/** A path segment that cannot be a file name on every operating system (S89). */
export class RestateNameError extends RestatePathError {
  /** The segment that cannot be a file name. */
  readonly segment: string;

  constructor(component: string, input: string, segment: string, reason: string) {
    super(component, input, `cannot use ${JSON.stringify(segment)} in ${input} as a file name: ${reason}`, 'name');
    this.segment = segment;
  }
}

/** `undefined` or MISSING written (S13). */
export class RestateValueError extends RestateError {
  /** The state path of the refused write. */
  readonly path: string;

  constructor(component: string, path: string, message: string) {
    super('value', component, message);
    this.path = path;
  }
}

/** A value that a persistent backend cannot store (S94). `location` is the place inside the value, like `.tags[2]`. */
export class RestateSerializeError extends RestateError {
  /** The state path of the value. */
  readonly path: string;
  /** Where inside the value the problem is, like `.tags[2]`; empty for the value itself. */
  readonly location: string;

  constructor(component: string, path: string, location: string, detail: string, options?: { cause?: unknown }) {
    super('serialize', component, `cannot serialise the value for ${path}${location ? ` at ${location}` : ''}: ${detail}`, options);
    this.path = path;
    this.location = location;
  }
}

/** File content that cannot be parsed (S86). */
export class RestateFormatError extends RestateError {
  /** The state path whose file failed to parse. */
  readonly path: string;
  /** The file that failed to parse. */
  readonly file: string;
  /** What the parser said. */
  readonly detail: string;

  constructor(component: string, path: string, file: string, detail: string, options?: { cause?: unknown }) {
    super('format', component, `cannot parse ${file} (state path ${path}): ${detail}`, options);
    this.path = path;
    this.file = file;
    this.detail = detail;
  }
}

/** Storage I/O failed; `cause` holds the underlying error. */
export class RestateBackendError extends RestateError {
  /** The state path concerned, where one is. */
  readonly path: string | undefined;
  /** The file concerned, for the file backends. */
  readonly file: string | undefined;

  constructor(component: string, message: string, details: { path?: string; file?: string; cause?: unknown } = {}) {
    super('backend', component, message, { cause: details.cause });
    this.path = details.path;
    this.file = details.file;
  }
}

/** One callback that threw during a notification, as listed by {@link RestateCallbackError.failures}. */
export interface CallbackFailure {
  /** The id of the callback that threw. */
  readonly callbackId: string;
  /** The level at which the callback ran. */
  readonly path: string;
  /** The path that changed. */
  readonly emittingPath: string;
  /** What the callback threw. */
  readonly error: unknown;
}

/** One or more callbacks failed during a notification (S45). Like AggregateError, it carries `errors`. */
export class RestateCallbackError extends RestateError {
  /** Every callback that threw, in the order they ran. */
  readonly failures: readonly CallbackFailure[];
  /** What each failed callback threw, in the order of `failures`. */
  readonly errors: readonly unknown[];

  constructor(failures: readonly CallbackFailure[]) {
    const first = failures[0];
    const summary = failures
      .slice(0, 3)
      .map((f) => `${f.callbackId} at ${f.path}: ${describeError(f.error)}`)
      .join('; ');
    const more = failures.length > 3 ? `; and ${failures.length - 3} more` : '';
    super(
      'callback',
      'notify',
      `${failures.length} callback${failures.length === 1 ? '' : 's'} failed after a change at ${first?.emittingPath ?? '?'}: ${summary}${more}`,
      { cause: first?.error },
    );
    this.failures = failures;
    this.errors = failures.map((f) => f.error);
  }
}

/**
 * A change refused because its chain of nested changes does not settle (S132): a derivation or tracker
 * would run, or a path be written, for the 101st time in one chain; `repeated` says which, and `limit`
 * is 100. Or, without `repeated`, a chain that reached ControllerOptions.maxDepth (S38), which is a limit
 * the caller set, not a cycle; `limit` is then maxDepth.
 */
export class RestateCycleError extends RestateError {
  /** The chain of changes that was refused, as the paths written or the derivations and trackers run, in order. */
  readonly chain: readonly string[];
  /** 100 for a cycle; the `maxDepth` option for a chain that reached it. */
  readonly limit: number;
  /** `'cycle'` for a chain that does not settle, `'maxDepth'` for one that reached the caller's limit. */
  readonly reason: 'cycle' | 'maxDepth';

  constructor(chain: readonly string[], limit: number, repeated?: string) {
    const shown =
      chain.length <= 6
        ? chain.join(' -> ')
        : `${chain.slice(0, 3).join(' -> ')} -> … -> ${chain.slice(-3).join(' -> ')}`;
    super(
      'cycle',
      'notify',
      repeated === undefined
        ? `change refused: the chain of nested changes reached the maxDepth limit of ${limit} (${chain.length} changes): ${shown}`
        : `change refused as a cycle: ${repeated} for the ${ordinal(limit + 1)} time in one chain of ${chain.length} changes, which does not settle: ${shown}`,
    );
    this.chain = chain;
    this.limit = limit;
    this.reason = repeated === undefined ? 'maxDepth' : 'cycle';
  }
}

/**
 * A write that lost against another writer (S130): a caching backend found the node changed underneath it
 * since it last read or wrote it, kept the other writer's value and dropped its own. `droppedValue` is what
 * the dropped operations would have left there and `winningValue` what the storage holds; either is
 * `undefined` for a node that is (or would have been) absent.
 */
export class RestateConflictError extends RestateError {
  /** The node whose write lost. */
  readonly path: string;
  /** What the dropped operations would have left at `path` (`undefined`: nothing). */
  readonly droppedValue: unknown;
  /** What the storage holds at `path` (`undefined`: nothing). */
  readonly winningValue: unknown;

  constructor(component: string, path: string, message: string, details: { droppedValue?: unknown; winningValue?: unknown } = {}) {
    super('conflict', component, message);
    this.path = path;
    this.droppedValue = details.droppedValue;
    this.winningValue = details.winningValue;
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/** An unknown, taken or reserved callback id (S46–S50). */
export class RestateIdError extends RestateError {
  /** The callback id concerned. */
  readonly id: string;

  constructor(id: string, message: string) {
    super('id', 'callbacks', message);
    this.id = id;
  }
}

/** An invalid mount operation (S105). */
export class RestateMountError extends RestateError {
  /** The mount path concerned. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('mount', 'hybrid', message);
    this.path = path;
  }
}

/** Sync/async mix-ups, closed backends, missing callbacks. */
export class RestateUsageError extends RestateError {
  constructor(component: string, message: string, options?: { cause?: unknown }) {
    super('usage', component, message, options);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
}

/** Adds a callback's failure to a notification's (S45): a RestateCallbackError's own failures, each on its own. */
export function collectFailure(failures: CallbackFailure[], callbackId: string, path: string, emittingPath: string, error: unknown): void {
  if (error instanceof RestateCallbackError) failures.push(...error.failures);
  else failures.push({ callbackId, path, emittingPath, error });
}
