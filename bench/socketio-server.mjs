/**
 * The reference server the hub is measured against: Socket.io 4.8 on Node, doing what the hub does
 * for the bench's workloads, the way a team would write it.
 *
 * - Sockets: WebSocket transport only, `?room=` in the handshake query and the token in the
 *   CONNECT packet's auth (`40{"token":…}`) or `?token=`. The token is checked like the hub does it
 *   (HS256 through jose, `sub`/`roles`/`exp`), and so is the room policy for the rooms the bench
 *   uses. A joined socket gets `joined`, as on the hub.
 * - `POST /broadcast` with `Authorization: Bearer <secret>` and the hub's body
 *   (`{ rooms, event, data }`, strict schemas through zod, 64 KiB limit) does `io.to(room).emit`.
 * - Heartbeats: Engine.IO's own ping every 30 s (the hub's client heartbeats every 30 s too).
 *
 * Usage: node bench/socketio-server.mjs --port P [--ping-interval MS]
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { jwtVerify } from "jose";
import { Server } from "socket.io";
import { z } from "zod";
import { ID_PATTERN as ID } from "../src/id-pattern.mjs";
import { BENCH_BROADCAST_SECRET, BENCH_JWT_SECRET } from "./lib/tokens.mjs";

const portArg = process.argv.indexOf("--port");
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
const pingArg = process.argv.indexOf("--ping-interval");
const pingInterval = pingArg > 0 ? Number(process.argv[pingArg + 1]) : 30_000;

const jwtKey = new TextEncoder().encode(BENCH_JWT_SECRET);
const claimsSchema = z.object({
  sub: z.string().regex(ID),
  roles: z.array(z.string().min(1).max(64)).max(32).default([]),
  name: z.string().max(100).optional(),
  exp: z.number(),
});

/** The hub's room table, for the kinds the bench uses. */
const STAFF = ["admin", "staff", "kitchen"];
function mayJoin(room, user) {
  if (room.startsWith("order-")) return ID.test(room.slice(6)) && user.roles.some((r) => STAFF.includes(r));
  if (room === "restaurant-kitchen") return user.roles.some((r) => STAFF.includes(r));
  if (room.startsWith("user-")) return room.slice(5) === user.sub;
  return false;
}

const orderStatusUpdated = z.strictObject({
  orderId: z.union([z.string().regex(ID), z.number().int().nonnegative()]),
  status: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});
const payloadSchemas = { "order-status-updated": orderStatusUpdated };
const broadcastSchema = z.strictObject({
  id: z.string().min(1).max(128).optional(),
  rooms: z.array(z.string().max(200)).min(1).max(100),
  event: z.string().max(100),
  data: z.unknown(),
});

const secretHash = createHash("sha256").update(BENCH_BROADCAST_SECRET).digest();
function authorized(header) {
  if (!header?.startsWith("Bearer ")) return false;
  const given = createHash("sha256").update(header.slice(7)).digest();
  return timingSafeEqual(given, secretHash);
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const http = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") return reply(res, 200, { ok: true });
  if (req.method !== "POST" || req.url !== "/broadcast") return reply(res, 404, { error: { code: "not_found" } });
  if (!authorized(req.headers.authorization)) return reply(res, 401, { error: { code: "unauthorized" } });
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > 64 * 1024) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    let body;
    try {
      body = broadcastSchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    } catch {
      return reply(res, 400, { error: { code: "bad_request" } });
    }
    const schema = payloadSchemas[body.event];
    const data = schema?.safeParse(body.data);
    if (!data?.success) return reply(res, 400, { error: { code: "bad_request" } });
    const delivered = {};
    for (const room of new Set(body.rooms)) {
      io.to(room).emit(body.event, data.data);
      delivered[room] = io.sockets.adapter.rooms.get(room)?.size ?? 0;
    }
    reply(res, 200, { delivered });
  });
});

const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  pingInterval,
  pingTimeout: 20_000,
  perMessageDeflate: false,
  httpCompression: false,
});

io.use(async (socket, next) => {
  try {
    const token = socket.handshake.auth?.token ?? socket.handshake.query.token;
    const room = String(socket.handshake.query.room ?? "");
    if (typeof token !== "string" || token.length === 0) return next(new Error("unauthorized"));
    const { payload } = await jwtVerify(token, jwtKey, {
      algorithms: ["HS256"],
      clockTolerance: 5,
      requiredClaims: ["exp", "sub"],
    });
    const user = claimsSchema.parse(payload);
    if (!mayJoin(room, user)) return next(new Error("forbidden"));
    socket.data = { room, userId: user.sub, roles: user.roles, exp: user.exp };
    next();
  } catch {
    next(new Error("unauthorized"));
  }
});

io.on("connection", (socket) => {
  const { room, userId } = socket.data;
  socket.join(room);
  socket.emit("joined", { room, userId });
});

http.listen(port, "127.0.0.1", () => {
  const address = http.address();
  // The orchestrator reads this line to learn the port.
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : port}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
