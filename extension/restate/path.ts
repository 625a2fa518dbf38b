import { RestatePathError } from './errors';

/** A string path, a StatePath, or any object with a `path` (atoms are paths this way). S3. */
export type PathLike = string | StatePath | {
  /** The path the object stands for. */
  readonly path: PathLike;
};

const MAX_HOPS = 16;
export const WILDCARD = '*';

/** Follows `.path` through objects to a string (S3). */
function pathText(input: PathLike, component: string): string {
  let current: unknown = input;
  for (let hops = 0; hops <= MAX_HOPS; hops++) {
    if (typeof current === 'string') return current;
    if (current !== null && typeof current === 'object' && 'path' in current) {
      current = (current as { path: unknown }).path;
      continue;
    }
    throw new RestatePathError(component, describeInput(current), `not a path: ${describeInput(current)} (expected a string, a StatePath or an object with a path)`);
  }
  throw new RestatePathError(component, '[object]', `not a path: more than ${MAX_HOPS} nested .path hops`);
}

function describeInput(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.prototype.toString.call(value);
  return `${typeof value} ${String(value)}`;
}

/**
 * Whether `text` is already canonical and valid (S5, S6), in one scan with no allocation.
 * `allowWildcard` decides whether a segment that is exactly `*` is acceptable.
 */
function isCanonical(text: string, allowWildcard: boolean): boolean {
  const length = text.length;
  if (length === 0 || text.charCodeAt(0) !== 47 /* / */) return false;
  if (length === 1) return true;
  let segmentStart = 1;
  for (let i = 1; i <= length; i++) {
    const code = i === length ? 47 : text.charCodeAt(i);
    if (code === 47) {
      const segmentLength = i - segmentStart;
      if (segmentLength === 0) return false;
      const first = text.charCodeAt(segmentStart);
      if (first === 46 /* . */) {
        if (segmentLength === 1) return false;
        if (segmentLength === 2 && text.charCodeAt(segmentStart + 1) === 46) return false;
      }
      segmentStart = i + 1;
    } else if (code === 0) {
      return false;
    } else if (code === 42 /* * */) {
      if (!allowWildcard) return false;
      if (i !== segmentStart) return false;
      const next = i + 1 === length ? 47 : text.charCodeAt(i + 1);
      if (next !== 47) return false;
    }
  }
  return true;
}

/** Splits, drops empty and `.` segments, and validates each (S4, S6, S7). */
function normaliseSlow(input: string, allowWildcard: boolean, component: string): string {
  const segments: string[] = [];
  for (const segment of input.split('/')) {
    if (segment === '' || segment === '.') continue;
    checkSegment(segment, input, allowWildcard, component);
    segments.push(segment);
  }
  return segments.length === 0 ? '/' : '/' + segments.join('/');
}

function checkSegment(segment: string, input: string, allowWildcard: boolean, component: string): void {
  const quoted = JSON.stringify(input);
  if (segment === '..') {
    throw new RestatePathError(component, input, `invalid path ${quoted}: '..' segments are not allowed`);
  }
  if (segment.includes('\0')) {
    throw new RestatePathError(component, input, `invalid path ${quoted}: NUL characters are not allowed`);
  }
  if (segment.includes('*')) {
    if (segment === '**') {
      throw new RestatePathError(component, input, `invalid path ${quoted}: '**' is reserved`);
    }
    if (segment !== WILDCARD) {
      throw new RestatePathError(component, input, `invalid path ${quoted}: '*' must be a whole segment, not part of ${JSON.stringify(segment)}`);
    }
    if (!allowWildcard) {
      throw new RestatePathError(component, input, `invalid path ${quoted}: wildcards are allowed only in subscriptions and derive sources`);
    }
  }
}

/** Canonical form of a path or pattern (wildcards allowed, S8). */
export function resolvePath(path: PathLike): string {
  return resolveWith(path, true, 'path');
}

/** Canonical form of a concrete path: wildcards are rejected (S7). */
export function resolveConcretePath(path: PathLike, component = 'path'): string {
  return resolveWith(path, false, component);
}

/**
 * resolveConcretePath that remembers the last two strings it found canonical. A controller call hands the
 * same string to the backend's read and write after checking it, and a tracked function often alternates
 * between two reads, so remembering two strings saves most scans. One per controller.
 */
export class ConcretePaths {
  #last = '/';
  #previous = '/';

  resolve(path: PathLike, component: string): string {
    if (path === this.#last || path === this.#previous) return path;
    const resolved = resolveWith(path, false, component);
    if (resolved === path) {
      this.#previous = this.#last;
      this.#last = resolved;
    }
    return resolved;
  }
}

/** Canonical form of a subscription pattern or derive source: wildcards allowed. */
export function resolvePattern(path: PathLike, component = 'path'): string {
  return resolveWith(path, true, component);
}

function resolveWith(path: PathLike, allowWildcard: boolean, component: string): string {
  const text = typeof path === 'string' ? path : path instanceof StatePath ? path.path : pathText(path, component);
  if (isCanonical(text, allowWildcard)) return text;
  return normaliseSlow(text, allowWildcard, component);
}

export function isPattern(canonical: string): boolean {
  return canonical.includes('*');
}

/** The segments of a canonical path; [] for the root. */
export function splitPath(canonical: string): string[] {
  return canonical === '/' ? [] : canonical.slice(1).split('/');
}

/** The parent of a canonical path; the root's parent is the root. */
export function parentOf(canonical: string): string {
  const slash = canonical.lastIndexOf('/');
  return slash <= 0 ? '/' : canonical.slice(0, slash);
}

/** Joins a canonical path and one already-valid segment. */
/** The ancestor of a canonical path with `depth` segments; `/` for 0. */
export function ancestorAt(path: string, depth: number): string {
  if (depth === 0) return '/';
  let end = 0;
  for (let seen = 0; seen < depth; seen++) {
    end = path.indexOf('/', end + 1);
    if (end === -1) return path;
  }
  return path.slice(0, end);
}

export function childOf(canonical: string, name: string): string {
  return canonical === '/' ? '/' + name : canonical + '/' + name;
}

/** Whether `path` is `ancestor` or lies below it (both canonical). */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || (path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === 47);
}

/** Re-roots `path` below `base` (both canonical, `path` at or below `base`): `/m/a`, `/m` → `/a`. */
export function relativeTo(path: string, base: string): string {
  if (base === '/') return path;
  return path.length === base.length ? '/' : path.slice(base.length);
}

/** Whether a canonical pattern matches a canonical concrete path (S54). */
export function patternMatches(pattern: string, path: string): boolean {
  const p = splitPath(pattern);
  const s = splitPath(path);
  if (p.length !== s.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== WILDCARD && p[i] !== s[i]) return false;
  }
  return true;
}

/** An immutable, canonical state path (S8). */
export class StatePath {
  /** The path as a canonical string, such as `/users/1`. */
  readonly path: string;
  #segments: readonly string[] | undefined;

  constructor(path: PathLike) {
    this.path = resolvePath(path);
  }

  /** Its segments, from the root down (`[]` for the root). */
  get segments(): readonly string[] {
    this.#segments ??= Object.freeze(splitPath(this.path));
    return this.#segments;
  }

  /** Its last segment (`''` for the root). */
  get name(): string {
    return this.path === '/' ? '' : this.path.slice(this.path.lastIndexOf('/') + 1);
  }

  /** The path one level up; the root is its own parent. */
  get parent(): StatePath {
    return this.isRoot ? this : new StatePath(parentOf(this.path));
  }

  /** Whether it is `/`. */
  get isRoot(): boolean {
    return this.path === '/';
  }

  /** Appends relative parts: `child('a/b')` adds two segments; a leading `/` does not restart at the root. */
  child(...parts: string[]): StatePath {
    return new StatePath(this.path + '/' + parts.join('/'));
  }

  /** The canonical string, as `path`. */
  toString(): string {
    return this.path;
  }
}

/** The root path, `/`. */
export const ROOT_PATH: StatePath = new StatePath('/');
