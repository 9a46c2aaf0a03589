// similar.js: "Checked before?" — already-checked claims (published or approved verdicts of the desks I see, and
// imported fact-checks) that a candidate claim or a new highlight repeats, with their verdict, score, desk and a
// link, and "Reuse verdict", which makes my draft from one (verdict, rationale and evidence copied; the server
// records the source). Candidate entries are matched a page at a time (GET documents/{id}/similar?claims=…),
// a new highlight when the panel opens for it (POST similar). A near-identical claim already judged in this
// desk is marked as a repeat, with a link to the judged one: it is judged once.
//
// claims.js and panel.js tell this module what to match with DOM events (fc:claims-page, fc:panel-new), and
// annotate.js hands over panel.js's functions (wireSimilar): the graph of imports stays acyclic.

import { $, DOC, panel, verdictLabel } from "./state.js";
import { announce, el, httpUrl, setError, truncate } from "./dom.js";
import { api } from "./api.js";
import { quoteOf } from "./text.js";
import { store } from "./highlights.js";
import { scheduleRender } from "./list.js";
import { markClaimAccepted } from "./claims.js";

let openExisting, closePanel;
const byClaim = new Map(); // claim id -> matches (the server's SimilarOut rows)
const panelBox = $("panel-similar");
const panelList = $("panel-similar-list");
let panelQuery = 0;

function link(match) {
  const url = match.url.startsWith("/") && !match.url.startsWith("//") ? match.url : httpUrl(match.url);
  if (!url) return null;
  const external = !url.startsWith("/");
  return el("a", { href: url, text: external ? "fact-check" : "open", ...(external ? { target: "_blank", rel: "noopener noreferrer" } : {}) });
}

function matchItem(match, context) {
  const label = match.verdict ? verdictLabel(match.verdict) : match.verdict_label || "rating not on our scale";
  const where = match.same_desk ? "this desk" : match.desk.name;
  const kind = match.source === "claimreview" ? `fact-check${match.publisher ? ` by ${match.publisher}` : ""}` : match.status;
  const item = el("li", { class: `similar-match${match.likely ? " likely" : ""}`, "data-reference": String(match.id) },
    el("span", { class: `swatch verdict-${match.verdict || "none"}`, text: label }), " ",
    el("span", { class: "similar-score", title: "similarity 0–1 (shared words, weighted by how rare they are)", text: match.score.toFixed(2) }), " ",
    el("q", { class: "similar-text", text: truncate(match.text, 160) }), " ",
    el("span", { class: "muted small", text: `${where} · ${kind}` }), " ",
  );
  const open = link(match);
  if (open) item.append(open, " ");
  if (match.verdict) {
    item.append(el("button", { type: "button", class: "small secondary", "data-action": "reuse", "data-reference": String(match.id), "data-context": context, text: "Reuse verdict" }));
  }
  return item;
}

function heading(matches) {
  const repeat = matches.find((m) => m.duplicate && m.same_desk);
  if (repeat) return "Repeat of a claim judged in this desk — judge it once:";
  return matches.some((m) => m.likely) ? "Checked before — likely the same claim:" : "Checked before? Similar already-checked claims:";
}

function decorate(claimId) {
  const item = document.querySelector(`#claim-list li[data-claim-id="${claimId}"]`);
  const matches = byClaim.get(claimId);
  if (!item || !matches?.length) return;
  item.querySelector(".checked-before")?.remove();
  const box = el("div", { class: "checked-before", "data-claim": String(claimId) },
    el("p", { class: "small checked-before-heading", text: heading(matches) }),
    el("ol", { class: "similar-list" }, ...matches.map((m) => matchItem(m, "claim"))),
  );
  if (matches.some((m) => m.duplicate && m.same_desk)) item.classList.add("repeat-of-judged");
  item.append(box);
}

async function loadForClaims(ids) {
  const unknown = ids.filter((id) => !byClaim.has(id));
  for (const id of ids) if (byClaim.has(id)) decorate(id);
  for (let i = 0; i < unknown.length; i += 200) {
    const chunk = unknown.slice(i, i + 200);
    const response = await api("GET", `documents/${DOC}/similar?claims=${chunk.join(",")}`);
    if (!response.ok) return announce(`Checked-before matches could not be loaded: ${response.data.detail}`, { error: true });
    for (const id of chunk) byClaim.set(id, []);
    for (const row of response.data.claims) {
      byClaim.set(row.claim, row.results);
      decorate(row.claim);
    }
  }
}

async function loadForSelection(span) {
  const query = ++panelQuery;
  panelBox.hidden = true;
  panelList.replaceChildren();
  const { exact } = quoteOf(span.start, span.end);
  if (exact.trim().length < 12) return; // a word or two: nothing to compare
  const response = await api("POST", "similar", { text: exact.slice(0, 5000) });
  if (query !== panelQuery || panel.mode !== "new" || !response.ok) return;
  const matches = response.data.results;
  if (!matches.length) return;
  $("panel-similar-heading").textContent = heading(matches);
  panelList.replaceChildren(...matches.map((m) => matchItem(m, "panel")));
  panelBox.hidden = false;
}

async function reuse(button) {
  const reference = Number(button.dataset.reference);
  let body;
  if (button.dataset.context === "claim") {
    const claimId = Number(button.closest("li[data-claim-id]").dataset.claimId);
    body = { claim: claimId };
  } else {
    if (panel.mode !== "new" || !panel.span) return;
    const { start, end } = panel.span;
    body = panel.claimId ? { claim: panel.claimId } : { document: DOC, start, end, exact: quoteOf(start, end).exact };
  }
  button.disabled = true;
  const response = await api("POST", `similar/${reference}/reuse?unit=utf16`, body);
  button.disabled = false;
  if (response.status === 409 && response.data.current) {
    store(response.data.current);
    scheduleRender();
    if (panel.mode === "new") closePanel({ restoreFocus: false, discard: true });
    openExisting(response.data.current.id, { opener: button });
    return announce(`Not reused: ${response.data.detail}`, { error: true });
  }
  if (!response.ok) {
    if (button.dataset.context === "panel") return setError(`Not reused: ${response.data.detail}`);
    return announce(`Not reused: ${response.data.detail}`, { error: true });
  }
  const a = response.data;
  store(a);
  if (a.claim) markClaimAccepted(a.claim);
  scheduleRender();
  if (panel.mode === "new") closePanel({ restoreFocus: false, discard: true });
  openExisting(a.id, { opener: button });
  announce(`Draft made from an already-checked claim: ${verdictLabel(a.verdict)}. Check it, then submit it for review.`);
}

export function wireSimilar(actions) {
  ({ openExisting, closePanel } = actions);
  document.addEventListener("fc:claims-page", (event) => loadForClaims(event.detail.ids));
  document.addEventListener("fc:claim-replaced", (event) => decorate(event.detail.id));
  document.addEventListener("fc:panel-new", (event) => loadForSelection(event.detail.span));
  document.addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="reuse"]');
    if (button) {
      event.stopPropagation();
      reuse(button);
    }
  }, true);
}
