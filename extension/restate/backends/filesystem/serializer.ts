/**
 * How values become file contents (S98). `extension` has no dot; `''` means `txt`, or `bin` when `binary`.
 * Text serializers exchange strings and the files are UTF-8; binary ones exchange bytes.
 */
export interface Serializer {
  /** The value files' extension, without the dot (`json`). */
  readonly extension: string;
  /** Whether it exchanges bytes rather than text; default false. */
  readonly binary?: boolean;
  /** A value as file content; throw for a value it cannot write (the backend reports a RestateSerializeError). */
  serialize(value: unknown): string | Uint8Array;
  /** File content as a value; throw for content it cannot read (the backend reports a RestateFormatError). */
  deserialize(raw: string | Uint8Array): unknown;
}

/** The suffix appended to every value file name, with its dot (S83). */
export function valueSuffix(serializer: Serializer): string {
  const extension = serializer.extension === '' ? (serializer.binary === true ? 'bin' : 'txt') : serializer.extension;
  return '.' + extension;
}

/**
 * Raised by a serializer that can say where in the value the problem is. The backend turns it into a
 * RestateSerializeError that also names the state path.
 */
export class ValueLocationError extends TypeError {
  readonly location: string;
  readonly detail: string;

  constructor(location: string, detail: string) {
    super(location === '' ? detail : `${detail} (at ${location})`);
    this.location = location;
    this.detail = detail;
  }
}

/** Raised by a deserializer with a message that already carries line and column. */
export class TextFormatError extends SyntaxError {}
