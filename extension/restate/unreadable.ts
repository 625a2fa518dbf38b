import type { RestateFormatError } from './errors';
import { isPlainObject } from './values';

/**
 * What a node held when its stored value could not be parsed (S131). It is never stored: it stands for
 * the old value of a write or delete that replaced such a value, as `prevValue` of the notification and
 * the trace, and it stands in for a broken node inside an ancestor's old value.
 */
export class UnreadableValue {
  /** Why the value could not be read; names the file and the state path. */
  readonly error: RestateFormatError;
  /** The file that could not be parsed. */
  readonly file: string;

  constructor(error: RestateFormatError) {
    this.error = error;
    this.file = error.file;
  }
}

/** The first UnreadableValue in a read (the value itself, or inside its plain objects), if any. */
export function findUnreadable(value: unknown): UnreadableValue | undefined {
  if (value instanceof UnreadableValue) return value;
  if (!isPlainObject(value)) return undefined;
  for (const key of Object.keys(value)) {
    const found = findUnreadable(value[key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
