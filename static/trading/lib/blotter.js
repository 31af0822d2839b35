// The live blotter: one row per order, keyed by order id, updated in place.

import { fill, flash, h, setText } from "./dom.js";
import {
  attemptText,
  filledPercent,
  fullTime,
  groupDecimal,
  progressText,
  shortId,
  stateLabel,
  timeOfDay,
  trimDecimal,
} from "./format.js";
import { CANCELABLE_STATES, OPEN_STATES } from "./orders.js";

const COLUMNS = 10;

export class Blotter {
  /** baseOf(symbol) -> "BTC"; onCancel(orderId) -> Promise. */
  constructor(table, { baseOf, onCancel }) {
    this.body = table.tBodies[0];
    this.baseOf = baseOf;
    this.onCancel = onCancel;
    this.rows = new Map();
    this.history = new Map(); // order id -> every (seq, state, filled) this page has seen
    this.filter = "all";
    this.only = { instrument: "", state: "" }; // the filters by instrument and by state
    this.loaded = false;
  }

  /** Show only one instrument and/or state ("" = any). */
  setOnly(only) {
    Object.assign(this.only, only);
    for (const row of this.rows.values()) this.applyFilter(row);
    this.updateEmpty();
  }

  /** The order ids of every open order that may still be canceled. */
  cancelable() {
    return [...this.rows.values()]
      .filter((row) => CANCELABLE_STATES.has(row.dataset.state))
      .map((row) => row.dataset.orderId);
  }

  setFilter(filter) {
    this.filter = filter;
    for (const row of this.rows.values()) this.applyFilter(row);
    this.updateEmpty();
  }

  /** Show `orders` (newest first): add, update and reorder rows; rows of others stay. */
  render(orders) {
    this.loaded = true;
    let previous = null;
    for (const order of orders) {
      const row = this.upsert(order, { quiet: true });
      const expected = previous ? previous.nextElementSibling : this.body.firstElementChild;
      if (expected !== row) {
        if (previous) previous.after(row);
        else this.body.prepend(row);
      }
      previous = row;
    }
    this.updateEmpty();
  }

  /** Add or update one order's row; a changed row flashes unless `quiet`. */
  upsert(order, { quiet = false } = {}) {
    let row = this.rows.get(order.order_id);
    const isNew = !row;
    if (isNew) {
      row = this.createRow(order);
      this.rows.set(order.order_id, row);
      this.insertSorted(row, order);
    }
    const changed = String(order.seq) !== row.dataset.seq;
    if (changed) this.remember(order);
    this.fillRow(row, order);
    this.applyFilter(row);
    if (!quiet && (changed || isNew)) flash(row);
    this.updateEmpty();
    return row;
  }

  remember(order) {
    const seen = this.history.get(order.order_id) || [];
    if (!seen.some((step) => step.seq === order.seq)) {
      seen.push({
        seq: order.seq,
        state: order.state,
        filled_quantity: order.filled_quantity,
        updated_at: order.updated_at,
      });
      seen.sort((a, b) => a.seq - b.seq);
    }
    this.history.set(order.order_id, seen);
  }

  insertSorted(row, order) {
    row.dataset.createdAt = order.created_at || "";
    for (const other of this.body.querySelectorAll("tr[data-order-id]")) {
      if (isNewer(row, other)) {
        other.before(row);
        return;
      }
    }
    this.body.append(row);
  }

  createRow(order) {
    const cell = (name, extra = {}) => h("td", { class: name, ...extra });
    const row = h(
      "tr",
      { dataset: { orderId: order.order_id } },
      h("td", { class: "order" }, h("span", { class: "time mono" }), h("button", { type: "button", class: "order-id mono", title: "the order in full" })),
      cell("instrument"),
      cell("side"),
      cell("type"),
      h(
        "td",
        { class: "filled" },
        h("span", { class: "progress mono" }),
        h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "bar-fill" })),
      ),
      cell("limit num mono"),
      cell("avg-price num mono"),
      h("td", { class: "state-cell" }, h("span", { class: "badge state" })),
      cell("attempts"),
      h(
        "td",
        { class: "actions" },
        h("button", { type: "button", class: "btn btn-cancel", hidden: true }, "Cancel"),
      ),
    );
    row.querySelector(".btn-cancel").addEventListener("click", () => this.cancel(row));
    return row;
  }

  fillRow(row, order) {
    const get = (selector) => row.querySelector(selector);
    row.dataset.seq = String(order.seq);
    row.dataset.state = order.state;
    const time = get(".time");
    setText(time, timeOfDay(order.created_at));
    time.title = fullTime(order.created_at);
    const id = get(".order-id");
    setText(id, shortId(order.order_id, 4));
    id.title = order.client_order_id
      ? `${order.order_id}\nclient order id: ${order.client_order_id}`
      : order.order_id;
    setText(get(".instrument"), order.instrument || "");
    row.dataset.instrument = order.instrument || "";
    const side = get(".side");
    setText(side, order.side || "");
    side.dataset.side = order.side || "";
    const tif = order.time_in_force ? ` ${order.time_in_force}` : "";
    setText(get(".type"), `${order.order_type || ""}${tif}`);
    setText(get(".progress"), progressText(order, this.baseOf(order.instrument)));
    get(".bar-fill").style.width = `${filledPercent(order)}%`;
    setText(get(".limit"), order.limit_price == null ? "market" : groupDecimal(order.limit_price));
    setText(get(".avg-price"), order.average_price == null ? "—" : groupDecimal(order.average_price));
    const badge = get(".state");
    setText(badge, stateLabel(order.state));
    badge.dataset.state = order.state;
    badge.title = order.reason ? `${order.state}: ${order.reason}` : order.state;
    this.fillAttempts(get(".attempts"), order.attempts || [], restingAtPlatform(order));
    const button = get(".btn-cancel");
    button.hidden = !OPEN_STATES.has(order.state);
    if (!button.dataset.busy) button.disabled = !CANCELABLE_STATES.has(order.state);
    setText(button, order.state === "cancel_pending" ? "Canceling…" : "Cancel");
  }

  fillAttempts(cell, attempts, resting) {
    const key = attempts.map(attemptText).join("|") + (resting ? "|resting" : "");
    if (cell.dataset.key === key) return;
    cell.dataset.key = key;
    const parts = attempts.map((attempt) =>
      h(
        "span",
        { class: "attempt mono", dataset: { state: attempt.state, attemptId: attempt.attempt_id } },
        attemptText(attempt),
      ),
    );
    if (resting) parts.push(h("span", { class: "resting" }, RESTING_TEXT));
    fill(cell, parts);
  }

  async cancel(row) {
    const button = row.querySelector(".btn-cancel");
    button.dataset.busy = "1";
    button.disabled = true;
    try {
      await this.onCancel(row.dataset.orderId);
    } finally {
      delete button.dataset.busy;
      button.disabled = !CANCELABLE_STATES.has(row.dataset.state);
    }
  }

  applyFilter(row) {
    row.hidden =
      (this.filter === "open" && !OPEN_STATES.has(row.dataset.state)) ||
      (this.only.instrument !== "" && row.dataset.instrument !== this.only.instrument) ||
      (this.only.state !== "" && row.dataset.state !== this.only.state);
  }

  updateEmpty() {
    const visible = [...this.rows.values()].some((row) => !row.hidden);
    let empty = this.body.querySelector("tr.empty");
    if (visible || !this.loaded) {
      if (empty && this.loaded) empty.remove();
      return;
    }
    const filtered = this.only.instrument || this.only.state;
    const text = filtered
      ? "No order matches the filters."
      : this.filter === "open"
        ? "No open orders."
        : "No orders yet.";
    if (!empty) {
      empty = h("tr", { class: "empty" }, h("td", { colspan: COLUMNS }));
      this.body.append(empty);
    }
    setText(empty.firstElementChild, text);
  }

  showError(message) {
    if (this.rows.size) return;
    fill(this.body, h("tr", { class: "empty error" }, h("td", { colspan: COLUMNS }, message)));
  }
}

function isNewer(row, other) {
  const a = row.dataset.createdAt;
  const b = other.dataset.createdAt || "";
  return a > b || (a === b && row.dataset.orderId > other.dataset.orderId);
}

const RESTING_TEXT = "resting at the platform, waiting for a price inside the limit";
const LIVE_ATTEMPTS = new Set(["pending", "working"]);

/** An open order with no attempt at a venue rests at the platform (GTC/DAY, nothing inside). */
export function restingAtPlatform(order) {
  if (!["new", "working", "partially_filled"].includes(order.state)) return false;
  return !(order.attempts || []).some((attempt) => LIVE_ATTEMPTS.has(attempt.state));
}
