// state.js: the page's config (json_script "annotate-config"), its fixed elements, the labels and the
// state the other modules share. It depends on no other module, so every module can use it.

export const $ = (id) => document.getElementById(id);
export const cfg = JSON.parse($("annotate-config").textContent);
export const ME = cfg.user;
export const API = cfg.apiRoot;
export const DOC = cfg.documentId;
export const bodyEl = $("document-body");
export const panelEl = $("annotation-panel");
export const form = $("annotation-form");
export const tip = $("annotate-tooltip");
export const HAS_HIGHLIGHTS = typeof Highlight === "function" && typeof CSS !== "undefined" && "highlights" in CSS;
export const LIST_STEP = 150;

// Labels come from the server (AnnotationStatus, Verdict), so a new status or verdict needs no JS change.
const STATUS_LABELS = Object.fromEntries(cfg.statuses.map((s) => [s.value, s.label]));
const VERDICT_LABELS = Object.fromEntries(cfg.verdicts.map((v) => [v.value, v.label]));
export const VERDICT_KEYS = {};
for (const v of cfg.verdicts) for (const k of [v.key, ...v.altKeys]) VERDICT_KEYS[k.toLowerCase()] = v.value;
export const verdictLabel = (v) => VERDICT_LABELS[v] || "No verdict yet";
export const statusLabel = (s) => STATUS_LABELS[s] || s;

// An annotation imported from another desk names its writer in original_author: it is theirs, not the account's
// that holds it (the importer), so it is never shown as "you" nor counted as mine.
export const isMine = (a) => a.author.id === ME.id && !a.original_author;
export const authorName = (a) => (a.original_author ? `${a.original_author} (imported)` : a.author.username);

export const anns = new Map(); // id -> annotation as the API gives it, plus .range
export const claims = new Map(); // id -> claim (UTF-16 offsets)

/** The verdict panel: what is open in it (panel.js), its staged and edited evidence (evidence.js). */
export const panel = {
  mode: null, id: null, version: null, span: null, claimId: null, opener: null, initial: "", staged: [], escArmed: false, deleteArmed: false, busy: false,
  moveSpan: null, // the text selected while an editable annotation is open: "Move to selection" moves it there
  editingEvidence: null, // id of the saved evidence link being edited in place, and its form
  evidenceForm: null,
};

/** An annotation being placed by hand on the text (orphans.js): its id, and the passage selected for it. While
 * one is, a mouse selection in the text does not open the panel (pointer.js). */
export const placing = { id: null, span: null };

/** Whether an annotation is on the text this page shows: not an orphan, and on this version of it. */
export const isPlaced = (a) => a.anchor_state !== "orphaned" && a.document_version === cfg.version;

/** The annotations last described at the keyboard caret (ids joined by ","): reset when the tooltip hides. */
export const caretNote = { covering: "" };

export const timings = { pages: [] }; // for scripts/bench_annotate.py: where the time to "ready" goes
