// panel.js: the verdict panel: a new annotation for a selection or an existing one (editable while it is
// yours and open, read-only otherwise), saving (POST, or PATCH with the version loaded), submitting for review,
// deleting, moving the annotation to a new selection, and the conflict view when the server has a newer
// version (its values next to yours, and Reload; nothing is overwritten).

import { $, anns, authorName, bodyEl, cfg, claims, DOC, form, isMine, panel, panelEl, statusLabel, verdictLabel } from "./state.js";
import { announce, el, setError, truncate } from "./dom.js";
import { api } from "./api.js";
import { withId } from "../http.js";
import { quoteOf, reveal, selectionSpan, TEXT } from "./text.js";
import { forget, store } from "./highlights.js";
import { hideTooltip, placeCaret, setMark } from "./marks.js";
import { scheduleRender } from "./list.js";
import { hideThread, showThread } from "./thread.js";
import { markClaimAccepted } from "./claims.js";
import { evPassage, evStance, evTitle, evUrl, evidenceEditDirty, renderEvidence, saveEvidenceEdit, stagedFromFields } from "./evidence.js";

const radios = [...form.querySelectorAll('input[name="verdict"]')];
const rationale = $("panel-rationale");

export const chosenVerdict = () => radios.find((r) => r.checked)?.value ?? "";
export function chooseVerdict(value, { focus = false } = {}) {
  const radio = radios.find((r) => r.value === value) || radios.at(-1);
  radio.checked = true;
  if (focus) radio.focus();
}

function snapshot() {
  return JSON.stringify([chosenVerdict(), rationale.value, panel.staged.length, evUrl.value.trim(), evTitle.value, evPassage.value, evidenceEditDirty()]);
}
export const isDirty = () => panel.mode && panel.mode !== "view" && snapshot() !== panel.initial;

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
  $("panel-similar").hidden = true;
  panel.staged = [];
  disarmClose();
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

export function openNew(span, { verdict = "", claimId = null, opener = null, startedAt = performance.now() } = {}) {
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
  document.dispatchEvent(new CustomEvent("fc:panel-new", { detail: { span } })); // similar.js: checked before?
}

export function openExisting(id, { opener = null, scroll = true, focus = null } = {}) {
  const a = anns.get(id);
  if (!a) return;
  if (isDirty() && panel.id !== id) {
    announce("Save or close the open annotation first.", { error: true });
    return;
  }
  const mode = a.can_edit ? "edit" : "view";
  Object.assign(panel, { mode, id, version: a.version, span: { start: a.start, end: a.end }, claimId: a.claim, opener: opener || document.activeElement });
  const who = isMine(a) ? "you" : authorName(a);
  const locked = isMine(a) && !a.can_edit ? " · locked by review" : "";
  fillPanel({
    title: mode === "edit" ? "Edit annotation" : `Annotation by ${authorName(a)} (read-only)`,
    meta: `By ${who} · ${statusLabel(a.status)}${locked} · version ${a.version} · updated ${new Date(a.updated_at).toLocaleString()}`,
    quote: a.quote.exact, verdict: a.verdict, text: a.rationale, readOnly: mode === "view",
  });
  if (cfg.canReview && a.status !== "draft") {
    const href = withId(cfg.reviewUrl, a.id);
    $("panel-meta").append(" · ", el("a", { href, text: "review" }));
  }
  if (a.reused_from) $("panel-meta").append(" · verdict reused from an already-checked claim");
  if (a.status === "published" || a.status === "retracted") {
    const href = withId(cfg.factCheckUrl, a.id);
    $("panel-meta").append(" · ", el("a", { href, target: "_blank", rel: "noopener", text: "public page" }));
  }
  $("panel-save").hidden = mode === "view";
  $("panel-delete").hidden = mode === "view";
  $("panel-move-row").hidden = mode === "view";
  $("panel-submit").hidden = mode === "view" || a.status === "submitted";
  $("panel-submit").textContent = "Submit for review";
  setMark("pending", null);
  setMark("selected", { start: a.start, end: a.end });
  if (scroll) reveal(a.start);
  showThread(a);
  const target = focus || (mode === "edit" ? radios.find((r) => r.checked) : $("panel-title"));
  showPanel(target, performance.now());
}

/** Close, Cancel and Esc: with unsaved changes the first press asks (the buttons then say so), the second discards. */
export function requestClose(how = "Esc") {
  if (isDirty() && !panel.escArmed) {
    panel.escArmed = true;
    $("panel-cancel").textContent = "Discard changes";
    $("panel-close").textContent = "Discard";
    return setError(`You have unsaved changes: press ${how} again to discard them, or Ctrl+Enter to save.`);
  }
  return closePanel();
}

function disarmClose() {
  panel.escArmed = false;
  $("panel-cancel").textContent = "Cancel";
  $("panel-close").textContent = "Close";
}

export function closePanel({ restoreFocus = true } = {}) {
  disarmClose();
  hideThread();
  if (!panel.mode) return;
  const opener = panel.opener;
  panelEl.hidden = true;
  Object.assign(panel, { mode: null, id: null, version: null, span: null, claimId: null, opener: null, staged: [], moveSpan: null, editingEvidence: null, evidenceForm: null });
  setMark("pending", null);
  setMark("selected", null);
  if (restoreFocus) (opener && opener.isConnected && opener !== document.body ? opener : bodyEl).focus({ preventScroll: true });
}

export async function save({ thenSubmit = false } = {}) {
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
  if (response.status === 409 && response.data.current) {
    // I annotated this claim already (another tab): keep what was typed here, and offer the saved one.
    const existing = response.data.current;
    store(existing);
    scheduleRender();
    renderEvidence();
    setError(`Not saved: ${response.data.detail}. `);
    const open = el("button", { type: "button", class: "link", text: "Open my annotation (discards this text)" });
    open.addEventListener("click", () => {
      panel.escArmed = true; // the choice is made: no second confirmation
      closePanel({ restoreFocus: false });
      openExisting(existing.id, { opener: bodyEl });
    });
    return $("panel-error").append(open);
  }
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

export function noteMoveSelection(span) {
  panel.moveSpan = span;
  setMark("pending", span);
  announce("Selection ready: press “Move to selection” (Alt+M) to move this annotation there, or close the panel to annotate it as a new one.");
}

export async function moveToSelection() {
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
  const response = await api("POST", `annotations/${id}/submit?unit=utf16`, { version });
  if (!response.ok) {
    if (!panel.mode) openExisting(id, {});
    return failed(response);
  }
  store(response.data);
  scheduleRender();
  if (close) closePanel({ restoreFocus: panel.mode !== "new" });
  announce(`Submitted for review: “${truncate(response.data.quote.exact, 60)}”.`);
}

export async function deleteAnnotation(id, version) {
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

export function panelNoticeChange(a) {
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

export function wirePanel() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  panelEl.addEventListener("input", () => {
    if (panel.escArmed) {
      disarmClose();
      setError("");
    }
  });
  $("panel-close").addEventListener("click", () => requestClose("Close"));
  $("panel-cancel").addEventListener("click", () => requestClose("Cancel"));
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
  addEventListener("beforeunload", (event) => {
    if (isDirty()) event.preventDefault();
  });
}
