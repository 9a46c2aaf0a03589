// claimreviews.js: the desk page's "Import fact-checks (ClaimReview)" form (editors): the file goes to
// POST /api/v1/projects/{slug}/claimreviews and each item's outcome is listed (imported, duplicate, or why not).

import { send } from "./http.js";

const form = document.getElementById("claimreview-form");
const input = document.getElementById("claimreview-file");
const summary = document.getElementById("claimreview-summary");
const results = document.getElementById("claimreview-results");
const config = JSON.parse(document.getElementById("desk-config").textContent);

function line(text, kind) {
  const item = document.createElement("li");
  item.className = `upload-result ${kind}`;
  item.textContent = text;
  return item;
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = input.files[0];
  results.replaceChildren();
  if (!file) {
    summary.textContent = "Choose a ClaimReview JSON-LD file first.";
    return;
  }
  if (file.size > config.maxBytes) {
    summary.textContent = `${file.name} is over the ${config.maxBytes.toLocaleString()}-byte limit.`;
    return;
  }
  const data = new FormData();
  data.append("file", file, file.name);
  form.querySelector("button").disabled = true;
  summary.textContent = `Importing ${file.name}…`;
  const response = await send("POST", form.dataset.url, { form: data, csrf: config.csrfToken });
  form.querySelector("button").disabled = false;
  const body = response.data || {};
  if (!("imported" in body)) {
    summary.textContent = `Not imported: ${body.detail}`;
    return;
  }
  summary.textContent = `${file.name}: ${body.imported} imported, ${body.duplicates} already in the desk, ${body.failed} failed.`;
  for (const r of body.results) {
    const text = r.status === "imported" ? `item ${r.item}: imported` : `item ${r.item}: ${r.status === "duplicate" ? "already in the desk" : "failed"}${r.detail ? ` — ${r.detail}` : ""}`;
    results.append(line(text, r.status));
  }
});
