// annotate.js: the annotate page (README "Annotating in the browser"), the entry module: it wires the
// modules in annotate/ together and starts the page. Vanilla ES modules, no build step.
//
// The article is the text node(s) of #document-body and is never changed: highlights are drawn with the
// CSS Custom Highlight API (StaticRange objects registered in CSS.highlights, styled by ::highlight()),
// so 2,000 annotations cost no DOM nodes and no re-layout, and overlaps are painted by the browser.
// Offsets are UTF-16 code units: the API calls that send or read them carry ?unit=utf16 and the server
// converts (annotations/domain/spans.py). Untrusted strings only ever reach the DOM through textContent.
//
// Every module is listed below, even those only the others use, so that the browser requests them all as
// soon as this file is parsed instead of one level at a time; document_detail.html also modulepreloads each
// of them (same unhashed URLs), so they download while the page is still parsing. The graph of imports has no
// cycles: with hashed static files a module's name depends on the names of the modules it uses.
// Comments in these modules never put a space or "{" right after the keyword that starts the lines below:
// Django's rewriting of module URLs to hashed names, when enabled, would take such a comment for the start
// of a statement and leave the real one after it unrewritten.

import { $, anns, bodyEl, HAS_HIGHLIGHTS, panel, timings } from "./annotate/state.js";
import { announce } from "./annotate/dom.js";
import "./annotate/text.js";
import "./annotate/api.js";
import { paintHighlights } from "./annotate/highlights.js";
import "./annotate/marks.js";
import { renderList, renderReviewerChoice, wireList } from "./annotate/list.js";
import { wireEvidence } from "./annotate/evidence.js";
import { closePanel, deleteAnnotation, isDirty, openExisting, wirePanel } from "./annotate/panel.js";
import { loadAnnotations, poll, schedulePoll, wireSync } from "./annotate/sync.js";
import { loadClaims, wireClaims } from "./annotate/claims.js";
import { wireThread } from "./annotate/thread.js";
import { wireOrphans } from "./annotate/orphans.js";
import { wireSimilar } from "./annotate/similar.js";
import { wireKeys } from "./annotate/keys.js";
import { wirePointer } from "./annotate/pointer.js";

window.__annotateTimings = timings; // for scripts/bench_annotate.py: where the time to "ready" goes

function wire() {
  wireKeys();
  wirePointer();
  wirePanel();
  wireEvidence();
  wireList({ openExisting, deleteAnnotation, isDirty, poll });
  wireClaims({ openExisting, isDirty });
  wireThread();
  wireOrphans();
  wireSimilar({ openExisting, closePanel });
  wireSync();
}

async function start() {
  timings.start = performance.now();
  wire();
  if (!HAS_HIGHLIGHTS) announce("This browser cannot draw highlights (CSS Custom Highlight API); the list still works.", { error: true });
  const claimsLoaded = loadClaims();
  const loaded = await loadAnnotations();
  const paintStart = performance.now();
  paintHighlights();
  window.__annotateReady = performance.now();
  timings.paint = window.__annotateReady - paintStart;
  $("annotate").dataset.state = loaded ? "ready" : "error";
  requestAnimationFrame(() => setTimeout(() => {
    window.__annotatePainted = performance.now();
  }));
  setTimeout(() => {
    renderList();
    renderReviewerChoice();
  });
  openLinkedAnnotation();
  addEventListener("hashchange", openLinkedAnnotation);
  await claimsLoaded;
  $("annotate").dataset.claims = "ready";
  schedulePoll();
}

/** Deep links from the review queue, "My queue" and exports: ?annotation=ID, #aID or #annotation-ID. */
function openLinkedAnnotation() {
  const fromHash = location.hash.match(/^#(?:a|annotation-)(\d+)$/);
  const id = Number(fromHash ? fromHash[1] : new URLSearchParams(location.search).get("annotation"));
  if (!id || panel.id === id) return;
  if (anns.has(id)) openExisting(id, { opener: bodyEl });
  else announce(`Annotation #${id} is not on this document (it may have been deleted).`, { error: true });
}

window.__annotate = { pollNow: () => poll(), annotations: anns };
start();
