import { RestateNameError } from '../../errors';

// eslint-disable-next-line no-control-regex -- control characters are exactly what this must find
const FORBIDDEN_CHARACTER = /[<>:"\\|?*\u0000-\u001f]/;
const DEVICE_NAME = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$)/i;
const MAX_VALUE_FILE_BYTES = 200;

/** Whether a name has the shape of the temporary files of S87, which listings ignore and writes refuse. */
export function isTemporaryName(name: string): boolean {
  return name.length >= 4 && name.charCodeAt(0) === 0x2e && name.endsWith('.tmp');
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
