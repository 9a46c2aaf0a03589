// list.js: the annotations beside the text in reading order (the chosen layer, 150 at a time), with the layer
// choice and "Submit all my drafts" (the candidate claims are claims.js's); and scheduleRender, which repaints
// highlights and list together once per frame after a change.
//
// panel.js and sync.js use this module (scheduleRender), so what the list's buttons need
// from them (open, delete, isDirty, poll) is handed to wireList by annotate.js: the graph of imports stays
// acyclic, which hashed static files need (a module's hash covers the names of the modules it uses).

import { $, anns, authorName, DOC, isMine, LIST_STEP, ME, statusLabel } from "./state.js";
import { announce, el, swatch, truncate } from "./dom.js";
import { api } from "./api.js";
import { layer, paintHighlights, showLayer, visibleSorted } from "./highlights.js";

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
    a.anchor_state === "changed" ? el("span", { class: "badge changed", text: "text changed — re-check" }) : null,
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
