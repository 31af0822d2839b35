// The edge-api over the browser's session: JSON in and out, the CSRF token from its cookie.

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status; // 0: no answer (network down, aborted, timed out)
    this.body = body; // the parsed JSON body, or null
  }
}

const TIMEOUT_MS = 15000;

export function cookie(name) {
  for (const part of document.cookie ? document.cookie.split(";") : []) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export class Api {
  /** csrfToken: the page's token, used only if the cookie cannot be read (HttpOnly). */
  constructor(root, csrfToken = "") {
    this.root = root.replace(/\/$/, "");
    this.csrfToken = csrfToken;
  }

  url(path) {
    return /^https?:/.test(path) ? path : this.root + path;
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = cookie("csrftoken") || this.csrfToken;
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    init.signal = AbortSignal.timeout(TIMEOUT_MS);
    let answer;
    try {
      answer = await fetch(this.url(path), init);
    } catch {
      return { status: 0, ok: false, body: null }; // no answer: network down, aborted, timed out
    }
    let parsed = null;
    const type = answer.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      try {
        parsed = await answer.json();
      } catch {
        parsed = null;
      }
    }
    return { status: answer.status, ok: answer.ok, body: parsed };
  }

  /** GET a JSON body; anything but 2xx is an ApiError. */
  async get(path) {
    const answer = await this.request("GET", path);
    if (!answer.ok) throw new ApiError(answer.status, answer.body, describe(answer));
    return answer.body;
  }

  /** POST; the caller reads the status (201, 200, 202, 400, 409 all mean something; 0: none). */
  post(path, body) {
    return this.request("POST", path, body);
  }

  /** Every item of a paginated list, following `next` up to `maxItems` / `maxPages`. */
  async list(path, { maxItems = 200, maxPages = 5 } = {}) {
    const items = [];
    let next = path;
    for (let pages = 0; next && pages < maxPages && items.length < maxItems; pages += 1) {
      const page = await this.get(next);
      items.push(...(page.results || []));
      next = page.next;
    }
    return items.slice(0, maxItems);
  }
}

export function describe(answer) {
  const body = answer.body;
  if (body && typeof body.detail === "string") return body.detail;
  if (answer.status === 401 || answer.status === 403) return "Not signed in as a trader.";
  if (answer.status === 0) return "No answer from the server.";
  return `The server answered ${answer.status}.`;
}
