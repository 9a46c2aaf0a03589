// highlights.js: the annotations the page knows (anns) as the API gives them, which of them the chosen layer
// shows, and their highlights: the CSS Custom Highlight API, one Highlight of StaticRanges per verdict in
// CSS.highlights (styled by ::highlight() in annotate.css), so 2,000 annotations cost no DOM nodes and no
// re-layout, and overlaps and nesting are painted by the browser.

import { anns, authorName, cfg, HAS_HIGHLIGHTS, isMine, isPlaced } from "./state.js";
import { LEN, staticRange } from "./text.js";

/** Whose annotations are shown: everyone's, mine, or one reviewer's (read it; change it with showLayer). */
export const layer = { kind: "everyone", reviewer: "" };
let visibleCache = null;

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
  if (!isPlaced(a)) return false; // an orphan (listed in the banner), or offsets of another version of the text
  if (layer.kind === "mine") return isMine(a);
  if (layer.kind === "reviewer") return authorName(a) === layer.reviewer;
  return true;
}

export function showLayer(kind, reviewer) {
  Object.assign(layer, { kind, reviewer });
  visibleCache = null;
}

export function visibleSorted() {
  if (!visibleCache) {
    visibleCache = [...anns.values()].filter(isVisible);
    visibleCache.sort((x, y) => x.start - y.start || x.end - y.end || x.id - y.id);
  }
  return visibleCache;
}

export function store(row) {
  const old = anns.get(row.id);
  if (old && row.version < old.version) return false; // an older echo of a write we already applied
  row.range = old && old.start === row.start && old.end === row.end ? old.range : null;
  if (!row.range && isPlaced(row) && row.end <= LEN && row.start < row.end) row.range = staticRange(row.start, row.end);
  anns.set(row.id, row);
  visibleCache = null;
  return true;
}

export function forget(id) {
  anns.delete(id);
  visibleCache = null;
}

export function paintHighlights() {
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

/** The visible annotations over one offset, innermost (shortest) first. */
export function covering(offset) {
  const result = [];
  for (const a of visibleSorted()) {
    if (a.start > offset) break;
    if (offset < a.end) result.push(a);
  }
  return result.sort((x, y) => x.end - x.start - (y.end - y.start));
}
