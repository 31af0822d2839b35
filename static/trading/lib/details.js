// One order in full: its attempts, its fills and its changes of state (both read from the
// edge-api; the history merged by seq with the changes this page has seen since), in a dialog.

import { fill, h } from "./dom.js";
import { fullTime, groupDecimal, stateLabel, trimDecimal } from "./format.js";

export class OrderDetails {
  /** dialog: the <dialog> element; api: the edge-api client. */
  constructor(dialog, { api }) {
    this.dialog = dialog;
    this.api = api;
    dialog.querySelector(".details-close").addEventListener("click", () => dialog.close());
  }

  async open(order, history) {
    const part = (name) => this.dialog.querySelector(`.${name}`);
    fill(part("details-title"), `${order.side} ${trimDecimal(order.quantity)} ${order.instrument}`);
    fill(
      part("details-summary"),
      `${stateLabel(order.state)} · ${trimDecimal(order.filled_quantity)} / ` +
        `${trimDecimal(order.quantity)} filled · limit ` +
        `${order.limit_price == null ? "market" : groupDecimal(order.limit_price)} · ` +
        `${order.time_in_force} · ${order.order_id}`,
    );
    fill(
      part("details-attempts"),
      (order.attempts || []).length
        ? order.attempts.map((a) =>
            h(
              "tr",
              { dataset: { attemptId: a.attempt_id } },
              h("td", { class: "mono" }, a.attempt_id),
              h("td", {}, a.venue),
              h("td", { class: "num mono" }, trimDecimal(a.quantity)),
              h("td", { class: "num mono" }, trimDecimal(a.filled_quantity)),
              h("td", {}, a.state),
            ),
          )
        : h("tr", { class: "empty" }, h("td", { colspan: 5 }, "No attempt at a venue yet.")),
    );
    const steps = part("details-history");
    fill(steps, historyRows(history));
    const fills = part("details-fills");
    fill(fills, h("tr", { class: "empty" }, h("td", { colspan: 5 }, "Reading the fills…")));
    if (!this.dialog.open) this.dialog.showModal();
    this.current = order.order_id;
    await Promise.all([this.readFills(order, fills), this.readHistory(order, steps, history)]);
  }

  /** The order's history from the server, merged by seq with what this page has seen. */
  async readHistory(order, steps, seen) {
    try {
      const path = `/orders/${encodeURIComponent(order.order_id)}/history`;
      const known = await this.api.list(path, { maxItems: 1000, maxPages: 1 });
      if (this.current !== order.order_id) return; // another order was opened meanwhile
      const bySeq = new Map(known.map((step) => [step.seq, step]));
      for (const step of seen) if (!bySeq.has(step.seq)) bySeq.set(step.seq, step);
      fill(steps, historyRows([...bySeq.values()].sort((a, b) => a.seq - b.seq)));
    } catch (error) {
      if (this.current !== order.order_id) return;
      fill(steps, [
        ...historyRows(seen),
        h("tr", { class: "empty error" }, h("td", { colspan: 4 }, `History could not be read: ${error.message}`)),
      ]);
    }
  }

  async readFills(order, fills) {
    try {
      const list = await this.api.list(`/fills?order_id=${encodeURIComponent(order.order_id)}`);
      fill(
        fills,
        list.length
          ? list.map((f) =>
              h(
                "tr",
                { dataset: { fillId: f.fill_id } },
                h("td", { class: "mono" }, fullTime(f.executed_at)),
                h("td", { class: "mono" }, f.attempt_id),
                h("td", {}, f.venue),
                h("td", { class: "num mono" }, trimDecimal(f.quantity)),
                h("td", { class: "num mono" }, groupDecimal(f.price)),
              ),
            )
          : h("tr", { class: "empty" }, h("td", { colspan: 5 }, "No fills yet.")),
      );
    } catch (error) {
      fill(fills, h("tr", { class: "empty error" }, h("td", { colspan: 5 }, `Fills could not be read: ${error.message}`)));
    }
  }
}

function historyRows(steps) {
  return steps.map((step) =>
    h(
      "tr",
      { dataset: { seq: step.seq } },
      h("td", { class: "num mono" }, step.seq),
      h("td", { class: "mono" }, fullTime(step.updated_at)),
      h("td", {}, stateLabel(step.state)),
      h("td", { class: "num mono" }, trimDecimal(step.filled_quantity)),
    ),
  );
}
