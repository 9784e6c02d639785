/**
 * The pieces of a publish, each run `n` times in a loop inside workerd so that
 * bench/publish-path.mjs can read their CPU from /proc (workerd's clocks do not advance inside a
 * request, so nothing here times itself). `GET /op/<name>?n=<n>` runs one piece; the hub's own
 * modules are imported as they are, not copied.
 *
 * Worker side: `floor-worker` is what the floor's Worker does for a publish without its RPC;
 * `hub-worker` sends the same request through the hub's Worker (its publish shortcut: config check,
 * rate-limit lookup, bearer check, body read, validation, response) with a room namespace that
 * answers at once, i.e. without the RPC; the other ops are its parts. Object side: `rpc-*` is one RPC round
 * trip to an object that does nothing, with the floor's argument (one string) or the hub's
 * (room, event, data, id, hash); `room-broadcast` is the hub's RoomObject.broadcast in-process
 * (history row, frame, bookkeeping; no sockets), `floor-room` the floor's (the socket list).
 */
import { DurableObject } from "cloudflare:workers";
import { jwtVerify } from "jose";
import app from "../../../src/index.ts";
import { CONNECT_HEADER, encodeConnect } from "../../../src/room/connect-request.ts";
import { signToken } from "../../../src/sign-token.mjs";
import floorWorker from "../floor/worker.mjs";
import { verifiedSub } from "../verify-token.mjs";

export { PresenceObject } from "../../../src/presence/presence-object.ts";
export { FloorRoom } from "../floor/worker.mjs";

import { HISTORY } from "../../../src/protocol.ts";
import { RoomHistory } from "../../../src/room/room-history.ts";
import { RoomObject } from "../../../src/room/room-object.ts";
import { verifyToken } from "../../../src/worker/auth.ts";
import { validateBroadcast } from "../../../src/worker/broadcast-route.ts";
import { secretMatches } from "../../../src/worker/internal-auth.ts";
import { readJsonBody } from "../../../src/worker/read-body.ts";

const ROOM = "order-path1";
const BODY = JSON.stringify({
  rooms: [ROOM],
  event: "order-status-updated",
  data: { orderId: "s0_1234567890123456789_42", status: "ready" },
});
const PARSED = JSON.parse(BODY);

/** What the hub's namespace becomes for `hub-worker`: a room that answers without an RPC. */
const instantRooms = { getByName: () => ({ broadcast: async () => ({ delivered: 5 }) }) };

const encoder = new TextEncoder();
/** Which of 200 rooms the next `-200` op goes to. */
let turn = 0;
let expectedDigest = null;
let hubEnv = null;
/** F's token (a kitchen display's), signed on first use. */
let upgradeToken = null;
/** What the namespaces become for the `*-upgrade-worker` ops: a room that answers at once. */
const answeringRooms = { getByName: () => ({ fetch: async () => new Response(null, { status: 204 }) }) };
let upgradeEnv = null;
let cachedKey = null;
/** Accepts so far: F's ops put 2,000 sockets in a room, then start the next room. */
let accepts = 0;
const UPGRADE_HEADERS = {
  Upgrade: "websocket",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version": "13",
};

/** One upgrade into `stub` as a Worker hands it on; the client end is dropped unaccepted. */
async function acceptInto(stub, headers) {
  const res = await stub.fetch(
    new Request("https://room.internal/connect", { headers: { ...UPGRADE_HEADERS, ...headers } }),
  );
  if (res.status !== 101) throw new Error(`accept: ${res.status} ${await res.text()}`);
}

/** The next socket of F's big rooms: 2,000 per room, then the next room. */
function nextBigRoomSocket() {
  return { room: `order-accept-${Math.floor(accepts / 2_000)}`, userId: `k${accepts++}` };
}

/** The floor's accept in a probe object, with the hub's piece `probe` added (see AcceptProbe). */
async function probeAccept(env, probe) {
  const { room, userId } = nextBigRoomSocket();
  await acceptInto(env.PROBES.getByName(room), { "X-User": userId, "X-Probe": probe });
}

/** What the hub's Worker hands its room for F's sockets (kitchen displays) and F2's (customers at home). */
function hubConnect(room, userId, roles) {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return { [CONNECT_HEADER]: encodeConnect({ room, userId, roles, exp, needsGrant: false }) };
}

async function upgradeRequest(env) {
  upgradeToken ??= await signToken(env.JWT_SECRET, { sub: "k1", roles: ["kitchen"], expiresIn: 3600 });
  return new Request(`http://hub.internal/ws/order-path1?token=${upgradeToken}`, { headers: UPGRADE_HEADERS });
}

function publishRequest(secret) {
  return new Request("http://hub.internal/internal/broadcast", {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: BODY,
  });
}

const WORKER_OPS = {
  noop: async () => {},
  request: async (env) => {
    await publishRequest(env.BROADCAST_SECRET).text();
  },
  "floor-worker": async (env) => {
    const { rooms, event, data } = JSON.parse(await publishRequest(env.BROADCAST_SECRET).text());
    const delivered = {};
    for (const room of rooms) {
      JSON.stringify({ event, room, data });
      delivered[room] = 5;
    }
    await Response.json({ delivered }).text();
  },
  "hub-worker": async (env, ctx) => {
    // One bindings object for every request, as the runtime hands an isolate's requests.
    hubEnv ??= { ...env, ROOMS: instantRooms };
    const res = await app.fetch(publishRequest(env.BROADCAST_SECRET), hubEnv, ctx);
    if (res.status !== 200) throw new Error(`hub-worker: ${res.status} ${await res.text()}`);
    await res.text();
  },
  "read-json-body": async (env) => {
    await readJsonBody(publishRequest(env.BROADCAST_SECRET));
  },
  "hono-internal-404": async (env, ctx) => {
    // Through the config check, both Hono apps, the rate-limit lookup and the bearer check, to the
    // internal API's 404: the hub's routing and middleware without the body, zod or the room.
    const request = new Request("http://hub.internal/internal/nothing", {
      method: "POST",
      headers: { Authorization: `Bearer ${env.BROADCAST_SECRET}` },
    });
    const res = await app.fetch(request, { ...env, ROOMS: instantRooms }, ctx);
    if (res.status !== 404) throw new Error(`hono-internal-404: ${res.status}`);
    await res.text();
  },
  "hono-health": async (env, ctx) => {
    await (await app.fetch(new Request("http://hub.internal/health"), env, ctx)).text();
  },
  "raw-health": async () => {
    await Response.json({ ok: true }).text();
  },
  bearer: async (env) => {
    if (!secretMatches(env.BROADCAST_SECRET, env.BROADCAST_SECRET)) throw new Error("bearer");
  },
  "bearer-once": async (env) => {
    // The configured secret's digest kept for the isolate's life: one digest per request.
    expectedDigest ??= await crypto.subtle.digest("SHA-256", encoder.encode(env.BROADCAST_SECRET));
    const given = await crypto.subtle.digest("SHA-256", encoder.encode(env.BROADCAST_SECRET));
    if (!crypto.subtle.timingSafeEqual(given, expectedDigest)) throw new Error("bearer-once");
  },
  "verify-floor": async (env) => {
    if ((await verifiedSub(await upgradeRequest(env), env.JWT_SECRET)) !== "k1") throw new Error("verify-floor");
  },
  "verify-hub": async (env) => {
    await upgradeRequest(env);
    if ((await verifyToken(upgradeToken, env)).userId !== "k1") throw new Error("verify-hub");
  },
  "verify-cached-key": async (env) => {
    await upgradeRequest(env);
    cachedKey ??= await crypto.subtle.importKey(
      "raw",
      encoder.encode(env.JWT_SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    await jwtVerify(upgradeToken, cachedKey, {
      algorithms: ["HS256"],
      clockTolerance: 5,
      requiredClaims: ["exp", "sub"],
    });
  },
  limiter: async (env) => {
    await env.UPGRADES_PER_USER.limit({ key: "k1" });
  },
  "encode-connect": async () => {
    encodeConnect({ room: "order-path1", userId: "k1", roles: ["kitchen"], exp: 1_900_000_000, needsGrant: false });
  },
  "hub-room-accept": async (env) => {
    const { room, userId } = nextBigRoomSocket();
    await acceptInto(env.ROOMS.getByName(room), hubConnect(room, userId, ["kitchen"]));
  },
  "floor-room-accept": async (env) => {
    const { room, userId } = nextBigRoomSocket();
    await acceptInto(env.FLOORS.getByName(room), { "X-User": userId });
  },
  "hub-personal-accept": async (env) => {
    const userId = `p${accepts++}`;
    await acceptInto(env.ROOMS.getByName(`user-${userId}`), hubConnect(`user-${userId}`, userId, ["customer"]));
  },
  "floor-personal-accept": async (env) => {
    const userId = `p${accepts++}`;
    await acceptInto(env.FLOORS.getByName(`user-${userId}`), { "X-User": userId });
  },
  "probe-accept-tags": (env) => probeAccept(env, "tags"),
  "probe-accept-attachment": (env) => probeAccept(env, "attachment"),
  "probe-accept-none": (env) => probeAccept(env, ""),
  "floor-upgrade-worker": async (env, ctx) => {
    upgradeEnv ??= { ...env, ROOMS: answeringRooms };
    const res = await floorWorker.fetch(await upgradeRequest(env), upgradeEnv, ctx);
    if (res.status !== 204) throw new Error(`floor-upgrade-worker: ${res.status}`);
  },
  "hub-upgrade-worker": async (env, ctx) => {
    upgradeEnv ??= { ...env, ROOMS: answeringRooms };
    const res = await app.fetch(await upgradeRequest(env), upgradeEnv, ctx);
    if (res.status !== 204) throw new Error(`hub-upgrade-worker: ${res.status} ${await res.text()}`);
  },
  "json-parse": async () => {
    JSON.parse(BODY);
  },
  validate: async () => {
    validateBroadcast(JSON.parse(BODY));
  },
  "idempotency-hash": async () => {
    // The hub's sha256() of broadcast-route.ts, for a publish that carries an id.
    const digest = await crypto.subtle.digest("SHA-256", encoder.encode(JSON.stringify([PARSED.event, PARSED.data])));
    btoa(String.fromCharCode(...new Uint8Array(digest)));
  },
  response: async () => {
    await Response.json({ delivered: { [ROOM]: 5 } }).text();
  },
  "rpc-floor": async (env) => {
    await env.NOOPS.getByName(ROOM).take(JSON.stringify({ event: PARSED.event, room: ROOM, data: PARSED.data }));
  },
  "rpc-hub": async (env) => {
    await env.NOOPS.getByName(ROOM).takeHub(ROOM, PARSED.event, PARSED.data, undefined, "");
  },
  "rpc-timer": async (env) => {
    await env.NOOPS.getByName(ROOM).takeWithTimer();
  },
  "rpc-insert": async (env) => {
    await env.NOOPS.getByName(ROOM).insert(JSON.stringify({ event: PARSED.event, room: ROOM, data: PARSED.data }));
  },
  "rpc-insert-200": async (env) => {
    // As D: 200 rooms in turn, each its own SQLite database.
    const room = `${ROOM}-ins-${turn++ % 200}`;
    await env.NOOPS.getByName(room).insert(JSON.stringify({ event: PARSED.event, room, data: PARSED.data }));
  },
  "rpc-room-broadcast-200": async (env) => {
    await env.ROOMS.getByName(`${ROOM}-rpc-${turn++ % 200}`).broadcastInSmallLog(
      PARSED.event,
      PARSED.data,
      undefined,
      "",
    );
  },
  "rpc-room-broadcast": async (env) => {
    await env.ROOMS.getByName(`${ROOM}-rpc`).broadcastInSmallLog(PARSED.event, PARSED.data, undefined, "");
  },
  "wake-hub-room": async (env) => {
    await env.ROOMS.getByName(`wake-${crypto.randomUUID()}`).ping();
  },
  "presence-report": async (env) => {
    // What each F2 join sends presence: a snapshot of one new user's one connection.
    const now = Date.now();
    await env.PRESENCE.getByName("global").reportUser({
      userId: `u${turn++}`,
      version: now,
      connections: [
        { id: crypto.randomUUID(), roles: ["customer"], path: null, connectedAt: now, movedAt: now, seenAt: now },
      ],
    });
  },
  "wake-floor-room": async (env) => {
    await env.NOOPS.getByName(`wake-${crypto.randomUUID()}`).take("");
  },
};

/** An object that does nothing: the RPC round trip alone, and the floor's broadcast without sockets. */
export class NoopRoom extends DurableObject {
  take() {
    return 0;
  }
  takeHub() {
    return { delivered: 0 };
  }
  /** A zero-delay timer, as the hub's room sets after each fan-out to time it (timeFanOut). */
  async takeWithTimer() {
    // Answered once the timer fired: back-to-back calls would otherwise outrun the timers.
    await new Promise((fired) => setTimeout(fired, 0));
    return 0;
  }
  /** One INSERT: with the RPC, its commit and the output gate that holds the answer until it is durable. */
  insert(frame) {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS bare (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, ts INTEGER NOT NULL)");
    sql.exec("INSERT INTO bare (frame, ts) VALUES (?, ?)", frame, Date.now());
    return 0;
  }
  loop(n) {
    for (let i = 0; i < n; i++) {
      const frame = JSON.stringify({ event: PARSED.event, room: ROOM, data: PARSED.data });
      for (const ws of this.ctx.getWebSockets()) ws.send(frame);
    }
    return n;
  }
}

/** The floor's accept with one of the hub's pieces added (`X-Probe`: "tags" or "attachment"; "" for none). */
export class AcceptProbe extends DurableObject {
  fetch(request) {
    const [client, server] = Object.values(new WebSocketPair());
    const probe = request.headers.get("X-Probe") ?? "";
    const userId = request.headers.get("X-User");
    this.ctx.acceptWebSocket(server, probe.includes("tags") ? [`u:${userId}`] : []);
    if (probe.includes("attachment")) {
      server.serializeAttachment({ u: userId, r: ["kitchen"], e: 1_900_000_000, c: "0123456789abcdef", t: Date.now() });
    }
    server.send(JSON.stringify({ event: "joined", room: this.ctx.id.name, data: { userId } }));
    return new Response(null, { status: 101, webSocket: client });
  }
}

/** The hub's room object, driven in-process. */
export class PathRoom extends RoomObject {
  /**
   * The room's history kept small (under 50 events), as in a room that gets a few events, like
   * D's: every 49 publishes the rows go and the log starts again (the room's log, read again).
   */
  restartHistoryEvery49(i) {
    if (i % 49 !== 0) return;
    if (!this.history) throw new Error("no history"); // the getter creates the room's tables on first use
    this.ctx.storage.sql.exec("DELETE FROM events");
    this.log = new RoomHistory(this.ctx.storage);
  }

  /** The hub's broadcast over RPC, in a log kept under 50 events like D's rooms. */
  broadcastInSmallLog(event, data, id, hash) {
    this.calls = (this.calls ?? 0) + 1;
    this.restartHistoryEvery49(this.calls);
    return this.broadcast(event, data, id, hash);
  }

  /** The first call of a new room object: its wake-up and its migrations. */
  ping() {
    return 0;
  }

  async loop(n) {
    for (let i = 0; i < n; i++) {
      this.restartHistoryEvery49(i);
      await this.broadcast(PARSED.event, PARSED.data);
    }
    return n;
  }

  /** RoomHistory.append alone in a small log: the frame with seq and epoch, the INSERT. */
  loopHistory(n) {
    for (let i = 0; i < n; i++) {
      this.restartHistoryEvery49(i);
      this.history.append(ROOM, PARSED.event, PARSED.data);
    }
    return n;
  }

  /** The same in a log at its cap of HISTORY.maxEvents rows: each append overwrites the oldest slot. */
  loopFullHistory(n) {
    const history = this.history; // the getter creates the room's tables on first use
    const rows = () => this.ctx.storage.sql.exec("SELECT count(*) AS n FROM events").one().n;
    while (rows() < HISTORY.maxEvents) {
      for (let i = 0; i < 500; i++) history.append(ROOM, PARSED.event, PARSED.data);
    }
    for (let i = 0; i < n; i++) history.append(ROOM, PARSED.event, PARSED.data);
    return n;
  }

  /** The INSERT alone, with a frame of the same size. */
  loopInsert(n) {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS bare (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, ts INTEGER NOT NULL)");
    const frame = JSON.stringify({ event: PARSED.event, room: ROOM, data: PARSED.data, seq: 1, epoch: "0123456789ab" });
    for (let i = 0; i < n; i++) sql.exec("INSERT INTO bare (frame, ts) VALUES (?, ?)", frame, Date.now());
    return n;
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    const name = url.pathname.slice("/op/".length);
    const n = Number(url.searchParams.get("n") ?? "1");
    // Each object op in an object of its own, so that their tables do not mix.
    const room = env.ROOMS.getByName(`${ROOM}-${name}`);
    if (name === "room-broadcast") return Response.json({ n: await room.loop(n) });
    if (name === "history-append") return Response.json({ n: await room.loopHistory(n) });
    if (name === "history-full") return Response.json({ n: await room.loopFullHistory(n) });
    if (name === "sqlite-insert") return Response.json({ n: await room.loopInsert(n) });
    if (name === "floor-room") return Response.json({ n: await env.NOOPS.getByName(ROOM).loop(n) });
    const op = WORKER_OPS[name];
    if (!op) return Response.json({ error: `no op ${name}` }, { status: 404 });
    for (let i = 0; i < n; i++) await op(env, ctx);
    return Response.json({ n });
  },
};
