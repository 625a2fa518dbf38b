import { RestateNameError } from '../../errors';

// eslint-disable-next-line no-control-regex -- control characters are exactly what this must find
const FORBIDDEN_CHARACTER = /[<>:"\\|?*\u0000-\u001f]/;
const DEVICE_NAME = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$)/i;
const MAX_VALUE_FILE_BYTES = 200;

/** Whether a name has the shape of the temporary files of S87, which listings ignore and writes refuse. */
export function isTemporaryName(name: string): boolean {
  return name.length >= 4 && name.charCodeAt(0) === 0x2e && name.endsWith('.tmp');
}

/** The process that writes a temporary file, as its name records it: a tag of the host name and the process id. */
export interface TemporaryFileOwner {
  readonly host: string;
  readonly pid: number;
}

/** The process writing, as temporary file names record it, and a way to tell whether another one still runs. */
export interface WriterProcess extends TemporaryFileOwner {
  /** Whether a process with this id runs on this host. */
  isAlive(pid: number): boolean;
}

let temporaryCounter = 0;

/**
 * `.<value file name>.<host>-<pid>-<unique>.tmp`, the temporary file of S87: it has the shape listings ignore,
 * and says which process writes it, so that a sweep can tell a dead writer's leftover from a write under way.
 */
export function temporaryFileName(valueFileName: string, owner: TemporaryFileOwner | undefined): string {
  temporaryCounter = (temporaryCounter + 1) % 0x100000;
  const unique = temporaryCounter.toString(36) + Math.random().toString(36).slice(2, 8);
  return `.${valueFileName}.${owner === undefined ? '' : `${owner.host}-${owner.pid}-`}${unique}.tmp`;
}

const OWNED_TOKEN = /^([0-9a-z]+)-([1-9][0-9]*)-[0-9a-z]+$/;
const ANONYMOUS_TOKEN = /^[0-9a-z]+$/;

/**
 * Reads a name as the temporary file of a value file ending in `suffix`: the value file's name and the owner
 * recorded, `null` when the name has none (an older version wrote it); undefined for any other name, which
 * is not restate's to remove.
 */
export function parseTemporaryFileName(name: string, suffix: string): { valueFileName: string; owner: TemporaryFileOwner | null } | undefined {
  if (!isTemporaryName(name)) return undefined;
  const middle = name.slice(1, -'.tmp'.length);
  const dot = middle.lastIndexOf('.');
  const valueFileName = middle.slice(0, dot);
  if (dot <= suffix.length || !valueFileName.endsWith(suffix)) return undefined;
  const token = middle.slice(dot + 1);
  const owned = OWNED_TOKEN.exec(token);
  if (owned !== null) return { valueFileName, owner: { host: owned[1], pid: Number(owned[2]) } };
  return ANONYMOUS_TOKEN.test(token) ? { valueFileName, owner: null } : undefined;
}

/** A short tag for a host name, for temporary file names: base-36 FNV-1a. */
export function hostTag(hostName: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < hostName.length; i++) hash = Math.imul(hash ^ hostName.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/**
 * Throws a RestateNameError unless `segment` can be a file name on Windows, macOS and Linux alike, with
 * room for the temporary file next to its value file (S89). Only writes apply this: reads and deletes accept
 * any name found on disk.
 */
export function checkWritableName(segment: string, path: string, suffix: string, component: string): void {
  const reason = nameProblem(segment, suffix);
  if (reason !== undefined) throw new RestateNameError(component, path, segment, reason);
}

function nameProblem(segment: string, suffix: string): string | undefined {
  const forbidden = FORBIDDEN_CHARACTER.exec(segment);
  if (forbidden !== null) {
    const code = forbidden[0].charCodeAt(0);
    const shown = code < 0x20 ? `the control character U+${code.toString(16).padStart(4, '0').toUpperCase()}` : `'${forbidden[0]}'`;
    return `it contains ${shown}, which Windows does not allow in file names`;
  }
  const last = segment[segment.length - 1];
  if (last === '.' || last === ' ') return `it ends with ${last === '.' ? 'a dot' : 'a space'}, which Windows drops from file names`;
  if (DEVICE_NAME.test(segment)) return 'it is a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9)';
  if (isTemporaryName(segment)) return "names that start with '.' and end with '.tmp' are reserved for temporary files";
  const bytes = utf8Length(segment) + utf8Length(suffix);
  if (bytes > MAX_VALUE_FILE_BYTES) {
    return `its value file name would be ${bytes} UTF-8 bytes, over the limit of ${MAX_VALUE_FILE_BYTES}`;
  }
  return undefined;
}

// Counted by hand rather than with Buffer, so that the async backend also runs where Buffer does not exist.
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
