// The ws-gateway's order stream: /ws/v1/stream on this host, over the session.
//
// On open: subscribe to every order of the trader. The server answers {"type": "subscribed"}
// and then pushes {"type": "order.delta", ...}. When the socket closes it is opened again with
// an exponential backoff (with jitter); code 4401 means the session is gone: no retry.

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const UNAUTHORIZED = 4401;

export function streamUrl(path, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export function backoffMs(failures) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(failures, 10));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export class OrderStream {
  /**
   * handlers: onStatus(state, detail) with state one of connecting, subscribing, live,
   * reconnecting, unauthorized; onSubscribed(); onDelta(delta).
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.socket = null;
    this.failures = 0;
    this.timer = null;
    this.stopped = false;
    this.live = false;
    this.retryAt = 0;
    window.addEventListener("online", () => this.reconnectNow());
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  reconnectNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.timer);
    this.connect();
  }

  status(state, detail = {}) {
    this.handlers.onStatus?.(state, detail);
  }

  connect() {
    this.timer = null;
    this.live = false;
    this.status(this.failures ? "reconnecting" : "connecting", { retryAt: 0 });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.status("subscribing");
      socket.send(JSON.stringify({ action: "subscribe", orders: "*" }));
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.live = false;
      if (this.stopped) return;
      if (event.code === UNAUTHORIZED) {
        this.status("unauthorized");
        return;
      }
      this.scheduleReconnect();
    });
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return; // not ours to understand
    }
    if (message.type === "subscribed") {
      this.failures = 0;
      this.markLive();
      this.handlers.onSubscribed?.();
    } else if (message.type === "order.delta") {
      this.markLive();
      this.handlers.onDelta?.(message);
    }
  }

  markLive() {
    if (this.live) return;
    this.live = true;
    this.status("live");
  }

  scheduleReconnect() {
    const delay = backoffMs(this.failures);
    this.failures += 1;
    this.retryAt = Date.now() + delay;
    this.status("reconnecting", { retryAt: this.retryAt });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
