// thread.js: the review thread of the annotation open in the panel: what editors said when they requested
// changes, rejected, retracted or corrected it, and the replies; its author and the desk's editors answer here.

import { $, cfg, isMine, statusLabel } from "./state.js";
import { el } from "./dom.js";
import { api } from "./api.js";

const box = $("panel-thread");
const list = $("thread-list");
const reply = $("thread-reply");
const text = $("thread-text");
let current = null; // the annotation whose thread is shown
let generation = 0;

function entry(e) {
  const when = new Date(e.at).toLocaleString();
  const what = e.kind === "comment" ? "wrote" : `moved it to ${statusLabel(e.to_status).toLowerCase()}`;
  return el("li", { class: `thread-entry thread-${e.kind}` },
    el("span", { class: "thread-meta small muted", text: `${e.author || "someone"} ${what} · ${when}` }),
    el("p", { class: "thread-text", text: e.text }));
}

export async function showThread(a) {
  current = a;
  const mine = ++generation;
  list.replaceChildren();
  reply.hidden = !(isMine(a) || cfg.canReview);
  box.hidden = a.status === "draft"; // nothing to discuss before it is submitted (unless someone wrote: below)
  const response = await api("GET", `annotations/${a.id}/comments`);
  if (mine !== generation || !response.ok) return;
  const entries = response.data.results;
  list.replaceChildren(...entries.map(entry));
  if (entries.length) box.hidden = false;
  if (!entries.length) list.append(el("li", { class: "muted small", text: "No comments yet." }));
}

export function hideThread() {
  current = null;
  generation += 1;
  box.hidden = true;
  text.value = "";
}

async function send() {
  if (!current || !text.value.trim()) return;
  const button = $("thread-send");
  button.disabled = true;
  const response = await api("POST", `annotations/${current.id}/comments`, { text: text.value });
  button.disabled = false;
  if (!response.ok) {
    $("panel-error").textContent = `Reply not sent: ${response.data.detail}`;
    return;
  }
  text.value = "";
  list.querySelector(".muted")?.remove();
  list.append(entry(response.data));
}

export function wireThread() {
  $("thread-send").addEventListener("click", send);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.stopPropagation(); // Ctrl+Enter here sends the reply, not the annotation
      send();
    }
  });
}
