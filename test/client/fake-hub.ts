/**
 * A tiny stand-in for the hub, for behaviour the real hub cannot be made to show on demand: a hub
 * that never answers heartbeats, and events the real hub does not send yet. It speaks the same
 * wire contract: `/ws/{room}` upgrades answered by a `joined` frame, `POST /access/{room}` → 200.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { HEARTBEAT_ACK_FRAME, HEARTBEAT_FRAME } from "../../src/protocol";

export interface FakeConnection {
  room: string;
  url: string;
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
  const server: Server = createServer((request, response) => {
    if (request.method === "POST" && request.url?.startsWith("/access/")) {
      response.writeHead(200, { "Content-Type": "application/json" }).end('{"ok":true}');
    } else {
      response.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket, request) => {
    const url = request.url ?? "";
    const room = decodeURIComponent(url.replace(/^\/ws\//, "").replace(/\?.*$/, ""));
    const connection: FakeConnection = {
      room,
      url,
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
    connection.send({ event: "joined", room, data: { room, userId: "fake", seq: 0, epoch: "fake" } });
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
