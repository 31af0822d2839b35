// Fills, positions and balances: small tables re-drawn from their lists.

import { fill, h } from "./dom.js";
import { fullTime, groupDecimal, shortId, signOf, timeOfDay, trimDecimal } from "./format.js";

function rowsOrEmpty(table, rows, columns, emptyText) {
  const body = table.tBodies[0];
  if (rows.length) fill(body, rows);
  else fill(body, h("tr", { class: "empty" }, h("td", { colspan: columns }, emptyText)));
}

export function showPanelError(table, message) {
  const columns = table.tHead.rows[0].cells.length;
  fill(table.tBodies[0], h("tr", { class: "empty error" }, h("td", { colspan: columns }, message)));
}

function signed(value, { group = true } = {}) {
  if (value === null || value === undefined) return h("td", { class: "num mono muted" }, "—");
  const sign = signOf(value);
  const tone = sign > 0 ? "pos" : sign < 0 ? "neg" : "";
  return h("td", { class: `num mono ${tone}` }, group ? groupDecimal(value) : trimDecimal(value));
}

export function renderFills(table, fills) {
  const rows = fills.map((f) =>
    h(
      "tr",
      { dataset: { fillId: f.fill_id, orderId: f.order_id } },
      h("td", { class: "mono nowrap", title: fullTime(f.executed_at) }, timeOfDay(f.executed_at)),
      h("td", { class: "mono nowrap muted", title: f.order_id }, shortId(f.order_id)),
      h("td", { class: "mono" }, f.attempt_id),
      h("td", { title: f.venue_fill_id ? `venue fill id ${f.venue_fill_id}` : null }, f.venue),
      h("td", { class: "side", dataset: { side: f.side } }, f.side),
      h("td", { class: "num mono" }, trimDecimal(f.quantity)),
      h("td", { class: "num mono" }, groupDecimal(f.price)),
      h("td", { class: "num mono" }, trimDecimal(f.fee), h("span", { class: "unit" }, f.fee_asset ? ` ${f.fee_asset}` : "")),
    ),
  );
  rowsOrEmpty(table, rows, 8, "No fills yet.");
}

export function renderPositions(table, positions) {
  const rows = positions.map((p) =>
    h(
      "tr",
      { dataset: { instrument: p.instrument } },
      h("td", {}, p.instrument),
      signed(p.quantity, { group: false }),
      h(
        "td",
        { class: "num mono" },
        p.average_cost == null ? "—" : groupDecimal(p.average_cost),
      ),
      signed(p.realized_pnl),
      signed(p.unrealized_pnl),
    ),
  );
  rowsOrEmpty(table, rows, 5, "No positions.");
}

export function renderBalances(table, balances) {
  const rows = balances.map((b) =>
    h(
      "tr",
      { dataset: { asset: b.asset } },
      h("td", { class: "asset" }, b.asset),
      h("td", { class: "num mono total" }, groupDecimal(b.total)),
      h("td", { class: "num mono available" }, groupDecimal(b.available)),
      h("td", { class: `num mono held${signOf(b.held) ? "" : " muted"}` }, groupDecimal(b.held)),
    ),
  );
  rowsOrEmpty(table, rows, 4, "No balances.");
}
