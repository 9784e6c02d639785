/**
 * Every socket's budget of inbound frames (LIMITS.frameBurst, then LIMITS.framesPerSecond): a
 * flood is answered up to the budget, refused past it with `rate_limited`, and a socket that keeps
 * on is closed with 1008; its neighbours never notice.
 */
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../../src/protocol";
import { broadcast, join, orderStatus, tokenFor, uniqueId, waitForClose, waitForFrames } from "../helpers";

describe("frame budget", () => {
  it("answers a flood up to the budget, refuses the rest with rate_limited, then closes with 1008", async () => {
    const room = `order-${uniqueId()}`;
    const flooder = await join(room, await tokenFor("k-flood", ["kitchen"]));
    const neighbour = await join(room, await tokenFor("k-calm", ["kitchen"]));
    const flood = LIMITS.frameBurst + 400;
    for (let i = 0; i < flood; i++) flooder.send({ event: "room:info", ack: i });

    expect((await waitForClose(flooder, 15_000)).code).toBe(1008);
    const answered = flooder.frames.filter((frame) => frame.event === "ack");
    const refused = flooder.frames.filter(
      (frame) => frame.event === "error" && (frame.data as { code: string }).code === "rate_limited",
    );
    // The burst, plus whatever the budget refilled while the flood was read.
    expect(answered.length).toBeGreaterThanOrEqual(LIMITS.frameBurst);
    expect(answered.length).toBeLessThan(flood - LIMITS.maxBadFrames);
    // Refusals count as bad frames: the one past the allowance closes the socket, the rest are dropped.
    expect(refused).toHaveLength(LIMITS.maxBadFrames + 1);

    await broadcast([room], "order-status-updated", orderStatus("1", "ready"));
    expect((await waitForFrames(neighbour, 2))[1]).toMatchObject({ event: "order-status-updated", seq: 1 });
  });

  it("refills the budget at the documented rate", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k-steady", ["kitchen"]));
    for (let i = 0; i < LIMITS.frameBurst; i++) socket.send({ event: "room:info", ack: i });
    await waitForFrames(socket, 1 + LIMITS.frameBurst, 10_000);
    // Two seconds later the budget holds about 2 x framesPerSecond frames again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const refill = 2 * LIMITS.framesPerSecond - 10;
    for (let i = 0; i < refill; i++) socket.send({ event: "room:info", ack: LIMITS.frameBurst + i });
    await waitForFrames(socket, 1 + LIMITS.frameBurst + refill, 10_000);
    expect(socket.frames.filter((frame) => frame.event === "error")).toEqual([]);
  }, 30_000);
});
