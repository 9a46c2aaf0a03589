// desk.js: the desk page. Upload article files (drop anywhere on the page, or choose them), paste text, and see a
// result per file and per article as they finish, with a progress bar for the batch; the document list below is
// refreshed without a reload as files land, and polled while any document is still being segmented. Editors mark
// documents done. The export menu sends approved and published verdicts unless asked for the others.
// Every call goes through the REST API (http.js); the list is the server's own rendering of the same rows.

import { send, withId } from "./http.js";

const $ = (id) => document.getElementById(id);
const cfg = JSON.parse($("desk-config").textContent);
const API = cfg.apiRoot;
const csrf = cfg.csrfToken;

const statusBox = $("upload-status");
const summary = $("upload-summary");
const bar = $("upload-progress");
const results = $("upload-results");
const listBox = $("desk-documents");
const overlay = $("drop-overlay");

// ---- the batch ---------------------------------------------------------------------------------------

const batch = { total: 0, finished: 0, imported: 0, duplicates: 0, failed: 0 };
const queue = [];
let uploading = false;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showBatch() {
  statusBox.hidden = false;
  bar.max = Math.max(batch.total, 1);
  bar.value = batch.finished;
  const parts = [`${batch.finished} of ${batch.total} file${batch.total === 1 ? "" : "s"} done`];
  if (batch.imported) parts.push(`${batch.imported} imported`);
  if (batch.duplicates) parts.push(`${batch.duplicates} duplicate${batch.duplicates === 1 ? "" : "s"}`);
  if (batch.failed) parts.push(`${batch.failed} failed`);
  summary.textContent = parts.join(" · ");
}

/** One line per file in the result list; its articles are listed under it when it finishes. */
function fileItem(name) {
  const item = el("li", "upload-file pending");
  item.append(el("span", "file-name", name), " ", el("span", "file-state", "waiting…"));
  results.prepend(item);
  return item;
}

function settle(item, state, text) {
  item.classList.remove("pending");
  item.classList.add(state);
  item.querySelector(".file-state").textContent = text;
}

function describe(result) {
  const doc = result.document;
  const row = el("li", `article ${result.status}`);
  if (result.status === "failed") {
    row.append(el("span", "source", result.source), `: ${result.detail}`);
    return row;
  }
  const link = el("a", "", `#${doc.id} “${doc.title}”`);
  link.href = doc.url;
  const label = { imported: "imported as ", new_version: "new version of " }[result.status] || "duplicate of ";
  row.append(label, link);
  if (result.status === "imported" && doc.set_aside) {
    row.append(el("span", "muted", ` · ${doc.set_aside.toLocaleString()} characters of boilerplate set aside`));
  }
  return row;
}

function count(kind, n = 1) {
  batch[kind] += n;
}

function reason(name, file) {
  const dot = name.lastIndexOf(".");
  const suffix = dot >= 0 ? name.slice(dot).toLowerCase() : "";
  if (!cfg.suffixes.includes(suffix)) {
    return `unsupported file type ${suffix || "(none)"}; expected one of ${cfg.suffixes.join(", ")}`;
  }
  if (file.size > cfg.maxBytes) {
    return `${file.size.toLocaleString()} bytes, over the ${cfg.maxBytes.toLocaleString()}-byte limit`;
  }
  if (file.size === 0) return "the file is empty";
  return "";
}

/** A drop after the last batch finished starts a new count (the results of earlier batches stay listed). */
function newBatchIfIdle() {
  if (batch.finished === batch.total) Object.assign(batch, { total: 0, finished: 0, imported: 0, duplicates: 0, failed: 0 });
}

export function addFiles(fileList) {
  const files = [...fileList];
  if (!files.length) return;
  newBatchIfIdle();
  statusBox.hidden = false;
  if (files.length > cfg.maxFiles) {
    const item = fileItem(`${files.length} files`);
    settle(item, "failed", `at most ${cfg.maxFiles} files at a time: nothing was sent; drop them in smaller batches`);
    return;
  }
  for (const file of files) {
    batch.total += 1;
    const item = fileItem(file.name);
    const problem = reason(file.name, file);
    if (problem) {
      settle(item, "failed", problem);
      batch.finished += 1;
      count("failed");
      continue;
    }
    queue.push({ file, item });
  }
  showBatch();
  pump();
}

async function pump() {
  if (uploading) return;
  uploading = true;
  while (queue.length) {
    const job = queue.shift();
    await upload(job);
    batch.finished += 1;
    showBatch();
    refreshSoon();
  }
  uploading = false;
}

async function upload({ file, item }) {
  item.querySelector(".file-state").textContent = "uploading…";
  const form = new FormData();
  form.append("file", file, file.name);
  const { ok, data } = await send("POST", `${API}projects/${cfg.project}/uploads`, { form, csrf });
  const rows = data && Array.isArray(data.results) ? data.results : [];
  if (rows.length) {
    const list = el("ul", "articles");
    for (const result of rows) list.append(describe(result));
    item.append(list);
    count("imported", data.imported || 0);
    count("duplicates", data.duplicates || 0);
    count("failed", data.failed || 0);
  } else if (!ok) {
    count("failed");
  }
  if (ok) {
    const parts = [];
    if (data.imported) parts.push(`${data.imported} imported`);
    if (data.new_versions) parts.push(`${data.new_versions} new version${data.new_versions === 1 ? "" : "s"}`);
    if (data.duplicates) parts.push(`${data.duplicates} duplicate${data.duplicates === 1 ? "" : "s"}`);
    if (data.failed) parts.push(`${data.failed} failed`);
    settle(item, data.failed && !data.imported && !data.new_versions && !data.duplicates ? "failed" : "done", parts.join(", "));
  } else {
    settle(item, "failed", rows.length ? "nothing imported" : data.detail);
  }
}

// ---- drop anywhere, or choose files ------------------------------------------------------------------

const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
let dragDepth = 0;

document.addEventListener("dragenter", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth += 1;
  overlay.hidden = false;
});
document.addEventListener("dragover", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
});
document.addEventListener("dragleave", (event) => {
  if (!hasFiles(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) overlay.hidden = true;
});
document.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  overlay.hidden = true;
  addFiles(event.dataTransfer.files);
});

const picker = $("upload-files");
picker.addEventListener("change", () => {
  addFiles(picker.files);
  picker.value = ""; // choosing the same file again is a new upload
});

// ---- paste text --------------------------------------------------------------------------------------

$("paste-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = $("paste-title");
  const body = $("paste-body");
  const name = title.value.trim() || "Pasted text";
  newBatchIfIdle();
  batch.total += 1;
  showBatch();
  const item = fileItem(`Pasted: ${name}`);
  const payload = { project: cfg.project, title: title.value, body: body.value, source_url: $("paste-url").value };
  const { ok, status, data } = await send("POST", `${API}documents/`, { json: payload, csrf });
  batch.finished += 1;
  if (ok) {
    const result = { status: status === 201 ? "imported" : "duplicate", source: name, document: {
      id: data.id, title: data.title, url: withId(cfg.documentUrl, data.id), set_aside: data.set_aside || 0,
    } };
    const list = el("ul", "articles");
    list.append(describe(result));
    item.append(list);
    count(status === 201 ? "imported" : "duplicates");
    settle(item, "done", status === 201 ? "imported" : "duplicate");
    title.value = "";
    body.value = "";
    $("paste-url").value = "";
    refreshSoon();
  } else {
    count("failed");
    settle(item, "failed", data.detail);
  }
  showBatch();
});

// ---- import from URL: the worker fetches it; the page asks how it went until it is done -------------------

$("url-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("import-url");
  const url = input.value.trim();
  if (!url) return input.focus();
  newBatchIfIdle();
  batch.total += 1;
  showBatch();
  const item = fileItem(url);
  item.querySelector(".file-state").textContent = "fetching…";
  let { ok, data } = await send("POST", `${API}projects/${cfg.project}/url-imports`, { json: { url }, csrf });
  for (let tries = 0; ok && (data.status === "queued" || data.status === "fetching") && tries < 120; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ({ ok, data } = await send("GET", `${API}url-imports/${data.id}/`));
  }
  batch.finished += 1;
  if (ok && data.status === "done") {
    const result = { status: data.duplicate ? "duplicate" : "imported", source: url, document: { ...data.document, set_aside: 0 } };
    const list = el("ul", "articles");
    list.append(describe(result));
    item.append(list);
    count(data.duplicate ? "duplicates" : "imported");
    settle(item, "done", data.duplicate ? "duplicate" : "imported");
    input.value = "";
    refreshSoon();
  } else {
    count("failed");
    settle(item, "failed", ok ? data.error || `still ${data.status}: look again later` : data.detail);
  }
  showBatch();
});

// ---- the document list: refreshed as files land, polled while segmentation runs ---------------------------

let refreshTimer = 0;
let pollTimer = 0;

function refreshSoon(delay = 300) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, delay);
}

let refreshes = 0;

async function refresh() {
  const query = new URLSearchParams(location.search);
  query.set("fragment", "1");
  const mine = ++refreshes;
  let html;
  try {
    const response = await fetch(`${location.pathname}?${query}`, { credentials: "same-origin" });
    if (response.redirected || !response.ok) {
      // Logged out meanwhile (the login page answered): say so instead of showing that page in the list.
      if (response.redirected) alertBox("Your session has ended: reload the page to log in again.");
      return;
    }
    html = await response.text();
  } catch {
    return; // offline for a moment: the next poll tries again
  } finally {
    schedulePoll();
  }
  if (mine !== refreshes) return; // a newer refresh was asked for meanwhile: this answer is older
  const focused = document.activeElement?.closest?.("#desk-documents [data-document]")?.dataset.document;
  listBox.innerHTML = html; // the server's rendering of the same rows (auto-escaped template)
  if (focused) listBox.querySelector(`[data-document="${focused}"] .done-toggle`)?.focus();
  schedulePoll();
}

function schedulePoll() {
  clearTimeout(pollTimer);
  const pending = listBox.querySelector(".documents-wrap")?.dataset.pending === "1";
  if (pending || uploading || queue.length) pollTimer = setTimeout(refresh, cfg.pollMs);
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) schedulePoll();
});
schedulePoll();

// ---- done marks (editors) ----------------------------------------------------------------------------

listBox.addEventListener("click", async (event) => {
  const button = event.target.closest(".done-toggle");
  if (!button) return;
  const id = button.closest("[data-document]").dataset.document;
  button.disabled = true;
  const done = button.dataset.done !== "1";
  const { ok, data } = await send("POST", `${API}documents/${id}/done`, { json: { done }, csrf });
  if (!ok) {
    button.disabled = false;
    button.title = data.detail;
    alertBox(data.detail);
    return;
  }
  refresh();
});

function alertBox(message) {
  let box = $("desk-alert");
  if (!box) {
    box = el("p", "notice notice-error");
    box.id = "desk-alert";
    box.setAttribute("role", "alert");
    listBox.before(box);
  }
  box.textContent = message;
}

// ---- export menu -------------------------------------------------------------------------------------

const exportForm = $("export-form");
const everything = $("export-all");
const bom = $("export-bom");

function syncExport() {
  for (const input of exportForm.querySelectorAll(".reviewed-status")) input.disabled = everything.checked;
  const csv = exportForm.querySelector("input[name=format]:checked")?.value === "csv";
  bom.disabled = !csv;
  if (!csv) bom.checked = false;
}
exportForm.addEventListener("change", syncExport);
syncExport();

// The menu closes once the download starts, on Escape and on a click elsewhere, as menus do.
const menu = $("export-menu");
exportForm.addEventListener("submit", () => setTimeout(() => (menu.open = false), 0));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && menu.open) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});
document.addEventListener("click", (event) => {
  if (menu.open && !menu.contains(event.target)) menu.open = false;
});
