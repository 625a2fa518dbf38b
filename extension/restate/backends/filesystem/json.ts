import { isPlainObject } from '../../values';
import { TextFormatError, ValueLocationError } from './serializer';
import type { Serializer } from './serializer';

/**
 * JSON that is byte-identical to Python's `json.dumps` with default arguments (S92–S93), so that files do
 * not churn when the Python original and this port write the same values.
 */
export function pythonJsonStringify(value: unknown): string {
  return new PythonJsonWriter().write(value);
}

/** Standard JSON plus the bare NaN, Infinity and -Infinity tokens that Python writes; a leading BOM is skipped (S95). */
export function pythonJsonParse(text: string): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(source);
  } catch {
    // The built-in parser is fast but rejects NaN tokens and reports no line or column; this one does both.
    return new LenientJsonParser(source).parseDocument();
  }
}

/** The default serializer of the filesystem backends (S98). */
export const jsonSerializer: Serializer = Object.freeze({
  extension: 'json',
  binary: false,
  serialize: (value: unknown): string => pythonJsonStringify(value),
  deserialize: (raw: string | Uint8Array): unknown =>
    pythonJsonParse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw)),
});

// Python's ensure_ascii escapes everything outside space..tilde, plus the quote and the backslash.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this must find
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;

function quote(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return '"' + text + '"';
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c) continue;
    if (i > start) out += text.slice(start, i);
    start = i + 1;
    switch (code) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      default: out += '\\u' + code.toString(16).padStart(4, '0');
    }
  }
  return out + text.slice(start) + '"';
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) {
    // String(-0) is already "0"; from 1e21 on, String switches to exponent form, which Python never uses for ints.
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  }
  if (Math.abs(value) >= 1e-4) return String(value);
  // Python's repr switches to exponent form below 1e-4 and pads the exponent to two digits.
  const exponential = value.toExponential();
  const e = exponential.indexOf('e');
  const digits = exponential.slice(e + 2);
  return exponential.slice(0, e + 2) + (digits.length < 2 ? '0' + digits : digits);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The deepest nesting of arrays and objects written (S134). Python's `json` reads about 990 levels at its
 * default recursion limit, less when called deep in a program; 512 keeps every file readable there.
 */
export const MAX_WRITE_DEPTH = 512;
/**
 * The deepest nesting the lenient reader follows: Python cannot write deeper files at its default recursion
 * limit, and the reader recurses. Files without NaN or Infinity go to JSON.parse, which reads any depth.
 */
export const MAX_LENIENT_READ_DEPTH = 1000;
// A location longer than this many steps is shown by its first and last few.
const LOCATION_STEPS_SHOWN = 4;

class PythonJsonWriter {
  // The keys from the root to the value being written, for error locations like `.tags[2]`.
  readonly #keys: (string | number)[] = [];
  readonly #ancestors: object[] = [];

  write(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return quote(value);
      case 'number':
        if (!Number.isFinite(value)) {
          this.#fail(`${String(value)} cannot be stored: JSON has no ${Number.isNaN(value) ? 'NaN' : 'Infinity'}`);
        }
        return formatNumber(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object':
        if (value === null) return 'null';
        if (Array.isArray(value)) return this.#writeArray(value);
        if (isPlainObject(value)) return this.#writeObject(value);
        return this.#fail(`${describeObject(value)} is not a plain object or array and cannot be stored`);
      case 'undefined':
        return this.#fail('undefined cannot be stored (only object properties that are undefined are dropped)');
      case 'bigint':
        return this.#fail(`the BigInt ${value}n cannot be stored: convert it to a number or a string`);
      case 'function':
        return this.#fail('a function cannot be stored');
      default:
        return this.#fail(`a ${typeof value} cannot be stored`);
    }
  }

  #writeArray(array: readonly unknown[]): string {
    if (array.length === 0) {
      this.#checkDepth();
      return '[]';
    }
    this.#enter(array);
    let out = '[';
    for (let i = 0; i < array.length; i++) {
      this.#keys.push(i);
      const item = array[i];
      if (item === undefined && !(i in array)) this.#fail('a sparse array (this index is a hole) cannot be stored');
      out += (i === 0 ? '' : ', ') + this.write(item);
      this.#keys.pop();
    }
    this.#ancestors.pop();
    return out + ']';
  }

  #writeObject(object: Record<string, unknown>): string {
    this.#enter(object);
    let out = '';
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (item === undefined) continue;
      this.#keys.push(key);
      out += (out === '' ? '{' : ', ') + quote(key) + ': ' + this.write(item);
      this.#keys.pop();
    }
    this.#ancestors.pop();
    return out === '' ? '{}' : out + '}';
  }

  #enter(container: object): void {
    if (this.#ancestors.includes(container)) this.#fail('the value contains itself (a cycle) and cannot be stored');
    this.#checkDepth();
    this.#ancestors.push(container);
  }

  #checkDepth(): void {
    if (this.#ancestors.length < MAX_WRITE_DEPTH) return;
    this.#fail(`arrays and objects are nested deeper than ${MAX_WRITE_DEPTH} levels here, which Python's json cannot read back`);
  }

  #fail(detail: string): never {
    const steps = this.#keys.map((key) => (typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`));
    const location =
      steps.length <= 2 * LOCATION_STEPS_SHOWN
        ? steps.join('')
        : `${steps.slice(0, LOCATION_STEPS_SHOWN).join('')}…${steps.slice(-LOCATION_STEPS_SHOWN).join('')}`;
    throw new ValueLocationError(location, detail);
  }
}

function describeObject(value: object): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  const name =
    prototype !== null && typeof prototype === 'object' && 'constructor' in prototype && typeof prototype.constructor === 'function'
      ? prototype.constructor.name
      : '';
  return name === '' ? 'an object with a custom prototype' : `a ${name}`;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A strict JSON parser that also accepts NaN, Infinity and -Infinity, and reports line and column on errors. */
class LenientJsonParser {
  readonly #text: string;
  #pos = 0;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parseDocument(): unknown {
    this.#skipWhitespace();
    const value = this.#parseValue();
    this.#skipWhitespace();
    if (this.#pos < this.#text.length) this.#fail('unexpected content after the JSON value');
    return value;
  }

  #parseValue(): unknown {
    const code = this.#text.charCodeAt(this.#pos);
    switch (code) {
      case 0x7b: return this.#leave(this.#enter() && this.#parseObject());
      case 0x5b: return this.#leave(this.#enter() && this.#parseArray());
      case 0x22: return this.#parseString();
      case 0x74: return this.#literal('true', true);
      case 0x66: return this.#literal('false', false);
      case 0x6e: return this.#literal('null', null);
      case 0x4e: return this.#literal('NaN', NaN);
      case 0x49: return this.#literal('Infinity', Infinity);
      default:
        if (code === 0x2d && this.#text.startsWith('-Infinity', this.#pos)) return this.#literal('-Infinity', -Infinity);
        if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return this.#parseNumber();
        return this.#fail(this.#pos >= this.#text.length ? 'unexpected end of input, expected a value' : 'expected a value');
    }
  }

  #literal<T>(word: string, value: T): T {
    if (!this.#text.startsWith(word, this.#pos)) this.#fail('expected a value');
    this.#pos += word.length;
    return value;
  }

  #parseNumber(): number {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = this.#pos;
    const found = match.exec(this.#text);
    if (found === null) return this.#fail('invalid number');
    this.#pos += found[0].length;
    return Number(found[0]);
  }

  #parseString(): string {
    this.#pos++;
    let out = '';
    let start = this.#pos;
    const text = this.#text;
    while (true) {
      if (this.#pos >= text.length) return this.#fail('unterminated string');
      const code = text.charCodeAt(this.#pos);
      if (code === 0x22) {
        out += text.slice(start, this.#pos);
        this.#pos++;
        return out;
      }
      if (code < 0x20) return this.#fail('control character in string (escape it)');
      if (code !== 0x5c) {
        this.#pos++;
        continue;
      }
      out += text.slice(start, this.#pos);
      const escape = text[this.#pos + 1];
      if (escape === 'u') {
        const hex = text.slice(this.#pos + 2, this.#pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return this.#fail('invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.#pos += 6;
      } else if (escape !== undefined && Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, escape)) {
        out += SIMPLE_ESCAPES[escape];
        this.#pos += 2;
      } else {
        return this.#fail('invalid escape in string');
      }
      start = this.#pos;
    }
  }

  #parseArray(): unknown[] {
    this.#pos++;
    const array: unknown[] = [];
    this.#skipWhitespace();
    if (this.#text.charCodeAt(this.#pos) === 0x5d) {
      this.#pos++;
      return array;
    }
    while (true) {
      this.#skipWhitespace();
      array.push(this.#parseValue());
      this.#skipWhitespace();
      const code = this.#text.charCodeAt(this.#pos++);
      if (code === 0x5d) return array;
      if (code !== 0x2c) {
        this.#pos--;
        return this.#fail("expected ',' or ']' in array");
      }
    }
  }

  #parseObject(): Record<string, unknown> {
    this.#pos++;
    const object: Record<string, unknown> = {};
    this.#skipWhitespace();
    if (this.#text.charCodeAt(this.#pos) === 0x7d) {
      this.#pos++;
      return object;
    }
    while (true) {
      this.#skipWhitespace();
      if (this.#text.charCodeAt(this.#pos) !== 0x22) return this.#fail('expected a property name in double quotes');
      const key = this.#parseString();
      this.#skipWhitespace();
      if (this.#text.charCodeAt(this.#pos) !== 0x3a) return this.#fail("expected ':' after a property name");
      this.#pos++;
      this.#skipWhitespace();
      // defineProperty, so that a "__proto__" key stays an ordinary key as with JSON.parse.
      Object.defineProperty(object, key, { value: this.#parseValue(), enumerable: true, writable: true, configurable: true });
      this.#skipWhitespace();
      const code = this.#text.charCodeAt(this.#pos++);
      if (code === 0x7d) return object;
      if (code !== 0x2c) {
        this.#pos--;
        return this.#fail("expected ',' or '}' in object");
      }
    }
  }

  // Counted around the calls rather than inside them, so that a level costs two stack frames, not three.
  #enter(): true {
    if (++this.#depth > MAX_LENIENT_READ_DEPTH) this.#fail(`arrays and objects nested deeper than ${MAX_LENIENT_READ_DEPTH} levels`);
    return true;
  }

  #leave<T>(parsed: T): T {
    this.#depth--;
    return parsed;
  }

  #skipWhitespace(): void {
    const text = this.#text;
    while (this.#pos < text.length) {
      const code = text.charCodeAt(this.#pos);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.#pos++;
    }
  }

  #fail(message: string): never {
    const before = this.#text.slice(0, this.#pos);
    const line = before.split('\n').length;
    const column = this.#pos - before.lastIndexOf('\n');
    throw new TextFormatError(`${message} at line ${line}, column ${column}`);
  }
}
