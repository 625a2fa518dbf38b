import * as vscode from 'vscode';
import { EMPTY_DEFINITIONS } from '../definitions/config';
import type { DefinitionsManager } from '../definitions/definitions';
import type { TraceLog } from '../sources/traceLog';
import type { LiveApp } from '../sources/liveApps';
import type { StateHost } from '../sources/stateHost';
import type { GraphView } from '../protocol';
import { buildGraphView } from './graphModel';

/** What a subject tells the panel that shows it. */
export interface GraphSubjectListener {
  /** Nodes that just changed (paths) or ran (derivations, trackers). */
  flash(ids: readonly string[]): void;
  /** The graph, its statistics or its run log may have changed (besides what the definitions file changes). */
  changed(): void;
}

/**
 * What the graph panel can show: a state source of the workspace with the definitions that run over it, or
 * a running app seen through its inspector. The panel switches between subjects by id.
 */
export interface GraphSubject {
  readonly id: string;
  readonly label: string;
  /** False shows the Restricted Mode banner: the workspace's definitions are listed but do not run. */
  readonly trusted: boolean;
  build(): GraphView;
  /** The recent runs, once there is a log of them. */
  readonly trace: TraceLog | undefined;
  watch(listener: GraphSubjectListener): vscode.Disposable;
  /** A double click on a node: reveal a path, open a definition. */
  open(id: string): Promise<void>;
}

/** A state folder or Redis root of the workspace, with the derivations and trackers of `.vscode/restate.jsonc`. */
export class WorkspaceGraphSubject implements GraphSubject {
  constructor(private readonly host: StateHost, private readonly definitions: DefinitionsManager) {}

  get id(): string {
    return this.host.id;
  }

  get label(): string {
    return this.host.label;
  }

  get trusted(): boolean {
    return this.definitions.trusted;
  }

  get trace(): TraceLog | undefined {
    return this.definitions.forHost(this.host.id)?.trace;
  }

  build(): GraphView {
    const runner = this.definitions.forHost(this.host.id)?.runner;
    return buildGraphView(this.host.controller.graph(), this.definitions.definitionsOf(this.host.workspaceFolder), (id) => runner?.definitionIdOf(id), (id) => runner?.ranAheadMs(id));
  }

  watch(listener: GraphSubjectListener): vscode.Disposable {
    const host = this.host;
    const detach = host.controller.onTrace((record) => {
      if (record.kind !== 'derive-run' && record.kind !== 'track-run') return;
      const id = record.kind === 'track-run' ? this.definitions.forHost(host.id)?.runner.definitionIdOf(record.id) ?? record.id : record.id;
      listener.flash([id]);
    });
    return vscode.Disposable.from(
      { dispose: detach },
      host.onDidChangeState((changes) => listener.flash(changes.map((change) => change.path))),
    );
  }

  async open(id: string): Promise<void> {
    if (id.startsWith('/')) {
      await vscode.commands.executeCommand('restate.reveal', this.host.id, id);
      return;
    }
    const location = this.definitions.locate(this.host.workspaceFolder, id);
    if (!location) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is not defined in .vscode/restate.jsonc (it was registered by other code).', id));
      return;
    }
    await vscode.window.showTextDocument(location.uri, { selection: location.range, viewColumn: vscode.ViewColumn.Beside });
  }
}

/** A running app that opened an inspector over a state root: its own derivations and trackers, read-only. */
export class AppGraphSubject implements GraphSubject {
  constructor(private readonly app: LiveApp, private readonly root: StateHost | undefined) {}

  get id(): string {
    return this.app.id;
  }

  get label(): string {
    return this.app.label;
  }

  /** The name the app gave itself: a restarted app has the same. */
  get name(): string {
    return this.app.name;
  }

  /** The state root the app works on. */
  get rootId(): string {
    return this.app.rootId;
  }

  get trusted(): boolean {
    // Nothing of the workspace runs for an app's graph: it is only read.
    return true;
  }

  get trace(): TraceLog | undefined {
    return this.app.trace;
  }

  build(): GraphView {
    return buildGraphView(this.app.graph, EMPTY_DEFINITIONS, () => undefined, undefined, this.app.owner);
  }

  watch(listener: GraphSubjectListener): vscode.Disposable {
    const detachTrace = this.app.onTrace((record) => {
      if (record.kind === 'derive-run' || record.kind === 'track-run') listener.flash([record.id]);
      else if (record.kind === 'set' || record.kind === 'delete' || record.kind === 'ping') listener.flash([record.path]);
    });
    const detachGraph = this.app.onDidChangeGraph(() => listener.changed());
    // The app sends its graph and trace only while it is followed: while the panel shows it.
    const unfollow = this.app.follow();
    return { dispose: () => { unfollow(); detachTrace(); detachGraph(); } };
  }

  async open(id: string): Promise<void> {
    if (id.startsWith('/') && this.root) {
      await vscode.commands.executeCommand('restate.reveal', this.root.id, id);
      return;
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is defined in the code of {1}.', id, this.app.label));
  }
}
