// Display of the contract's values. Decimals travel as strings ("3", "3.0" and "3.00000000"
// are the same number) and are never turned into binary floats: only their text is trimmed.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** "3.0" -> "3", "1.20" -> "1.2", "-0.0" -> "0", null -> "". Text that is not a decimal is kept. */
export function trimDecimal(value) {
  if (value === null || value === undefined) return "";
  const text = String(value).trim();
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === "" && !match[3])) return text;
  const sign = match[1] === "-" ? "-" : "";
  const whole = match[2].replace(/^0+(?=\d)/, "") || "0";
  const fraction = (match[3] || "").replace(/0+$/, "");
  if (whole === "0" && fraction === "") return "0";
  return sign + whole + (fraction ? "." + fraction : "");
}

/** trimDecimal, with the whole part grouped by thousands: "1000000.5" -> "1,000,000.5". */
export function groupDecimal(value) {
  const trimmed = trimDecimal(value);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(trimmed);
  if (!match) return trimmed;
  return match[1] + match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[3] || "");
}

/** The sign of a decimal string: -1, 0 or 1 (without parsing it as a float). */
export function signOf(value) {
  const trimmed = trimDecimal(value);
  if (trimmed === "" || trimmed === "0" || !/^-?\d/.test(trimmed)) return 0;
  return trimmed.startsWith("-") ? -1 : 1;
}

/** "1.2 / 3 BTC filled": the blotter's progress text of an order. */
export function progressText(order, base) {
  const unit = base ? ` ${base}` : "";
  return `${trimDecimal(order.filled_quantity)} / ${trimDecimal(order.quantity)}${unit} filled`;
}

/** Filled share of the order, 0-100, for the progress bar only (display, not money math). */
export function filledPercent(order) {
  const quantity = Number(order.quantity);
  const filled = Number(order.filled_quantity);
  if (!(quantity > 0) || !(filled > 0)) return 0;
  return Math.min(100, (filled / quantity) * 100);
}

/** "EA-1 @ SIM-A 1.2/3 expired" */
export function attemptText(attempt) {
  return (
    `${attempt.attempt_id} @ ${attempt.venue} ` +
    `${trimDecimal(attempt.filled_quantity)}/${trimDecimal(attempt.quantity)} ${attempt.state}`
  );
}

export function stateLabel(state) {
  return String(state || "").replace(/_/g, " ");
}

/** "14:03:07" in UTC from an ISO 8601 time; "" when there is none. */
export function timeOfDay(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().slice(11, 19);
}

/** "2026-11-25 14:03:07 UTC", for titles. */
export function fullTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** A long id shortened for a table cell, e.g. "O01JD…9K2F"; the whole id goes in a title. */
export function shortId(id, keep = 6) {
  const text = String(id || "");
  return text.length <= keep * 2 + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`;
}
