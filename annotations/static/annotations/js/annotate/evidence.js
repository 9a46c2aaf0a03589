// evidence.js: the evidence links of the annotation in the panel: the saved ones (opened only as http(s)
// links), the ones staged to be saved with it, the fields for a new link, and the in-place editor of a
// saved link (PATCH /api/v1/evidence/{id}/, Esc cancels it, the server's refusal shown under its URL).

import { $, anns, cfg, panel } from "./state.js";
import { announce, el, httpUrl, setError, truncate } from "./dom.js";
import { api } from "./api.js";
import { withId } from "../http.js";
import { scheduleRender } from "./list.js";

export const evUrl = $("evidence-url");
export const evTitle = $("evidence-title");
export const evPassage = $("evidence-passage");
export const evStance = $("evidence-stance");
evStance.replaceChildren(...cfg.stances.map((s) => el("option", { value: s.value, text: s.label })));
evStance.value = "context";

export function renderEvidence() {
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
  if (ev.link_check) item.append(linkCheck(ev));
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

/** What the link answered when the worker checked it, and its archive copy. */
function linkCheck(ev) {
  const check = ev.link_check;
  const when = check.checked_at ? ` (checked ${check.checked_at.slice(0, 10)})` : "";
  const box = el("span", { class: `link-check link-${check.status} small` });
  if (check.status === "ok") box.append(`link works${when}`);
  else if (check.status === "redirected") {
    const target = httpUrl(check.final_url);
    box.append("redirects to ", target ? el("a", { href: target, target: "_blank", rel: "noopener noreferrer", text: check.final_url }) : check.final_url, when);
  } else if (check.status === "refused") box.append(`not checked: ${check.detail}`);
  else box.append(`link broken: ${check.detail}${when}`);
  if (check.status === "ok" || check.status === "redirected") {
    box.append(" · ", el("a", { href: withId(cfg.evidenceArchiveUrl, ev.id), target: "_blank", rel: "noopener", text: "archive copy" }));
  }
  return box;
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

export function evidenceEditDirty() {
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

export function cancelEvidenceEdit({ focus = true } = {}) {
  const id = panel.editingEvidence;
  panel.editingEvidence = null;
  panel.evidenceForm = null;
  renderEvidence();
  if (focus) ($("panel-evidence").querySelector(`button[data-action="edit-evidence"][data-evidence="${id}"]`) || evUrl).focus();
}

/** PATCH /api/v1/evidence/{id}/ with the in-place form; true when saved (or nothing to save). */
export async function saveEvidenceEdit() {
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

export function stagedFromFields({ required }) {
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

export function wireEvidence() {
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
}
