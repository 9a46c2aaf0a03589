// dom.js: building elements (untrusted strings only ever reach the DOM through textContent), safe links,
// and the two message lines: the page's status (announced) and the panel's error.

import { $, verdictLabel } from "./state.js";

export const truncate = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function swatch(verdict) {
  return el("span", { class: `swatch verdict-${verdict || "none"}`, text: verdictLabel(verdict) });
}

/** Only http(s) URLs ever become links. */
export function httpUrl(value) {
  try {
    const url = new URL(String(value).trim());
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname ? url.href : null;
  } catch {
    return null;
  }
}

// ---- status messages -----------------------------------------------------------------------------
let statusTimer = 0;
export function announce(message, { error = false } = {}) {
  const box = $("annotate-status");
  box.textContent = message;
  box.classList.toggle("error", error);
  box.classList.toggle("visible", Boolean(message));
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => box.classList.remove("visible"), error ? 12000 : 6000);
}

export function setError(message) {
  $("panel-error").textContent = message || "";
}
