// marks.js: what changes on every key press or click, drawn over the text without touching it: the
// selection being annotated, the annotation open in the panel and the keyboard caret (marks), and the
// tooltip naming the annotations under the pointer or the caret.

import { authorName, bodyEl, caretNote, statusLabel, tip } from "./state.js";
import { el, swatch } from "./dom.js";
import { liveRange, offsetOf, pointAt } from "./text.js";

// Transient marks (the selection being annotated, the annotation open in the panel, the keyboard caret) are
// a few absolutely positioned boxes over the text, not CSS highlights: Chromium rebuilds the markers of
// every registered highlight range on any highlight change (~20-30 ms with 2,000 ranges), and these
// marks change on every key press.
const marks = el("div", { class: "annotate-marks", "aria-hidden": "true" });
const markSpans = { pending: null, selected: null, caret: null };
const markLayers = {};
for (const name of Object.keys(markSpans)) marks.append((markLayers[name] = el("div")));
document.body.append(marks);

export function setMark(name, span) {
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

// ---- the keyboard caret ---------------------------------------------------------------------------------
export function placeCaret(offset) {
  const p = pointAt(offset);
  getSelection().collapse(p.node, p.offset);
  bodyEl.focus({ preventScroll: true });
  updateCaret();
}

export function updateCaret() {
  const sel = getSelection();
  const inText = document.activeElement === bodyEl && sel.rangeCount && bodyEl.contains(sel.focusNode);
  if (!inText || !sel.isCollapsed) {
    if (markSpans.caret) setMark("caret", null);
    return;
  }
  const offset = offsetOf(sel.focusNode, sel.focusOffset);
  if (offset !== null && offset !== markSpans.caret?.start) setMark("caret", { start: offset });
}

// ---- the tooltip ---------------------------------------------------------------------------------------
export function showTooltip(list, x, y) {
  tip.replaceChildren(...list.slice(0, 6).map((a) =>
    el("div", { class: "tip-row" }, swatch(a.verdict), el("span", { text: ` ${authorName(a)} · ${statusLabel(a.status)}${a.evidence?.length ? ` · ${a.evidence.length} evidence` : ""}` }))));
  if (list.length > 6) tip.append(el("div", { class: "muted small", text: `+${list.length - 6} more` }));
  tip.hidden = false;
  const width = tip.offsetWidth;
  const height = tip.offsetHeight;
  tip.style.left = `${Math.max(4, Math.min(x + 12, innerWidth - width - 8))}px`;
  tip.style.top = `${y + 16 + height > innerHeight ? Math.max(4, y - height - 8) : y + 16}px`;
}

export function hideTooltip() {
  tip.hidden = true;
  caretNote.covering = "";
}
