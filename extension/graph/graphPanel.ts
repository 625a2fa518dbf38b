import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { DefinitionsManager } from '../definitions/definitions';
import type { LiveApps } from '../sources/liveApps';
import type { StateHosts } from '../sources/stateHost';
import type { FromWebview, GraphView, GraphWebviewState, HostChoice, RunView, ToWebview } from '../protocol';
import { diffGraphViews, isEmptyDiff } from './graphDiff';
import { AppGraphSubject, WorkspaceGraphSubject, type GraphSubject } from './graphSubject';
import { runViewsFor } from './runViews';
import { isFromWebview } from './webviewMessages';

export interface GraphPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly hosts: StateHosts;
  readonly definitions: DefinitionsManager;
  /** The running apps whose inspectors the explorer lists: each is a host the panel can show. */
  readonly apps?: LiveApps;
}

/** The last layout the webview reported. */
export interface LayoutReport {
  readonly nodes: number;
  readonly edges: number;
  readonly ms: number;
}

// Changes arrive in bursts (a derivation chain, a folder of files): one diff per burst.
const REFRESH_DELAY_MS = 30;
// The run list follows at once, but a busy derivation sends it at most once a frame.
const RUNS_INTERVAL_MS = 16;

/**
 * The dependency graph of one state folder, or of one running app, in a webview panel. There is at most one
 * panel; it follows one host (GraphSubject) at a time and can switch. After the webview says it is ready it gets the whole graph once, then only
 * diffs and flashes.
 */
export class GraphPanel implements vscode.Disposable {
  static readonly viewType = 'restate.graph';
  static #current: GraphPanel | undefined;

  static get current(): GraphPanel | undefined {
    return GraphPanel.#current;
  }

  static createOrShow(deps: GraphPanelDeps, hostId?: string): GraphPanel {
    const current = GraphPanel.#current;
    if (current) {
      current.#panel.reveal();
      if (hostId) current.#awaited = undefined;
      if (hostId && hostId !== current.#hostId) current.#switchTo(hostId);
      return current;
    }
    const panel = vscode.window.createWebviewPanel(GraphPanel.viewType, vscode.l10n.t('State Graph'), vscode.ViewColumn.Active, GraphPanel.#options(deps.extensionUri));
    return new GraphPanel(panel, deps, hostId);
  }

  /** Opens the graph of `hostId` with node `id` selected: its neighbourhood highlighted, its runs listed. */
  static showSelected(deps: GraphPanelDeps, hostId: string, id: string): GraphPanel {
    const panel = GraphPanel.createOrShow(deps, hostId);
    panel.#requestSelection(id);
    return panel;
  }

  /** Brings a panel back after a window reload, on the state folder it showed. */
  static revive(panel: vscode.WebviewPanel, deps: GraphPanelDeps, state: GraphWebviewState | undefined): GraphPanel {
    panel.webview.options = GraphPanel.#options(deps.extensionUri);
    return new GraphPanel(panel, deps, state?.hostId);
  }

  static #options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  readonly #panel: vscode.WebviewPanel;
  readonly #deps: GraphPanelDeps;
  readonly #disposables: vscode.Disposable[] = [];
  #hostDisposables: vscode.Disposable[] = [];
  #hostId: string | undefined;
  #subject: GraphSubject | undefined;
  /** The app the panel showed when it went away: shown again if it comes back (restarted) while the panel shows its root. */
  #awaited: { readonly rootId: string; readonly name: string } | undefined;
  #ready = false;
  #sent: GraphView | undefined;
  #flashes = new Set<string>();
  #lastFlash: readonly string[] = [];
  /** When the first of #flashes was noticed (Date.now()). */
  #flashesNoticedAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flashTimer: ReturnType<typeof setImmediate> | undefined;
  #lastLayout: LayoutReport | undefined;
  /** The node the webview has selected, as it last said. */
  #selected: string | undefined;
  /** A selection to send once the webview is ready. */
  #pendingSelection: string | undefined;
  #runsSent: readonly RunView[] = [];
  #runsSentAt = 0;
  #runsTimer: ReturnType<typeof setTimeout> | undefined;
  #detachRuns: (() => void) | undefined;
  readonly #onDidLayout = new vscode.EventEmitter<LayoutReport>();
  readonly onDidLayout = this.#onDidLayout.event;

  private constructor(panel: vscode.WebviewPanel, deps: GraphPanelDeps, hostId: string | undefined) {
    this.#panel = panel;
    this.#deps = deps;
    GraphPanel.#current = this;
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'restate.svg');
    panel.webview.html = this.#html();
    this.#disposables.push(
      this.#onDidLayout,
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down (retainContextWhenHidden is off); messages to it would be lost.
        if (!panel.visible) this.#ready = false;
      }),
      // retainContextWhenHidden is off: a shown-again webview starts over and says ready again.
      panel.webview.onDidReceiveMessage((message: unknown) => {
        // The webview is a separate, less trusted context: anything that is not a known message is dropped.
        if (isFromWebview(message)) this.#receive(message);
        else console.warn('[restate] [graph] dropped a malformed message from the webview', message);
      }),
      deps.hosts.onDidChangeHosts(() => this.#hostsChanged()),
      deps.definitions.onDidChange(() => this.#hostsChanged()),
    );
    if (deps.apps) this.#disposables.push({ dispose: deps.apps.onDidChangeApps(() => this.#hostsChanged()) });
    this.#switchTo(hostId ?? deps.hosts.all[0]?.id);
  }

  get hostId(): string | undefined {
    return this.#hostId;
  }

  get lastLayout(): LayoutReport | undefined {
    return this.#lastLayout;
  }

  /** The graph as the webview has it now (the last one sent). */
  get view(): GraphView | undefined {
    return this.#sent;
  }

  /** The ids of the last flash sent to the webview. */
  get lastFlash(): readonly string[] {
    return this.#lastFlash;
  }

  /** The node selected in the webview, as it last reported. */
  get selected(): string | undefined {
    return this.#selected;
  }

  /** The run list as last sent to the webview, newest first. */
  get runs(): readonly RunView[] {
    return this.#runsSent;
  }

  /** The workspace's state source, or the running app, that `id` names. */
  #subjectFor(id: string | undefined): GraphSubject | undefined {
    if (id === undefined) return undefined;
    const host = this.#deps.hosts.hostFor(id);
    if (host) return new WorkspaceGraphSubject(host, this.#deps.definitions);
    const app = this.#deps.apps?.appFor(id);
    return app && new AppGraphSubject(app, this.#deps.hosts.hostFor(app.rootId));
  }

  #switchTo(hostId: string | undefined): void {
    for (const disposable of this.#hostDisposables) disposable.dispose();
    this.#hostDisposables = [];
    this.#detachRuns?.();
    this.#detachRuns = undefined;
    this.#hostId = hostId;
    this.#sent = undefined;
    this.#selected = undefined;
    this.#runsSent = [];
    const subject = this.#subject = this.#subjectFor(hostId);
    this.#panel.title = subject ? vscode.l10n.t('State Graph: {0}', subject.label) : vscode.l10n.t('State Graph');
    if (subject) {
      this.#hostDisposables.push(subject.watch({
        flash: (ids) => {
          for (const id of ids) this.#noteFlash(id);
        },
        changed: () => {
          this.#attachRuns();
          this.#schedule();
        },
      }));
    }
    this.#attachRuns();
    if (this.#ready) this.#reset();
  }

  /** Follows the runs of the current host, once there is a log of them. */
  #attachRuns(): void {
    if (this.#detachRuns) return;
    const log = this.#subject?.trace;
    if (!log) return;
    this.#detachRuns = log.onRun((id, run) => {
      const selected = this.#selected;
      if (selected === undefined) return;
      const concerns = id === selected || run.triggerPath === selected || run.writes.some((write) => write.path === selected);
      // A run's chain may still wait for the run that set it off: that one's record comes when it ends.
      if (concerns || this.#runsSent.some((sent) => !sent.chain.complete)) this.#scheduleRuns();
    });
  }

  #scheduleRuns(): void {
    if (this.#runsTimer || !this.#ready) return;
    // Not sent from inside the trace listener: the run's controller call is still on the stack.
    this.#runsTimer = setTimeout(() => {
      this.#runsTimer = undefined;
      this.#sendRuns();
    }, Math.max(0, this.#runsSentAt + RUNS_INTERVAL_MS - Date.now()));
  }

  #sendRuns(): void {
    const selected = this.#selected;
    const log = this.#subject?.trace;
    if (selected === undefined) {
      this.#runsSent = [];
      return;
    }
    const node = this.#sent?.nodes.find((n) => n.id === selected);
    const kind = node?.kind ?? (selected.startsWith('/') ? 'path' : 'derivation');
    this.#runsSent = log ? runViewsFor(log, selected, kind) : [];
    this.#runsSentAt = Date.now();
    this.#post({ type: 'runs', subject: selected, runs: this.#runsSent, sentAt: this.#runsSentAt });
  }

  #requestSelection(id: string): void {
    if (this.#ready) this.#post({ type: 'select', id });
    else this.#pendingSelection = id;
  }

  /**
   * The hosts, the apps or the definitions changed. A host that went is replaced: an app that exited by its
   * state root, a state folder by the first one left.
   */
  #hostsChanged(): void {
    const gone = this.#hostId === undefined || (!this.#deps.hosts.hostFor(this.#hostId) && !this.#deps.apps?.appFor(this.#hostId));
    if (gone) {
      const subject = this.#subject;
      const root = subject instanceof AppGraphSubject && this.#deps.hosts.hostFor(subject.rootId) ? subject.rootId : undefined;
      this.#awaited = subject instanceof AppGraphSubject && root !== undefined ? { rootId: root, name: subject.name } : undefined;
      this.#switchTo(root ?? this.#deps.hosts.all[0]?.id);
      return;
    }
    const awaited = this.#awaited;
    const back = awaited !== undefined && this.#hostId === awaited.rootId
      ? this.#deps.apps?.appsOf(awaited.rootId).find((app) => app.name === awaited.name)
      : undefined;
    if (back !== undefined) {
      this.#awaited = undefined;
      this.#switchTo(back.id);
      return;
    }
    this.#post({ type: 'hosts', hosts: this.#choices(), trusted: this.#subject?.trusted ?? true });
    this.#attachRuns();
    this.#schedule();
  }

  /** Every state source, each followed by the running apps over it. */
  #choices(): HostChoice[] {
    const apps = this.#deps.apps;
    return this.#deps.hosts.all.flatMap((host) => [
      { id: host.id, label: host.label },
      ...(apps?.appsOf(host.id) ?? []).map((app) => ({ id: app.id, label: vscode.l10n.t('{0} › app {1}', host.label, app.label) })),
    ]);
  }

  #build(): GraphView {
    return this.#subject?.build() ?? { nodes: [], edges: [] };
  }

  #reset(): void {
    const subject = this.#subject;
    this.#sent = this.#build();
    this.#flashes.clear();
    this.#post({
      type: 'reset',
      host: subject ? { id: subject.id, label: subject.label } : { id: '', label: vscode.l10n.t('no state folder') },
      hosts: this.#choices(),
      trusted: subject?.trusted ?? true,
      graph: this.#sent,
    });
  }

  /**
   * A flash goes to the webview on its own, as soon as the changes noticed at the same time are collected:
   * it waits neither for the graph's next diff (REFRESH_DELAY_MS, then a build of the whole graph) nor for
   * the webview's layout, and touches only the nodes it names there.
   */
  #noteFlash(id: string): void {
    if (this.#flashes.size === 0) this.#flashesNoticedAt = Date.now();
    this.#flashes.add(id);
    // What flashed may have run or changed: its statistics follow in the next diff.
    this.#schedule();
    if (this.#flashTimer || !this.#ready) return;
    this.#flashTimer = setImmediate(() => {
      this.#flashTimer = undefined;
      this.#sendFlashes();
    });
  }

  #sendFlashes(): void {
    if (!this.#ready || this.#flashes.size === 0) return;
    this.#lastFlash = [...this.#flashes];
    this.#post({ type: 'flash', ids: this.#lastFlash, noticedAt: this.#flashesNoticedAt });
    this.#flashes.clear();
  }

  #schedule(): void {
    if (this.#timer || !this.#ready) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refresh();
    }, REFRESH_DELAY_MS);
  }

  #refresh(): void {
    if (!this.#ready) return;
    if (!this.#sent) {
      this.#reset();
      return;
    }
    const next = this.#build();
    const diff = diffGraphViews(this.#sent, next);
    this.#sent = next;
    if (!isEmptyDiff(diff)) this.#post({ type: 'diff', diff });
  }

  #receive(message: FromWebview): void {
    switch (message.type) {
      case 'ready':
        this.#ready = true;
        this.#reset();
        if (this.#pendingSelection !== undefined) {
          this.#post({ type: 'select', id: this.#pendingSelection });
          this.#pendingSelection = undefined;
        }
        return;
      case 'select':
        this.#selected = message.id ?? undefined;
        clearTimeout(this.#runsTimer);
        this.#runsTimer = undefined;
        this.#sendRuns();
        return;
      case 'define':
        void vscode.commands.executeCommand(message.what === 'derive' ? 'restate.derive' : 'restate.track');
        return;
      case 'open':
        this.#open(message.id).catch((error: unknown) => {
          console.error('[restate] [graph] cannot open', message.id, error);
          void vscode.window.showErrorMessage(vscode.l10n.t('Cannot open {0}: {1}', message.id, error instanceof Error ? error.message : String(error)));
        });
        return;
      case 'selectHost':
        // The user chose: an app that went away is no longer waited for.
        this.#awaited = undefined;
        this.#switchTo(message.hostId);
        return;
      case 'laidOut':
        this.#lastLayout = { nodes: message.nodes, edges: message.edges, ms: message.ms };
        this.#onDidLayout.fire(this.#lastLayout);
        return;
      default: {
        const unknown: never = message;
        console.warn('[restate] [graph] unknown message from the webview', unknown);
      }
    }
  }

  async #open(id: string): Promise<void> {
    await this.#subject?.open(id);
  }

  #post(message: ToWebview): void {
    if (this.#ready) void this.#panel.webview.postMessage(message);
  }

  #html(): string {
    const webview = this.#panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const t = (text: string): string => escapeHtml(vscode.l10n.t(text));
    const media = (...path: string[]): vscode.Uri => webview.asWebviewUri(vscode.Uri.joinPath(this.#deps.extensionUri, 'media', ...path));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      // The page lays the graph out in a web worker started from a blob URL (webview/layoutWorker.ts).
      'worker-src blob:',
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('graph.css').toString()}">
<title>${escapeHtml(vscode.l10n.t('State Graph'))}</title>
</head>
<body>
<header class="toolbar">
  <select id="host" aria-label="${escapeHtml(vscode.l10n.t('state folder'))}"></select>
  <input id="filter" type="search" placeholder="${escapeHtml(vscode.l10n.t('Filter nodes'))}" aria-label="${escapeHtml(vscode.l10n.t('filter nodes'))}">
  <button id="fit" type="button" title="${escapeHtml(vscode.l10n.t('Fit the graph into view'))}">${escapeHtml(vscode.l10n.t('Fit'))}</button>
  <span id="status" role="status"></span>
</header>
<div id="banner" class="banner" hidden></div>
<main class="panes">
  <div class="graph-area">
    <div id="graph" role="img" aria-label="${t('state graph')}"><div id="stage"><svg id="drawing"><g id="viewport"><g id="edges"></g><g id="nodes"></g></g></svg></div></div>
    <div id="empty" class="empty" hidden>
      <p>${t('No derivations or tracked computations in this state folder yet. Define one, and it shows here with the paths it reads and writes.')}</p>
      <div class="empty-actions">
        <button type="button" data-define="derive">${t('Derive…')}</button>
        <button type="button" data-define="track">${t('Track…')}</button>
      </div>
    </div>
    <ul id="legend" class="legend" aria-label="${t('legend')}">
      <li data-kind="source"><svg class="legend-line" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" class="edge kind-source"/></svg>${t('source → derivation')}</li>
      <li data-kind="dest"><svg class="legend-line" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" class="edge kind-dest"/></svg>${t('derivation → its value')}</li>
      <li data-kind="read"><svg class="legend-line" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" class="edge kind-read"/></svg>${t('read by a tracker (last run)')}</li>
      <li data-kind="write"><svg class="legend-line" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" class="edge kind-write"/></svg>${t('written by a tracker')}</li>
      <li data-kind="chain"><svg class="legend-line" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" class="edge chain"/></svg>${t('cause chain of the chosen run')}</li>
    </ul>
  </div>
  <aside id="details" class="details" aria-label="${t('trace')}" hidden>
    <header class="details-head">
      <h2 id="details-title"></h2>
      <button id="details-close" type="button" class="icon" title="${t('Clear the selection (Escape)')}" aria-label="${t('clear selection')}">×</button>
    </header>
    <p id="details-summary" class="summary"></p>
    <button id="details-open" type="button"></button>
    <h3>${t('Recent runs')}</h3>
    <p id="runs-empty" class="hint">${t('No run logged yet: change something it depends on to see one.')}</p>
    <ol id="runs" class="runs" aria-label="${t('recent runs')}"></ol>
  </aside>
</main>
<script nonce="${nonce}" src="${media('dist', 'webview.js').toString()}"></script>
</body>
</html>`;
  }

  #disposed = false;

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (GraphPanel.#current === this) GraphPanel.#current = undefined;
    clearTimeout(this.#timer);
    clearImmediate(this.#flashTimer);
    clearTimeout(this.#runsTimer);
    this.#detachRuns?.();
    for (const disposable of this.#hostDisposables) disposable.dispose();
    for (const disposable of this.#disposables) disposable.dispose();
    this.#panel.dispose();
  }
}

/** Escapes text for HTML content and double-quoted attributes (translations may contain any character). */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
