/*
 * Path composition for the vscode.workspace.fs file adapter, on URI strings (`file:///ws/.state/a.json`,
 * `vscode-remote://…`). Names are percent-encoded on the way in and decoded on the way out, so any name
 * the backend hands over (spaces, `#`, `%`, Unicode) survives the round trip through vscode.Uri.parse.
 * Kept free of vscode so it is tested in plain Node.
 */

export function joinUri(dir: string, name: string): string {
  return `${dir.endsWith('/') ? dir.slice(0, -1) : dir}/${encodeURIComponent(name)}`;
}

export function dirnameUri(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const schemeEnd = trimmed.indexOf('://');
  const pathStart = schemeEnd < 0 ? 0 : trimmed.indexOf('/', schemeEnd + 3);
  const cut = trimmed.lastIndexOf('/');
  // Never climb past the authority: the dirname of `file:///a` is `file:///`.
  if (pathStart < 0 || cut <= pathStart) return pathStart < 0 ? `${trimmed}/` : trimmed.slice(0, pathStart + 1);
  return trimmed.slice(0, cut);
}

export function basenameUri(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return decodeURIComponent(trimmed.slice(trimmed.lastIndexOf('/') + 1));
}
