import { applyGraphDiff } from '../extension/graph/graphDiff';
import type { FromWebview, GraphView, GraphViewEdge, GraphViewNode, GraphWebviewState, HostChoice, RunView, ToWebview } from '../extension/protocol';
import { fitText, fittedView, layoutGraph } from './layout';
import type { GraphLayout } from './layout';
import { workerLayoutEngine } from './layoutWorker';
import { chainOnGraph, neighbourhoodOf } from './neighbourhood';

// The graph panel's page: keeps the graph the host sent, lays it out with elkjs when nodes or edges come or
// go, draws it as SVG, and flashes nodes the host reports. A selected node shows what it depends on and what
// depends on it, and the side panel lists its recent runs; a selected run draws its cause chain. Zoom, pan,
// the filter and the selection are saved with vscode.setState, so they survive being hidden and a reload.

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

// #graph is the panel, which takes the input and carries the page's data-* marks; #stage holds the drawing and
// is moved and scaled by a CSS transform, on a layer of its own (will-change in graph.css): panning and zooming
// then only move that layer, instead of laying out and painting thousands of SVG elements again each frame.
const graphPanel = element('graph', 'div');
const stage = element('stage', 'div');
const drawing = svgElement('drawing') as SVGSVGElement;
const edgeLayer = svgElement('edges') as SVGGElement;
const nodeLayer = svgElement('nodes') as SVGGElement;
const hostSelect = element('host', 'select');
const filterInput = element('filter', 'input');
const fitButton = element('fit', 'button');
const status = element('status', 'span');
const banner = element('banner', 'div');
const emptyHint = element('empty', 'div');
const details = element('details', 'aside');
const detailsTitle = element('details-title', 'h2');
const detailsSummary = element('details-summary', 'p');
const detailsOpen = element('details-open', 'button');
const detailsClose = element('details-close', 'button');
const runList = element('runs', 'ol');
const runsEmpty = element('runs-empty', 'p');

let state: GraphWebviewState = vscode.getState() ?? {};
let graph: GraphView = { nodes: [], edges: [] };
// The nodes of `graph` by id, made again whenever `graph` is replaced.
let nodesById = new Map<string, GraphViewNode>();
let layout: GraphLayout | undefined;
let view = state.view ?? { x: 0, y: 0, scale: 1 };
// Until the user pans or zooms, the graph stays fitted to the panel, whatever its size does.
let autoFit = state.view === undefined;
const nodeElements = new Map<string, SVGGElement>();
const edgeElements = new Map<string, SVGPathElement>();
// Layouts are asynchronous, in a web worker: a newer request makes an older result stale.
let layoutGeneration = 0;
const layoutEngine = workerLayoutEngine();
let runs: readonly RunView[] = [];
// When each run was first sent and shown, by seq, for whoever measures how quickly runs appear.
const runShownAt = new Map<number, { sentAt: number; shownAt: number }>();
let runsSentAt = 0;

function saveState(patch: Partial<GraphWebviewState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

function setGraph(next: GraphView): void {
  graph = next;
  nodesById = new Map(next.nodes.map((node) => [node.id, node]));
}

function nodeOf(id: string): GraphViewNode | undefined {
  return nodesById.get(id);
}

// View: pan and zoom

function applyView(): void {
  stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  graphPanel.dataset.scale = view.scale.toFixed(3);
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** The user moved the view: it is theirs now, and saved. */
function viewMoved(): void {
  autoFit = false;
  applyView();
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => saveState({ view }), 150);
}

// The panel's size and place, as the ResizeObserver last told: reading them from the page instead would make it
// lay out whatever changed first, which with thousands of elements can take as long as a frame or more.
let panelBounds: { left: number; top: number; width: number; height: number } | undefined;

function panel(): { left: number; top: number; width: number; height: number } {
  panelBounds ??= graphPanel.getBoundingClientRect();
  return panelBounds;
}

function fit(): void {
  if (!layout) return;
  const bounds = panel();
  const fitted = fittedView(bounds, layout);
  if (!fitted) return;
  view = fitted;
  applyView();
  clearTimeout(saveTimer);
  saveState({ view: undefined });
}

new ResizeObserver(() => {
  panelBounds = graphPanel.getBoundingClientRect();
  if (autoFit) fit();
}).observe(graphPanel);

// Text: measured in the font the nodes use, so node boxes fit their labels and the stats line fits its box.

const measureContext = document.createElement('canvas').getContext('2d');
const measured = new Map<string, number>();
let measureFonts: { label: string; stats: string } | undefined;

function fontOf(className: string): string {
  const group = svgChild(nodeLayer, 'g', { class: 'node kind-derivation', visibility: 'hidden' });
  const text = svgChild(group, 'text', { class: className });
  const style = getComputedStyle(text);
  const font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  group.remove();
  return font;
}

function textWidth(text: string, kind: 'label' | 'stats'): number {
  measureFonts ??= { label: fontOf('label'), stats: fontOf('stats') };
  const key = `${kind}\u0000${text}`;
  let width = measured.get(key);
  if (width === undefined) {
    if (measureContext) {
      measureContext.font = measureFonts[kind];
      width = measureContext.measureText(text).width;
    } else {
      width = text.length * 7.5;
    }
    measured.set(key, width);
  }
  return width;
}

const TEXT_X = 10;
const MIN_TEXT_WIDTH = { path: 24, runner: 0 };
const MAX_TEXT_WIDTH = 300;

function nodeBoxSize(node: GraphViewNode): { width: number; height: number } {
  const label = textWidth(node.label, 'label');
  // A derivation or tracker box is wide enough for a typical stats line, so it does not change width as runs count up.
  const stats = node.kind === 'path' ? MIN_TEXT_WIDTH.path : textWidth('000 runs · 00.0 ms', 'stats');
  const text = Math.min(MAX_TEXT_WIDTH, Math.max(label, stats));
  return { width: Math.ceil(text + 2 * TEXT_X), height: node.kind === 'path' ? 26 : 40 };
}

// Drawing

function svgChild<K extends keyof SVGElementTagNameMap>(parent: Element | DocumentFragment, tag: K, attributes: Record<string, string> = {}): SVGElementTagNameMap[K] {
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
  return ['node', `kind-${node.kind}`, node.lastError ? 'error' : '', node.inactive ? 'inactive' : '', node.owner === undefined ? '' : 'owned'].filter(Boolean).join(' ');
}

function describeNode(node: GraphViewNode): string {
  if (node.kind === 'path') return `state ${node.label}`;
  const kind = node.kind === 'derivation' ? 'derivation' : 'tracker';
  return `${kind} ${node.label}, ${statsText(node)}${node.lastError ? `: ${node.lastError}` : ''}${node.owner === undefined ? '' : `, runs in ${node.owner}`}`;
}

/** Text for XML markup: content or a double-quoted attribute value. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function nodeTitle(node: GraphViewNode): string {
  return [node.label, node.owner === undefined ? '' : `runs in ${node.owner}`, node.lastError ?? ''].filter(Boolean).join('\n');
}

/**
 * The markup of a node's group: its title (the tooltip), its box, the owner's strip of another process's
 * derivation or tracker, its label and, but for a path, its statistics.
 */
function nodeMarkup(node: GraphViewNode, box: { x: number; y: number; width: number; height: number }): string {
  const room = box.width - 2 * TEXT_X;
  const owner = node.owner === undefined ? '' : ` data-owner="${escapeXml(node.owner)}"`;
  const label = fitText(node.label, room, (text) => textWidth(text, 'label'));
  return `<g class="${nodeClasses(node)}" transform="translate(${box.x} ${box.y})" role="button" tabindex="0" data-id="${escapeXml(node.id)}"${owner} aria-label="${escapeXml(describeNode(node))}">`
    + `<title>${escapeXml(nodeTitle(node))}</title>`
    + `<rect width="${box.width}" height="${box.height}" rx="${node.kind === 'path' ? 13 : 4}"/>`
    + (node.owner === undefined ? '' : `<rect class="owner-mark" width="4" height="${box.height}" rx="2"/>`)
    + `<text x="${TEXT_X}" y="${node.kind === 'path' ? 17 : 16}" class="label">${escapeXml(label)}</text>`
    + (node.kind === 'path' ? '' : `<text x="${TEXT_X}" y="32" class="stats">${escapeXml(fitText(statsText(node), room, (text) => textWidth(text, 'stats')))}</text>`)
    + '</g>';
}

function edgeMarkup(edge: GraphViewEdge, points: readonly { x: number; y: number }[]): string {
  return `<path d="${edgePath(points)}" class="edge kind-${edge.kind}" marker-end="url(#arrow)" data-id="${escapeXml(edge.id)}"/>`;
}

// A detached group to parse markup in: the elements it makes are SVG elements, moved out into the drawing.
const parser = document.createElementNS(SVG, 'g');

function parseInto(target: Node, markup: string): void {
  parser.innerHTML = markup;
  while (parser.firstChild) target.appendChild(parser.firstChild);
}

const PAGE_MARKS = ['selected', 'upstream', 'downstream', 'faded', 'chain', 'dim'];

/** Fills a node's group again from its changed data (statistics, error, owner), in place: its box stays. */
function refillNode(group: SVGGElement, node: GraphViewNode): void {
  const marks = PAGE_MARKS.filter((mark) => group.classList.contains(mark));
  group.setAttribute('class', [nodeClasses(node), ...marks].join(' '));
  group.setAttribute('aria-label', describeNode(node));
  if (node.owner === undefined) delete group.dataset.owner;
  else group.dataset.owner = node.owner;
  const box = group.querySelector('rect');
  const width = Number(box?.getAttribute('width') ?? 0);
  const height = Number(box?.getAttribute('height') ?? 0);
  const title = group.querySelector('title');
  if (title) title.textContent = nodeTitle(node);
  let ownerMark = group.querySelector('rect.owner-mark');
  if (node.owner === undefined) ownerMark?.remove();
  else if (!ownerMark && box) {
    ownerMark = svgChild(group, 'rect', { class: 'owner-mark', width: '4', height: String(height), rx: '2' });
    box.after(ownerMark);
  }
  const room = width - 2 * TEXT_X;
  const label = group.querySelector('text.label');
  if (label) label.textContent = fitText(node.label, room, (text) => textWidth(text, 'label'));
  const stats = group.querySelector('text.stats');
  if (stats) stats.textContent = fitText(statsText(node), room, (text) => textWidth(text, 'stats'));
}

function edgePath(points: readonly { x: number; y: number }[]): string {
  return points.map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x.toFixed(1)} ${point.y.toFixed(1)}`).join(' ');
}

/** How long the page builds the drawing before it lets input, flashes and messages through. */
const DRAW_SLICE_MS = 8;
// Nodes whose data changed while a new drawing was being built from the data before: filled again once it shows.
let changedWhileDrawing: Set<string> | undefined;

interface Scheduler {
  yield(): Promise<void>;
}

/**
 * Lets whatever waits (input, messages, a frame) run, and comes back as soon as it has: by the browser's
 * scheduler.yield where there is one, else by a message to itself (a timer would wait at least 4 ms once nested).
 */
function yieldToPage(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<Scheduler> }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(undefined);
  });
}

/**
 * Draws `next` in place of the current drawing. The elements are made off the page from markup (the
 * browser's parser makes thousands of elements far faster than a call per element and attribute), in slices
 * of a few milliseconds, so that a big graph leaves the page answering input meanwhile, and swapped in at
 * once; false when a newer layout made this one stale before it was done.
 */
async function draw(next: GraphLayout, generation: number): Promise<boolean> {
  const edges = document.createDocumentFragment();
  const nodes = document.createDocumentFragment();
  const drawn = graph;
  changedWhileDrawing = new Set();
  const items: { target: DocumentFragment; markup: string }[] = [];
  for (const edge of drawn.edges) {
    const points = next.edges.get(edge.id);
    if (points && points.length >= 2) items.push({ target: edges, markup: edgeMarkup(edge, points) });
  }
  for (const node of drawn.nodes) {
    const box = next.nodes.get(node.id);
    if (box) items.push({ target: nodes, markup: nodeMarkup(node, box) });
  }
  // Parsed a batch at a time; the batch grows or shrinks so that each slice takes about DRAW_SLICE_MS.
  let batch = 100;
  for (let index = 0; index < items.length;) {
    const sliceStarted = performance.now();
    const end = Math.min(items.length, index + batch);
    const target = items[index]!.target;
    let markup = '';
    let cut = index;
    while (cut < end && items[cut]!.target === target) markup += items[cut++]!.markup;
    parseInto(target, markup);
    const took = performance.now() - sliceStarted;
    batch = Math.max(20, Math.min(2000, Math.round((cut - index) * DRAW_SLICE_MS / Math.max(took, 0.5))));
    index = cut;
    if (index < items.length) {
      await yieldToPage();
      if (generation !== layoutGeneration) return false;
    }
  }
  layout = next;
  dropFlashMarks();
  drawing.setAttribute('width', String(Math.ceil(next.width)));
  drawing.setAttribute('height', String(Math.ceil(next.height)));
  const flashed = [...nodeElements].filter(([, group]) => group.dataset.flashes !== undefined);
  edgeLayer.replaceChildren(edges);
  nodeLayer.replaceChildren(nodes);
  nodeElements.clear();
  edgeElements.clear();
  for (const path of edgeLayer.children) if (path instanceof SVGPathElement && path.dataset.id !== undefined) edgeElements.set(path.dataset.id, path);
  for (const group of nodeLayer.children) if (group instanceof SVGGElement && group.dataset.id !== undefined) nodeElements.set(group.dataset.id, group);
  // A node's count of flashes, and the times of its last, go on across drawings.
  for (const [id, before] of flashed) {
    const group = nodeElements.get(id);
    if (!group) continue;
    group.dataset.flashes = before.dataset.flashes;
    if (before.dataset.flashNoticedAt !== undefined) group.dataset.flashNoticedAt = before.dataset.flashNoticedAt;
    if (before.dataset.flashShownAt !== undefined) group.dataset.flashShownAt = before.dataset.flashShownAt;
  }
  emptyHint.hidden = graph.nodes.length > 0;
  const changed = changedWhileDrawing;
  changedWhileDrawing = undefined;
  for (const id of changed) {
    const node = nodeOf(id);
    if (node) updateNode(node);
  }
  applyFilter();
  applySelection();
  showDetails();
  return true;
}

function updateNode(node: GraphViewNode): void {
  changedWhileDrawing?.add(node.id);
  const group = nodeElements.get(node.id);
  if (group) {
    refillNode(group, node);
    applyFilterTo(node.id, group);
  }
  if (node.id === state.selected) showDetails();
}

async function relayout(): Promise<void> {
  const generation = ++layoutGeneration;
  const started = performance.now();
  // data-layout says whether a layout is under way, data-layout-ms how long the last one took (drawing included).
  graphPanel.dataset.layout = 'running';
  // The page's own parts of a layout, measuring the labels before and drawing after, are kept apart in
  // data-measure-ms and data-draw-ms: they run on the page's thread, the layout itself does not.
  let measureMs = 0;
  const timedSize = (node: GraphViewNode): { width: number; height: number } => {
    const before = performance.now();
    const size = nodeBoxSize(node);
    measureMs += performance.now() - before;
    return size;
  };
  const next = await layoutGraph(graph, layoutEngine, timedSize);
  if (generation !== layoutGeneration) return;
  const drawStarted = performance.now();
  if (!(await draw(next, generation))) return;
  status.textContent = `${graph.nodes.length} nodes · ${graph.edges.length} edges`;
  if (autoFit) fit();
  const ended = performance.now();
  const ms = ended - started;
  graphPanel.dataset.layout = 'done';
  graphPanel.dataset.layoutMs = ms.toFixed(0);
  graphPanel.dataset.measureMs = measureMs.toFixed(0);
  graphPanel.dataset.drawMs = (ended - drawStarted).toFixed(0);
  post({ type: 'laidOut', nodes: graph.nodes.length, edges: graph.edges.length, ms });
}

// Filter: non-matching nodes and the edges between them are dimmed, so the structure stays readable.

function filterText(): string {
  return filterInput.value.trim().toLowerCase();
}

function matches(id: string): boolean {
  const text = filterText();
  if (!text) return true;
  return (nodeOf(id)?.label ?? id).toLowerCase().includes(text) || id.toLowerCase().includes(text);
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

// Selection: the selected node, what it depends on (upstream) and what depends on it (downstream) stand out;
// the rest fades. A selected run's cause chain is marked on top.

function selectedRun(): RunView | undefined {
  return state.run === undefined ? undefined : runs.find((run) => run.seq === state.run);
}

function applySelection(): void {
  const selected = state.selected !== undefined && nodeOf(state.selected) ? state.selected : undefined;
  const around = selected === undefined ? undefined : neighbourhoodOf(graph, selected);
  const run = selectedRun();
  const chain = run ? chainOnGraph(graph, run.chain) : undefined;
  graphPanel.classList.toggle('has-selection', selected !== undefined);
  for (const [id, group] of nodeElements) {
    const role = id === selected ? 'selected' : around?.upstream.has(id) ? 'upstream' : around?.downstream.has(id) ? 'downstream' : undefined;
    group.classList.toggle('selected', role === 'selected');
    group.classList.toggle('upstream', role === 'upstream');
    group.classList.toggle('downstream', role === 'downstream');
    group.classList.toggle('faded', selected !== undefined && role === undefined && !chain?.nodes.has(id));
    group.classList.toggle('chain', chain?.nodes.has(id) ?? false);
    if (role === 'selected') group.setAttribute('aria-pressed', 'true');
    else group.removeAttribute('aria-pressed');
  }
  for (const [id, path] of edgeElements) {
    const role = around?.edges.get(id);
    path.classList.toggle('upstream', role === 'upstream');
    path.classList.toggle('downstream', role === 'downstream');
    path.classList.toggle('faded', selected !== undefined && role === undefined && !chain?.edges.has(id));
    path.classList.toggle('chain', chain?.edges.has(id) ?? false);
  }
  graphPanel.dataset.selected = selected ?? '';
  graphPanel.dataset.run = run ? String(run.seq) : '';
}

function select(id: string | undefined): void {
  if (id === state.selected) return;
  runs = [];
  saveState({ selected: id, run: undefined });
  applySelection();
  showDetails();
  renderRuns();
  post({ type: 'select', id: id ?? null });
}

function selectRun(seq: number | undefined): void {
  saveState({ run: seq === state.run ? undefined : seq });
  applySelection();
  renderRuns();
}

// The side panel

function kindName(node: GraphViewNode): string {
  return node.kind === 'path' ? 'state path' : node.kind === 'derivation' ? 'derivation' : 'tracked computation';
}

function showDetails(): void {
  const node = state.selected === undefined ? undefined : nodeOf(state.selected);
  details.hidden = node === undefined;
  if (!node) return;
  const around = neighbourhoodOf(graph, node.id);
  detailsTitle.textContent = node.label;
  detailsTitle.title = node.id;
  const dependents = around.downstream.size;
  detailsSummary.textContent = `${kindName(node)} · depends on ${around.upstream.size} · ${dependents} depend${dependents === 1 ? 's' : ''} on it`
    + (node.kind === 'path' ? '' : ` · ${statsText(node)}`)
    + (node.owner === undefined ? '' : ` · runs in ${node.owner}`);
  detailsOpen.textContent = node.kind === 'path' ? 'Reveal in Explorer' : 'Open Definition';
  // Another process's derivation or tracker is defined in its code, which the extension cannot open.
  detailsOpen.hidden = node.owner !== undefined;
}

function labelOf(id: string): string {
  return nodeOf(id)?.label ?? id;
}

function chainText(run: RunView): string {
  const parts = [run.chain.origin ?? '…', ...run.chain.steps.map(labelOf)];
  const writes = run.chain.writes.map(labelOf);
  return `${parts.join(' → ')}${writes.length > 0 ? ` → ${writes.join(', ')}` : ''}`;
}

function clock(time: number): string {
  const date = new Date(time);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function span(parent: HTMLElement, className: string, text: string): HTMLSpanElement {
  const child = document.createElement('span');
  child.className = className;
  child.textContent = text;
  parent.appendChild(child);
  return child;
}

function renderRuns(): void {
  const now = Date.now();
  const chosen = selectedRun();
  const rows = runs.map((run) => {
    const row = document.createElement('li');
    row.className = ['run', run.error === null ? '' : 'error', run === chosen ? 'chosen' : ''].filter(Boolean).join(' ');
    row.tabIndex = 0;
    row.setAttribute('role', 'button');
    row.dataset.seq = String(run.seq);
    row.dataset.endedAt = String(run.endedAt);
    let shown = runShownAt.get(run.seq);
    if (shown === undefined) runShownAt.set(run.seq, shown = { sentAt: runsSentAt, shownAt: now });
    row.dataset.sentAt = String(shown.sentAt);
    row.dataset.shownAt = String(shown.shownAt);
    const head = document.createElement('div');
    head.className = 'run-head';
    span(head, 'run-time', clock(run.endedAt));
    if (run.subject !== state.selected) span(head, 'run-subject', labelOf(run.subject));
    // A first run has no trigger (it reads as `/`): its cause says it all.
    if (run.causeKind !== 'initial') span(head, 'run-trigger', run.triggerPath);
    const cause = span(head, `cause cause-${run.causeKind}`, run.causeKind);
    if (run.causeNode) cause.title = `${run.causeKind} ${labelOf(run.causeNode)}`;
    span(head, 'run-duration', `${run.durationMs.toFixed(1)} ms`);
    row.appendChild(head);
    if (run.error !== null) span(row, 'run-error', run.error);
    if (run === chosen) span(row, 'run-chain', chainText(run)).setAttribute('aria-label', 'cause chain');
    row.setAttribute('aria-label', `run at ${clock(run.endedAt)}, ${run.causeKind === 'initial' ? 'first run' : run.triggerPath}, ${run.causeKind}, ${run.durationMs.toFixed(1)} ms${run.error === null ? '' : `, error: ${run.error}`}`);
    return row;
  });
  runList.replaceChildren(...rows);
  runsEmpty.hidden = runs.length > 0;
  // The times of runs no longer listed are not needed.
  if (runShownAt.size > 4 * runs.length + 100) {
    const listed = new Set(runs.map((run) => run.seq));
    for (const seq of runShownAt.keys()) if (!listed.has(seq)) runShownAt.delete(seq);
  }
}

// Flashing: the animation restarts on each flash; data-flashes counts them, and data-flash-noticed-at and
// data-flash-shown-at tell when the host heard of the last one and when the page showed it (both Date.now()
// clocks), for whoever inspects the page. A flash touches its node's group only: it waits for no layout, and
// makes the page lay out nothing.

// A flash is a mark over the node, an HTML element in #stage that fades out: its opacity is animated by the
// compositor, so a flash repaints nothing of the drawing, frame after frame, while it fades. The marks are
// made as nodes flash and dropped with the drawing they were placed on.
const flashMarks = new Map<string, HTMLDivElement>();

function flashMark(id: string, box: { x: number; y: number; width: number; height: number }, kind: GraphViewNode['kind']): HTMLDivElement {
  let mark = flashMarks.get(id);
  if (!mark) {
    mark = document.createElement('div');
    mark.className = `flash-mark kind-${kind}`;
    mark.dataset.id = id;
    mark.style.left = `${box.x}px`;
    mark.style.top = `${box.y}px`;
    mark.style.width = `${box.width}px`;
    mark.style.height = `${box.height}px`;
    stage.appendChild(mark);
    flashMarks.set(id, mark);
  }
  return mark;
}

function dropFlashMarks(): void {
  for (const mark of flashMarks.values()) mark.remove();
  flashMarks.clear();
}

function flash(ids: readonly string[], noticedAt: number): void {
  const shownAt = String(performance.timeOrigin + performance.now());
  for (const id of ids) {
    const group = nodeElements.get(id);
    const box = layout?.nodes.get(id);
    if (!group || !box) continue;
    const mark = flashMark(id, box, nodeOf(id)?.kind ?? 'path');
    // Two classes with the same animation under two names, taken in turn: a new animation name starts the
    // animation again, where taking the class off and on would need a layout in between to do so.
    const again = mark.classList.contains('flash');
    mark.classList.toggle('flash', !again);
    mark.classList.toggle('flash-again', again);
    group.dataset.flashes = String(Number(group.dataset.flashes ?? '0') + 1);
    group.dataset.flashNoticedAt = String(noticedAt);
    group.dataset.flashShownAt = shownAt;
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
        // Another state folder: its own view, fitted afresh, nothing selected.
        saveState({ hostId: message.host.id, view: undefined, selected: undefined, run: undefined });
        layout = undefined;
        autoFit = true;
        runs = [];
      }
      setGraph(message.graph);
      setHosts(message.hosts, message.host.id);
      setTrusted(message.trusted);
      showDetails();
      renderRuns();
      if (state.selected !== undefined) post({ type: 'select', id: state.selected });
      void relayout();
      return;
    case 'diff': {
      const structural = message.diff.addedNodes.length + message.diff.removedNodes.length + message.diff.addedEdges.length + message.diff.removedEdges.length > 0;
      setGraph(applyGraphDiff(graph, message.diff));
      if (structural) void relayout();
      else for (const node of message.diff.changedNodes) updateNode(node);
      return;
    }
    case 'flash':
      flash(message.ids, message.noticedAt);
      return;
    case 'hosts':
      setHosts(message.hosts, state.hostId);
      setTrusted(message.trusted);
      return;
    case 'select':
      if (message.id === state.selected) post({ type: 'select', id: message.id });
      else select(message.id);
      nodeElements.get(message.id)?.focus({ preventScroll: true });
      return;
    case 'runs':
      if (message.subject !== state.selected) return;
      runs = message.runs;
      runsSentAt = message.sentAt;
      renderRuns();
      applySelection();
      return;
    default: {
      const unknown: never = message;
      console.warn('unknown message', unknown);
    }
  }
}

// Input: wheel zooms about the pointer, dragging the background pans, clicking a node selects it, double-
// clicking opens it (reveals a path in the tree, opens a definition's entry).

graphPanel.addEventListener('wheel', (event) => {
  event.preventDefault();
  const bounds = panel();
  const px = event.clientX - bounds.left;
  const py = event.clientY - bounds.top;
  const scale = Math.min(4, Math.max(0.05, view.scale * Math.exp(-event.deltaY * 0.0015)));
  view = { scale, x: px - ((px - view.x) * scale) / view.scale, y: py - ((py - view.y) * scale) / view.scale };
  viewMoved();
}, { passive: false });

let drag: { x: number; y: number; startX: number; startY: number; pointer: number; moved: boolean } | undefined;
graphPanel.addEventListener('pointerdown', (event) => {
  if ((event.target as Element).closest('.node')) return;
  drag = { x: view.x, y: view.y, startX: event.clientX, startY: event.clientY, pointer: event.pointerId, moved: false };
  graphPanel.setPointerCapture(event.pointerId);
  graphPanel.classList.add('panning');
});
graphPanel.addEventListener('pointermove', (event) => {
  if (!drag || event.pointerId !== drag.pointer) return;
  const dx = event.clientX - drag.startX;
  const dy = event.clientY - drag.startY;
  if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 3) return;
  drag.moved = true;
  view = { ...view, x: drag.x + dx, y: drag.y + dy };
  viewMoved();
});
graphPanel.addEventListener('pointerup', () => {
  // A click on the background, not a drag, clears the selection.
  if (drag && !drag.moved) select(undefined);
  drag = undefined;
  graphPanel.classList.remove('panning');
});
graphPanel.addEventListener('pointercancel', () => {
  drag = undefined;
  graphPanel.classList.remove('panning');
});

function nodeIdOf(target: EventTarget | null): string | undefined {
  return target instanceof Element ? target.closest<SVGGElement>('.node')?.dataset.id : undefined;
}
nodeLayer.addEventListener('click', (event) => {
  const id = nodeIdOf(event.target);
  if (id) select(id);
});
nodeLayer.addEventListener('dblclick', (event) => {
  const id = nodeIdOf(event.target);
  if (id) post({ type: 'open', id });
});
nodeLayer.addEventListener('keydown', (event) => {
  const id = nodeIdOf(event.target);
  if (id && (event.key === 'Enter' || event.key === ' ')) {
    event.preventDefault();
    select(id);
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.selected !== undefined) select(undefined);
});

runList.addEventListener('click', (event) => {
  const row = event.target instanceof Element ? event.target.closest<HTMLElement>('.run') : null;
  if (row?.dataset.seq) selectRun(Number(row.dataset.seq));
});
runList.addEventListener('keydown', (event) => {
  const row = event.target instanceof Element ? event.target.closest<HTMLElement>('.run') : null;
  if (row?.dataset.seq && (event.key === 'Enter' || event.key === ' ')) {
    event.preventDefault();
    selectRun(Number(row.dataset.seq));
  }
});
detailsOpen.addEventListener('click', () => {
  if (state.selected !== undefined) post({ type: 'open', id: state.selected });
});
detailsClose.addEventListener('click', () => select(undefined));
for (const button of emptyHint.querySelectorAll<HTMLButtonElement>('button[data-define]')) {
  button.addEventListener('click', () => post({ type: 'define', what: button.dataset.define === 'track' ? 'track' : 'derive' }));
}

fitButton.addEventListener('click', () => {
  autoFit = true;
  fit();
});
filterInput.value = state.filter ?? '';
filterInput.addEventListener('input', () => {
  applyFilter();
  saveState({ filter: filterInput.value });
});
hostSelect.addEventListener('change', () => post({ type: 'selectHost', hostId: hostSelect.value }));

const defs = svgChild(drawing, 'defs');
// An arrowhead per look of edge: a marker takes its colour from its own style, not from the edge's. Sized in
// the graph's units, so a thicker edge keeps the same arrowhead.
for (const [id, look] of [['arrow', ''], ['arrow-faded', 'faded'], ['arrow-chain', 'chain']]) {
  const marker = svgChild(defs, 'marker', { id, viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '8', markerHeight: '8', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
  svgChild(marker, 'path', { d: 'M0 0 L10 5 L0 10 z', class: `arrow ${look}`.trim() });
}
applyView();

window.addEventListener('message', (event: MessageEvent<ToWebview>) => receive(event.data));
post({ type: 'ready' });
