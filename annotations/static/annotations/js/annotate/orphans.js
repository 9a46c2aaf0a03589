// orphans.js: the annotations that could not be placed on the current version of the text (the server lists them
// in #orphan-list; they are never drawn on this text). "Place by hand": select the passage in the text (mouse or
// keyboard), then "Place here": POST /api/v1/annotations/ID/place?unit=utf16 with the span and its quote, and the
// page reloads with the banner's counts and the highlight where it was placed.

import { $, bodyEl, placing } from "./state.js";
import { announce } from "./dom.js";
import { api } from "./api.js";
import { quoteOf, selectionSpan } from "./text.js";

function stop() {
  placing.id = null;
  placing.span = null;
  $("place-help").hidden = true;
  for (const item of $("orphan-list").querySelectorAll("li.placing")) item.classList.remove("placing");
}

async function confirm() {
  const span = selectionSpan() || placing.span;
  if (!span) return announce("Select the passage in the text first, then press “Place here”.", { error: true });
  const { exact } = quoteOf(span.start, span.end);
  const response = await api("POST", `annotations/${placing.id}/place?unit=utf16`, { start: span.start, end: span.end, exact });
  if (!response.ok) return announce(`Not placed: ${response.data.detail}`, { error: true });
  announce("Placed. Reloading…");
  location.reload();
}

export function wireOrphans() {
  const list = $("orphan-list");
  if (!list) return;
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action=place]");
    if (!button) return;
    const item = button.closest("li");
    stop();
    placing.id = Number(item.dataset.id);
    item.classList.add("placing");
    $("place-quote").textContent = item.querySelector("blockquote").textContent;
    $("place-help").hidden = false;
    announce("Select the passage in the text, then press “Place here”.");
    bodyEl.focus();
  });
  // A selection made while placing is remembered: pressing the button must not lose it.
  document.addEventListener("selectionchange", () => {
    if (placing.id === null) return;
    const span = selectionSpan();
    if (span) placing.span = span;
  });
  $("place-confirm").addEventListener("click", confirm);
  $("place-cancel").addEventListener("click", stop);
}
