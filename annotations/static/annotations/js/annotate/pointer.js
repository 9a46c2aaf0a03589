// pointer.js: the mouse over the text: a tooltip naming every annotation under the pointer (once per
// frame), a selection made with the mouse opens the panel for it (or, with one of your annotations open,
// becomes the place to move it to), and a click on a highlight opens the annotation.

import { bodyEl, panel, placing } from "./state.js";
import { charAt, selectionSpan, selectSpan, snapToWords } from "./text.js";
import { covering } from "./highlights.js";
import { hideTooltip, showTooltip } from "./marks.js";
import { noteMoveSelection, openExisting, openNew } from "./panel.js";

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
  let span = selectionSpan();
  if (span) {
    const snapped = snapToWords(span);
    if (snapped.start !== span.start || snapped.end !== span.end) selectSpan(snapped.start, snapped.end);
    span = snapped;
  }
  if (span && placing.id !== null) return; // the passage for an annotation being placed by hand (orphans.js)
  if (span && panel.mode === "edit") return noteMoveSelection(span);
  if (span) return openNew(span, { opener: bodyEl, startedAt: event.timeStamp });
  if (event.button !== 0 || !pressAt || Math.abs(event.clientX - pressAt.x) + Math.abs(event.clientY - pressAt.y) > 4) return;
  const c = charAt(event.clientX, event.clientY);
  const hit = c === null ? [] : covering(c);
  if (hit.length) openExisting(hit[0].id, { opener: bodyEl, scroll: false });
}

export function wirePointer() {
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
}
