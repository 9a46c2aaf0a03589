// sync.js: loading the document's annotations, then polling
// GET /api/v1/annotations/?cursor=<sync> every cfg.pollMs (paused in a hidden tab, backing off while the
// server does not answer) for teammates' new, changed and deleted annotations.

import { $, anns, cfg, isMine, panel, timings } from "./state.js";
import { announce } from "./dom.js";
import { api, listPath } from "./api.js";
import { forget, paintHighlights, store } from "./highlights.js";
import { scheduleRender } from "./list.js";
import { closePanel, panelNoticeChange } from "./panel.js";

let syncCursor = null;
let newerTextSeen = false; // annotations placed on a newer version of the text than the page shows

async function fetchAll(extra) {
  const rows = [];
  const deleted = [];
  let path = listPath(extra);
  let sync = null;
  for (let pages = 0; pages < 1000; pages++) {
    const response = await api("GET", path);
    if (!response.ok) return { ok: false, response };
    rows.push(...response.data.results);
    deleted.push(...(response.data.deleted ?? []));
    sync = response.data.sync ?? sync;
    if (!response.data.next) break;
    path = listPath(`cursor=${encodeURIComponent(response.data.next)}`);
  }
  return { ok: true, rows, sync, deleted };
}

let polling = null;
let pollTimer = 0;
let pollFailures = 0;

export function poll() {
  if (!polling) {
    polling = (async () => {
      const result = await fetchAll(syncCursor ? `cursor=${encodeURIComponent(syncCursor)}` : "");
      if (!result.ok) {
        pollFailures++;
        $("sync-state").textContent = "Updates paused: the server did not answer; retrying.";
        return;
      }
      pollFailures = 0;
      syncCursor = result.sync ?? syncCursor;
      let fresh = 0;
      if (!newerTextSeen && result.rows.some((row) => row.document_version > cfg.version)) {
        newerTextSeen = true;
        announce("This article has a new version: reload the page to see the annotations on it.", { error: true });
      }
      for (const row of result.rows) {
        const known = anns.has(row.id);
        if (store(row) && !known && !isMine(row)) fresh++;
        if (panel.id === row.id && !panel.busy) panelNoticeChange(anns.get(row.id));
      }
      for (const id of result.deleted) {
        if (!anns.has(id) || (panel.id === id && panel.busy)) continue;
        forget(id);
        if (panel.id === id) closePanel({ restoreFocus: false });
      }
      if (result.rows.length || result.deleted.length) scheduleRender();
      if (fresh) announce(`${fresh} new annotation${fresh === 1 ? "" : "s"} from teammates.`);
      $("sync-state").textContent = `Up to date at ${new Date().toLocaleTimeString()}`;
    })().finally(() => {
      polling = null;
    });
  }
  return polling;
}

export function schedulePoll(delay = cfg.pollMs) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!document.hidden) await poll();
    schedulePoll(Math.min(60000, cfg.pollMs * 2 ** pollFailures));
  }, delay);
}

export async function loadAnnotations() {
  let path = listPath("");
  for (let pages = 0; pages < 1000; pages++) {
    const sent = performance.now();
    const response = await api("GET", path);
    timings.pages.push({ sent, received: performance.now(), rows: response.data?.results?.length ?? 0 });
    if (!response.ok) {
      announce(`Annotations could not be loaded: ${response.data.detail}`, { error: true });
      return false;
    }
    for (const row of response.data.results) store(row);
    syncCursor = response.data.sync ?? syncCursor;
    if (!response.data.next) break;
    paintHighlights(); // show the first page while the next one loads
    path = listPath(`cursor=${encodeURIComponent(response.data.next)}`);
  }
  return true;
}

export function wireSync() {
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) schedulePoll(0);
  });
}
