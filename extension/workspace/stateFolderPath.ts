/*
 * The containment check for `restate.stateFolders` entries. The setting can come from the workspace's own
 * .vscode/settings.json, so an entry such as `../../etc` must not let a folder outside the workspace be read
 * and written as state. Kept free of vscode (and of node:path, for the web host) so it is tested in plain Node.
 */

/**
 * Whether a configured state folder, a path relative to its workspace folder, stays inside it: not absolute
 * (`/x`, `\x`, `C:x`, `scheme://x`) and never climbing above the workspace folder once `.` and `..` are resolved.
 * Backslashes count as separators too, since a Windows path in the setting is joined as one.
 */
export function isInsideWorkspaceFolder(relativePath: string): boolean {
  const path = relativePath.trim().replace(/\\/g, '/');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) return false;
  let depth = 0;
  for (const segment of path.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '' && segment !== '.') depth++;
    if (depth < 0) return false;
  }
  return true;
}
