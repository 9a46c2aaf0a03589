// list.js: the two lists beside the text: the annotations in reading order (the chosen layer, 150 at a
// time), with the layer choice and "Submit all my drafts", and the candidate claims (select, accept, dismiss);
// and scheduleRender, which repaints highlights and list together once per frame after a change.
//
// panel.js and sync.js use this module (scheduleRender, markClaimAccepted), so what the lists' buttons need
// from them (open, delete, isDirty, poll) is handed to wireList by annotate.js: the graph of imports stays
// acyclic, which hashed static files need (a module's hash covers the names of the modules it uses).

import { $, anns, authorName, bodyEl, claims, DOC, isMine, LIST_STEP, ME, statusLabel } from "./state.js";
import { announce, el, swatch, truncate } from "./dom.js";
import { api } from "./api.js";
import { quoteOf, reveal, selectSpan } from "./text.js";
import { layer, paintHighlights, showLayer, store, visibleSorted } from "./highlights.js";
import { updateCaret } from "./marks.js";

let openExisting, deleteAnnotation, isDirty, poll; // panel.js's and sync.js's, handed over by wireList

let renderQueued = false;
export function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    paintHighlights();
    renderList();
    renderReviewerChoice();
  });
}

// ---- the annotation list ---------------------------------------------------------------------------
let listLimit = LIST_STEP;
const listEl = $("annotation-list");
const moreButton = $("annotation-list-more");

function listItem(a) {
  const mine = isMine(a);
  const quote = truncate(a.quote.exact.replace(/\s+/g, " "), 90);
  const open = el(
    "button",
    { type: "button", class: "ann-open", "data-action": "open" },
    swatch(a.verdict),
    el("span", { class: "ann-quote", text: `“${quote}”` }),
    el("span", { class: "ann-meta", text: `${mine ? "you" : authorName(a)} · ${statusLabel(a.status)}` }),
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

export function renderList() {
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
  const mine = [...anns.values()].filter(isMine).length;
  $("annotation-count").textContent = `(${visible.length} shown · ${mine} mine · ${anns.size} in all)`;
  if (focusItem) {
    const item = listEl.querySelector(`li[data-id="${CSS.escape(focusItem)}"]`);
    (item?.querySelector(`[data-action="${focusAction}"]`) || item?.querySelector("button"))?.focus();
  }
}

let reviewerNames = "";
export function renderReviewerChoice() {
  const names = [...new Set([...anns.values()].map(authorName))].sort();
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
  showLayer(kind, reviewer);
  for (const radio of document.querySelectorAll('input[name="layer"]')) radio.checked = radio.value === kind;
  listLimit = LIST_STEP;
  scheduleRender();
  const label = kind === "mine" ? "your annotations" : kind === "reviewer" ? `annotations by ${reviewer}` : "everyone's annotations";
  requestAnimationFrame(() => announce(`Showing ${label} (${visibleSorted().length}).`));
}

// ---- the candidate claims ------------------------------------------------------------------------------
export function markClaimAccepted(claimId) {
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
    const response = await api("POST", `claims/${id}/dismiss?unit=utf16`);
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

// ---- wiring ----------------------------------------------------------------------------------------------
export function wireList(actions) {
  ({ openExisting, deleteAnnotation, isDirty, poll } = actions);
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
    const withoutVerdict = [...anns.values()].filter((a) => isMine(a) && a.status === "draft" && !a.verdict).length;
    await poll();
    const n = response.data.submitted;
    announce(`Submitted ${n} draft${n === 1 ? "" : "s"} for review.${withoutVerdict ? ` ${withoutVerdict} without a verdict stay drafts.` : ""}`);
  });
}
