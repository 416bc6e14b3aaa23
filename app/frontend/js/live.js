// The live WebSocket (/api/v1/live): auth as the first message, then a snapshot and diffs.
//
// Reconnects with a growing pause (1 s to 30 s) after a drop; a close with code 4401 means the
// token was refused, so the page signs out instead of retrying. Messages are handed over as
// they come; the store applies them and the map redraws at most once per animation frame.

export class LiveFeed {
  constructor({ getToken, onSnapshot, onDiff, onAlert, onState, onAuthFailed, maxRateHz = 1 }) {
    this.getToken = getToken;
    this.onSnapshot = onSnapshot;
    this.onDiff = onDiff;
    this.onAlert = onAlert;
    this.onState = onState || (() => {});
    this.onAuthFailed = onAuthFailed || (() => {});
    this.maxRateHz = maxRateHz;
    this.bbox = null;
    this.ws = null;
    this.backoff = 1000;
    this.stopped = true;
    this.timer = 0;
    this.lastMessage = 0;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/api/v1/live`;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "bye");
    this.ws = null;
    this.onState("offline");
  }

  subscribe(bbox = this.bbox) {
    this.bbox = bbox;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: "subscribe", bbox, max_rate_hz: this.maxRateHz }));
    }
  }

  connect() {
    const token = this.getToken();
    if (!token || this.stopped) return;
    this.onState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", token }));
      this.subscribe();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.lastMessage = Date.now();
      switch (msg.type) {
        case "snapshot":
          this.backoff = 1000;
          this.onState("live");
          this.onSnapshot(msg.vessels || []);
          break;
        case "diff":
          this.onDiff(msg.upsert || [], msg.remove || [], msg.time);
          break;
        case "alert":
          this.onAlert(msg.alert);
          break;
        case "error":
          this.lastError = msg.message;
          break;
        default:
          break;
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4401 || ev.code === 4403) {
        this.stopped = true;
        this.onState("offline");
        this.onAuthFailed(this.lastError);
        return;
      }
      this.onState("offline");
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 30_000);
  }
}
