/**
 * Where local inspectors live: a per-user runtime directory that holds each app's socket and its
 * announcement file. Nothing is ever written inside a state folder.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, unlinkSync, type Stats } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { RestateUsageError } from '../errors';
import { decodeAnnouncement, MAX_MESSAGE_BYTES, type InspectAnnouncement } from './protocol';

const COMPONENT = 'inspect';
export const ANNOUNCEMENT_SUFFIX = '.json';
export const SOCKET_SUFFIX = '.sock';
const isWindows = process.platform === 'win32';

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** `$XDG_RUNTIME_DIR/restate-inspect`, else `<tmpdir>/restate-inspect-<uid>`. */
export function runtimeDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (!isWindows && runtime !== undefined && runtime !== '' && runtime.startsWith('/')) return join(runtime, 'restate-inspect');
  const uid = currentUid();
  return join(tmpdir(), uid === undefined ? 'restate-inspect' : `restate-inspect-${uid}`);
}

/** Why `stats` (of the runtime directory) cannot be trusted, or undefined when it is ours alone. */
function untrustedDirectory(stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) return 'is a symbolic link';
  if (!stats.isDirectory()) return 'is not a directory';
  const uid = currentUid();
  if (uid !== undefined && stats.uid !== uid) return `is owned by user ${stats.uid}, not by this user (${uid})`;
  if (!isWindows && (stats.mode & 0o077) !== 0) return `can be used by other users (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Creates the runtime directory (mode 0700) if needed and checks that it is this user's alone; throws otherwise. */
export function ensureRuntimeDirectory(directory = runtimeDirectory()): string {
  try {
    mkdirSync(dirname(directory), { recursive: true });
    mkdirSync(directory, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new RestateUsageError(COMPONENT, `cannot create the inspector directory ${directory}: ${(error as Error).message}`, { cause: error });
    }
  }
  const problem = untrustedDirectory(lstatSync(directory));
  if (problem !== undefined) throw new RestateUsageError(COMPONENT, `the inspector directory ${directory} ${problem}; refusing to put a socket there`);
  return directory;
}

/** The runtime directory if it exists and is this user's alone, else undefined (nothing there to trust). */
export function trustedRuntimeDirectory(directory = runtimeDirectory()): string | undefined {
  try {
    return untrustedDirectory(lstatSync(directory)) === undefined ? directory : undefined;
  } catch {
    return undefined;
  }
}

/** The real path of a state folder; throws a clear error when it does not exist. */
export function stateFolderRealPath(folder: string): string {
  try {
    return realpathSync(folder);
  } catch (error) {
    throw new RestateUsageError(COMPONENT, `cannot inspect the state folder ${folder}: ${(error as Error).message}`, { cause: error });
  }
}

/** The key of a state folder's announcements: a hash of its real path. */
export function folderKey(realPath: string): string {
  return createHash('sha256').update(realPath).digest('hex').slice(0, 16);
}

/** Whether a process with this id runs (on this machine). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The live announcements of `folder`'s inspectors, oldest first. A file counts only if it sits in the trusted
 * runtime directory, is a regular file owned by this user, names the folder's real path, runs on this host, has
 * its socket in that same directory, and its process is alive; one whose process died is removed with its socket.
 */
export function readAnnouncements(folder: string, directory = runtimeDirectory()): InspectAnnouncement[] {
  let realPath: string;
  try {
    realPath = realpathSync(folder);
  } catch {
    return [];
  }
  const trusted = trustedRuntimeDirectory(directory);
  if (trusted === undefined) return [];
  const key = folderKey(realPath);
  let names: string[];
  try {
    names = readdirSync(trusted);
  } catch {
    return [];
  }
  const found: InspectAnnouncement[] = [];
  for (const name of names) {
    if (!name.startsWith(`${key}-`) || !name.endsWith(ANNOUNCEMENT_SUFFIX)) continue;
    const file = join(trusted, name);
    const announcement = readAnnouncementFile(file);
    if (announcement === undefined || announcement.stateFolder !== realPath || announcement.host !== hostname()) continue;
    if (!socketBelongsHere(announcement, trusted, key)) continue;
    if (!processAlive(announcement.pid)) {
      removeQuietly(file);
      if (announcement.transport === 'unix') removeQuietly(announcement.address);
      continue;
    }
    found.push(announcement);
  }
  return found.sort((a, b) => a.started - b.started || a.pid - b.pid);
}

function readAnnouncementFile(file: string): InspectAnnouncement | undefined {
  try {
    const stats = lstatSync(file);
    const uid = currentUid();
    if (!stats.isFile() || (uid !== undefined && stats.uid !== uid) || stats.size > MAX_MESSAGE_BYTES) return undefined;
    return decodeAnnouncement(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function socketBelongsHere(announcement: InspectAnnouncement, directory: string, key: string): boolean {
  if (announcement.transport === 'pipe') return isWindows && announcement.address.startsWith(`\\\\.\\pipe\\restate-inspect-${key}-`);
  if (announcement.transport !== 'unix') return false;
  if (dirname(announcement.address) !== directory || !basename(announcement.address).startsWith(`${key}-`)) return false;
  try {
    const stats = lstatSync(announcement.address);
    const uid = currentUid();
    return stats.isSocket() && (uid === undefined || stats.uid === uid);
  } catch {
    return false;
  }
}

export function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone, or not ours to remove.
  }
}
