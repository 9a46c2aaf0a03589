// text.js: the article as global UTF-16 offsets over the text nodes of #document-body (never changed),
// DOM points and ranges for an offset span, selections and the caret as spans, grapheme snapping, and the
// quote (exact, prefix, suffix) a save sends.

import { bodyEl, cfg } from "./state.js";

// ---- the text: global UTF-16 offsets over the text nodes of #document-body --------------------------
// (Blink's parser splits text longer than 65,536 code units into several nodes; we never merge them,
// which would re-lay out the article, we map offsets instead.)
const segs = [];
export const TEXT = (() => {
  const parts = [];
  for (const node of bodyEl.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    segs.push({ node, start: parts.reduce((n, p) => n + p.length, 0) });
    parts.push(node.data);
  }
  if (!segs.length) segs.push({ node: bodyEl.appendChild(document.createTextNode("")), start: 0 });
  return parts.join("");
})();
export const LEN = TEXT.length;
const wholeText = document.createRange();
wholeText.selectNodeContents(bodyEl);

export function pointAt(offset) {
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

export function staticRange(start, end) {
  const a = pointAt(start);
  const b = pointAt(end);
  return new StaticRange({ startContainer: a.node, startOffset: a.offset, endContainer: b.node, endOffset: b.offset });
}

export function liveRange(start, end) {
  const a = pointAt(start);
  const b = pointAt(end);
  const range = document.createRange();
  range.setStart(a.node, a.offset);
  range.setEnd(b.node, b.offset);
  return range;
}

/** A DOM boundary point as a text offset, clamped to the article; null if it cannot be placed. */
export function offsetOf(node, offset) {
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

export function quoteOf(start, end) {
  let p = Math.max(0, start - cfg.quoteContext);
  if (p > 0 && isLowSurrogate(TEXT.charCodeAt(p))) p++;
  let q = Math.min(LEN, end + cfg.quoteContext);
  if (q < LEN && isLowSurrogate(TEXT.charCodeAt(q))) q--;
  return { exact: TEXT.slice(start, end), prefix: TEXT.slice(p, start), suffix: TEXT.slice(end, q) };
}

export function selectionSpan() {
  const sel = getSelection();
  if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!range.intersectsNode(bodyEl)) return null;
  const start = offsetOf(range.startContainer, range.startOffset);
  const end = offsetOf(range.endContainer, range.endOffset);
  return start === null || end === null ? null : normalizeSpan(start, end);
}

const WORD = /[\p{L}\p{N}\p{M}'’_-]/u;
const isWord = (i) => i >= 0 && i < LEN && WORD.test(TEXT[i]) && !isLowSurrogate(TEXT.charCodeAt(i));

/** A mouse selection that starts or ends inside a word grows to the whole word ("aling a potential" →
 * "signaling a potential"), as word processors do; keyboard selections stay exactly where the keys put them. */
export function snapToWords(span) {
  let { start, end } = span;
  while (isWord(start) && isWord(start - 1)) start--;
  while (isWord(end - 1) && isWord(end)) end++;
  return { start, end };
}

export function caretOffset() {
  const sel = getSelection();
  if (!sel || !sel.rangeCount || !bodyEl.contains(sel.focusNode)) return null;
  return offsetOf(sel.focusNode, sel.focusOffset);
}

export function selectSpan(start, end) {
  const a = pointAt(start);
  const b = pointAt(end);
  getSelection().setBaseAndExtent(a.node, a.offset, b.node, b.offset);
}

export function reveal(offset) {
  const rect = liveRange(offset, Math.min(LEN, offset + 1)).getBoundingClientRect();
  if (rect.top < 48 || rect.bottom > innerHeight - 48) scrollBy({ top: rect.top - innerHeight / 3, behavior: "instant" });
}

// ---- screen points: the caret position and the character under the pointer ---------------------------
export function caretAt(x, y) {
  if (document.caretPositionFromPoint) {
    const pos = document.caretPositionFromPoint(x, y);
    return pos && bodyEl.contains(pos.offsetNode) ? offsetOf(pos.offsetNode, pos.offset) : null;
  }
  const range = document.caretRangeFromPoint?.(x, y);
  return range && bodyEl.contains(range.startContainer) ? offsetOf(range.startContainer, range.startOffset) : null;
}

/** The character under the pointer (not merely the nearest caret position), or null. */
export function charAt(x, y) {
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
