/**
 * The load client: one process that holds every subscriber socket of a trial, on raw `ws` for
 * every target, so that the client costs the same whatever it measures. For Socket.io it speaks
 * just enough Engine.IO/Socket.IO framing: `0{…}` open, `40{auth}` connect, `2` ping / `3` pong,
 * `42[event,data]` events, `44{…}` connect error.
 *
 * Driven by the orchestrator over IPC (see `handlers` below). Every received event whose
 * `data.orderId` is `<tag>_<hrtime ns>_<seq>` becomes a latency sample (now - hrtime) in the
 * histogram of its tag. Frames are parsed tolerantly: extra fields (`seq`, `epoch`) are ignored and
 * `{"event":"batch","data":[frames]}` is unpacked.
 */
import * as hdr from "hdr-histogram-js";
import WebSocket from "ws";
import { signToken } from "./lib/tokens.mjs";

const EVENT = "order-status-updated";
const HEARTBEAT = '{"event":"heartbeat"}';
const HEARTBEAT_ACK = '{"event":"heartbeat-ack"}';

/** Latency histograms are in microseconds, 1 us to 10 minutes, 3 significant digits. */
export function newHistogram() {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

const state = {
  sockets: [],
  /** tag -> { hist, received, perSeq: Map<seq, count> } */
  tags: new Map(),
  counters: { heartbeatsSent: 0, heartbeatAcks: 0, pings: 0, otherFrames: 0, errorFrames: 0, unexpectedCloses: 0 },
  timers: new Set(),
};

function tagOf(name) {
  let tag = state.tags.get(name);
  if (!tag) {
    tag = { hist: newHistogram(), received: 0, perSeq: new Map() };
    state.tags.set(name, tag);
  }
  return tag;
}

function record(orderId, now) {
  if (typeof orderId !== "string") return;
  const first = orderId.indexOf("_");
  const second = orderId.indexOf("_", first + 1);
  if (first < 0 || second < 0) return;
  const tag = tagOf(orderId.slice(0, first));
  const sentAt = BigInt(orderId.slice(first + 1, second));
  const seq = orderId.slice(second + 1);
  const us = Number((now - sentAt) / 1000n);
  tag.hist.recordValue(us > 0 ? us : 1);
  tag.received++;
  tag.perSeq.set(seq, (tag.perSeq.get(seq) ?? 0) + 1);
}

/** A hub frame (or a frame inside a batch). */
function readHubFrame(frame, now, sock) {
  if (frame === null || typeof frame !== "object") return;
  if (frame.event === EVENT) return record(frame.data?.orderId, now);
  if (frame.event === "batch" && Array.isArray(frame.data)) {
    for (const inner of frame.data) readHubFrame(inner, now, sock);
    return;
  }
  if (frame.event === "joined") return sock.onJoined();
  if (frame.event === "heartbeat-ack") {
    state.counters.heartbeatAcks++;
    return;
  }
  if (frame.event === "error" || frame.event === "closing") state.counters.errorFrames++;
  else state.counters.otherFrames++;
}

/**
 * Opens one subscriber and resolves when it has joined its room, or with an error string.
 * `spec`: { target, base, wsPath, room, token, heartbeatMs }.
 */
function openSocket(spec, timeoutMs) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let settled = false;
    const url =
      spec.target === "socketio"
        ? `${spec.base}/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(spec.room)}`
        : `${spec.base}${spec.wsPath ?? "/ws/"}${encodeURIComponent(spec.room)}?token=${encodeURIComponent(spec.token)}`;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const sock = {
      ws,
      joined: false,
      dropped: false,
      onJoined() {
        if (sock.joined) return;
        sock.joined = true;
        finish(null);
        if (spec.target === "hub" && spec.heartbeatMs > 0) startHeartbeats(sock, spec.heartbeatMs);
      },
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    function finish(error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const joinUs = Number((process.hrtime.bigint() - started) / 1000n);
      if (error) {
        ws.terminate();
        resolve({ error });
      } else {
        state.sockets.push(sock);
        resolve({ sock, joinUs });
      }
    }
    ws.on("unexpected-response", (_req, res) => finish(`http ${res.statusCode}`));
    ws.on("error", (error) => finish(`error ${error.code ?? error.message}`));
    ws.on("close", () => {
      if (!settled) finish("closed before joined");
      else if (!sock.dropped) state.counters.unexpectedCloses++;
    });
    if (spec.target === "socketio") {
      ws.on("message", (data) => {
        const text = data.toString();
        const now = process.hrtime.bigint();
        const type = text.charCodeAt(0);
        if (type === 52 /* 4: message */) {
          const packet = text.charCodeAt(1);
          if (packet === 50 /* 2: EVENT */) {
            const [event, payload] = JSON.parse(text.slice(2));
            if (event === EVENT) record(payload?.orderId, now);
            else if (event === "joined") sock.onJoined();
            else state.counters.otherFrames++;
          } else if (packet === 52 /* 4: CONNECT_ERROR */) {
            finish(`connect_error ${text.slice(2)}`);
          }
          // 40{sid}: connected; the joined event follows.
        } else if (type === 50 /* 2: ping */) {
          state.counters.pings++;
          ws.send("3");
        } else if (type === 48 /* 0: open */) {
          ws.send(`40${JSON.stringify({ token: spec.token })}`);
        }
      });
    } else {
      ws.on("message", (data) => {
        const text = data.toString();
        const now = process.hrtime.bigint();
        if (text === HEARTBEAT_ACK) {
          state.counters.heartbeatAcks++;
          return;
        }
        let frame;
        try {
          frame = JSON.parse(text);
        } catch {
          state.counters.otherFrames++;
          return;
        }
        readHubFrame(frame, now, sock);
      });
    }
  });
}

/** Heartbeats like the hub's client: every `intervalMs`, the first at a random offset. */
function startHeartbeats(sock, intervalMs) {
  const beat = () => {
    if (sock.ws.readyState !== WebSocket.OPEN) return;
    sock.ws.send(HEARTBEAT);
    state.counters.heartbeatsSent++;
  };
  const first = setTimeout(
    () => {
      state.timers.delete(first);
      beat();
      const every = setInterval(beat, intervalMs);
      state.timers.add(every);
    },
    Math.floor(Math.random() * intervalMs),
  );
  state.timers.add(first);
}

const handlers = {
  /**
   * { target, base, wsPath, groups: [{ room, count, roles, subPrefix }], concurrency, heartbeatMs, timeoutMs }
   * Tokens are signed before the clock starts.
   */
  async connect(msg) {
    const specs = [];
    for (const group of msg.groups) {
      for (let i = 0; i < group.count; i++) {
        const sub = `${group.subPrefix}${i}`;
        specs.push({
          target: msg.target,
          base: msg.base,
          wsPath: msg.wsPath,
          room: group.room ?? `user-${sub}`,
          token: await signToken(sub, group.roles),
          heartbeatMs: msg.heartbeatMs,
        });
      }
    }
    const joinHist = newHistogram();
    const errors = {};
    const openedByRoom = {};
    let opened = 0;
    let next = 0;
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (next < specs.length) {
        const spec = specs[next++];
        const result = await openSocket(spec, msg.timeoutMs ?? 30_000);
        if (result.error) errors[result.error] = (errors[result.error] ?? 0) + 1;
        else {
          opened++;
          openedByRoom[spec.room] = (openedByRoom[spec.room] ?? 0) + 1;
          joinHist.recordValue(Math.max(1, result.joinUs));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(msg.concurrency, specs.length) }, worker));
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    return {
      opened,
      failed: specs.length - opened,
      openedByRoom,
      errors,
      durationMs,
      join: hdr.encodeIntoCompressedBase64(joinHist),
    };
  },

  /** Forgets every sample so far (the warm-up). */
  reset() {
    state.tags.clear();
    return {};
  },

  /** Counts only, cheap, for polling while draining. */
  counts() {
    const received = {};
    for (const [name, tag] of state.tags) received[name] = tag.received;
    return { received, open: state.sockets.filter((s) => s.ws.readyState === WebSocket.OPEN).length };
  },

  /** Histograms and per-event counts of the given tags. */
  collect(msg) {
    const out = {};
    for (const name of msg.tags) {
      const tag = state.tags.get(name);
      if (!tag) {
        out[name] = { received: 0, perSeq: {}, hist: null };
        continue;
      }
      out[name] = {
        received: tag.received,
        perSeq: Object.fromEntries(tag.perSeq),
        hist: hdr.encodeIntoCompressedBase64(tag.hist),
      };
    }
    return { tags: out, counters: { ...state.counters } };
  },

  /** Drops every socket (the server is stopped right after). */
  async close() {
    for (const timer of state.timers) clearTimeout(timer);
    state.timers.clear();
    for (const sock of state.sockets) {
      sock.dropped = true;
      sock.ws.terminate();
    }
    state.sockets = [];
    state.tags.clear();
    for (const key of Object.keys(state.counters)) state.counters[key] = 0;
    return {};
  },
};

process.on("message", async (msg) => {
  try {
    const result = await handlers[msg.type](msg);
    process.send({ id: msg.id, ok: true, result });
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
