// keys.js: the keyboard. In the text (a focusable read-only textbox): a caret, selections by character, word,
// line or sentence (S), Enter/A or a verdict key to annotate, N/P between highlights, M to move the open
// annotation, and the annotations at the caret described (tooltip and announcement). In the panel: verdict
// keys, Ctrl+Enter to save, Esc to close (twice with unsaved changes), Alt+M, and the evidence editor's keys.

import { authorName, bodyEl, caretNote, claims, panel, panelEl, statusLabel, VERDICT_KEYS, verdictLabel } from "./state.js";
import { announce } from "./dom.js";
import { caretAt, caretOffset, LEN, liveRange, offsetOf, pointAt, reveal, selectionSpan, selectSpan } from "./text.js";
import { covering, visibleSorted } from "./highlights.js";
import { hideTooltip, placeCaret, setMark, showTooltip, updateCaret } from "./marks.js";
import { chooseVerdict, chosenVerdict, moveToSelection, openExisting, openNew, requestClose, save } from "./panel.js";
import { cancelEvidenceEdit, saveEvidenceEdit } from "./evidence.js";

function describe(a) {
  return `${verdictLabel(a.verdict)} · ${authorName(a)} · ${statusLabel(a.status)}`;
}

function describeCaret() {
  const offset = caretOffset();
  if (offset === null) return;
  const list = covering(offset);
  const key = list.map((a) => a.id).join(",");
  if (key === caretNote.covering) return;
  caretNote.covering = key;
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
  caretNote.covering = "";
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

function onPanelKey(event) {
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
    return requestClose("Esc");
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
}

export function wireKeys() {
  bodyEl.tabIndex = 0;
  bodyEl.setAttribute("role", "textbox");
  bodyEl.setAttribute("aria-readonly", "true");
  bodyEl.setAttribute("aria-multiline", "true");
  bodyEl.setAttribute("aria-label", "Article text");
  bodyEl.setAttribute("aria-describedby", "text-help");
  bodyEl.addEventListener("keydown", onTextKey);
  bodyEl.addEventListener("focus", () => requestAnimationFrame(updateCaret));
  bodyEl.addEventListener("blur", () => setMark("caret", null));
  document.addEventListener("selectionchange", () => {
    if (document.activeElement === bodyEl) updateCaret();
  });
  panelEl.addEventListener("keydown", onPanelKey);
}
