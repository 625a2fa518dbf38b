import { applyGraphDiff } from '../extension/graph/graphDiff';
import type { FromWebview, GraphView, GraphViewEdge, GraphViewNode, GraphWebviewState, HostChoice, ToWebview } from '../extension/protocol';
import { layoutGraph } from './layout';
import type { GraphLayout } from './layout';

// The graph panel's page: keeps the graph the host sent, lays it out with elkjs when nodes or edges come or
// go, draws it as SVG, and flashes nodes the host reports. Zoom, pan and the filter are saved with
// vscode.setState, so the view survives being hidden and a window reload.

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): GraphWebviewState | undefined;
  setState(state: GraphWebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';

function element<K extends keyof HTMLElementTagNameMap>(id: string, tag: K): HTMLElementTagNameMap[K] {
  const found = document.getElementById(id);
  if (!(found instanceof HTMLElement) || found.tagName.toLowerCase() !== tag) throw new Error(`the page lacks #${id}`);
  return found as HTMLElementTagNameMap[K];
}

function svgElement(id: string): SVGGElement | SVGSVGElement {
  const found = document.getElementById(id);
  if (!(found instanceof SVGGElement) && !(found instanceof SVGSVGElement)) throw new Error(`the page lacks #${id}`);
  return found;
}

const svg = svgElement('graph') as SVGSVGElement;
const viewport = svgElement('viewport') as SVGGElement;
const edgeLayer = svgElement('edges') as SVGGElement;
const nodeLayer = svgElement('nodes') as SVGGElement;
const hostSelect = element('host', 'select');
const filterInput = element('filter', 'input');
const fitButton = element('fit', 'button');
const status = element('status', 'span');
const banner = element('banner', 'div');

let state: GraphWebviewState = vscode.getState() ?? {};
let graph: GraphView = { nodes: [], edges: [] };
let layout: GraphLayout | undefined;
let view = state.view ?? { x: 0, y: 0, scale: 1 };
const nodeElements = new Map<string, SVGGElement>();
const edgeElements = new Map<string, SVGPathElement>();
// Layouts are asynchronous: a newer request makes an older result stale.
let layoutGeneration = 0;

function saveState(patch: Partial<GraphWebviewState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

function applyView(): void {
  viewport.setAttribute('transform', `translate(${view.x} ${view.y}) scale(${view.scale})`);
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function viewChanged(): void {
  applyView();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => saveState({ view }), 150);
}

function fit(): void {
  if (!layout || layout.width === 0) return;
  const bounds = svg.getBoundingClientRect();
  const scale = Math.min(2, Math.max(0.05, Math.min(bounds.width / layout.width, bounds.height / layout.height)));
  view = { scale, x: (bounds.width - layout.width * scale) / 2, y: (bounds.height - layout.height * scale) / 2 };
  viewChanged();
}

// Drawing

function svgChild<K extends keyof SVGElementTagNameMap>(parent: Element, tag: K, attributes: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const child = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) child.setAttribute(name, value);
  parent.appendChild(child);
  return child;
}

function statsText(node: GraphViewNode): string {
  if (node.inactive) return 'not running';
  const last = node.lastRunMs === null ? '' : ` · ${node.lastRunMs.toFixed(1)} ms`;
  return `${node.runCount} run${node.runCount === 1 ? '' : 's'}${last}${node.lastError ? ' · error' : ''}`;
}

function nodeClasses(node: GraphViewNode): string {
  return ['node', `kind-${node.kind}`, node.lastError ? 'error' : '', node.inactive ? 'inactive' : ''].filter(Boolean).join(' ');
}

function describeNode(node: GraphViewNode): string {
  if (node.kind === 'path') return `state ${node.label}`;
  const kind = node.kind === 'derivation' ? 'derivation' : 'tracker';
  return `${kind} ${node.label}, ${statsText(node)}${node.lastError ? `: ${node.lastError}` : ''}`;
}

/** Fills a node's group from its data; used when it is drawn and when its statistics change. */
function fillNode(group: SVGGElement, node: GraphViewNode, width: number, height: number): void {
  group.replaceChildren();
  group.setAttribute('class', nodeClasses(node));
  group.setAttribute('aria-label', describeNode(node));
  svgChild(group, 'title').textContent = node.lastError ? `${node.label}\n${node.lastError}` : node.label;
  svgChild(group, 'rect', { width: String(width), height: String(height), rx: node.kind === 'path' ? '13' : '4' });
  const label = svgChild(group, 'text', { x: '10', y: node.kind === 'path' ? '17' : '16', class: 'label' });
  label.textContent = node.label;
  if (node.kind !== 'path') {
    svgChild(group, 'text', { x: '10', y: '32', class: 'stats' }).textContent = statsText(node);
  }
}

function edgePath(points: readonly { x: number; y: number }[]): string {
  return points.map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x.toFixed(1)} ${point.y.toFixed(1)}`).join(' ');
}

function draw(): void {
  edgeLayer.replaceChildren();
  nodeLayer.replaceChildren();
  nodeElements.clear();
  edgeElements.clear();
  if (!layout) return;
  for (const edge of graph.edges) {
    const points = layout.edges.get(edge.id);
    if (!points || points.length < 2) continue;
    const path = svgChild(edgeLayer, 'path', { d: edgePath(points), class: `edge kind-${edge.kind}`, 'marker-end': 'url(#arrow)', 'data-id': edge.id });
    edgeElements.set(edge.id, path);
  }
  for (const node of graph.nodes) {
    const box = layout.nodes.get(node.id);
    if (!box) continue;
    const group = svgChild(nodeLayer, 'g', { transform: `translate(${box.x} ${box.y})`, role: 'button', tabindex: '0', 'data-id': node.id });
    fillNode(group, node, box.width, box.height);
    nodeElements.set(node.id, group);
  }
  applyFilter();
}

function updateNode(node: GraphViewNode): void {
  const group = nodeElements.get(node.id);
  const box = layout?.nodes.get(node.id);
  if (group && box) {
    fillNode(group, node, box.width, box.height);
    applyFilterTo(node.id, group);
  }
}

async function relayout(): Promise<void> {
  const generation = ++layoutGeneration;
  const started = performance.now();
  const next = await layoutGraph(graph);
  if (generation !== layoutGeneration) return;
  const ms = performance.now() - started;
  const first = layout === undefined;
  layout = next;
  draw();
  status.textContent = `${graph.nodes.length} nodes · ${graph.edges.length} edges`;
  post({ type: 'laidOut', nodes: graph.nodes.length, edges: graph.edges.length, ms });
  if (first && !state.view) fit();
}

// Filter: non-matching nodes and the edges between them are dimmed, so the structure stays readable.

function filterText(): string {
  return filterInput.value.trim().toLowerCase();
}

function matches(id: string): boolean {
  const text = filterText();
  if (!text) return true;
  const node = graph.nodes.find((n) => n.id === id);
  return (node?.label ?? id).toLowerCase().includes(text) || id.toLowerCase().includes(text);
}

function applyFilterTo(id: string, group: SVGGElement): void {
  group.classList.toggle('dim', !matches(id));
}

function applyFilter(): void {
  const matched = new Set<string>();
  for (const [id, group] of nodeElements) {
    const hit = matches(id);
    group.classList.toggle('dim', !hit);
    if (hit) matched.add(id);
  }
  const byId = new Map<string, GraphViewEdge>(graph.edges.map((edge) => [edge.id, edge]));
  for (const [id, path] of edgeElements) {
    const edge = byId.get(id);
    path.classList.toggle('dim', !edge || (!matched.has(edge.from) && !matched.has(edge.to)));
  }
}

// Flashing: the animation restarts on each flash; data-flashes counts them, for whoever inspects the page.

function flash(ids: readonly string[]): void {
  for (const id of ids) {
    const group = nodeElements.get(id);
    if (!group) continue;
    group.classList.remove('flash');
    // Reading the layout between remove and add restarts the CSS animation.
    void group.getBoundingClientRect();
    group.classList.add('flash');
    group.dataset.flashes = String(Number(group.dataset.flashes ?? '0') + 1);
  }
}

function setHosts(hosts: readonly HostChoice[], current: string | undefined): void {
  hostSelect.replaceChildren(...hosts.map((host) => {
    const option = document.createElement('option');
    option.value = host.id;
    option.textContent = host.label;
    option.selected = host.id === current;
    return option;
  }));
  hostSelect.hidden = hosts.length <= 1;
}

function setTrusted(trusted: boolean): void {
  banner.hidden = trusted;
  banner.textContent = trusted ? '' : 'Restricted Mode: the definitions are shown, but their transforms and tracked expressions do not run until you trust this workspace.';
}

function receive(message: ToWebview): void {
  switch (message.type) {
    case 'reset':
      if (state.hostId !== message.host.id) {
        // Another state folder: its own view, fitted afresh.
        saveState({ hostId: message.host.id, view: undefined });
        layout = undefined;
      }
      graph = message.graph;
      setHosts(message.hosts, message.host.id);
      setTrusted(message.trusted);
      void relayout();
      return;
    case 'diff': {
      const structural = message.diff.addedNodes.length + message.diff.removedNodes.length + message.diff.addedEdges.length + message.diff.removedEdges.length > 0;
      graph = applyGraphDiff(graph, message.diff);
      if (structural) void relayout();
      else for (const node of message.diff.changedNodes) updateNode(node);
      return;
    }
    case 'flash':
      flash(message.ids);
      return;
    case 'hosts':
      setHosts(message.hosts, state.hostId);
      setTrusted(message.trusted);
      return;
    default: {
      const unknown: never = message;
      console.warn('unknown message', unknown);
    }
  }
}

// Input: wheel zooms about the pointer, dragging the background pans, clicking a node opens it.

svg.addEventListener('wheel', (event) => {
  event.preventDefault();
  const bounds = svg.getBoundingClientRect();
  const px = event.clientX - bounds.left;
  const py = event.clientY - bounds.top;
  const scale = Math.min(4, Math.max(0.05, view.scale * Math.exp(-event.deltaY * 0.0015)));
  view = { scale, x: px - ((px - view.x) * scale) / view.scale, y: py - ((py - view.y) * scale) / view.scale };
  viewChanged();
}, { passive: false });

let drag: { x: number; y: number; startX: number; startY: number; pointer: number } | undefined;
svg.addEventListener('pointerdown', (event) => {
  if ((event.target as Element).closest('.node')) return;
  drag = { x: view.x, y: view.y, startX: event.clientX, startY: event.clientY, pointer: event.pointerId };
  svg.setPointerCapture(event.pointerId);
  svg.classList.add('panning');
});
svg.addEventListener('pointermove', (event) => {
  if (!drag || event.pointerId !== drag.pointer) return;
  view = { ...view, x: drag.x + event.clientX - drag.startX, y: drag.y + event.clientY - drag.startY };
  viewChanged();
});
const endDrag = (): void => {
  drag = undefined;
  svg.classList.remove('panning');
};
svg.addEventListener('pointerup', endDrag);
svg.addEventListener('pointercancel', endDrag);

function nodeIdOf(target: EventTarget | null): string | undefined {
  return target instanceof Element ? target.closest<SVGGElement>('.node')?.dataset.id : undefined;
}
nodeLayer.addEventListener('click', (event) => {
  const id = nodeIdOf(event.target);
  if (id) post({ type: 'open', id });
});
nodeLayer.addEventListener('keydown', (event) => {
  const id = nodeIdOf(event.target);
  if (id && (event.key === 'Enter' || event.key === ' ')) {
    event.preventDefault();
    post({ type: 'open', id });
  }
});

fitButton.addEventListener('click', fit);
filterInput.value = state.filter ?? '';
filterInput.addEventListener('input', () => {
  applyFilter();
  saveState({ filter: filterInput.value });
});
hostSelect.addEventListener('change', () => post({ type: 'selectHost', hostId: hostSelect.value }));

const defs = svgChild(svg, 'defs');
const marker = svgChild(defs, 'marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
svgChild(marker, 'path', { d: 'M0 0 L10 5 L0 10 z', class: 'arrow' });
applyView();

window.addEventListener('message', (event: MessageEvent<ToWebview>) => receive(event.data));
post({ type: 'ready' });
