/**
 * Retention against a real `wrangler dev` that restarts between bursts of big events: what a
 * room keeps is decided by its stored rows, so restarts (evictions) cannot make it keep more.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HISTORY } from "../../src/protocol";
import { type Hub, startHub } from "../support/hub-process";
import { type Client, e2eToken, internal, openClient, waitForFrames } from "./helpers";

/** A new-order of about 60 KB (the body limit is 64 KiB). */
function bigOrder(orderId: string) {
  const items = Array.from({ length: 120 }, (_, i) => ({ name: `item ${i}`, quantity: 1, notes: "x".repeat(450) }));
  return { orderId, customerName: "Ana", items, createdAt: new Date().toISOString() };
}

async function resume(hub: Hub, room: string, token: string, since: number, epoch: string): Promise<Client> {
  const client = openClient(hub, room, token, `since=${since}&epoch=${epoch}`);
  await client.opened;
  await waitForFrames(client, 1);
  return client;
}

describe("history retention across restarts", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("keeps at most the byte cap of big events however often the hub restarts between bursts", async () => {
    const room = `order-${crypto.randomUUID()}`;
    const token = await e2eToken("kitchen-1", ["kitchen"]);
    const first = openClient(hub, room, token);
    await first.opened;
    const epoch = ((await waitForFrames(first, 1))[0]?.data as { epoch: string } | undefined)?.epoch ?? "";
    first.ws.close(1000);

    const bursts = 3;
    const perBurst = 45;
    for (let burst = 0; burst < bursts; burst++) {
      for (let i = 0; i < perBurst; i++) {
        const res = await internal(hub, "/broadcast", "POST", {
          rooms: [room],
          event: "new-order",
          data: bigOrder(`o${burst}-${i}`),
        });
        expect(res.status).toBe(200);
      }
      if (burst < bursts - 1) await hub.restart();
    }
    const total = bursts * perBurst;

    // Everything since the first event is far more than the cap: not replayable.
    const all = await resume(hub, room, token, 0, epoch);
    expect(all.frames[0]?.data).toMatchObject({ recovered: false, notRecovered: "history", seq: total });
    all.ws.close(1000);

    // The last 40 events fit the cap and come back whole, in order.
    const recent = await resume(hub, room, token, total - 40, epoch);
    expect(recent.frames[0]?.data).toMatchObject({ recovered: true });
    const frames = await waitForFrames(recent, 41);
    expect(frames.slice(1).map((frame) => frame.seq)).toEqual(Array.from({ length: 40 }, (_, i) => total - 39 + i));
    const frameBytes = frames.slice(1).reduce((sum, frame) => sum + Buffer.byteLength(JSON.stringify(frame)), 0);
    expect(frameBytes).toBeLessThanOrEqual(HISTORY.maxBytes);
    recent.ws.close(1000);

    // 100 events of 60 KB (6 MB) are more than the room may keep: the oldest of them are gone.
    const beyond = await resume(hub, room, token, total - 100, epoch);
    expect(beyond.frames[0]?.data).toMatchObject({ recovered: false, notRecovered: "history" });
    beyond.ws.close(1000);
  }, 240_000);
});
