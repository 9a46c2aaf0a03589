// api.js: the annotate page's calls to the REST API (cfg.apiRoot, "/api/v1/") through http.js: JSON in and out,
// X-CSRFToken on every write, an answer that never throws: { ok, status, data } with data.detail a readable message.
// The page works in UTF-16 code units: calls that send or read offsets add ?unit=utf16 and the server converts.

import { send } from "../http.js";
import { API, cfg, DOC } from "./state.js";

export const api = (method, path, body) => send(method, API + path, { json: body, csrf: cfg.csrfToken });

/** The annotations of this document, one page (the template preloads the first: keep the URL the same). */
export const listPath = (extra) =>
  `annotations/?document=${DOC}&unit=utf16&page_size=${cfg.pageSize}${extra ? `&${extra}` : ""}`;
