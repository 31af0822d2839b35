// The blotter's model: the snapshots the page holds and the delta rule of the public contract.
//
// A snapshot carries the order's `seq`; a delta with seq = held + 1 is applied, one with
// seq <= held is old news (ignored), and anything else (a gap, or an order we do not hold)
// means "fetch that order's snapshot again".

export const OPEN_STATES = new Set(["new", "working", "partially_filled", "cancel_pending"]);
export const CANCELABLE_STATES = new Set(["new", "working", "partially_filled"]);
export const ENDED_STATES = new Set(["filled", "canceled", "rejected", "expired"]);

export const APPLY = "apply";
export const IGNORE = "ignore";
export const FETCH = "fetch";

export class OrderBook {
  constructor() {
    this.orders = new Map();
  }

  get(orderId) {
    return this.orders.get(orderId);
  }

  get size() {
    return this.orders.size;
  }

  /** What to do with a delta: APPLY, IGNORE or FETCH (the snapshot). */
  classify(delta) {
    const held = this.orders.get(delta.order_id);
    if (!held) return FETCH;
    const seq = Number(delta.seq);
    if (seq <= held.seq) return IGNORE;
    if (seq === held.seq + 1) return APPLY;
    return FETCH;
  }

  /** Apply a delta by the rule; answers the decision and the order now held (if any). */
  applyDelta(delta) {
    const decision = this.classify(delta);
    if (decision !== APPLY) return { decision, order: this.orders.get(delta.order_id) };
    // A delta carries the snapshot's fields as they are now; its type tag and the fill that
    // made it are about the message, not the order.
    const { type: _type, last_fill: _lastFill, ...changes } = delta;
    const order = { ...this.orders.get(delta.order_id), ...changes };
    order.seq = Number(delta.seq);
    this.orders.set(order.order_id, order);
    return { decision, order };
  }

  /** Take a snapshot unless we already hold this seq or a later one; true when taken. */
  takeSnapshot(snapshot) {
    const held = this.orders.get(snapshot.order_id);
    const seq = Number(snapshot.seq);
    if (held && held.seq >= seq) return false;
    this.orders.set(snapshot.order_id, { ...snapshot, seq });
    return true;
  }

  /** Newest first, as GET /api/v1/orders lists them. */
  sorted() {
    return [...this.orders.values()].sort(
      (a, b) =>
        String(b.created_at || "").localeCompare(String(a.created_at || "")) ||
        String(b.order_id).localeCompare(String(a.order_id)),
    );
  }
}
