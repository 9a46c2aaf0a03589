// http.js: the one way the pages talk to the REST API: JSON or multipart in, JSON out, X-CSRFToken on every
// write, and an answer that never throws: { ok, status, data } with data.detail a readable message on failure.

export function csrfToken(fallback = "") {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : fallback;
}

/** send("POST", url, { json }) or { form: FormData }; csrf: the page's token when the cookie is missing. */
export async function send(method, url, { json, form, csrf = "" } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken(csrf);
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  let response;
  try {
    response = await fetch(url, { method, headers, credentials: "same-origin", body });
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

/** A page's URL from the server's reversed template with 0 for the id ("/review/0/" → "/review/12/"). */
export const withId = (template, id) => template.replace("/0/", `/${id}/`);
