/**
 * The runtime's floor: the least a Worker and a room object can do for the bench's workloads, on
 * the same runtime as the hub, to measure the hub against. Exactly this, and nothing more:
 *
 * - `GET /health`: `{"ok":true}`.
 * - `GET /ws/<room>?token=<JWT>`: the token check of ../verify-token.mjs (the hub's jose call),
 *   then the upgrade goes to the room object named `<room>` (`getByName`, one fetch). The object
 *   accepts the socket with the hibernation API (no tags, no attachment), answers the client's
 *   heartbeat frame with the runtime's auto-response, and sends one `joined` frame. No room rules.
 * - `POST /internal/broadcast` with the hub's body `{ rooms, event, data }`: `JSON.parse`, no
 *   bearer check, no validation; per room one RPC `broadcast(frame)` with the frame serialized once
 *   in the Worker; the object does one `ws.send(frame)` per socket and answers how many it reached.
 *   No storage at all: no history, no idempotency, no seq.
 *
 * With `FLOOR_ROW = "1"` (../floor-row/wrangler.toml, the `floor-row-bare` target) the object also
 * keeps the one durable promise of each kind the hub must keep: it writes each frame as one SQLite
 * row before sending it (the row per publish of the hub's history), and sets one alarm per accepted
 * socket (the hub's token-expiry alarm: the one write a personal room's first join cannot do
 * without, which creates the object's database). Nothing else.
 */
import { DurableObject } from "cloudflare:workers";
import { refused, verifiedSub } from "../verify-token.mjs";

export class FloorRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair('{"event":"heartbeat"}', '{"event":"heartbeat-ack"}'),
    );
  }

  fetch(request) {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    // An hour on: the bench's tokens expire after it, so it never fires in a trial.
    if (this.env.FLOOR_ROW === "1") this.ctx.storage.setAlarm(Date.now() + 3_600_000);
    const userId = request.headers.get("X-User");
    server.send(JSON.stringify({ event: "joined", room: this.ctx.id.name, data: { userId } }));
    return new Response(null, { status: 101, webSocket: client });
  }

  broadcast(frame) {
    if (this.env.FLOOR_ROW === "1") {
      if (!this.tableMade) {
        this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL)");
        this.tableMade = true;
      }
      this.ctx.storage.sql.exec("INSERT INTO events (frame) VALUES (?)", frame);
    }
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) ws.send(frame);
    return sockets.length;
  }

  webSocketMessage() {}

  alarm() {}
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    if (url.pathname.startsWith("/ws/")) {
      const sub = await verifiedSub(request, env.JWT_SECRET);
      if (sub === null) return refused(401, "unauthorized");
      const room = decodeURIComponent(url.pathname.slice(4));
      const headers = new Headers(request.headers);
      headers.set("X-User", sub);
      return env.ROOMS.getByName(room).fetch(new Request(request.url, { headers }));
    }
    if (url.pathname === "/internal/broadcast" && request.method === "POST") {
      const { rooms, event, data } = await request.json();
      const delivered = {};
      await Promise.all(
        rooms.map(async (room) => {
          delivered[room] = await env.ROOMS.getByName(room).broadcast(JSON.stringify({ event, room, data }));
        }),
      );
      return Response.json({ delivered });
    }
    return refused(404, "not_found");
  },
};
