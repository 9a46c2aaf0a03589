// annotate.js: the annotate page (README "Annotating in the browser").
//
// The article is the text node(s) of #document-body and is never changed: highlights are drawn with the
// CSS Custom Highlight API (StaticRange objects registered in CSS.highlights, styled by ::highlight()),
// so 2,000 annotations cost no DOM nodes and no re-layout, and overlaps are painted by the browser.
// Offsets are UTF-16 code units end to end: every API call carries ?unit=utf16 and the server converts
// (annotations/domain/spans.py). Untrusted strings only ever reach the DOM through textContent.

const cfg = JSON.parse(document.getElementById("annotate-config").textContent);
const $ = (id) => document.getElementById(id);
const ME = cfg.user;
const API = cfg.apiRoot;
const DOC = cfg.documentId;
const bodyEl = $("document-body");
const panelEl = $("annotation-panel");
const form = $("annotation-form");
const tip = $("annotate-tooltip");
const HAS_HIGHLIGHTS = typeof Highlight === "function" && typeof CSS !== "undefined" && "highlights" in CSS;
const STATUS_LABELS = {
  draft: "Draft", submitted: "Submitted", approved: "Approved", changes_requested: "Changes requested", rejected: "Rejected",
};
const VERDICT_LABELS = Object.fromEntries(cfg.verdicts.map((v) => [v.value, v.label]));
const VERDICT_KEYS = {};
for (const v of cfg.verdicts) for (const k of [v.key, ...v.altKeys]) VERDICT_KEYS[k.toLowerCase()] = v.value;
const LIST_STEP = 150;

// ---- the text: global UTF-16 offsets over the text nodes of #document-body --------------------------
// (Blink's parser splits text longer than 65,536 code units into several nodes; we never merge them,
// which would re-lay out the article, we map offsets instead.)
const segs = [];
let TEXT = "";
{
  const parts = [];
  for (const node of bodyEl.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    segs.push({ node, start: parts.reduce((n, p) => n + p.length, 0) });
    parts.push(node.data);
  }
  if (!segs.length) segs.push({ node: bodyEl.appendChild(document.createTextNode("")), start: 0 });
  TEXT = parts.join("");
}
const LEN = TEXT.length;
const wholeText = document.createRange();
wholeText.selectNodeContents(bodyEl);

function pointAt(offset) {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid].start <= offset) lo = mid;
    else hi = mid - 1;
  }
  const seg = segs[lo];
  return { node: seg.node, offset: Math.max(0, Math.min(offset - seg.start, seg.node.data.length)) };
}

function staticRange(start, end) {
  const a = pointAt(start);
  const b = pointAt(end);
  return new StaticRange({ startContainer: a.node, startOffset: a.offset, endContainer: b.node, endOffset: b.offset });
}

function liveRange(start, end) {
  const a = pointAt(start);
  const b = pointAt(end);
  const range = document.createRange();
  range.setStart(a.node, a.offset);
  range.setEnd(b.node, b.offset);
  return range;
}

/** A DOM boundary point as a text offset, clamped to the article; null if it cannot be placed. */
function offsetOf(node, offset) {
  if (!node) return null;
  if (node.nodeType === Node.TEXT_NODE && node.parentNode === bodyEl) {
    const seg = segs.find((s) => s.node === node);
    return seg ? seg.start + offset : null;
  }
  if (node === bodyEl) {
    let total = 0;
    for (let i = 0; i < offset && i < node.childNodes.length; i++) total += node.childNodes[i].textContent.length;
    return total;
  }
  try {
    return wholeText.comparePoint(node, offset) < 0 ? 0 : LEN;
  } catch {
    return null;
  }
}

const isLowSurrogate = (code) => code >= 0xdc00 && code <= 0xdfff;
const graphemes = "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

/** Move an offset to a grapheme boundary (never inside a surrogate pair or before a combining mark). */
function snap(offset, direction) {
  if (offset <= 0 || offset >= LEN) return Math.max(0, Math.min(offset, LEN));
  if (graphemes) {
    const from = Math.max(0, offset - 32);
    let previous = from;
    let next = LEN;
    for (const { index } of graphemes.segment(TEXT.slice(from, Math.min(LEN, offset + 32)))) {
      const boundary = from + index;
      if (boundary <= offset) previous = boundary;
      else {
        next = boundary;
        break;
      }
    }
    if (previous === offset) return offset;
    return direction < 0 ? previous : next;
  }
  return isLowSurrogate(TEXT.charCodeAt(offset)) ? offset + direction : offset;
}

function normalizeSpan(start, end) {
  start = Math.max(0, Math.min(start, LEN));
  end = Math.max(0, Math.min(end, LEN));
  if (end < start) [start, end] = [end, start];
  while (start < end && /\s/.test(TEXT[start])) start++;
  while (end > start && /\s/.test(TEXT[end - 1])) end--;
  start = snap(start, -1);
  end = snap(end, 1);
  return end > start ? { start, end } : null;
}

function quoteOf(start, end) {
  let p = Math.max(0, start - cfg.quoteContext);
  if (p > 0 && isLowSurrogate(TEXT.charCodeAt(p))) p++;
  let q = Math.min(LEN, end + cfg.quoteContext);
  if (q < LEN && isLowSurrogate(TEXT.charCodeAt(q))) q--;
  return { exact: TEXT.slice(start, end), prefix: TEXT.slice(p, start), suffix: TEXT.slice(end, q) };
}

function selectionSpan() {
  const sel = getSelection();
  if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!range.intersectsNode(bodyEl)) return null;
  const start = offsetOf(range.startContainer, range.startOffset);
  const end = offsetOf(range.endContainer, range.endOffset);
  return start === null || end === null ? null : normalizeSpan(start, end);
}

function caretOffset() {
  const sel = getSelection();
  if (!sel || !sel.rangeCount || !bodyEl.contains(sel.focusNode)) return null;
  return offsetOf(sel.focusNode, sel.focusOffset);
}

function selectSpan(start, end) {
  const a = pointAt(start);
  const b = pointAt(end);
  getSelection().setBaseAndExtent(a.node, a.offset, b.node, b.offset);
}

function reveal(offset) {
  const rect = liveRange(offset, Math.min(LEN, offset + 1)).getBoundingClientRect();
  if (rect.top < 48 || rect.bottom > innerHeight - 48) scrollBy({ top: rect.top - innerHeight / 3, behavior: "instant" });
}

const truncate = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const verdictLabel = (v) => VERDICT_LABELS[v] || "No verdict yet";
const statusLabel = (s) => STATUS_LABELS[s] || s;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function swatch(verdict) {
  return el("span", { class: `swatch verdict-${verdict || "none"}`, text: verdictLabel(verdict) });
}

/** Only http(s) URLs ever become links. */
function httpUrl(value) {
  try {
    const url = new URL(String(value).trim());
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname ? url.href : null;
  } catch {
    return null;
  }
}

// ---- status messages -----------------------------------------------------------------------------
let statusTimer = 0;
function announce(message, { error = false } = {}) {
  const box = $("annotate-status");
  box.textContent = message;
  box.classList.toggle("error", error);
  box.classList.toggle("visible", Boolean(message));
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => box.classList.remove("visible"), error ? 12000 : 6000);
}

// ---- API -----------------------------------------------------------------------------------------
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : cfg.csrfToken;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: { detail: "The server cannot be reached; check your connection." } };
  }
  let data = null;
  if ((response.headers.get("content-type") || "").includes("json")) data = await response.json().catch(() => null);
  if (!response.ok && !(data && typeof data.detail === "string")) {
    data = { ...(data || {}), detail: `The server answered ${response.status} ${response.statusText}.` };
  }
  return { ok: response.ok, status: response.status, data };
}

const listPath = (extra) =>
  `annotations/?document=${DOC}&unit=utf16&page_size=${cfg.pageSize}${extra ? `&${extra}` : ""}`;

// ---- annotations and highlights -------------------------------------------------------------------
const anns = new Map(); // id -> annotation as the API gives it, plus .range
const claims = new Map(); // id -> claim (UTF-16 offsets)
let layer = { kind: "everyone", reviewer: "" };
let visibleCache = null;
let syncCursor = null;

const HL = new Map();
if (HAS_HIGHLIGHTS) {
  const add = (name, priority) => {
    const highlight = new Highlight();
    highlight.priority = priority;
    CSS.highlights.set(`fc-${name}`, highlight);
    HL.set(name, highlight);
  };
  for (const v of [...cfg.verdicts.map((x) => x.value), "none"]) add(v, 1);
  add("overlap", 2);
}

function isVisible(a) {
  if (layer.kind === "mine") return a.author.id === ME.id;
  if (layer.kind === "reviewer") return a.author.username === layer.reviewer;
  return true;
}

function visibleSorted() {
  if (!visibleCache) {
    visibleCache = [...anns.values()].filter(isVisible);
    visibleCache.sort((x, y) => x.start - y.start || x.end - y.end || x.id - y.id);
  }
  return visibleCache;
}

function store(row) {
  const old = anns.get(row.id);
  if (old && row.version < old.version) return false; // an older echo of a write we already applied
  row.range = old && old.start === row.start && old.end === row.end ? old.range : null;
  if (!row.range && row.end <= LEN && row.start < row.end) row.range = staticRange(row.start, row.end);
  anns.set(row.id, row);
  visibleCache = null;
  return true;
}

function forget(id) {
  anns.delete(id);
  visibleCache = null;
}

function paintHighlights() {
  if (!HAS_HIGHLIGHTS) return;
  for (const highlight of HL.values()) highlight.clear();
  const visible = visibleSorted();
  const events = [];
  for (const a of visible) {
    if (!a.range) continue;
    HL.get(a.verdict || "none").add(a.range);
    events.push([a.start, 1], [a.end, -1]);
  }
  // Where two or more visible annotations overlap, a darker band shows it whatever their verdicts.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let depth = 0;
  let from = 0;
  for (const [at, step] of events) {
    if (step > 0 && ++depth === 2) from = at;
    if (step < 0 && depth-- === 2 && at > from) HL.get("overlap").add(staticRange(from, at));
  }
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    paintHighlights();
    renderList();
    renderReviewerChoice();
  });
}

// Transient marks (the selection being annotated, the annotation open in the panel, the keyboard caret) are
// a few absolutely positioned boxes over the text, not CSS highlights: Chromium rebuilds the markers of
// every registered highlight range on any highlight change (~20-30 ms with 2,000 ranges), and these
// marks change on every key press.
const marks = el("div", { class: "annotate-marks", "aria-hidden": "true" });
const markSpans = { pending: null, selected: null, caret: null };
const markLayers = {};
for (const name of Object.keys(markSpans)) marks.append((markLayers[name] = el("div")));
document.body.append(marks);

function setMark(name, span) {
  markSpans[name] = span;
  drawMark(name);
}

function drawMark(name) {
  const span = markSpans[name];
  const layer = markLayers[name];
  if (!span) return layer.replaceChildren();
  const box = (rect, cls) => {
    const node = el("div", { class: cls }); // positioned through the CSSOM, which CSP allows (no style attribute)
    Object.assign(node.style, { left: `${rect.left + scrollX}px`, top: `${rect.top + scrollY}px`, width: `${rect.width}px`, height: `${rect.height}px` });
    return node;
  };
  if (name === "caret") {
    let rect = liveRange(span.start, span.start).getBoundingClientRect();
    if (!rect.height && span.start > 0) {
      const before = liveRange(span.start - 1, span.start).getBoundingClientRect();
      rect = new DOMRect(before.right, before.top, 0, before.height);
    }
    return layer.replaceChildren(box(new DOMRect(rect.left - 1, rect.top, 2, rect.height), "mark-caret"));
  }
  const rects = [...liveRange(span.start, span.end).getClientRects()].filter((r) => r.width > 0).slice(0, 400);
  layer.replaceChildren(...rects.map((r) => box(r, `mark-${name}`)));
}

let marksFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(marksFrame);
  marksFrame = requestAnimationFrame(() => Object.keys(markSpans).forEach(drawMark));
}).observe(bodyEl);

function covering(offset) {
  const result = [];
  for (const a of visibleSorted()) {
    if (a.start > offset) break;
    if (offset < a.end) result.push(a);
  }
  return result.sort((x, y) => x.end - x.start - (y.end - y.start));
}

// ---- the annotation list ---------------------------------------------------------------------------
let listLimit = LIST_STEP;
const listEl = $("annotation-list");
const moreButton = $("annotation-list-more");

function describe(a) {
  return `${verdictLabel(a.verdict)} · ${a.author.username} · ${statusLabel(a.status)}`;
}

function listItem(a) {
  const mine = a.author.id === ME.id;
  const quote = truncate(a.quote.exact.replace(/\s+/g, " "), 90);
  const open = el(
    "button",
    { type: "button", class: "ann-open", "data-action": "open" },
    swatch(a.verdict),
    el("span", { class: "ann-quote", text: `“${quote}”` }),
    el("span", { class: "ann-meta", text: `${mine ? "you" : a.author.username} · ${statusLabel(a.status)}` }),
  );
  const item = el("li", { class: `ann-item${mine ? " mine" : ""}`, "data-id": String(a.id) }, open);
  if (a.can_edit) {
    item.append(
      el("span", { class: "ann-actions" },
        el("button", { type: "button", class: "small", "data-action": "edit", text: "Edit", "aria-label": `Edit “${truncate(quote, 40)}”` }),
        el("button", { type: "button", class: "small danger", "data-action": "delete", text: "Delete", "aria-label": `Delete “${truncate(quote, 40)}”` }),
      ),
    );
  }
  return item;
}

function renderList() {
  const visible = visibleSorted();
  const active = document.activeElement;
  const focusItem = listEl.contains(active) ? active.closest("li")?.dataset.id : null;
  const focusAction = focusItem ? active.dataset.action : null;
  const fragment = document.createDocumentFragment();
  for (const a of visible.slice(0, listLimit)) fragment.append(listItem(a));
  listEl.replaceChildren(fragment);
  const rest = visible.length - Math.min(listLimit, visible.length);
  moreButton.hidden = rest <= 0;
  moreButton.textContent = `Show ${Math.min(rest, LIST_STEP)} more (${rest} not listed)`;
  const mine = [...anns.values()].filter((a) => a.author.id === ME.id).length;
  $("annotation-count").textContent = `(${visible.length} shown · ${mine} mine · ${anns.size} in all)`;
  if (focusItem) {
    const item = listEl.querySelector(`li[data-id="${CSS.escape(focusItem)}"]`);
    (item?.querySelector(`[data-action="${focusAction}"]`) || item?.querySelector("button"))?.focus();
  }
}

let reviewerNames = "";
function renderReviewerChoice() {
  const names = [...new Set([...anns.values()].map((a) => a.author.username))].sort();
  const key = names.join("\n");
  if (key === reviewerNames) return;
  reviewerNames = key;
  const select = $("layer-reviewer");
  const current = select.value || layer.reviewer;
  select.replaceChildren(...names.map((n) => el("option", { value: n, text: n === ME.username ? `${n} (you)` : n })));
  if (names.includes(current)) select.value = current;
  select.disabled = names.length === 0;
}

function setLayer(kind) {
  const reviewer = $("layer-reviewer").value;
  layer = { kind, reviewer };
  for (const radio of document.querySelectorAll('input[name="layer"]')) radio.checked = radio.value === kind;
  visibleCache = null;
  listLimit = LIST_STEP;
  scheduleRender();
  const label = kind === "mine" ? "your annotations" : kind === "reviewer" ? `annotations by ${reviewer}` : "everyone's annotations";
  requestAnimationFrame(() => announce(`Showing ${label} (${visibleSorted().length}).`));
}

// ---- loading and polling ------------------------------------------------------------------------------
async function fetchAll(extra) {
  const rows = [];
  const deleted = [];
  let path = listPath(extra);
  let sync = null;
  for (let pages = 0; pages < 1000; pages++) {
    const response = await api("GET", path);
    if (!response.ok) return { ok: false, response };
    rows.push(...response.data.results);
    deleted.push(...(response.data.deleted ?? []));
    sync = response.data.sync ?? sync;
    if (!response.data.next) break;
    path = listPath(`cursor=${encodeURIComponent(response.data.next)}`);
  }
  return { ok: true, rows, sync, deleted };
}

let polling = null;
let pollTimer = 0;
let pollFailures = 0;

function poll() {
  if (!polling) {
    polling = (async () => {
      const result = await fetchAll(syncCursor ? `cursor=${encodeURIComponent(syncCursor)}` : "");
      if (!result.ok) {
        pollFailures++;
        $("sync-state").textContent = "Updates paused: the server did not answer; retrying.";
        return;
      }
      pollFailures = 0;
      syncCursor = result.sync ?? syncCursor;
      let fresh = 0;
      for (const row of result.rows) {
        const known = anns.has(row.id);
        if (store(row) && !known && row.author.id !== ME.id) fresh++;
        if (panel.id === row.id && !panel.busy) panelNoticeChange(anns.get(row.id));
      }
      for (const id of result.deleted) {
        if (!anns.has(id) || (panel.id === id && panel.busy)) continue;
        forget(id);
        if (panel.id === id) closePanel({ restoreFocus: false });
      }
      if (result.rows.length || result.deleted.length) scheduleRender();
      if (fresh) announce(`${fresh} new annotation${fresh === 1 ? "" : "s"} from teammates.`);
      $("sync-state").textContent = `Up to date at ${new Date().toLocaleTimeString()}`;
    })().finally(() => {
      polling = null;
    });
  }
  return polling;
}

function schedulePoll(delay = cfg.pollMs) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!document.hidden) await poll();
    schedulePoll(Math.min(60000, cfg.pollMs * 2 ** pollFailures));
  }, delay);
}

async function loadClaims() {
  const order = new URLSearchParams(location.search).get("order") === "position" ? "position" : "score";
  const response = await api("GET", `documents/${DOC}/claims/?order=${order}&unit=utf16`);
  if (!response.ok) return announce(`Candidate claims could not be loaded: ${response.data.detail}`, { error: true });
  for (const claim of response.data.results) claims.set(claim.id, claim);
}

const timings = { pages: [] }; // for scripts/bench_annotate.py: where the time to "ready" goes
window.__annotateTimings = timings;

async function loadAnnotations() {
  let path = listPath("");
  for (let pages = 0; pages < 1000; pages++) {
    const sent = performance.now();
    const response = await api("GET", path);
    timings.pages.push({ sent, received: performance.now(), rows: response.data?.results?.length ?? 0 });
    if (!response.ok) {
      announce(`Annotations could not be loaded: ${response.data.detail}`, { error: true });
      return false;
    }
    for (const row of response.data.results) store(row);
    syncCursor = response.data.sync ?? syncCursor;
    if (!response.data.next) break;
    paintHighlights(); // show the first page while the next one loads
    path = listPath(`cursor=${encodeURIComponent(response.data.next)}`);
  }
  return true;
}

// ---- the panel -----------------------------------------------------------------------------------------
const panel = {
  mode: null, id: null, version: null, span: null, claimId: null, opener: null, initial: "", staged: [], escArmed: false, deleteArmed: false, busy: false,
  moveSpan: null, // the text selected while an editable annotation is open: "Move to selection" moves it there
  editingEvidence: null, // id of the saved evidence link being edited in place, and its form
  evidenceForm: null,
};
const radios = [...form.querySelectorAll('input[name="verdict"]')];
const rationale = $("panel-rationale");
const evUrl = $("evidence-url");
const evTitle = $("evidence-title");
const evPassage = $("evidence-passage");
const evStance = $("evidence-stance");
evStance.replaceChildren(...cfg.stances.map((s) => el("option", { value: s.value, text: s.label })));
evStance.value = "context";

const chosenVerdict = () => radios.find((r) => r.checked)?.value ?? "";
function chooseVerdict(value, { focus = false } = {}) {
  const radio = radios.find((r) => r.value === value) || radios.at(-1);
  radio.checked = true;
  if (focus) radio.focus();
}

function snapshot() {
  return JSON.stringify([chosenVerdict(), rationale.value, panel.staged.length, evUrl.value.trim(), evTitle.value, evPassage.value, evidenceEditDirty()]);
}
const isDirty = () => panel.mode && panel.mode !== "view" && snapshot() !== panel.initial;

function setError(message) {
  $("panel-error").textContent = message || "";
}

function renderEvidence() {
  const a = panel.id ? anns.get(panel.id) : null;
  const items = [];
  for (const ev of a?.evidence || []) {
    if (panel.mode === "edit" && panel.editingEvidence === ev.id) items.push(evidenceEditor(ev));
    else items.push(evidenceItem(ev, panel.mode === "edit" ? { kind: "saved", id: ev.id } : null));
  }
  if (panel.editingEvidence !== null && !(a?.evidence || []).some((ev) => ev.id === panel.editingEvidence)) {
    panel.editingEvidence = null; // deleted meanwhile
    panel.evidenceForm = null;
  }
  panel.staged.forEach((ev, index) => items.push(evidenceItem(ev, { kind: "staged", index })));
  const list = $("panel-evidence");
  list.replaceChildren(...items);
  if (!items.length) list.append(el("li", { class: "muted small", text: "No evidence yet." }));
}

function evidenceItem(ev, removable) {
  const safe = httpUrl(ev.url);
  const label = ev.title || ev.url;
  const link = safe
    ? el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: label })
    : el("span", { class: "unsafe-url", text: `${label} (not an http(s) link)` });
  const stance = cfg.stances.find((s) => s.value === ev.stance)?.label || ev.stance;
  const item = el("li", { class: `evidence stance-${ev.stance}` }, el("span", { class: "stance", text: stance }), " ", link);
  if (!safe || label !== ev.url) item.append(el("span", { class: "evidence-url muted small", text: ev.url }));
  if (ev.quoted_passage) item.append(el("blockquote", { class: "small", text: ev.quoted_passage }));
  if (removable?.kind === "staged") {
    item.append(el("span", { class: "muted small", text: " (not saved yet) " }),
      el("button", { type: "button", class: "link small", "data-staged": String(removable.index), text: "Remove", "aria-label": `Remove ${label}` }));
  } else if (removable?.kind === "saved") {
    item.append(" ",
      el("button", { type: "button", class: "link small", "data-evidence": String(removable.id), "data-action": "edit-evidence", text: "Edit", "aria-label": `Edit evidence ${label}` }),
      " ",
      el("button", { type: "button", class: "link small", "data-evidence": String(removable.id), "data-action": "delete-evidence", text: "Delete", "aria-label": `Delete evidence ${label}` }));
  }
  return item;
}

/** The in-place form for one saved evidence link (kept across re-renders while it is open). */
function evidenceEditor(ev) {
  if (panel.evidenceForm?.id === ev.id) return panel.evidenceForm.item;
  const ids = (name) => `evidence-edit-${name}-${ev.id}`;
  const url = el("input", { type: "url", id: ids("url"), inputMode: "url", autocomplete: "off", value: ev.url, "aria-describedby": ids("error") });
  const title = el("input", { type: "text", id: ids("title"), maxLength: 500, value: ev.title });
  const passage = el("textarea", { id: ids("passage"), rows: 2, value: ev.quoted_passage });
  const stance = el("select", { id: ids("stance") }, ...cfg.stances.map((s) => el("option", { value: s.value, text: s.label })));
  stance.value = ev.stance;
  const error = el("p", { id: ids("error"), class: "error small", "aria-live": "polite" });
  const label = (field, text) => el("label", { htmlFor: field.id, text });
  const item = el("li", { class: "evidence evidence-edit", "data-evidence-edit": String(ev.id) },
    el("fieldset", {},
      el("legend", { text: `Edit evidence link “${truncate(ev.title || ev.url, 40)}”` }),
      label(url, "URL (http or https)"), url, error,
      label(title, "Title"), title,
      label(passage, "Quoted passage"), passage,
      label(stance, "Stance"), stance,
      el("span", { class: "evidence-edit-actions" },
        el("button", { type: "button", class: "secondary small", "data-evidence": String(ev.id), "data-action": "save-evidence", text: "Save link" }),
        " ",
        el("button", { type: "button", class: "link small", "data-evidence": String(ev.id), "data-action": "cancel-evidence", text: "Cancel" }))));
  panel.evidenceForm = { id: ev.id, item, url, title, passage, stance, error, original: ev };
  return item;
}

function evidenceEditValues() {
  const f = panel.evidenceForm;
  return f ? { url: f.url.value.trim(), title: f.title.value.trim(), quoted_passage: f.passage.value, stance: f.stance.value } : null;
}

function evidenceEditDirty() {
  const values = evidenceEditValues();
  if (!values) return false;
  const ev = panel.evidenceForm.original;
  return values.url !== ev.url || values.title !== ev.title || values.quoted_passage !== ev.quoted_passage || values.stance !== ev.stance;
}

function editEvidence(id) {
  panel.editingEvidence = id;
  panel.evidenceForm = null;
  renderEvidence();
  panel.evidenceForm?.url.focus();
}

function cancelEvidenceEdit({ focus = true } = {}) {
  const id = panel.editingEvidence;
  panel.editingEvidence = null;
  panel.evidenceForm = null;
  renderEvidence();
  if (focus) ($("panel-evidence").querySelector(`button[data-action="edit-evidence"][data-evidence="${id}"]`) || evUrl).focus();
}

/** PATCH /api/v1/evidence/{id}/ with the in-place form; true when saved (or nothing to save). */
async function saveEvidenceEdit() {
  const f = panel.evidenceForm;
  if (!f) return true;
  const values = evidenceEditValues();
  f.error.textContent = "";
  const problem = !values.url ? "Enter the URL of the evidence." : !httpUrl(values.url) ? "Only http:// and https:// links can be evidence."
    : /\s/.test(values.url) ? "A URL cannot contain spaces." : "";
  if (problem) {
    f.error.textContent = problem;
    f.url.focus();
    return false;
  }
  if (!evidenceEditDirty()) {
    cancelEvidenceEdit();
    return true;
  }
  const changes = Object.fromEntries(Object.entries(values).filter(([key, value]) => value !== f.original[key]));
  const response = await api("PATCH", `evidence/${f.id}/`, changes);
  if (panel.evidenceForm !== f) return false; // the panel moved on meanwhile
  if (!response.ok) {
    f.error.textContent = `Evidence not saved: ${response.data.detail}`;
    f.url.focus();
    return false;
  }
  const a = anns.get(panel.id);
  if (a) a.evidence = (a.evidence || []).map((ev) => (ev.id === f.id ? response.data : ev));
  cancelEvidenceEdit();
  scheduleRender();
  announce(`Evidence updated: ${truncate(response.data.title || response.data.url, 60)}.`);
  return true;
}

function fillPanel({ title, meta, quote, verdict, text, readOnly }) {
  $("panel-title").textContent = title;
  $("panel-meta").textContent = meta;
  $("panel-quote").textContent = truncate(quote, 600);
  chooseVerdict(verdict);
  rationale.value = text;
  $("panel-verdicts").disabled = readOnly;
  rationale.readOnly = readOnly;
  $("panel-evidence-new").hidden = readOnly;
  for (const field of [evUrl, evTitle, evPassage]) field.value = "";
  evStance.value = "context";
  $("evidence-url-error").textContent = "";
  $("panel-conflict").hidden = true;
  $("panel-conflict").replaceChildren();
  setError("");
  panel.staged = [];
  panel.escArmed = false;
  panel.moveSpan = null;
  panel.editingEvidence = null;
  panel.evidenceForm = null;
  disarmDelete();
}

function showPanel(focusTarget, startedAt) {
  panelEl.hidden = false;
  panel.initial = snapshot();
  renderEvidence();
  focusTarget.focus({ preventScroll: true });
  hideTooltip();
  const sync = performance.now() - startedAt;
  window.__annotatePanelSyncMs = sync;
  requestAnimationFrame(() => setTimeout(() => {
    window.__annotatePanelMs = performance.now() - startedAt;
  }));
}

function claimFor(span) {
  for (const claim of claims.values()) if (claim.start === span.start && claim.end === span.end) return claim.id;
  return null;
}

function openNew(span, { verdict = "", claimId = null, opener = null, startedAt = performance.now() } = {}) {
  if (!span) return;
  if (isDirty()) {
    announce("Save or close the open annotation first.", { error: true });
    return;
  }
  Object.assign(panel, { mode: "new", id: null, version: null, span, claimId: claimId ?? claimFor(span), opener: opener || document.activeElement });
  fillPanel({
    title: "New annotation",
    meta: `By you · not saved yet${panel.claimId ? " · for a candidate claim" : ""} · ${span.end - span.start} characters`,
    quote: TEXT.slice(span.start, span.end), verdict, text: "", readOnly: false,
  });
  $("panel-save").hidden = false;
  $("panel-submit").hidden = false;
  $("panel-submit").textContent = "Save and submit";
  $("panel-delete").hidden = true;
  $("panel-move-row").hidden = true;
  setMark("pending", span);
  setMark("selected", null);
  showPanel(verdict ? rationale : radios.find((r) => r.checked), startedAt);
}

function openExisting(id, { opener = null, scroll = true, focus = null } = {}) {
  const a = anns.get(id);
  if (!a) return;
  if (isDirty() && panel.id !== id) {
    announce("Save or close the open annotation first.", { error: true });
    return;
  }
  const mode = a.can_edit ? "edit" : "view";
  Object.assign(panel, { mode, id, version: a.version, span: { start: a.start, end: a.end }, claimId: a.claim, opener: opener || document.activeElement });
  const who = a.author.id === ME.id ? "you" : a.author.username;
  const locked = a.author.id === ME.id && !a.can_edit ? " · locked by review" : "";
  fillPanel({
    title: mode === "edit" ? "Edit annotation" : `Annotation by ${a.author.username} (read-only)`,
    meta: `By ${who} · ${statusLabel(a.status)}${locked} · version ${a.version} · updated ${new Date(a.updated_at).toLocaleString()}`,
    quote: a.quote.exact, verdict: a.verdict, text: a.rationale, readOnly: mode === "view",
  });
  $("panel-save").hidden = mode === "view";
  $("panel-delete").hidden = mode === "view";
  $("panel-move-row").hidden = mode === "view";
  $("panel-submit").hidden = mode === "view" || a.status === "submitted";
  $("panel-submit").textContent = "Submit for review";
  setMark("pending", null);
  setMark("selected", { start: a.start, end: a.end });
  if (scroll) reveal(a.start);
  const target = focus || (mode === "edit" ? radios.find((r) => r.checked) : $("panel-title"));
  showPanel(target, performance.now());
}

function closePanel({ restoreFocus = true } = {}) {
  if (!panel.mode) return;
  const opener = panel.opener;
  panelEl.hidden = true;
  Object.assign(panel, { mode: null, id: null, version: null, span: null, claimId: null, opener: null, staged: [], moveSpan: null, editingEvidence: null, evidenceForm: null });
  setMark("pending", null);
  setMark("selected", null);
  if (restoreFocus) (opener && opener.isConnected && opener !== document.body ? opener : bodyEl).focus({ preventScroll: true });
}

function stagedFromFields({ required }) {
  const raw = evUrl.value.trim();
  $("evidence-url-error").textContent = "";
  if (!raw) {
    if (required) {
      $("evidence-url-error").textContent = "Enter the URL of the evidence.";
      evUrl.focus();
      return false;
    }
    return null;
  }
  const problem = !httpUrl(raw) ? "Only http:// and https:// links can be evidence." : /\s/.test(raw) ? "A URL cannot contain spaces." : "";
  if (problem) {
    $("evidence-url-error").textContent = problem;
    evUrl.focus();
    return false;
  }
  return { url: raw, title: evTitle.value.trim(), quoted_passage: evPassage.value, stance: evStance.value };
}

function stageEvidence() {
  const item = stagedFromFields({ required: true });
  if (!item) return;
  panel.staged.push(item);
  for (const field of [evUrl, evTitle, evPassage]) field.value = "";
  evStance.value = "context";
  renderEvidence();
  announce("Evidence link added; it is saved with the annotation.");
  evUrl.focus();
}

async function save({ thenSubmit = false } = {}) {
  if (!panel.mode || panel.mode === "view" || panel.busy) return;
  const pendingLink = stagedFromFields({ required: false });
  if (pendingLink === false) return;
  if (pendingLink) {
    panel.staged.push(pendingLink);
    for (const field of [evUrl, evTitle, evPassage]) field.value = "";
  }
  const verdict = chosenVerdict();
  if (thenSubmit && !verdict) {
    setError("Choose a verdict before submitting for review.");
    radios[0].focus();
    return;
  }
  setError("");
  panel.busy = true;
  $("panel-save").disabled = true;
  try {
    if (panel.mode === "edit" && panel.evidenceForm && !(await saveEvidenceEdit())) return;
    if (panel.mode === "new") await saveNew(verdict, thenSubmit);
    else await saveExisting(verdict, thenSubmit);
  } finally {
    panel.busy = false;
    $("panel-save").disabled = false;
  }
}

async function saveNew(verdict, thenSubmit) {
  const { start, end } = panel.span;
  const body = { document: DOC, start, end, ...quoteOf(start, end), verdict, rationale: rationale.value, evidence: panel.staged };
  if (panel.claimId) body.claim = panel.claimId;
  const response = await api("POST", "annotations/?unit=utf16", body);
  if (!response.ok) {
    renderEvidence();
    return setError(`Not saved: ${response.data.detail}`);
  }
  const a = response.data;
  store(a);
  markClaimAccepted(a.claim);
  scheduleRender();
  if (thenSubmit) return submitOne(a.id, a.version, { close: true });
  closePanel({ restoreFocus: false });
  placeCaret(a.end);
  announce(`Saved: ${verdictLabel(a.verdict)} for “${truncate(a.quote.exact, 60)}”.`);
}

async function saveExisting(verdict, thenSubmit) {
  const a = anns.get(panel.id);
  const changed = verdict !== a.verdict || rationale.value !== a.rationale;
  let current = a;
  if (changed) {
    const response = await api("PATCH", `annotations/${a.id}/?unit=utf16`, { version: panel.version, verdict, rationale: rationale.value });
    if (!response.ok) return failed(response);
    current = response.data;
    store(current);
    panel.version = current.version;
  }
  for (const item of [...panel.staged]) {
    const response = await api("POST", `annotations/${a.id}/evidence/`, item);
    if (!response.ok) {
      renderEvidence();
      return setError(`Evidence ${item.url} not added: ${response.data.detail}`);
    }
    current.evidence = [...(current.evidence || []), response.data];
    panel.staged.shift();
  }
  scheduleRender();
  if (thenSubmit) return submitOne(a.id, panel.version, { close: true });
  const id = a.id;
  closePanel({ restoreFocus: true });
  announce(`Saved: ${verdictLabel(anns.get(id).verdict)} for “${truncate(anns.get(id).quote.exact, 60)}”.`);
}

/** The span to move the open annotation to: the current text selection, or the one made while the panel was open. */
function moveTarget() {
  return selectionSpan() || panel.moveSpan;
}

function noteMoveSelection(span) {
  panel.moveSpan = span;
  setMark("pending", span);
  announce("Selection ready: press “Move to selection” (Alt+M) to move this annotation there, or close the panel to annotate it as a new one.");
}

async function moveToSelection() {
  if (panel.mode !== "edit" || panel.busy) return;
  const span = moveTarget();
  if (!span) {
    return announce("Nothing selected: select the new passage in the text (mouse, or Shift+arrow keys in the text), then press “Move to selection” or Alt+M.", { error: true });
  }
  const a = anns.get(panel.id);
  if (!a) return;
  if (span.start === a.start && span.end === a.end) return announce("The annotation already covers that selection.");
  const { exact } = quoteOf(span.start, span.end);
  setError("");
  panel.busy = true;
  $("panel-move").disabled = true;
  try {
    const response = await api("PATCH", `annotations/${a.id}/?unit=utf16`, { version: panel.version, start: span.start, end: span.end, exact });
    if (!response.ok) {
      if (response.status === 409) return showConflict(response.data, { moveTo: exact });
      if (response.status === 404) return failed(response);
      return setError(`Not moved: ${response.data.detail}`);
    }
    const moved = response.data;
    moved.evidence = moved.evidence ?? a.evidence;
    store(moved);
    scheduleRender();
    panel.version = moved.version;
    panel.span = { start: moved.start, end: moved.end };
    panel.moveSpan = null;
    $("panel-quote").textContent = truncate(moved.quote.exact, 600);
    $("panel-meta").textContent = `By you · ${statusLabel(moved.status)} · version ${moved.version} · updated ${new Date(moved.updated_at).toLocaleString()}`;
    setMark("pending", null);
    setMark("selected", panel.span);
    getSelection().removeAllRanges();
    announce(`Moved to “${truncate(moved.quote.exact, 60)}”.`);
  } finally {
    panel.busy = false;
    $("panel-move").disabled = false;
  }
}

async function submitOne(id, version, { close }) {
  const response = await api("POST", `annotations/${id}/submit`, { version });
  if (!response.ok) {
    if (!panel.mode) openExisting(id, {});
    return failed(response);
  }
  store(response.data);
  scheduleRender();
  if (close) closePanel({ restoreFocus: panel.mode !== "new" });
  announce(`Submitted for review: “${truncate(response.data.quote.exact, 60)}”.`);
}

async function deleteAnnotation(id, version) {
  const response = await api("DELETE", `annotations/${id}/?version=${version}`);
  if (response.ok || response.status === 404) {
    forget(id);
    scheduleRender();
    if (panel.id === id) closePanel({ restoreFocus: false });
    announce("Annotation deleted.");
    return true;
  }
  if (panel.id !== id) openExisting(id, {});
  failed(response);
  return false;
}

function failed(response) {
  if (response.status === 409) return showConflict(response.data);
  if (response.status === 404) {
    forget(panel.id);
    scheduleRender();
    return setError("This annotation no longer exists (it was deleted).");
  }
  setError(`Not saved: ${response.data.detail}`);
}

function valuesList(pairs) {
  return el("dl", {}, ...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

function showConflict(data, { moveTo = null } = {}) {
  const box = $("panel-conflict");
  const current = data && typeof data.current === "object" ? data.current : null;
  const reload = el("button", { type: "button", id: "conflict-reload", text: "Reload" });
  box.replaceChildren(
    el("p", {}, el("strong", { text: "Not saved: this annotation was changed since you opened it." })),
    el("p", { class: "small", text: data?.detail || "" }),
  );
  if (current) {
    box.append(el("h3", { text: `Now on the server (version ${current.version})` }), valuesList([
      ["Verdict", verdictLabel(current.verdict)],
      ["Rationale", current.rationale || "—"],
      ["Status", statusLabel(current.status)],
      ["Evidence", `${(current.evidence || []).length} link(s)`],
      ["Updated", current.updated_at ? new Date(current.updated_at).toLocaleString() : "—"],
    ]));
  }
  const mine = [["Verdict", verdictLabel(chosenVerdict())], ["Rationale", rationale.value || "—"]];
  if (moveTo !== null) mine.unshift(["Move to", `“${truncate(moveTo, 200)}”`]);
  box.append(el("h3", { text: "Your unsaved changes" }), valuesList(mine));
  box.append(el("p", { class: "small", text: "Reload replaces your changes with the server's version; copy anything you want to keep first." }), reload);
  reload.addEventListener("click", reloadFromServer);
  box.hidden = false;
  reload.focus();
}

async function reloadFromServer() {
  // The 409 body's `current` is shown to the user, but its offsets are code points whatever ?unit says,
  // so the annotation itself is fetched again in UTF-16 units.
  const id = panel.id;
  const response = await api("GET", `annotations/${id}/?unit=utf16`);
  if (response.status === 404) forget(id);
  else if (!response.ok) return setError(`Could not reload: ${response.data.detail}`);
  else {
    anns.delete(id); // the server's copy wins, whatever its version
    store(response.data);
  }
  scheduleRender();
  if (!anns.has(id)) {
    closePanel();
    return announce("That annotation no longer exists.", { error: true });
  }
  openExisting(id, { opener: panel.opener, scroll: false });
  announce("Reloaded the server's version.");
}

function panelNoticeChange(a) {
  if (!a || a.version === panel.version || panel.mode === "new") return;
  if (panel.mode === "view" || !isDirty()) {
    openExisting(a.id, { opener: panel.opener, scroll: false, focus: panelEl.contains(document.activeElement) ? document.activeElement : null });
    return;
  }
  showConflict({ detail: `Someone changed this annotation (now version ${a.version}); saving your version would be refused.`, current: a });
}

function disarmDelete() {
  panel.deleteArmed = false;
  $("panel-delete").textContent = "Delete";
}

// ---- claims ---------------------------------------------------------------------------------------------
function markClaimAccepted(claimId) {
  if (!claimId) return;
  const item = document.querySelector(`#claim-list li[data-claim-id="${claimId}"]`);
  if (!item || item.dataset.state === "accepted") return;
  item.dataset.state = "accepted";
  item.querySelector(".claim-select").before(el("span", { class: "badge accepted", text: "accepted" }), " ");
  item.querySelector('[data-action="accept"]').textContent = "Annotate";
}

async function onClaimAction(button) {
  const item = button.closest("li");
  const id = Number(item.dataset.claimId);
  const claim = claims.get(id);
  if (!claim) return announce("Candidate claims are still loading.", { error: true });
  const action = button.dataset.action;
  if (action === "select") {
    bodyEl.focus({ preventScroll: true });
    selectSpan(claim.start, claim.end);
    reveal(claim.start);
    updateCaret();
    return announce("Sentence selected in the text: press Enter or a verdict key to annotate it.");
  }
  if (action === "dismiss") {
    const response = await api("POST", `claims/${id}/dismiss`);
    if (!response.ok) return announce(`Not dismissed: ${response.data.detail}`, { error: true });
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    claims.set(id, response.data);
    (next?.querySelector(".claim-select") || $("claims-heading")).focus();
    return announce("Claim dismissed.");
  }
  if (action === "accept") {
    if (isDirty()) return announce("Save or close the open annotation first.", { error: true });
    button.disabled = true;
    const body = { document: DOC, start: claim.start, end: claim.end, ...quoteOf(claim.start, claim.end), claim: id };
    const response = await api("POST", "annotations/?unit=utf16", body);
    button.disabled = false;
    if (!response.ok) return announce(`Not accepted: ${response.data.detail}`, { error: true });
    store(response.data);
    markClaimAccepted(id);
    scheduleRender();
    openExisting(response.data.id, { opener: button });
    announce("Claim accepted as a draft annotation: choose a verdict (1–5, U) and save.");
  }
}

// ---- keyboard and mouse in the text --------------------------------------------------------------------
function placeCaret(offset) {
  const p = pointAt(offset);
  getSelection().collapse(p.node, p.offset);
  bodyEl.focus({ preventScroll: true });
  updateCaret();
}

let lastCovering = "";
function updateCaret() {
  const sel = getSelection();
  const inText = document.activeElement === bodyEl && sel.rangeCount && bodyEl.contains(sel.focusNode);
  if (!inText || !sel.isCollapsed) {
    if (markSpans.caret) setMark("caret", null);
    return;
  }
  const offset = offsetOf(sel.focusNode, sel.focusOffset);
  if (offset !== null && offset !== markSpans.caret?.start) setMark("caret", { start: offset });
}

function describeCaret() {
  const offset = caretOffset();
  if (offset === null) return;
  const list = covering(offset);
  const key = list.map((a) => a.id).join(",");
  if (key === lastCovering) return;
  lastCovering = key;
  if (list.length) {
    const rect = liveRange(offset, Math.min(LEN, offset + 1)).getBoundingClientRect();
    showTooltip(list, rect.left, rect.bottom);
    announce(`In ${list.length} annotation${list.length === 1 ? "" : "s"}: ${list.slice(0, 3).map(describe).join("; ")}. Enter opens it.`);
  } else hideTooltip();
}

function ensureSelectionInText() {
  const sel = getSelection();
  if (sel.rangeCount && bodyEl.contains(sel.anchorNode) && bodyEl.contains(sel.focusNode)) return;
  const rect = bodyEl.getBoundingClientRect();
  let offset = 0;
  if (rect.top < 0) {
    const pos = caretAt(rect.left + 24, 64);
    if (pos !== null) offset = pos;
  }
  const p = pointAt(offset);
  sel.collapse(p.node, p.offset);
}

function clampSelection(before) {
  const sel = getSelection();
  if (bodyEl.contains(sel.focusNode) && bodyEl.contains(sel.anchorNode)) return;
  const anchor = offsetOf(sel.anchorNode, sel.anchorOffset) ?? before.anchor;
  const focus = offsetOf(sel.focusNode, sel.focusOffset) ?? before.focus;
  const a = pointAt(anchor);
  const f = pointAt(focus);
  sel.setBaseAndExtent(a.node, a.offset, f.node, f.offset);
}

const GRANULARITY = { ArrowLeft: "character", ArrowRight: "character", ArrowUp: "line", ArrowDown: "line", Home: "lineboundary", End: "lineboundary" };

function selectSentenceAtCaret() {
  const offset = caretOffset() ?? 0;
  for (const claim of claims.values()) {
    if (claim.start <= offset && offset < claim.end) {
      selectSpan(claim.start, claim.end);
      return;
    }
  }
  const sel = getSelection();
  sel.collapseToStart();
  sel.modify("move", "forward", "character");
  sel.modify("move", "backward", "sentenceboundary");
  sel.modify("extend", "forward", "sentenceboundary");
  clampSelection({ anchor: offset, focus: offset });
}

function jumpToAnnotation(direction) {
  const offset = caretOffset() ?? 0;
  const visible = visibleSorted();
  const target = direction > 0 ? visible.find((a) => a.start > offset) : visible.findLast((a) => a.start < offset);
  if (!target) return announce(direction > 0 ? "No further highlight." : "No earlier highlight.");
  placeCaret(target.start);
  reveal(target.start);
  lastCovering = "";
  describeCaret();
}

function onTextKey(event) {
  if (event.target !== bodyEl) return;
  const key = event.key;
  const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
  if (key in GRANULARITY) {
    ensureSelectionInText();
    const sel = getSelection();
    const before = { anchor: offsetOf(sel.anchorNode, sel.anchorOffset), focus: offsetOf(sel.focusNode, sel.focusOffset) };
    const word = (event.ctrlKey || event.altKey) && (key === "ArrowLeft" || key === "ArrowRight");
    const granularity = word ? "word" : (event.ctrlKey || event.metaKey) && (key === "Home" || key === "End") ? "documentboundary" : GRANULARITY[key];
    const direction = key === "ArrowLeft" || key === "ArrowUp" || key === "Home" ? "backward" : "forward";
    sel.modify(event.shiftKey ? "extend" : "move", direction, granularity);
    clampSelection(before);
    event.preventDefault();
    const focus = caretOffset();
    if (focus !== null) reveal(focus);
    updateCaret();
    describeCaret();
    return;
  }
  if (panel.mode === "edit" && event.code === "KeyM" && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    event.preventDefault();
    return moveToSelection();
  }
  if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "a") {
    event.preventDefault();
    selectSpan(0, LEN);
    return;
  }
  if (!plain) return;
  const span = selectionSpan();
  if (key === "Enter" || key.toLowerCase() === "a") {
    event.preventDefault();
    if (span) return openNew(span, { opener: bodyEl, startedAt: event.timeStamp });
    const offset = caretOffset();
    const hit = offset === null ? [] : covering(offset);
    if (hit.length) return openExisting(hit[0].id, { opener: bodyEl, scroll: false });
    return announce("Select some text first (Shift+arrow keys, or S for the sentence).");
  }
  if (key.toLowerCase() in VERDICT_KEYS) {
    event.preventDefault();
    if (span) return openNew(span, { verdict: VERDICT_KEYS[key.toLowerCase()], opener: bodyEl, startedAt: event.timeStamp });
    return announce("Select some text first, then press a verdict key.");
  }
  if (key.toLowerCase() === "s") {
    event.preventDefault();
    ensureSelectionInText();
    selectSentenceAtCaret();
    updateCaret();
    return;
  }
  if (key.toLowerCase() === "n" || key.toLowerCase() === "p") {
    event.preventDefault();
    return jumpToAnnotation(key.toLowerCase() === "n" ? 1 : -1);
  }
  if (key === "Escape") {
    const sel = getSelection();
    if (!sel.isCollapsed) sel.collapseToEnd();
    hideTooltip();
    updateCaret();
  }
}

function caretAt(x, y) {
  if (document.caretPositionFromPoint) {
    const pos = document.caretPositionFromPoint(x, y);
    return pos && bodyEl.contains(pos.offsetNode) ? offsetOf(pos.offsetNode, pos.offset) : null;
  }
  const range = document.caretRangeFromPoint?.(x, y);
  return range && bodyEl.contains(range.startContainer) ? offsetOf(range.startContainer, range.startOffset) : null;
}

/** The character under the pointer (not merely the nearest caret position), or null. */
function charAt(x, y) {
  const offset = caretAt(x, y);
  if (offset === null) return null;
  for (const c of [offset, offset - 1]) {
    if (c < 0 || c >= LEN) continue;
    for (const rect of liveRange(c, c + 1).getClientRects()) {
      if (x >= rect.left - 1 && x <= rect.right + 1 && y >= rect.top - 1 && y <= rect.bottom + 1) return c;
    }
  }
  return null;
}

function showTooltip(list, x, y) {
  tip.replaceChildren(...list.slice(0, 6).map((a) =>
    el("div", { class: "tip-row" }, swatch(a.verdict), el("span", { text: ` ${a.author.username} · ${statusLabel(a.status)}${a.evidence?.length ? ` · ${a.evidence.length} evidence` : ""}` }))));
  if (list.length > 6) tip.append(el("div", { class: "muted small", text: `+${list.length - 6} more` }));
  tip.hidden = false;
  const width = tip.offsetWidth;
  const height = tip.offsetHeight;
  tip.style.left = `${Math.max(4, Math.min(x + 12, innerWidth - width - 8))}px`;
  tip.style.top = `${y + 16 + height > innerHeight ? Math.max(4, y - height - 8) : y + 16}px`;
}

function hideTooltip() {
  tip.hidden = true;
  lastCovering = "";
}

let hoverFrame = 0;
let hoverKey = "";
function onMouseMove(event) {
  if (hoverFrame) return;
  const { clientX: x, clientY: y } = event;
  hoverFrame = requestAnimationFrame(() => {
    hoverFrame = 0;
    const c = charAt(x, y);
    const list = c === null ? [] : covering(c);
    if (!list.length) {
      hoverKey = "";
      return hideTooltip();
    }
    hoverKey = list.map((a) => a.id).join(",");
    showTooltip(list, x, y);
  });
}

let pressedInText = false;
let pressAt = null;
function onMouseUp(event) {
  if (!pressedInText) return;
  window.__annotateMouseUpDispatchMs = performance.now() - event.timeStamp;
  pressedInText = false;
  const span = selectionSpan();
  if (span && panel.mode === "edit") return noteMoveSelection(span);
  if (span) return openNew(span, { opener: bodyEl, startedAt: event.timeStamp });
  if (event.button !== 0 || !pressAt || Math.abs(event.clientX - pressAt.x) + Math.abs(event.clientY - pressAt.y) > 4) return;
  const c = charAt(event.clientX, event.clientY);
  const hit = c === null ? [] : covering(c);
  if (hit.length) openExisting(hit[0].id, { opener: bodyEl, scroll: false });
}

// ---- wiring --------------------------------------------------------------------------------------------------
function wire() {
  bodyEl.tabIndex = 0;
  bodyEl.setAttribute("role", "textbox");
  bodyEl.setAttribute("aria-readonly", "true");
  bodyEl.setAttribute("aria-multiline", "true");
  bodyEl.setAttribute("aria-label", "Article text");
  bodyEl.setAttribute("aria-describedby", "text-help");
  bodyEl.addEventListener("keydown", onTextKey);
  bodyEl.addEventListener("focus", () => requestAnimationFrame(updateCaret));
  bodyEl.addEventListener("blur", () => setMark("caret", null));
  bodyEl.addEventListener("mousedown", (event) => {
    pressedInText = true;
    pressAt = { x: event.clientX, y: event.clientY };
  });
  document.addEventListener("mouseup", onMouseUp);
  bodyEl.addEventListener("mousemove", onMouseMove);
  bodyEl.addEventListener("mouseleave", () => {
    hoverKey = "";
    hideTooltip();
  });
  document.addEventListener("selectionchange", () => {
    if (document.activeElement === bodyEl) updateCaret();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  panelEl.addEventListener("keydown", (event) => {
    const typing = event.target.matches("textarea, input[type=text], input[type=url], select");
    if (event.target.closest(".evidence-edit")) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        return cancelEvidenceEdit();
      }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey || event.target.matches("input"))) {
        event.preventDefault();
        return saveEvidenceEdit();
      }
      if (typing) return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyM" && panel.mode === "edit") {
      event.preventDefault();
      return moveToSelection();
    }
    if (event.key === "Escape") {
      event.preventDefault();
      if (isDirty() && !panel.escArmed) {
        panel.escArmed = true;
        return setError("You have unsaved changes: press Esc again to discard them, or Ctrl+Enter to save.");
      }
      return closePanel();
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      return save();
    }
    if (event.key === "Enter" && event.target.matches("input[type=radio]")) {
      event.preventDefault();
      return save();
    }
    if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey && event.key.toLowerCase() in VERDICT_KEYS && panel.mode !== "view") {
      event.preventDefault();
      chooseVerdict(VERDICT_KEYS[event.key.toLowerCase()], { focus: true });
      announce(`Verdict: ${verdictLabel(chosenVerdict())}.`);
    }
  });
  panelEl.addEventListener("input", () => {
    panel.escArmed = false;
  });
  $("panel-close").addEventListener("click", () => closePanel());
  $("panel-cancel").addEventListener("click", () => closePanel());
  $("panel-submit").addEventListener("click", () => save({ thenSubmit: true }));
  $("panel-move").addEventListener("mousedown", (event) => event.preventDefault()); // keep the text selection
  $("panel-move").addEventListener("click", () => moveToSelection());
  $("panel-delete").addEventListener("click", () => {
    if (!panel.deleteArmed) {
      panel.deleteArmed = true;
      $("panel-delete").textContent = "Confirm delete";
      return setError("Press “Confirm delete” to remove this annotation and its evidence.");
    }
    disarmDelete();
    deleteAnnotation(panel.id, panel.version);
  });
  $("evidence-add").addEventListener("click", stageEvidence);
  evUrl.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      stageEvidence();
    }
  });
  $("panel-evidence").addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.staged !== undefined) {
      panel.staged.splice(Number(button.dataset.staged), 1);
      renderEvidence();
      return evUrl.focus();
    }
    const evidenceId = Number(button.dataset.evidence);
    const action = button.dataset.action;
    if (action === "edit-evidence") {
      if (panel.evidenceForm && evidenceEditDirty() && panel.editingEvidence !== evidenceId) {
        panel.evidenceForm.error.textContent = "Save or cancel this link's changes first.";
        return panel.evidenceForm.url.focus();
      }
      return editEvidence(evidenceId);
    }
    if (action === "save-evidence") return saveEvidenceEdit();
    if (action === "cancel-evidence") return cancelEvidenceEdit();
    if (action !== "delete-evidence") return;
    if (panel.editingEvidence === evidenceId) {
      panel.editingEvidence = null;
      panel.evidenceForm = null;
    }
    const response = await api("DELETE", `evidence/${evidenceId}/`);
    if (!response.ok && response.status !== 404) return setError(`Evidence not deleted: ${response.data.detail}`);
    const a = anns.get(panel.id);
    if (a) a.evidence = a.evidence.filter((ev) => ev.id !== evidenceId);
    renderEvidence();
    evUrl.focus();
    announce("Evidence deleted.");
  });

  listEl.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const id = Number(button.closest("li").dataset.id);
    const a = anns.get(id);
    if (!a) return;
    if (button.dataset.action === "delete") {
      if (button.dataset.armed !== "1") {
        button.dataset.armed = "1";
        button.textContent = "Confirm delete";
        return announce("Press “Confirm delete” to remove the annotation.");
      }
      return deleteAnnotation(id, a.version);
    }
    openExisting(id, { opener: button });
  });
  moreButton.addEventListener("click", () => {
    listLimit += LIST_STEP;
    const first = visibleSorted()[listLimit - LIST_STEP];
    renderList();
    listEl.querySelector(`li[data-id="${first?.id}"] button`)?.focus();
  });
  $("claim-list")?.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) onClaimAction(button);
  });
  for (const radio of document.querySelectorAll('input[name="layer"]')) radio.addEventListener("change", () => setLayer(radio.value));
  $("layer-reviewer").addEventListener("change", () => setLayer("reviewer"));
  $("submit-drafts").addEventListener("click", async () => {
    const response = await api("POST", `documents/${DOC}/submit-drafts`);
    if (!response.ok) return announce(`Not submitted: ${response.data.detail}`, { error: true });
    const withoutVerdict = [...anns.values()].filter((a) => a.author.id === ME.id && a.status === "draft" && !a.verdict).length;
    await poll();
    const n = response.data.submitted;
    announce(`Submitted ${n} draft${n === 1 ? "" : "s"} for review.${withoutVerdict ? ` ${withoutVerdict} without a verdict stay drafts.` : ""}`);
  });
  addEventListener("beforeunload", (event) => {
    if (isDirty()) event.preventDefault();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) schedulePoll(0);
  });
}

async function start() {
  timings.start = performance.now();
  wire();
  if (!HAS_HIGHLIGHTS) announce("This browser cannot draw highlights (CSS Custom Highlight API); the list still works.", { error: true });
  const claimsLoaded = loadClaims();
  const loaded = await loadAnnotations();
  const paintStart = performance.now();
  paintHighlights();
  window.__annotateReady = performance.now();
  timings.paint = window.__annotateReady - paintStart;
  $("annotate").dataset.state = loaded ? "ready" : "error";
  requestAnimationFrame(() => setTimeout(() => {
    window.__annotatePainted = performance.now();
  }));
  setTimeout(() => {
    renderList();
    renderReviewerChoice();
  });
  openLinkedAnnotation();
  addEventListener("hashchange", openLinkedAnnotation);
  await claimsLoaded;
  $("annotate").dataset.claims = "ready";
  schedulePoll();
}

/** Deep links from the review queue, "My queue" and exports: ?annotation=ID, #aID or #annotation-ID. */
function openLinkedAnnotation() {
  const fromHash = location.hash.match(/^#(?:a|annotation-)(\d+)$/);
  const id = Number(fromHash ? fromHash[1] : new URLSearchParams(location.search).get("annotation"));
  if (!id || panel.id === id) return;
  if (anns.has(id)) openExisting(id, { opener: bodyEl });
  else announce(`Annotation #${id} is not on this document (it may have been deleted).`, { error: true });
}

window.__annotate = { pollNow: () => poll(), annotations: anns };
start();
