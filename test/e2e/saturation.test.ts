/**
 * A room that cannot keep up: 60 events at once to 1,000 sockets, far more sends than the runtime
 * writes in time. Whatever the room holds back and coalesces (COALESCE in src/protocol.ts), every
 * socket gets every event once and in order. (How much it coalesces is measured by the benchmark
 * on the workerd port: through wrangler's proxy the room sees its events one fan-out apart.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hub, startHub } from "../support/hub-process";
import { type Client, e2eToken, internal, openClient, waitForFrames } from "./helpers";

const SOCKETS = 1_000;
const EVENTS = 60;

describe("a saturated room", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("delivers every event to 1,000 sockets once and in order, never more messages than events", async () => {
    const room = `order-${crypto.randomUUID()}`;
    const clients: Client[] = [];
    const messages: number[] = [];
    for (let start = 0; start < SOCKETS; start += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const client = openClient(hub, room, await e2eToken(`sat-${start + i}`, ["kitchen"]));
          const index = start + i;
          messages[index] = 0;
          client.ws.addEventListener("message", () => {
            messages[index] = (messages[index] ?? 0) + 1;
          });
          await client.opened;
          return client;
        }),
      );
      clients.push(...batch);
    }
    await Promise.all(clients.map((client) => waitForFrames(client, 1)));

    // All at once, open loop: far more than 1,000 sends per event can keep up with. (Paced sends
    // from this process would be paced by its own 1,000 sockets, which keep it busy.)
    const published: Promise<Response>[] = [];
    for (let i = 0; i < EVENTS; i++) {
      published.push(
        internal(hub, "/broadcast", "POST", {
          rooms: [room],
          event: "order-status-updated",
          data: { orderId: "1", status: `s${i}` },
        }),
      );
    }
    for (const response of await Promise.all(published)) expect(response.status).toBe(200);

    await Promise.all(clients.map((client) => waitForFrames(client, EVENTS + 1, 30_000)));
    const expected = Array.from({ length: EVENTS }, (_, i) => i + 1);
    for (const client of clients) {
      const events = client.frames.slice(1);
      expect(events.map((frame) => frame.seq)).toEqual(expected);
      expect(new Set(events.map((frame) => (frame.data as { status: string }).status)).size).toBe(EVENTS);
    }
    const total = messages.reduce((sum, count) => sum + count, 0);
    expect(total).toBeLessThanOrEqual(SOCKETS * (1 + EVENTS));
    for (const client of clients) client.ws.close(1000);
  }, 120_000);
});
