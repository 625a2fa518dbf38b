/*
 * Checks for what comes back from the graph webview: its messages and its saved state are plain JSON that
 * the extension did not produce, so they are validated before the typed code sees them. Free of vscode.
 */
import type { FromWebview, GraphWebviewState } from '../protocol';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Whether a message from the webview is one of FromWebview, with every field of the right type. */
export function isFromWebview(value: unknown): value is FromWebview {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return true;
    case 'open':
      return typeof value.id === 'string';
    case 'selectHost':
      return typeof value.hostId === 'string';
    case 'laidOut':
      return isCount(value.nodes) && isCount(value.edges) && isCount(value.ms);
    case 'select':
      return typeof value.id === 'string' || value.id === null;
    case 'define':
      return value.what === 'derive' || value.what === 'track';
    default:
      return false;
  }
}

/** Whether a restored webview state has the shape of GraphWebviewState, as far as its fields are present. */
export function isWebviewState(value: unknown): value is GraphWebviewState {
  if (!isRecord(value)) return false;
  if (value.hostId !== undefined && typeof value.hostId !== 'string') return false;
  if (value.filter !== undefined && typeof value.filter !== 'string') return false;
  if (value.selected !== undefined && typeof value.selected !== 'string') return false;
  if (value.run !== undefined && !isCount(value.run)) return false;
  const view = value.view;
  if (view === undefined) return true;
  return isRecord(view) && isCount(view.x) && isCount(view.y) && isCount(view.scale);
}
