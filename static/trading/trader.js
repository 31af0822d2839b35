// The trader's page: ticket, live blotter, fills, positions and balances.
//
// Snapshots come from the edge-api, changes from the ws-gateway's order deltas (see
// lib/orders.js for the seq rule). On every (re)subscription the order list is read again, so
// nothing missed while the socket was down stays missing; while it is down the lists are also
// polled, slowly, so the page never shows stale state for long.

import { Api, describe } from "./lib/api.js";
import { Blotter } from "./lib/blotter.js";
import { OrderDetails } from "./lib/details.js";
import { APPLY, ENDED_STATES, FETCH, IGNORE, OrderBook } from "./lib/orders.js";
import { renderBalances, renderFills, renderPositions, showPanelError } from "./lib/panels.js";
import { OrderStream, streamUrl } from "./lib/stream.js";
import { Ticket } from "./lib/ticket.js";

const ORDERS_SHOWN = 200;
const FILLS_SHOWN = 50;
const PANEL_REFRESH_DELAY_MS = 150;
const POLL_WHILE_DOWN_MS = 5000;
const SNAPSHOT_RETRIES = 3;

const root = document.getElementById("trader-page");
const api = new Api(root.dataset.apiRoot, root.dataset.csrfToken);
const book = new OrderBook();
const instruments = new Map();
const tables = {
  fills: document.getElementById("fills"),
  positions: document.getElementById("positions"),
  balances: document.getElementById("balances"),
};

const blotter = new Blotter(document.getElementById("blotter"), {
  baseOf: (symbol) => instruments.get(symbol)?.base || symbol?.split("-")[0] || "",
  onCancel: cancelOrder,
});

const ticket = new Ticket(document.getElementById("ticket"), {
  api,
  onPlaced(order) {
    takeSnapshot(order);
    refreshPanels(["balances"]); // the order's funds are held from now on
  },
});

// --- orders ----------------------------------------------------------------------------------

function takeSnapshot(order) {
  if (book.takeSnapshot(order)) blotter.upsert(book.get(order.order_id));
}

let listRequest = null;
let listAgain = false;

/** Read the order list; a call while one is running runs it once more after it. */
async function loadOrders() {
  if (listRequest) {
    listAgain = true;
    return listRequest;
  }
  listRequest = (async () => {
    do {
      listAgain = false;
      try {
        const orders = await api.list(`/orders?limit=${ORDERS_SHOWN}`, { maxItems: ORDERS_SHOWN });
        for (const order of orders) book.takeSnapshot(order);
        blotter.render(book.sorted());
      } catch (error) {
        blotter.showError(`Orders could not be read: ${error.message}`);
        flashMessage(`Orders could not be read: ${error.message}`);
      }
    } while (listAgain);
  })();
  try {
    await listRequest;
  } finally {
    listRequest = null;
  }
}

const snapshotRequests = new Map(); // order id -> the highest seq a delta announced

/** Read one order's snapshot again (a gap, or an order we did not hold). */
async function refetchOrder(orderId, announcedSeq = 0) {
  const running = snapshotRequests.has(orderId);
  snapshotRequests.set(orderId, Math.max(snapshotRequests.get(orderId) || 0, announcedSeq));
  if (running) return;
  try {
    for (let tries = 0; tries < SNAPSHOT_RETRIES; tries += 1) {
      try {
        takeSnapshot(await api.get(`/orders/${encodeURIComponent(orderId)}`));
      } catch (error) {
        if (error.status === 404) return; // not ours: nothing to show
        await sleep(250 * (tries + 1));
        continue;
      }
      // Snapshots are read after the delta was committed, so one read is normally enough.
      if ((book.get(orderId)?.seq || 0) >= snapshotRequests.get(orderId)) return;
    }
  } finally {
    snapshotRequests.delete(orderId);
  }
}

function onDelta(delta) {
  if (!delta.order_id) return;
  const before = book.get(delta.order_id);
  const { decision, order } = book.applyDelta(delta);
  if (decision === APPLY) {
    blotter.upsert(order);
  } else if (decision === FETCH) {
    refetchOrder(delta.order_id, Number(delta.seq));
  }
  if (decision === IGNORE) return;
  if (delta.last_fill) {
    refreshPanels(["fills", "positions", "balances"]);
  } else if (ENDED_STATES.has(delta.state) && !ENDED_STATES.has(before?.state)) {
    refreshPanels(["balances"]); // what was held for the order is released
  }
}

async function cancelOrder(orderId) {
  const answer = await api.post(`/orders/${encodeURIComponent(orderId)}/cancel`);
  if ((answer.status === 202 || answer.status === 409) && answer.body?.order_id) {
    takeSnapshot(answer.body);
    if (answer.status === 409) flashMessage(`Order already ${answer.body.state}: nothing to cancel.`);
    refreshPanels(["balances"]);
  } else {
    flashMessage(`Cancel not done: ${describe(answer)}`);
  }
}

// --- panels ----------------------------------------------------------------------------------

const PANELS = {
  fills: async () => renderFills(tables.fills, await api.list(`/fills?limit=${FILLS_SHOWN}`, { maxItems: FILLS_SHOWN, maxPages: 2 })),
  positions: async () => renderPositions(tables.positions, await api.list("/positions")),
  balances: async () => renderBalances(tables.balances, await api.list("/balances")),
};

const dueRefresh = new Set();
let refreshTimer = null;

/** Refresh some panels soon; several requests close together make one refresh. */
function refreshPanels(names = Object.keys(PANELS)) {
  for (const name of names) dueRefresh.add(name);
  if (refreshTimer) return;
  refreshTimer = setTimeout(async () => {
    refreshTimer = null;
    const due = [...dueRefresh];
    dueRefresh.clear();
    await Promise.all(due.map(loadPanel));
  }, PANEL_REFRESH_DELAY_MS);
}

async function loadPanel(name) {
  try {
    await PANELS[name]();
  } catch (error) {
    showPanelError(tables[name], `Could not be read: ${error.message}`);
  }
}

// --- connection indicator, messages -----------------------------------------------------------

const conn = document.getElementById("conn");
const connText = conn.querySelector(".conn-text");
let retryTimer = null;
let pollTimer = null;

function showStatus(state, { retryAt = 0 } = {}) {
  conn.dataset.state = state;
  clearInterval(retryTimer);
  const texts = {
    connecting: "Connecting…",
    subscribing: "Subscribing…",
    live: "Live",
    unauthorized: "Signed out",
  };
  if (state === "reconnecting" && retryAt) {
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      connText.textContent = seconds ? `Offline · retry in ${seconds}s` : "Reconnecting…";
    };
    tick();
    retryTimer = setInterval(tick, 500);
  } else {
    connText.textContent = texts[state] || "Reconnecting…";
  }
  conn.title = state === "live" ? "Order updates are streaming." : "Order updates are not streaming: lists are polled.";
  if (state === "unauthorized") flashMessage("Your session has ended: sign in again to see live updates.");
  setPolling(state !== "live" && state !== "unauthorized");
}

function setPolling(on) {
  if (on && !pollTimer) {
    pollTimer = setInterval(() => {
      loadOrders();
      refreshPanels();
    }, POLL_WHILE_DOWN_MS);
  } else if (!on && pollTimer) {
    clearInterval(pollTimer);
    pollTimer = null;
  }
}

const flashBox = document.getElementById("tp-flash");
let flashTimer = null;

function flashMessage(text) {
  flashBox.textContent = text;
  flashBox.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => {
    flashBox.hidden = true;
  }, 8000);
}

function startClock() {
  const clock = document.getElementById("tp-clock");
  const tick = () => {
    clock.textContent = `${new Date().toISOString().slice(11, 19)} UTC`;
  };
  tick();
  setInterval(tick, 1000);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- start ------------------------------------------------------------------------------------

async function loadInstruments() {
  try {
    const list = await api.list("/instruments");
    for (const instrument of list) instruments.set(instrument.symbol, instrument);
    ticket.setInstruments(list);
    const select = document.getElementById("filter-instrument");
    for (const instrument of list) {
      select.append(new Option(instrument.symbol, instrument.symbol));
    }
    blotter.render(book.sorted()); // progress texts now know each instrument's base asset
  } catch (error) {
    flashMessage(`Instruments could not be read: ${error.message}`);
  }
}

for (const button of document.querySelectorAll(".seg-btn[data-filter]")) {
  button.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".seg-btn[data-filter]")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
    blotter.setFilter(button.dataset.filter);
  });
}

const details = new OrderDetails(document.getElementById("order-details"), { api });
document.getElementById("blotter").addEventListener("click", (event) => {
  const button = event.target.closest(".order-id");
  if (!button) return;
  const orderId = button.closest("tr[data-order-id]").dataset.orderId;
  const order = book.get(orderId);
  if (order) details.open(order, blotter.history.get(orderId) || []);
});

for (const id of ["filter-instrument", "filter-state"]) {
  document.getElementById(id).addEventListener("change", () => {
    blotter.setOnly({
      instrument: document.getElementById("filter-instrument").value,
      state: document.getElementById("filter-state").value,
    });
  });
}

document.getElementById("cancel-all").addEventListener("click", async (event) => {
  const ids = blotter.cancelable();
  if (!ids.length) {
    flashMessage("No open order to cancel.");
    return;
  }
  const many = ids.length === 1 ? "the 1 open order" : `all ${ids.length} open orders`;
  if (!window.confirm(`Cancel ${many}? Fills that already happened stay.`)) return;
  event.target.disabled = true;
  try {
    await Promise.all(ids.map((id) => cancelOrder(id)));
  } finally {
    event.target.disabled = false;
  }
});

startClock();
const stream = new OrderStream(streamUrl(root.dataset.streamPath), {
  onStatus: showStatus,
  onSubscribed: () => {
    loadOrders(); // whatever happened while we were not subscribed
    refreshPanels();
  },
  onDelta,
});
stream.start();
loadInstruments();
loadOrders();
refreshPanels();

// For tests and debugging in the console.
window.traderPage = { book, blotter, stream, loadOrders, refreshPanels };
