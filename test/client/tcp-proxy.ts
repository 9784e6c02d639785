/**
 * A TCP proxy between a client and the hub, to make the network fail on demand: `cut()` drops
 * every connection and refuses new ones until `restore()`; `freeze()` stops forwarding on the open
 * connections without closing them (a half-open connection: only a heartbeat notices).
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

export interface TcpProxy {
  /** `http://127.0.0.1:{port}`: give it to the client instead of the hub's URL. */
  url: string;
  /** Drops every open connection and refuses new ones. */
  cut(): void;
  /** Accepts and forwards new connections again. */
  restore(): void;
  /** Stops forwarding on every open connection, leaving them open; new connections still work. */
  freeze(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let refusing = false;
  const pairs = new Set<Pair>();
  const drop = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    for (const side of [client, upstream]) {
      side.on("error", () => drop(pair));
      side.on("close", () => drop(pair));
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      refusing = true;
      for (const pair of [...pairs]) drop(pair);
    },
    restore: () => {
      refusing = false;
    },
    freeze: () => {
      for (const pair of pairs) {
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.upstream.pause();
      }
    },
    close: async () => {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
