// The order ticket: POST /api/v1/orders, field errors of a 400 shown next to their fields.
//
// Each placement carries a client_order_id. One submission holds one id until the server gives
// a definite answer, so a second click while it is in flight does nothing, and a retry after
// no answer (network, 5xx) sends the same id and body again: the server answers 200 with the
// same order instead of placing a second one.

import { h, fill } from "./dom.js";
import { describe } from "./api.js";
import { shortId, trimDecimal } from "./format.js";

const OPTIONAL = ["limit_price", "time_in_force", "venue"];
const FORM_ERROR = "__all__";

export function newClientOrderId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const random = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `web-${Date.now().toString(36)}-${random}`; // 1-64 of [A-Za-z0-9._:-]
}

export class Ticket {
  /** onPlaced(order, created) is called with the snapshot of a 201 or 200. */
  constructor(form, { api, onPlaced }) {
    this.form = form;
    this.api = api;
    this.onPlaced = onPlaced;
    this.instruments = new Map();
    this.pending = null; // {key, clientOrderId} of the submission without a definite answer
    this.inFlight = false;
    this.button = form.querySelector("button[type=submit]");
    this.status = form.querySelector(".ticket-status");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    form.addEventListener("change", () => this.describeChoice());
    form.addEventListener("input", (event) => this.clearError(event.target.name));
  }

  setInstruments(list) {
    const select = this.form.elements.instrument;
    const chosen = select.value;
    this.instruments = new Map(list.map((i) => [i.symbol, i]));
    fill(
      select,
      list.map((i) => h("option", { value: i.symbol }, i.symbol)),
    );
    if (!list.length) select.append(h("option", { value: "", disabled: true }, "No instruments"));
    if (chosen && this.instruments.has(chosen)) select.value = chosen;
    this.describeChoice();
  }

  describeChoice() {
    const instrument = this.instruments.get(this.form.elements.instrument.value);
    const side = this.form.elements.side.value || "buy";
    for (const unit of this.form.querySelectorAll("[data-unit]")) {
      unit.textContent = instrument ? instrument[unit.dataset.unit] : "";
    }
    const hint = this.form.querySelector("#ticket-instrument-hint");
    hint.textContent = instrument
      ? `step ${trimDecimal(instrument.quantity_step)} · tick ${trimDecimal(instrument.price_tick)}` +
        ` · min ${trimDecimal(instrument.min_quantity)}`
      : "";
    this.button.dataset.side = side;
    if (!this.inFlight) {
      const verb = side === "sell" ? "Sell" : "Buy";
      this.button.textContent = instrument ? `${verb} ${instrument.base}` : verb;
    }
  }

  /** The request body: optional fields left empty are left out. */
  body() {
    const elements = this.form.elements;
    const body = {
      instrument: elements.instrument.value,
      side: elements.side.value,
      quantity: elements.quantity.value.trim(),
    };
    for (const name of OPTIONAL) {
      const value = elements[name].value.trim();
      if (value) body[name] = value;
    }
    return body;
  }

  async submit() {
    if (this.inFlight) return; // a double click: the first click's request is the only one
    const body = this.body();
    const problems = checkBody(body);
    if (Object.keys(problems).length) {
      // Said here, in plain words, before anything is sent (no order id is used up).
      this.clearErrors();
      this.showErrors(problems);
      this.say("Nothing was sent: check the fields marked.", "error");
      return;
    }
    const key = JSON.stringify(body);
    if (!this.pending || this.pending.key !== key) {
      this.pending = { key, clientOrderId: newClientOrderId() };
    }
    const payload = { client_order_id: this.pending.clientOrderId, ...body };
    this.setBusy(true);
    this.clearErrors();
    this.say("Placing…", "info");
    try {
      const answer = await this.api.post("/orders", payload);
      this.handle(answer);
    } finally {
      this.setBusy(false);
    }
  }

  handle(answer) {
    const { status, body } = answer;
    if (status === 201 || status === 200) {
      this.pending = null;
      const verb = status === 201 ? "accepted" : "was already placed";
      this.say(`Order ${shortId(body.order_id)} ${verb}: ${body.state}.`, "ok", body.order_id);
      this.onPlaced(body, status === 201);
      return;
    }
    if (status === 0 || status >= 500) {
      // No definite answer: keep the id, so sending again cannot place the order twice.
      this.say(`${describe(answer)} Send again to retry safely.`, "error");
      return;
    }
    this.pending = null;
    if (status === 400 && body && typeof body === "object") {
      this.showErrors(body);
      const marked = Object.keys(body).some((field) =>
        this.form.querySelector(`[data-error-for="${CSS.escape(field)}"]`),
      );
      // An error of no field (a halted trader, too little money) is said as it is.
      const limit = riskLimit(body);
      const why = limit ? `The order was refused by the risk limit ${limit}` : "The order was refused";
      this.say(
        marked ? `${why}: see the fields marked.` : `${why}: ${messageText(Object.values(body))}`,
        "error",
      );
      if (limit) this.status.dataset.limit = limit;
    } else if (status === 409) {
      this.showErrors({ [FORM_ERROR]: [describe(answer)] });
      this.say("Refused: that client order id was used for another order.", "error");
    } else if (status === 401 || status === 403) {
      this.say("Your session has ended: sign in again.", "error");
    } else {
      this.say(describe(answer), "error");
    }
  }

  showErrors(errors) {
    for (const [field, messages] of Object.entries(errors)) {
      const named = this.form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
      const target = named || this.form.querySelector(`[data-error-for="${FORM_ERROR}"]`);
      const text = plainWords(field, messageText(messages));
      const prefix = named || ["non_field_errors", "detail"].includes(field) ? "" : `${field}: `;
      target.textContent = target.textContent ? `${target.textContent} ${prefix}${text}` : prefix + text;
      target.classList.add("shown");
      const input = this.form.elements[field];
      if (input && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        input.classList.add("invalid");
      }
    }
  }

  clearError(field) {
    if (!field) return;
    const target = this.form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (target) {
      target.textContent = "";
      target.classList.remove("shown");
    }
    const input = this.form.elements[field];
    if (input && input.removeAttribute) {
      input.removeAttribute("aria-invalid");
      input.classList.remove("invalid");
    }
  }

  clearErrors() {
    for (const target of this.form.querySelectorAll("[data-error-for]")) {
      target.textContent = "";
      target.classList.remove("shown");
    }
    for (const input of this.form.querySelectorAll(".invalid")) {
      input.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
    }
  }

  setBusy(busy) {
    this.inFlight = busy;
    this.button.disabled = busy;
    this.form.setAttribute("aria-busy", busy ? "true" : "false");
    if (busy) this.button.textContent = "Placing…";
    else this.describeChoice();
  }

  say(text, tone, orderId = "") {
    this.status.textContent = text;
    delete this.status.dataset.limit;
    this.status.dataset.tone = tone;
    if (orderId) this.status.dataset.orderId = orderId;
    else delete this.status.dataset.orderId;
  }
}

function messageText(messages) {
  if (Array.isArray(messages)) return messages.map(messageText).join(" ");
  if (messages && typeof messages === "object") {
    return Object.entries(messages)
      .map(([key, value]) => `${key}: ${messageText(value)}`)
      .join(" ");
  }
  return String(messages);
}

// trading-core's pre-trade limits; a refusal's message ends with the limit's name in brackets.
const RISK_LIMITS = [
  "max_order_quantity",
  "max_order_notional",
  "max_open_notional",
  "max_position",
  "price_band",
  "orders_per_second",
];

/** The risk limit a 400 body names, or "" (the message says "... (max_order_quantity)"). */
export function riskLimit(body) {
  const text = messageText(Object.values(body || {}));
  return RISK_LIMITS.find((name) => text.includes(`(${name})`)) || "";
}

const DECIMAL_TEXT = /^\d+(\.\d+)?$/;
const FIELD_WORDS = {
  quantity: "a quantity, like 0.5",
  limit_price: "a price, like 9980.50 (or nothing, for a market order)",
};

/** What the ticket can tell before sending: required fields and the shape of numbers. */
export function checkBody(body) {
  const problems = {};
  if (!body.instrument) problems.instrument = ["Required: choose an instrument."];
  if (!body.quantity) problems.quantity = ["Required: enter how much, like 0.5."];
  for (const field of ["quantity", "limit_price"]) {
    const value = body[field];
    if (value && !DECIMAL_TEXT.test(value)) {
      problems[field] = [`Enter ${FIELD_WORDS[field]}: digits and at most one dot.`];
    }
  }
  return problems;
}

/** The edge-api's wording, said as a person would. */
export function plainWords(field, text) {
  const words = FIELD_WORDS[field];
  if (words && /decimal number|valid number|not a number/i.test(text)) {
    return `Enter ${words}: digits and at most one dot.`;
  }
  if (/this field is required|may not be (null|blank)/i.test(text)) return "Required.";
  return text;
}
