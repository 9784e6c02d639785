/**
 * The same-runtime peer: a room on the npm `partyserver` package (partykit's Durable Object
 * server), written the way its documentation shows, doing what the bench's workloads need:
 *
 * - `GET /health`: `{"ok":true}`.
 * - `GET /parties/rooms/<room>?token=<JWT>`: `routePartykitRequest` routes the upgrade to the
 *   `Room` server named `<room>`; its `onBeforeConnect` runs the token check of ../verify-token.mjs
 *   (the hub's jose call). The server hibernates (`static options = { hibernate: true }`), answers
 *   the client's heartbeat frame with the runtime's auto-response, and `onConnect` sends one
 *   `joined` frame.
 * - `POST /internal/broadcast` with the hub's body `{ rooms, event, data }`: `JSON.parse`, no
 *   bearer check, no validation; per room one RPC `publish(frame)` on the server (the frame
 *   serialized in the Worker), which calls partyserver's `broadcast()`. No storage.
 */
import { routePartykitRequest, Server } from "partyserver";
import { refused, verifiedSub } from "../verify-token.mjs";

export class Room extends Server {
  static options = { hibernate: true };

  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair('{"event":"heartbeat"}', '{"event":"heartbeat-ack"}'),
    );
  }

  onConnect(connection, { request }) {
    const userId = request.headers.get("X-User");
    connection.send(JSON.stringify({ event: "joined", room: this.name, data: { userId } }));
  }

  publish(frame) {
    this.broadcast(frame);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    if (url.pathname === "/internal/broadcast" && request.method === "POST") {
      const { rooms, event, data } = await request.json();
      await Promise.all(rooms.map((room) => env.ROOMS.getByName(room).publish(JSON.stringify({ event, room, data }))));
      return Response.json({ ok: true });
    }
    const routed = await routePartykitRequest(request, env, {
      onBeforeConnect: async (req) => {
        const sub = await verifiedSub(req, env.JWT_SECRET);
        if (sub === null) return refused(401, "unauthorized");
        const forwarded = new Request(req);
        forwarded.headers.set("X-User", sub);
        return forwarded;
      },
    });
    return routed ?? refused(404, "not_found");
  },
};
