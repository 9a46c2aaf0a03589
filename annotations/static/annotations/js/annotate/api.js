// api.js: the one way to the REST API (cfg.apiRoot, "/api/v1/"): JSON in and out, X-CSRFToken on every write,
// and an answer that never throws: { ok, status, data } with data.detail a readable message on failure.
// The page works in UTF-16 code units: calls that send or read offsets add ?unit=utf16 and the server converts.

import { API, cfg, DOC } from "./state.js";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : cfg.csrfToken;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: { detail: "The server cannot be reached; check your connection." } };
  }
  let data = null;
  if ((response.headers.get("content-type") || "").includes("json")) data = await response.json().catch(() => null);
  if (!response.ok && !(data && typeof data.detail === "string")) {
    data = { ...(data || {}), detail: `The server answered ${response.status} ${response.statusText}.` };
  }
  return { ok: response.ok, status: response.status, data };
}

/** The annotations of this document, one page (the template preloads the first: keep the URL the same). */
export const listPath = (extra) =>
  `annotations/?document=${DOC}&unit=utf16&page_size=${cfg.pageSize}${extra ? `&${extra}` : ""}`;
