/**
 * A tiny stand-in for the hub, for behaviour the real hub cannot be made to show on demand: a hub
 * that never answers heartbeats, closes with 1011, replays overlapping frames, or rate-limits.
 * It speaks the same wire contract: `/ws/{room}` upgrades answered by a `joined` frame,
 * `POST /access/{room}` → 200 (unless told otherwise).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { HEARTBEAT_ACK_FRAME, HEARTBEAT_FRAME } from "../../src/protocol";

export interface FakeConnection {
  room: string;
  url: string;
  /** The upgrade's query string (`token`, `since`, `epoch`). */
  query: URLSearchParams;
  /** Every text frame the client sent, in order. */
  frames: string[];
  socket: WebSocket;
  /** Sends one frame to this client. */
  send(frame: unknown): void;
}

export interface FakeHubOptions {
  /** Answer `{"event":"heartbeat"}` with `{"event":"heartbeat-ack"}`. Default true. */
  answerHeartbeats?: boolean;
  /** Answers a client frame that asked for an ack; return the ack's data. */
  onRequest?: (connection: FakeConnection, event: string, data: unknown) => unknown;
  /** The `joined` frame's data for a new connection. Default `{ room, userId: "fake", seq: 0, epoch: "fake" }`. */
  joined?: (room: string, query: URLSearchParams, index: number) => Record<string, unknown>;
  /** Called after the `joined` frame went out, e.g. to replay frames. */
  onConnection?: (connection: FakeConnection, index: number) => void;
  /** Refuses an upgrade with this status and headers, or accepts it (null). */
  refuseUpgrade?: (room: string, attempt: number) => { status: number; headers?: Record<string, string> } | null;
  /** The answer of `POST /access/{room}`. Default 200 `{ ok: true }`. */
  access?: (room: string) => { status: number; headers?: Record<string, string>; body: unknown };
}

export interface FakeHub {
  url: string;
  connections: FakeConnection[];
  /** Connections of one room, oldest first. */
  of(room: string): FakeConnection[];
  close(): Promise<void>;
}

export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const connections: FakeConnection[] = [];
  const upgrades = new Map<string, number>();
  const roomOf = (url: string) => decodeURIComponent(url.replace(/^\/(ws|access)\//, "").replace(/\?.*$/, ""));
  const server: Server = createServer((request, response) => {
    if (request.method === "POST" && request.url?.startsWith("/access/")) {
      request.resume();
      const answer = options.access?.(roomOf(request.url)) ?? { status: 200, body: { ok: true } };
      response
        .writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers })
        .end(JSON.stringify(answer.body));
    } else {
      response.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({
    server,
    verifyClient: (info, done) => {
      const room = roomOf(info.req.url ?? "");
      const attempt = (upgrades.get(room) ?? 0) + 1;
      upgrades.set(room, attempt);
      const refusal = options.refuseUpgrade?.(room, attempt);
      if (refusal) done(false, refusal.status, "refused", refusal.headers);
      else done(true);
    },
  });
  wss.on("connection", (socket, request) => {
    const url = request.url ?? "";
    const room = roomOf(url);
    const query = new URL(url, "http://fake").searchParams;
    const index = connections.filter((connection) => connection.room === room).length;
    const connection: FakeConnection = {
      room,
      url,
      query,
      frames: [],
      socket,
      send: (frame) => socket.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    };
    connections.push(connection);
    socket.on("message", (raw) => {
      const text = raw.toString();
      connection.frames.push(text);
      if (text === HEARTBEAT_FRAME) {
        if (options.answerHeartbeats !== false) socket.send(HEARTBEAT_ACK_FRAME);
        return;
      }
      const frame = JSON.parse(text) as { event: string; data?: unknown; ack?: number };
      if (frame.ack !== undefined && options.onRequest) {
        const data = options.onRequest(connection, frame.event, frame.data);
        socket.send(JSON.stringify({ event: "ack", ack: frame.ack, data }));
      }
    });
    const joined = options.joined?.(room, query, index) ?? { room, userId: "fake", seq: 0, epoch: "fake" };
    connection.send({ event: "joined", room, data: joined });
    options.onConnection?.(connection, index);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    of: (room) => connections.filter((connection) => connection.room === room),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export { WebSocket };
