// review.js: the review screen's actions go to the same REST endpoint as every client
// (POST /api/v1/annotations/{id}/review with the version on screen, so a verdict that changed meanwhile is not
// approved by mistake); the page then shows the new state. Keys act on the focused verdict card.

import { send } from "./http.js";

const cfg = JSON.parse(document.getElementById("review-config").textContent);
const KEYS = { a: "approve", c: "request_changes", r: "reject", p: "publish" };

async function act(form, action) {
  const card = form.closest(".review-card");
  const error = form.querySelector(".error");
  const body = { action, comment: form.elements.comment.value, version: Number(card.dataset.version) };
  if (form.elements.supersede?.checked) body.supersede = true;
  if (action === "correct") {
    body.verdict = form.elements.verdict.value;
    body.rationale = form.elements.rationale.value;
  }
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  const { ok, data } = await send("POST", `${cfg.apiRoot}annotations/${form.dataset.id}/review`, { json: body, csrf: cfg.csrfToken });
  if (ok) {
    location.reload(); // the server renders the new state of every card (and of the agreement line)
    return;
  }
  for (const button of form.querySelectorAll("button")) button.disabled = false;
  error.textContent = data.detail;
  if (/comment is required/.test(data.detail)) form.elements.comment.focus();
}

for (const form of document.querySelectorAll("form.review-actions")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(form, event.submitter?.value || form.querySelector("button")?.value);
  });
  form.elements.comment.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      act(form, form.dataset.pending || form.querySelector("button").value);
    }
  });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.matches("textarea, input, select")) return;
  const card = event.target.closest?.(".review-card");
  const action = KEYS[event.key.toLowerCase()];
  if (!card || !action) return;
  const form = card.querySelector("form.review-actions");
  const button = form?.querySelector(`button[value="${action}"]`);
  if (!button) return;
  event.preventDefault();
  if (action === "approve" || action === "publish") return act(form, action);
  form.elements.comment.focus(); // these need a reason: type it, then Ctrl+Enter or the button
  form.dataset.pending = action;
  button.classList.add("armed");
});
