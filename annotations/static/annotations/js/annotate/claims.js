// claims.js: the candidate claims beside the text, a page at a time from the paginated claims API (so a 2 MB
// article with 40,000 candidates costs one page of DOM, not 40,000 items): filter (open, check-worthy, accepted,
// untouched, dismissed, all), search, identical sentences grouped into one entry (×N), each entry saying where it
// is in the text, and the loaded candidates marked in the text. Select puts the sentence in the text; Accept makes
// a draft annotation of it, and Annotate on one I annotated already opens that annotation (never a duplicate);
// Dismiss says who and when and can be undone.
//
// openExisting and isDirty are panel.js's, handed over by wireClaims (annotate.js): imports stay acyclic.

import { $, anns, bodyEl, cfg, claims, DOC, HAS_HIGHLIGHTS, isMine } from "./state.js";
import { announce, el } from "./dom.js";
import { api } from "./api.js";
import { LEN, quoteOf, reveal, selectSpan, staticRange } from "./text.js";
import { store } from "./highlights.js";
import { scheduleRender } from "./list.js";
import { updateCaret } from "./marks.js";

const PAGE = 100;
const listEl = $("claim-list");
const moreButton = $("claim-list-more");
const countEl = $("claim-count");
const showEl = $("claim-show");
const searchEl = $("claim-search");
const query = { show: showEl?.value || "open", q: "", order: "score", next: null, generation: 0, moved: 0 };
let openExisting, isDirty;

const candidates = HAS_HIGHLIGHTS ? new Highlight() : null;
if (candidates) {
  candidates.priority = 0; // under every verdict's highlight
  CSS.highlights.set("fc-candidate", candidates);
}

function claimsPath(cursor) {
  const params = new URLSearchParams({ order: query.order, show: query.show, distinct: "true", unit: "utf16", page_size: String(PAGE) });
  if (query.q) params.set("q", query.q);
  if (cursor) params.set("cursor", cursor);
  return `documents/${DOC}/claims/?${params}`;
}

/** Load the first page for the current filters (replacing the list), or the next page (appending to it). */
export async function loadClaims({ more = false } = {}) {
  const generation = more ? query.generation : ++query.generation;
  // Entries I moved out of the filter (dismissed while showing open ones, …) shifted the server's pages.
  const cursor = more && query.next ? String(Math.max(0, Number(query.next) - query.moved)) : null;
  const path = claimsPath(cursor);
  moreButton.disabled = true;
  const response = await api("GET", path);
  if (generation !== query.generation) return; // the filters changed meanwhile: that answer is stale
  moreButton.disabled = false;
  if (!response.ok) return announce(`Candidate claims could not be loaded: ${response.data.detail}`, { error: true });
  if (!more) {
    query.moved = 0;
    claims.clear();
    listEl.replaceChildren();
    candidates?.clear();
  }
  const items = [];
  for (const claim of response.data.results) {
    claims.set(claim.id, claim);
    items.push(claimItem(claim));
    candidates?.add(staticRange(claim.start, claim.end));
  }
  listEl.append(...items);
  // similar.js matches the page against already-checked claims ("Checked before?")
  document.dispatchEvent(new CustomEvent("fc:claims-page", { detail: { ids: response.data.results.map((c) => c.id) } }));
  query.next = response.data.next;
  moreButton.hidden = !query.next;
  const n = response.data.count;
  countEl.textContent = `${n.toLocaleString()} ${n === 1 ? "entry" : "entries"}`;
  $("claims-empty").hidden = n > 0;
}

/** Whether the claim belongs in the list the current filter asks for (the server's rule, for one entry). */
function matchesShow(claim) {
  switch (query.show) {
    case "open": return claim.state !== "dismissed";
    case "untouched": return claim.state === "candidate";
    case "accepted": return claim.state === "accepted";
    case "dismissed": return claim.state === "dismissed";
    case "checkworthy": return claim.checkworthy;
    default: return true;
  }
}

function where(claim) {
  return `${Math.min(99, Math.floor((claim.start / Math.max(LEN, 1)) * 100))} %`;
}

function claimItem(claim) {
  const item = el("li", { class: `claim${claim.checkworthy ? " checkworthy" : ""}`, "data-claim-id": claim.id, "data-state": claim.state });
  item.append(
    el("span", { class: "score", title: "check-worthiness score", text: claim.score === null ? "–" : claim.score.toFixed(2) }),
    " ",
  );
  if (claim.checkworthy) item.append(el("span", { class: "badge", text: "check-worthy" }), " ");
  if (claim.state === "accepted") item.append(el("span", { class: "badge accepted", text: "accepted" }), " ");
  if (claim.occurrences > 1) {
    item.append(el("span", { class: "badge repeat", title: `The same sentence is ${claim.occurrences} times in the text`, text: `×${claim.occurrences}` }), " ");
  }
  item.append(el("button", { type: "button", class: "text claim-select", "data-action": "select", id: `claim-${claim.id}`, text: claim.text }));
  item.append(" ", el("span", { class: "where muted small", title: "Where it is in the text", text: `at ${where(claim)}` }));
  const actions = el("span", { class: "claim-actions" });
  const described = { "aria-describedby": `claim-${claim.id}` };
  if (claim.state === "dismissed") {
    const by = claim.decided_by ? ` by ${claim.decided_by}` : "";
    actions.append(
      el("span", { class: "muted small", text: `Dismissed${by}${claim.decided_at ? ` ${claim.decided_at.slice(0, 10)}` : ""} ` }),
      el("button", { type: "button", class: "small secondary", "data-action": "restore", text: "Undo", ...described }),
    );
  } else {
    const label = myAnnotationOf(claim) ? "Open mine" : claim.state === "accepted" ? "Annotate" : "Accept";
    actions.append(
      el("button", { type: "button", class: "small", "data-action": "accept", text: label, ...described }),
      " ",
      el("button", { type: "button", class: "small secondary", "data-action": "dismiss", text: "Dismiss", ...described }),
    );
  }
  item.append(" ", actions);
  return item;
}

function myAnnotationOf(claim) {
  for (const a of anns.values()) if (a.claim === claim.id && isMine(a)) return a.id;
  return claim.my_annotation && anns.has(claim.my_annotation) ? claim.my_annotation : null;
}

function replaceItem(claim) {
  claims.set(claim.id, claim);
  const old = listEl.querySelector(`li[data-claim-id="${claim.id}"]`);
  const item = claimItem(claim);
  old?.replaceWith(item);
  document.dispatchEvent(new CustomEvent("fc:claim-replaced", { detail: { id: claim.id } }));
  return item;
}

/** An annotation was saved for this claim (panel.js): the entry shows it accepted and opens mine from now on. */
export function markClaimAccepted(claimId) {
  const claim = claims.get(claimId);
  if (!claim) return;
  const accepted = { ...claim, state: "accepted" };
  if (matchesShow(claim) && !matchesShow(accepted)) query.moved += 1;
  replaceItem(accepted);
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
  if (action === "dismiss" || action === "restore") {
    const all = claim.occurrences > 1 ? "&all_occurrences=true" : ""; // the entry stands for every copy
    const response = await api("POST", `claims/${id}/${action}?unit=utf16${all}`);
    if (!response.ok) return announce(`${action === "dismiss" ? "Not dismissed" : "Not restored"}: ${response.data.detail}`, { error: true });
    if (matchesShow(claim) && !matchesShow(response.data)) query.moved += 1;
    const updated = replaceItem({ ...response.data, occurrences: claim.occurrences });
    updated.querySelector(`[data-action="${action === "dismiss" ? "restore" : "dismiss"}"]`)?.focus();
    return announce(action === "dismiss" ? "Claim dismissed. Undo puts it back." : "Claim back among the candidates.");
  }
  if (action === "accept") {
    const mine = myAnnotationOf(claim);
    if (mine) return openExisting(mine, { opener: button });
    if (isDirty()) return announce("Save or close the open annotation first.", { error: true });
    button.disabled = true;
    const body = { document: DOC, start: claim.start, end: claim.end, ...quoteOf(claim.start, claim.end), claim: id };
    const response = await api("POST", "annotations/?unit=utf16", body);
    button.disabled = false;
    if (response.status === 409 && response.data.current) {
      store(response.data.current); // annotated already (another tab, or a reload away): open that one
      scheduleRender();
      return openExisting(response.data.current.id, { opener: button });
    }
    if (!response.ok) return announce(`Not accepted: ${response.data.detail}`, { error: true });
    store(response.data);
    markClaimAccepted(id);
    scheduleRender();
    openExisting(response.data.id, { opener: button });
    announce("Claim accepted as a draft annotation: choose a verdict (1–5, U) and save.");
  }
}

// ---- a document still being segmented: its candidates appear by themselves when the worker is done ----------
async function watchSegmentation() {
  const seg = cfg.segmentation;
  if (seg.status === "done" || seg.status === "failed") return;
  for (let tries = 0; tries < 400; tries++) {
    await new Promise((resolve) => setTimeout(resolve, document.hidden ? 10000 : 3000));
    const response = await api("GET", `documents/${DOC}/?body=false`);
    if (!response.ok) continue;
    const status = response.data.segmentation_status;
    if (status === seg.status) continue;
    seg.status = status;
    const badge = $("segmentation-status");
    badge.className = `status status-${status}`;
    badge.textContent = seg.labels[status] || status;
    const note = $("segmentation-note");
    if (status === "done") {
      note?.remove();
      await loadClaims();
      return announce("Segmentation is done: the candidate claims are listed.");
    }
    if (status === "failed") {
      if (note) {
        note.className = "error";
        note.textContent = "Segmentation failed; an editor can run it again from the admin.";
      }
      return;
    }
    if (note) note.textContent = `Segmentation is ${(seg.labels[status] || status).toLowerCase()}; candidate claims appear here when it is done.`;
  }
}

export function wireClaims(actions) {
  ({ openExisting, isDirty } = actions);
  query.order = new URLSearchParams(location.search).get("order") === "position" ? "position" : "score";
  listEl.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) onClaimAction(button);
  });
  moreButton.addEventListener("click", async () => {
    const last = listEl.lastElementChild;
    await loadClaims({ more: true });
    last?.nextElementSibling?.querySelector(".claim-select")?.focus();
  });
  // Scrolling to the end of the list loads the next page by itself.
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && query.next && !moreButton.disabled) loadClaims({ more: true });
  }, { root: listEl.closest(".claims"), rootMargin: "300px" }).observe(moreButton);
  showEl.addEventListener("change", () => {
    query.show = showEl.value;
    loadClaims();
  });
  watchSegmentation();
  let timer = 0;
  searchEl.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query.q = searchEl.value.trim();
      loadClaims();
    }, 250);
  });
}
